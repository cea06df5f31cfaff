"""Stage 1: find the input files and parse them with Oxigraph, one named graph per file.

Every file is parsed once, by Oxigraph, into one N-Quads text from which the stores that queries
read are bulk-loaded (see ``write_nquads`` for why the text is kept). The blank nodes of a file
are labelled in the order the parser meets them, after the file's hash, so that labels, and every
export, are the same from run to run, and two files never share a blank node. (RDFC-1.0
canonicalization did the same at a cost that grew with the cube of the nesting depth.)

Every stage costs about linear time and memory in the file:

- blank nodes nested deeper than ``MAX_NESTING`` (brackets, lists in lists, a chain of ``_:``
  labels) are refused, since later stages (serializers, the reasoner) walk nesting recursively;
- a term larger than the parser's buffer (16 MiB) is refused with one line.

What crosses in from outside is checked first:

- RDF/XML: entity declarations are allowed only as plain text (Protégé declares its namespaces
  that way); one that refers to another entity, an external one, or a document whose entities
  could expand past ``MAX_ENTITY_EXPANSION`` bytes is refused before Oxigraph expands anything;
- JSON-LD: a ``@context`` given by reference is refused, never fetched (remote or ``file:``);
- TriG and N-Quads: the project's reserved graph names (ontology, closure) are refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import mmap
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, cast

import pyoxigraph as ox

from . import formats, paths
from .errors import DataLoadError
from .formats import Format
from .vocab import DKGR, DOCUMENT_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, RDF, USER_DATA_GRAPH

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

#: Graph names that user data may not use: the package puts its own triples there.
RESERVED_GRAPHS = frozenset({ONTOLOGY_GRAPH, INFERRED_GRAPH})
#: The most bytes that the entities of one RDF/XML document may expand to.
MAX_ENTITY_EXPANSION = 16 * 1024 * 1024
#: The deepest nesting of blank nodes accepted (an RDF list's spine does not count as nesting).
MAX_NESTING = 128
#: The longest term the parsers read (their buffer), in bytes as written in N-Triples.
MAX_TERM_BYTES = 16 * 1024 * 1024 - 1024
_BIG = MAX_TERM_BYTES // 6  # shorter literals cannot reach it (at most 6 bytes a character)
#: Each blank node nested in RDF/XML takes two elements (the property, the node); Oxigraph's
#: RDF/XML parser slows down far worse than linearly with the depth, so it is checked first.
MAX_XML_DEPTH = 2 * MAX_NESTING + 16
_RDF_REST = RDF + "rest"
#: Suffixes accepted for ``--data``.
DATA_KINDS: tuple[formats.Kind, ...] = ("graph", "dataset")


class Source(NamedTuple):
    """One input file and the named graph its triples go into.

    ``graph`` is ``None`` for dataset formats, whose named graphs are kept (their default graph
    goes into the user-data graph). ``embedded`` files ship with the package or were written by
    it from data in memory (standard input, an rdflib graph); they are keyed by content.
    """

    path: Path
    graph: str | None
    format: Format
    embedded: bool = False


def embedded_sources() -> list[Source]:
    """The document graph (the text, its sentences and the spans that word each fact) and the
    statement groups that ship with the package."""
    turtle = formats.get("turtle")
    sources = [Source(paths.document_file(), DOCUMENT_GRAPH, turtle, embedded=True)]
    sources += [Source(p, DOCUMENT_GRAPH, turtle, embedded=True) for p in paths.span_files()]
    sources += [Source(p, DKGR + p.stem, turtle, embedded=True) for p in paths.statement_files()]
    return sources


def ontology_sources() -> list[Source]:
    turtle = formats.get("turtle")
    return [Source(p, ONTOLOGY_GRAPH, turtle, embedded=True) for p in paths.ontology_files()]


def user_source(path: str | os.PathLike[str], fmt: Format | None = None) -> Source:
    """A ``--data`` file; its format is ``fmt``, else the one its suffix names."""
    path = Path(path)
    fmt = fmt or formats.by_suffix(path.suffix, kinds=DATA_KINDS)
    if fmt is None:
        known = ", ".join(formats.suffixes(DATA_KINDS))
        raise DataLoadError(
            f"{path}: unknown RDF file suffix {path.suffix!r} (use one of {known}, "
            "or give --data-format)"
        )
    return Source(path, None if fmt.kind == "dataset" else USER_DATA_GRAPH, fmt)


def bytes_source(data: bytes, fmt: Format) -> Source:
    """Data held in memory (standard input, say) as a source: a file named by its content in
    the process's scratch folder, so that the same data gets the same cache entry."""
    from .cache import scratch_dir

    digest = hashlib.sha256(data).hexdigest()
    path = scratch_dir() / "inputs" / f"{digest[:32]}{fmt.suffixes[0]}"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    return Source(path, None if fmt.kind == "dataset" else USER_DATA_GRAPH, fmt, embedded=True)


def rdflib_source(graph: Graph) -> Source:
    """An rdflib Graph (its triples) or Dataset (its named graphs too) as a source."""
    from rdflib import ConjunctiveGraph

    fmt = formats.get("nquads" if isinstance(graph, ConjunctiveGraph) else "nt")  # a Dataset is one
    return bytes_source(graph.serialize(format=fmt.name, encoding="utf-8"), fmt)


def _is_rdflib_graph(item: object) -> bool:
    rdflib = sys.modules.get("rdflib")  # not imported: then it cannot be an rdflib graph
    return rdflib is not None and isinstance(item, rdflib.Graph)


DataItem = str | os.PathLike[str] | Source
"""One input: a path, a ``Source``, or an rdflib ``Graph`` or ``Dataset``."""


def resolve_sources(
    data: DataItem | Graph | Sequence[DataItem | Graph] = (),
    *,
    with_embedded: bool = False,
) -> list[Source]:
    """The ontology, then the embedded graph unless user data replaces it, then the user data."""
    if isinstance(data, (str, os.PathLike, Source)) or _is_rdflib_graph(data):
        data = [data]  # type: ignore[list-item]  # one input, not a sequence of letters or triples
    items: Sequence[DataItem | Graph] = data  # type: ignore[assignment]
    sources = ontology_sources()
    if not items or with_embedded:
        sources += embedded_sources()
    for item in items:
        if isinstance(item, Source):
            sources.append(item)
        elif _is_rdflib_graph(item):
            sources.append(rdflib_source(item))  # type: ignore[arg-type]
        else:
            sources.append(user_source(item))  # type: ignore[arg-type]
    return sources


def fingerprint(sources: Iterable[Source], *extra: str) -> str:
    """A hash of everything the loaded store depends on.

    Package files count by content. User files count by path, size, modification time and inode,
    as make and rsync do: hashing a file of millions of quads would cost a warm query more than
    the query itself.
    """
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode() + b"\0")
    for source in sources:
        digest.update(f"{source.graph}\0{source.format.name}\0".encode())
        if source.embedded:
            digest.update(hashlib.sha256(_read(source.path)).digest())
            continue
        try:
            info = source.path.stat()
        except OSError as err:
            raise DataLoadError(f"cannot read {source.path}: {err.strerror or err}") from None
        where = os.path.realpath(source.path)
        digest.update(f"{where}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\0".encode())
    return digest.hexdigest()


def write_nquads(sources: Sequence[Source], stream: BinaryIO) -> None:
    """Parse every source and write its quads to ``stream`` as N-Quads, exactly as stated.

    This text, not a store, is the record of what the sources say: an Oxigraph store keeps
    literals in canonical form (``"0"^^xsd:nonNegativeInteger`` comes back as an ``xsd:integer``,
    ``"1.50"`` as ``"1.5"``), which is right for answering queries and wrong for an export.
    Raises ``DataLoadError`` on the first bad source.
    """
    for source in sources:
        _write_source(source, stream)


def check_readable(path: Path) -> None:
    """Raise ``DataLoadError`` unless ``path`` is a file this process can read."""
    if not os.access(path, os.R_OK) or not path.is_file():
        reason = "no such file" if not path.exists() else "not a readable file"
        raise DataLoadError(f"cannot read {path}: {reason}")


def _write_source(source: Source, stream: BinaryIO) -> None:
    path, fmt = source.path, source.format
    check_readable(path)
    if fmt.name == "rdfxml":
        _check_xml_entities(path)
    if fmt.name == "jsonld":
        _check_jsonld_contexts(path)
    target = ox.NamedNode(source.graph or USER_DATA_GRAPH)
    base = path.resolve().as_uri()
    sink = _Sink(stream)
    try:
        if _may_have_blank_nodes(path):
            quads: Iterable[ox.Quad] = _labelled_quads(source, target, base)
        else:
            quads = _parse(source, target, base)
        ox.serialize(quads, cast("BinaryIO", sink), format=ox.RdfFormat.N_QUADS)
    except SyntaxError as err:
        raise DataLoadError(f"{path}: not valid {fmt.label}: {_first_line(err)}") from None
    except MemoryError:
        raise DataLoadError(_too_big(path)) from None
    except OSError as err:
        if sink.error is not None:  # the destination failed (a full disk), not the input
            raise sink.error from None
        raise DataLoadError(f"cannot read {path}: {err.strerror or err}") from None


def _too_long(term: object) -> bool:
    return (
        isinstance(term, ox.Literal)
        and len(term.value) > _BIG
        and len(str(term).encode()) > MAX_TERM_BYTES
    )


def _too_big(path: Path) -> str:
    return f"{path}: holds a term (a literal or an IRI) larger than 16 MiB, the parser's limit"


class _Sink:
    """The output stream, remembering a failure to write so it is not blamed on the input."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self.stream.write(data)
        except OSError as err:
            self.error = err
            raise

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as err:
            self.error = err
            raise


def _parse(source: Source, target: ox.NamedNode, base: str) -> Iterator[ox.Quad]:
    """The file's quads, default-graph triples moved to ``target``, reserved graphs refused.

    A UTF-8 byte-order mark (which some editors write) is skipped: Oxigraph reads it as data.
    """
    with open(source.path, "rb") as stream:
        if stream.read(len(_BOM)) == _BOM:  # parsed from Python; a path is parsed by Rust, faster
            quads = ox.parse(stream, format=source.format.rdf, base_iri=base)
            yield from _moved(source, target, quads)
            return
    quads = ox.parse(path=source.path, format=source.format.rdf, base_iri=base)
    yield from _moved(source, target, quads)


_BOM = b"\xef\xbb\xbf"


def _moved(source: Source, target: ox.NamedNode, quads: Iterator[ox.Quad]) -> Iterator[ox.Quad]:
    # The other parsers stop at a term past their buffer; the RDF/XML one does not, and the
    # N-Quads text it would make could not be read back.
    bounded = source.format.name == "rdfxml"
    for quad in quads:
        if bounded and _too_long(quad.object):
            raise DataLoadError(_too_big(source.path))
        graph = quad.graph_name
        if source.graph is not None or isinstance(graph, ox.DefaultGraph):
            yield ox.Quad(quad.subject, quad.predicate, quad.object, target)
            continue
        if isinstance(graph, ox.NamedNode) and graph.value in RESERVED_GRAPHS:
            raise DataLoadError(
                f"{source.path}: uses the reserved graph name <{graph.value}>, which holds the "
                "package's own ontology or closure; rename that graph"
            )
        yield quad


def _labelled_quads(source: Source, target: ox.NamedNode, base: str) -> list[ox.Quad]:
    """The file's quads, blank nodes labelled per file in the order they first appear.

    Raises ``DataLoadError`` when blank nodes nest deeper than ``MAX_NESTING``.
    """
    prefix = hashlib.sha256(str(source.path.resolve()).encode()).hexdigest()[:8]
    if source.embedded:  # the package's files relabel the same wherever they are installed
        prefix = hashlib.sha256(source.path.name.encode()).hexdigest()[:8]
    labels: dict[str, ox.BlankNode] = {}

    def relabel(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            label = labels.get(term.value)
            if label is None:
                label = labels[term.value] = ox.BlankNode(f"b{prefix}n{len(labels)}")
            return label
        return term

    quads = [
        ox.Quad(relabel(q.subject), q.predicate, relabel(q.object), q.graph_name)
        for q in _parse(source, target, base)
    ]
    depth = _nesting(quads)
    if depth > MAX_NESTING:
        raise DataLoadError(
            f"{source.path}: blank nodes nested {depth} deep (brackets, lists in lists or a "
            f"chain of blank nodes); at most {MAX_NESTING} are accepted"
        )
    return quads


def _nesting(quads: Sequence[ox.Quad]) -> int:
    """How deep blank nodes nest: the longest chain from a top-level node, in linear time.

    Each blank node object one level below its subject, except along ``rdf:rest`` (the next cell
    of the same list). Depths are found breadth first (0-1 BFS); cycles add nothing.
    """
    from collections import deque

    below: dict[str, list[tuple[str, int]]] = {}  # labels: hashing them is far cheaper
    inner: set[str] = set()  # objects of a blank node
    subjects: set[str] = set()
    top: set[str] = set()  # objects of an IRI: at the top, whatever else holds them
    for quad in quads:
        subject, thing = quad.subject, quad.object
        if isinstance(subject, ox.BlankNode):
            subjects.add(subject.value)
        if not isinstance(thing, ox.BlankNode):
            continue
        if isinstance(subject, ox.BlankNode):
            step = 0 if quad.predicate.value == _RDF_REST else 1
            below.setdefault(subject.value, []).append((thing.value, step))
            inner.add(thing.value)
        else:
            top.add(thing.value)
    depth = dict.fromkeys(top | (subjects - inner), 1)
    queue: deque[str] = deque(depth)
    deepest = 1 if depth else 0
    while queue:
        node = queue.popleft()
        level = depth[node]
        for child, step in below.get(node, ()):
            if child in depth and depth[child] <= level + step:
                continue
            depth[child] = level + step
            deepest = max(deepest, level + step)
            if step:
                queue.append(child)
            else:
                queue.appendleft(child)
    return deepest


def _may_have_blank_nodes(path: Path) -> bool:
    """Whether the file could contain a blank node; ``False`` is certain, ``True`` may be wrong.

    Every blank node syntax needs ``_:``, ``[``, ``(`` (an RDF collection) or, in JSON-LD and
    RDF/XML, an object without an identifier, which this check cannot see cheaply.
    """
    if path.suffix.lower() in (".jsonld", ".json", ".rdf", ".owl"):
        return True
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m.find(b"_:") != -1:
            return True
        if path.suffix.lower() in (".nt", ".nq"):
            return False
        return m.find(b"[") != -1 or m.find(b"(") != -1


def _check_xml_entities(path: Path) -> None:
    """Refuse RDF/XML whose entity declarations could expand without bound, before parsing."""
    from xml.parsers import expat

    declared: dict[str, int] = {}

    def on_entity(
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        if value is None or is_parameter:
            raise DataLoadError(
                f"{path}: declares the external or parameter entity {name!r}; "
                "only plain-text entities are accepted"
            )
        if "&" in value or "%" in value:
            raise DataLoadError(
                f"{path}: the entity {name!r} refers to another entity; nested entities are "
                "refused (they are how an XML entity bomb grows)"
            )
        declared[name] = len(value)

    depth = [0]

    def on_start(name: str, attributes: object) -> None:
        depth[0] += 1
        if depth[0] > MAX_XML_DEPTH:
            raise DataLoadError(
                f"{path}: elements nested more than {MAX_XML_DEPTH} deep (blank nodes nested "
                f"more than {MAX_NESTING} deep); refused"
            )

    def on_end(name: str) -> None:
        depth[0] -= 1

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    references = 0
    longest = 0
    try:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 16), b""):
                references += chunk.count(b"&")
                longest = max(declared.values(), default=0)
                if references * longest > MAX_ENTITY_EXPANSION:
                    raise DataLoadError(
                        f"{path}: its entities could expand past {MAX_ENTITY_EXPANSION} bytes; "
                        "refused (an XML entity bomb?)"
                    )
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise DataLoadError(f"{path}: not valid RDF/XML: {err}") from None
    longest = max(declared.values(), default=0)
    if references * longest > MAX_ENTITY_EXPANSION:
        raise DataLoadError(
            f"{path}: its entities could expand past {MAX_ENTITY_EXPANSION} bytes; refused"
        )


def _check_jsonld_contexts(path: Path) -> None:
    """Refuse a JSON-LD document whose ``@context`` would have to be fetched."""
    try:
        document = json.loads(_read(path))
    except (ValueError, UnicodeDecodeError) as err:
        raise DataLoadError(f"{path}: not valid JSON-LD: {err}") from None
    except RecursionError:
        raise DataLoadError(
            f"{path}: JSON nested too deep to read (objects or arrays about 1,000 deep); refused"
        ) from None
    if not _looks_like_jsonld(document):
        raise DataLoadError(
            f"{path}: is JSON but not JSON-LD: it has no @context, @id, @graph or other @ "
            "keyword, and no IRI as a key, so it would load as no triples"
        )
    for reference in _context_references(document):
        raise DataLoadError(
            f"{path}: the JSON-LD @context {reference!r} would have to be fetched, and contexts "
            "are never fetched (remote or file:); copy the context object into the document "
            'in place of the reference ("@context": { ... })'
        )


def _nodes(document: object) -> Iterator[object]:
    """Every object, array and value of a JSON document, found without recursion (nesting has no
    bound)."""
    pending = [document]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def _looks_like_jsonld(document: object) -> bool:
    """Whether any object in the document has a JSON-LD keyword or an absolute IRI as a key."""
    return any(
        isinstance(node, dict) and any(key.startswith("@") or ":" in key for key in node)
        for node in _nodes(document)
    )


def _context_references(document: object) -> Iterator[str]:
    """Every ``@context`` given as a string."""
    for node in _nodes(document):
        if isinstance(node, dict) and "@context" in node:
            value = node["@context"]
            values = value if isinstance(value, list) else [value]
            yield from (v for v in values if isinstance(v, str))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise DataLoadError(f"cannot read {path}: {err.strerror or err}") from None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def load_graph(data: Sequence[str | Path] = (), *, with_embedded: bool = False) -> Dataset:
    """Parse the ontology and the instance data into an rdflib Dataset, one graph per source.

    With no ``data`` the embedded graph is loaded; ``data`` replaces it unless ``with_embedded``.

    >>> ds = load_graph()
    >>> len(list(ds.graphs())) > 12
    True
    """
    buffer = io.BytesIO()
    write_nquads(resolve_sources(data, with_embedded=with_embedded), buffer)
    return to_dataset(buffer.getvalue())


def to_dataset(nquads: bytes) -> Dataset:
    """N-Quads as an rdflib Dataset, for the libraries that need one (owlrl, pySHACL)."""
    from rdflib import Dataset

    dataset = Dataset()
    dataset.parse(data=nquads, format="nquads")
    return dataset


def union(dataset: Dataset) -> Graph:
    """All triples of all named graphs, in one plain Graph."""
    from rdflib import Graph

    merged = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        merged.add((s, p, o))
    return merged
