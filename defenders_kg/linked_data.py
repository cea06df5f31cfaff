"""Linked Data: the project's IRIs dereferenced, as RDF descriptions and as HTML pages.

The IRIs live under ``https://w3id.org/defenders-kg``; the part after it is the path served here:
``/resource/NAME`` (everything the text talks about), ``/ontology`` (the vocabulary) and
``/graph/NAME`` (the named graphs of the machinery). Following the W3C "Cool URIs for the
Semantic Web" (section 4.3, 303 URIs forwarding to different documents) and recipe 5 of "Best
Practice Recipes for Publishing RDF Vocabularies", an IRI names a thing, not a document, so it
answers ``303 See Other`` to the document in the format the client's ``Accept`` header prefers:
``NAME.html``, ``NAME.ttl``, ``NAME.nt``, ``NAME.jsonld``, ``NAME.rdf``, ``NAME.trig`` or
``NAME.nq``. The static site (``defenders_kg.site``) writes the same documents under the same
paths, and its ``.htaccess`` gives w3id.org the same redirects.

A description is the *symmetric concise bounded description* of the resource (Stickler, "CBD -
Concise Bounded Description", W3C Member Submission, 2005): every triple with the resource as
subject or as object, with the wordings of its facts and their spans (the words of the text
behind each fact), as a CBD carries the reifications of its statements. The graph has no blank
nodes in its instance data, so nothing further is followed. Asserted and inferred triples are
told apart: TriG and N-Quads keep each triple in its named graph (the statement group of the
sentence that states it, the document graph for a wording, or ``.../graph/inferred`` for the
OWL-RL closure); Turtle and N-Triples write the asserted triples
first and the inferred ones after a comment saying so; RDF/XML puts the inferred
``rdf:Description`` elements after an XML comment saying so.

Nothing here evaluates a query itself: every query goes through a ``Runner`` (the endpoint's pool
of killable workers, with its time limit, or the store directly for the static site), and every
IRI reaches a query as an escaped term, never as pasted text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import Any, Protocol

import pyoxigraph as ox

from . import formats
from .vocab import DKG, DKGR, DOCUMENT_GRAPH, GENID, GRAPH_BASE, INFERRED_GRAPH, ONTOLOGY_GRAPH

SITE = "https://w3id.org/defenders-kg"
ONTOLOGY_IRI = DKG.rstrip("#")
#: A name in an IRI path: letters, digits, ``-``, ``_`` and ``~``. Nothing that can leave the
#: served tree (``..``, ``/``, ``\\``, ``%``, NUL) matches.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,99}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_~-]{0,199}")
#: The document formats, by suffix: HTML for people, the registry's RDF syntaxes for machines.
DOCUMENT_SUFFIXES: dict[str, str] = {
    "html": "html",
    "ttl": "turtle",
    "nt": "nt",
    "jsonld": "jsonld",
    "rdf": "rdfxml",
    "trig": "trig",
    "nq": "nquads",
}
_HTML_TYPE = "text/html"
CACHE_CONTROL = "public, max-age=3600"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SD_GRAPH = "http://www.w3.org/ns/sparql-service-description#Graph"
_EXPLICIT = DKG + "Explicit"
_IMPLICIT = DKG + "Implicit"
_SUPPORT = {_EXPLICIT: "stated", _IMPLICIT: "implied"}
_NIF_CONTEXT = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#Context"
_QUERY_PREFIXES = f"""PREFIX dkg: <{DKG}>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


class Answer(Protocol):
    """What a runner returns: an HTTP-like status, and the body in the format asked for."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...


class Runner(Protocol):
    """Evaluates one query in a registry format (the endpoint's ``QueryPool`` is one)."""

    def run(self, text: str, fmt: str, media_type: str) -> Answer: ...


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


class StoreRunner:
    """Evaluates queries on a store in this process (for the static site; the endpoint has a
    pool of worker processes)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def run(self, text: str, fmt: str, media_type: str) -> Answer:
        from . import engine
        from .errors import DefendersKGError

        try:
            return _Answer(200, engine.run(self.store, text).encode(fmt))
        except DefendersKGError as err:
            return _Answer(err.http_status, str(err).encode("utf-8"))


@dataclass(frozen=True)
class Document:
    """An HTTP answer: status, media type, body and the headers that go with it."""

    status: int
    media_type: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """A dereferenceable IRI: its kind (resource, ontology, graph), its IRI and document path."""

    kind: str
    name: str
    iri: str

    @property
    def path(self) -> str:
        """The document path without suffix, relative to the site root (``resource/x``)."""
        return "ontology" if self.kind == "ontology" else f"{self.kind}/{self.name}"

    @property
    def depth(self) -> int:
        return self.path.count("/")


class LinkedDataError(Exception):
    """An answer other than 200 (404, 406, 503...), with the document to send."""

    def __init__(self, document: Document) -> None:
        super().__init__(document.status)
        self.document = document


def target(kind: str, name: str = "") -> Target | None:
    """The target of ``/resource/NAME``, ``/graph/NAME`` or ``/ontology``; None if the name is not a
    plain slug (so a path can never leave the served tree)."""
    if kind == "ontology":
        if not name:
            return Target("ontology", "", ONTOLOGY_IRI)
        # A module or version IRI under the ontology's (``/ontology/alignments/wikidata/0.1.0``).
        if all(_SEGMENT.fullmatch(part) for part in name.split("/")):
            return Target("ontology", name, f"{ONTOLOGY_IRI}/{name}")
        return None
    if kind not in ("resource", "graph") or not _NAME.fullmatch(name):
        return None
    base = DKGR if kind == "resource" else GRAPH_BASE
    return Target(kind, name, base + name)


def target_of(iri: str) -> Target | None:
    """The target whose IRI is ``iri``, if the project serves it."""
    if iri == ONTOLOGY_IRI:
        return target("ontology")
    if iri.startswith(ONTOLOGY_IRI + "/"):
        return target("ontology", iri[len(ONTOLOGY_IRI) + 1 :])
    for kind, base in (("resource", DKGR), ("graph", GRAPH_BASE)):
        if iri.startswith(base):
            return target(kind, iri[len(base) :])
    return None


def split_suffix(name: str) -> tuple[str, str | None]:
    """``charlie-cox.ttl`` -> (``charlie-cox``, ``turtle``); a name without a known suffix as is."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in DOCUMENT_SUFFIXES:
        return stem, DOCUMENT_SUFFIXES[suffix]
    return name, None


def suffix_of(fmt: str) -> str:
    return next(suffix for suffix, name in DOCUMENT_SUFFIXES.items() if name == fmt)


def media_type_of(fmt: str) -> str:
    return _HTML_TYPE if fmt == "html" else formats.get(fmt).media_type


def offered() -> dict[str, str]:
    """Media types the documents come in, mapped to format names; HTML first (the default)."""
    offers = {_HTML_TYPE: "html", "application/xhtml+xml": "html"}
    for fmt in DOCUMENT_SUFFIXES.values():
        if fmt != "html":
            offers.update(dict.fromkeys(formats.get(fmt).media_types, fmt))
    return offers


def _term(iri: str) -> str:
    """An IRI as a SPARQL term, escaped by Oxigraph (raises ValueError on an invalid IRI)."""
    return str(ox.NamedNode(iri))


# -- queries ---------------------------------------------------------------------------------------


#: A page never holds more than this many pages of the runner's row limit.
MAX_PAGES = 100


class Paged:
    """A runner whose answers are limited to ``page_size`` rows (the endpoint's row limit): a
    SELECT is then read page by page (``LIMIT``/``OFFSET`` on its ``ORDER BY``), each page one
    query under the time limit, up to ``MAX_PAGES`` pages."""

    def __init__(self, runner: Runner, page_size: int) -> None:
        self.runner = runner
        self.page_size = page_size

    def run(self, text: str, fmt: str, media_type: str) -> Answer:
        return self.runner.run(text, fmt, media_type)


def _select(runner: Runner, text: str) -> list[dict[str, Any]]:
    """The bindings of a SELECT (all its pages), in SPARQL JSON; a refused or failed query
    raises ``LinkedDataError`` with the status the runner gave."""
    size = runner.page_size if isinstance(runner, Paged) else None
    if size is None or text.lstrip().startswith("ASK"):
        return _select_once(runner, text)
    rows: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        found = _select_once(runner, f"{text}\nLIMIT {size} OFFSET {page * size}")
        rows += found
        if len(found) < size:
            return rows
    message = f"more than {MAX_PAGES * size} rows; query it at /sparql with LIMIT and OFFSET\n"
    raise LinkedDataError(Document(413, "text/plain; charset=utf-8", message.encode()))


def _select_once(runner: Runner, text: str) -> list[dict[str, Any]]:
    answer = runner.run(text, "json", "application/sparql-results+json")
    if answer.status != 200:
        message = answer.body.decode("utf-8", "replace").strip()
        raise LinkedDataError(
            Document(answer.status, "text/plain; charset=utf-8", (message + "\n").encode())
        )
    data = json.loads(answer.body)
    if "boolean" in data:
        return [{"boolean": data["boolean"]}]
    bindings: list[dict[str, Any]] = data["results"]["bindings"]
    return bindings


def exists(runner: Runner, where: Target) -> bool:
    """Whether the graph says anything about the target (or holds the graph it names)."""
    iri = _term(where.iri)
    if where.kind == "graph":
        text = f"ASK {{ GRAPH {iri} {{ ?s ?p ?o }} }}"
    elif where.kind == "ontology" and where.name:
        # Only the ontology's modules and versions live under its IRI, and its documents
        # describe them all.
        owl = "http://www.w3.org/2002/07/owl#"
        text = (
            f"ASK {{ GRAPH {_term(ONTOLOGY_GRAPH)} {{ {{ {iri} a <{owl}Ontology> }}"
            f" UNION {{ ?ontology <{owl}versionIRI>|<{owl}priorVersion> {iri} }} }} }}"
        )
    else:
        text = f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}"
    return bool(_select(runner, text)[0]["boolean"])


#: The wording of the triple ?s ?p ?o of group ?g, and its spans as "begin-end" pairs.
_WORDING = """OPTIONAL { ?w dkg:inStatementGroup ?g ; dkg:factSubject ?s ; dkg:factPredicate ?p ;
                dkg:factObject ?o ; dkg:span ?span .
             ?span nif:beginIndex ?spanBegin ; nif:endIndex ?spanEnd .
             BIND(CONCAT(STR(?spanBegin), "-", STR(?spanEnd)) AS ?pair) }"""


def _facts_query(iri: str) -> str:
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


def _wordings_query(iri: str) -> str:
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


def _graph_query(iri: str) -> str:
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


def _paragraph_query(iri: str) -> str:
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


# -- terms and quads -------------------------------------------------------------------------------


def _ox_term(binding: Mapping[str, str]) -> Any:
    """A SPARQL JSON term as an Oxigraph term."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if "xml:lang" in binding:
        return ox.Literal(value, language=binding["xml:lang"])
    if "datatype" in binding:
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def _quads(where: Target, rows: list[dict[str, Any]]) -> list[ox.Quad]:
    """The description's quads, sorted, each in the graph it comes from."""
    me = ox.NamedNode(where.iri)
    quads = set()
    for row in rows:
        subject: Any
        obj: Any
        if row.get("dir", {}).get("value") == "wording":
            subject, obj = _ox_term(row["s"]), _ox_term(row["o"])
            graph = ox.NamedNode(row["g"]["value"])
        elif where.kind == "resource":
            subject, obj = me, _ox_term(row["other"])
            if row["dir"]["value"] == "in":
                subject, obj = obj, me
            graph = ox.NamedNode(row["g"]["value"])
        else:
            subject, obj = _ox_term(row["s"]), _ox_term(row["o"])
            graph = me if where.kind == "graph" else ox.NamedNode(ONTOLOGY_GRAPH)
        triple = (subject, _ox_term(row["p"]), obj)
        quads.add(ox.Quad(*triple, graph))
    if where.kind == "graph":
        # A graph's document names the graph it holds; the statement sits outside that graph.
        quads.add(ox.Quad(me, ox.NamedNode(_RDF_TYPE), ox.NamedNode(_SD_GRAPH), ox.DefaultGraph()))
    return sorted(quads, key=lambda quad: (str(quad.graph_name), str(quad.triple)))


def _text(items: Iterable[Any], rdf: ox.RdfFormat | None, *, prefixes: bool = True) -> str:
    """Oxigraph's serialization of ``items`` as text, with the project's prefixes."""
    from .vocab import PREFIXES

    data = ox.serialize(items, format=rdf, prefixes=dict(PREFIXES) if prefixes else None)
    return (data or b"").decode("utf-8")


def _serialize(quads: list[ox.Quad], fmt: str, where: Target) -> bytes:
    """The description in ``fmt``; asserted and inferred triples told apart (see the module)."""
    spec = formats.get(fmt, kinds=("graph", "dataset"))
    if spec.kind == "dataset":
        return _text(quads, spec.rdf).encode("utf-8")
    if fmt == "jsonld":
        return _jsonld(quads)
    inferred_graph = _term(INFERRED_GRAPH)
    asserted = sorted({q.triple for q in quads if str(q.graph_name) != inferred_graph}, key=str)
    inferred = sorted({q.triple for q in quads if str(q.graph_name) == inferred_graph}, key=str)
    note = (
        f"Inferred by OWL-RL from the ontology and the asserted triples (graph <{INFERRED_GRAPH}>);"
        " no sentence states them"
    )
    if fmt == "rdfxml":
        head = _text(asserted, spec.rdf)
        if not inferred:
            return head.encode("utf-8")
        # The inferred descriptions: past the XML declaration and the rdf:RDF start tag.
        body = _text(inferred, spec.rdf).split(">", 2)[2].rsplit("</rdf:RDF>", 1)[0]
        head = head.rsplit("</rdf:RDF>", 1)[0]
        return f"{head}\t<!-- {escape(note)} -->{body}</rdf:RDF>\n".encode()
    counts = f"{len(asserted)} asserted and {len(inferred)} inferred, the inferred ones last"
    if where.kind == "resource":
        title = f"The symmetric concise bounded description of <{where.iri}>:\n# every triple"
        title += " with it as subject or object,\n# and the words of the text behind each fact"
    else:
        graph = where.iri if where.kind == "graph" else ONTOLOGY_GRAPH
        title = f"The triples of the graph <{graph}>"
    out = [f"# {title};\n# {counts}.\n"]
    if fmt == "turtle":
        # Oxigraph declares only the prefixes a part uses: the two parts share one declaration.
        declared: set[str] = set()
        bodies = []
        for part in (asserted, inferred):
            lines = _text(part, spec.rdf).splitlines(True)
            declared.update(line for line in lines if line.startswith("@prefix"))
            bodies.append([line for line in lines if not line.startswith("@prefix")])
        out += [*sorted(declared), *bodies[0]]
        if inferred:
            out += ["\n# " + note + ".\n", *bodies[1]]
    else:
        out.append(_text(asserted, spec.rdf, prefixes=False))
        if inferred:
            out += ["# " + note + ".\n", _text(inferred, spec.rdf, prefixes=False)]
    return "".join(out).encode("utf-8")


def _jsonld(quads: list[ox.Quad]) -> bytes:
    """JSON-LD compacted with the project's context: a graph, every triple in the default graph,
    as in Turtle (which graph states a triple travels in TriG and N-Quads)."""
    from rdflib import Graph

    from .describe_dataset import jsonld_context
    from .export import _rdflib, _sorted_json

    graph = Graph()
    for quad in quads:
        graph.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    context = jsonld_context()["@context"]
    data = graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
    return _sorted_json(data)


def not_found(where: Target, fmt: str) -> Document:
    """404 in the format asked for: an empty RDF document, or an HTML page that says so."""
    message = f"Nothing is known about <{where.iri}> here."
    if fmt == "html":
        page = Page("Not found", where.depth)
        page.add(f"<h1>Not found</h1><p>{escape(message)}</p>")
        page.add(f'<p><a href="{page.root}resource/source-document.html">The paragraph</a></p>')
        body = page.html().encode("utf-8")
    elif fmt == "jsonld":
        body = b'{\n  "@graph": []\n}\n'
    elif fmt == "rdfxml":
        empty = _text([], ox.RdfFormat.RDF_XML, prefixes=False)
        body = empty.replace("<rdf:RDF", f"<!-- {escape(message)} -->\n<rdf:RDF", 1).encode()
    else:
        body = f"# {message}\n".encode()
    return _document(404, fmt, body)


def _document(status: int, fmt: str, body: bytes, **extra: str) -> Document:
    """An answer in ``fmt`` (a document format, or ``text`` for a plain note) with the headers
    every answer carries: Vary, an ETag of the body, Cache-Control; ``extra`` adds to them."""
    media = "text/plain" if fmt == "text" else media_type_of(fmt)
    if fmt == "html" or media.startswith("text/"):
        media += "; charset=utf-8"
    etag = entity_tag(body)
    headers = {"Vary": "Accept", "ETag": etag, "Cache-Control": CACHE_CONTROL, **extra}
    return Document(status, media, body, headers)


def _rows(runner: Runner, where: Target) -> list[dict[str, Any]]:
    if where.kind == "resource":
        facts = _select(runner, _facts_query(_term(where.iri)))
        if not facts:
            return []
        return facts + _select(runner, _wordings_query(_term(where.iri)))
    graph = where.iri if where.kind == "graph" else ONTOLOGY_GRAPH
    return _select(runner, _graph_query(_term(graph)))


def render(
    runner: Runner, where: Target, fmt: str, *, query_page: str | None = None,
    ontology_html: str | None = None,
) -> Document:  # fmt: skip
    """The document of a target in ``fmt`` (``html`` or an RDF format name); 404 if unknown.

    ``query_page`` is the query page's path from the site root (the endpoint has one, the static
    site none); ``ontology_html`` is the page for ``/ontology`` as HTML, if there is one.
    """
    found = documents(runner, where, (fmt,), query_page=query_page, ontology_html=ontology_html)
    return found.get(fmt) or not_found(where, fmt)


def documents(
    runner: Runner, where: Target, fmts: Iterable[str], *, query_page: str | None = None,
    ontology_html: str | None = None,
) -> dict[str, Document]:  # fmt: skip
    """The target's documents in each of ``fmts``, from one evaluation of its query; empty
    when the graph says nothing about it."""
    rows = _rows(runner, where)
    if not rows:
        return {}
    out = {}
    for fmt in fmts:
        if fmt != "html":
            out[fmt] = _document(200, fmt, _serialize(_quads(where, rows), fmt, where))
        elif where.kind == "ontology" and ontology_html is not None:
            out[fmt] = _document(200, "html", ontology_html.encode("utf-8"))
        else:
            out[fmt] = _document(200, "html", _page(runner, where, rows, query_page).encode())
    return out


def _page(runner: Runner, where: Target, rows: list[dict[str, Any]], query_page: str | None) -> str:
    if where.kind != "resource":
        return graph_page(where, rows)
    # The wordings' triples show as marks in the quotes, not as facts.
    rows = [row for row in rows if row["dir"]["value"] != "wording"]
    kinds = {row["other"]["value"] for row in rows if row["p"]["value"] == _RDF_TYPE}
    if _NIF_CONTEXT in kinds:
        paragraph = _select(runner, _paragraph_query(_term(where.iri)))
        return paragraph_page(where, rows, paragraph, query_page)
    return entity_page(where, rows, query_page)


def negotiate(accept: str) -> str | None:
    """The document format the Accept header prefers (HTML when it has no preference)."""
    from .formats import negotiate as choose

    offers = offered()
    media = choose(accept, offers)
    return offers[media] if media else None


def see_other(where: Target, fmt: str) -> Document:
    """303 See Other to the document of ``where`` in ``fmt`` (a relative Location)."""
    # The ontology's modules and versions are described by the ontology's documents.
    up = "../" * (where.name.count("/") + 1) if where.kind == "ontology" and where.name else ""
    location = f"{up}{where.path.rpartition('/')[2]}.{suffix_of(fmt)}"
    return _document(303, "text", f"See {location}\n".encode(), Location=location)


# -- HTML ------------------------------------------------------------------------------------------


def _stylesheet() -> str:
    return resources.files("defenders_kg").joinpath("web/page.css").read_text(encoding="utf-8")


class Page:
    """An HTML page of the site: the shared head, navigation and stylesheet (inline, so that the
    page works from ``file://`` and under any sub-path), and its body parts."""

    def __init__(self, title: str, depth: int, *, alternates: Iterable[str] = (),
                 name: str = "") -> None:  # fmt: skip
        self.title = title
        self.root = "../" * depth
        self.alternates = [(suffix, name) for suffix in alternates]
        self.parts: list[str] = []

    def add(self, html: str) -> None:
        self.parts.append(html)

    def html(self) -> str:
        links = "".join(
            f'<link rel="alternate" type="{media_type_of(DOCUMENT_SUFFIXES[suffix])}" '
            f'href="{escape(name)}.{suffix}">'
            for suffix, name in self.alternates
        )
        return (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(self.title)} · The Defenders knowledge graph</title>\n{links}\n"
            f"<style>\n{_stylesheet()}</style>\n</head>\n<body>\n"
            '<header><nav aria-label="Site"><a href="' + self.root + 'index.html">'
            "The Defenders knowledge graph</a> · "
            f'<a href="{self.root}resource/source-document.html">The paragraph</a> · '
            f'<a href="{self.root}ontology.html">Ontology</a></nav></header>\n'
            "<main>\n" + "\n".join(self.parts) + "\n</main>\n</body>\n</html>\n"
        )


def href(iri: str, root: str) -> str | None:
    """Where a link to ``iri`` goes: the project's own pages relative to ``root``, other IRIs
    as they are, skolem IRIs (blank nodes) nowhere."""
    if iri.startswith(GENID):
        return None
    if iri.startswith(DKG):
        return f"{root}ontology.html#{iri[len(DKG) :]}"
    document, hash_mark, fragment = iri.partition("#")
    if hash_mark and document.startswith(DKGR) and target_of(document) is not None:
        # A span (``source-document#char=55,63``) or a wording: a fragment of its document's page.
        return f"{href(document, root)}#{fragment}"
    found = target_of(iri)
    if found is not None:
        return f"{root}{found.path}.html"
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def _short(iri: str) -> str:
    from .vocab import PREFIXES

    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _term_html(term: Mapping[str, str] | None, label: Mapping[str, str] | None, root: str) -> str:
    """A term as HTML: a link with its label for an IRI, the value (and language or type) for a
    literal."""
    if term is None:
        return ""
    if term["type"] == "literal":
        extra = term.get("xml:lang") or _short(term.get("datatype", ""))
        suffix = f' <span class="datatype">{escape(extra)}</span>' if extra else ""
        return f'<span class="literal">{escape(term["value"])}</span>{suffix}'
    text = label["value"] if label else _short(term["value"])
    target_href = href(term["value"], root)
    if target_href is None:
        return f"<span>{escape(text)}</span>"
    return f'<a href="{escape(target_href)}" title="{escape(term["value"])}">{escape(text)}</a>'


def highlight(sentence: str, begin: int, spans: Iterable[tuple[int, int]]) -> str:
    """The sentence as HTML with the recorded spans wrapped in ``<mark>``.

    ``begin`` is the sentence's ``nif:beginIndex`` and the spans are offsets into the paragraph
    (0-based code points, end exclusive, as in graph/spans/), so each mark carries its own.
    Overlapping spans make one mark; nothing is found by matching names.
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, position = [], 0
    for start, end in merged:
        local_start, local_end = start - begin, end - begin
        out.append(escape(sentence[position:local_start]))
        out.append(
            f'<mark data-begin="{start}" data-end="{end}">'
            f"{escape(sentence[local_start:local_end])}</mark>"
        )
        position = local_end
    out.append(escape(sentence[position:]))
    return "".join(out)


def spans_of(row: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The spans of a row's ``spans`` column ("begin-end" pairs), in text order."""
    pairs = row.get("spans", {}).get("value", "").split()
    return sorted((int(b), int(e)) for b, _, e in (pair.partition("-") for pair in pairs))


@dataclass
class _Evidence:
    kind: str  # stated, implied, inferred, ontology, document, asserted
    sentence: str = ""
    number: int = 0
    begin: int = 0
    text: str = ""
    wording: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Fact:
    other: dict[str, str]
    label: dict[str, str] | None
    evidence: list[_Evidence] = field(default_factory=list)


def _kind(row: Mapping[str, Any]) -> str:
    graph = row["g"]["value"]
    if graph == INFERRED_GRAPH:
        return "inferred"
    if graph == ONTOLOGY_GRAPH:
        return "ontology"
    if graph == DOCUMENT_GRAPH:
        return "document"
    return _SUPPORT.get(row.get("support", {}).get("value"), "asserted")


def _label_of(rows: list[dict[str, Any]]) -> str | None:
    for row in rows:
        if row["dir"]["value"] == "out" and row["p"]["value"] == _LABEL:
            return str(row["other"]["value"])
    return None


def entity_page(where: Target, rows: list[dict[str, Any]], query_page: str | None) -> str:
    """The HTML page of a resource: label, types, facts by property (outgoing, then incoming),
    each asserted fact with its sentence quoted and the words that state it marked."""
    label = _label_of(rows) or where.name
    page = Page(label, where.depth, alternates=("ttl", "jsonld"), name=where.name)
    root = page.root
    types = sorted(
        {
            (row["olabel"]["value"] if "olabel" in row else _short(row["other"]["value"]),
             row["other"]["value"])
            for row in rows
            if row["dir"]["value"] == "out" and row["p"]["value"] == _RDF_TYPE
            and _kind(row) != "inferred"
        }
    )  # fmt: skip
    type_links = ", ".join(
        _term_html({"type": "uri", "value": iri}, {"value": text}, root) for text, iri in types
    )
    page.add(f"<h1>{escape(label)}</h1>")
    page.add(f'<p class="iri"><code>{escape(where.iri)}</code></p>')
    if type_links:
        page.add(f'<p class="types">A {type_links}.</p>')
    alternates = (
        f'<a href="{escape(where.name)}.ttl">Turtle</a>, '
        f'<a href="{escape(where.name)}.jsonld">JSON-LD</a>, '
        f'<a href="{escape(where.name)}.nt">N-Triples</a>, '
        f'<a href="{escape(where.name)}.trig">TriG</a> (each fact in its graph)'
    )
    page.add(f'<p class="formats">This description as {alternates}.</p>')
    if query_page is not None:
        from urllib.parse import quote

        describe = quote(f"DESCRIBE {_term(where.iri)}", safe="")
        page.add(
            f'<p class="query"><a id="describe" href="{root}{query_page}?query={describe}">'
            "Open a DESCRIBE of it in the query page</a></p>"
        )
    asserted = [row for row in rows if _kind(row) != "inferred"]
    inferred = [row for row in rows if _kind(row) == "inferred"]
    for direction, title in (
        ("out", f"Facts about {label}"),
        ("in", f"Facts that point to {label}"),
    ):
        part = [row for row in asserted if row["dir"]["value"] == direction]
        if part:
            page.add(f"<section><h2>{escape(title)}</h2>")
            page.add(_fact_groups(part, direction, label, root, level=3, iri=where.iri))
            page.add("</section>")
    if inferred:
        page.add(
            f'<section class="inferred"><h2>Inferred facts ({len(inferred)})</h2>'
            "<p>Derived by OWL-RL inference from the ontology and the asserted facts; no sentence"
            f" states them.</p><details><summary>Show the {len(inferred)} inferred facts</summary>"
        )
        for direction in ("out", "in"):
            part = [row for row in inferred if row["dir"]["value"] == direction]
            if part:
                heading = "About it" if direction == "out" else "Pointing to it"
                page.add(f"<h3>{heading}</h3>")
                page.add(_fact_groups(part, direction, label, root, level=4))
        page.add("</details></section>")
    return page.html()


_PREPOSITIONS = frozenset({"about", "after", "at", "by", "for", "from", "in", "of", "on", "with"})
_VERBS = frozenset({"concerns", "portrays"})


def incoming_wording(label: str) -> tuple[str, str]:
    """How a property without a labelled inverse reads from its object's side, as the words of
    its label to show and the word that follows them: "has member" reads
    "member of", a noun "actor" reads "actor of", and a phrase with a preposition or a verb
    ("based on", "named after", "part of collection", "concerns") reads "based on this"."""
    words = label.split()
    if len(words) > 1 and words[0].lower() == "has":
        return " ".join(words[1:]), " of"
    if _PREPOSITIONS & {w.lower() for w in words} or label.lower() in _VERBS:
        return label, " this"
    return label, " of"


def _fact_groups(
    rows: list[dict[str, Any]], direction: str, label: str, root: str, *, level: int,
    iri: str = "",
) -> str:  # fmt: skip
    """Facts grouped by property, each value once with every piece of evidence behind it.

    A value that is a fragment of the page's own IRI (a wording of a statement group) gets its
    fragment as the id of its item, so that links to it land there.
    """
    groups: dict[str, dict[str, _Fact]] = defaultdict(dict)
    plabels: dict[str, str] = {}
    inverses: dict[str, tuple[str, str]] = {}
    for row in rows:
        prop = row["p"]["value"]
        plabels[prop] = row["plabel"]["value"] if "plabel" in row else _short(prop)
        if "inverse" in row and "ilabel" in row:
            inverses[prop] = (row["inverse"]["value"], row["ilabel"]["value"])
        other = row["other"]
        key = json.dumps(other, sort_keys=True)
        fact = groups[prop].setdefault(key, _Fact(other, row.get("olabel")))
        kind = _kind(row)
        if "sentence" in row:
            fact.evidence.append(
                _Evidence(kind, row["sentence"]["value"], int(row["num"]["value"]),
                          int(row["begin"]["value"]), row["text"]["value"],
                          row.get("wording", {}).get("value", ""), spans_of(row))
            )  # fmt: skip
        else:
            fact.evidence.append(_Evidence(kind))
    out = []
    for prop in sorted(groups, key=lambda p: (plabels[p].lower(), p)):
        if direction == "out":
            heading = _term_html({"type": "uri", "value": prop}, {"value": plabels[prop]}, root)
        elif prop in inverses:
            inverse, inverse_label = inverses[prop]
            heading = _term_html({"type": "uri", "value": inverse}, {"value": inverse_label}, root)
        else:
            words, after = incoming_wording(plabels[prop])
            heading = _term_html({"type": "uri", "value": prop}, {"value": words}, root) + after
        out.append(f'<div class="property"><h{level}>{heading}</h{level}><ul class="facts">')
        facts = sorted(groups[prop].values(), key=lambda f: (f.label or f.other)["value"])
        for fact in facts:
            value = _term_html(fact.other, fact.label, root)
            document, hash_mark, fragment = fact.other["value"].partition("#")
            anchor = f' id="{escape(fragment)}"' if hash_mark and iri and document == iri else ""
            out.append(f'<li{anchor}><p class="value">{value}</p>{_evidence_html(fact, root)}</li>')
        out.append("</ul></div>")
    return "".join(out)


_KIND_TEXT = {
    "stated": "stated by",
    "implied": "implied by",
    "inferred": "inferred",
    "ontology": "from the ontology",
    "document": "from the document's structure",
    "asserted": "asserted (your data)",
}


def _evidence_html(fact: _Fact, root: str) -> str:
    out = []
    seen = set()
    for evidence in sorted(fact.evidence, key=lambda e: (e.number, e.kind)):
        if (evidence.kind, evidence.sentence) in seen:
            continue
        seen.add((evidence.kind, evidence.sentence))
        badge = f'<span class="badge {evidence.kind}">{_KIND_TEXT[evidence.kind]}</span>'
        if not evidence.sentence:
            out.append(f'<p class="evidence">{badge}</p>')
            continue
        sentence_href = f"{root}resource/source-document.html#sentence-{evidence.number:02d}"
        quote = highlight(evidence.text, evidence.begin, evidence.spans)
        wording = f' data-wording="{escape(evidence.wording)}"' if evidence.wording else ""
        out.append(
            f'<figure class="evidence {evidence.kind}"{wording}><blockquote>{quote}</blockquote>'
            f'<figcaption>{badge} <a href="{sentence_href}">sentence {evidence.number}</a>'
            "</figcaption></figure>"
        )
    return "".join(out)


def paragraph_page(
    where: Target, rows: list[dict[str, Any]], sentences: list[dict[str, Any]],
    query_page: str | None,
) -> str:  # fmt: skip
    """The source paragraph: each sentence, and under it the facts it states and implies."""
    label = _label_of(rows) or where.name
    page = Page(label, where.depth, alternates=("ttl", "jsonld"), name=where.name)
    root = page.root
    page.add(f"<h1>{escape(label)}</h1>")
    page.add(f'<p class="iri"><code>{escape(where.iri)}</code></p>')
    page.add(
        f'<p class="formats">Its description as <a href="{escape(where.name)}.ttl">Turtle</a>, '
        f'<a href="{escape(where.name)}.jsonld">JSON-LD</a>. Each sentence below lists the facts '
        "it states, with the words that state them marked.</p>"
    )
    by_sentence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    order: list[dict[str, Any]] = []
    for row in sentences:
        iri = row["sentence"]["value"]
        if iri not in by_sentence:
            order.append(row)
        by_sentence[iri].append(row)
    for head in sorted(order, key=lambda r: int(r["num"]["value"])):
        number = int(head["num"]["value"])
        begin = int(head["begin"]["value"])
        text = head["text"]["value"]
        facts = [row for row in by_sentence[head["sentence"]["value"]] if "s" in row]
        sentence_link = href(head["sentence"]["value"], root) or "#"
        stating: dict[tuple[int, int], list[str]] = defaultdict(list)
        for row in facts:
            for span in spans_of(row):
                stating[span].append(_triple_html(row, root))
        page.add(
            f'<section class="sentence" id="sentence-{number:02d}" '
            f'aria-labelledby="heading-{number:02d}">'
            f'<h2 id="heading-{number:02d}"><a href="{escape(sentence_link)}">Sentence {number}</a>'
            f"</h2><blockquote>{highlight(text, begin, stating)}</blockquote>"
        )
        for support, title in (("stated", "States"), ("implied", "Implies")):
            chosen = [
                row for row in facts
                if _SUPPORT.get(row["support"]["value"]) == support
            ]  # fmt: skip
            if not chosen:
                continue
            page.add(f'<h3>{title} ({len(chosen)})</h3><ul class="triples {support}">')
            for row in chosen:
                words = " … ".join(text[b - begin : e - begin] for b, e in spans_of(row))
                wording = row.get("wording", {}).get("value", "")
                page.add(
                    f'<li data-wording="{escape(wording)}">{_triple_html(row, root)}'
                    + (f' <q class="words">{escape(words)}</q>' if words else "")
                    + "</li>"
                )
            page.add("</ul>")
        if stating:
            page.add(
                f"<details><summary>Each span and the facts it states ({len(stating)})"
                '</summary><ul class="spans">'
            )
            for (b, e), triples in sorted(stating.items()):
                page.add(
                    f'<li id="char={b},{e}"><q>{escape(text[b - begin : e - begin])}</q> '
                    f'<span class="offsets">{b}\u2013{e}</span><ul>'
                    + "".join(f"<li>{triple}</li>" for triple in triples)
                    + "</ul></li>"
                )
            page.add("</ul></details>")
        page.add("</section>")
    return page.html()


def _triple_html(row: Mapping[str, Any], root: str) -> str:
    return " · ".join(
        _term_html(row[name], row.get(name + "label"), root) for name in ("s", "p", "o")
    )


#: The most triples a graph's page shows; its RDF documents hold them all. The document graph,
#: with the spans of every fact, has over 4,000: as one HTML table (2 MB) no one reads it, and a
#: browser's accessibility check alone took over a minute.
GRAPH_PAGE_ROWS = 1000


def graph_page(where: Target, rows: list[dict[str, Any]]) -> str:
    """A named graph as a table of its triples (at most ``GRAPH_PAGE_ROWS``)."""
    title = "The ontology" if where.kind == "ontology" else f"Graph {where.name}"
    page = Page(title, where.depth, alternates=("ttl", "jsonld"),
                name=where.path.rpartition("/")[2])  # fmt: skip
    root = page.root
    stem = escape(where.path.rpartition("/")[2])
    page.add(f"<h1>{escape(title)}</h1>")
    page.add(f'<p class="iri"><code>{escape(where.iri)}</code></p>')
    shown = rows[:GRAPH_PAGE_ROWS]
    part = "" if len(shown) == len(rows) else f"; the first {len(shown):,} below, all of them"
    page.add(
        f'<p class="formats">{len(rows):,} triples{part} as <a href="{stem}.ttl">Turtle</a>, '
        f'<a href="{stem}.jsonld">JSON-LD</a>.</p>'
    )
    page.add(
        '<div class="table"><table><thead><tr><th scope="col">subject</th>'
        '<th scope="col">property</th><th scope="col">value</th></tr></thead><tbody>'
    )
    for row in shown:
        page.add(
            f"<tr><td>{_term_html(row['s'], row.get('slabel'), root)}</td>"
            f"<td>{_term_html(row['p'], row.get('plabel'), root)}</td>"
            f"<td>{_term_html(row['o'], row.get('olabel'), root)}</td></tr>"
        )
    page.add("</tbody></table></div>")
    return page.html()


def ontology_graph(runner: Runner) -> Any:
    """The ontology graph of the store as an rdflib Graph (for its page), skolem IRIs as blank
    nodes again."""
    from rdflib import BNode, Graph, Literal, URIRef

    def term(binding: Mapping[str, str]) -> Any:
        value = binding["value"]
        if binding["type"] == "uri":
            return BNode(value[len(GENID) :]) if value.startswith(GENID) else URIRef(value)
        if binding["type"] == "bnode":
            return BNode(value)
        datatype = binding.get("datatype")
        return Literal(value, lang=binding.get("xml:lang"),
                       datatype=URIRef(datatype) if datatype else None)  # fmt: skip

    graph = Graph()
    ontology = _term(ONTOLOGY_GRAPH)
    text = f"SELECT ?s ?p ?o WHERE {{ GRAPH {ontology} {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o"
    for row in _select(runner, text):
        graph.add((term(row["s"]), term(row["p"]), term(row["o"])))
    return graph


# -- the endpoint's routes -------------------------------------------------------------------------


class _OntologyPage:
    """The ontology's documentation page, built once by ``build`` from the store's ontology graph
    (``ontology_docs.ontology_html``, passed in: that module builds on this one's pages)."""

    def __init__(self, runner: Runner, build: Callable[[Any], str]) -> None:
        self.runner = runner
        self.build = build
        self.html: str | None = None

    def get(self) -> str:
        if self.html is None:
            self.html = self.build(ontology_graph(self.runner))
        return self.html


def respond(
    runner: Runner, where: Target | None, fmt: str | None, accept: str, if_none_match: str,
    ontology: _OntologyPage | None = None,
) -> Document:  # fmt: skip
    """The answer to a GET of an IRI (``fmt`` None: negotiate, 303) or of one of its documents.

    ``if_none_match`` is honoured on a 200 only (RFC 9110 section 13.2.1): ``*``, or a list of
    entity tags compared weakly, so ``W/"x"`` matches ``"x"``."""
    if where is None:
        return _document(404, "text", b"not found\n")
    try:
        if fmt is None:
            chosen = negotiate(accept)
            if chosen is None:
                kinds = ", ".join(offered())
                message = f"cannot answer {accept}; offered: {kinds}\n"
                return _document(406, "text", message.encode())
            if not exists(runner, where):
                return not_found(where, chosen)
            return see_other(where, chosen)
        page = ontology.get() if ontology is not None and where.kind == "ontology" else None
        document = render(runner, where, fmt, query_page="", ontology_html=page)
    except LinkedDataError as err:
        return err.document
    if document.status == 200 and not_modified(if_none_match, document.headers.get("ETag", "")):
        return Document(304, document.media_type, b"", document.headers)
    return document


def entity_tag(body: bytes) -> str:
    """The strong entity tag of a body: the same bytes, the same tag, in every process."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag``: ``*``, or a list of tags compared weakly
    (RFC 9110 section 13.1.2), so ``W/"x"`` matches ``"x"``."""
    if not etag:
        return False
    tags = {tag.removeprefix("W/") for tag in re.findall(r'(?:W/)?"[^"]*"', if_none_match)}
    return if_none_match.strip() == "*" or etag.removeprefix("W/") in tags


def routes(runner: Runner, ontology_page: Callable[[Any], str]) -> list[Any]:
    """Starlette routes for ``/resource/NAME``, ``/graph/NAME``, ``/ontology`` and their
    documents (``NAME.html``, ``NAME.ttl``, ...), answered through ``runner``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import RedirectResponse, Response
    from starlette.routing import Route

    # The endpoint's pool answers at most its row limit; pages and descriptions read past it in
    # pages, each one query under the same time limit.
    limits = getattr(runner, "limits", None)
    if limits is not None:
        runner = Paged(runner, limits.max_rows)
    ontology = _OntologyPage(runner, ontology_page)

    async def answer(request: Request, where: Target | None, fmt: str | None) -> Response:
        document = await run_in_threadpool(
            respond, runner, where, fmt, request.headers.get("accept", ""),
            request.headers.get("if-none-match", ""), ontology,
        )  # fmt: skip
        return Response(document.body, status_code=document.status,
                        media_type=document.media_type, headers=dict(document.headers))  # fmt: skip

    def named(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            name, fmt = split_suffix(request.path_params["name"])
            return await answer(request, target(kind, name), fmt)

        return endpoint

    async def ontology_iri(request: Request) -> Response:
        return await answer(request, target("ontology"), None)

    async def ontology_module(request: Request) -> Response:
        return await answer(request, target("ontology", request.path_params["rest"]), None)

    async def ontology_document(request: Request) -> Response:
        fmt = DOCUMENT_SUFFIXES.get(request.path_params["suffix"])
        return await answer(request, target("ontology") if fmt else None, fmt)

    async def nothing(request: Request) -> Response:
        return Response("not found\n", status_code=404, media_type="text/plain")

    async def home(request: Request) -> Response:
        return RedirectResponse("./", status_code=303)

    return [
        Route("/index.html", home),
        Route("/resource/{name}", named("resource")),
        Route("/graph/{name}", named("graph")),
        Route("/ontology", ontology_iri),
        Route("/ontology.{suffix}", ontology_document),
        Route("/ontology/{rest:path}", ontology_module),
        # Anything deeper (a decoded %2F, "..") is outside the served tree: nothing is served.
        Route("/resource/{rest:path}", nothing),
        Route("/graph/{rest:path}", nothing),
    ]
