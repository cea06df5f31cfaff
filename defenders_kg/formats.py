"""The one format registry: every syntax read or written, by name, suffix and media type.

Load, export, query results, the endpoint and the remote client all look formats up here, so a
name means the same thing everywhere: ``xml`` is always SPARQL Query Results XML and ``rdfxml``
always RDF/XML.
"""

from __future__ import annotations

import re
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


#: A qvalue as RFC 9110 section 12.4.2 writes it: 0 to 1, at most three decimals.
_QVALUE = re.compile(r"0(\.\d{0,3})?|1(\.0{0,3})?")
#: How specific a range is: ``*/*`` < ``type/*`` < ``type/subtype``.
_ANY, _TYPE, _EXACT = 1, 2, 3


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    """The Accept header's ranges as (type, subtype, quality), lower-cased.

    An element without a ``/`` (a bare ``*`` reads as ``*/*``), with ``*`` as type but not as
    subtype, or with a q that is not an RFC 9110 qvalue (``q=2``, ``q=abc``) is dropped.
    Parameters other than q are not compared: the offered types carry none.
    """
    ranges = []
    for element in accept.split(","):
        media, *parameters = (part.strip() for part in element.split(";"))
        media = "*/*" if media == "*" else media.lower()
        kind, slash, subtype = media.partition("/")
        if not (kind and slash and subtype) or (kind == "*" and subtype != "*"):
            continue
        quality: float | None = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":  # later parameters are accept-ext, ignored
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else None
                break
        if quality is not None:
            ranges.append((kind, subtype, quality))
    return ranges


def _judge(media_type: str, ranges: list[tuple[str, str, float]]) -> tuple[int, float]:
    """(specificity, quality) of the most specific ranges that match ``media_type``; (0, 0) if
    none does. Of several equally specific ranges the highest quality counts."""
    kind, _, subtype = media_type.lower().partition("/")
    best = (0, 0.0)
    for range_kind, range_subtype, quality in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            specificity = _EXACT
        elif range_kind == kind and range_subtype == "*":
            specificity = _TYPE
        elif range_kind == "*":
            specificity = _ANY
        else:
            continue
        best = max(best, (specificity, quality))
    return best


def negotiate(accept: str, offered: dict[str, str]) -> str | None:
    """The offered media type that the Accept header prefers (RFC 9110 section 12.5.1), or None
    when nothing offered is acceptable (406). ``offered`` maps media types to format names, in
    the server's order of preference; an absent, empty or wholly malformed header gets the first.

    Types are compared case-insensitively and the most specific matching range gives a type its
    quality, so ``text/turtle;q=0, */*;q=0.1`` refuses Turtle. The media types of one format
    are aliases of one representation: a format is judged by its most specific match among all
    of them, so ``application/json;q=0`` beside ``*/*`` refuses JSON results under either name.
    Ties go to the more specific match, then to the server's order.
    """
    ranges = _media_ranges(accept)
    if not ranges:
        return next(iter(offered), None)
    aliases: dict[str, list[str]] = {}
    for media_type, name in offered.items():
        aliases.setdefault(name, []).append(media_type)
    best: tuple[float, int, int] | None = None
    chosen = None
    for position, types in enumerate(aliases.values()):
        judged = {media_type: _judge(media_type, ranges) for media_type in types}
        specificity, quality = max(judged.values())
        rank = (quality, specificity, -position)
        if quality > 0 and (best is None or rank > best):
            best = rank
            chosen = next(m for m, verdict in judged.items() if verdict == (specificity, quality))
    return chosen
