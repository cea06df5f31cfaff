"""The fast reasoner gives exactly owlrl's closure (after the junk filter), or defers to owlrl."""

from __future__ import annotations

import pytest

from defenders_kg import InconsistencyError, KnowledgeGraph, load
from defenders_kg.inference import _owlrl, infer_triples, tbox_closure, to_triples
from defenders_kg.reasoner import Triple, UnsupportedRuleError, compile_rules, materialize
from defenders_kg.synth import synthesize
from defenders_kg.vocab import ONTOLOGY_GRAPH

DKG = "https://w3id.org/defenders-kg/ontology#"
DKGR = "https://w3id.org/defenders-kg/resource/"


@pytest.fixture(scope="module")
def ontology() -> set[Triple]:
    from rdflib import URIRef

    dataset = load.load_sources(load.ontology_sources())
    return to_triples(dataset.graph(URIRef(ONTOLOGY_GRAPH)))


@pytest.fixture(scope="module")
def tbox(ontology: set[Triple]) -> set[Triple]:
    return tbox_closure(ontology)


def owlrl_reference(ontology: set[Triple], facts: set[Triple]) -> set[Triple]:
    from rdflib import Graph

    data = "".join(f"{s} {p} {o} .\n" for s, p, o in ontology | facts)
    closure = to_triples(_owlrl(Graph().parse(data=data, format="nt")))
    return closure - ontology - facts


def embedded_facts() -> set[Triple]:
    quads = load.load_quads(load.embedded_sources())
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in quads}


def test_equal_to_owlrl_on_the_embedded_graph(ontology: set[Triple], tbox: set[Triple]) -> None:
    facts = embedded_facts()
    fast = set(infer_triples(ontology, facts, tbox=tbox))
    reference = owlrl_reference(ontology, facts)
    assert len(reference) > 800
    assert fast == reference


def test_equal_to_owlrl_on_the_synthetic_k10_graph(
    ontology: set[Triple], tbox: set[Triple]
) -> None:
    facts = {(str(q.subject), str(q.predicate), str(q.object)) for q in synthesize(10, seed=7)}
    fast = set(infer_triples(ontology, facts, tbox=tbox))
    reference = owlrl_reference(ontology, facts)
    assert len(reference) > 2500
    assert fast == reference


def test_the_knowledge_graph_gives_the_same_closure_with_either_engine() -> None:
    fast = KnowledgeGraph(reasoner="fast", use_cache=False).inferred()
    reference = KnowledgeGraph(reasoner="owlrl", use_cache=False).inferred()
    assert len(fast) == len(reference) and set(fast) == set(reference)


def test_equality_reasoning_defers_to_owlrl(ontology: set[Triple], tbox: set[Triple]) -> None:
    rules = compile_rules(tbox)
    same = {(f"<{DKGR}a>", "<http://www.w3.org/2002/07/owl#sameAs>", f"<{DKGR}b>")}
    with pytest.raises(UnsupportedRuleError, match="sameAs"):
        materialize(rules, same)
    two_actors = {
        (f"<{DKGR}credit>", f"<{DKG}actor>", f"<{DKGR}x>"),
        (f"<{DKGR}credit>", f"<{DKG}actor>", f"<{DKGR}y>"),
    }
    with pytest.raises(UnsupportedRuleError, match="two values"):
        materialize(rules, two_actors)
    # infer_triples falls back to owlrl and still answers, here with x sameAs y.
    closure = set(infer_triples(ontology, two_actors, tbox=tbox))
    assert (f"<{DKGR}x>", "<http://www.w3.org/2002/07/owl#sameAs>", f"<{DKGR}y>") in closure
    assert closure == owlrl_reference(ontology, two_actors)


def test_disjoint_classes_are_an_inconsistency(tbox: set[Triple]) -> None:
    facts = {
        (f"<{DKGR}x>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{DKG}Person>"),
        (
            f"<{DKGR}x>",
            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
            f"<{DKG}SuperheroIdentity>",
        ),
    }
    with pytest.raises(InconsistencyError, match="disjoint"):
        materialize(compile_rules(tbox), facts)


def test_an_ill_typed_literal_is_an_inconsistency(tbox: set[Triple]) -> None:
    facts = {
        (f"<{DKGR}d>", f"<{DKG}earliest>", '"2017-13-01"^^<http://www.w3.org/2001/XMLSchema#date>')
    }
    with pytest.raises(InconsistencyError, match="not a valid literal"):
        materialize(compile_rules(tbox), facts)


def test_unsupported_ontology_constructs_are_refused(tbox: set[Triple]) -> None:
    restriction = (f"<{DKGR}r>", "<http://www.w3.org/2002/07/owl#someValuesFrom>", f"<{DKG}Person>")
    with pytest.raises(UnsupportedRuleError, match="someValuesFrom"):
        compile_rules(tbox | {restriction})
