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
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, cast

import pyoxigraph as ox

from . import formats
from .describe_dataset import jsonld_context
from .errors import FormatError
from .vocab import DKG, INFERRED_GRAPH, PREFIXES

EXPORT_FORMATS = formats.RDF_NAMES

_CORE_ONTOLOGY = DKG.removesuffix("#")
_IS_ONTOLOGY = (
    b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Ontology>"
)
_HAS_PART = b"<http://purl.org/dc/terms/hasPart>"
_XSD_STRING = PREFIXES["xsd"] + "string"


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
_OWL_STRING = b"<http://www.w3.org/2001/XMLSchema#string>"


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
            ox.serialize(parsed, stream, format=fmt.rdf, prefixes=_plain_prefixes(data))
        return len(lines)
    triples = sorted({triple for triple, _ in quads})
    data = b"".join(triple + b" .\n" for triple in triples)
    if fmt.name == "nt":
        stream.write(data)
    elif fmt.name == "jsonld":
        stream.write(_compacted_jsonld(data))
    else:
        statements = [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
        prefixes = PREFIXES
        if fmt.name == "rdfxml":
            _check_rdfxml(statements)
            stream = cast(BinaryIO, _CarriageReturnsEscaped(stream))
        else:
            prefixes = _plain_prefixes(data)
        ox.serialize(statements, stream, format=fmt.rdf, prefixes=prefixes)
    return len(triples)


def _owl_literal(triple: bytes) -> bytes:
    """The triple with a literal object outside the OWL 2 datatype map typed as xsd:string."""
    if not triple.endswith(b">") or b'"^^<' not in triple:
        return triple
    head, _, datatype = triple.rpartition(b'"^^<')
    if datatype[:-1].decode() in OWL2_DATATYPES:
        return triple
    return head + b'"^^' + _OWL_STRING


def _plain_prefixes(statements: bytes) -> dict[str, str]:
    """The prefixes under which every IRI of the statements is a prefixed name readers read back.

    Oxigraph escapes what a local name cannot hold (``dkgr:source-document\\#char\\=55\\,63``),
    valid Turtle 1.1 that rdflib, Jena and OWLAPI 5 read; but rdflib misreads a local name that
    ends in an escaped dot (``schema:q\\.`` for ``<https://schema.org/q.>``), so a namespace with
    such a name is written in full. (A literal holding ``<...>`` may drop a prefix too: the output
    is the same graph either way.)
    """
    iris = {iri.decode("utf-8") for iri in _IRI.findall(statements)}
    return {
        name: namespace
        for name, namespace in PREFIXES.items()
        if not any(iri.startswith(namespace) and iri.endswith(".") for iri in iris)
    }


#: RDF/XML's syntax names: as a property or a type they would be read as syntax (rdf:li as rdf:_1).
_RDFXML_SYNTAX = frozenset(
    PREFIXES["rdf"] + name
    for name in ("RDF", "ID", "about", "bagID", "parseType", "resource", "nodeID", "datatype",
                 "li", "Description", "aboutEach", "aboutEachPrefix")
)  # fmt: skip
_XML_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
#: An IRI that ends in an XML name (without colons) can be an element name: namespace + name.
_XML_NAME_TAIL = re.compile(
    f"[{_XML_NAME_START}][{_XML_NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*$"
)
_IRI = re.compile(rb"<([^<>\s]*)>")
#: What XML 1.0 cannot hold, even as a character reference.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _check_rdfxml(triples: list[ox.Triple]) -> None:
    """Refuse, naming the triple, what RDF/XML cannot write so that a reader gets it back."""
    rdf_type = PREFIXES["rdf"] + "type"
    for triple in triples:
        terms = [triple.subject, triple.predicate, triple.object]
        if isinstance(triple.object, ox.Literal):
            terms.append(triple.object.datatype)
        if any(_NOT_XML.search(term.value) for term in terms if not isinstance(term, ox.Triple)):
            reason = "it holds a character that XML 1.0 cannot hold"
        elif triple.predicate.value in _RDFXML_SYNTAX:
            reason = "its predicate is an RDF/XML syntax name"
        elif not _ends_in_xml_name(triple.predicate.value):
            reason = "its predicate does not end in an XML name"
        elif (
            triple.predicate.value == rdf_type
            and isinstance(triple.object, ox.NamedNode)
            and (
                triple.object.value in _RDFXML_SYNTAX or not _ends_in_xml_name(triple.object.value)
            )
        ):
            reason = "its type is an RDF/XML syntax name or does not end in an XML name"
        else:
            continue
        raise FormatError(
            f"RDF/XML cannot carry the triple {triple} .: {reason}; export it as Turtle, "
            "N-Triples, TriG, N-Quads or JSON-LD"
        )


@lru_cache(maxsize=4096)
def _ends_in_xml_name(iri: str) -> bool:
    """Whether the IRI's tail, as Oxigraph splits it, is an element name that expat reads.

    Expat (rdflib's reader) knows the names of XML 1.0 before its fifth edition, fewer than
    Oxigraph's split allows, so the tail is checked by parsing it.
    """
    from xml.parsers import expat

    tail = _XML_NAME_TAIL.search(iri)
    if tail is None:
        return False
    try:
        expat.ParserCreate().Parse(f"<{tail.group()}/>", True)
    except expat.ExpatError:
        return False
    return True


class _CarriageReturnsEscaped:
    """A stream that writes a carriage return as ``&#13;``: XML readers turn a raw one into a
    line feed. Oxigraph's RDF/XML writer puts none of its own, so each comes from a literal."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        self.stream.write(bytes(data).replace(b"\r", b"&#13;"))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()


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
    """JSON-LD compacted with the project's context, its unordered arrays sorted by content.

    rdflib's converter writes the nodes, with the habits that lost triples turned off (see
    ``_jsonld_converter``): a blank-node cycle or self-loop was dropped, a shared list tail
    duplicated, ``rdf:type rdf:List`` dropped, ``"01"^^xsd:integer`` written as the number 1.
    """
    from rdflib import Graph
    from rdflib.plugins.shared.jsonld.context import Context

    context = jsonld_context()["@context"]
    graph = Graph()
    for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
        _check_jsonld(quad.triple, context)
        graph.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    converter = _jsonld_converter()(Context(context), False, False)
    converter.use_native_types = False  # the lexical form, always: "01" stays "01"
    nodes = converter.from_graph(graph)
    document = {"@context": context, "@graph": nodes}
    return _sorted_json(json.dumps(document, ensure_ascii=False).encode("utf-8"))


def _check_jsonld(triple: ox.Triple, context: dict[str, Any]) -> None:
    """Refuse an IRI that the context would read as a compact IRI (``dkg:x`` with dkg a term)."""
    terms = [triple.subject, triple.predicate, triple.object]
    if isinstance(triple.object, ox.Literal):
        terms.append(triple.object.datatype)
    for term in terms:
        if isinstance(term, ox.NamedNode) and term.value.partition(":")[0] in context:
            raise FormatError(
                f"JSON-LD with the project's context cannot carry the triple {triple} .: the "
                f"IRI <{term.value}> reads as a compact IRI; export it as Turtle or N-Triples"
            )


def _jsonld_converter() -> Any:
    """rdflib's JSON-LD converter, writing every subject as a node of its own (rdflib began only
    from IRIs and unreferenced blank nodes), lists as plain triples (its ``@list`` lost shared
    tails), an ``rdf:type`` whose value is not an IRI as a property (``@type`` takes IRIs only),
    and every value of a key (it replaced a first value that was an empty string)."""
    from rdflib import RDF, URIRef
    from rdflib.plugins.serializers.jsonld import Converter

    class EveryNode(Converter):
        def from_graph(self, graph: Any) -> list[Any]:
            nodes: dict[Any, Any] = {}
            for subject in set(graph.subjects()):
                self.process_subject(graph, subject, nodes)
            return list(nodes.values())

        def to_collection(self, graph: Any, node: Any) -> None:
            return None

        def add_to_node(self, graph: Any, s: Any, p: Any, o: Any, node: Any, nodes: Any) -> None:
            self.use_rdf_type = p == RDF.type and not isinstance(o, URIRef)
            added: dict[str, Any] = {}
            super().add_to_node(graph, s, p, o, added, nodes)
            for key, value in added.items():
                if key in node:
                    before = node[key] if isinstance(node[key], list) else [node[key]]
                    value = before + (value if isinstance(value, list) else [value])
                node[key] = value

    return EveryNode


def _rdflib(term: Any) -> Any:
    """An Oxigraph term as an rdflib term; blank nodes keep their (canonical) labels."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:  # rdflib tells a simple literal from an xsd:string
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


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
