"""Stage 1: find the input files; parse them into an rdflib Dataset, one named graph per source."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import paths
from .errors import DataLoadError
from .vocab import DKGR, DOCUMENT_GRAPH, GENID, ONTOLOGY_GRAPH, USER_DATA_GRAPH

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

#: rdflib parser names by file suffix. RDF/XML is left out on purpose: its parser expands XML
#: entities, which a hostile file can turn into an entity bomb.
FORMATS_BY_SUFFIX = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
_QUAD_FORMATS = {"trig", "nquads", "json-ld"}


@dataclass(frozen=True)
class Source:
    """One input file and the named graph its triples go into.

    ``graph`` is ``None`` for quad formats, whose own named graphs are kept (their default graph
    goes into the user-data graph).
    """

    path: Path
    graph: str | None
    format: str


def embedded_sources() -> list[Source]:
    """The document graph and the statement groups that ship with the package."""
    sources = [Source(paths.document_file(), DOCUMENT_GRAPH, "turtle")]
    sources += [Source(p, DKGR + p.stem, "turtle") for p in paths.statement_files()]
    return sources


def ontology_sources() -> list[Source]:
    return [Source(p, ONTOLOGY_GRAPH, "turtle") for p in paths.ontology_files()]


def user_source(path: str | Path) -> Source:
    """A ``--data`` file; its format comes from its suffix."""
    path = Path(path)
    fmt = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise DataLoadError(f"{path}: unknown RDF file suffix {path.suffix!r} (use one of {known})")
    return Source(path, None if fmt in _QUAD_FORMATS else USER_DATA_GRAPH, fmt)


def resolve_sources(
    data: Sequence[str | Path] = (), *, with_embedded: bool = False
) -> list[Source]:
    """The ontology, then the embedded graph unless user data replaces it, then the user data."""
    sources = ontology_sources()
    if not data or with_embedded:
        sources += embedded_sources()
    sources += [user_source(p) for p in data]
    return sources


def read_bytes(source: Source) -> bytes:
    try:
        return source.path.read_bytes()
    except OSError as err:
        raise DataLoadError(f"cannot read {source.path}: {err.strerror or err}") from None


def fingerprint(sources: Iterable[Source], *extra: str) -> str:
    """A hash of the sources' bytes and roles, plus any extra strings (versions, engine names)."""
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode() + b"\0")
    for source in sources:
        digest.update(f"{source.graph}\0{source.format}\0".encode())
        digest.update(hashlib.sha256(read_bytes(source)).digest())
    return digest.hexdigest()


def load_graph(data: Sequence[str | Path] = (), *, with_embedded: bool = False) -> Dataset:
    """Parse the ontology and the instance data into a Dataset, one named graph per source.

    With no ``data`` the embedded graph is loaded; ``data`` replaces it unless ``with_embedded``.
    Blank nodes are replaced by deterministic skolem IRIs (see ``skolemize``).

    >>> ds = load_graph()
    >>> len(list(ds.graphs())) > 12
    True
    """
    return load_sources(resolve_sources(data, with_embedded=with_embedded))


def load_sources(sources: Sequence[Source]) -> Dataset:
    from rdflib import Dataset, URIRef

    dataset = Dataset()
    for source in sources:
        content = read_bytes(source)
        parsed = _parse(source, content)
        for name, graph in parsed:
            target = dataset.graph(URIRef(name))
            for triple in skolemize(graph):
                target.add(triple)
    return dataset


def _parse(source: Source, content: bytes) -> list[tuple[str, Graph]]:
    from rdflib import Dataset, Graph, URIRef
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    try:
        if source.graph is not None:
            graph = Graph()
            graph.parse(data=content, format=source.format, publicID=source.path.resolve().as_uri())
            return [(source.graph, graph)]
        dataset = Dataset()
        dataset.parse(data=content, format=source.format, publicID=source.path.resolve().as_uri())
    except Exception as err:  # rdflib's parsers raise many unrelated types
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataLoadError(f"{source.path}: not valid {source.format}: {message}") from None
    named = []
    for graph in dataset.graphs():
        name = str(graph.identifier)
        if isinstance(graph.identifier, URIRef) and graph.identifier != DATASET_DEFAULT_GRAPH_ID:
            named.append((name, graph))
        else:
            named.append((USER_DATA_GRAPH, graph))
    return [(name, graph) for name, graph in named if len(graph)]


def skolemize(graph: Graph) -> Graph:
    """Replace blank nodes by IRIs derived from a canonical labelling of the graph.

    rdflib gives blank nodes random labels on every parse; canonical labels (``rdflib.compare``)
    make caches and exports byte-identical from run to run, and IRIs survive a trip through any
    triple store. Exports turn these IRIs back into blank nodes.
    """
    from rdflib import BNode, Graph, URIRef
    from rdflib.compare import to_canonical_graph

    if not any(isinstance(t, BNode) for triple in graph for t in triple):
        return graph
    result = Graph()
    for triple in to_canonical_graph(graph):
        s, p, o = (URIRef(GENID + str(t)) if isinstance(t, BNode) else t for t in triple)
        result.add((s, p, o))
    return result


def union(dataset: Dataset) -> Graph:
    """All triples of all named graphs, in one plain Graph."""
    from rdflib import Graph

    merged = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        merged.add((s, p, o))
    return merged


_OXIGRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


def load_quads(sources: Sequence[Source]) -> list[ox.Quad]:
    """The same quads as ``load_sources``, parsed by Oxigraph, many times faster than rdflib.

    A file with blank nodes, or in JSON-LD, goes through rdflib and ``skolemize`` so that blank
    nodes get the same stable IRIs on either path.
    """
    quads: list[ox.Quad] = []
    for source in sources:
        content = read_bytes(source)
        parsed = _parse_with_oxigraph(source, content)
        if parsed is None:
            dataset = load_sources([source])
            data = dataset.serialize(format="nquads", encoding="utf-8")
            parsed = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
        quads += parsed
    return quads


def _parse_with_oxigraph(source: Source, content: bytes) -> list[ox.Quad] | None:
    fmt = _OXIGRAPH_FORMATS.get(source.format)
    if fmt is None:
        return None
    target = ox.NamedNode(source.graph or USER_DATA_GRAPH)
    try:
        quads = []
        for quad in ox.parse(content, format=fmt, base_iri=source.path.resolve().as_uri()):
            if any(
                isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name)
            ):
                return None
            graph = quad.graph_name
            if source.graph is not None or isinstance(graph, ox.DefaultGraph):
                graph = target
            quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, graph))
    except SyntaxError as err:
        message = str(err).strip().splitlines()[0]
        raise DataLoadError(f"{source.path}: not valid {source.format}: {message}") from None
    return quads
