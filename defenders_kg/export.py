"""Stage 4: deterministic RDF exports (the same graph always gives the same bytes)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, cast

import pyoxigraph as ox

from .errors import FormatError
from .vocab import GENID, PREFIXES

if TYPE_CHECKING:
    from rdflib.term import IdentifiedNode, Node

ExportFormat = Literal["turtle", "nt", "jsonld", "xml", "trig", "nquads"]
EXPORT_FORMATS: dict[str, str] = {
    "turtle": "turtle",
    "nt": "nt",
    "jsonld": "json-ld",
    "xml": "xml",
    "trig": "trig",
    "nquads": "nquads",
}
DATASET_FORMATS = ("trig", "nquads")
#: File suffixes by export format, used to guess the format from an output path.
SUFFIXES = {
    "turtle": ".ttl",
    "nt": ".nt",
    "jsonld": ".jsonld",
    "xml": ".rdf",
    "trig": ".trig",
    "nquads": ".nq",
}

Quad = tuple["Node", "Node", "Node", "IdentifiedNode | None"]
_OXIGRAPH_TRIPLE_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
}


def serialize_quads(quads: Iterable[Quad], format: str) -> bytes:
    """Serialize (subject, predicate, object, graph) quads in a sorted, canonical order.

    Skolem IRIs become blank nodes again with their (canonical, stable) labels. Triple formats
    merge all graphs; TriG and N-Quads keep them. rdflib writes one sorted N-Quads stream, and
    Oxigraph's serializers, which keep the order they are given, write the other syntaxes from it;
    rdflib writes JSON-LD, whose nodes are then sorted.
    """
    from rdflib import BNode, Dataset, Graph, URIRef

    if format not in EXPORT_FORMATS:
        raise FormatError(
            f"unknown export format {format!r} (use one of {', '.join(EXPORT_FORMATS)})"
        )

    def unskolemize(term: Node) -> Node:
        if isinstance(term, URIRef) and str(term).startswith(GENID):
            return BNode(str(term)[len(GENID) :])
        return term

    quads = [(unskolemize(s), unskolemize(p), unskolemize(o), g) for s, p, o, g in quads]
    if format == "jsonld":
        merged = Graph()
        for s, p, o, _ in quads:
            merged.add((s, p, o))
        from .describe_dataset import jsonld_context

        context = jsonld_context()["@context"]
        compacted = merged.serialize(
            format="json-ld", context=context, auto_compact=True, encoding="utf-8"
        )
        return _sorted_json(compacted)

    dataset = Dataset()
    for s, p, o, g in quads:
        dataset.graph(cast("IdentifiedNode", g)).add((s, p, o))

    lines = sorted(set(dataset.serialize(format="nquads", encoding="utf-8").splitlines()) - {b""})
    nquads = b"\n".join(lines) + b"\n"
    if format == "nquads":
        return nquads
    parsed = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    if format == "trig":
        data = ox.serialize(parsed, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    else:
        triples = list(dict.fromkeys(quad.triple for quad in parsed))  # merged, order kept
        data = ox.serialize(triples, format=_OXIGRAPH_TRIPLE_FORMATS[format], prefixes=PREFIXES)
    return data or b""


def _sorted_json(data: bytes) -> bytes:
    """rdflib writes JSON-LD nodes in set order; sort nodes and unordered arrays by content."""

    def normalize(value: object, key: str = "") -> object:
        if isinstance(value, dict):
            return {k: normalize(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [normalize(item) for item in value]
            if key == "@list":  # the one JSON-LD array whose order means something
                return items
            return sorted(
                items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False)
            )
        return value

    document = normalize(json.loads(data))
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )
