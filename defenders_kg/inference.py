"""Stage 2: OWL 2 RL inference with owlrl, into a separate graph, with the junk left out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import pyoxigraph as ox

from . import reasoner
from .errors import InconsistencyError
from .reasoner import Triple, UnsupportedRuleError
from .vocab import GENID

if TYPE_CHECKING:
    from rdflib import Graph

Engine = Literal["owlrl", "fast"]
ENGINES: tuple[str, ...] = ("fast", "owlrl")

#: Namespaces whose terms are the RDF/OWL machinery itself; inferred triples about them are junk.
VOCABULARY_NAMESPACES = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/2001/XMLSchema#",
)
_OWLRL_ERROR_CLASS = "http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage"
_OWLRL_ERROR_TEXT = "http://www.daml.org/2002/03/agents/agent-ont#error"


def is_junk(triple: tuple[object, object, object]) -> bool:
    """Whether an inferred triple is left out of the closure.

    The rule, exactly: a triple is junk when (1) its subject is a literal (generalized RDF, which
    no RDF parser accepts back), or (2) it is ``x owl:sameAs x``, or (3) its subject is an IRI in
    the RDF, RDFS, OWL or XSD namespace (axiomatic triples about the vocabulary itself), or (4) its
    predicate is a skolemized blank node, such as an anonymous inverse property in a chain (owlrl
    itself drops triples whose predicate is a blank node).
    """
    from rdflib import OWL, Literal, URIRef

    s, p, o = triple
    if isinstance(s, Literal):
        return True
    if p == OWL.sameAs and s == o:
        return True
    if str(p).startswith(GENID):
        return True
    return isinstance(s, URIRef) and str(s).startswith(VOCABULARY_NAMESPACES)


def infer(graph: Graph, *, ontology: Graph | None = None, engine: Engine = "owlrl") -> Graph:
    """The OWL 2 RL entailments of ``graph`` (plus ``ontology``) not already asserted, minus junk.

    ``engine="owlrl"`` is the reference; ``engine="fast"`` closes the ``ontology`` once and applies
    the compiled rules to ``graph`` (see ``defenders_kg.reasoner``), and falls back to owlrl where
    those rules do not suffice. Both give the same triples. The inputs are never changed. Raises
    ``InconsistencyError`` when the graph is inconsistent.

    >>> from rdflib import Graph
    >>> g = Graph().parse(format="turtle", data='''
    ...   @prefix owl: <http://www.w3.org/2002/07/owl#> .
    ...   <urn:p> owl:inverseOf <urn:q> . <urn:a> <urn:p> <urn:b> .''')
    >>> from rdflib import URIRef
    >>> (URIRef("urn:b"), URIRef("urn:q"), URIRef("urn:a")) in infer(g)
    True
    >>> len(g)
    2
    """
    from rdflib import Graph

    if engine == "fast":
        if ontology is None:
            raise ValueError("the fast engine needs the ontology apart from the instance data")
        closure = Graph()
        data = "".join(
            f"{s} {p} {o} .\n" for s, p, o in infer_triples(to_triples(ontology), to_triples(graph))
        )
        return closure.parse(data=data, format="nt")
    work = Graph()
    for source in (graph, ontology) if ontology is not None else (graph,):
        for triple in source.triples((None, None, None)):
            work.add(triple)
    return _owlrl(work)


def _owlrl(work: Graph) -> Graph:
    """Expand ``work`` in place with owlrl; return its new triples minus junk."""
    from owlrl import DeductiveClosure, OWLRL_Semantics
    from rdflib import RDF, Graph, URIRef

    asserted = Graph()
    for triple in work:
        asserted.add(triple)
    DeductiveClosure(OWLRL_Semantics).expand(work)

    problems = sorted(
        str(message)
        for error in work.subjects(RDF.type, URIRef(_OWLRL_ERROR_CLASS))
        for message in work.objects(error, URIRef(_OWLRL_ERROR_TEXT))
    )
    if problems:
        raise InconsistencyError("the knowledge graph is inconsistent: " + "; ".join(problems))

    closure = Graph()
    for triple in work:
        if triple not in asserted and not is_junk(triple):
            closure.add(triple)
    return closure


def to_triples(graph: Graph) -> set[Triple]:
    """An rdflib graph as a set of N-Triples term strings (the fast engine's representation)."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    }


def tbox_closure(ontology: set[Triple]) -> set[Triple]:
    """The ontology's triples plus its owlrl closure, as N-Triples strings."""
    from rdflib import Graph

    work = Graph().parse(data="".join(f"{s} {p} {o} .\n" for s, p, o in ontology), format="nt")
    return ontology | to_triples(_owlrl(work))


def infer_triples(
    ontology: set[Triple],
    facts: Iterable[Triple],
    *,
    tbox: set[Triple] | None = None,
    engine: Engine = "fast",
) -> list[Triple]:
    """The fast engine on N-Triples strings: entailed triples not in ``ontology`` or ``facts``.

    ``tbox`` is ``tbox_closure(ontology)`` when the caller has it already. Falls back to owlrl
    (on everything) when the compiled rules do not cover the data; sorted for stable output.
    """
    facts = set(facts)
    asserted = ontology | facts
    try:
        if engine == "owlrl":
            raise UnsupportedRuleError("owlrl was asked for")
        closed = tbox if tbox is not None else tbox_closure(ontology)
        derived = reasoner.materialize(reasoner.compile_rules(closed), facts) | closed
    except UnsupportedRuleError:
        from rdflib import Graph

        everything = "".join(f"{s} {p} {o} .\n" for s, p, o in asserted)
        derived = to_triples(_owlrl(Graph().parse(data=everything, format="nt")))
    return sorted(t for t in derived - asserted if not reasoner.is_junk(t))
