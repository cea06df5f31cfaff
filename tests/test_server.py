"""The SPARQL endpoint: protocol, content negotiation, and safety against hostile queries."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from defenders_kg import KnowledgeGraph

SELECT = """PREFIX dkg: <https://w3id.org/defenders-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name ?character WHERE { ?credit dkg:actor/rdfs:label ?name .
  OPTIONAL { ?credit dkg:character/rdfs:label ?character } } ORDER BY ?name"""
CONSTRUCT = """PREFIX dkg: <https://w3id.org/defenders-kg/ontology#>
CONSTRUCT { ?work dkg:hasCastMember ?person } WHERE { ?work dkg:hasCastMember ?person }"""
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def call(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def form(query: str, **extra: str) -> bytes:
    return urllib.parse.urlencode({"query": query, **extra}).encode()


def wrapper(endpoint: str, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{endpoint}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod("POST")
    return client


def test_sparqlwrapper_select_json_equals_the_cli(endpoint: str, kg: KnowledgeGraph) -> None:
    answer = wrapper(endpoint, SELECT, JSON).query().convert()
    assert answer == json.loads(kg.sparql(SELECT).serialize("json"))
    assert len(answer["results"]["bindings"]) == 15  # type: ignore[index]


@pytest.mark.parametrize(("fmt", "kind"), [(XML, ox.QueryResultsFormat.XML), (CSV, None)])
def test_sparqlwrapper_select_xml_and_csv(
    endpoint: str, kg: KnowledgeGraph, fmt: str, kind: object
) -> None:
    body = wrapper(endpoint, SELECT, fmt).query().response.read()
    expected = kg.sparql(SELECT)
    if kind is None:
        assert body.decode() == expected.serialize("csv")
    else:
        parsed = ox.parse_query_results(body, format=kind)  # type: ignore[arg-type]
        assert [tuple(s[v] for v in expected.variables) for s in parsed] == expected.rows


def test_sparqlwrapper_ask_and_construct(endpoint: str, kg: KnowledgeGraph) -> None:
    ask = "ASK { ?s a <https://schema.org/TVSeries> }"
    assert wrapper(endpoint, ask, JSON).query().convert()["boolean"] is True  # type: ignore[index]
    turtle = wrapper(endpoint, CONSTRUCT, TURTLE).query().response.read()
    remote = Graph().parse(data=turtle, format="turtle")
    local = Graph().parse(data=kg.sparql(CONSTRUCT).serialize("turtle"), format="turtle")
    assert len(remote) == 15 and isomorphic(remote, local)


def test_get_and_direct_post_and_negotiation(endpoint: str) -> None:
    url = f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": SELECT})
    status, headers, body = call(url, headers={"Accept": "text/tab-separated-values"})
    assert status == 200 and headers["content-type"].startswith("text/tab-separated-values")
    assert body.decode().startswith("?name\t?character")
    status, headers, body = call(
        f"{endpoint}/sparql", SELECT.encode(), {"Content-Type": "application/sparql-query"}
    )
    assert status == 200 and headers["content-type"] == "application/sparql-results+json"
    status, headers, _ = call(
        f"{endpoint}/sparql", form(CONSTRUCT), {"Accept": "application/n-triples"}
    )
    assert status == 200 and headers["content-type"].startswith("application/n-triples")


def test_service_description(endpoint: str) -> None:
    status, headers, body = call(f"{endpoint}/sparql")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=body, format="turtle")
    assert any("sparql-service-description#Service" in str(o) for o in description.objects())


def test_canned_queries(endpoint: str) -> None:
    status, _, body = call(f"{endpoint}/queries")
    assert status == 200 and "actors-reprising-roles" in {q["name"] for q in json.loads(body)}
    url = f"{endpoint}/queries/cast?" + urllib.parse.urlencode({"actorName": "Élodie Yung"})
    status, _, body = call(url, headers={"Accept": "text/csv"})
    assert status == 200 and body.decode().splitlines()[1].startswith("The Defenders,Élodie Yung")
    assert call(f"{endpoint}/queries/nope")[0] == 404
    assert call(f"{endpoint}/queries/cast?colour=red")[0] == 400


def test_cors_headers(endpoint: str) -> None:
    _, headers, _ = call(f"{endpoint}/queries", headers={"Origin": "https://example.org"})
    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers


@pytest.mark.parametrize(
    ("data", "headers", "status", "message"),
    [
        (form("SELECT ?x WHERE { ?x ?y }"), {}, 400, "malformed SPARQL: line 1"),
        (form("ASK {}"), {"Accept": "text/csv"}, 406, "cannot answer a ASK"),
        (form(SELECT), {"Accept": "image/png"}, 406, "offered"),
        (
            urllib.parse.urlencode({"update": "INSERT DATA { <a:a> <a:a> <a:a> }"}).encode(),
            {},
            403,
            "read-only",
        ),
        (
            b"INSERT DATA { <a:a> <a:a> <a:a> }",
            {"Content-Type": "application/sparql-update"},
            403,
            "read-only",
        ),
        (form("DELETE WHERE { ?s ?p ?o }"), {}, 403, "updates (DELETE) are refused"),
        (form("LOAD <http://127.0.0.1:9/x>"), {}, 403, "updates (LOAD) are refused"),
        (form(SELECT, **{"default-graph-uri": "urn:g"}), {}, 400, "refused"),
        (form(SELECT + " " * 9000), {}, 413, "longer than"),
        (SELECT.encode(), {"Content-Type": "text/plain"}, 415, "unsupported Content-Type"),
        (form(SELECT) + b"&" + form(SELECT), {}, 400, "exactly one"),
        (form("SELECT * WHERE { ?s ?p ?o }"), {}, 400, "more than 500 rows"),
    ],
)
def test_protocol_errors(
    endpoint: str, data: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    actual, _, body = call(f"{endpoint}/sparql", data, headers)
    assert actual == status
    assert message in body.decode()


def test_a_long_query_string_is_refused(endpoint: str) -> None:
    url = f"{endpoint}/sparql?" + urllib.parse.urlencode({"query": SELECT + "#" * 9000})
    assert call(url)[0] == 413


class _Listener:
    """A loopback TCP listener that records whether anybody connected."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/sparql"

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
                self.connections += 1
                connection.close()
            except TimeoutError:
                continue

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.socket.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s a ?c OPTIONAL {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }}",
        "ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    ],
)
def test_service_never_reaches_out(endpoint: str, template: str) -> None:
    listener = _Listener()
    try:
        status, _, body = call(f"{endpoint}/sparql", form(template.format(url=listener.url)))
        time.sleep(0.3)
        assert status == 400 and b"SERVICE" in body
        assert listener.connections == 0
    finally:
        listener.close()


@pytest.mark.parametrize("clause", ["FROM", "FROM NAMED"])
def test_from_never_reads_a_file(endpoint: str, tmp_path: Path, clause: str) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_text('<urn:x> <urn:y> "TOP-SECRET-VALUE" .\n', encoding="utf-8")
    pattern = "{ ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } }"
    query = f"SELECT * {clause} <{secret.as_uri()}> WHERE {{ {pattern} }}"
    status, _, body = call(f"{endpoint}/sparql", form(query))
    assert status == 400
    assert b"TOP-SECRET-VALUE" not in body


def test_a_runaway_query_is_stopped_and_the_server_goes_on(endpoint: str) -> None:
    status, _, body = call(f"{endpoint}/sparql", form(CROSS_PRODUCT))
    assert status == 503 and b"time limit of 2 s" in body
    assert call(f"{endpoint}/sparql", form("ASK {}"))[0] == 200


def test_a_slow_query_does_not_block_others(endpoint: str) -> None:
    slow = threading.Thread(target=call, args=(f"{endpoint}/sparql", form(CROSS_PRODUCT)))
    slow.start()
    time.sleep(0.3)
    assert call(f"{endpoint}/sparql", form(SELECT))[0] == 200
    assert slow.is_alive(), "the quick query was answered while the slow one still ran"
    slow.join()


def test_the_row_limit_stops_evaluation_at_once(endpoint: str) -> None:
    # Without the row limit this cross product would run into the 2 s time limit (503).
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    status, _, body = call(f"{endpoint}/sparql", form(query))
    assert status == 400 and b"more than 500 rows" in body


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        (SELECT, "application/json", "application/json"),
        ("ASK {}", "application/json", "application/json"),
        (CONSTRUCT, "application/rdf+xml", "application/rdf+xml"),
        ("DESCRIBE <https://w3id.org/defenders-kg/resource/charlie-cox>", "application/rdf+xml",
         "application/rdf+xml"),
    ],
)  # fmt: skip
def test_json_and_rdfxml_are_offered(
    endpoint: str, query: str, accept: str, media_type: str
) -> None:
    status, headers, body = call(f"{endpoint}/sparql", form(query), {"Accept": accept})
    assert status == 200 and headers["content-type"].startswith(media_type)
    if media_type == "application/rdf+xml":
        assert list(ox.parse(body, format=ox.RdfFormat.RDF_XML))
    else:
        json.loads(body)


def test_sparqlwrapper_default_construct_is_rdfxml(endpoint: str, kg: KnowledgeGraph) -> None:
    client = SPARQLWrapper(f"{endpoint}/sparql")
    client.setQuery(CONSTRUCT)
    graph = client.queryAndConvert()
    assert isinstance(graph, Graph)
    expected = Graph().parse(data=kg.sparql(CONSTRUCT).serialize("nt"), format="nt")
    assert len(graph) > 10 and isomorphic(graph, expected)


def test_from_gets_the_message_the_library_gives(endpoint: str, kg: KnowledgeGraph) -> None:
    from defenders_kg import QueryRefusedError

    query = "SELECT * FROM <https://w3id.org/defenders-kg/graph/ontology> WHERE { ?s ?p ?o }"
    with pytest.raises(QueryRefusedError) as refusal:
        kg.sparql(query)
    status, _, body = call(f"{endpoint}/sparql", form(query))
    assert status == 400 and body.decode().strip() == str(refusal.value)


def test_deep_nesting_is_refused_before_the_engine(endpoint: str) -> None:
    query = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    status, _, body = call(
        f"{endpoint}/sparql", query.encode(), {"Content-Type": "application/sparql-query"}
    )
    assert status in (400, 413)
    shallow = "SELECT * WHERE " + "{" * 100 + "}" * 100
    status, _, body = call(f"{endpoint}/sparql", form(shallow))
    assert status == 400 and b"nests brackets more than 32 deep" in body


def test_a_crashed_worker_is_reported_as_a_crash(kg: KnowledgeGraph) -> None:
    import asyncio
    import os
    import signal

    from defenders_kg.web.pool import Limits, QueryPool
    from defenders_kg.web.worker import Reply

    async def crash_then_ask(pool: QueryPool) -> tuple[Reply, Reply]:
        asking = asyncio.create_task(pool.answer(CROSS_PRODUCT, "json", "application/json"))
        await asyncio.sleep(1.0)
        for process in pool.processes():
            os.kill(process, signal.SIGKILL)
        crashed = await asking
        return crashed, await pool.answer("ASK {}", "json", "application/json")

    pool = QueryPool(kg, Limits(timeout=30, workers=1))
    try:
        crashed, after = asyncio.run(crash_then_ask(pool))
    finally:
        pool.close()
    assert crashed.status == 500 and b"crashed" in crashed.body
    assert after.status == 200


def test_the_store_is_held_in_memory_only_where_a_worker_for_each_slot_fits() -> None:
    from defenders_kg.web.pool import BYTES_PER_QUAD, MEMORY_SHARE, Limits, Plan, plan

    limits = Limits(workers=2, max_queue=16)
    size = 1_000_000 * BYTES_PER_QUAD
    assert plan(1_000_000, limits, 100 * size) == Plan(in_memory=True, processes=19)
    # The zygote and three workers (two slots, one quick query): in memory, three at once.
    assert plan(1_000_000, limits, math.ceil(4 * size / MEMORY_SHARE)) == Plan(True, 3)
    assert plan(1_000_000, limits, 3 * size) == Plan(in_memory=False, processes=19)


COMMENTED_CONSTRUCT = """PREFIX dkg: <https://w3id.org/defenders-kg/ontology#> # the ontology
# a whole-line comment
CONSTRUCT { ?work dkg:hasCastMember ?person } # what comes back
WHERE { ?work dkg:hasCastMember ?person }"""


def test_a_construct_with_comments_gets_the_same_triples_from_library_cli_and_endpoint(
    endpoint: str, kg: KnowledgeGraph, tmp_path: Path
) -> None:
    expected = set(kg.sparql(COMMENTED_CONSTRUCT).triples)
    assert len(expected) == 15
    status, headers, body = call(
        f"{endpoint}/sparql", form(COMMENTED_CONSTRUCT), {"Accept": "text/turtle"}
    )
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert {q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE)} == expected
    query_file = tmp_path / "q.rq"
    query_file.write_text(COMMENTED_CONSTRUCT, encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "defenders_kg", "sparql", "--file", str(query_file)],
        capture_output=True, check=True,
    )  # fmt: skip
    assert {q.triple for q in ox.parse(cli.stdout, format=ox.RdfFormat.TURTLE)} == expected


#: Every canned query, by name, with the parameters a required one needs.
CANNED = {
    "actors-reprising-roles": {}, "based-on": {}, "cast": {}, "characters": {}, "creators": {},
    "describe": {"entity": "Matt Murdock"}, "evidence": {"entity": "Charlie Cox"},
    "filming": {}, "new-cast": {}, "production-companies": {}, "reception": {}, "release": {},
    "returning-cast": {}, "showrunners": {}, "stats": {}, "timeline": {}, "universe": {},
    "viewership": {},
}  # fmt: skip


def test_the_catalogue_is_the_eighteen_queries_checked_below() -> None:
    from defenders_kg import list_queries

    assert sorted(q.name for q in list_queries()) == sorted(CANNED)


@pytest.mark.parametrize("name", sorted(CANNED))
def test_every_canned_query_answers_the_same_from_library_cli_and_endpoint(
    endpoint: str, kg: KnowledgeGraph, name: str
) -> None:
    params = CANNED[name]
    result = kg.query(name, params)
    # A graph result as N-Triples (one triple a line, in a canonical order), rows as CSV.
    fmt, media_type = (
        ("nt", "application/n-triples") if result.kind == "graph" else ("csv", "text/csv")
    )
    expected = result.serialize(fmt)
    assert expected.count("\n") > 1, "a query that answers nothing shows no agreement"
    url = f"{endpoint}/queries/{name}?{urllib.parse.urlencode(params)}"
    status, _, body = call(url, headers={"Accept": media_type})
    assert status == 200, body
    assert body.decode("utf-8") == expected
    given = [f"--param={key}={value}" for key, value in params.items()]
    cli = subprocess.run(
        [sys.executable, "-m", "defenders_kg", "query", name, *given, "--format", fmt],
        capture_output=True, check=True,
    )  # fmt: skip
    assert cli.stdout.decode("utf-8") == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sparql",
        "/queries",
        "/queries/cast",
        "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}),
    ],
)
def test_every_answer_with_a_body_has_an_etag_that_a_client_can_revalidate(
    endpoint: str, path: str
) -> None:
    status, headers, body = call(endpoint + path)
    assert status == 200 and body
    etag = headers["etag"]
    assert etag.startswith('"') and "Accept" in headers["vary"]
    for tags in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        assert call(endpoint + path, headers={"If-None-Match": tags})[0] == 304, tags
    assert call(endpoint + path, headers={"If-None-Match": '"other"'})[0] == 200
