"""The one format registry: every syntax read or written, by name, suffix and media type.

Load, export, query results, the endpoint and the remote client all look formats up here, so a
name means the same thing everywhere: ``xml`` is always SPARQL Query Results XML and ``rdfxml``
always RDF/XML.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import pyoxigraph as ox

from .errors import FormatError

#: ``graph``: RDF triples; ``dataset``: RDF with named graphs; ``results``: SPARQL SELECT/ASK
#: results; ``text``: the aligned table for people.
Kind = Literal["graph", "dataset", "results", "text"]


class Format(NamedTuple):
    """One syntax: its CLI name, file suffixes, media types (the first is canonical) and parser."""

    name: str
    kind: Kind
    label: str
    suffixes: tuple[str, ...] = ()
    media_types: tuple[str, ...] = ()
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None

    @property
    def media_type(self) -> str:
        return self.media_types[0] if self.media_types else "text/plain"

    @property
    def iri(self) -> str:
        """The format's W3C identifier (http://www.w3.org/ns/formats/...), if it has one."""
        native = self.rdf or self.results
        return native.iri if native is not None else ""

    @property
    def is_rdf(self) -> bool:
        return self.kind in ("graph", "dataset")


FORMATS: tuple[Format, ...] = (
    Format("turtle", "graph", "Turtle", (".ttl",), ("text/turtle", "application/x-turtle"),
           rdf=ox.RdfFormat.TURTLE),
    Format("nt", "graph", "N-Triples", (".nt",), ("application/n-triples",),
           rdf=ox.RdfFormat.N_TRIPLES),
    Format("rdfxml", "graph", "RDF/XML", (".rdf", ".owl"), ("application/rdf+xml",),
           rdf=ox.RdfFormat.RDF_XML),
    Format("jsonld", "graph", "JSON-LD", (".jsonld", ".json"),
           ("application/ld+json",), rdf=ox.RdfFormat.JSON_LD),
    Format("trig", "dataset", "TriG", (".trig",), ("application/trig",), rdf=ox.RdfFormat.TRIG),
    Format("nquads", "dataset", "N-Quads", (".nq",), ("application/n-quads",),
           rdf=ox.RdfFormat.N_QUADS),
    Format("json", "results", "SPARQL Query Results JSON", (".srj",),
           ("application/sparql-results+json", "application/json"),
           results=ox.QueryResultsFormat.JSON),
    Format("xml", "results", "SPARQL Query Results XML", (".srx",),
           ("application/sparql-results+xml", "application/xml"),
           results=ox.QueryResultsFormat.XML),
    Format("csv", "results", "SPARQL Query Results CSV", (".csv",), ("text/csv",),
           results=ox.QueryResultsFormat.CSV),
    Format("tsv", "results", "SPARQL Query Results TSV", (".tsv",),
           ("text/tab-separated-values",), results=ox.QueryResultsFormat.TSV),
    Format("table", "text", "an aligned text table"),
)  # fmt: skip

_BY_NAME = {f.name: f for f in FORMATS}
#: Names that formats of the kinds in the tuple can have.
RDF_NAMES = tuple(f.name for f in FORMATS if f.is_rdf)
GRAPH_NAMES = tuple(f.name for f in FORMATS if f.kind == "graph")
RESULT_NAMES = tuple(f.name for f in FORMATS if f.kind in ("results", "text"))


def get(name: str, *, kinds: tuple[Kind, ...] = ("graph", "dataset", "results", "text")) -> Format:
    """The format called ``name``, if it is of one of ``kinds``; else ``FormatError``."""
    found = _BY_NAME.get(name)
    if found is None or found.kind not in kinds:
        names = ", ".join(f.name for f in FORMATS if f.kind in kinds)
        hint = ""
        if found is not None and name == "xml" and "graph" in kinds:
            hint = " ('xml' is SPARQL results XML; RDF/XML is 'rdfxml')"
        raise FormatError(f"unknown format {name!r} here{hint} (use one of {names})")
    return found


def by_suffix(suffix: str, *, kinds: tuple[Kind, ...]) -> Format | None:
    """The format that a file suffix (``.ttl``) names among ``kinds``, if any."""
    suffix = suffix.lower()
    return next((f for f in FORMATS if f.kind in kinds and suffix in f.suffixes), None)


def by_media_type(media_type: str, *, kinds: tuple[Kind, ...]) -> Format | None:
    """The format of a media type (parameters such as ``charset`` ignored) among ``kinds``."""
    bare = media_type.split(";")[0].strip().lower()
    return next((f for f in FORMATS if f.kind in kinds and bare in f.media_types), None)


def suffixes(kinds: tuple[Kind, ...]) -> list[str]:
    return sorted(s for f in FORMATS if f.kind in kinds for s in f.suffixes)


def negotiate(accept: str, offered: dict[str, str]) -> str | None:
    """The offered media type that the Accept header prefers, or None (406)."""
    if not accept.strip():
        return next(iter(offered))
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept.split(",")):
        media, *options = (part.strip() for part in item.split(";"))
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        for candidate in offered:
            kind, _, _ = candidate.partition("/")
            if media in (candidate, "*/*", f"{kind}/*"):
                rank = (quality, -position, candidate)
                if best is None or rank[:2] > best[:2]:
                    best = rank
                break
    return best[2] if best else None
