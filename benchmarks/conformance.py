"""Conformance: both engines over the W3C OWL 2 test cases (RL profile, and RDF-based cases).

Reads ``all.rdf`` (the W3C OWL 2 test cases; see its README) from ``--cases`` (default: the
``DEFENDERS_KG_OWL2_TESTS`` environment variable, else ``../shared/conformance/owl2`` beside
the repository). Takes every case of the RL profile, and every other case with RDF-based
semantics that fits (at most ``--max-triples`` premise triples), that has an RDF/XML premise
and is an entailment, non-entailment, consistency or inconsistency test. Each premise goes
through both engines twice: split into ontology (the RDF/RDFS/OWL axioms) and data (the instance
assertions), and whole as the ontology. Prints one row per case: conclusion triples entailed,
missed (with why: owlrl's own incompleteness or the junk filter), inconsistency found, and
whether the engines agree; then a summary. A premise that cannot be read (some use relative
datatype IRIs) does not fit either.

    python benchmarks/conformance.py [--cases DIR] [--only-rl] [--max-triples 100]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from defenders_kg.errors import DefendersKGError, InconsistencyError
from defenders_kg.inference import infer_triples, is_junk
from defenders_kg.reasoner import Triple

TEST = "http://www.w3.org/2007/OWL/testOntology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL = "http://www.w3.org/2002/07/owl#"
_VOCABULARY = tuple(f"<{ns}" for ns in (RDF, "http://www.w3.org/2000/01/rdf-schema#", OWL))
_KINDS = {
    "PositiveEntailmentTest": "entails",
    "NegativeEntailmentTest": "does not entail",
    "ConsistencyTest": "consistent",
    "InconsistencyTest": "inconsistent",
}
_DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance" / "owl2"


@dataclass
class Case:
    name: str
    rl: bool
    kinds: list[str]
    premise: str
    conclusion: str | None = None
    non_conclusion: str | None = None


@dataclass
class Result:
    case: Case
    agree: bool = True
    inconsistent: bool = False
    error: str | None = None
    entailed: int = 0
    checked: int = 0
    missed_junk: int = 0
    missed_owlrl: int = 0
    non_entailed_ok: bool | None = None
    passed: bool = True
    notes: list[str] = field(default_factory=list)


def read_cases(folder: Path) -> list[Case]:
    from rdflib import Graph, Literal, URIRef

    graph = Graph().parse(folder / "all.rdf", format="xml")

    def text(case: URIRef, name: str) -> str | None:
        value = graph.value(case, URIRef(TEST + name))
        return str(value) if isinstance(value, Literal) else None

    cases = []
    for case in graph.subjects(URIRef(RDF + "type"), URIRef(TEST + "TestCase")):
        assert isinstance(case, URIRef)
        kinds = sorted(
            _KINDS[str(t)[len(TEST) :]]
            for t in graph.objects(case, URIRef(RDF + "type"))
            if str(t)[len(TEST) :] in _KINDS
        )
        premise = text(case, "rdfXmlPremiseOntology")
        rl = (case, URIRef(TEST + "profile"), URIRef(TEST + "RL")) in graph
        rdf_based = (case, URIRef(TEST + "semantics"), URIRef(TEST + "RDF-BASED")) in graph
        if premise is None or not kinds or not (rl or rdf_based):
            continue
        identifier = text(case, "identifier") or str(case).rsplit("/", 1)[-1]
        cases.append(
            Case(
                identifier,
                rl,
                kinds,
                premise,
                text(case, "rdfXmlConclusionOntology"),
                text(case, "rdfXmlNonConclusionOntology"),
            )
        )
    return sorted(cases, key=lambda c: (not c.rl, c.name))


def parse(rdfxml: str) -> set[Triple]:
    from rdflib import Graph

    from defenders_kg.inference import to_triples
    from defenders_kg.reasoner import quiet_rdflib

    with quiet_rdflib():
        return to_triples(Graph().parse(data=rdfxml, format="xml"))


def split(premise: set[Triple]) -> tuple[set[Triple], set[Triple]]:
    """The axioms (RDF/RDFS/OWL vocabulary, lists, typing with a vocabulary class) and the rest."""

    def axiom(triple: Triple) -> bool:
        s, p, o = triple
        if p == f"<{RDF}type>":
            return o.startswith(_VOCABULARY)
        return p.startswith(_VOCABULARY) or s.startswith(_VOCABULARY)

    ontology = {t for t in premise if axiom(t)}
    return ontology, premise - ontology


def answer(ontology: set[Triple], data: set[Triple], engine: str) -> tuple[frozenset[Triple], str]:
    try:
        found = infer_triples(ontology, data, engine=engine)  # type: ignore[arg-type]
    except InconsistencyError:
        return frozenset(), "inconsistent"
    except DefendersKGError as error:
        return frozenset(), type(error).__name__
    return frozenset(found), ""


def ground(triples: set[Triple]) -> set[Triple]:
    """What a conclusion states without blank nodes, less its ontology header."""
    return {
        t
        for t in triples
        if not any(term.startswith("_:") for term in t) and t[2] != f"<{OWL}Ontology>"
    }


def run_case(case: Case) -> Result:
    result = Result(case)
    try:
        premise = parse(case.premise)
    except Exception as error:  # a premise rdflib cannot read: say so, do not stop
        result.error, result.agree = f"premise unreadable: {error}", True
        return result
    outcomes = {}
    for label, (ontology, data) in (("split", split(premise)), ("whole", (premise, set()))):
        fast, reference = answer(ontology, data, "fast"), answer(ontology, data, "owlrl")
        if fast != reference:
            result.agree = False
            result.notes.append(f"{label}: engines differ")
        outcomes[label] = reference
    closure, status = outcomes["split"]
    result.inconsistent = status == "inconsistent"
    if status and status != "inconsistent":
        result.error = status
    known = premise | closure
    if case.conclusion:
        expected = ground(parse(case.conclusion))
        result.checked = len(expected)
        for triple in expected:
            if triple in known or result.inconsistent:
                result.entailed += 1
            elif is_junk(triple):
                result.missed_junk += 1
            else:
                result.missed_owlrl += 1
    if case.non_conclusion:
        forbidden = ground(parse(case.non_conclusion))
        result.non_entailed_ok = not forbidden or not forbidden <= known
    result.passed = (
        ("inconsistent" not in case.kinds or result.inconsistent)
        and ("consistent" not in case.kinds or not result.inconsistent)
        and (not case.conclusion or result.entailed == result.checked)
        and result.non_entailed_ok is not False
    )
    return result


def _fits(case: Case, args: argparse.Namespace) -> bool:
    try:
        return len(parse(case.premise)) <= args.max_triples
    except Exception:  # any failure to read the premise: the case does not fit
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("DEFENDERS_KG_OWL2_TESTS", str(_DEFAULT))
    parser.add_argument("--cases", type=Path, default=Path(default), help="folder of all.rdf")
    parser.add_argument("--only-rl", action="store_true")
    parser.add_argument(
        "--max-triples",
        type=int,
        default=100,
        help="premise size above which an RDF-based case does not fit (owlrl takes hours on some)",
    )
    args = parser.parse_args()
    if not (args.cases / "all.rdf").is_file():
        print(f"conformance: no all.rdf in {args.cases}", file=sys.stderr)
        sys.exit(2)

    cases = [c for c in read_cases(args.cases) if c.rl or (not args.only_rl and _fits(c, args))]
    print(
        "| case | RL | kind | conclusion triples entailed | missed: owlrl / junk filter | "
        "inconsistency found | test passed | engines agree |"
    )
    print("|---|---|---|---|---|---|---|---|")
    results = []
    for case in cases:
        result = run_case(case)
        results.append(result)
        entailed = f"{result.entailed}/{result.checked}" if case.conclusion else "-"
        missed = f"{result.missed_owlrl} / {result.missed_junk}" if case.conclusion else "-"
        passed = "yes" if result.passed else "no"
        if result.error:
            passed += f" ({result.error})"
        print(
            f"| {case.name} | {'yes' if case.rl else ''} | {', '.join(case.kinds)} | {entailed} | "
            f"{missed} | {'yes' if result.inconsistent else 'no'} | {passed} | "
            f"{'yes' if result.agree else 'NO: ' + '; '.join(result.notes)} |",
            flush=True,
        )
    print()
    for label, group in (
        ("RL profile", [r for r in results if r.case.rl]),
        ("RDF-based, not RL", [r for r in results if not r.case.rl]),
    ):
        if not group:
            continue
        print(
            f"{label}: {len(group)} cases; engines agree on {sum(r.agree for r in group)}; "
            f"disagreements {sum(not r.agree for r in group)}; test passed "
            f"{sum(r.passed for r in group)}; conclusion triples missed by owlrl itself "
            f"{sum(r.missed_owlrl for r in group)} (in "
            f"{sum(bool(r.missed_owlrl) for r in group)} cases), dropped by the junk filter "
            f"{sum(r.missed_junk for r in group)} (in {sum(bool(r.missed_junk) for r in group)} "
            "cases)"
        )
    sys.exit(0 if all(r.agree for r in results) else 1)


if __name__ == "__main__":
    main()
