"""Push the knowledge graph to a remote store, one strategy per store behind ``push``.

``push`` streams in batches, so its memory stays bounded at any size: the cached statements (the
text the local stores were loaded from) to Oxigraph (``oxigraph``) and Virtuoso (``virtuoso``),
the local store's quads to other stores and into a single graph (``gsp``). Then it checks that
the store holds what was sent: a 200 answer is not proof. ``bulk_file`` writes the same data as
N-Quads for a store's own loader.
"""

from __future__ import annotations

import sys
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..errors import RemoteError
from ..vocab import INFERRED_GRAPH, USER_DATA_GRAPH
from . import gsp, oxigraph, virtuoso
from .client import RemoteKnowledgeGraph
from .http import Connection, Session, strip_userinfo
from .layout import MANIFEST_GRAPH, PUSH_NS, STAGING_NS, system_filter
from .sending import Job, Sent, closure_quads, manifest, text_blocks

if TYPE_CHECKING:
    from ..kg import KnowledgeGraph


def push(
    kg: KnowledgeGraph,
    store_url: str,
    *,
    graph: str | None = None,
    inferred: bool = True,
    connection: Connection | None = None,
    endpoint: str | None = None,
    atomic: bool = True,
    session: Session | None = None,
) -> int:
    """Replace the remote data with this knowledge graph; return the number of statements sent.

    Without ``graph``, the whole dataset is replaced and the named graphs are kept (the statement
    groups, the closure in its own graph). Oxigraph takes it into its bulk loader, streamed from
    the cached statements; Fuseki and other stores as one streamed ``PUT`` of N-Quads, one
    transaction, so that a failed upload leaves the previous data. Oxigraph's bulk loader has no
    transaction, so it loads into staging graphs and one update switches them in (without
    ``atomic``, in place: faster, but a failure halfway loses the old data). Virtuoso has no
    dataset-wide PUT; it gets graph by graph (Graph Store Protocol, SPARQL Update for small
    graphs), with a push record that says unfinished first (made complete last), so that queries
    refuse a store whose push stopped halfway, and a failure says how many statements the store
    then holds. With ``graph``, the union of all graphs
    replaces that one graph, and a push record says so. Afterwards the store is asked what it
    holds; a count that differs from what was sent is an error. ``endpoint`` is the store's
    SPARQL query URL, derived from ``store_url`` for Oxigraph, Fuseki and Virtuoso. ``session``
    (a ``RemoteKnowledgeGraph``'s) is used for the requests and learns that the layouts it
    knows of that host are stale; by default the push has a session of its own.
    """
    conn = connection or Connection()
    query_url = endpoint or query_url_for(store_url)
    remote = RemoteKnowledgeGraph(query_url, conn, session=session)
    store = remote.store()
    local = kg.store(inference=inferred)
    sent = Sent({}, started=time.monotonic())
    job = Job(kg, local, store_url, conn, remote.session, query_url, remote.values, graph,
              inferred, sent)  # fmt: skip
    bulk = store == "oxigraph" and graph is None
    if bulk:
        strategy = oxigraph.staged if atomic else oxigraph.in_place
    else:
        strategy = virtuoso.by_graph if store == "virtuoso" else gsp.replace
    try:
        strategy(job)
    except RemoteError as err:
        switching = isinstance(err, oxigraph.SwitchError)
        held = _what_it_holds(remote, store, sent, bulk, atomic=atomic, switching=switching)
        raise RemoteError(f"{err}; {held}") from None
    finally:
        if sys.stderr.isatty() and sent.shown:
            print(file=sys.stderr)
        # Every endpoint of that host may answer from the data just replaced, or half replaced.
        remote.session.forget_host(query_url)
    _verify(remote, store, graph, sent, record=store == "virtuoso" or graph is not None)
    return sent.total


def query_url_for(store_url: str) -> str:
    """The SPARQL query URL beside a Graph Store URL, for the stores whose URLs are known."""
    parts = urllib.parse.urlsplit(store_url)
    path = parts.path
    for store_path, query_path in (
        ("/sparql-graph-crud-auth", "/sparql-auth"),
        ("/sparql-graph-crud", "/sparql"),
        ("/store", "/query"),
        ("/data", "/sparql"),
        ("/rdf-graphs/service", ""),
        ("/statements", ""),
    ):
        if path.endswith(store_path):
            path = path[: -len(store_path)] + query_path
            return urllib.parse.urlunsplit(parts._replace(path=path, query=""))
    raise RemoteError(
        f"cannot tell the SPARQL query URL of {strip_userinfo(store_url)}; give it with --endpoint"
    )


def _what_it_holds(remote: RemoteKnowledgeGraph, store: str, sent: Sent, bulk: bool, *,
                   atomic: bool, switching: bool) -> str:  # fmt: skip
    """What the store holds after a push failed, for the one line that reports the failure."""
    if store == "virtuoso":
        done = sum(1 for count in sent.counts.values() if count)
        return (
            f"the store now holds {sent.total:,} statements of this push in {done:,} graphs and "
            "none of the graphs it held before, and its push record says unfinished, so queries "
            "refuse it; run push again"
        )
    if not bulk:
        return "the upload was one transaction, so the store still holds its previous data"
    if not atomic:
        return _what_it_holds_now(remote, sent)
    if switching:
        return (
            "the switch to the new data is one transaction: the store holds either all of its "
            "previous data or all of the new; run push again"
        )
    return (
        f"the store still holds all of its previous data; the {sent.done:,} statements staged "
        f"before the failure are in graphs under <{STAGING_NS}>, which queries leave out and "
        "the next push removes; run push again"
    )


def _what_it_holds_now(remote: RemoteKnowledgeGraph, sent: Sent) -> str:
    """After a push in place failed: the bulk loader kept what it loaded; ask the store."""
    try:
        counted = remote.values(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(?g != <{MANIFEST_GRAPH}>) }}"
        )
        unfinished = remote.values(
            f'SELECT ?r WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?r <{PUSH_NS}complete> "false" }} }}'
        )
    except RemoteError as err:
        return (
            "the store was being loaded without a transaction and cannot say what it holds now "
            f"({err}); run push again"
        )
    held = int(counted[0][0]) if counted and counted[0][0].isdigit() else 0
    record = (
        "its push record says unfinished, so queries refuse it"
        if unfinished
        else "it holds no push record"
    )
    return (
        f"the store was loaded without a transaction and now holds {held:,} of the "
        f"{sent.done:,} statements sent before the failure, and {record}; run push again"
    )


def _verify(
    remote: RemoteKnowledgeGraph, store: str, graph: str | None, sent: Sent, *, record: bool
) -> None:
    """Ask the store how many statements it holds, and compare with what was sent.

    One count, not one per graph: a store's row cap would cut a list of tens of thousands of
    graphs. Oxigraph's dataset PUT replaced everything; Virtuoso's push dropped every graph it
    did not send but its own system graphs; a single-graph push is counted in that graph.
    """
    if graph is not None:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}"
    elif store == "virtuoso":
        where = f"GRAPH ?g {{ ?s ?p ?o }} {system_filter('?g', keep=False)}"
    else:
        where = "GRAPH ?g { ?s ?p ?o }"
    counted = remote.values(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    held = int(counted[0][0]) if counted and counted[0][0].isdigit() else 0
    record_size = len(manifest("", graph, True, sent, complete=True)) if record else 0
    if record and graph is None:
        held -= record_size
    if held == sent.total:  # with the record, when there is one
        return
    raise RemoteError(
        f"the store answered the push but holds {max(held, 0):,} of the {sent.total:,} "
        "statements sent; check the store URL and its write permissions"
    )


def bulk_file(kg: KnowledgeGraph, output: str | Path, *, inferred: bool = True) -> int:
    """Write the dataset as N-Quads for a store's own bulk loader; return the quads written.

    Streams the cached statements (the closure's N-Triples get its graph name), so memory stays
    bounded and the client reads text instead of the store. ``output`` follows the rules of
    ``defenders_kg.files``: a regular file is replaced atomically, a symlink written through.
    """
    from ..files import write_output

    asserted, closure = kg.statements(inference=inferred)
    sent = Sent({}, started=time.monotonic())

    def write(out: BinaryIO) -> None:
        for block in text_blocks(asserted, sent, ""):
            out.write(block)
        if closure is not None:
            for block in closure_quads(closure, sent, INFERRED_GRAPH):
                out.write(block)

    write_output(output, write)
    return sent.total


def bulk_commands(path: str | Path) -> str:
    """The commands that load a bulk file into Oxigraph and into Virtuoso."""
    file = Path(path).resolve()
    return (
        f"oxigraph load --location STORE_DIR --file {file}\n"
        f"  then: oxigraph serve --location STORE_DIR --union-default-graph\n"
        f"isql-vt 1111 dba PASSWORD exec=\"ld_dir('{file.parent}', '{file.name}', "
        f"'{USER_DATA_GRAPH}'); rdf_loader_run(); checkpoint;\"\n"
        f"  ({file.parent} must be listed in DirsAllowed in virtuoso.ini)\n"
    )
