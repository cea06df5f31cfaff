"""The knowledge graph as one object: a facade over load, inference, query, export and validation.

The graph lives in the cache (see ``defenders_kg.cache``) in two layers, each a persisted Oxigraph
store beside the exact statements as text: *asserted* holds every source file as a named
graph (and ``asserted.nq``); *inferred* holds the same plus the OWL-RL closure in its own graph (and
``closure.nt``). Queries read the stores; exports, validation and inference read the text, because
a store keeps literals in canonical form. Each store is queried with its default graph the union
of its graphs, which Oxigraph answers far faster than a default graph listing hundreds of
statement groups. The stores are filled from the parsed text rather than by Oxigraph's loader,
which gives blank nodes fresh identities in each call: a blank node would be two nodes, one in
the asserted layer and one in the closure, and its label would change whenever the cache is
rebuilt. A warm command opens a store read-only and pays only for its query; nothing
is parsed again.
"""

from __future__ import annotations

import io
import itertools
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

import pyoxigraph as ox

from . import cache, engine, load
from ._version import __version__
from .errors import QueryEvaluationError, QueryParameterError
from .queries import get_query
from .resident import ask as ask_resident
from .results import QueryResult
from .terms import skolem_text, unskolem_text
from .vocab import INFERRED_GRAPH, ONTOLOGY_GRAPH, RDFS_LABEL

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

    from .inference import Engine
    from .reasoner import Triple
    from .validate import ValidationReport

#: The modules whose code decides what a cache entry contains; editing them invalidates it.
_CACHE_RELEVANT_CODE = ("load.py", "inference.py", "reasoner.py", "kg.py", "cache.py")
_STORE = "store"
_ASSERTED = "asserted.nq"
_CLOSURE = "closure.nt"
#: Statements per bulk load into a store (Oxigraph's bulk loader holds what one call gives it:
#: 3.4 million quads at once took 1.8 GB), and per write of the closure.
_BATCH = 1_000_000
_WRITE = 100_000


def _code_version() -> list[str]:
    here = Path(__file__).parent
    return [(here / name).read_text(encoding="utf-8") for name in _CACHE_RELEVANT_CODE]


def progress(message: str) -> None:
    """Report long work on stderr, only when a person is watching it."""
    if sys.stderr.isatty():
        print(f"defenders-kg: {message}", file=sys.stderr, flush=True)


class Stats(NamedTuple):
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
        return self._asdict()


class KnowledgeGraph:
    """The ontology plus instance data: query it, infer over it, validate it, export it.

    With no ``data`` it is the embedded graph of the source document; ``data`` (a path, an rdflib
    ``Graph`` or ``Dataset``, or a list of them) replaces that graph, or adds to it with
    ``with_embedded=True``. The stores are cached on disk, keyed by the inputs (files by path, size
    and time; rdflib graphs by content), the package version and the reasoner. With ``resident``
    (the command line's choice), a large layer stays loaded in a background process between
    calls, so repeated queries run at in-memory speed (see ``defenders_kg.resident``).

    >>> kg = KnowledgeGraph()
    >>> result = kg.query("actors-reprising-roles")
    >>> [row["actorName"] for row in result.records()]
    ['Charlie Cox', 'Finn Jones', 'Krysten Ritter', 'Mike Colter']
    """

    def __init__(
        self,
        data: load.DataItem | Graph | Sequence[load.DataItem | Graph] = (),
        *,
        with_embedded: bool = False,
        use_cache: bool = True,
        reasoner: Engine = "fast",
        resident: bool = False,
    ) -> None:
        if reasoner not in ("fast", "owlrl"):
            raise ValueError(f"unknown reasoner {reasoner!r} (use fast or owlrl)")
        self.sources = load.resolve_sources(data, with_embedded=with_embedded)
        for source in self.sources:
            load.check_readable(source.path)
        self.use_cache = use_cache
        self.reasoner: Engine = reasoner
        self.resident = resident
        self._key: str | None = None
        self._stores: dict[bool, ox.Store] = {}
        self._layers: dict[bool, Path] = {}

    @property
    def key(self) -> str:
        """A hash of every input, the package version, the reasoner and the code that builds."""
        if self._key is None:
            self._key = load.fingerprint(
                self.sources, __version__, self.reasoner, *_code_version()
            )[:32]
        return self._key

    def store(self, *, inference: bool = True) -> ox.Store:
        """The store read-only: the asserted graphs, plus with ``inference`` the closure's graph.

        A store that RocksDB finds corrupt is rebuilt (with a warning), never used.
        """
        if inference not in self._stores:
            path = self.store_path(inference=inference)
            try:
                self._stores[inference] = ox.Store.read_only(str(path))
            except (OSError, RuntimeError) as err:
                self._rebuild(inference, _first_line(err))
                path = self.store_path(inference=inference)
                self._stores[inference] = ox.Store.read_only(str(path))
        return self._stores[inference]

    def _rebuild(self, inference: bool, reason: str) -> None:
        """Throw a damaged layer away; the next use builds it again."""
        cache.discard(self._layer(inference), reason)
        self._layers.pop(inference, None)
        self._stores.pop(inference, None)

    def _run(self, text: str, *, inference: bool) -> QueryResult:
        """``engine.run`` on a store, rebuilt once if RocksDB finds a block corrupt mid-query.

        With ``resident``, a large layer's resident process answers when it runs (see
        ``defenders_kg.resident``): the same evaluation, from memory.
        """
        if self.resident and self.use_cache:
            answer = ask_resident(self._layer(inference), text)
            if answer is not None:
                return answer
        try:
            return engine.run(self.store(inference=inference), text)
        except QueryEvaluationError as err:
            if "Corruption" not in str(err):
                raise
            self._rebuild(inference, _first_line(err))
            return engine.run(self.store(inference=inference), text)

    def store_path(self, *, inference: bool = True) -> Path:
        """The folder of the persisted store, built first if needed (other processes open it)."""
        return self._layer(inference) / _STORE

    def _layer(self, inference: bool) -> Path:
        """The cache folder of a layer (checked once per process): its store, and its text."""
        known = self._layers.get(inference)
        if known is None or not known.exists():  # pruned by another input set meanwhile
            layer = "inferred" if inference else "asserted"
            build = self._build_inferred if inference else self._build_asserted
            self._layers[inference] = cache.materialize(
                self.key, layer, build, use_cache=self.use_cache, about=self._about()
            )
        return self._layers[inference]

    def _about(self) -> str:
        """What the input set is, in a few words, for ``defenders-kg cache``."""
        given = [str(s.path) for s in self.sources if not s.embedded]
        if any(s.embedded and s.graph != ONTOLOGY_GRAPH for s in self.sources):
            given.insert(0, "the embedded graph")
        what = " + ".join(given)
        return f"{what} ({self.reasoner})"

    def statements(self, *, inference: bool = True) -> tuple[Path, Path | None]:
        """The asserted statements as N-Quads, and with ``inference`` the closure as N-Triples.

        These files hold every literal as written; the stores hold them in canonical form.
        """
        closure = self._layer(True) / _CLOSURE if inference else None
        return self._layer(False) / _ASSERTED, closure

    def _build_asserted(self, folder: Path) -> dict[str, int]:
        data = [s for s in self.sources if s.graph != ONTOLOGY_GRAPH]
        ontology = len(self.sources) - len(data)
        progress(f"loading {len(data)} data file{'s' if len(data) != 1 else ''} and the "
                 f"{ontology} ontology files (parsed once, then cached)")  # fmt: skip
        with open(folder / _ASSERTED, "wb") as stream:
            load.write_nquads(self.sources, stream)
        store = ox.Store(str(folder / _STORE))
        fill(store, ox.parse(path=folder / _ASSERTED, format=ox.RdfFormat.N_QUADS))
        return {"quads": _lines(folder / _ASSERTED), "stored": len(store)}

    def _build_inferred(self, folder: Path) -> dict[str, int]:
        asserted, _ = self.statements(inference=False)
        with open(folder / _CLOSURE, "wb") as stream:
            inferred = self._closure(asserted, stream)
        self.store(inference=False).backup(str(folder / _STORE))
        store = ox.Store(str(folder / _STORE))
        fill(store, closure_quads(folder / _CLOSURE))
        return {"inferred": inferred, "stored": len(store)}

    def _closure(self, asserted: Path, stream: BinaryIO) -> int:
        """Write the OWL-RL closure of the asserted statements as N-Triples, junk removed; count it.

        The file is read once: the ontology's statements come first in it (the sources are in
        that order, and no other source may use the ontology's graph), then the facts go to the
        reasoner as they are read.
        """
        from . import inference

        ontology: set[Triple] = set()
        ontology_graph = ox.NamedNode(ONTOLOGY_GRAPH)
        quads = iter(ox.parse(path=asserted, format=ox.RdfFormat.N_QUADS))
        first_fact: list[ox.Quad] = []
        for quad in quads:
            if quad.graph_name != ontology_graph:
                first_fact.append(quad)
                break
            ontology.add(_skolem_triple(quad))
        read = 0

        def facts() -> Iterator[Triple]:
            nonlocal read
            for quad in itertools.chain(first_fact, quads):
                read += 1
                yield _skolem_triple(quad)

        progress(f"inferring over the ontology's {len(ontology):,} triples and the data "
                 f"with the {self.reasoner} reasoner (then cached)")  # fmt: skip
        started = time.monotonic()
        tbox = self._tbox(ontology) if self.reasoner == "fast" else None
        triples = inference.infer_triples(ontology, facts(), tbox=tbox, engine=self.reasoner)
        seconds = max(time.monotonic() - started, 1e-3)
        given = len(ontology) + read
        progress(f"inferred {len(triples):,} new triples in {seconds:.1f} s from {given:,} "
                 f"({given / seconds:,.0f} input triples/s)")  # fmt: skip
        for start in range(0, len(triples), _WRITE):
            batch = triples[start : start + _WRITE]
            stream.write(
                _ntriples(
                    (unskolem_text(s), unskolem_text(p), unskolem_text(o)) for s, p, o in batch
                ).encode()
            )
        return len(triples)

    def _tbox(self, ontology: set[Triple]) -> set[Triple]:
        """The ontology's OWL-RL closure, cached apart since it depends on the ontology alone."""
        from .inference import tbox_closure

        def build(folder: Path) -> dict[str, int]:
            closed = tbox_closure(ontology)
            (folder / "tbox.nt").write_text(_ntriples(sorted(closed)), encoding="utf-8")
            return {"triples": len(closed)}

        key = load.fingerprint(load.ontology_sources(), __version__, "tbox", *_code_version())
        folder = cache.materialize(key[:32], "tbox", build, use_cache=self.use_cache,
                                   about="the ontology's closure")  # fmt: skip
        return {
            (str(q.subject), str(q.predicate), str(q.object))
            for q in ox.parse(path=folder / "tbox.nt", format=ox.RdfFormat.N_TRIPLES)
        }

    def asserted(self) -> Dataset:
        """The asserted graph as an rdflib Dataset: one named graph per source file."""
        asserted, _ = self.statements(inference=False)
        return load.to_dataset(asserted.read_bytes())

    def inferred(self) -> Graph:
        """The OWL-RL entailments that the asserted graph does not contain, junk removed."""
        from rdflib import Graph

        _, closure = self.statements(inference=True)
        assert closure is not None
        return Graph().parse(data=closure.read_bytes(), format="nt")

    def query(
        self,
        name: str,
        params: Mapping[str, object] | None = None,
        *,
        inference: bool | None = None,
    ) -> QueryResult:
        """Run the canned query ``name`` with typed parameters.

        ``inference`` defaults to what the query's header asks for; ``False`` is refused for a
        query that needs the closure. An entity parameter that names nothing in the graph is a
        ``QueryParameterError``, not an empty answer.
        """
        canned = get_query(name, use_cache=self.use_cache)
        text = canned.bind(params)
        use_closure = canned.closure(inference)
        for ask, missing in canned.lookups(params):
            if not self._run(ask, inference=use_closure).boolean:
                raise QueryParameterError(missing)
        return self._run(text, inference=use_closure)

    def sparql(self, text: str, *, inference: bool = True) -> QueryResult:
        """Run any SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) under the query policy."""
        return self._run(text, inference=inference)

    def evidence(self, entity: str) -> QueryResult:
        """The facts about an entity (a label or an IRI) with the sentence that states each."""
        return self.query("evidence", {"entity": entity})

    def describe(self, entity: str) -> QueryResult:
        """Every asserted and inferred triple about an entity (a label or an IRI), as a graph."""
        result = self.query("describe", {"entity": entity})
        named = sorted(
            {t.subject.value for t in result.triples
             if t.predicate.value == RDFS_LABEL and isinstance(t.subject, ox.NamedNode)
             and isinstance(t.object, ox.Literal) and t.object.value == entity.strip()}
        )  # fmt: skip
        if len(named) > 1:
            # Merging the descriptions of several entities would be a silent wrong answer.
            raise QueryParameterError(
                f"{len(named)} entities have the label {entity!r}; describe one by its IRI: "
                + ", ".join(named)
            )
        return result

    def export(
        self, format: str = "turtle", *, inferred: bool = True, profile: str = "rdf"
    ) -> bytes:
        """The graph in an RDF syntax, byte-identical for the same input (see ``export_to``)."""
        from .export import write_export

        buffer = io.BytesIO()
        write_export(*self.statements(inference=inferred), buffer, format, profile=profile)
        return buffer.getvalue()

    def export_to(
        self, path: str | Path | None, format: str = "turtle", *, inferred: bool = True,
        profile: str = "rdf",
    ) -> int:  # fmt: skip
        """Write an export to ``path`` (``-`` or None for stdout); return the statements written.

        Triple formats merge every graph; TriG and N-Quads keep the named graphs (the closure in
        its own graph). A regular file is replaced atomically; see ``defenders_kg.files``.
        ``profile="owl"`` writes it for OWL 2 DL tools such as Protégé and HermiT: literals of
        datatypes outside the OWL 2 datatype map (``xsd:date``, ``xsd:gYearMonth``) become
        ``xsd:string`` with the same lexical form.
        """
        from .export import write_export
        from .files import write_output

        asserted, closure = self.statements(inference=inferred)
        written: list[int] = []

        def write(stream: BinaryIO) -> None:
            written.append(write_export(asserted, closure, stream, format, profile=profile))

        write_output(path, write)
        return written[0]

    def annotations(self) -> str:
        """The words behind each fact as W3C Web Annotations (JSON-LD text): one annotation per
        ``dkg:Wording``, its targets the spans with position and quote selectors."""
        from .annotations import QUERY, web_annotations_text

        return web_annotations_text(self.sparql(QUERY, inference=False))

    def validate(self) -> ValidationReport:
        """SHACL validation (pySHACL) of the asserted graph, plus the quality-check queries."""
        from .validate import validate

        asserted, _ = self.statements(inference=False)
        return validate(asserted, self.store(inference=True), use_cache=self.use_cache)

    def stats(self) -> Stats:
        """Triple counts by layer, and counts of classes, properties, entities and sentences."""
        store = self.store(inference=True)
        layers = {}
        for name in (ONTOLOGY_GRAPH, INFERRED_GRAPH):
            text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(name)} {{ ?s ?p ?o }} }}"
            layers[name] = int(engine.run(store, text).records()[0]["n"])
        counts = self.query("stats").records()[0]
        return Stats(
            ontology_triples=layers[ONTOLOGY_GRAPH],
            asserted_triples=len(store) - layers[ONTOLOGY_GRAPH] - layers[INFERRED_GRAPH],
            inferred_triples=layers[INFERRED_GRAPH],
            classes=int(counts["classes"]),
            properties=int(counts["properties"]),
            entities=int(counts["entities"]),
            statement_groups=int(counts["statementGroups"]),
            sentences=int(counts["sentences"]),
        )


def _skolem_triple(quad: ox.Quad) -> Triple:
    return (skolem_text(quad.subject), skolem_text(quad.predicate), skolem_text(quad.object))


def fill(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    """Bulk-load ``quads`` a batch at a time, so that memory does not grow with the data.

    The quads come from one parser, so a blank node label is one node in every batch. A layer's
    on-disk store and its resident (``resident_process``) are both filled this way.
    """
    rest = iter(quads)
    for first in rest:
        store.bulk_extend(itertools.chain((first,), itertools.islice(rest, _BATCH - 1)))
    store.flush()


def closure_quads(closure: Path) -> Iterator[ox.Quad]:
    """A layer's ``closure.nt`` as the quads of the closure's graph."""
    graph = ox.NamedNode(INFERRED_GRAPH)
    for triple in ox.parse(path=closure, format=ox.RdfFormat.N_TRIPLES):
        yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def _ntriples(triples: Iterable[Triple]) -> str:
    """Triples of N-Triples terms as an N-Triples document."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def _lines(path: Path) -> int:
    """The statements of an N-Quads or N-Triples file: its lines, counted a megabyte at a time."""
    with open(path, "rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__
