"""Virtuoso's dialect and its push: how it names blank nodes, and what one request may hold.

Virtuoso has no dataset-wide PUT (it answers one with 200 and an HTML page, and stores nothing),
so a push goes graph by graph (``by_graph``) between a push record that says unfinished and one
that says complete. It gives each request's blank nodes new identities, names them
``nodeID://b…`` in its answers, and refuses a request whose generated SQL is too long: the limits
below are what one request may carry. Its answers are made standard here (``standard_results``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from ..errors import RemoteError
from ..vocab import INFERRED_GRAPH, XSD
from .http import N_TRIPLES, SPARQL_UPDATE, with_query
from .layout import MANIFEST_GRAPH, PUSH_NS, system_filter
from .sending import Job, Select, Sent, graphs, manifest

#: Statements per Graph Store request of a merged graph (Virtuoso resets the connection on larger
#: bodies), and read before the small graphs waiting are sent.
_VIRTUOSO_BATCH = 10_000
#: Bytes of cached N-Triples per Graph Store request to Virtuoso: about 10,000 statements.
_VIRTUOSO_BLOCK = 1_500_000
#: Statements with blank nodes that one graph may have on Virtuoso (one request keeps them).
_BLANK_LIMIT = 40_000
#: The predicate of the statements that tell which of Virtuoso's nodes a blank node became.
_BLANK_MARK = PUSH_NS + "blankNode"
#: Graphs this small travel together in one SPARQL Update on stores without a dataset-wide PUT.
_SMALL_GRAPH = 2_000
#: Statements per SPARQL Update on Virtuoso. Its compiler refuses an update whose generated SQL
#: passes 10,000 lines; with the virtuoso.ini Debian ships, an INSERT DATA of 1,000 plain
#: statements passed and one of 2,000 did not (and 5,000 exhausted the parser's memory).
_INSERT_TRIPLES = 500
#: Graphs dropped per SPARQL Update on Virtuoso.
_DROPS = 100
_BOOLEAN = f"{XSD}boolean".encode()
_T = TypeVar(
    "_T",
    ox.NamedNode | ox.BlankNode | ox.Triple,
    ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
)


def standard_results(body: bytes) -> bytes:
    """SPARQL JSON results as the standard writes them, from what Virtuoso sends.

    Virtuoso names blank nodes ``nodeID://b123``, which is no blank node label; writes booleans
    as 1 and 0; and with a ``define`` pragma answers ASK as a SELECT of one variable,
    ``__ASK_RETVAL``.
    """
    if b"nodeID://" not in body and b"__ASK_RETVAL" not in body and _BOOLEAN not in body:
        return body
    data = json.loads(body)
    bindings = data.get("results", {}).get("bindings", [])
    if data.get("head", {}).get("vars") == ["__ASK_RETVAL"]:
        value = bindings[0].get("__ASK_RETVAL", {}).get("value") if bindings else None
        return json.dumps({"head": {}, "boolean": value not in (None, "0")}).encode()
    for row in bindings:
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = "v" + "".join(c if c.isalnum() else "_" for c in term["value"])
            elif term.get("datatype") == _BOOLEAN.decode() and term["value"] in ("0", "1"):
                term["value"] = "true" if term["value"] == "1" else "false"
    return json.dumps(data).encode("utf-8")


def by_graph(job: Job) -> None:
    """Virtuoso: no dataset-wide PUT, so graph by graph, between a push record that says
    unfinished and one that says complete.

    The whole dataset streams from the cached statements, as Oxigraph's push does: reading the
    store back cost the client 10 s of CPU at K = 1000, parsing the text 1.3 s. Small graphs (a
    sentence's statements) travel together in one SPARQL Update; large ones as Graph Store POSTs
    of N-Triples, which Virtuoso takes about three times as fast. Virtuoso gives each request's
    blank nodes new identities, so every statement with a blank node waits for the end and goes
    with the others of its graph in one request.
    """
    store_url, conn, session = job.store_url, job.connection, job.session
    graph, inferred, sent = job.graph, job.inferred, job.sent
    gsp_param = "graph-uri" if "sparql-graph-crud" in store_url else "graph"

    def update(text: str) -> None:
        # A raw SPARQL Update body: Virtuoso reads it half as fast again as the same text
        # URL-encoded in a form.
        conn.request("POST", job.endpoint, text.encode("utf-8"), {"Content-Type": SPARQL_UPDATE},
                     retry=False, session=session)  # fmt: skip

    def post(target: str, body: bytes, method: str = "POST") -> None:
        conn.request(
            method,
            with_query(store_url, {gsp_param: target}),
            body,
            {"Content-Type": N_TRIPLES},
            retry=method == "PUT",
            session=session,
        )

    def record(complete: bool) -> None:
        triples = manifest(
            "graph" if graph else "dataset", graph, inferred, sent, complete=complete
        )
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        conn.request("PUT", with_query(store_url, {gsp_param: MANIFEST_GRAPH}), body,
                     {"Content-Type": N_TRIPLES}, session=session)  # fmt: skip

    record(complete=False)
    if graph is not None:
        _push_merged(job.local, graph, inferred, post, update, sent)
    else:
        # Everything the store held goes first (but its push record, which says unfinished
        # now), so that a failure halfway leaves only what this push sent. Virtuoso compiles each
        # DROP into SQL and refuses a request above 10,000 lines of it.
        held = [g for g in _user_graphs(job.values) if g != MANIFEST_GRAPH]
        for start in range(0, len(held), _DROPS):
            update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in held[start : start + _DROPS]))
        _stream_statements(*job.kg.statements(inference=inferred), post, update, job.values, sent)
        # The store keeps one copy of each statement, as the local store does.
        sent.counts = {"": len(job.local)}
    record(complete=True)


def _push_merged(
    local: ox.Store,
    graph: str,
    inferred: bool,
    post: Callable[[str, bytes, str], None],
    update: Callable[[str], None],
    sent: Sent,
) -> None:
    """The union of the local graphs into the one remote graph ``graph``; the statements with
    blank nodes last, all in one request, so that each blank node stays one node."""
    method = "PUT"
    with_blanks: list[ox.Triple] = []
    for name in graphs(local, inferred):
        quads = local.quads_for_pattern(None, None, None, name)
        # Virtuoso resets the connection on large Graph Store bodies (seen at 50,000 triples of
        # the K = 1000 document graph), so its chunks are smaller.
        while batch := list(itertools.islice(quads, _VIRTUOSO_BATCH)):
            plain = [q.triple for q in batch if not _has_blank(q.triple)]
            with_blanks += [q.triple for q in batch if _has_blank(q.triple)]
            if len(with_blanks) > _BLANK_LIMIT:
                raise RemoteError(
                    f"the merged graph has more than {_BLANK_LIMIT:,} statements with blank "
                    "nodes, more than Virtuoso takes in the one request that keeps them the "
                    "same nodes; load it with push --bulk and ld_dir"
                )
            if plain:
                post(graph, ox.serialize(plain, format=ox.RdfFormat.N_TRIPLES) or b"", method)
                sent.add(graph, len(plain))
                method = "POST"
    if with_blanks:
        post(graph, ox.serialize(with_blanks, format=ox.RdfFormat.N_TRIPLES) or b"", method)
        sent.add(graph, len(with_blanks))
        method = "POST"
    if method == "PUT":  # nothing to send: the graph is emptied
        update(f"DROP SILENT GRAPH <{graph}>")


def _has_blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _stream_statements(
    asserted: Path,
    closure: Path | None,
    post: Callable[[str, bytes], None],
    update: Callable[[str], None],
    select: Select,
    sent: Sent,
) -> None:
    """Send the cached N-Quads, then the closure's N-Triples, with bounded memory."""
    pending: dict[str, list[ox.Triple]] = {}
    waiting = 0
    with_blanks: dict[str, list[bytes]] = {}

    def insert(parts: list[tuple[str, list[ox.Triple]]]) -> None:
        lines = (
            (name, ox.serialize(part, format=ox.RdfFormat.N_TRIPLES) or b"") for name, part in parts
        )
        body = "".join(f"GRAPH <{name}> {{\n{text.decode()}}}\n" for name, text in lines)
        update("INSERT DATA {\n" + body + "}")
        for name, part in parts:
            sent.add(name, len(part))

    def flush() -> None:
        parts: list[tuple[str, list[ox.Triple]]] = []
        room = _INSERT_TRIPLES
        for name, triples in pending.items():
            if len(triples) >= _SMALL_GRAPH:
                post(name, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
                sent.add(name, len(triples))
                continue
            # Each SPARQL Update stays under the SQL Virtuoso generates for it (see
            # _INSERT_TRIPLES), so a small graph may take two updates.
            for start in range(0, len(triples), _INSERT_TRIPLES):
                piece = triples[start : start + _INSERT_TRIPLES]
                while piece:
                    if room == 0:
                        insert(parts)
                        parts, room = [], _INSERT_TRIPLES
                    taken, piece = piece[:room], piece[room:]
                    parts.append((name, taken))
                    room -= len(taken)
        if parts:
            insert(parts)
        pending.clear()

    with asserted.open("rb") as text:
        for quad in ox.parse(text, format=ox.RdfFormat.N_QUADS):
            name = quad.graph_name
            if not isinstance(name, ox.NamedNode):
                raise RemoteError(
                    f"Virtuoso cannot name a graph by a blank node ({name}); name the graph "
                    "with an IRI in the data, or push with --graph"
                )
            triple = quad.triple
            if _has_blank(triple):
                line = ox.serialize([triple], format=ox.RdfFormat.N_TRIPLES) or b""
                with_blanks.setdefault(name.value, []).append(line)
                continue
            pending.setdefault(name.value, []).append(triple)
            waiting += 1
            if waiting >= _VIRTUOSO_BATCH:
                flush()
                waiting = 0
    flush()
    if closure is not None:
        with closure.open("rb") as text:
            while lines := text.readlines(_VIRTUOSO_BLOCK):
                plain = [line for line in lines if b"_:" not in line]
                if len(plain) < len(lines):
                    blank = with_blanks.setdefault(INFERRED_GRAPH, [])
                    blank += [line for line in lines if b"_:" in line]
                if plain:
                    post(INFERRED_GRAPH, b"".join(plain))
                    sent.add(INFERRED_GRAPH, len(plain))
    _post_blank_statements(with_blanks, post, update, select, sent)


def _post_blank_statements(
    with_blanks: Mapping[str, list[bytes]],
    post: Callable[[str, bytes], None],
    update: Callable[[str], None],
    select: Select,
    sent: Sent,
) -> None:
    """Each graph's statements with blank nodes (N-Triples lines) to Virtuoso in one request.

    Virtuoso gives each request's blank nodes new identities, so a node that several graphs
    share (the closure's statements about a blank node of the data, or a TriG node in two
    graphs) is sent first with a marker statement, read back by the name Virtuoso gave it
    (``nodeID://b…``, which later requests may use as an IRI to mean that node), and the
    markers removed.
    """
    parsed: dict[str, list[ox.Triple]] = {}
    graphs_of: dict[str, set[str]] = {}
    for name, lines in with_blanks.items():
        if len(lines) > _BLANK_LIMIT:
            raise RemoteError(
                f"graph <{name}> has {len(lines):,} statements with blank nodes, more than "
                f"Virtuoso takes in the one request that keeps them the same nodes "
                f"({_BLANK_LIMIT:,}); load it with push --bulk and ld_dir"
            )
        parsed[name] = [q.triple for q in ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES)]
        for label in _blank_labels(parsed[name]):
            graphs_of.setdefault(label, set()).add(name)
    shared = {label for label, names in graphs_of.items() if len(names) > 1}
    known: dict[str, ox.NamedNode] = {}
    mark = ox.NamedNode(_BLANK_MARK)

    def as_sent(term: _T) -> _T | ox.NamedNode:
        return known.get(term.value, term) if isinstance(term, ox.BlankNode) else term

    for name, triples in parsed.items():
        new = sorted(label for label in _blank_labels(triples) & shared if label not in known)
        body = [ox.Triple(as_sent(t.subject), t.predicate, as_sent(t.object)) for t in triples]
        body += [ox.Triple(ox.BlankNode(label), mark, ox.Literal(label)) for label in new]
        post(name, ox.serialize(body, format=ox.RdfFormat.N_TRIPLES) or b"")
        sent.add(name, len(triples))
        if not new:
            continue
        graph = ox.NamedNode(name)
        known.update(_virtuoso_names(graph, mark, select))
        update(f"DELETE {{ GRAPH {graph} {{ ?s {mark} ?o }} }} "
               f"WHERE {{ GRAPH {graph} {{ ?s {mark} ?o }} }}")  # fmt: skip
        if missing := [label for label in new if label not in known]:
            raise RemoteError(
                f"Virtuoso did not say which node the blank node _:{missing[0]} of graph "
                f"<{name}> became, so the other graphs cannot refer to it"
            )


def _blank_labels(triples: list[ox.Triple]) -> set[str]:
    return {
        term.value
        for t in triples
        for term in (t.subject, t.object)
        if isinstance(term, ox.BlankNode)
    }


def _virtuoso_names(
    graph: ox.NamedNode, mark: ox.NamedNode, select: Select
) -> dict[str, ox.NamedNode]:
    """Our blank node labels and the ``nodeID://`` names Virtuoso gave them, a page at a time."""
    names: dict[str, ox.NamedNode] = {}
    page = 500  # under any row cap a Virtuoso is configured with
    while True:
        text = (
            f"SELECT (STR(?node) AS ?id) ?label WHERE {{ GRAPH {graph} {{ ?node {mark} ?label }} "
            f"}} ORDER BY ?label LIMIT {page} OFFSET {len(names)}"
        )
        rows = select(text)
        for node, label in rows:
            if node.startswith("nodeID://"):
                names[label] = ox.NamedNode(node)
        if len(rows) < page:
            return names


def _user_graphs(values: Select) -> list[str]:
    """Every graph of a Virtuoso store but its system graphs, a page at a time (its row cap)."""
    found: list[str] = []
    page = 500
    while True:
        text = (
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
            f"{system_filter('?g', keep=False)} }} ORDER BY ?g LIMIT {page} OFFSET {len(found)}"
        )
        rows = [row[0] for row in values(text)]
        found += rows
        if len(rows) < page:
            return found
