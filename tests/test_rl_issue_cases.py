"""The inputs on which the fast engine once differed from owlrl, crashed, or depended on the hash
seed (issue 11): each now gives owlrl's answer, through both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rl_support import EX, PREFIXES, both, turtle

from defenders_kg import InconsistencyError, infer

OWL = "http://www.w3.org/2002/07/owl#"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SAME_AS = f"<{OWL}sameAs>"
REPO = Path(__file__).resolve().parent.parent


def ex(name: str) -> str:
    return f"<{EX}{name}>"


def test_a_transitive_property_with_one_edge_in_the_ontology_and_one_in_the_data() -> None:
    outcome = both(
        turtle("ex:t a owl:TransitiveProperty . ex:a ex:t ex:b ."), turtle("ex:b ex:t ex:c .")
    )
    assert (ex("a"), ex("t"), ex("c")) in outcome.triples


def test_a_property_chain_whose_first_step_is_in_the_ontology() -> None:
    outcome = both(
        turtle("ex:r owl:propertyChainAxiom ( ex:p ex:q ) . ex:a ex:p ex:b ."),
        turtle("ex:b ex:q ex:c ."),
    )
    assert (ex("a"), ex("r"), ex("c")) in outcome.triples


def test_a_functional_property_with_one_value_in_the_ontology() -> None:
    outcome = both(
        turtle("ex:f a owl:FunctionalProperty . ex:a ex:f ex:b ."), turtle("ex:a ex:f ex:c .")
    )
    assert (ex("b"), SAME_AS, ex("c")) in outcome.triples


def test_disjointness_with_an_individual_typed_in_the_ontology() -> None:
    outcome = both(turtle("ex:C owl:disjointWith ex:D . ex:a a ex:C ."), turtle("ex:a a ex:D ."))
    assert outcome.error == "InconsistencyError"


def test_one_of_types_its_members_for_the_data_to_meet() -> None:
    outcome = both(
        turtle("ex:C owl:oneOf ( ex:a ex:b ) . ex:C owl:disjointWith ex:D ."),
        turtle("ex:b a ex:D ."),
    )
    assert outcome.error == "InconsistencyError"


def test_same_as_in_the_ontology() -> None:
    outcome = both(turtle("ex:a owl:sameAs ex:b ."), turtle("ex:a ex:p ex:c ."))
    assert (ex("b"), ex("p"), ex("c")) in outcome.triples


def test_a_property_declared_a_sub_property_of_same_as() -> None:
    outcome = both(
        turtle("ex:same rdfs:subPropertyOf owl:sameAs ."),
        turtle("ex:a ex:same ex:b . ex:a ex:p ex:c ."),
    )
    assert (ex("b"), ex("p"), ex("c")) in outcome.triples


def test_a_class_disjoint_with_itself_is_empty() -> None:
    assert both(turtle("ex:C owl:disjointWith ex:C ."), turtle("ex:a ex:p ex:b .")).error is None
    outcome = both(turtle("ex:C owl:disjointWith ex:C ."), turtle("ex:a a ex:C ."))
    assert outcome.error == "InconsistencyError"


def test_a_chain_through_a_real_blank_node_in_the_public_infer() -> None:
    ontology = Graph().parse(
        data=PREFIXES + "ex:r owl:propertyChainAxiom ( [ owl:inverseOf ex:p ] ex:q ) .",
        format="turtle",
    )
    data = Graph().parse(data=PREFIXES + "ex:b ex:p ex:a . ex:b ex:q ex:c .", format="turtle")
    fast = set(infer(data, ontology=ontology, engine="fast"))
    reference = set(infer(data, ontology=ontology, engine="owlrl"))
    assert fast == reference
    assert (f"{EX}a", f"{EX}r", f"{EX}c") in {tuple(map(str, t)) for t in fast}


@pytest.mark.parametrize(
    "literal",
    [
        '"yesterday"^^xsd:dateTime',
        '"2020-02-30"^^xsd:date',
        '"1.5"^^xsd:int',
        '"abc"^^xsd:decimal',
    ],
)
def test_an_ill_typed_literal_is_an_inconsistency_for_both_engines(literal: str) -> None:
    outcome = both(turtle("ex:p a owl:DatatypeProperty ."), turtle(f"ex:a ex:p {literal} ."))
    assert outcome.error == "InconsistencyError"


def test_the_verdict_on_a_bad_literal_does_not_depend_on_an_unrelated_same_as() -> None:
    data = 'ex:a ex:p "1.5"^^xsd:int . '
    for extra in ("", "ex:c owl:sameAs ex:d ."):
        outcome = both(turtle("ex:p a owl:DatatypeProperty ."), turtle(data + extra))
        assert outcome.error == "InconsistencyError"


def test_the_inconsistency_names_the_ill_typed_triple() -> None:
    data = Graph().parse(data=PREFIXES + 'ex:a ex:p "abc"^^xsd:decimal .', format="turtle")
    with pytest.raises(InconsistencyError) as caught:
        infer(data, engine="fast")
    assert caught.value.triples == (
        f'{ex("a")} {ex("p")} "abc"^^<http://www.w3.org/2001/XMLSchema#decimal>',
    )


_SEED_CASES = {
    "transitive": (
        "ex:t a owl:TransitiveProperty . ex:tsub rdfs:subPropertyOf ex:t .",
        'ex:a ex:t ex:b . ex:b ex:tsub "x" .',
        [ex("a"), ex("t"), '"x"'],
    ),
    "chain": (
        "ex:r owl:propertyChainAxiom ( ex:p ex:q ) . ex:qsub rdfs:subPropertyOf ex:q .",
        'ex:a ex:p ex:b . ex:b ex:qsub "x" .',
        [ex("a"), ex("r"), '"x"'],
    ),
}
_SEED_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from rl_support import turtle
from defenders_kg.inference import infer_triples
ontology, data = json.loads(sys.argv[2])
print(json.dumps(infer_triples(turtle(ontology), turtle(data), engine="fast")))
"""


@pytest.mark.parametrize("case", sorted(_SEED_CASES))
def test_the_closure_does_not_depend_on_the_hash_seed(case: str) -> None:
    ontology, data, expected = _SEED_CASES[case]
    answers = set()
    for seed in range(1, 7):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run(
            [sys.executable, "-c", _SEED_SCRIPT, str(REPO / "tests"), json.dumps([ontology, data])],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        answer = json.loads(done.stdout)
        assert expected in answer, f"seed {seed}: {answer}"
        answers.add(json.dumps(answer))
    assert len(answers) == 1


@pytest.mark.parametrize("literal", ['"abc"^^xsd:duration', '"x"^^xsd:boolean'])
def test_no_rdflib_literal_warning_reaches_stderr(literal: str, tmp_path: Path) -> None:
    # outside the datatypes owlrl checks, and rdflib logs a traceback (or warns "Parsing weird
    # boolean") whenever it reads them: one error line, and no warning, from every command
    odd = tmp_path / "odd.ttl"
    odd.write_text(
        f"@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n<urn:a> <urn:p> {literal} .\n",
        encoding="utf-8",
    )
    for reasoner in ("fast", "owlrl"):
        for command in ("stats", "validate"):
            done = _cli(tmp_path, odd, reasoner, command)
            assert done.returncode == 6, done.stderr
            assert done.stderr.startswith("defenders-kg: error: the knowledge graph is incons")
            assert done.stderr.count("\n") == 1 and "ill-typed literal" in done.stderr


def _cli(
    tmp_path: Path, data: Path, reasoner: str, command: str
) -> subprocess.CompletedProcess[str]:
    options = ("--data", str(data), "--no-cache", "--reasoner", reasoner, command)
    return subprocess.run(
        [sys.executable, "-m", "defenders_kg", *options],
        capture_output=True,
        text=True,
        env={**os.environ, "DEFENDERS_KG_CACHE_DIR": str(tmp_path / "cache")},
    )


def test_the_cli_reports_an_ill_typed_literal_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        '<urn:a> <urn:p> "abc"^^xsd:decimal .\n',
        encoding="utf-8",
    )
    for reasoner in ("fast", "owlrl"):
        done = _cli(tmp_path, bad, reasoner, "stats")
        assert done.returncode == InconsistencyError.exit_code, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert "ill-typed" in lines[0] and "abc" in lines[0]
        assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    "axiom",
    [
        "ex:C owl:equivalentClass ex:D .",
        "ex:p owl:equivalentProperty ex:q .",
        "ex:C owl:oneOf ( ex:a ) .",
    ],
)
def test_schema_in_the_data_is_handed_off(axiom: str) -> None:
    outcome = both(turtle("ex:C a owl:Class ."), turtle(axiom + " ex:a a ex:C . ex:b ex:p ex:c ."))
    assert outcome.error is None


def test_an_annotation_in_the_ontology_meets_the_data() -> None:
    ontology = "rdfs:label rdfs:subPropertyOf ex:name . ex:name a owl:FunctionalProperty . "
    outcome = both(turtle(ontology + 'ex:a rdfs:label "A" .'), turtle('ex:a ex:name "B" .'))
    # "A" and "B" are the same (prp-fp), so ex:a is labelled "B" too (eq-rep-o)
    assert (ex("a"), "<http://www.w3.org/2000/01/rdf-schema#label>", '"B"') in outcome.triples
