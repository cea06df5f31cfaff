"""Push to any store of the Graph Store HTTP Protocol (Fuseki, GraphDB, and Oxigraph with
``--graph``): one streamed ``PUT``, one transaction, so that a failed upload leaves the previous
data."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pyoxigraph as ox

from ..vocab import INFERRED_GRAPH
from .http import N_QUADS, N_TRIPLES, Body, with_query
from .layout import MANIFEST_GRAPH
from .sending import BATCH, Job, graphs, manifest


def replace(job: Job) -> None:
    """One streamed PUT: N-Quads of the whole dataset, or N-Triples of the merged graph."""
    local, sent, graph, inferred = job.local, job.sent, job.graph, job.inferred

    def nquads() -> Iterator[bytes]:
        sent.counts.clear()
        sent.done = 0
        for name in graphs(local, inferred):
            quads = local.quads_for_pattern(None, None, None, name)
            while chunk := ox.serialize(
                itertools.islice(quads, BATCH), format=ox.RdfFormat.N_QUADS
            ):
                sent.add(name.value, chunk.count(b"\n"))
                yield chunk

    def ntriples() -> Iterator[bytes]:
        sent.counts.clear()
        sent.done = 0
        assert graph is not None
        for name in graphs(local, inferred):
            quads = local.quads_for_pattern(None, None, None, name)
            while batch := [q.triple for q in itertools.islice(quads, BATCH)]:
                sent.done += len(batch)
                yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
        # A triple that two graphs state is one triple in the merged graph.
        sent.counts[graph] = _distinct_triples(local, inferred)

    conn, session = job.connection, job.session
    if graph is None:
        conn.request("PUT", job.store_url, Body(nquads), {"Content-Type": N_QUADS}, session=session)
        return
    conn.request("PUT", with_query(job.store_url, {"graph": graph}), Body(ntriples),
                 {"Content-Type": N_TRIPLES}, session=session)  # fmt: skip
    record = manifest("graph", graph, inferred, sent, complete=True)
    conn.request("PUT", with_query(job.store_url, {"graph": MANIFEST_GRAPH}),
                 ox.serialize(record, format=ox.RdfFormat.N_TRIPLES) or b"",
                 {"Content-Type": N_TRIPLES}, session=session)  # fmt: skip


def _distinct_triples(local: ox.Store, inferred: bool) -> int:
    closure = "" if inferred else f"FILTER(?g != <{INFERRED_GRAPH}>)"
    text = (
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
        f"GRAPH ?g {{ ?s ?p ?o }} {closure} }} }}"
    )
    answer = local.query(text)
    assert isinstance(answer, ox.QuerySolutions)
    return int(next(iter(answer))[0].value)
