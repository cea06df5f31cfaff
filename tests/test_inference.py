"""OWL-RL inference: consistency, entailments that must and must not hold, the junk filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from defenders_kg import InconsistencyError, KnowledgeGraph, infer
from defenders_kg.inference import VOCABULARY_NAMESPACES
from defenders_kg.vocab import GENID

ENTAILMENT = Path(__file__).parent / "entailment"
TRUE_FILES = sorted(ENTAILMENT.glob("*-true.ttl"))
FALSE_FILES = sorted(ENTAILMENT.glob("*-false.ttl"))


def test_entailment_files_exist() -> None:
    assert len(TRUE_FILES) >= 3 and len(FALSE_FILES) >= 2


@pytest.mark.parametrize("path", TRUE_FILES, ids=lambda p: p.stem)
def test_entailed(path: Path, closure: Graph) -> None:
    expected = Graph().parse(path, format="turtle")
    assert len(expected) > 0
    missing = [t for t in expected if t not in closure]
    assert not missing, f"not entailed: {missing}"


@pytest.mark.parametrize("path", FALSE_FILES, ids=lambda p: p.stem)
def test_not_entailed(path: Path, closure: Graph) -> None:
    forbidden = Graph().parse(path, format="turtle")
    assert len(forbidden) > 0
    present = [t for t in forbidden if t in closure]
    assert not present, f"wrongly entailed: {present}"


def test_closure_is_consistent(closure: Graph) -> None:
    assert not list(closure.subjects(RDF.type, OWL.Nothing))
    assert not [t for t in closure if "daml.org" in str(t[1]) or "daml.org" in str(t[2])]


def test_all_fifteen_actors_are_on_the_series(closure: Graph) -> None:
    actors = set(
        closure.objects(
            URIRef("https://w3id.org/defenders-kg/resource/the-defenders"),
            URIRef("https://schema.org/actor"),
        )
    )
    # schema:actor reaches the fifteen people and their fifteen PerformanceRoles (issue 12).
    people = {a for a in actors if (a, RDF.type, URIRef("https://schema.org/Person")) in closure}
    roles = {
        a for a in actors if (a, RDF.type, URIRef("https://schema.org/PerformanceRole")) in closure
    }
    assert len(people) == 15 and len(roles) == 15 and actors == people | roles


def test_closure_has_no_junk(kg: KnowledgeGraph) -> None:
    inferred = kg.inferred()
    assert len(inferred) > 500
    for s, p, o in inferred:
        assert not isinstance(s, Literal)
        assert not (p == OWL.sameAs and s == o)
        assert not str(s).startswith(VOCABULARY_NAMESPACES)
        assert not str(p).startswith(GENID)


def test_inferred_triples_are_not_asserted(kg: KnowledgeGraph) -> None:
    from defenders_kg.load import union

    asserted = union(kg.asserted())
    assert not [t for t in kg.inferred() if t in asserted]


def test_infer_does_not_mutate_its_input(kg: KnowledgeGraph) -> None:
    from defenders_kg.load import union

    graph = union(kg.asserted())
    before = Graph()
    for triple in graph:
        before.add(triple)
    infer(graph)
    assert isomorphic(graph, before)


def test_an_inconsistency_is_an_error() -> None:
    graph = Graph().parse(
        format="turtle",
        data="""
        @prefix dkg: <https://w3id.org/defenders-kg/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        dkg:Person owl:disjointWith dkg:FictionalCharacter .
        <urn:x> a dkg:Person, dkg:FictionalCharacter .""",
    )
    with pytest.raises(InconsistencyError, match="inconsistent"):
        infer(graph)
