"""The knowledge graph as one object: sources, asserted graph, closure, query store, cache."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import cache, engine, load
from ._version import __version__
from .errors import ExportError, QueryParameterError
from .files import write_atomic
from .queries import get_query
from .results import QueryResult
from .vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

    from .validate import ValidationReport

#: The modules whose code decides what a cache entry contains; editing them invalidates it.
_CACHE_RELEVANT_CODE = ("load.py", "inference.py")
REASONER = "owlrl"


def progress(message: str) -> None:
    """Report long work on stderr, only when a person is watching it."""
    if sys.stderr.isatty():
        print(f"defenders-kg: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Stats:
    """Triple and entity counts of a knowledge graph."""

    ontology_triples: int
    asserted_triples: int
    inferred_triples: int
    classes: int
    properties: int
    entities: int
    statement_groups: int
    sentences: int

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class KnowledgeGraph:
    """The ontology plus instance data: query it, infer over it, validate it, export it.

    With no ``data`` it is the embedded graph of the source document; ``data`` files replace that
    graph, or add to it with ``with_embedded=True``. Parsed graphs and the inferred closure are
    cached on disk (see ``defenders_kg.cache``), keyed by a hash of every input.

    >>> kg = KnowledgeGraph()
    >>> result = kg.query("actors-reprising-roles")
    >>> [row["actorName"] for row in result.records()]
    ['Charlie Cox', 'Finn Jones', 'Krysten Ritter', 'Mike Colter']
    """

    def __init__(
        self,
        data: Sequence[str | Path] = (),
        *,
        with_embedded: bool = False,
        use_cache: bool = True,
    ) -> None:
        self.sources = load.resolve_sources(data, with_embedded=with_embedded)
        self.use_cache = use_cache
        self._key: str | None = None
        self._asserted: Dataset | None = None
        self._inferred: Graph | None = None
        self._stores: dict[bool, ox.Store] = {}

    @property
    def key(self) -> str:
        """A hash of every input file, the package version and the code that builds the cache."""
        if self._key is None:
            here = Path(__file__).parent
            code = [(here / name).read_text(encoding="utf-8") for name in _CACHE_RELEVANT_CODE]
            self._key = load.fingerprint(self.sources, __version__, REASONER, *code)[:32]
        return self._key

    def asserted(self) -> Dataset:
        """The asserted graph as an rdflib Dataset: one named graph per source file."""
        if self._asserted is None:
            self._asserted = load.load_sources(self.sources)
        return self._asserted

    def inferred(self) -> Graph:
        """The OWL-RL entailments that the asserted graph does not contain, junk removed."""
        if self._inferred is None:
            from rdflib import Graph

            cached = self._cache_path("inferred.nt")
            if cached is not None and cached.exists():
                self._inferred = Graph().parse(cached, format="nt")
            else:
                from .inference import infer

                progress(f"running OWL-RL inference ({REASONER}); the result will be cached")
                self._inferred = infer(load.union(self.asserted()))
                self._write_cache(
                    "inferred.nt", self._inferred.serialize(format="nt", encoding="utf-8")
                )
        return self._inferred

    def store(self, *, inference: bool = True) -> ox.Store:
        """An Oxigraph store with the asserted graphs and, with ``inference``, the closure."""
        if inference not in self._stores:
            store = ox.Store()
            asserted = self._cache_path("asserted.nq")
            if asserted is not None and asserted.exists():
                store.bulk_load(path=asserted, format=ox.RdfFormat.N_QUADS)
            else:
                data = self.asserted().serialize(format="nquads", encoding="utf-8")
                self._write_cache("asserted.nq", data)
                store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
            if inference:
                inferred = self._cache_path("inferred.nt")
                if inferred is None or not inferred.exists():
                    self.inferred()
                if inferred is not None and inferred.exists():
                    store.bulk_load(
                        path=inferred,
                        format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(INFERRED_GRAPH),
                    )
                else:
                    data = self.inferred().serialize(format="nt", encoding="utf-8")
                    store.bulk_load(
                        data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(INFERRED_GRAPH)
                    )
            self._stores[inference] = store
        return self._stores[inference]

    def query(
        self,
        name: str,
        params: Mapping[str, object] | None = None,
        *,
        inference: bool | None = None,
    ) -> QueryResult:
        """Run the canned query ``name`` with typed parameters.

        ``inference`` defaults to what the query's header asks for.
        """
        canned = get_query(name)
        text = canned.bind(params)
        return engine.run(
            self.store(inference=canned.inference if inference is None else inference), text
        )

    def sparql(self, text: str, *, inference: bool = True) -> QueryResult:
        """Run any SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
        return engine.run(self.store(inference=inference), text)

    def evidence(self, entity: str) -> QueryResult:
        """The facts about an entity (a label or an IRI) with the sentence that states each."""
        return self.query("evidence", {"entity": entity})

    def describe(self, entity: str) -> QueryResult:
        """Every asserted and inferred triple about an entity (a label or an IRI), as a graph."""
        result = self.query("describe", {"entity": entity})
        if not result.triples:
            raise QueryParameterError(f"no entity has the label or IRI {entity!r}")
        return result

    def export(self, format: str = "turtle", *, inferred: bool = True) -> bytes:
        """The graph in an RDF syntax, byte-identical for the same input.

        Triple formats merge every graph; TriG and N-Quads keep the named graphs (the closure in
        its own graph). With ``inferred`` the closure is included.
        """
        from rdflib import URIRef

        from .export import serialize_quads

        quads = list(self.asserted().quads((None, None, None, None)))
        if inferred:
            graph = URIRef(INFERRED_GRAPH)
            quads += [(s, p, o, graph) for s, p, o in self.inferred()]
        return serialize_quads(quads, format)

    def export_to(self, path: str | Path, format: str = "turtle", *, inferred: bool = True) -> None:
        """Write an export atomically: a failure never leaves a truncated file at ``path``."""
        write_atomic(path, self.export(format, inferred=inferred))

    def validate(self) -> ValidationReport:
        """SHACL validation (pySHACL) of the asserted graph, plus the quality-check queries."""
        from .validate import validate

        return validate(self)

    def stats(self) -> Stats:
        """Triple counts by layer, and counts of classes, properties, entities and sentences."""
        store = self.store(inference=True)
        layers = {ONTOLOGY_GRAPH: 0, INFERRED_GRAPH: 0}
        asserted = 0
        for quad in store:
            graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
            if graph in layers:
                layers[graph] += 1
            else:
                asserted += 1
        counts = self.query("stats").records()[0]
        return Stats(
            ontology_triples=layers[ONTOLOGY_GRAPH],
            asserted_triples=asserted,
            inferred_triples=layers[INFERRED_GRAPH],
            classes=int(counts["classes"]),
            properties=int(counts["properties"]),
            entities=int(counts["entities"]),
            statement_groups=int(counts["statementGroups"]),
            sentences=int(counts["sentences"]),
        )

    def _cache_path(self, name: str) -> Path | None:
        if not self.use_cache:
            return None
        try:
            return cache.entry(self.key, name)
        except OSError:
            return None

    def _write_cache(self, name: str, data: bytes) -> None:
        path = self._cache_path(name)
        if path is None:
            return
        with contextlib.suppress(ExportError):  # an unwritable cache only costs speed
            write_atomic(path, data)
