"""What the pages and documents ask of the graph, and the typed rows they get back.

Nothing here evaluates a query itself: every query goes through a ``Runner`` (the endpoint's pool
of killable workers, with its time limit, or the store directly for the static site), and every
IRI reaches a query as an escaped term, never as pasted text. A runner answers with a
``QueryResult`` (or raises the package's errors), and ``select`` hands on its rows as dictionaries
of Oxigraph terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyoxigraph as ox

from .. import engine
from ..results import QueryResult
from ..terms import sparql_term, to_rdflib
from ..vocab import DKG, DKGR, INFERRED_GRAPH, NIF, ONTOLOGY_GRAPH, OWL, RDFS
from .iris import Target

#: A term of a row: what a SPARQL variable binds to.
Term = ox.NamedNode | ox.BlankNode | ox.Literal
#: One solution of a SELECT: its bound variables (an unbound one is absent).
Row = dict[str, Term]

_QUERY_PREFIXES = f"""PREFIX dkg: <{DKG}>
PREFIX nif: <{NIF}>
PREFIX owl: <{OWL}>
PREFIX rdfs: <{RDFS}>
"""


class Runner(Protocol):
    """Answers one query with a typed result, raising the package's errors (``engine.run`` on a
    store for the static site; the endpoint's pool of killable workers, in ``routes``)."""

    def query(self, text: str) -> QueryResult: ...


class StoreRunner:
    """Evaluates queries on a store in this process (for the static site; the endpoint has a
    pool of worker processes)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def query(self, text: str) -> QueryResult:
        return engine.run(self.store, text)


@dataclass(frozen=True)
class Document:
    """An HTTP answer: status, media type, body and the headers that go with it."""

    status: int
    media_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class LinkedDataError(Exception):
    """An answer other than 200 (404, 406, 503...), with the document to send."""

    def __init__(self, document: Document) -> None:
        super().__init__(document.status)
        self.document = document


#: A page never holds more than this many pages of the runner's row limit.
MAX_PAGES = 100


class Paged:
    """A runner whose answers are limited to ``page_size`` rows (the endpoint's row limit): a
    SELECT is then read page by page (``LIMIT``/``OFFSET`` on its ``ORDER BY``), each page one
    query under the time limit, up to ``MAX_PAGES`` pages."""

    def __init__(self, runner: Runner, page_size: int) -> None:
        self.runner = runner
        self.page_size = page_size

    def query(self, text: str) -> QueryResult:
        return self.runner.query(text)


def select(runner: Runner, text: str) -> list[Row]:
    """The solutions of a SELECT (all its pages)."""
    size = runner.page_size if isinstance(runner, Paged) else None
    if size is None:
        return _solutions(runner.query(text))
    rows: list[Row] = []
    for page in range(MAX_PAGES):
        found = _solutions(runner.query(f"{text}\nLIMIT {size} OFFSET {page * size}"))
        rows += found
        if len(found) < size:
            return rows
    message = f"more than {MAX_PAGES * size} rows; query it at /sparql with LIMIT and OFFSET\n"
    raise LinkedDataError(Document(413, "text/plain; charset=utf-8", message.encode()))


def ask(runner: Runner, text: str) -> bool:
    """The answer of an ASK."""
    result = runner.query(text)
    if result.kind != "ask":
        raise TypeError("not the answer of an ASK")
    return bool(result.boolean)


def _solutions(result: QueryResult) -> list[Row]:
    if result.kind != "select":
        raise TypeError("not the answer of a SELECT")
    return [
        {name: term for name, term in zip(result.variables, row, strict=True)
         if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal)}
        for row in result.rows
    ]  # fmt: skip


def value(row: Mapping[str, Term], name: str, default: str = "") -> str:
    """The lexical value of a row's column, ``default`` when it is unbound."""
    term = row.get(name)
    return default if term is None else term.value


def exists(runner: Runner, where: Target) -> bool:
    """Whether the graph says anything about the target (or holds the graph it names)."""
    iri = sparql_term(where.iri)
    if where.kind == "graph":
        text = f"ASK {{ GRAPH {iri} {{ ?s ?p ?o }} }}"
    elif where.kind == "ontology" and where.name:
        # Only the ontology's modules and versions live under its IRI, and its documents
        # describe them all.
        text = (
            f"ASK {{ GRAPH {sparql_term(ONTOLOGY_GRAPH)} {{ {{ {iri} a <{OWL}Ontology> }}"
            f" UNION {{ ?ontology <{OWL}versionIRI>|<{OWL}priorVersion> {iri} }} }} }}"
        )
    else:
        text = f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}"
    return ask(runner, text)


#: The wording of the triple ?s ?p ?o of group ?g, and its spans as "begin-end" pairs.
_WORDING = """OPTIONAL { ?w dkg:inStatementGroup ?g ; dkg:factSubject ?s ; dkg:factPredicate ?p ;
                dkg:factObject ?o ; dkg:span ?span .
             ?span nif:beginIndex ?spanBegin ; nif:endIndex ?spanEnd .
             BIND(CONCAT(STR(?spanBegin), "-", STR(?spanEnd)) AS ?pair) }"""


def facts_query(iri: str) -> str:
    """Every quad with the resource as subject or object, with labels and the evidence behind it."""
    return (
        _QUERY_PREFIXES
        + f"""SELECT ?dir ?p ?other ?g ?support ?sentence ?num ?begin ?text
       (SAMPLE(?pl) AS ?plabel) (SAMPLE(?ol) AS ?olabel) (SAMPLE(?inv) AS ?inverse)
       (SAMPLE(?il) AS ?ilabel) (SAMPLE(?w) AS ?wording)
       (GROUP_CONCAT(DISTINCT ?pair; separator=" ") AS ?spans)
WHERE {{
  {{ GRAPH ?g {{ {iri} ?p ?other }} BIND("out" AS ?dir) BIND({iri} AS ?s) BIND(?other AS ?o) }}
  UNION
  {{ GRAPH ?g {{ ?other ?p {iri} }} BIND("in" AS ?dir) BIND(?other AS ?s) BIND({iri} AS ?o)
     # The wordings of its facts show as marks in their quotes, not as facts of their own.
     FILTER(?p NOT IN (dkg:factSubject, dkg:factObject)) }}
  OPTIONAL {{ ?g dkg:support ?support ; dkg:evidence ?sentence .
             ?sentence dkg:sentenceNumber ?num ; nif:beginIndex ?begin ; nif:anchorOf ?text }}
  {_WORDING}
  OPTIONAL {{ ?p rdfs:label ?pl }}
  OPTIONAL {{ ?other rdfs:label ?ol }}
  OPTIONAL {{ FILTER(?dir = "in") {{ ?p owl:inverseOf ?inv }} UNION {{ ?inv owl:inverseOf ?p }}
             FILTER(isIRI(?inv)) ?inv rdfs:label ?il }}
}}
GROUP BY ?dir ?p ?other ?g ?support ?sentence ?num ?begin ?text
ORDER BY ?dir ?p ?other ?g"""
    )


def wordings_query(iri: str) -> str:
    """The wordings of the resource's facts and their spans, as triples (``dir`` "wording"), so
    that its description carries the words behind each fact, as a concise bounded description
    carries the reifications of its statements."""
    return (
        _QUERY_PREFIXES
        + f"""SELECT ?dir ?g ?s ?p ?o
WHERE {{
  GRAPH ?g {{
    {{ ?w dkg:factSubject {iri} }} UNION {{ ?w dkg:factObject {iri} }}
    {{ ?w ?p ?o BIND(?w AS ?s) }} UNION {{ ?w dkg:span ?s . ?s ?p ?o }}
  }}
  BIND("wording" AS ?dir)
}}"""
    )


def graph_query(iri: str) -> str:
    """Every triple of one named graph, with labels."""
    return (
        _QUERY_PREFIXES
        + f"""SELECT ?s ?p ?o (SAMPLE(?sl) AS ?slabel) (SAMPLE(?pl) AS ?plabel)
       (SAMPLE(?ol) AS ?olabel)
WHERE {{
  GRAPH {iri} {{ ?s ?p ?o }}
  OPTIONAL {{ ?s rdfs:label ?sl }} OPTIONAL {{ ?p rdfs:label ?pl }} OPTIONAL {{ ?o rdfs:label ?ol }}
}}
GROUP BY ?s ?p ?o ORDER BY ?s ?p ?o"""
    )


def paragraph_query(iri: str) -> str:
    """The sentences of a document, each with the facts of the statement groups it supports."""
    return (
        _QUERY_PREFIXES
        + f"""SELECT ?sentence ?num ?begin ?text ?g ?support ?s ?p ?o
       (SAMPLE(?sl) AS ?slabel) (SAMPLE(?pl) AS ?plabel) (SAMPLE(?ol) AS ?olabel)
       (SAMPLE(?w) AS ?wording) (GROUP_CONCAT(DISTINCT ?pair; separator=" ") AS ?spans)
WHERE {{
  ?sentence nif:referenceContext {iri} ; dkg:sentenceNumber ?num ; nif:beginIndex ?begin ;
            nif:anchorOf ?text .
  OPTIONAL {{
    ?g dkg:evidence ?sentence ; dkg:support ?support .
    GRAPH ?g {{ ?s ?p ?o }}
    OPTIONAL {{ ?s rdfs:label ?sl }} OPTIONAL {{ ?p rdfs:label ?pl }}
    OPTIONAL {{ ?o rdfs:label ?ol }}
    {_WORDING}
  }}
}}
GROUP BY ?sentence ?num ?begin ?text ?g ?support ?s ?p ?o
ORDER BY ?num ?support ?s ?p ?o"""
    )


def rows_of(runner: Runner, where: Target) -> list[Row]:
    """The rows a target's documents are made from: a resource's facts and their wordings, or
    the triples of a graph (the ontology's for the ontology); empty when nothing is known."""
    if where.kind == "resource":
        facts = select(runner, facts_query(sparql_term(where.iri)))
        if not facts:
            return []
        return facts + select(runner, wordings_query(sparql_term(where.iri)))
    graph = where.iri if where.kind == "graph" else ONTOLOGY_GRAPH
    return select(runner, graph_query(sparql_term(graph)))


def ontology_graph(runner: Runner) -> Any:
    """The ontology graph of the store as an rdflib Graph (for its page), skolem IRIs as blank
    nodes again."""
    from rdflib import Graph

    graph = Graph()
    ontology = sparql_term(ONTOLOGY_GRAPH)
    text = f"SELECT ?s ?p ?o WHERE {{ GRAPH {ontology} {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o"
    for row in select(runner, text):
        graph.add(tuple(to_rdflib(row[name], unskolemize=True) for name in "spo"))
    return graph


def label_contexts(runner: Runner) -> dict[str, str]:
    """The resources whose label another resource shares ("Daredevil": a character, a series and
    a superhero identity), each with the words that tell it apart: the labels of its asserted
    types, and its IRI's local name where those are the same as another's."""
    text = (
        _QUERY_PREFIXES
        + f"""SELECT DISTINCT ?x ?label ?typeLabel WHERE {{
  {{ SELECT ?label WHERE {{ ?y rdfs:label ?label FILTER(STRSTARTS(STR(?y), "{DKGR}")) }}
    GROUP BY ?label HAVING (COUNT(DISTINCT ?y) > 1) }}
  ?x rdfs:label ?label FILTER(STRSTARTS(STR(?x), "{DKGR}"))
  OPTIONAL {{ GRAPH ?g {{ ?x a ?type }} FILTER(?g != {sparql_term(INFERRED_GRAPH)})
             ?type rdfs:label ?typeLabel }}
}} ORDER BY ?x ?typeLabel"""
    )
    labels: dict[str, str] = {}
    types: dict[str, list[str]] = {}
    for row in select(runner, text):
        iri = row["x"].value
        labels[iri] = row["label"].value
        found = types.setdefault(iri, [])
        if "typeLabel" in row and row["typeLabel"].value not in found:
            found.append(row["typeLabel"].value)
    by_types = {iri: ", ".join(found) for iri, found in types.items()}
    contexts = {}
    for iri, context in by_types.items():
        twins = [other for other in labels if labels[other] == labels[iri] and other != iri]
        if context and all(by_types[other] != context for other in twins):
            contexts[iri] = context
        else:
            local = iri[len(DKGR) :]
            contexts[iri] = f"{context}, {local}" if context else local
    return contexts
