"""A fast OWL 2 RL materializer for instance data that gives owlrl's closure or hands off to it.

owlrl re-applies every rule to every triple on each pass, so its cost grows with the data. Here
owlrl runs once, on the ontology alone (the "TBox closure"); the closed ontology is compiled into
rules (sub-class and sub-property closure, domains, ranges, inverses, symmetric and transitive
properties, property chains, disjoint classes), and those rules run to a fixpoint by semi-naive
evaluation over the instance data together with the instance assertions that sit in the ontology:
each round applies the rules only to the triples the previous round added. The fixpoint does not
depend on the order the triples come in, and neither do the checks, which look at it only once it
is complete.

Terms are N-Triples strings, so the data never needs rdflib. The contract: ``materialize`` returns
exactly the triples owlrl derives (before the junk filter), or raises ``UnsupportedRuleError``
and the caller runs owlrl on everything. It raises that for anything its rules do not cover:

- in the closed ontology, any RDF, RDFS or OWL term outside the rules above and a short list of
  declarations and annotations (restrictions, intersections, unions, one-of, keys, property
  disjointness, ``owl:sameAs``, ``owl:differentFrom``, negative assertions, ...);
- a triple, asserted or derived, whose predicate is RDF, RDFS or OWL vocabulary (other than
  ``rdf:type`` and the annotation properties), whose subject is such a term, or that types
  something with a vocabulary class other than ``owl:Thing`` and ``owl:Nothing``;
- a resource typed with a datatype, or a literal typed with a datatype that owlrl would not give it;
- a functional or inverse-functional property with two values (that is equality).

Literals are taken in rdflib's normal form, as owlrl sees them, and checked with owlrl's own
lexical conversions (rule dt-not-type) before any rule runs; see ``prepare``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import InconsistencyError
from .vocab import GENID

Triple = tuple[str, str, str]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"

#: Namespaces whose terms are the RDF/OWL machinery itself; inferred triples about them are junk.
VOCABULARY_NAMESPACES = (_RDF, _RDFS, _OWL, _XSD)
_VOCABULARY = tuple(f"<{ns}" for ns in VOCABULARY_NAMESPACES)

TYPE = f"<{_RDF}type>"
_SUBCLASS = f"<{_RDFS}subClassOf>"
_SUBPROPERTY = f"<{_RDFS}subPropertyOf>"
_DOMAIN = f"<{_RDFS}domain>"
_RANGE = f"<{_RDFS}range>"
_FIRST, _REST, _NIL = f"<{_RDF}first>", f"<{_RDF}rest>", f"<{_RDF}nil>"
_SAME_AS = f"<{_OWL}sameAs>"
_THING = f"<{_OWL}Thing>"
_REFLEXIVE = frozenset(
    {_SAME_AS, f"<{_OWL}equivalentClass>", f"<{_OWL}equivalentProperty>", _SUBCLASS, _SUBPROPERTY}
)
_NOTHING = f"<{_OWL}Nothing>"
_RDFS_LITERAL = f"<{_RDFS}Literal>"
_XSD_STRING = f"<{_XSD}string>"
_LANG_STRING = f"<{_RDF}langString>"


def _terms(namespace: str, names: str) -> frozenset[str]:
    return frozenset(f"<{namespace}{name}>" for name in names.split())


# Vocabulary with no instance-level consequence under owlrl, once the ontology is closed:
# annotations, declarations, the equivalences whose two sub-class (sub-property) triples the
# closure already holds, and owl:oneOf, whose members the closure already types (rule cls-oo:
# the data cannot add to a list without being handed off).
_INERT_PREDICATES = (
    _terms(_RDFS, "label comment seeAlso isDefinedBy")
    | _terms(
        _OWL,
        "versionInfo versionIRI priorVersion backwardCompatibleWith incompatibleWith deprecated "
        "imports equivalentClass equivalentProperty annotatedSource annotatedProperty "
        "annotatedTarget oneOf",
    )
    | {_FIRST, _REST}
)
_INERT_TYPES = (
    _terms(
        _OWL,
        "Class ObjectProperty DatatypeProperty AnnotationProperty OntologyProperty Ontology "
        "NamedIndividual Axiom DeprecatedClass DeprecatedProperty",
    )
    | _terms(_RDFS, "Class Datatype")
    | {f"<{_RDF}Property>"}
)
_PROPERTY_KINDS = _terms(
    _OWL, "SymmetricProperty TransitiveProperty FunctionalProperty InverseFunctionalProperty"
)
# Annotation properties that instance data may use: owlrl gives them no rule (prp-ap only
# declares them).
_DATA_ANNOTATIONS = _terms(_RDFS, "label comment seeAlso isDefinedBy") | _terms(
    _OWL, "versionInfo priorVersion backwardCompatibleWith incompatibleWith deprecated"
)
_MEMBERS = _terms(_OWL, "members distinctMembers")
# Internal predicates for the intermediate steps of chains longer than two.
_CHAIN_STEP = "<urn:x-defenders-kg:chain-step:"

_LITERAL = re.compile(r'"(.*)"(?:\^\^<([^>]*)>|@([A-Za-z0-9-]+))?', re.DOTALL)
_CANONICAL_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


class UnsupportedRuleError(Exception):
    """The data or the ontology needs a rule that only the full owlrl engine applies."""


@dataclass
class Rules:
    """The instance-level consequences of a closed ontology, ready to apply."""

    tbox: set[Triple]
    #: The closed ontology's instance assertions: they combine with the data like the data.
    facts: set[Triple] = field(default_factory=set)
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
    # a class with itself means the class is empty
    disjoint: set[tuple[str, str]] = field(default_factory=set)


def compile_rules(tbox: set[Triple]) -> Rules:
    """Compile the OWL-RL closure of an ontology (as N-Triples strings) into instance rules.

    Raises ``UnsupportedRuleError`` when the ontology uses vocabulary the rules do not cover.
    """
    rules = Rules(tbox=tbox)
    firsts = {s: o for s, p, o in tbox if p == _FIRST}
    rests = {s: o for s, p, o in tbox if p == _REST}
    disjoint_sets = {s for s, p, o in tbox if p == TYPE and o == f"<{_OWL}AllDisjointClasses>"}
    different_sets = {s for s, p, o in tbox if p == TYPE and o == f"<{_OWL}AllDifferent>"}
    for s, p, o in sorted(tbox):
        if p == _SUBCLASS:
            rules.superclasses[s].add(o)
        elif p == _SUBPROPERTY:
            if s != o:
                rules.superproperties[s].add(o)
        elif p == _DOMAIN:
            rules.domains[s].add(o)
        elif p == _RANGE:
            rules.ranges[s].add(o)
        elif p == f"<{_OWL}inverseOf>":
            rules.inverses[s].add(o)
            rules.inverses[o].add(s)
        elif p == f"<{_OWL}disjointWith>":
            rules.disjoint.add((s, o))
        elif p == f"<{_OWL}members>" and s in disjoint_sets:
            members = _read_list(o, firsts, rests)
            rules.disjoint.update((a, b) for a in members for b in members if a != b)
        elif p == f"<{_OWL}differentFrom>" or (p in _MEMBERS and s in different_sets):
            # Distinct individuals conflict only with equality (rule eq-diff), which is handed
            # off, or with eq-ref's x owl:sameAs x: a resource different from itself.
            members = [s, o] if p == f"<{_OWL}differentFrom>" else _read_list(o, firsts, rests)
            if len(set(members)) < len(members):
                raise UnsupportedRuleError(f"{s} is different from itself")
        elif p == f"<{_OWL}propertyChainAxiom>":
            _compile_chain(rules, s, _read_list(o, firsts, rests))
        elif p == TYPE and o in _PROPERTY_KINDS:
            kind = o.removeprefix(f"<{_OWL}").removesuffix(">")
            {
                "SymmetricProperty": rules.symmetric,
                "TransitiveProperty": rules.transitive,
                "FunctionalProperty": rules.functional,
                "InverseFunctionalProperty": rules.inverse_functional,
            }[kind].add(s)
        elif p in _DATA_ANNOTATIONS and not s.startswith(_VOCABULARY):
            # an annotation may have super-properties or a domain, as in the data
            rules.facts.add((s, p, o))
        elif p in _INERT_PREDICATES or (p == TYPE and o in _INERT_TYPES):
            continue
        elif p.startswith(_VOCABULARY) and p != TYPE:
            raise UnsupportedRuleError(f"the ontology uses {p}")
        elif p == TYPE and o in (f"<{_OWL}AllDisjointClasses>", f"<{_OWL}AllDifferent>"):
            continue
        elif p == TYPE and o.startswith(_VOCABULARY) and o not in (_THING, _NOTHING):
            raise UnsupportedRuleError(f"the ontology types {s} as {o}")
        else:
            rules.facts.add((s, p, o))
    for classes in (rules.superclasses, rules.domains, rules.ranges):
        for subject, targets in classes.items():
            if subject.startswith(_VOCABULARY) and subject not in (_THING, _NOTHING):
                raise UnsupportedRuleError(f"the ontology gives {subject} a class axiom")
            for target in targets:
                # datatypes may stay: _check hands off where one is given to the wrong thing
                usable = (_THING, _NOTHING, _RDFS_LITERAL)
                if target.startswith(_VOCABULARY[:3]) and target not in usable:
                    raise UnsupportedRuleError(f"the ontology uses {target} as a class")
    properties = {q for targets in rules.superproperties.values() for q in targets}
    properties |= set(rules.inverses) | {result for result, _, _ in rules.chains}
    for prop in properties:
        if prop.startswith(_VOCABULARY) and prop not in _DATA_ANNOTATIONS:
            raise UnsupportedRuleError(f"the ontology derives {prop} triples")
    for a, b in rules.disjoint:
        if a.startswith(_VOCABULARY) or b.startswith(_VOCABULARY):
            raise UnsupportedRuleError(f"the ontology makes {a} and {b} disjoint")
    return rules


def _compile_chain(rules: Rules, result: str, steps: list[str]) -> None:
    """A chain of n steps as n - 1 two-step chains through internal intermediate predicates."""
    if len(steps) < 2:
        raise UnsupportedRuleError(f"{result} is a chain of {len(steps)} steps")
    first = steps[0]
    for number, step in enumerate(steps[1:-1]):
        intermediate = f"{_CHAIN_STEP}{len(rules.chains)}-{number}>"
        rules.chains.append((intermediate, first, step))
        first = intermediate
    rules.chains.append((result, first, steps[-1]))


def _read_list(head: str, firsts: dict[str, str], rests: dict[str, str]) -> list[str]:
    items: list[str] = []
    seen: set[str] = set()
    while head != _NIL:
        if head not in firsts or head in seen:
            raise UnsupportedRuleError(f"malformed RDF list at {head}")
        seen.add(head)
        items.append(firsts[head])
        head = rests.get(head, _NIL)
    return items


def _check(triple: Triple) -> None:
    """Hand off a triple whose consequences the compiled rules cannot see."""
    s, p, o = triple
    if s.startswith(_VOCABULARY):
        raise UnsupportedRuleError(f"the instance data describes {s}")
    if p == TYPE:
        if not o.startswith(_VOCABULARY) or o in (_THING, _NOTHING):
            return
        if s.startswith('"') and o in _datatypes_of(s):
            return  # owlrl gives the literal this type itself
        raise UnsupportedRuleError(f"the instance data types {s} as {o}")
    if p.startswith(_VOCABULARY) and p not in _DATA_ANNOTATIONS:
        raise UnsupportedRuleError(f"the instance data uses {p}")


def _datatypes_of(literal: str) -> set[str]:
    """The classes owlrl puts a literal in: its datatype, the types above it, rdfs:Literal."""
    from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions

    match = _LITERAL.fullmatch(literal)
    assert match is not None, literal
    datatype = match.group(2) or (_LANG_STRING[1:-1] if match.group(3) else _XSD_STRING[1:-1])
    from rdflib import URIRef

    above = OWL_Datatype_Subsumptions.get(URIRef(datatype), ())
    return {f"<{datatype}>", _RDFS_LITERAL, *(f"<{d}>" for d in above)}


def materialize(rules: Rules, facts: Iterable[Triple]) -> set[Triple]:
    """The closure of ``facts`` and the ontology's own facts under ``rules``, inputs included.

    Triples may have a literal subject here (as in owlrl): the junk filter drops them at the end,
    not the rules on the way. Raises ``UnsupportedRuleError`` where owlrl is needed,
    ``InconsistencyError`` when the fixpoint has an individual in two disjoint classes or in
    ``owl:Nothing``. Which of the two is raised does not depend on the order of ``facts``: every
    hand-off condition holds of the fixpoint, and inconsistency is looked for only once it is
    reached.
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
    # Predicates and classes that passed _check once pass again (the subject is checked every
    # time): checking each triple in full was a sixth of the run.
    passed_predicates: set[str] = set()
    passed_classes: set[str] = set()

    def add(triple: Triple) -> None:
        if triple in known:
            return
        s, p, o = triple
        if s.startswith(_VOCABULARY):
            _check(triple)
        if p == TYPE:
            if o not in passed_classes:
                _check(triple)
                if not o.startswith(_VOCABULARY) or o in (_THING, _NOTHING):
                    passed_classes.add(o)
        elif p not in passed_predicates:
            if not p.startswith(_CHAIN_STEP):
                _check(triple)
            passed_predicates.add(p)
        known.add(triple)
        delta.append(triple)
        if p in joined:
            by_subject[p][s].add(o)
            by_object[p][o].add(s)

    for triple in facts:
        add(triple)
    for triple in rules.facts:
        add(triple)

    while delta:
        current, delta = delta, []
        for s, p, o in current:
            if p == TYPE:
                for c in rules.superclasses.get(o, ()):
                    add((s, TYPE, c))
                # rdf:type itself has no sub-properties, domain or range in a compiled ontology
                continue
            for q in rules.superproperties.get(p, ()):
                add((s, q, o))
            for c in rules.domains.get(p, ()):
                add((s, TYPE, c))
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

    for p in sorted(rules.functional):
        if any(len(objects) > 1 for objects in by_subject[p].values()):
            raise UnsupportedRuleError(f"functional property {p} has two values (equality)")
    for p in sorted(rules.inverse_functional):
        if any(len(subjects) > 1 for subjects in by_object[p].values()):
            raise UnsupportedRuleError(f"inverse-functional property {p} has two subjects")
    _check_disjointness(rules, known)
    if not any(result.startswith(_CHAIN_STEP) for result, _, _ in rules.chains):
        return known  # no chain of three steps or more, so no intermediate triples to drop
    return {t for t in known if not t[1].startswith(_CHAIN_STEP)}


def _check_disjointness(rules: Rules, triples: set[Triple]) -> None:
    types: dict[str, set[str]] = defaultdict(set)
    for s, p, o in triples:
        if p == TYPE:
            types[s].add(o)
    problems = []
    for node, classes in types.items():
        if _NOTHING in classes:
            problems.append(f"{node} {TYPE} {_NOTHING}")
        for a, b in rules.disjoint:
            if a in classes and b in classes:
                both = f"{node} {TYPE} {a}" if a == b else f"{node} {TYPE} {a} and {b}"
                problems.append(f"{both}, but {a} <{_OWL}disjointWith> {b}")
    if problems:
        problems.sort()
        raise InconsistencyError(
            "the knowledge graph is inconsistent: " + "; ".join(problems[:5]),
            triples=tuple(problems),
        )


def prepare(triples: Iterable[Triple]) -> set[Triple]:
    """The triples with each literal in rdflib's normal form, checked as owlrl checks it.

    owlrl reads its input through rdflib, which rewrites well-typed literals into a canonical
    lexical form ("01"^^xsd:integer becomes "1"); both engines must reason over the same terms.
    owlrl then applies rule dt-not-type with its own lexical conversions to the literals of the
    OWL 2 RL datatypes; here the same conversions run on the same literals, so both engines find
    the same ill-typed literals. A conversion that fails in any way (owlrl lets
    ``decimal.InvalidOperation`` escape) is an ill-typed literal: ``InconsistencyError``, naming
    the triple.
    """
    forms: dict[str, str] = {}
    prepared = set()
    for triple in triples:
        s, p, o = triple
        if o.startswith('"'):
            form = forms.get(o)
            if form is None:
                form = forms[o] = _rdflib_form(o, triple)
            if form != o:
                triple = (s, p, form)
        prepared.add(triple)
    return prepared


def _rdflib_form(literal: str, triple: Triple) -> str:
    match = _LITERAL.fullmatch(literal)
    if match is None:
        raise InconsistencyError(f"cannot read the literal in {' '.join(triple)}")
    lexical, datatype = match.group(1), match.group(2)
    if datatype is None or datatype == _XSD_STRING[1:-1]:
        return literal  # strings and language-tagged strings are left alone by both
    if datatype == f"{_XSD}integer" and _CANONICAL_INTEGER.fullmatch(lexical):
        return literal  # the most common case, already canonical and valid
    if "\\" in lexical:
        lexical = _unescape(literal)
    from owlrl.DatatypeHandling import AltXSDToPYTHON
    from owlrl.OWLRL import OWL_RL_Datatypes
    from rdflib import Literal, URIRef

    with quiet_rdflib():
        term = Literal(lexical, datatype=URIRef(datatype))
    normal = str(term)
    # Every datatype rdflib knows is checked by its lexical space (rdflib's ill_typed, which
    # catches "x"^^xsd:boolean); the OWL 2 RL ones also by owlrl's own conversions.
    problem: Exception | None = ValueError(lexical) if term.ill_typed else None
    if problem is None and term.datatype in OWL_RL_Datatypes:
        convert = AltXSDToPYTHON.get(term.datatype, lambda value: value)
        try:
            convert(normal)
        except (ValueError, ArithmeticError, TypeError) as error:
            problem = error
    if problem is not None:
        raise InconsistencyError(
            f"the knowledge graph is inconsistent: {' '.join(triple)} has an ill-typed "
            f"literal: {lexical!r} is not a valid <{datatype}>",
            triples=(" ".join(triple),),
        ) from problem
    if normal == lexical:
        return literal
    return str(ox.Literal(normal, datatype=ox.NamedNode(datatype)))


def _unescape(literal: str) -> str:
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {literal} .", format=ox.RdfFormat.N_TRIPLES)))
    return str(quad.object.value)


class quiet_rdflib:  # noqa: N801 - used as a lower-case context manager, like contextlib's
    """Silence rdflib's "Failed to convert Literal" warnings (with tracebacks) while active.

    rdflib logs one for every literal outside its datatype's lexical space, on its own logger;
    here ill-typed literals are reported once, as an ``InconsistencyError``, instead.
    """

    def __enter__(self) -> None:
        import logging
        import warnings

        self._logger = logging.getLogger("rdflib.term")
        self._disabled = self._logger.disabled
        self._logger.disabled = True
        # and its "Parsing weird boolean" UserWarning, which does not go through the logger
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", category=UserWarning, module="rdflib")

    def __exit__(self, *exc: object) -> None:
        self._warnings.__exit__(None, None, None)
        self._logger.disabled = self._disabled


def is_junk(triple: Triple) -> bool:
    """Whether an inferred triple (N-Triples term strings) is left out of the closure.

    The rule, exactly: a triple is junk when (1) its subject is a literal (generalized RDF, which
    no RDF parser accepts back), or (2) it relates a term to itself by ``owl:sameAs``,
    ``owl:equivalentClass``, ``owl:equivalentProperty``, ``rdfs:subClassOf`` or
    ``rdfs:subPropertyOf``, or (3) its subject is an IRI in the RDF, RDFS, OWL or XSD namespace
    (axiomatic triples about the vocabulary itself), or (4) its predicate is a blank node or a
    skolemized one, such as an anonymous inverse property in a chain (owlrl itself drops triples
    whose predicate is a blank node), or (5) its object is ``owl:Thing`` and its predicate
    ``rdf:type``, ``rdfs:subClassOf``, ``rdfs:domain`` or ``rdfs:range``. (2) and (5) hold of every
    term in every OWL ontology; OWLAPI reads (2) as equivalence axioms with one operand and (5) as
    axioms OWL 2 RL forbids (owl:Thing is no superclass expression there).
    """
    s, p, o = triple
    return (
        s.startswith('"')
        or (s == o and p in _REFLEXIVE)
        or s.startswith(_VOCABULARY)
        or p.startswith(("_:", f"<{GENID}"))
        or (o == _THING and p in (TYPE, _SUBCLASS, _DOMAIN, _RANGE))
    )
