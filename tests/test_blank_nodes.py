"""A blank node of the user's data is one node in the asserted layer and in the closure: a join
across the two gives the export's answer through the library, the CLI and after a push."""

from __future__ import annotations

import json
import shutil
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


def test_describe_of_a_blank_node_shows_its_inferred_triples(user_kg: KnowledgeGraph) -> None:
    described = user_kg.describe("Anonymous actor")
    predicates = {t.predicate.value for t in described.triples}
    assert "https://schema.org/name" in predicates  # inferred from rdfs:label
    assert "http://www.w3.org/2000/01/rdf-schema#label" in predicates


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
