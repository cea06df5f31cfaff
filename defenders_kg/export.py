"""Stage 4: RDF exports written by Oxigraph's serializers, byte-identical from run to run.

The statements come from the exact N-Quads and N-Triples text of the cache (a store would give
literals back in canonical form). Its lines are sorted as bytes, with no parsing, and Oxigraph's
serializers write every syntax from the sorted lines but JSON-LD. Triple formats
merge every graph (a triple stated by two sentences is written once); TriG and N-Quads keep the
named graphs, in IRI order. JSON-LD alone goes through rdflib, to be compacted with the
project's ``@context``.

Every export holds one ``owl:Ontology``, the core's: the alignment modules' axioms are merged into
it, their headers replaced by ``dcterms:hasPart`` links from the core header, so that an OWL tool
reading a file sees one ontology and no ``owl:imports`` to resolve.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from . import formats
from .describe_dataset import jsonld_context
from .vocab import DKG, INFERRED_GRAPH, PREFIXES

EXPORT_FORMATS = formats.RDF_NAMES

_CORE_ONTOLOGY = DKG.removesuffix("#")
_IS_ONTOLOGY = (
    b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Ontology>"
)
_HAS_PART = b"<http://purl.org/dc/terms/hasPart>"


#: The profiles an export can be written for: ``rdf`` as stated, or ``owl`` for OWL 2 DL tools.
PROFILES = ("rdf", "owl")

#: The datatypes of the OWL 2 datatype map (OWL 2 Syntax, 4) and rdf:langString, which OWL tools
#: read as rdf:PlainLiteral. HermiT refuses a literal of any other datatype.
OWL2_DATATYPES = frozenset(
    {f"http://www.w3.org/1999/02/22-rdf-syntax-ns#{name}"
     for name in ("PlainLiteral", "XMLLiteral", "langString")}
    | {"http://www.w3.org/2000/01/rdf-schema#Literal",
       "http://www.w3.org/2002/07/owl#real", "http://www.w3.org/2002/07/owl#rational"}
    | {f"http://www.w3.org/2001/XMLSchema#{name}" for name in (
        "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
        "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString", "token",
        "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary", "base64Binary", "anyURI",
        "dateTime", "dateTimeStamp")}
)  # fmt: skip
_XSD_STRING = b"<http://www.w3.org/2001/XMLSchema#string>"


def write_export(
    asserted: Path, closure: Path | None, stream: BinaryIO, format: str, *, profile: str = "rdf"
) -> int:
    """Write the statements (N-Quads, plus the closure's N-Triples) in ``format``; count them.

    With ``profile="owl"`` a literal whose datatype is outside the OWL 2 datatype map (the text's
    ``xsd:date`` bounds and ``xsd:gYearMonth`` dates) keeps its lexical form as an ``xsd:string``,
    which OWL tools accept; nothing else changes.
    """
    fmt = formats.get(format, kinds=("graph", "dataset"))
    if profile not in PROFILES:
        raise ValueError(f"unknown export profile {profile!r}")
    quads = _one_ontology(_quad_lines(asserted, closure))
    if profile == "owl":
        quads = [(_owl_literal(triple), graph) for triple, graph in quads]
    if fmt.kind == "dataset":
        lines = sorted(set(quads), key=lambda quad: (quad[1], quad[0]))
        if fmt.name == "nquads":
            stream.writelines(b"%s %s .\n" % (triple, graph) for triple, graph in lines)
        else:
            data = b"".join(b"%s %s .\n" % (triple, graph) for triple, graph in lines)
            parsed = ox.parse(data, format=ox.RdfFormat.N_QUADS)
            ox.serialize(parsed, stream, format=fmt.rdf, prefixes=PREFIXES)
        return len(lines)
    triples = sorted({triple for triple, _ in quads})
    data = b"".join(triple + b" .\n" for triple in triples)
    if fmt.name == "nt":
        stream.write(data)
    elif fmt.name == "jsonld":
        stream.write(_compacted_jsonld(data))
    else:
        parsed = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        ox.serialize(parsed, stream, format=fmt.rdf, prefixes=PREFIXES)
    return len(triples)


def _owl_literal(triple: bytes) -> bytes:
    """The triple with a literal object outside the OWL 2 datatype map typed as xsd:string."""
    if not triple.endswith(b">") or b'"^^<' not in triple:
        return triple
    head, _, datatype = triple.rpartition(b'"^^<')
    if datatype[:-1].decode() in OWL2_DATATYPES:
        return triple
    return head + b'"^^' + _XSD_STRING


def _quad_lines(asserted: Path, closure: Path | None) -> list[tuple[bytes, bytes]]:
    """(triple, graph) pairs of N-Triples text, split off the lines Oxigraph wrote.

    Every line is ``S P O G .`` with G an IRI (no spaces), so the last two fields split cleanly.
    """
    pairs = []
    for line in asserted.read_bytes().splitlines():
        triple, graph, _ = line.rsplit(b" ", 2)
        pairs.append((triple, graph))
    if closure is not None:
        inferred = str(ox.NamedNode(INFERRED_GRAPH)).encode()
        pairs += [(line[:-2], inferred) for line in closure.read_bytes().splitlines()]
    return pairs


def _one_ontology(pairs: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The pairs with each module's header (all its triples) dropped, and the core header naming it.

    A module is an ``owl:Ontology`` under the core's IRI; the links go in the core header's graph.
    """
    core = str(ox.NamedNode(_CORE_ONTOLOGY)).encode()
    headers: dict[bytes, bytes] = {}
    for triple, graph in pairs:
        subject, rest = triple.split(b" ", 1)
        if rest == _IS_ONTOLOGY:
            headers.setdefault(subject, graph)
    modules = {subject for subject in headers if subject.startswith(core[:-1] + b"/")}
    if core not in headers or not modules:
        return pairs
    kept = [(triple, graph) for triple, graph in pairs if triple.split(b" ", 1)[0] not in modules]
    links = [(b"%s %s %s" % (core, _HAS_PART, module), headers[core]) for module in sorted(modules)]
    return kept + links


def _compacted_jsonld(ntriples: bytes) -> bytes:
    """JSON-LD compacted with the project's context, its unordered arrays sorted by content."""
    from rdflib import Graph

    graph = Graph()
    for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
        graph.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    context = jsonld_context()["@context"]
    compacted = graph.serialize(
        format="json-ld", context=context, auto_compact=True, encoding="utf-8"
    )
    return _sorted_json(compacted)


def _rdflib(term: Any) -> Any:
    """An Oxigraph term as an rdflib term; blank nodes keep their (canonical) labels."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


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
