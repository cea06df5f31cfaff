"""Stage 4: deterministic RDF exports (the same graph always gives the same bytes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from .errors import FormatError
from .vocab import GENID, PREFIXES

if TYPE_CHECKING:
    from rdflib.term import Node

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
SUFFIXES = {"turtle": ".ttl", "nt": ".nt", "jsonld": ".jsonld", "xml": ".rdf", "trig": ".trig", "nquads": ".nq"}

Quad = tuple["Node", "Node", "Node", "Node"]


def serialize_quads(quads: Iterable[Quad], format: str) -> bytes:
    """Serialize (subject, predicate, object, graph) quads in a sorted, canonical order.

    Skolem IRIs become blank nodes again with their (canonical, stable) labels. Triple formats
    merge all graphs; TriG and N-Quads keep them.
    """
    from rdflib import BNode, Dataset, Graph, URIRef

    if format not in EXPORT_FORMATS:
        raise FormatError(f"unknown export format {format!r} (use one of {', '.join(EXPORT_FORMATS)})")

    def unskolemize(term: Node) -> Node:
        if isinstance(term, URIRef) and str(term).startswith(GENID):
            return BNode(str(term)[len(GENID) :])
        return term

    def key(quad: Quad) -> tuple[str, ...]:
        return tuple(term.n3() for term in quad)

    rows = sorted({tuple(unskolemize(t) for t in quad) for quad in quads}, key=key)
    keep_graphs = format in DATASET_FORMATS
    target: Graph
    if keep_graphs:
        dataset = Dataset()
        for s, p, o, g in rows:
            dataset.graph(g).add((s, p, o))
        target = dataset
    else:
        target = Graph()
        for s, p, o, _ in rows:
            target.add((s, p, o))
    for prefix, namespace in PREFIXES.items():
        target.bind(prefix, namespace, override=True, replace=True)
    data: bytes = target.serialize(format=EXPORT_FORMATS[format], encoding="utf-8")
    if format in ("nt", "nquads"):
        lines = sorted(set(data.decode("utf-8").splitlines()) - {""})
        data = ("\n".join(lines) + "\n").encode("utf-8")
    return data
