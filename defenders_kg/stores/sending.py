"""What every push strategy shares: the push under way, its count of what was sent, the push
record, and the cached statements read as request bodies a few megabytes at a time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..vocab import INFERRED_GRAPH
from .http import Connection, Session
from .layout import PUSH_NS

if TYPE_CHECKING:
    from ..kg import KnowledgeGraph

#: Quads per request body chunk: a few MB of N-Quads, so memory stays flat at any size.
BATCH = 50_000
#: Bytes of cached N-Quads read per request body chunk.
_TEXT_BLOCK = 4 << 20
#: A SELECT sent to the store's query endpoint as it is; its rows as strings.
Select = Callable[[str], list[list[str]]]


@dataclass
class Sent:
    """What a push has sent so far, graph by graph, to say what the store holds if it fails."""

    counts: dict[str, int]
    done: int = 0
    started: float = 0.0
    shown: float = 0.0

    def add(self, graph: str, count: int) -> None:
        self.counts[graph] = self.counts.get(graph, 0) + count
        self.done += count
        now = time.monotonic()
        if sys.stderr.isatty() and now - self.shown > 2:
            self.shown = now
            rate = self.done / max(now - self.started, 1e-9)
            print(
                f"\rdefenders-kg: pushed {self.done:,} statements ({rate:,.0f}/s)",
                end="",
                file=sys.stderr,
                flush=True,
            )

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Job:
    """One push: what goes (``kg``, its local store with or without the closure), where, how."""

    kg: KnowledgeGraph
    local: ox.Store
    store_url: str  # the Graph Store URL
    connection: Connection
    session: Session  # the requests' openers, and the layouts the push makes stale
    endpoint: str  # the SPARQL query URL (Virtuoso's update URL too)
    values: Select  # at ``endpoint``
    graph: str | None  # the one remote graph that takes the union, or None: the whole dataset
    inferred: bool
    sent: Sent


def graphs(local: ox.Store, inferred: bool) -> list[ox.NamedNode | ox.BlankNode]:
    """The local store's graph names, in order, the closure's only with ``inferred``."""
    names = sorted(local.named_graphs(), key=str)
    return [g for g in names if inferred or g != ox.NamedNode(INFERRED_GRAPH)]


def manifest(layout: str, graph: str | None, inferred: bool, sent: Sent, *, complete: bool
             ) -> list[ox.Triple]:  # fmt: skip
    """The push record: a blank node, so that it counts as no entity and answers no label."""
    record = ox.BlankNode("push")
    values: list[tuple[str, ox.Literal]] = [
        ("layout", ox.Literal(layout)),
        ("closure", ox.Literal("true" if inferred else "false")),
        ("statements", ox.Literal(str(sent.total))),
        ("complete", ox.Literal("true" if complete else "false")),
    ]
    if graph is not None:
        values.append(("target", ox.Literal(graph)))
    return [ox.Triple(record, ox.NamedNode(PUSH_NS + key), value) for key, value in values]


def text_blocks(path: Path, sent: Sent, graph: str) -> Iterator[bytes]:
    """The lines of a cached statements file, a few megabytes at a time, counted as sent."""
    with path.open("rb") as text:
        while block := b"".join(text.readlines(_TEXT_BLOCK)):
            sent.add(graph, block.count(b"\n"))
            yield block


def closure_quads(closure: Path, sent: Sent, graph: str) -> Iterator[bytes]:
    """The cached closure's N-Triples as N-Quads in ``graph``, a few megabytes at a time."""
    # A line of N-Triples ends in " .": a raw line break cannot occur inside a term.
    in_graph = f" {ox.NamedNode(graph)} .\n".encode()
    for block in text_blocks(closure, sent, graph):
        yield block.replace(b" .\n", in_graph)
