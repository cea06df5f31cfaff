"""Stage 4: RDF exports written by Oxigraph's serializers, byte-identical from run to run.

The statements come from the exact N-Quads and N-Triples text of the cache (a store would give
literals back in canonical form). Its lines are sorted as bytes, with no parsing, in runs on disk
(``external_sort``), and each format is written as the runs are merged: Oxigraph's serializers
write every syntax from the sorted lines but JSON-LD, so memory does not grow with the graph.
Triple formats
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
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain, groupby
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

import pyoxigraph as ox

from . import formats
from .cache import scratch_dir
from .describe_dataset import jsonld_context
from .errors import FormatError
from .external_sort import RUN_BYTES, ExternalSort
from .terms import to_rdflib
from .vocab import DCTERMS, DKG, INFERRED_GRAPH, OWL, PREFIXES, RDF, RDF_TYPE, RDFS, XSD

EXPORT_FORMATS = formats.RDF_NAMES

_CORE_ONTOLOGY = DKG.removesuffix("#")
_IS_ONTOLOGY = f"<{RDF_TYPE}> <{OWL}Ontology>".encode()
_HAS_PART = f"<{DCTERMS}hasPart>".encode()
_T = TypeVar("_T")


#: The profiles an export can be written for: ``rdf`` as stated, or ``owl`` for OWL 2 DL tools.
PROFILES = ("rdf", "owl")

#: The datatypes of the OWL 2 datatype map (OWL 2 Syntax, 4) and rdf:langString, which OWL tools
#: read as rdf:PlainLiteral. HermiT refuses a literal of any other datatype.
OWL2_DATATYPES = frozenset(
    {RDF + name for name in ("PlainLiteral", "XMLLiteral", "langString")}
    | {RDFS + "Literal", OWL + "real", OWL + "rational"}
    | {XSD + name for name in (
        "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
        "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString", "token",
        "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary", "base64Binary", "anyURI",
        "dateTime", "dateTimeStamp")}
)  # fmt: skip
_OWL_STRING = f"<{XSD}string>".encode()


def write_export(
    asserted: Path,
    closure: Path | None,
    stream: BinaryIO,
    format: str,
    *,
    profile: str = "rdf",
    run_bytes: int = RUN_BYTES,
) -> int:
    """Write the statements (N-Quads, plus the closure's N-Triples) in ``format``; count them.

    With ``profile="owl"`` a literal whose datatype is outside the OWL 2 datatype map (the text's
    ``xsd:date`` bounds and ``xsd:gYearMonth`` dates) keeps its lexical form as an ``xsd:string``,
    which OWL tools accept; nothing else changes.

    The statements are sorted on disk (``run_bytes`` of line text per sorted run) and written
    as the merge reads them, so memory does not grow with the graph. What an export refuses is
    refused before its first byte is written.
    """
    fmt = formats.get(format, kinds=("graph", "dataset"))
    if profile not in PROFILES:
        raise ValueError(f"unknown export profile {profile!r}")
    dataset = fmt.kind == "dataset"
    with ExternalSort(scratch_dir(), run_bytes=run_bytes) as statements:
        scan = _Scan(fmt.name)
        for batch in _sort_keys(asserted, closure, dataset=dataset, owl=profile == "owl"):
            scan.inspect(batch)
            statements.extend(batch)
        scan.refuse()
        lines = _Counted(statements.unique())
        if fmt.name == "nquads":
            _write_lines(stream, (b"%s %s .\n" % _triple_graph(line) for line in lines))
        elif fmt.name == "nt":
            _write_lines(stream, (line + b" .\n" for line in lines))
        elif fmt.name == "jsonld":
            _write_jsonld(_parsed(lines, dataset=False), stream, run_bytes=run_bytes)
        else:
            prefixes = PREFIXES
            if fmt.name == "rdfxml":
                stream = cast(BinaryIO, _CarriageReturnsEscaped(stream))
            else:
                prefixes = scan.plain_prefixes()
            ox.serialize(_parsed(lines, dataset=dataset), stream, format=fmt.rdf, prefixes=prefixes)
        return lines.count


#: Statements read, transformed, inspected and added to a sort at a time.
_BATCH = 4096


def _sort_keys(
    asserted: Path, closure: Path | None, *, dataset: bool, owl: bool
) -> Iterator[list[bytes]]:
    """Batches of the lines to sort: a triple's N-Triples text, in a dataset prefixed by its graph.

    A graph first makes the sort put the graphs in IRI order (``<`` and ``>`` never occur inside
    an IRI, so no graph name is a prefix of another).
    """
    pairs = _one_ontology(asserted, closure)
    if owl:
        pairs = ((_owl_literal(triple), graph) for triple, graph in pairs)
    keys = (b"%s %s" % (graph, triple) if dataset else triple for triple, graph in pairs)
    return _batched(keys, _BATCH)


def _triple_graph(line: bytes) -> tuple[bytes, bytes]:
    graph, triple = line.split(b" ", 1)
    return triple, graph


class _Counted:
    """The merged lines, counted as they go by."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self._lines:
            self.count += 1
            yield line


def _write_lines(stream: BinaryIO, lines: Iterable[bytes]) -> None:
    for batch in _batched(lines, _BATCH):
        stream.write(b"".join(batch))


def _batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed(lines: Iterable[bytes], *, dataset: bool) -> Iterator[Any]:
    """The sorted lines as Oxigraph quads (a dataset) or triples, parsed a batch at a time."""
    for batch in _batched(lines, _BATCH):
        if dataset:
            data = b"".join(b"%s %s .\n" % _triple_graph(line) for line in batch)
            yield from ox.parse(data, format=ox.RdfFormat.N_QUADS)
        else:
            data = b" .\n".join(batch) + b" .\n"
            for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
                yield quad.triple


class _Scan:
    """What a format needs to know of every statement before it writes the first one.

    Turtle and TriG need the prefixes they may use (see ``plain_prefixes``); RDF/XML needs to
    know that it can carry every triple, and names the first one it cannot, in sorted order.
    """

    def __init__(self, format: str) -> None:
        self.format = format
        self._unsafe_namespaces: set[str] = set()
        self._refused: tuple[bytes, ox.Triple, str] | None = None

    def inspect(self, batch: list[bytes]) -> None:
        if self.format in ("turtle", "trig"):
            for iri in _IRI_ENDING_IN_DOT.findall(b"\n".join(batch)):
                text = iri.decode("utf-8")
                self._unsafe_namespaces.update(
                    name for name, namespace in PREFIXES.items() if text.startswith(namespace)
                )
        elif self.format == "rdfxml":
            data = b" .\n".join(batch) + b" .\n"
            triples = (quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
            for line, triple in zip(batch, triples, strict=True):
                reason = _rdfxml_refusal(triple)
                if reason and (self._refused is None or line < self._refused[0]):
                    self._refused = (line, triple, reason)

    def refuse(self) -> None:
        if self._refused is not None:
            _, triple, reason = self._refused
            raise FormatError(
                f"RDF/XML cannot carry the triple {triple} .: {reason}; export it as Turtle, "
                "N-Triples, TriG, N-Quads or JSON-LD"
            )

    def plain_prefixes(self) -> dict[str, str]:
        """The prefixes under which every IRI of the statements is a prefixed name that readers
        read back.

        Oxigraph escapes what a local name cannot hold (``dkgr:source-document\\#char\\=55\\,63``),
        valid Turtle 1.1 that rdflib, Jena and OWLAPI 5 read; but rdflib misreads a local name
        that ends in an escaped dot (``schema:q\\.`` for ``<https://schema.org/q.>``), so a
        namespace with such a name is written in full. (A literal holding ``<...>`` may drop a
        prefix too: the output is the same graph either way.)
        """
        return {
            name: namespace
            for name, namespace in PREFIXES.items()
            if name not in self._unsafe_namespaces
        }


def _owl_literal(triple: bytes) -> bytes:
    """The triple with a literal object outside the OWL 2 datatype map typed as xsd:string."""
    if not triple.endswith(b">") or b'"^^<' not in triple:
        return triple
    head, _, datatype = triple.rpartition(b'"^^<')
    if datatype[:-1].decode() in OWL2_DATATYPES:
        return triple
    return head + b'"^^' + _OWL_STRING


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
#: An IRI (as N-Triples writes it) whose last character is a dot.
_IRI_ENDING_IN_DOT = re.compile(rb"<([^<>\s]*\.)>")
#: What XML 1.0 cannot hold, even as a character reference.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _rdfxml_refusal(triple: ox.Triple) -> str | None:
    """Why RDF/XML cannot write the triple so that a reader gets it back, if it cannot."""
    rdf_type = PREFIXES["rdf"] + "type"
    terms = [triple.subject, triple.predicate, triple.object]
    if isinstance(triple.object, ox.Literal):
        terms.append(triple.object.datatype)
    if any(_NOT_XML.search(term.value) for term in terms if not isinstance(term, ox.Triple)):
        return "it holds a character that XML 1.0 cannot hold"
    if triple.predicate.value in _RDFXML_SYNTAX:
        return "its predicate is an RDF/XML syntax name"
    if not _ends_in_xml_name(triple.predicate.value):
        return "its predicate does not end in an XML name"
    if (
        triple.predicate.value == rdf_type
        and isinstance(triple.object, ox.NamedNode)
        and (triple.object.value in _RDFXML_SYNTAX or not _ends_in_xml_name(triple.object.value))
    ):
        return "its type is an RDF/XML syntax name or does not end in an XML name"
    return None


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


def _pairs(asserted: Path, closure: Path | None) -> Iterator[tuple[bytes, bytes]]:
    """(triple, graph) pairs of N-Triples text, split off the lines Oxigraph wrote, as read.

    Every line is ``S P O G .`` with G an IRI (no spaces), so the last two fields split cleanly.
    """
    with open(asserted, "rb") as lines:
        for line in lines:
            triple, graph, _ = line.rsplit(b" ", 2)
            yield triple, graph
    if closure is not None:
        inferred = str(ox.NamedNode(INFERRED_GRAPH)).encode()
        with open(closure, "rb") as lines:
            for line in lines:
                yield line.rstrip(b"\n")[:-2], inferred


def _one_ontology(asserted: Path, closure: Path | None) -> Iterator[tuple[bytes, bytes]]:
    """The pairs with each module's header (all its triples) dropped, and the core header naming it.

    A module is an ``owl:Ontology`` under the core's IRI; the links go in the core header's graph.
    A first reading finds the headers.
    """
    core = str(ox.NamedNode(_CORE_ONTOLOGY)).encode()
    headers: dict[bytes, bytes] = {}
    for triple, graph in _pairs(asserted, closure):
        if _IS_ONTOLOGY in triple:
            subject, rest = triple.split(b" ", 1)
            if rest == _IS_ONTOLOGY:
                headers.setdefault(subject, graph)
    modules = {subject for subject in headers if subject.startswith(core[:-1] + b"/")}
    if core not in headers or not modules:
        yield from _pairs(asserted, closure)
        return
    for triple, graph in _pairs(asserted, closure):
        if triple.split(b" ", 1)[0] not in modules:
            yield triple, graph
    for module in sorted(modules):
        yield b"%s %s %s" % (core, _HAS_PART, module), headers[core]


def _write_jsonld(triples: Iterator[ox.Triple], stream: BinaryIO, *, run_bytes: int) -> None:
    """JSON-LD compacted with the project's context, its nodes and unordered arrays sorted by
    content (as ``_sorted_json`` sorts them).

    rdflib's converter writes the nodes, with the habits that lost triples turned off (see
    ``_jsonld_converter``): a blank-node cycle or self-loop was dropped, a shared list tail
    duplicated, ``rdf:type rdf:List`` dropped, ``"01"^^xsd:integer`` written as the number 1.
    The triples come sorted, so a subject's are together: each node is made from its subject's
    triples alone, which holds while the context has no ``@container`` (rdflib looks at the
    whole graph only for lists). A blank node that is only an object gets a node of its own
    (its ``@id`` alone), as rdflib gives it.
    """
    from rdflib import BNode, Graph
    from rdflib.plugins.shared.jsonld.context import Context

    context = jsonld_context()["@context"]
    converter = _jsonld_converter()(Context(context), False, False)
    converter.use_native_types = False  # the lexical form, always: "01" stays "01"
    folder = scratch_dir()
    with (
        ExternalSort(folder, run_bytes=run_bytes) as nodes,
        ExternalSort(folder, run_bytes=run_bytes) as blank_nodes,
    ):
        for subject, group in groupby(triples, key=lambda triple: triple.subject):
            graph = Graph()
            for triple in group:
                _check_jsonld(triple, context)
                graph.add(
                    (
                        to_rdflib(subject, exact=True),
                        to_rdflib(triple.predicate, exact=True),
                        to_rdflib(triple.object, exact=True),
                    )
                )
            converter.referenced = []
            node = converter.process_subject(graph, to_rdflib(subject, exact=True), {})
            nodes.add(_node_key(node))
            if isinstance(subject, ox.BlankNode):
                blank_nodes.add(subject.value.encode("utf-8") + b" subject")
            blank_nodes.extend(label.encode("utf-8") + b" object" for label in converter.referenced)
        for label, uses in groupby(blank_nodes.unique(), key=lambda line: line.split(b" ")[0]):
            if all(use.endswith(b" object") for use in uses):
                node = converter.process_subject(Graph(), BNode(label.decode("utf-8")), {})
                nodes.add(_node_key(node))
        keys = nodes.unique()
        first = next(keys, None)
        normal_context = _normalized(json.loads(json.dumps(context, ensure_ascii=False)))
        document = json.dumps(
            {"@context": normal_context, "@graph": [] if first is None else [_PLACEHOLDER]},
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )
        if first is None:
            stream.write((document + "\n").encode("utf-8"))
            return
        before, after = document.split(json.dumps(_PLACEHOLDER))
        stream.write(before.encode("utf-8"))
        for index, key in enumerate(chain([first], keys)):
            node_text = json.dumps(json.loads(key), indent=2, sort_keys=True, ensure_ascii=False)
            separator = ",\n    " if index else ""
            stream.write((separator + node_text.replace("\n", "\n    ")).encode("utf-8"))
        stream.write((after + "\n").encode("utf-8"))


#: Stands for the nodes in the document around them; a string no node can be.
_PLACEHOLDER = "\u0000nodes"


def _node_key(node: object) -> bytes:
    """A node as ``_sorted_json`` sorts it: normalized, as compact JSON with sorted keys."""
    normal = _normalized(json.loads(json.dumps(node, ensure_ascii=False)))
    return json.dumps(normal, sort_keys=True, ensure_ascii=False).encode("utf-8")


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
    """rdflib's JSON-LD converter, writing lists as plain triples (its ``@list`` lost shared
    tails), an ``rdf:type`` whose value is not an IRI as a property (``@type`` takes IRIs only),
    and every value of a key (it replaced a first value that was an empty string). It notes in
    ``referenced`` the blank nodes it refers to, each of which rdflib gives a node."""
    from rdflib import RDF, BNode, URIRef
    from rdflib.plugins.serializers.jsonld import Converter

    class EveryNode(Converter):
        referenced: list[str]

        def to_collection(self, graph: Any, node: Any) -> None:
            return None

        def to_raw_value(self, graph: Any, s: Any, o: Any, nodemap: Any) -> Any:
            if isinstance(o, BNode):
                self.referenced.append(str(o))
            return super().to_raw_value(graph, s, o, nodemap)

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


def _sorted_json(data: bytes) -> bytes:
    """rdflib writes JSON-LD nodes in set order; sort nodes and unordered arrays by content."""
    document = _normalized(json.loads(data))
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def _normalized(value: object, key: str = "") -> object:
    """The JSON value with every array but ``@list`` sorted by its items' compact JSON."""
    if isinstance(value, dict):
        return {k: _normalized(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalized(item) for item in value]
        if key == "@list":  # the one JSON-LD array whose order means something
            return items
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value
