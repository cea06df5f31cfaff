"""Stage 2: OWL 2 RL inference, into a separate graph, with the junk left out.

The contract of the two engines: for any input, ``fast`` returns exactly the triples ``owlrl``
returns (both after the junk filter), or it hands the whole input to owlrl; either way the
answer, or the ``InconsistencyError``, is the same. See ``defenders_kg.reasoner`` for when the
hand-off happens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from .errors import InconsistencyError
from .reasoner import (
    VOCABULARY_NAMESPACES,
    Statements,
    Triple,
    UnsupportedRuleError,
    compile_rules,
    derive,
    is_junk,
    prepare,
    prepare_one,
    quiet_rdflib,
)
from .terms import ntriples_text, rdflib_from_ntriples

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

__all__ = [
    "ENGINES",
    "VOCABULARY_NAMESPACES",
    "Engine",
    "infer",
    "infer_triples",
    "is_junk",
    "tbox_closure",
    "to_triples",
]

_log = logging.getLogger(__name__)

Engine = Literal["owlrl", "fast"]
ENGINES: tuple[str, ...] = ("fast", "owlrl")

_OWLRL_ERROR_CLASS = "http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage"
_OWLRL_ERROR_TEXT = "http://www.daml.org/2002/03/agents/agent-ont#error"


def infer(graph: Graph, *, ontology: Graph | None = None, engine: Engine = "owlrl") -> Graph:
    """The OWL 2 RL entailments of ``graph`` (plus ``ontology``) not already asserted, minus junk.

    ``engine="owlrl"`` is the reference; ``engine="fast"`` closes the ``ontology`` once and applies
    the compiled rules to ``graph`` (see ``defenders_kg.reasoner``), handing everything to owlrl
    where those rules do not suffice. Both give the same triples; blank nodes in the answer are
    those of the input. The inputs are never changed. Raises ``InconsistencyError`` when the graph
    is inconsistent (an ill-typed literal included) and ``DataLoadError`` when a term cannot be
    read.

    >>> from rdflib import Graph
    >>> g = Graph().parse(format="turtle", data='''
    ...   @prefix owl: <http://www.w3.org/2002/07/owl#> .
    ...   <urn:p> owl:inverseOf <urn:q> . <urn:a> <urn:p> <urn:b> .''')
    >>> from rdflib import URIRef
    >>> (URIRef("urn:b"), URIRef("urn:q"), URIRef("urn:a")) in infer(g, engine="fast")
    True
    >>> len(g)
    2
    """
    from rdflib import Graph

    terms: dict[str, Node] = {}
    schema = to_triples(ontology, terms) if ontology is not None else set()
    facts = to_triples(graph, terms)
    closure = Graph()
    with quiet_rdflib():
        for triple in infer_triples(schema, facts, engine=engine):
            closure.add(tuple(rdflib_from_ntriples(term, terms) for term in triple))  # type: ignore[arg-type]
    return closure


def _owlrl(triples: Iterable[Triple]) -> set[Triple]:
    """owlrl's closure of ``triples``, minus what they assert, minus junk; checked for errors."""
    from owlrl import DeductiveClosure, OWLRL_Semantics
    from rdflib import RDF, Graph, URIRef

    # Built term by term rather than parsed, so that blank nodes keep their labels.
    terms: dict[str, Node] = {}
    work = Graph()
    with quiet_rdflib():
        for s, p, o in triples:
            work.add(
                (
                    rdflib_from_ntriples(s, terms),
                    rdflib_from_ntriples(p, terms),
                    rdflib_from_ntriples(o, terms),
                )
            )
        asserted = set(work)
        DeductiveClosure(OWLRL_Semantics).expand(work)
    problems = sorted(
        str(message)
        for error in work.subjects(RDF.type, URIRef(_OWLRL_ERROR_CLASS))
        for message in work.objects(error, URIRef(_OWLRL_ERROR_TEXT))
    )
    if problems:
        raise InconsistencyError("the knowledge graph is inconsistent: " + "; ".join(problems))
    new = Graph()
    for added in work:
        if added not in asserted:
            new.add(added)
    return {t for t in to_triples(new) if not is_junk(t)}


def to_triples(graph: Graph, terms: dict[str, Node] | None = None) -> set[Triple]:
    """An rdflib graph as a set of N-Triples term strings (the fast engine's representation).

    Generalized triples (a literal as subject, from owlrl) are kept. ``terms``, when given,
    collects each string's rdflib term, so that an answer can be turned back into the very terms
    (blank nodes included) of the input.
    """
    strings: dict[Node, str] = {}
    triples = set()
    for triple in graph:
        converted = []
        for node in triple:
            text = strings.get(node)
            if text is None:
                text = strings[node] = ntriples_text(node)
                if terms is not None:
                    terms.setdefault(text, node)
            converted.append(text)
        triples.add((converted[0], converted[1], converted[2]))
    return triples


def tbox_closure(ontology: set[Triple]) -> set[Triple]:
    """The ontology's triples plus its owlrl closure, as N-Triples strings."""
    return ontology | _owlrl(prepare(ontology))


def infer_triples(
    ontology: set[Triple],
    facts: Iterable[Triple],
    *,
    tbox: set[Triple] | None = None,
    engine: Engine = "fast",
) -> list[Triple]:
    """The entailed triples not in ``ontology`` or ``facts``, junk removed, sorted.

    ``tbox`` is ``tbox_closure(ontology)`` when the caller has it already. ``engine="fast"`` hands
    everything to owlrl when the compiled rules do not cover the input; ``engine="owlrl"`` always
    runs owlrl on everything. ``facts`` is read once, in order (an ill-typed literal is reported
    in input order), and not kept: the facts are held as numbers (``reasoner.Statements``).
    """
    # the literals' check (dt-not-type) is the same for both engines
    prepared_ontology = prepare(sorted(ontology))
    given = Statements()
    rewritten: set[Triple] = set()  # facts whose literal prepare rewrote, as given
    forms: dict[str, str] = {}
    for triple in facts:
        prepared = prepare_one(triple, forms)
        if prepared is not triple:
            rewritten.add(triple)
        given.add(prepared)

    def new(t: Triple) -> bool:
        return (
            t not in rewritten
            and t not in ontology
            and t not in prepared_ontology
            and not is_junk(t)
        )

    if engine == "fast":
        try:
            closed = prepare(tbox if tbox is not None else tbox_closure(ontology))
            derived = derive(compile_rules(closed), given)
        except UnsupportedRuleError as reason:
            _log.info("the fast engine hands the input to owlrl: %s", reason)
        else:
            for triple in closed:
                if triple not in given:
                    given.add(triple, derived)
            given.columns.clear()  # what is left to do needs the terms only
            return given.sort(derived, new)
    found = _owlrl(prepared_ontology | set(given))
    return sorted(t for t in found if t not in given and new(t))
