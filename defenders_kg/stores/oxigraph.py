"""Push to Oxigraph: the whole dataset through its bulk loader, staged (the default) or in place.

Oxigraph's bulk loader has no transaction, so a push loads into staging graphs and one SPARQL
Update switches them in (``staged``); ``push --non-atomic`` loads in place (``in_place``): faster,
but a failure halfway loses the old data.
"""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import time
import urllib.parse
from collections.abc import Iterator

import pyoxigraph as ox

from ..errors import RemoteError
from ..vocab import INFERRED_GRAPH
from .http import N_QUADS, SPARQL_UPDATE, Body, UnansweredError, with_query
from .layout import MANIFEST_GRAPH, STAGING_NS
from .sending import BATCH, Job, closure_quads, manifest, text_blocks

#: The fewest statements a second the switch of a staged push to Oxigraph is waited for.
_SWITCHED_PER_S = 2_000


def staged(job: Job) -> None:
    """The whole dataset into Oxigraph, staged: the old data stays whole until the new is in.

    The statements go into staging graphs (each graph's name under a fresh ``STAGING_NS``
    prefix) through Oxigraph's bulk loader (``no_transaction``: its transactional PUT took 94 s
    for the 787,000 quads of K = 1000, the bulk loader 18 s), streamed from the statements
    cached as text, the closure in the same document: Oxigraph gives each document's blank
    nodes new identities, so a second one would split a blank node in two. Then one
    SPARQL Update, one transaction, drops every other graph (by name, so that no empty graph
    name stays listed) and moves the staged ones to their names. A failure before that leaves
    the previous data as it was, beside staging graphs that queries leave out and the next push
    removes.
    """
    local, store_url, sent, conn = job.local, job.store_url, job.sent, job.connection
    asserted, closure = job.kg.statements(inference=job.inferred)
    stage = named = default = ""
    bulk = {"no_transaction": ""}
    moved: set[ox.NamedNode | ox.DefaultGraph] = set()

    def into_stage(quad: ox.Quad) -> ox.Quad:
        name = quad.graph_name
        if isinstance(name, ox.BlankNode):
            raise RemoteError(
                f"a graph named by a blank node ({name}) cannot be staged for the switch to the "
                "new data; name the graph with an IRI in the data, or push with --graph"
            )
        moved.add(name)
        target = default if isinstance(name, ox.DefaultGraph) else named + name.value
        return ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(target))

    def staged_statements() -> Iterator[bytes]:
        with asserted.open("rb") as text:
            quads = ox.parse(text, format=ox.RdfFormat.N_QUADS)
            while batch := [into_stage(q) for q in itertools.islice(quads, BATCH)]:
                sent.add("", len(batch))
                yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS) or b""
        if closure is not None:
            moved.add(ox.NamedNode(INFERRED_GRAPH))
            yield from closure_quads(closure, sent, named + INFERRED_GRAPH)

    # A failed upload is tried again into a stage of its own: into the same one it would add the
    # blank nodes of the first try again. The switch drops what the failed tries staged.
    give_up = time.monotonic() + conn.deadline  # no new try after it, as for one request
    for attempt in itertools.count():
        stage = f"{STAGING_NS}{secrets.token_hex(8)}:"
        named, default = f"{stage}g:", f"{stage}default"
        sent.counts, sent.done = {}, 0
        moved.clear()
        # A try again waits no longer than the deadline leaves.
        left = max(give_up - time.monotonic(), 0.01)
        trying = conn if not attempt else dataclasses.replace(conn, timeout=min(conn.timeout, left))
        try:
            trying.request(
                "POST",
                with_query(store_url, bulk),
                Body(staged_statements),
                {"Content-Type": N_QUADS},
                retry=False,
                session=job.session,
            )
            break
        except UnansweredError:
            pause = conn.backoff * 2**attempt
            if attempt >= conn.retries or time.monotonic() + pause >= give_up:
                raise
            time.sleep(pause)
    sent.counts = {"": len(local)}  # the distinct statements, which the store must hold
    listed = job.values("SELECT DISTINCT ?g WHERE { GRAPH ?g { } FILTER(isIRI(?g)) }")
    held = [ox.NamedNode(row[0]) for row in listed if not row[0].startswith(stage)]
    operations = [f"DROP SILENT GRAPH {graph}" for graph in held]
    operations += [
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isBLANK(?g)) }",
        "DROP SILENT DEFAULT",
    ]
    for name in sorted(moved, key=str):
        if isinstance(name, ox.DefaultGraph):
            operations.append(f"MOVE SILENT GRAPH {ox.NamedNode(default)} TO DEFAULT")
        else:
            operations.append(f"MOVE SILENT GRAPH {ox.NamedNode(named + name.value)} TO {name}")
    # Every graph name goes in as an Oxigraph term, serialized by Oxigraph, never as raw text.
    switch = " ;\n".join(operations)
    # The switch copies every statement in one transaction: about 8,000 a second at K = 300,
    # with the old data to drop. Its answer comes only at the end, so it may wait that long.
    wait = max(conn.timeout, len(local) / _SWITCHED_PER_S)
    patient = dataclasses.replace(conn, timeout=wait, deadline=max(conn.deadline, wait))
    try:
        patient.request(
            "POST",
            _update_url(store_url),
            switch.encode("utf-8"),
            {"Content-Type": SPARQL_UPDATE},
            retry=False,
            session=job.session,
        )
    except RemoteError as err:
        raise SwitchError(str(err)) from None


def in_place(job: Job) -> None:
    """``push --non-atomic``: the whole dataset straight into Oxigraph's bulk loader.

    Four to five times as fast as the staged push (no copy in a transaction), but the old data
    goes first (a Graph Store DELETE of the dataset takes 0.05 s; the bulk PUT cleared it one
    statement at a time), and a failure halfway leaves what was loaded so far. So the stream
    begins with a push record that says unfinished, which queries refuse; it goes last.
    """
    store_url, sent, conn, session = job.store_url, job.sent, job.connection, job.session
    asserted, closure = job.kg.statements(inference=job.inferred)
    bulk = {"no_transaction": ""}

    unfinished = manifest("dataset", None, job.inferred, sent, complete=False)
    at = ox.NamedNode(MANIFEST_GRAPH)
    record = [ox.Quad(t.subject, t.predicate, t.object, at) for t in unfinished]

    def document() -> Iterator[bytes]:
        yield ox.serialize(record, format=ox.RdfFormat.N_QUADS) or b""
        yield from text_blocks(asserted, sent, "")
        if closure is not None:  # in the same document, so that a blank node stays one node
            yield from closure_quads(closure, sent, INFERRED_GRAPH)

    conn.request("DELETE", store_url, None, {}, session=session)
    conn.request("PUT", with_query(store_url, bulk), Body(document),
                 {"Content-Type": N_QUADS}, session=session)  # fmt: skip
    sent.counts = {"": len(job.local)}  # the distinct statements, which the store must hold
    # Without a record the layout is what a whole-dataset push leaves (the probe reads the
    # closure from its graph); a record would be one more graph in the union default graph.
    conn.request("DELETE", with_query(store_url, {"graph": MANIFEST_GRAPH}), None, {},
                 session=session)  # fmt: skip


class SwitchError(RemoteError):
    """The update that replaces the old data by the staged one failed, or was not answered."""


def _update_url(store_url: str) -> str:
    """Oxigraph's SPARQL Update URL beside its Graph Store URL."""
    parts = urllib.parse.urlsplit(store_url)
    path = parts.path.removesuffix("/store") + "/update"
    return urllib.parse.urlunsplit(parts._replace(path=path, query=""))
