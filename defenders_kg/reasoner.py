"""A fast OWL 2 RL materializer for instance data, checked against owlrl.

owlrl re-applies every rule to every triple on each pass, so its cost grows with the data. Here
owlrl runs once, on the ontology alone (the "TBox closure"); the closed ontology is compiled into
rules that only touch instance data (sub-class and sub-property closure, domains, ranges,
inverses, symmetric and transitive properties, two-step property chains, functional-property and
disjointness checks), and those rules run to a fixpoint by semi-naive evaluation: each round
applies the rules only to the triples the previous round added.

Terms are N-Triples strings, so the data never needs rdflib. Whatever the compiled rules do not
cover makes ``materialize`` raise ``UnsupportedRuleError`` (the caller then runs owlrl):
class expressions that classify individuals (restrictions, intersections, unions, complements),
keys, property disjointness, chains longer than two steps, equality (``owl:sameAs`` in the data,
or a functional property with two values), and instance data that uses the OWL/RDFS vocabulary.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import InconsistencyError
from .vocab import GENID

Triple = tuple[str, str, str]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = f"<{_RDF}type>"
_SUBCLASS = f"<{_RDFS}subClassOf>"
_SUBPROPERTY = f"<{_RDFS}subPropertyOf>"
_DOMAIN = f"<{_RDFS}domain>"
_RANGE = f"<{_RDFS}range>"
_FIRST, _REST, _NIL = f"<{_RDF}first>", f"<{_RDF}rest>", f"<{_RDF}nil>"
_SAME_AS = f"<{_OWL}sameAs>"
_NOTHING = f"<{_OWL}Nothing>"
_JUNK_SUBJECTS = tuple(f"<{ns}" for ns in (_RDF, _RDFS, _OWL, _XSD))
_UNSUPPORTED_IN_ONTOLOGY = {
    f"<{_OWL}{name}>"
    for name in (
        "someValuesFrom", "allValuesFrom", "hasValue", "intersectionOf", "unionOf",
        "complementOf", "maxCardinality", "maxQualifiedCardinality", "cardinality",
        "hasKey", "propertyDisjointWith", "AllDisjointProperties", "hasSelf",
        "sourceIndividual", "AsymmetricProperty", "IrreflexiveProperty",
    )
}  # fmt: skip
# Lexical forms that owlrl checks for the datatypes the graph uses (dt-not-type).
_LEXICAL = {
    f"<{_XSD}integer>": re.compile(r"[+-]?\d+"),
    f"<{_XSD}nonNegativeInteger>": re.compile(r"\+?\d+"),
    f"<{_XSD}date>": re.compile(
        r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(Z|[+-]\d\d:\d\d)?"
    ),
    f"<{_XSD}boolean>": re.compile(r"true|false|1|0"),
}
_LITERAL = re.compile(r'^"(.*)"\^\^(<[^>]*>)$', re.DOTALL)


class UnsupportedRuleError(Exception):
    """The data or the ontology needs a rule that only the full owlrl engine applies."""


@dataclass
class Rules:
    """The instance-level consequences of a closed ontology, ready to apply."""

    tbox: set[Triple]
    superclasses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    superproperties: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    domains: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    ranges: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    inverses: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    symmetric: set[str] = field(default_factory=set)
    transitive: set[str] = field(default_factory=set)
    functional: set[str] = field(default_factory=set)
    inverse_functional: set[str] = field(default_factory=set)
    # result, first step, second step: (x first y), (y second z) entail (x result z)
    chains: list[tuple[str, str, str]] = field(default_factory=list)
    disjoint: set[frozenset[str]] = field(default_factory=set)


def compile_rules(tbox: set[Triple]) -> Rules:
    """Compile the OWL-RL closure of an ontology (as N-Triples strings) into instance rules."""
    rules = Rules(tbox=tbox)
    lists = {s: o for s, p, o in tbox if p == _FIRST}, {s: o for s, p, o in tbox if p == _REST}
    for s, p, o in tbox:
        if p in _UNSUPPORTED_IN_ONTOLOGY or o in _UNSUPPORTED_IN_ONTOLOGY:
            raise UnsupportedRuleError(
                f"the ontology uses {p if p in _UNSUPPORTED_IN_ONTOLOGY else o}"
            )
        if p == _SUBCLASS:
            rules.superclasses[s].add(o)
        elif p == _SUBPROPERTY and s != o:
            rules.superproperties[s].add(o)
        elif p == _DOMAIN:
            rules.domains[s].add(o)
        elif p == _RANGE:
            rules.ranges[s].add(o)
        elif p == f"<{_OWL}inverseOf>":
            rules.inverses[s].add(o)
            rules.inverses[o].add(s)
        elif p == f"<{_OWL}disjointWith>":
            rules.disjoint.add(frozenset((s, o)))
        elif p == f"<{_OWL}members>" and (s, TYPE, f"<{_OWL}AllDisjointClasses>") in tbox:
            members = _read_list(o, *lists)
            rules.disjoint.update(frozenset((a, b)) for a in members for b in members if a != b)
        elif p == f"<{_OWL}propertyChainAxiom>":
            steps = _read_list(o, *lists)
            if len(steps) != 2:
                raise UnsupportedRuleError(f"{s} is a chain of {len(steps)} steps")
            rules.chains.append((s, steps[0], steps[1]))
        elif p == TYPE:
            kind = o.removeprefix(f"<{_OWL}").removesuffix(">")
            target = {
                "SymmetricProperty": rules.symmetric,
                "TransitiveProperty": rules.transitive,
                "FunctionalProperty": rules.functional,
                "InverseFunctionalProperty": rules.inverse_functional,
            }.get(kind)
            if target is not None:
                target.add(s)
    return rules


def _read_list(head: str, firsts: dict[str, str], rests: dict[str, str]) -> list[str]:
    items = []
    while head != _NIL:
        if head not in firsts:
            raise UnsupportedRuleError(f"malformed RDF list at {head}")
        items.append(firsts[head])
        head = rests.get(head, _NIL)
    return items


def _check_vocabulary(triple: Triple) -> None:
    s, p, o = triple
    if p.startswith(f"<{_OWL}") or p in (_SUBCLASS, _SUBPROPERTY, _DOMAIN, _RANGE, _FIRST, _REST):
        raise UnsupportedRuleError(f"the instance data uses {p}")
    if p == TYPE and o.startswith((f"<{_OWL}", f"<{_RDFS}")):
        raise UnsupportedRuleError(f"the instance data types {s} as {o}")
    if s.startswith(_JUNK_SUBJECTS):
        raise UnsupportedRuleError(f"the instance data describes {s}")
    if o.startswith('"'):
        match = _LITERAL.match(o)
        if (
            match
            and match.group(2) in _LEXICAL
            and not _LEXICAL[match.group(2)].fullmatch(match.group(1))
        ):
            raise InconsistencyError(
                f"the knowledge graph is inconsistent: {o} is not a valid literal"
            )


def materialize(rules: Rules, facts: Iterable[Triple]) -> set[Triple]:
    """The closure of the instance ``facts`` under ``rules``: every derived triple, input included.

    Raises ``UnsupportedRuleError`` where owlrl is needed, ``InconsistencyError`` when two
    disjoint classes share an individual or something is an ``owl:Nothing``.
    """
    known: set[Triple] = set()
    by_subject: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    by_object: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    first_steps: dict[str, list[tuple[str, str]]] = defaultdict(list)
    second_steps: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for result, first, second in rules.chains:
        first_steps[first].append((result, second))
        second_steps[second].append((result, first))
    joined = set(first_steps) | set(second_steps) | rules.transitive | rules.functional
    joined |= rules.inverse_functional
    delta: list[Triple] = []

    def add(triple: Triple) -> None:
        if triple not in known:
            known.add(triple)
            delta.append(triple)
            s, p, o = triple
            if p in joined:
                by_subject[p][s].add(o)
                by_object[p][o].add(s)

    for triple in facts:
        _check_vocabulary(triple)
        if triple[1] == _SAME_AS:
            raise UnsupportedRuleError("the instance data uses owl:sameAs")
        add(triple)

    while delta:
        current, delta = delta, []
        for s, p, o in current:
            if p == TYPE:
                for c in rules.superclasses.get(o, ()):
                    add((s, TYPE, c))
                continue
            for q in rules.superproperties.get(p, ()):
                add((s, q, o))
            for c in rules.domains.get(p, ()):
                add((s, TYPE, c))
            if o.startswith('"'):
                continue  # a literal cannot be a subject: owlrl's triples here are junk
            for c in rules.ranges.get(p, ()):
                add((o, TYPE, c))
            for q in rules.inverses.get(p, ()):
                add((o, q, s))
            if p in rules.symmetric:
                add((o, p, s))
            if p in rules.transitive:
                for z in list(by_subject[p].get(o, ())):
                    add((s, p, z))
                for x in list(by_object[p].get(s, ())):
                    add((x, p, o))
            for result, second in first_steps.get(p, ()):
                for z in list(by_subject[second].get(o, ())):
                    add((s, result, z))
            for result, first in second_steps.get(p, ()):
                for x in list(by_object[first].get(s, ())):
                    add((x, result, o))

    for p in rules.functional:
        if any(len(objects) > 1 for objects in by_subject[p].values()):
            raise UnsupportedRuleError(f"functional property {p} has two values (equality)")
    for p in rules.inverse_functional:
        if any(len(subjects) > 1 for subjects in by_object[p].values()):
            raise UnsupportedRuleError(f"inverse-functional property {p} has two subjects")
    _check_disjointness(rules, known)
    return known


def _check_disjointness(rules: Rules, triples: set[Triple]) -> None:
    types: dict[str, set[str]] = defaultdict(set)
    for s, p, o in triples:
        if p == TYPE:
            types[s].add(o)
    for node, classes in types.items():
        if _NOTHING in classes:
            raise InconsistencyError(
                f"the knowledge graph is inconsistent: {node} is an owl:Nothing"
            )
        for pair in rules.disjoint:
            if pair <= classes:
                a, b = sorted(pair)
                raise InconsistencyError(
                    f"the knowledge graph is inconsistent: {node} is both {a} and {b}, "
                    "which are disjoint"
                )


def is_junk(triple: Triple) -> bool:
    """The junk rule of ``defenders_kg.inference.is_junk``, on N-Triples strings."""
    s, p, o = triple
    return (
        s.startswith('"')
        or (p == _SAME_AS and s == o)
        or s.startswith(_JUNK_SUBJECTS)
        or p.startswith(f"<{GENID}")
    )
