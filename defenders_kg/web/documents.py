"""The documents of an IRI and the HTTP answers that carry them.

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
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from html import escape
from typing import Any

import pyoxigraph as ox

from .. import formats
from ..terms import sparql_term
from ..vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, PREFIXES, RDF_TYPE, SD
from .iris import Target, media_type_of, offered, suffix_of
from .lookup import Document, Row, Runner, rows_of, value

CACHE_CONTROL = "public, max-age=3600"


def _quads(where: Target, rows: list[Row]) -> list[ox.Quad]:
    """The description's quads, sorted, each in the graph it comes from."""
    me = ox.NamedNode(where.iri)
    quads = set()
    for row in rows:
        subject: Any
        obj: Any
        if value(row, "dir") == "wording":
            subject, obj = row["s"], row["o"]
            graph = ox.NamedNode(row["g"].value)
        elif where.kind == "resource":
            subject, obj = me, row["other"]
            if value(row, "dir") == "in":
                subject, obj = obj, me
            graph = ox.NamedNode(row["g"].value)
        else:
            subject, obj = row["s"], row["o"]
            graph = me if where.kind == "graph" else ox.NamedNode(ONTOLOGY_GRAPH)
        quads.add(ox.Quad(subject, ox.NamedNode(row["p"].value), obj, graph))
    if where.kind == "graph":
        # A graph's document names the graph it holds; the statement sits outside that graph.
        quads.add(
            ox.Quad(me, ox.NamedNode(RDF_TYPE), ox.NamedNode(SD + "Graph"), ox.DefaultGraph())
        )
    return sorted(quads, key=lambda quad: (str(quad.graph_name), str(quad.triple)))


def _text(items: Iterable[Any], rdf: ox.RdfFormat | None, *, prefixes: bool = True) -> str:
    """Oxigraph's serialization of ``items`` as text, with the project's prefixes."""
    data = ox.serialize(items, format=rdf, prefixes=dict(PREFIXES) if prefixes else None)
    return (data or b"").decode("utf-8")


def _serialize(quads: list[ox.Quad], fmt: str, where: Target) -> bytes:
    """The description in ``fmt``; asserted and inferred triples told apart (see the module)."""
    spec = formats.get(fmt, kinds=("graph", "dataset"))
    if spec.kind == "dataset":
        return _text(quads, spec.rdf).encode("utf-8")
    if fmt == "jsonld":
        return _jsonld(quads)
    inferred_graph = sparql_term(INFERRED_GRAPH)
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

    from ..describe_dataset import jsonld_context
    from ..export import _sorted_json
    from ..terms import to_rdflib

    graph = Graph()
    for quad in quads:
        graph.add(tuple(to_rdflib(term, exact=True) for term in quad.triple))
    context = jsonld_context()["@context"]
    data = graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
    return _sorted_json(data)


def not_found(where: Target, fmt: str) -> Document:
    """404 in the format asked for: an empty RDF document, or an HTML page that says so."""
    from .pages import not_found_page

    message = f"Nothing is known about <{where.iri}> here."
    if fmt == "html":
        body = not_found_page(where, message).encode("utf-8")
    elif fmt == "jsonld":
        body = b'{\n  "@graph": []\n}\n'
    elif fmt == "rdfxml":
        empty = _text([], ox.RdfFormat.RDF_XML, prefixes=False)
        body = empty.replace("<rdf:RDF", f"<!-- {escape(message)} -->\n<rdf:RDF", 1).encode()
    else:
        body = f"# {message}\n".encode()
    return document(404, fmt, body)


def document(status: int, fmt: str, body: bytes, **extra: str) -> Document:
    """An answer in ``fmt`` (a document format, or ``text`` for a plain note) with the headers
    every answer carries: Vary, an ETag of the body, Cache-Control; ``extra`` adds to them."""
    media = "text/plain" if fmt == "text" else media_type_of(fmt)
    if fmt == "html" or media.startswith("text/"):
        media += "; charset=utf-8"
    etag = entity_tag(body)
    headers = {"Vary": "Accept", "ETag": etag, "Cache-Control": CACHE_CONTROL, **extra}
    return Document(status, media, body, headers)


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
    from .pages import page_of

    rows = rows_of(runner, where)
    if not rows:
        return {}
    out = {}
    for fmt in fmts:
        if fmt != "html":
            out[fmt] = document(200, fmt, _serialize(_quads(where, rows), fmt, where))
        elif where.kind == "ontology" and ontology_html is not None:
            out[fmt] = document(200, "html", ontology_html.encode("utf-8"))
        else:
            out[fmt] = document(200, "html", page_of(runner, where, rows, query_page).encode())
    return out


def negotiate(accept: str) -> str | None:
    """The document format the Accept header prefers (HTML when it has no preference)."""
    offers = offered()
    media = formats.negotiate(accept, offers)
    return offers[media] if media else None


def see_other(where: Target, fmt: str) -> Document:
    """303 See Other to the document of ``where`` in ``fmt`` (a relative Location)."""
    # The ontology's modules and versions are described by the ontology's documents.
    up = "../" * (where.name.count("/") + 1) if where.kind == "ontology" and where.name else ""
    location = f"{up}{where.path.rpartition('/')[2]}.{suffix_of(fmt)}"
    return document(303, "text", f"See {location}\n".encode(), Location=location)


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
