"""A seeded generator of small random OWL 2 RL ontologies and data sets, for differential testing.

Each case draws from the RL constructs (sub-class and sub-property, domain and range, inverse,
symmetric, transitive, functional and inverse-functional properties, chains of two and three
steps, disjointness, sameAs, hasValue, someValuesFrom, allValuesFrom, oneOf, intersectionOf),
puts instance assertions on both sides of the ontology/data split, and uses IRIs, blank nodes
and literals of several datatypes, some of them ill-typed. The vocabulary is small so that the
axioms meet each other often.
"""

from __future__ import annotations

import random

Triple = tuple[str, str, str]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_EX = "http://example.org/"
TYPE = f"<{_RDF}type>"

CLASSES = [f"<{_EX}C{i}>" for i in range(5)]
PROPERTIES = [f"<{_EX}p{i}>" for i in range(5)]
INDIVIDUALS = [f"<{_EX}a{i}>" for i in range(5)] + ["_:b0", "_:b1"]
LITERALS = [
    '"x"',
    '"x"@en',
    '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"01"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>',
    '"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>',
    '"1"^^<http://www.w3.org/2001/XMLSchema#boolean>',
    '"7"^^<http://www.w3.org/2001/XMLSchema#int>',
    '"P1D"^^<http://www.w3.org/2001/XMLSchema#duration>',
]
ILL_TYPED = [
    '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"2020-02-30"^^<http://www.w3.org/2001/XMLSchema#date>',
    '"1.5"^^<http://www.w3.org/2001/XMLSchema#int>',
    '"abc"^^<http://www.w3.org/2001/XMLSchema#decimal>',
    '"later"^^<http://www.w3.org/2001/XMLSchema#duration>',
]
DATATYPES = [f"<{_XSD}integer>", f"<{_XSD}string>", f"<{_RDFS}Literal>", f"<{_XSD}decimal>"]


def owl(name: str) -> str:
    return f"<{_OWL}{name}>"


def rdfs(name: str) -> str:
    return f"<{_RDFS}{name}>"


class _Case:
    def __init__(self, rng: random.Random, ill_typed: float) -> None:
        self.rng = rng
        self.ill_typed = ill_typed
        self.ontology: set[Triple] = set()
        self.data: set[Triple] = set()
        self.nodes = 0

    def bnode(self) -> str:
        self.nodes += 1
        return f"_:g{self.nodes}"

    def rdf_list(self, items: list[str]) -> str:
        head = f"<{_RDF}nil>"
        for item in reversed(items):
            cell = self.bnode()
            self.ontology.add((cell, f"<{_RDF}first>", item))
            self.ontology.add((cell, f"<{_RDF}rest>", head))
            head = cell
        return head

    def cls(self) -> str:
        return self.rng.choice(CLASSES)

    def prop(self) -> str:
        return self.rng.choice(PROPERTIES)

    def step(self) -> str:
        """A chain step: a property, now and then an anonymous inverse of one."""
        if self.rng.random() < 0.2:
            node = self.bnode()
            self.ontology.add((node, owl("inverseOf"), self.prop()))
            return node
        return self.prop()

    def restriction(self, kind: str) -> str:
        node = self.bnode()
        self.ontology.add((node, TYPE, owl("Restriction")))
        self.ontology.add((node, owl("onProperty"), self.prop()))
        value = self.individual() if kind == "hasValue" else self.cls()
        self.ontology.add((node, owl(kind), value))
        return node

    def individual(self) -> str:
        return self.rng.choice(INDIVIDUALS)

    def value(self) -> str:
        roll = self.rng.random()
        if roll < self.ill_typed:
            return self.rng.choice(ILL_TYPED)
        if roll < 0.3:
            return self.rng.choice(LITERALS)
        return self.individual()

    def axiom(self) -> None:
        rng, add = self.rng, self.ontology.add
        kind = rng.choices(
            [
                "subClassOf", "subPropertyOf", "domain", "range", "datatypeRange", "inverseOf",
                "Symmetric", "Transitive", "Functional", "InverseFunctional", "chain2",
                "chain3", "disjointWith", "AllDisjointClasses", "equivalentClass",
                "equivalentProperty", "sameAs", "hasValue", "someValuesFrom", "allValuesFrom",
                "oneOf", "intersectionOf",
            ],
            weights=[8, 6, 5, 5, 1, 3, 2, 3, 2, 1, 3, 2, 3, 1, 1, 1, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5],
        )[0]  # fmt: skip
        if kind == "subClassOf":
            add((self.cls(), rdfs("subClassOf"), self.cls()))
        elif kind == "subPropertyOf":
            add((self.prop(), rdfs("subPropertyOf"), self.prop()))
        elif kind in ("domain", "range"):
            add((self.prop(), rdfs(kind), self.cls()))
        elif kind == "datatypeRange":
            add((self.prop(), rdfs("range"), rng.choice(DATATYPES)))
        elif kind == "inverseOf":
            add((self.prop(), owl("inverseOf"), self.prop()))
        elif kind in ("Symmetric", "Transitive", "Functional", "InverseFunctional"):
            add((self.prop(), TYPE, owl(f"{kind}Property")))
        elif kind in ("chain2", "chain3"):
            steps = [self.step() for _ in range(int(kind[-1]))]
            add((self.prop(), owl("propertyChainAxiom"), self.rdf_list(steps)))
        elif kind == "disjointWith":
            add((self.cls(), owl("disjointWith"), self.cls()))
        elif kind == "AllDisjointClasses":
            node = self.bnode()
            add((node, TYPE, owl("AllDisjointClasses")))
            add((node, owl("members"), self.rdf_list(rng.sample(CLASSES, 3))))
        elif kind == "equivalentClass":
            add((self.cls(), owl("equivalentClass"), self.cls()))
        elif kind == "equivalentProperty":
            add((self.prop(), owl("equivalentProperty"), self.prop()))
        elif kind == "sameAs":
            add((self.individual(), owl("sameAs"), self.individual()))
        elif kind in ("hasValue", "someValuesFrom", "allValuesFrom"):
            link = rng.choice([owl("equivalentClass"), rdfs("subClassOf")])
            add((self.cls(), link, self.restriction(kind)))
        elif kind == "oneOf":
            add((self.cls(), owl("oneOf"), self.rdf_list(rng.sample(INDIVIDUALS, 2))))
        else:
            items = rng.sample(CLASSES, 2)
            add((self.cls(), owl("intersectionOf"), self.rdf_list(items)))

    def assertion(self, target: set[Triple]) -> None:
        if self.rng.random() < 0.3:
            target.add((self.individual(), TYPE, self.cls()))
        else:
            target.add((self.individual(), self.prop(), self.value()))


def generate(seed: int, *, ill_typed: float = 0.04) -> tuple[set[Triple], set[Triple]]:
    """A random (ontology, data) pair as N-Triples strings, the same for the same seed.

    ``ill_typed`` is the chance that an object is an ill-typed literal.
    """
    rng = random.Random(seed)
    case = _Case(rng, ill_typed)
    for _ in range(rng.randint(2, 8)):
        case.axiom()
    for _ in range(rng.randint(0, 3)):
        case.assertion(case.ontology)
    for _ in range(rng.randint(2, 10)):
        case.assertion(case.data)
    if rng.random() < 0.03:
        case.data.add((case.individual(), owl("sameAs"), case.individual()))
    return case.ontology, case.data


def as_turtle(triples: set[Triple]) -> str:
    """A case's triples as N-Triples text (to print a failing case)."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in sorted(triples))


def generate_batch(seeds: range, *, ill_typed: float = 0.0) -> tuple[set[Triple], set[Triple]]:
    """Several cases side by side in one input, each with its own IRIs and blank nodes.

    owlrl's fixed cost (its datatype and equality bookkeeping) dominates a small case; one run on
    the union of a few cases pays it once. The cases share only literals and the RDF/OWL terms,
    and the union is just another input on which the engines must agree. One ill-typed literal
    makes the whole union inconsistent, so by default a batch has none.
    """
    ontology: set[Triple] = set()
    data: set[Triple] = set()
    for seed in seeds:
        case_ontology, case_data = generate(seed, ill_typed=ill_typed)
        ontology |= {_rename(t, seed) for t in case_ontology}
        data |= {_rename(t, seed) for t in case_data}
    return ontology, data


def _rename(triple: Triple, seed: int) -> Triple:
    def one(term: str) -> str:
        if term.startswith(f"<{_EX}"):
            return f"<{_EX}{seed}/{term[len(_EX) + 1 :]}"
        if term.startswith("_:"):
            return f"_:s{seed}{term[2:]}"
        return term

    return (one(triple[0]), one(triple[1]), one(triple[2]))
