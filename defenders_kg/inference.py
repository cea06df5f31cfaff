"""Stage 2: OWL 2 RL inference with owlrl, into a separate graph, with the junk left out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InconsistencyError
from .vocab import GENID

if TYPE_CHECKING:
    from rdflib import Graph

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


def infer(graph: Graph) -> Graph:
    """The OWL 2 RL entailments of ``graph`` that it does not already contain, minus junk.

    The input is never changed: owlrl runs on a copy. Raises ``InconsistencyError`` when owlrl
    reports an inconsistency.

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
    from owlrl import DeductiveClosure, OWLRL_Semantics
    from rdflib import RDF, Graph, URIRef

    work = Graph()
    for triple in graph.triples((None, None, None)):
        work.add(triple)
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
        if triple not in graph and not is_junk(triple):
            closure.add(triple)
    return closure
