"""A blank node of the user's data is one node in the asserted layer and in the closure: a join
across the two gives the export's answer through the library, the CLI and after a push."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
from servers import oxigraph, virtuoso
from tools import require

from defenders_kg import Connection, KnowledgeGraph, RemoteKnowledgeGraph, push
from defenders_kg.cli import main

FAST = Connection(timeout=60, retries=1, backoff=0.01)

TURTLE = """\
@prefix dkg: <https://w3id.org/defenders-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <https://example.org/> .
_:x a dkg:Person ; rdfs:label "Anonymous actor"@en .
ex:crew ex:members ( [ a dkg:Person ; rdfs:label "Listed one"@en ] ex:named ) .
ex:Hero rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:side ; owl:hasValue ex:good ] .
ex:someone a ex:Hero .
"""

JSONLD = {
    "@context": {"dkg": "https://w3id.org/defenders-kg/ontology#",
                 "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
    "@type": "dkg:Person",
    "rdfs:label": {"@value": "No identifier", "@language": "en"},
}  # fmt: skip

#: Each joins an asserted statement about a blank node with an inferred one.
JOINS = {
    "anonymous": """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX schema: <https://schema.org/>
        SELECT ?name WHERE { ?x rdfs:label ?name ; a schema:Person FILTER(isBlank(?x)) }
        ORDER BY ?name""",
    "list": """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX schema: <https://schema.org/>
        SELECT ?m WHERE { <https://example.org/crew> <https://example.org/members>/rdf:first ?m .
                          ?m a schema:Person } """,
    "restriction": """PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?who ?value WHERE { ?who a ?r . ?r owl:hasValue ?value FILTER(isBlank(?r)) }""",
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("blank")
    (folder / "anon.ttl").write_text(TURTLE, encoding="utf-8")
    (folder / "anon.jsonld").write_text(json.dumps(JSONLD), encoding="utf-8")
    return [folder / "anon.ttl", folder / "anon.jsonld"]


@pytest.fixture(scope="module")
def user_kg(data: list[Path]) -> KnowledgeGraph:
    return KnowledgeGraph(data)


@pytest.fixture(scope="module")
def exported(user_kg: KnowledgeGraph) -> ox.Store:
    """The export in pyoxigraph with the union default graph: the answers to compare with."""
    store = ox.Store()
    store.bulk_extend(ox.parse(user_kg.export("nquads"), format=ox.RdfFormat.N_QUADS))
    return store


def answer(store: ox.Store, text: str) -> list[tuple[str, ...]]:
    solutions = store.query(text, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return sorted(tuple(_shape(t) for t in row) for row in solutions)


def _shape(term: object) -> str:
    """A term as compared across stores: blank node labels differ from store to store."""
    return "_:blank" if isinstance(term, ox.BlankNode) else str(term)


def rows(result: object) -> list[tuple[str, ...]]:
    return sorted(tuple(_shape(t) for t in row) for row in result.rows)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(JOINS))
def test_a_join_across_the_layers_gives_the_exports_answer(
    name: str, user_kg: KnowledgeGraph, exported: ox.Store
) -> None:
    expected = answer(exported, JOINS[name])
    assert expected, "the export itself answers the join"
    assert rows(user_kg.sparql(JOINS[name])) == expected


def test_a_json_ld_node_without_an_id_joins_its_inferred_type(user_kg: KnowledgeGraph) -> None:
    names = [row[0] for row in rows(user_kg.sparql(JOINS["anonymous"]))]
    assert names == ['"Anonymous actor"@en', '"Listed one"@en', '"No identifier"@en']


def test_the_cli_and_a_rebuilt_cache_give_the_same_blank_node_labels(
    data: list[Path], capsys: pytest.CaptureFixture[str], cache_dir: Path
) -> None:
    argv = [arg for path in data for arg in ("--data", str(path))]
    query = "SELECT ?x WHERE { ?x a <https://schema.org/Person> } ORDER BY ?x"
    assert main([*argv, "sparql", query, "--format", "csv"]) == 0
    first = capsys.readouterr().out
    assert first.count("_:") == 3
    shutil.rmtree(cache_dir)
    assert main([*argv, "sparql", query, "--format", "csv"]) == 0
    assert capsys.readouterr().out == first


def test_stores_filled_a_few_quads_at_a_time_keep_the_labels_of_the_text(
    data: list[Path], exported: ox.Store, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from defenders_kg import kg as kg_module

    monkeypatch.setattr(kg_module, "_BATCH", 7)  # hundreds of bulk loads per layer
    graph = KnowledgeGraph(data)
    asserted, closure = graph.statements(inference=True)
    assert closure is not None
    text = [*ox.parse(path=asserted, format=ox.RdfFormat.N_QUADS)]
    text += ox.parse(path=closure, format=ox.RdfFormat.N_TRIPLES)
    stored = graph.store(inference=True)
    assert len(stored) > 100 * 7
    assert _blank_labels(stored) == _blank_labels(text) != set()
    for name in sorted(JOINS):
        assert rows(graph.sparql(JOINS[name])) == answer(exported, JOINS[name])


def _blank_labels(statements: Iterable[ox.Quad | ox.Triple]) -> set[str]:
    return {
        term.value
        for statement in statements
        for term in (statement.subject, statement.object)
        if isinstance(term, ox.BlankNode)
    }


def test_describe_of_a_blank_node_shows_its_inferred_triples(user_kg: KnowledgeGraph) -> None:
    described = user_kg.describe("Anonymous actor")
    predicates = {t.predicate.value for t in described.triples}
    assert "https://schema.org/name" in predicates  # inferred from rdfs:label
    assert "http://www.w3.org/2000/01/rdf-schema#label" in predicates


def test_the_endpoint_with_two_workers_gives_the_exports_answer(
    data: list[Path], exported: ox.Store, tmp_path: Path
) -> None:
    import sys

    from servers import free_port, running

    port = free_port()
    command = [sys.executable, "-m", "defenders_kg", *[a for p in data for a in ("--data", str(p))],
               "serve", "--port", str(port), "--workers", "2"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/queries", env={"DEFENDERS_KG_CACHE_DIR": str(tmp_path)}):
        remote = RemoteKnowledgeGraph(f"{base}/sparql", FAST)
        for _ in range(3):  # more answers than workers, so each worker answers
            for text in JOINS.values():
                assert rows(remote.sparql(text)) == answer(exported, text)


@pytest.mark.parametrize("atomic", [True, False], ids=["staged", "in-place"])
def test_after_a_push_to_oxigraph_the_join_gives_the_exports_answer(
    atomic: bool, user_kg: KnowledgeGraph, exported: ox.Store, tmp_path: Path
) -> None:
    with oxigraph(str(tmp_path / "store")) as base:
        push(user_kg, f"{base}/store", connection=FAST, atomic=atomic)
        remote = RemoteKnowledgeGraph(f"{base}/query", FAST)
        for text in JOINS.values():
            assert rows(remote.sparql(text)) == answer(exported, text)


def test_after_a_push_to_virtuoso_the_join_gives_the_exports_answer(
    user_kg: KnowledgeGraph, exported: ox.Store, tmp_path: Path
) -> None:
    require(shutil.which("virtuoso-t"), "needs Virtuoso (apt-get install virtuoso-opensource)")
    with virtuoso(str(tmp_path), stock=True) as server:
        push(user_kg, server.store, connection=FAST)
        remote = RemoteKnowledgeGraph(f"{server.base}/sparql", FAST)
        for text in JOINS.values():
            assert rows(remote.sparql(text)) == answer(exported, text)
        push(user_kg, server.store, connection=FAST, graph="https://example.org/merged")
        merged = RemoteKnowledgeGraph(f"{server.base}/sparql", FAST)
        for text in JOINS.values():
            assert rows(merged.sparql(text)) == answer(exported, text)


#: Ad-hoc queries for the differential test: blank nodes as subjects, objects, in paths,
#: functions and aggregates, over both layers.
AD_HOC = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s)) }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?o)) }",
    "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s)) }",
    "SELECT ?type (COUNT(?x) AS ?n) WHERE { ?x a ?type FILTER(isBlank(?x)) } GROUP BY ?type",
    "SELECT ?name WHERE { ?x rdfs:label ?name ; a schema:Person FILTER(isBlank(?x)) }",
    "SELECT ?m WHERE { ?list rdf:first ?m . ?m a schema:Person }",
    "SELECT ?m WHERE { ?l rdf:rest*/rdf:first ?m FILTER(isBlank(?l)) }",
    "SELECT ?who ?v WHERE { ?who a ?r . ?r owl:hasValue ?v }",
    "SELECT ?who ?p ?v WHERE { ?who a ?r . ?r owl:onProperty ?p ; owl:hasValue ?v . ?who ?p ?v }",
    "SELECT ?x WHERE { ?x a dkg:Person MINUS { ?x a schema:Person } }",
    "SELECT ?x WHERE { ?x a schema:Person FILTER NOT EXISTS { ?x rdfs:label ?l } }",
    "ASK { ?x a dkg:Person ; a schema:Person FILTER(isBlank(?x)) }",
    "SELECT ?x ?n WHERE { ?x schema:name ?n OPTIONAL { ?x rdfs:label ?l } FILTER(!BOUND(?l)) }",
    "SELECT (SAMPLE(isBlank(?x)) AS ?b) WHERE { ?x rdfs:label 'Anonymous actor'@en }",
    "SELECT ?x ?y WHERE { ?x a dkg:Person . ?y a dkg:Person FILTER(isBlank(?x) && ?x = ?y) }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s)) } } GROUP BY ?g",
    "SELECT ?p WHERE { ?x rdfs:label 'No identifier'@en ; ?p ?o }",
    "SELECT ?o WHERE { ?x rdfs:label 'Listed one'@en ; a ?o }",
    "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o FILTER(isBlank(?x)) }",
    "DESCRIBE ?x WHERE { ?x rdfs:label 'Anonymous actor'@en }",
]


@pytest.fixture(scope="module")
def differential(data: list[Path], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The embedded graph, a small synthetic franchise and the blank-node files, as --data."""
    synthetic = tmp_path_factory.mktemp("synth") / "k2.nq"
    assert main(["synth", "--scale", "2", "-o", str(synthetic)]) == 0
    return ["--with-embedded", *[a for p in [*data, synthetic] for a in ("--data", str(p))]]


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str], *, graph: bool) -> list[str]:
    capsys.readouterr()
    assert main(argv) == 0
    return _canonical(capsys.readouterr().out.encode("utf-8"), graph=graph)


def _canonical(body: bytes, *, graph: bool) -> list[str]:
    if graph:
        triples = ox.parse(body, format=ox.RdfFormat.TURTLE)
        return sorted(
            " ".join(_shape(x) for x in (t.subject, t.predicate, t.object)) for t in triples
        )
    answered = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(answered, ox.QueryBoolean):
        return [str(bool(answered))]
    return sorted(" ".join(_shape(t) for t in row) for row in answered)


def _oxigraph(store: ox.Store, text: str) -> list[str]:
    answered = store.query(text, use_default_graph_as_union=True)
    if isinstance(answered, ox.QueryBoolean):
        return [str(bool(answered))]
    if isinstance(answered, ox.QueryTriples):
        return sorted(" ".join(_shape(x) for x in (t.subject, t.predicate, t.object))
                      for t in answered)  # fmt: skip
    return sorted(" ".join(_shape(t) for t in row) for row in answered)


def test_every_canned_query_and_twenty_ad_hoc_ones_match_the_export_in_pyoxigraph(
    differential: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from stores import example_params

    from defenders_kg.policy import query_form, with_prefixes
    from defenders_kg.queries import get_query, list_queries
    from defenders_kg.vocab import PREFIXES

    stores = {}
    for inferred, flag in ((True, "--inferred"), (False, "--asserted")):
        export = tmp_path / f"{flag[2:]}.nq"
        assert main([*differential, "export", flag, "--format", "nquads", "-o", str(export)]) == 0
        stores[inferred] = ox.Store()
        stores[inferred].bulk_extend(ox.parse(path=export, format=ox.RdfFormat.N_QUADS))
    store = stores[True]
    compared = 0
    for query in list_queries():
        params = example_params(query)
        canned = get_query(query.name)
        text = canned.bind(params)
        graph = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        argv = [*differential, "query", query.name, *([] if graph else ["--format", "json"])]
        argv += [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
        assert _cli(argv, capsys, graph=graph) == _oxigraph(stores[canned.closure(None)], text), (
            query.name
        )
        compared += 1
    for text in AD_HOC:
        argv = [*differential, "sparql", text]
        argv += ["--format", "turtle" if text.startswith(("CONSTRUCT", "DESCRIBE")) else "json"]
        graph = text.startswith(("CONSTRUCT", "DESCRIBE"))
        assert _cli(argv, capsys, graph=graph) == _oxigraph(store, with_prefixes(text, PREFIXES)), (
            text
        )
        compared += 1
    assert compared == len(list_queries()) + 20
