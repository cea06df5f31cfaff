"""A fast OWL 2 RL materializer for instance data that gives owlrl's closure or hands off to it.

owlrl re-applies every rule to every triple on each pass, so its cost grows with the data. Here
owlrl runs once, on the ontology alone (the "TBox closure"); the closed ontology is compiled into
rules (sub-class and sub-property closure, domains, ranges, inverses, symmetric and transitive
properties, property chains, disjoint classes), and those rules run to a fixpoint by semi-naive
evaluation over the instance data together with the instance assertions that sit in the ontology:
each round applies the rules only to the triples the previous round added. The fixpoint does not
depend on the order the triples come in, and neither do the checks, which look at it only once it
is complete.

Terms are N-Triples strings, so the data never needs rdflib; the fixpoint numbers them
(``Statements``) and holds each triple as one int, so millions of triples fit in memory. The
contract: ``materialize`` (``derive``) returns exactly the triples owlrl derives (before the junk
filter), or raises ``UnsupportedRuleError`` and the caller runs owlrl on everything. It raises
that for anything its rules do not cover:

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import InconsistencyError
from .vocab import GENID, OWL, RDF, RDFS, XSD

Triple = tuple[str, str, str]


#: Namespaces whose terms are the RDF/OWL machinery itself; inferred triples about them are junk.
VOCABULARY_NAMESPACES = (RDF, RDFS, OWL, XSD)
_VOCABULARY = tuple(f"<{ns}" for ns in VOCABULARY_NAMESPACES)

TYPE = f"<{RDF}type>"
_SUBCLASS = f"<{RDFS}subClassOf>"
_SUBPROPERTY = f"<{RDFS}subPropertyOf>"
_DOMAIN = f"<{RDFS}domain>"
_RANGE = f"<{RDFS}range>"
_FIRST, _REST, _NIL = f"<{RDF}first>", f"<{RDF}rest>", f"<{RDF}nil>"
_SAME_AS = f"<{OWL}sameAs>"
_THING = f"<{OWL}Thing>"
_REFLEXIVE = frozenset(
    {_SAME_AS, f"<{OWL}equivalentClass>", f"<{OWL}equivalentProperty>", _SUBCLASS, _SUBPROPERTY}
)
_NOTHING = f"<{OWL}Nothing>"
_RDFS_LITERAL = f"<{RDFS}Literal>"
_XSD_STRING = f"<{XSD}string>"
_LANG_STRING = f"<{RDF}langString>"


def _terms(namespace: str, names: str) -> frozenset[str]:
    return frozenset(f"<{namespace}{name}>" for name in names.split())


# Vocabulary with no instance-level consequence under owlrl, once the ontology is closed:
# annotations, declarations, the equivalences whose two sub-class (sub-property) triples the
# closure already holds, and owl:oneOf, whose members the closure already types (rule cls-oo:
# the data cannot add to a list without being handed off).
_INERT_PREDICATES = (
    _terms(RDFS, "label comment seeAlso isDefinedBy")
    | _terms(
        OWL,
        "versionInfo versionIRI priorVersion backwardCompatibleWith incompatibleWith deprecated "
        "imports equivalentClass equivalentProperty annotatedSource annotatedProperty "
        "annotatedTarget oneOf",
    )
    | {_FIRST, _REST}
)
_INERT_TYPES = (
    _terms(
        OWL,
        "Class ObjectProperty DatatypeProperty AnnotationProperty OntologyProperty Ontology "
        "NamedIndividual Axiom DeprecatedClass DeprecatedProperty",
    )
    | _terms(RDFS, "Class Datatype")
    | {f"<{RDF}Property>"}
)
_PROPERTY_KINDS = _terms(
    OWL, "SymmetricProperty TransitiveProperty FunctionalProperty InverseFunctionalProperty"
)
# Annotation properties that instance data may use: owlrl gives them no rule (prp-ap only
# declares them).
_DATA_ANNOTATIONS = _terms(RDFS, "label comment seeAlso isDefinedBy") | _terms(
    OWL, "versionInfo priorVersion backwardCompatibleWith incompatibleWith deprecated"
)
_MEMBERS = _terms(OWL, "members distinctMembers")
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
    disjoint_sets = {s for s, p, o in tbox if p == TYPE and o == f"<{OWL}AllDisjointClasses>"}
    different_sets = {s for s, p, o in tbox if p == TYPE and o == f"<{OWL}AllDifferent>"}
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
        elif p == f"<{OWL}inverseOf>":
            rules.inverses[s].add(o)
            rules.inverses[o].add(s)
        elif p == f"<{OWL}disjointWith>":
            rules.disjoint.add((s, o))
        elif p == f"<{OWL}members>" and s in disjoint_sets:
            members = _read_list(o, firsts, rests)
            rules.disjoint.update((a, b) for a in members for b in members if a != b)
        elif p == f"<{OWL}differentFrom>" or (p in _MEMBERS and s in different_sets):
            # Distinct individuals conflict only with equality (rule eq-diff), which is handed
            # off, or with eq-ref's x owl:sameAs x: a resource different from itself.
            members = [s, o] if p == f"<{OWL}differentFrom>" else _read_list(o, firsts, rests)
            if len(set(members)) < len(members):
                raise UnsupportedRuleError(f"{s} is different from itself")
        elif p == f"<{OWL}propertyChainAxiom>":
            _compile_chain(rules, s, _read_list(o, firsts, rests))
        elif p == TYPE and o in _PROPERTY_KINDS:
            kind = o.removeprefix(f"<{OWL}").removesuffix(">")
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
        elif p == TYPE and o in (f"<{OWL}AllDisjointClasses>", f"<{OWL}AllDifferent>"):
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


#: A triple of one predicate is the number ``subject << _BITS | object``: Python keeps an int
#: below 2**60 in 32 bytes, where a tuple of three strings takes 64 and its strings more.
_BITS = 30
_LOW = (1 << _BITS) - 1


class Statements:
    """Triples held as numbers: each term numbered once, each predicate's triples a set of ints.

    The fixpoint over millions of triples fits in memory this way: a triple costs one int in a
    set, and each term's string is kept once.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        #: predicate number -> its triples, each ``subject << _BITS | object``
        self.columns: dict[int, set[int]] = {}
        #: the numbers of the terms in the RDF, RDFS, OWL and XSD namespaces
        self.vocabulary: set[int] = set()

    def number(self, term: str) -> int:
        found = self.ids.get(term)
        if found is not None:
            return found
        found = self.ids[term] = len(self.names)
        if found > _LOW:
            raise MemoryError(f"more than {_LOW + 1:,} distinct terms")
        self.names.append(term)
        if term.startswith(_VOCABULARY):
            self.vocabulary.add(found)
        return found

    def add(self, triple: Triple, columns: dict[int, set[int]] | None = None) -> None:
        """Number ``triple`` and keep it in ``columns`` (by default this one's own)."""
        if columns is None:
            columns = self.columns
        s, p, o = triple
        column = columns.get(self.number(p))
        if column is None:
            column = columns[self.number(p)] = set()
        column.add(self.number(s) << _BITS | self.number(o))

    def __contains__(self, triple: Triple) -> bool:
        s, p, o = (self.ids.get(term) for term in triple)
        if s is None or p is None or o is None:
            return False
        return (s << _BITS | o) in self.columns.get(p, ())

    def __iter__(self) -> Iterator[Triple]:
        return self.decode(self.columns)

    def decode(self, columns: dict[int, set[int]]) -> Iterator[Triple]:
        names = self.names
        for p, pairs in columns.items():
            predicate = names[p]
            for pair in pairs:
                yield names[pair >> _BITS], predicate, names[pair & _LOW]

    def sort(self, columns: dict[int, set[int]], keep: Callable[[Triple], bool]) -> list[Triple]:
        """The triples of ``columns`` that ``keep`` accepts, sorted as their strings sort.

        Each term's rank among the sorted strings stands for it, so that one int per triple is
        sorted; ``columns`` is emptied on the way.
        """
        names = self.names
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = [0] * len(names)
        for position, term in enumerate(order):
            rank[term] = position
        width = max(len(names).bit_length(), 1)
        keys = []
        while columns:
            p, pairs = columns.popitem()
            predicate, middle = names[p], rank[p] << width
            for pair in pairs:
                s, o = pair >> _BITS, pair & _LOW
                if keep((names[s], predicate, names[o])):
                    keys.append(rank[s] << 2 * width | middle | rank[o])
        del rank
        keys.sort()
        by_rank = [names[term] for term in order]
        del order
        low = (1 << width) - 1
        return [
            (by_rank[k >> 2 * width], by_rank[k >> width & low], by_rank[k & low]) for k in keys
        ]


def materialize(rules: Rules, facts: Iterable[Triple]) -> set[Triple]:
    """The closure of ``facts`` and the ontology's own facts under ``rules``, inputs included.

    Triples may have a literal subject here (as in owlrl): the junk filter drops them at the end,
    not the rules on the way. Raises as ``derive`` does.
    """
    given = Statements()
    for triple in facts:
        given.add(triple)
    return {*given, *given.decode(derive(rules, given))}


def derive(rules: Rules, given: Statements) -> dict[int, set[int]]:
    """What ``rules`` add to ``given`` (the ontology's own facts included), numbered as ``given``.

    The answer is a column per predicate, none of its triples in ``given``. Raises
    ``UnsupportedRuleError`` where owlrl is needed, ``InconsistencyError`` when the fixpoint has an
    individual in two disjoint classes or in ``owl:Nothing``. Which of the two is raised does not
    depend on the order of the facts: every hand-off condition holds of the fixpoint, and
    inconsistency is looked for only once it is reached.
    """
    number, names, vocabulary = given.number, given.names, given.vocabulary
    type_, thing, nothing = number(TYPE), number(_THING), number(_NOTHING)

    def numbered(table: dict[str, set[str]]) -> dict[int, list[int]]:
        return {number(key): [number(v) for v in sorted(values)] for key, values in table.items()}

    superclasses, superproperties = numbered(rules.superclasses), numbered(rules.superproperties)
    domains, ranges, inverses = (
        numbered(rules.domains),
        numbered(rules.ranges),
        numbered(rules.inverses),
    )
    symmetric = {number(p) for p in rules.symmetric}
    transitive = {number(p) for p in rules.transitive}
    first_steps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    second_steps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for result, first, second in rules.chains:
        first_steps[number(first)].append((number(result), number(second)))
        second_steps[number(second)].append((number(result), number(first)))
    joined = set(first_steps) | set(second_steps) | transitive
    # p -> subject -> objects and p -> object -> subjects, for the joins; each triple once, so lists
    subjects: dict[int, dict[int, list[int]]] = {p: defaultdict(list) for p in joined}
    objects: dict[int, dict[int, list[int]]] = {p: defaultdict(list) for p in joined}
    for p in joined:
        for pair in given.columns.get(p, ()):
            subjects[p][pair >> _BITS].append(pair & _LOW)
            objects[p][pair & _LOW].append(pair >> _BITS)
    derived: dict[int, set[int]] = {}
    delta: dict[int, list[int]] = {}
    empty: frozenset[int] = frozenset()
    # Predicates and classes that passed _check once pass again (the subject is checked every
    # time): checking each triple in full was a sixth of the run.
    passed_predicates: set[int] = set()
    passed_classes: set[int] = set()

    def check(s: int, p: int, o: int) -> None:
        triple = (names[s], names[p], names[o])
        if s in vocabulary:
            _check(triple)
        if p == type_:
            if o not in passed_classes:
                _check(triple)
                if o not in vocabulary or o in (thing, nothing):
                    passed_classes.add(o)
        elif p not in passed_predicates:
            if not triple[1].startswith(_CHAIN_STEP):
                _check(triple)
            passed_predicates.add(p)

    def add(p: int, s: int, o: int) -> None:
        pair = s << _BITS | o
        if pair in given.columns.get(p, empty):
            return
        column = derived.get(p)
        if column is None:
            column = derived[p] = set()
        elif pair in column:
            return
        if s in vocabulary or (
            o not in passed_classes if p == type_ else p not in passed_predicates
        ):
            check(s, p, o)
        column.add(pair)
        pending = delta.get(p)
        if pending is None:
            delta[p] = [pair]
        else:
            pending.append(pair)
        if p in joined:
            subjects[p][s].append(o)
            objects[p][o].append(s)

    def apply(p: int, pairs: Iterable[int]) -> None:
        if p == type_:
            for pair in pairs:
                above = superclasses.get(pair & _LOW)
                if above:
                    for c in above:
                        add(type_, pair >> _BITS, c)
            return  # rdf:type has no sub-properties, domain or range in a compiled ontology
        supers, inverse = superproperties.get(p, ()), inverses.get(p, ())
        domain, range_ = domains.get(p, ()), ranges.get(p, ())
        firsts, seconds = first_steps.get(p, ()), second_steps.get(p, ())
        is_symmetric, is_transitive = p in symmetric, p in transitive
        if not (supers or inverse or domain or range_ or firsts or seconds or is_symmetric
                or is_transitive):  # fmt: skip
            return
        for pair in pairs:
            s, o = pair >> _BITS, pair & _LOW
            for q in supers:
                add(q, s, o)
            for c in domain:
                add(type_, s, c)
            for c in range_:
                add(type_, o, c)
            for q in inverse:
                add(q, o, s)
            if is_symmetric:
                add(p, o, s)
            if is_transitive:
                for z in list(subjects[p].get(o, ())):
                    add(p, s, z)
                for x in list(objects[p].get(s, ())):
                    add(p, x, o)
            for result, second in firsts:
                for z in list(subjects[second].get(o, ())):
                    add(result, s, z)
            for result, first in seconds:
                for x in list(objects[first].get(s, ())):
                    add(result, x, o)

    for p, pairs in given.columns.items():
        if p != type_ and pairs:
            pair = next(iter(pairs))
            check(pair >> _BITS, p, pair & _LOW)
        for pair in pairs:
            if pair >> _BITS in vocabulary or (p == type_ and pair & _LOW not in passed_classes):
                check(pair >> _BITS, p, pair & _LOW)
    for subject, predicate, object_ in rules.facts:
        add(number(predicate), number(subject), number(object_))
    for p, pairs in given.columns.items():
        apply(p, pairs)
    while delta:  # semi-naive: each round applies the rules to what the last one added
        current = delta.copy()
        delta.clear()
        for p, batch in current.items():
            apply(p, batch)

    def column(name: str) -> Iterator[int]:
        p = given.ids.get(name)
        yield from given.columns.get(p, ()) if p is not None else ()
        yield from derived.get(p, ()) if p is not None else ()

    for name in sorted(rules.functional):
        if _repeats(pair >> _BITS for pair in column(name)):
            raise UnsupportedRuleError(f"functional property {name} has two values (equality)")
    for name in sorted(rules.inverse_functional):
        if _repeats(pair & _LOW for pair in column(name)):
            raise UnsupportedRuleError(f"inverse-functional property {name} has two subjects")
    _check_disjointness(rules, given, column(TYPE))
    for p in [p for p in derived if names[p].startswith(_CHAIN_STEP)]:
        del derived[p]  # the intermediate steps of chains of three steps or more
    return derived


def _repeats(numbers: Iterable[int]) -> bool:
    seen: set[int] = set()
    for n in numbers:
        if n in seen:
            return True
        seen.add(n)
    return False


def _check_disjointness(rules: Rules, terms: Statements, types: Iterable[int]) -> None:
    """Raise if an individual is in owl:Nothing or in two disjoint classes (``types``: the pairs
    of the ``rdf:type`` triples)."""
    members: dict[int, set[int]] = {}
    for c in {_NOTHING, *(a for a, _ in rules.disjoint), *(b for _, b in rules.disjoint)}:
        members[terms.number(c)] = set()
    for pair in types:
        group = members.get(pair & _LOW)
        if group is not None:
            group.add(pair >> _BITS)
    names = terms.names
    problems = [f"{names[node]} {TYPE} {_NOTHING}" for node in members[terms.number(_NOTHING)]]
    for a, b in rules.disjoint:
        for node in members[terms.number(a)] & members[terms.number(b)]:
            both = f"{names[node]} {TYPE} {a}" if a == b else f"{names[node]} {TYPE} {a} and {b}"
            problems.append(f"{both}, but {a} <{OWL}disjointWith> {b}")
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
    return {prepare_one(triple, forms) for triple in triples}


def prepare_one(triple: Triple, forms: dict[str, str]) -> Triple:
    """``triple`` as ``prepare`` makes it (the very object when unchanged); ``forms`` caches the
    literals seen."""
    o = triple[2]
    if not o.startswith('"'):
        return triple
    form = forms.get(o)
    if form is None:
        form = forms[o] = _rdflib_form(o, triple)
    return triple if form == o else (triple[0], triple[1], form)


def _rdflib_form(literal: str, triple: Triple) -> str:
    match = _LITERAL.fullmatch(literal)
    if match is None:
        raise InconsistencyError(f"cannot read the literal in {' '.join(triple)}")
    lexical, datatype = match.group(1), match.group(2)
    if datatype is None or datatype == _XSD_STRING[1:-1]:
        return literal  # strings and language-tagged strings are left alone by both
    if datatype == f"{XSD}integer" and _CANONICAL_INTEGER.fullmatch(lexical):
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
