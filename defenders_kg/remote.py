"""Remote triple stores over the SPARQL 1.1 Protocol and the Graph Store HTTP Protocol.

Oxigraph (``/query``, ``/store``), Apache Jena Fuseki (``/DATASET/sparql``, ``/DATASET/data``),
GraphDB and Virtuoso (``/sparql``, ``/sparql-graph-crud-auth``) speak the same protocols; what
differs between stores and layouts is decided in one place, ``store_layout``. The HTTP client is
the standard library's, with an explicit time-out on every request, a bounded number of retries
with exponential back-off for idempotent requests, and credentials (bearer, basic or digest) from
the environment, the URL or ``~/.netrc`` that never appear in a message.

``push`` streams in batches, so its memory stays bounded at any size: the cached statements (the
text the local stores were loaded from) to Oxigraph and Virtuoso, the local store's quads to
other stores and into a single graph. Then it checks that the store holds what was sent: a 200
answer is not proof. ``bulk_file`` writes the same data as N-Quads for a store's own loader.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import netrc
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, TypeVar

import pyoxigraph as ox

from .errors import QueryParameterError, RemoteError
from .policy import query_form, star_order, with_prefixes
from .queries import get_query
from .results import QueryResult
from .store_layout import (
    MANIFEST_GRAPH,
    PUSH_NS,
    STAGING_NS,
    Layout,
    probe,
    store_of,
    system_filter,
)
from .vocab import INFERRED_GRAPH, PREFIXES, USER_DATA_GRAPH

if TYPE_CHECKING:
    from .kg import KnowledgeGraph

_RESULTS_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"
_N_QUADS = "application/n-quads"
_FORM = "application/x-www-form-urlencoded"
_SPARQL_UPDATE = "application/sparql-update"
_RETRIED_STATUSES = {429, 500, 502, 503, 504}
#: Quads per request body chunk: a few MB of N-Quads, so memory stays flat at any size.
BATCH = 50_000
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
#: Bytes of cached N-Quads read per request body chunk.
_TEXT_BLOCK = 4 << 20
#: Graphs dropped per SPARQL Update on Virtuoso.
_DROPS = 100
#: The fewest statements a second the switch of a staged push to Oxigraph is waited for.
_SWITCHED_PER_S = 2_000
_VALUED = (ox.NamedNode, ox.BlankNode, ox.Literal)
_T = TypeVar(
    "_T",
    ox.NamedNode | ox.BlankNode | ox.Triple,
    ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
)
_BOOLEAN = b"http://www.w3.org/2001/XMLSchema#boolean"
_layouts: dict[str, Layout] = {}
_challenged_hosts: set[str] = set()


class Response(NamedTuple):
    body: bytes
    media: str
    headers: Mapping[str, str]


class _Body:
    """A request body made on demand, afresh for each attempt (a retry or an auth challenge)."""

    def __init__(self, make: Callable[[], Iterator[bytes]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[bytes]:
        return self._make()


@dataclass(frozen=True)
class Connection:
    """How to talk to one endpoint: time-out per try, retries, back-off, and a deadline.

    ``timeout`` bounds each wait of a try (to connect, to send, for the next byte of the answer),
    so an upload that makes progress is never cut. ``deadline`` bounds all the tries of one
    request: no try starts after it, and none waits past it, so a server that accepts and never
    answers costs at most ``deadline`` seconds, not ``(retries + 1) * timeout``.
    """

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    deadline: float = 55.0

    def request(
        self,
        method: str,
        url: str,
        body: bytes | _Body | None,
        headers: Mapping[str, str],
        *,
        retry: bool = True,
    ) -> Response:
        """Send one request, retrying on network errors, time-outs and 5xx answers.

        Returns the body, the media type and the headers; raises ``RemoteError`` with a message
        that names the URL (without credentials) and never the credentials themselves. A request
        that is not idempotent is sent with ``retry=False``.
        """
        shown = _strip_userinfo(url)
        host = urllib.parse.urlsplit(shown).netloc
        opener, auth, digest = _opener(url)
        last = ""
        tries = self.retries + 1 if retry else 1
        attempt = 0
        give_up = time.monotonic() + self.deadline
        while attempt < tries:
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                if time.monotonic() + pause >= give_up:
                    last += f"; gave up at the {self.deadline:g} s deadline"
                    tries = attempt
                    break
                time.sleep(pause)
            attempt += 1
            wait = max(min(self.timeout, give_up - time.monotonic()), 0.01)
            sent = {**headers, **({} if host in _challenged_hosts else auth)}
            request = urllib.request.Request(shown, data=body, method=method, headers=sent)
            answer = digest.up_front(request) if digest and host in _challenged_hosts else None
            if answer:
                request.add_header("Authorization", f"Digest {answer}")
            try:
                with opener.open(request, timeout=wait) as response:
                    media = response.headers.get_content_type()
                    found = {k.lower(): v for k, v in response.headers.items()}
                    return Response(response.read(), media, found)
            except urllib.error.HTTPError as err:
                detail = _error_body(err).strip().splitlines()
                last = f"{shown} answered {err.code} {err.reason}" + (
                    f": {detail[0][:200]}" if detail else ""
                )
                basic = sent.get("Authorization", "").startswith("Basic ")
                if err.code == 401 and basic and host not in _challenged_hosts:
                    # Virtuoso refuses basic credentials without saying what it wants; asked
                    # again without them it sends its digest challenge, which the opener answers.
                    _challenged_hosts.add(host)
                    attempt -= 1
                    continue
                if err.code == 401 and not auth:
                    last += " (set DEFENDERS_KG_USER and DEFENDERS_KG_PASSWORD, or a token)"
                if err.code not in _RETRIED_STATUSES:
                    raise RemoteError(last) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                reason = getattr(err, "reason", err)
                last = f"cannot reach {shown}: {reason}"
        raise _UnansweredError(f"{last} (after {tries} tr{'y' if tries == 1 else 'ies'})")


class _UnansweredError(RemoteError):
    """A request failed in a way that a later try may not (network, time-out, 5xx)."""


class RemoteKnowledgeGraph:
    """The knowledge graph in a remote SPARQL 1.1 query endpoint: canned and ad-hoc queries.

    Before the first query the endpoint's layout is probed once per process (see
    ``store_layout``): each query then runs as the embedded graph would answer it, or is refused
    with one message that says how to set the store up. A result that reached the store's row cap
    is an error, never a short answer.
    """

    def __init__(
        self,
        endpoint: str,
        connection: Connection | None = None,
        *,
        layout: Layout | None = None,
    ) -> None:
        """``layout``, when known (``Layout.assumed``), is used instead of probing the endpoint."""
        self.endpoint = endpoint
        self.connection = connection or Connection()
        if layout is not None:
            _layouts[_strip_userinfo(endpoint)] = layout

    @property
    def layout(self) -> Layout:
        """What the endpoint holds and how to ask it; probed once, then remembered."""
        key = _strip_userinfo(self.endpoint)
        if key not in _layouts:
            first = self._send("ASK {}", [("query", "ASK {}")])
            store = store_of(first.headers.get("server", ""))

            def select(text: str) -> list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]:
                rows = self._post_query(text, [("query", text)]).rows
                return [[t if not isinstance(t, ox.Triple) else None for t in r] for r in rows]

            _layouts[key] = probe(key, store, select)
        return _layouts[key]

    def forget(self) -> None:
        """Probe again before the next query (after the store's data changed)."""
        _layouts.pop(_strip_userinfo(self.endpoint), None)

    def query(
        self,
        name: str,
        params: Mapping[str, object] | None = None,
        *,
        inference: bool | None = None,
    ) -> QueryResult:
        """Run a canned query with typed parameters; the rows are the embedded graph's rows.

        ``inference`` defaults to what the query's header asks for. Canned queries without
        inference are written so that the closure does not change their rows (a test checks it),
        so they run over everything the store holds.
        """
        canned = get_query(name)
        text = canned.bind(params)
        closure = canned.closure(inference)

        def run(text: str) -> QueryResult:
            plan = self.layout.plan(
                text, closure=closure, closure_matters=canned.inference, name=name, canned=True
            )
            return self._post_query(plan.text, [("query", plan.text), *plan.dataset])

        for ask, missing in canned.lookups(params):
            if not run(ask).boolean:
                raise QueryParameterError(missing)
        return run(text)

    def sparql(self, text: str, *, inference: bool = True, canned: bool = False) -> QueryResult:
        """Run any query over the SPARQL 1.1 Protocol (POST, form-encoded).

        ``canned`` marks one of the project's own queries or quality checks (see
        ``Layout.plan``); Virtuoso then gets fewer pragmas, which its optimizer needs for some.
        The text of a shipped query or check (``sparql --file queries/checks/…``) counts as one.
        """
        canned = canned or _is_shipped(text)
        layout = self.layout
        text = with_prefixes(text, PREFIXES)  # as the embedded graph takes them
        plan = layout.plan(text, closure=inference, closure_matters=True, canned=canned)
        return self._post_query(plan.text, [("query", plan.text), *plan.dataset])

    def values(self, text: str) -> list[list[str]]:
        """The rows of a SELECT sent as it is, as strings: for the store's own bookkeeping."""
        rows = self._post_query(text, [("query", text)]).rows
        return [[t.value if isinstance(t, _VALUED) else "" for t in row] for row in rows]

    def _send(self, text: str, form: list[tuple[str, str]]) -> Response:
        graph_result = _is_graph_query(text)
        return self.connection.request(
            "POST",
            self.endpoint,
            urllib.parse.urlencode(form).encode("utf-8"),
            {"Content-Type": _FORM, "Accept": _N_TRIPLES if graph_result else _RESULTS_JSON},
        )

    def _post_query(self, text: str, form: list[tuple[str, str]]) -> QueryResult:
        try:
            answer = self._send(text, form)
        except RemoteError as err:
            if "SQ200: Stack Overflow" in str(err):
                raise RemoteError(
                    f"{_strip_userinfo(self.endpoint)}: Virtuoso's optimizer gave up on this "
                    "query (SQ200 Stack Overflow) with the graphs it must leave out; simplify the "
                    "query, or keep only the knowledge graph in the store"
                ) from None
            raise
        try:
            if _is_graph_query(text):
                result = QueryResult.from_ntriples(answer.body)
                size = len(result.triples)  # parses, so garbage fails here
            else:
                answered = ox.parse_query_results(
                    _standard_results(answer.body), format=ox.QueryResultsFormat.JSON
                )
                result = QueryResult.from_oxigraph(answered, order=star_order(text))
                size = len(result)
        except (SyntaxError, ValueError) as err:
            raise RemoteError(
                f"{_strip_userinfo(self.endpoint)} answered something that is not SPARQL results "
                f"({answer.media}): {str(err).splitlines()[0][:200]}"
            ) from None
        cap = answer.headers.get("x-sparql-maxrows")
        if cap is not None and cap.strip().isdigit() and size >= int(cap):
            raise RemoteError(
                f"{_strip_userinfo(self.endpoint)} cut the result at its row cap of {cap} "
                "(Virtuoso: ResultSetMaxRows in virtuoso.ini [SPARQL]); raise the cap or add "
                "a LIMIT"
            )
        return result


def _is_shipped(text: str) -> bool:
    """Whether ``text`` is one of the project's canned queries or quality checks, as shipped."""
    from .queries import list_checks, list_queries

    return any(q.text.strip() == text.strip() for q in [*list_queries(), *list_checks()])


def _is_graph_query(text: str) -> bool:
    """Whether a query answers with triples; Virtuoso's ``define`` pragmas come before it."""
    lines = text.splitlines()
    while lines and lines[0].startswith("define input:"):
        lines.pop(0)
    return query_form("\n".join(lines)) in ("CONSTRUCT", "DESCRIBE")


def _error_body(err: urllib.error.HTTPError) -> str:
    """The first bytes of an error's body as text. urllib's own 401 for a failed digest
    handshake has a body of text, not bytes, on some Python 3.11 releases (3.11.2)."""
    try:
        raw = err.read(300)
    except (OSError, ValueError, AttributeError):
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def _standard_results(body: bytes) -> bytes:
    """SPARQL JSON results as the standard writes them, from what Virtuoso sends.

    Virtuoso names blank nodes ``nodeID://b123``, which is no blank node label; writes booleans
    as 1 and 0; and with a ``define`` pragma answers ASK as a SELECT of one variable,
    ``__ASK_RETVAL``.
    """
    if b"nodeID://" not in body and b"__ASK_RETVAL" not in body and _BOOLEAN not in body:
        return body
    import json

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


# ---------------------------------------------------------------------------------------- push


@dataclass
class _Sent:
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


def push(
    kg: KnowledgeGraph,
    store_url: str,
    *,
    graph: str | None = None,
    inferred: bool = True,
    connection: Connection | None = None,
    endpoint: str | None = None,
    atomic: bool = True,
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
    SPARQL query URL, derived from ``store_url`` for Oxigraph, Fuseki and Virtuoso.
    """
    conn = connection or Connection()
    query_url = endpoint or query_url_for(store_url)
    remote = RemoteKnowledgeGraph(query_url, conn)
    first = remote._send("ASK {}", [("query", "ASK {}")])
    store = store_of(first.headers.get("server", ""))
    local = kg.store(inference=inferred)
    sent = _Sent({}, started=time.monotonic())
    bulk = store == "oxigraph" and graph is None
    try:
        if bulk and atomic:
            _push_to_oxigraph(kg, local, store_url, remote, conn, inferred, sent)
        elif bulk:
            _load_in_place(kg, local, store_url, conn, inferred, sent)
        elif store == "virtuoso":
            _push_by_graph(kg, local, store_url, remote, conn, graph, inferred, sent)
        else:
            _push_dataset(local, store_url, conn, graph, inferred, sent)
    except RemoteError as err:
        switching = isinstance(err, _SwitchError)
        held = _what_it_holds(remote, store, sent, bulk, atomic=atomic, switching=switching)
        raise RemoteError(f"{err}; {held}") from None
    finally:
        if sys.stderr.isatty() and sent.shown:
            print(file=sys.stderr)
        # Every endpoint of that host may answer from the data just replaced, or half replaced.
        host = urllib.parse.urlsplit(_strip_userinfo(query_url)).netloc
        for known in [k for k in _layouts if urllib.parse.urlsplit(k).netloc == host]:
            del _layouts[known]
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
        f"cannot tell the SPARQL query URL of {_strip_userinfo(store_url)}; give it with --endpoint"
    )


def _graphs(local: ox.Store, inferred: bool) -> list[ox.NamedNode | ox.BlankNode]:
    names = sorted(local.named_graphs(), key=str)
    return [g for g in names if inferred or g != ox.NamedNode(INFERRED_GRAPH)]


def _manifest(layout: str, graph: str | None, inferred: bool, sent: _Sent, *, complete: bool
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


def _distinct_triples(local: ox.Store, inferred: bool) -> int:
    closure = "" if inferred else f"FILTER(?g != <{INFERRED_GRAPH}>)"
    text = (
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
        f"GRAPH ?g {{ ?s ?p ?o }} {closure} }} }}"
    )
    answer = local.query(text)
    assert isinstance(answer, ox.QuerySolutions)
    return int(next(iter(answer))[0].value)


def _push_dataset(local: ox.Store, store_url: str, conn: Connection, graph: str | None,
                  inferred: bool, sent: _Sent) -> None:  # fmt: skip
    """One streamed PUT: N-Quads of the whole dataset, or N-Triples of the merged graph."""

    def nquads() -> Iterator[bytes]:
        sent.counts.clear()
        sent.done = 0
        for name in _graphs(local, inferred):
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
        for name in _graphs(local, inferred):
            quads = local.quads_for_pattern(None, None, None, name)
            while batch := [q.triple for q in itertools.islice(quads, BATCH)]:
                sent.done += len(batch)
                yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
        # A triple that two graphs state is one triple in the merged graph.
        sent.counts[graph] = _distinct_triples(local, inferred)

    if graph is None:
        conn.request("PUT", store_url, _Body(nquads), {"Content-Type": _N_QUADS})
        return
    conn.request("PUT", _with_query(store_url, {"graph": graph}), _Body(ntriples),
                 {"Content-Type": _N_TRIPLES})  # fmt: skip
    record = _manifest("graph", graph, inferred, sent, complete=True)
    conn.request("PUT", _with_query(store_url, {"graph": MANIFEST_GRAPH}),
                 ox.serialize(record, format=ox.RdfFormat.N_TRIPLES) or b"",
                 {"Content-Type": _N_TRIPLES})  # fmt: skip


def _push_to_oxigraph(kg: KnowledgeGraph, local: ox.Store, store_url: str,
                      remote: RemoteKnowledgeGraph, conn: Connection, inferred: bool, sent: _Sent
                      ) -> None:  # fmt: skip
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
    asserted, closure = kg.statements(inference=inferred)
    stage = named = default = ""
    bulk = {"no_transaction": ""}
    moved: set[ox.NamedNode | ox.DefaultGraph] = set()

    def staged(quad: ox.Quad) -> ox.Quad:
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
            while batch := [staged(q) for q in itertools.islice(quads, BATCH)]:
                sent.add("", len(batch))
                yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS) or b""
        if closure is not None:
            moved.add(ox.NamedNode(INFERRED_GRAPH))
            yield from _closure_quads(closure, sent, named + INFERRED_GRAPH)

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
            trying.request("POST", _with_query(store_url, bulk), _Body(staged_statements),
                           {"Content-Type": _N_QUADS}, retry=False)  # fmt: skip
            break
        except _UnansweredError:
            pause = conn.backoff * 2**attempt
            if attempt >= conn.retries or time.monotonic() + pause >= give_up:
                raise
            time.sleep(pause)
    sent.counts = {"": len(local)}  # the distinct statements, which the store must hold
    listed = remote.values("SELECT DISTINCT ?g WHERE { GRAPH ?g { } FILTER(isIRI(?g)) }")
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
        patient.request("POST", _update_url(store_url), switch.encode("utf-8"),
                        {"Content-Type": _SPARQL_UPDATE}, retry=False)  # fmt: skip
    except RemoteError as err:
        raise _SwitchError(str(err)) from None


def _load_in_place(kg: KnowledgeGraph, local: ox.Store, store_url: str, conn: Connection,
                   inferred: bool, sent: _Sent) -> None:  # fmt: skip
    """``push --non-atomic``: the whole dataset straight into Oxigraph's bulk loader.

    Four to five times as fast as the staged push (no copy in a transaction), but the old data
    goes first (a Graph Store DELETE of the dataset takes 0.05 s; the bulk PUT cleared it one
    statement at a time), and a failure halfway leaves what was loaded so far. So the stream
    begins with a push record that says unfinished, which queries refuse; it goes last.
    """
    asserted, closure = kg.statements(inference=inferred)
    bulk = {"no_transaction": ""}

    unfinished = _manifest("dataset", None, inferred, sent, complete=False)
    at = ox.NamedNode(MANIFEST_GRAPH)
    record = [ox.Quad(t.subject, t.predicate, t.object, at) for t in unfinished]

    def document() -> Iterator[bytes]:
        yield ox.serialize(record, format=ox.RdfFormat.N_QUADS) or b""
        yield from _text_blocks(asserted, sent, "")
        if closure is not None:  # in the same document, so that a blank node stays one node
            yield from _closure_quads(closure, sent, INFERRED_GRAPH)

    conn.request("DELETE", store_url, None, {})
    conn.request("PUT", _with_query(store_url, bulk), _Body(document),
                 {"Content-Type": _N_QUADS})  # fmt: skip
    sent.counts = {"": len(local)}  # the distinct statements, which the store must hold
    # Without a record the layout is what a whole-dataset push leaves (the probe reads the
    # closure from its graph); a record would be one more graph in the union default graph.
    conn.request("DELETE", _with_query(store_url, {"graph": MANIFEST_GRAPH}), None, {})


class _SwitchError(RemoteError):
    """The update that replaces the old data by the staged one failed, or was not answered."""


def _update_url(store_url: str) -> str:
    """Oxigraph's SPARQL Update URL beside its Graph Store URL."""
    parts = urllib.parse.urlsplit(store_url)
    path = parts.path.removesuffix("/store") + "/update"
    return urllib.parse.urlunsplit(parts._replace(path=path, query=""))


def _push_by_graph(
    kg: KnowledgeGraph,
    local: ox.Store,
    store_url: str,
    remote: RemoteKnowledgeGraph,
    conn: Connection,
    graph: str | None,
    inferred: bool,
    sent: _Sent,
) -> None:
    """Virtuoso: no dataset-wide PUT, so graph by graph, between a push record that says
    unfinished and one that says complete.

    The whole dataset streams from the cached statements, as Oxigraph's push does: reading the
    store back cost the client 10 s of CPU at K = 1000, parsing the text 1.3 s. Small graphs (a
    sentence's statements) travel together in one SPARQL Update; large ones as Graph Store POSTs
    of N-Triples, which Virtuoso takes about three times as fast. Virtuoso gives each request's
    blank nodes new identities, so every statement with a blank node waits for the end and goes
    with the others of its graph in one request.
    """
    update_url = remote.endpoint
    gsp_param = "graph-uri" if "sparql-graph-crud" in store_url else "graph"

    def update(text: str) -> None:
        # A raw SPARQL Update body: Virtuoso reads it half as fast again as the same text
        # URL-encoded in a form.
        conn.request("POST", update_url, text.encode("utf-8"), {"Content-Type": _SPARQL_UPDATE},
                     retry=False)  # fmt: skip

    def post(target: str, body: bytes, method: str = "POST") -> None:
        conn.request(method, _with_query(store_url, {gsp_param: target}), body,
                     {"Content-Type": _N_TRIPLES}, retry=method == "PUT")  # fmt: skip

    def record(complete: bool) -> None:
        triples = _manifest(
            "graph" if graph else "dataset", graph, inferred, sent, complete=complete
        )
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        conn.request("PUT", _with_query(store_url, {gsp_param: MANIFEST_GRAPH}), body,
                     {"Content-Type": _N_TRIPLES})  # fmt: skip

    record(complete=False)
    if graph is not None:
        _push_merged(local, graph, inferred, post, update, sent)
    else:
        # Everything the store held goes first (but its push record, which says unfinished
        # now), so that a failure halfway leaves only what this push sent. Virtuoso compiles each
        # DROP into SQL and refuses a request above 10,000 lines of it.
        held = [g for g in _user_graphs(remote) if g != MANIFEST_GRAPH]
        for start in range(0, len(held), _DROPS):
            update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in held[start : start + _DROPS]))
        _stream_statements(*kg.statements(inference=inferred), post, update, remote.values, sent)
        # The store keeps one copy of each statement, as the local store does.
        sent.counts = {"": len(local)}
    record(complete=True)


def _push_merged(
    local: ox.Store,
    graph: str,
    inferred: bool,
    post: Callable[[str, bytes, str], None],
    update: Callable[[str], None],
    sent: _Sent,
) -> None:
    """The union of the local graphs into the one remote graph ``graph``; the statements with
    blank nodes last, all in one request, so that each blank node stays one node."""
    method = "PUT"
    with_blanks: list[ox.Triple] = []
    for name in _graphs(local, inferred):
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
    select: Callable[[str], list[list[str]]],
    sent: _Sent,
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
    by_graph: Mapping[str, list[bytes]],
    post: Callable[[str, bytes], None],
    update: Callable[[str], None],
    select: Callable[[str], list[list[str]]],
    sent: _Sent,
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
    for name, lines in by_graph.items():
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
    graph: ox.NamedNode, mark: ox.NamedNode, select: Callable[[str], list[list[str]]]
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


def _what_it_holds(remote: RemoteKnowledgeGraph, store: str, sent: _Sent, bulk: bool, *,
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


def _what_it_holds_now(remote: RemoteKnowledgeGraph, sent: _Sent) -> str:
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


def _user_graphs(remote: RemoteKnowledgeGraph) -> list[str]:
    """Every graph of a Virtuoso store but its system graphs, a page at a time (its row cap)."""
    found: list[str] = []
    page = 500
    while True:
        text = (
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
            f"{system_filter('?g', keep=False)} }} ORDER BY ?g LIMIT {page} OFFSET {len(found)}"
        )
        rows = [row[0] for row in remote.values(text)]
        found += rows
        if len(rows) < page:
            return found


def _verify(
    remote: RemoteKnowledgeGraph, store: str, graph: str | None, sent: _Sent, *, record: bool
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
    record_size = len(_manifest("", graph, True, sent, complete=True)) if record else 0
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
    from .files import write_output

    asserted, closure = kg.statements(inference=inferred)
    sent = _Sent({}, started=time.monotonic())

    def write(out: BinaryIO) -> None:
        for block in _text_blocks(asserted, sent, ""):
            out.write(block)
        if closure is not None:
            for block in _closure_quads(closure, sent, INFERRED_GRAPH):
                out.write(block)

    write_output(output, write)
    return sent.total


def _text_blocks(path: Path, sent: _Sent, graph: str) -> Iterator[bytes]:
    """The lines of a cached statements file, a few megabytes at a time, counted as sent."""
    with path.open("rb") as text:
        while block := b"".join(text.readlines(_TEXT_BLOCK)):
            sent.add(graph, block.count(b"\n"))
            yield block


def _closure_quads(closure: Path, sent: _Sent, graph: str) -> Iterator[bytes]:
    """The cached closure's N-Triples as N-Quads in ``graph``, a few megabytes at a time."""
    # A line of N-Triples ends in " .": a raw line break cannot occur inside a term.
    in_graph = f" {ox.NamedNode(graph)} .\n".encode()
    for block in _text_blocks(closure, sent, graph):
        yield block.replace(b" .\n", in_graph)


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


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params)]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _strip_userinfo(url: str) -> str:
    """The URL without user name or password: what may be sent as the target, or shown."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class _Digest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once challenged, answers up front on every later request.

    Asked without credentials, Virtuoso answers 401 before it reads the body and closes the
    connection: on a body of megabytes the client is still writing and gets a broken pipe, not
    the challenge. So the last challenge is kept and answered up front (the nonce count rises).
    """

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self.challenge: dict[str, str] | None = None

    def get_authorization(self, req: urllib.request.Request, chal: Mapping[str, str]) -> str | None:
        self.challenge = dict(chal)
        return super().get_authorization(req, chal)

    def up_front(self, request: urllib.request.Request) -> str | None:
        """The answer to the last challenge for ``request``, or None before any challenge."""
        if self.challenge is None:
            return None
        return super().get_authorization(request, self.challenge)


#: One opener per host and credentials, so that a digest challenge is answered up front after.
_openers: dict[tuple[str, str, str], tuple[urllib.request.OpenerDirector, _Digest]] = {}


def _opener(url: str) -> tuple[urllib.request.OpenerDirector, dict[str, str], _Digest | None]:
    """An opener that answers a digest challenge, the headers sent up front, its digest handler.

    ``DEFENDERS_KG_TOKEN`` gives a bearer token; ``DEFENDERS_KG_USER`` and
    ``DEFENDERS_KG_PASSWORD`` (or the URL's user info, or ``~/.netrc``) give basic authentication,
    sent up front, or digest (Virtuoso) or basic when the server challenges. A host that refused
    basic credentials sent up front gets only answers to its challenges from then on.
    """
    token = os.environ.get("DEFENDERS_KG_TOKEN")
    if token:
        return urllib.request.build_opener(), {"Authorization": f"Bearer {token}"}, None
    parts = urllib.parse.urlsplit(url)
    user, password = os.environ.get("DEFENDERS_KG_USER"), os.environ.get("DEFENDERS_KG_PASSWORD")
    if not user and parts.username:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
    if not user and parts.hostname:
        try:
            entry = netrc.netrc().authenticators(parts.hostname)
        except (OSError, netrc.NetrcParseError):
            entry = None
        if entry:
            user, password = entry[0], entry[2]
    if not user:
        return urllib.request.build_opener(), {}, None
    shown = _strip_userinfo(url)
    key = (urllib.parse.urlsplit(shown).netloc, user, password or "")
    if key not in _openers:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        # For the whole host: the same opener answers its query and its Graph Store URLs.
        root = urllib.parse.urlunsplit((*urllib.parse.urlsplit(shown)[:2], "/", "", ""))
        passwords.add_password(None, root, user, password or "")
        digest = _Digest(passwords)
        opener = urllib.request.build_opener(digest, urllib.request.HTTPBasicAuthHandler(passwords))
        _openers[key] = (opener, digest)
    opener, digest = _openers[key]
    pair = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return opener, {"Authorization": f"Basic {pair}"}, digest
