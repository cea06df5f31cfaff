"""The fast reasoner gives exactly owlrl's closure (after the junk filter) on the project's own
graphs, without handing off, and hands off what its rules do not cover."""

from __future__ import annotations

import pytest
from rl_support import EX, both, sources_triples, turtle

from defenders_kg import InconsistencyError, KnowledgeGraph, load
from defenders_kg.inference import infer_triples, tbox_closure
from defenders_kg.reasoner import (
    Triple,
    UnsupportedRuleError,
    compile_rules,
    is_junk,
    materialize,
    prepare,
)
from defenders_kg.synth import synthesize

DKG = "https://w3id.org/defenders-kg/ontology#"
DKGR = "https://w3id.org/defenders-kg/resource/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@pytest.fixture(scope="module")
def ontology() -> set[Triple]:
    return sources_triples(load.ontology_sources())


@pytest.fixture(scope="module")
def tbox(ontology: set[Triple]) -> set[Triple]:
    return tbox_closure(ontology)


def test_equal_to_owlrl_on_the_embedded_graph(ontology: set[Triple], tbox: set[Triple]) -> None:
    facts = sources_triples(load.embedded_sources())
    # the fast rules cover the project's own graph: no hand-off, so the speed is real
    materialize(compile_rules(prepare(tbox)), prepare(facts))
    fast = set(infer_triples(ontology, facts, tbox=tbox))
    reference = set(infer_triples(ontology, facts, engine="owlrl"))
    assert len(reference) > 800
    assert fast == reference


def test_equal_to_owlrl_on_the_synthetic_k10_graph(
    ontology: set[Triple], tbox: set[Triple]
) -> None:
    facts = {(str(q.subject), str(q.predicate), str(q.object)) for q in synthesize(10, seed=7)}
    materialize(compile_rules(prepare(tbox)), prepare(facts))
    fast = set(infer_triples(ontology, facts, tbox=tbox))
    reference = set(infer_triples(ontology, facts, engine="owlrl"))
    assert len(reference) > 2500
    assert fast == reference


def test_the_knowledge_graph_gives_the_same_closure_with_either_engine() -> None:
    fast = KnowledgeGraph(reasoner="fast", use_cache=False).inferred()
    reference = KnowledgeGraph(reasoner="owlrl", use_cache=False).inferred()
    assert len(fast) > 500
    assert len(fast) == len(reference) and set(fast) == set(reference)


def test_equality_hands_off_to_owlrl(ontology: set[Triple], tbox: set[Triple]) -> None:
    rules = compile_rules(prepare(tbox))
    same = {(f"<{DKGR}a>", "<http://www.w3.org/2002/07/owl#sameAs>", f"<{DKGR}b>")}
    with pytest.raises(UnsupportedRuleError, match="sameAs"):
        materialize(rules, same)
    two_actors = {
        (f"<{DKGR}credit>", f"<{DKG}actor>", f"<{DKGR}x>"),
        (f"<{DKGR}credit>", f"<{DKG}actor>", f"<{DKGR}y>"),
    }
    with pytest.raises(UnsupportedRuleError, match="two values"):
        materialize(rules, two_actors)
    # infer_triples hands everything to owlrl and still answers, here with x sameAs y.
    closure = set(infer_triples(ontology, two_actors, tbox=tbox))
    assert (f"<{DKGR}x>", "<http://www.w3.org/2002/07/owl#sameAs>", f"<{DKGR}y>") in closure
    assert closure == set(infer_triples(ontology, two_actors, engine="owlrl"))


def test_disjoint_classes_are_an_inconsistency_that_names_the_triples(tbox: set[Triple]) -> None:
    facts = {
        (f"<{DKGR}x>", TYPE, f"<{DKG}Person>"),
        (f"<{DKGR}x>", TYPE, f"<{DKG}SuperheroIdentity>"),
    }
    with pytest.raises(InconsistencyError, match="disjoint") as caught:
        materialize(compile_rules(prepare(tbox)), facts)
    assert any(f"<{DKGR}x> {TYPE} " in named for named in caught.value.triples)


def test_an_ill_typed_literal_is_an_inconsistency_that_names_the_triple() -> None:
    date = '"2017-13-01"^^<http://www.w3.org/2001/XMLSchema#date>'
    with pytest.raises(InconsistencyError, match="ill-typed") as caught:
        prepare({(f"<{DKGR}d>", f"<{DKG}earliest>", date)})
    assert caught.value.triples == (f"<{DKGR}d> <{DKG}earliest> {date}",)


@pytest.mark.parametrize(
    "axiom",
    [
        "ex:r owl:someValuesFrom ex:C .",
        "ex:C owl:hasKey ( ex:p ) .",
        "ex:a owl:sameAs ex:b .",
        "ex:p rdfs:subPropertyOf owl:sameAs .",
        "ex:a owl:differentFrom ex:a .",
        "ex:C rdfs:subClassOf owl:Class .",
        "ex:p owl:propertyDisjointWith ex:q .",
    ],
)
def test_what_the_rules_do_not_cover_is_refused(axiom: str) -> None:
    with pytest.raises(UnsupportedRuleError):
        compile_rules(prepare(turtle(axiom)))


def test_a_chain_of_three_steps_is_compiled() -> None:
    rules = compile_rules(turtle("ex:r owl:propertyChainAxiom ( ex:p ex:q ex:s ) ."))
    closure = materialize(rules, turtle("ex:a ex:p ex:b . ex:b ex:q ex:c . ex:c ex:s ex:d ."))
    assert (f"<{EX}a>", f"<{EX}r>", f"<{EX}d>") in closure
    assert all(not p.startswith("<urn:x-defenders-kg:") for _, p, _ in closure)


def test_the_junk_rule() -> None:
    assert is_junk(('"x"', f"<{EX}p>", f"<{EX}o>"))
    assert is_junk((f"<{EX}a>", "<http://www.w3.org/2002/07/owl#sameAs>", f"<{EX}a>"))
    assert is_junk(("<http://www.w3.org/2002/07/owl#Thing>", TYPE, f"<{EX}C>"))
    assert is_junk((f"<{EX}a>", "_:b0", f"<{EX}b>"))
    assert is_junk((f"<{EX}a>", "<https://w3id.org/defenders-kg/.well-known/genid/b0>", '"x"'))
    assert not is_junk((f"<{EX}a>", f"<{EX}p>", '"x"'))
    owl = "http://www.w3.org/2002/07/owl#"
    assert is_junk((f"<{EX}C>", f"<{owl}equivalentClass>", f"<{EX}C>"))
    assert is_junk((f"<{EX}p>", "<http://www.w3.org/2000/01/rdf-schema#subPropertyOf>", f"<{EX}p>"))
    assert is_junk((f"<{EX}a>", TYPE, f"<{owl}Thing>"))
    assert not is_junk((f"<{EX}C>", f"<{owl}equivalentClass>", f"<{EX}D>"))


def test_both_engines_agree_on_a_small_case() -> None:
    outcome = both(turtle("ex:p rdfs:domain ex:C ."), turtle("ex:a ex:p ex:b ."))
    assert outcome.triples == {(f"<{EX}a>", TYPE, f"<{EX}C>")}
