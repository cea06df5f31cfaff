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

    from .inference import Engine
    from .reasoner import Triple
    from .validate import ValidationReport

#: The modules whose code decides what a cache entry contains; editing them invalidates it.
_CACHE_RELEVANT_CODE = ("load.py", "inference.py", "reasoner.py")


def _cache_key(sources: Sequence[load.Source], *extra: str) -> str:
    here = Path(__file__).parent
    code = [(here / name).read_text(encoding="utf-8") for name in _CACHE_RELEVANT_CODE]
    return load.fingerprint(sources, __version__, *extra, *code)[:32]


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
        reasoner: Engine = "fast",
    ) -> None:
        if reasoner not in ("fast", "owlrl"):
            raise ValueError(f"unknown reasoner {reasoner!r} (use fast or owlrl)")
        self.sources = load.resolve_sources(data, with_embedded=with_embedded)
        self.use_cache = use_cache
        self.reasoner: Engine = reasoner
        self._key: str | None = None
        self._asserted: Dataset | None = None
        self._inferred: Graph | None = None
        self._quads: list[ox.Quad] | None = None
        self._closure: bytes | None = None
        self._stores: dict[bool, ox.Store] = {}

    @property
    def key(self) -> str:
        """A hash of every input file, the package version and the code that builds the cache."""
        if self._key is None:
            self._key = _cache_key(self.sources, self.reasoner)
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

            self._inferred = Graph().parse(data=self._inferred_ntriples(), format="nt")
        return self._inferred

    def store(self, *, inference: bool = True) -> ox.Store:
        """An Oxigraph store of the asserted graphs; with ``inference``, the closure in a graph too.

        Each is queried with its default graph the union of its graphs: Oxigraph answers that far
        faster than a default graph given as a list of hundreds of statement groups.
        """
        if inference not in self._stores:
            store = ox.Store()
            store.bulk_extend(self._asserted_quads())
            if inference:
                store.bulk_load(
                    self._inferred_ntriples(),
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=ox.NamedNode(INFERRED_GRAPH),
                )
            self._stores[inference] = store
        return self._stores[inference]

    def _asserted_quads(self) -> list[ox.Quad]:
        """The asserted quads, from the cache or parsed (and then cached)."""
        if self._quads is None:
            cached = self._cache_path("asserted.nq")
            if cached is not None and cached.exists():
                self._quads = list(ox.parse(path=cached, format=ox.RdfFormat.N_QUADS))
            else:
                self._quads = load.load_quads(self.sources)
                data = ox.serialize(self._quads, format=ox.RdfFormat.N_QUADS)
                self._write_cache("asserted.nq", data)
        return self._quads

    def _inferred_ntriples(self) -> bytes:
        """The closure as N-Triples, from the cache or computed (and then cached)."""
        if self._closure is None:
            cached = self._cache_path("inferred.nt")
            if cached is not None and cached.exists():
                self._closure = cached.read_bytes()
            else:
                self._closure = self._infer()
                self._write_cache("inferred.nt", self._closure)
        return self._closure

    def _infer(self) -> bytes:
        from .inference import infer_triples

        ontology: set[Triple] = set()
        facts: set[Triple] = set()
        for quad in self._asserted_quads():
            triple = (str(quad.subject), str(quad.predicate), str(quad.object))
            is_ontology = quad.graph_name == ox.NamedNode(ONTOLOGY_GRAPH)
            (ontology if is_ontology else facts).add(triple)
        progress(
            f"inferring over {len(ontology) + len(facts)} triples ({self.reasoner}); cached after"
        )
        tbox = self._tbox(ontology) if self.reasoner == "fast" else None
        triples = infer_triples(ontology, facts, tbox=tbox, engine=self.reasoner)
        return "".join(f"{s} {p} {o} .\n" for s, p, o in triples).encode("utf-8")

    def _tbox(self, ontology: set[Triple]) -> set[Triple]:
        """The ontology's OWL-RL closure, cached apart since it depends on the ontology alone."""
        key = _cache_key(load.ontology_sources(), "tbox")
        path = self._cache_path("tbox.nt", key)
        if path is not None and path.exists():
            return {
                (str(q.subject), str(q.predicate), str(q.object))
                for q in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)
            }
        from .inference import tbox_closure

        closed = tbox_closure(ontology)
        data = "".join(f"{s} {p} {o} .\n" for s, p, o in sorted(closed)).encode("utf-8")
        self._write_cache("tbox.nt", data, key)
        return closed

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
        use_closure = canned.inference if inference is None else inference
        return engine.run(self.store(inference=use_closure), text)

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

    def _cache_path(self, name: str, key: str | None = None) -> Path | None:
        if not self.use_cache:
            return None
        try:
            return cache.entry(key or self.key, name)
        except OSError:
            return None

    def _write_cache(self, name: str, data: bytes | None, key: str | None = None) -> None:
        path = self._cache_path(name, key)
        if path is None:
            return
        with contextlib.suppress(ExportError):  # an unwritable cache only costs speed
            write_atomic(path, data or b"")
