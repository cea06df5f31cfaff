"""The export round trip over fuzzed graphs, shared by tests/test_export_roundtrip.py (bounded, in
CI) and benchmarks/fuzz_export.py (long runs).

A graph is what the cache holds: N-Quads lines, each in a named graph. Each export of it is read
back by rdflib and by Oxigraph and must be isomorphic to it (triple formats: to its merged
triples), or be refused with one line that names a triple of the graph.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pyoxigraph as ox
import rdflib
from hypothesis import assume
from hypothesis import strategies as st

from defenders_kg import FormatError
from defenders_kg.export import EXPORT_FORMATS, write_export
from defenders_kg.formats import get as get_format
from defenders_kg.vocab import DKG, DKGR, PREFIXES

RDF, XSD = PREFIXES["rdf"], PREFIXES["xsd"]

#: IRIs that writers treat specially: RDF/XML syntax names, list terms, JSON-LD context terms
#: (with and without "@type": "@id"), namespaces themselves, local names that are not XML names.
SPECIAL_IRIS = [
    RDF + "type", RDF + "first", RDF + "rest", RDF + "nil", RDF + "li", RDF + "_1",
    RDF + "Description", RDF + "value", RDF + "JSON", RDF + "XMLLiteral", RDF + "HTML",
    PREFIXES["rdfs"] + "label", PREFIXES["owl"] + "sameAs", DKG + "actor", DKG + "abbreviation",
    DKG + "CastCredit", DKGR + "charlie-cox", DKG, DKGR, "https://schema.org/name",
    "http://ex.org/1", "http://ex.org/", "http://ex.org/a#", "urn:x", "dkg:actor", "dkgr:x",
    "label:x", "type:x", "_:x", "http://ex.org/@id", "http://ex.org/%20x",
]  # fmt: skip
DATATYPES = [
    XSD + name
    for name in ("string", "integer", "int", "boolean", "decimal", "double", "float", "date",
                 "dateTime", "anyURI", "gYear", "duration", "nonNegativeInteger")
] + [RDF + "XMLLiteral", RDF + "JSON", RDF + "HTML", "http://ex.org/type"]  # fmt: skip
LEXICAL_FORMS = ["01", "1", "-0", "1.50", "1e3", "NaN", "INF", "true", "0", "2020-02-30",
                 "2017-08-18T00:00:00Z", "<a/>", '{"a": 1}', "", " x ", "P1Y"]  # fmt: skip
GRAPHS = [DKGR + "graph-a", "http://ex.org/g", "urn:g"]

_IRI_CHARS = st.characters(
    codec=None,
    exclude_categories=["Cs", "Cc", "Co", "Zs", "Zl", "Zp"],
    exclude_characters='<>"{}|^`\\',
)
_TEXT = st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=6)


@st.composite
def iris(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(SPECIAL_IRIS))
    scheme = draw(st.sampled_from(["http://ex.org/", "https://schema.org/", DKGR, "urn:", "x:"]))
    return scheme + draw(st.text(_IRI_CHARS, max_size=5))


@st.composite
def literals(draw: st.DrawFn) -> ox.Literal:
    lexical = draw(st.one_of(_TEXT, st.sampled_from(LEXICAL_FORMS)))
    kind = draw(st.sampled_from(["plain", "language", "typed"]))
    if kind == "language":
        primary = draw(st.from_regex(r"[a-z]{2,3}", fullmatch=True))
        subtags = draw(st.lists(st.from_regex(r"[a-z0-9]{2,8}", fullmatch=True), max_size=2))
        try:
            return ox.Literal(lexical, language="-".join([primary, *subtags]))
        except ValueError:  # not a well-formed BCP 47 tag
            assume(False)
            raise
    if kind == "typed":
        datatype = draw(st.one_of(st.sampled_from(DATATYPES), iris()))
        assume(datatype != RDF + "langString")
        try:
            return ox.Literal(lexical, datatype=ox.NamedNode(datatype))
        except ValueError:  # not an IRI
            assume(False)
            raise
    return ox.Literal(lexical)


#: Labels as the cache writes them (canonical, prefixed per file); few, so cycles are common.
blank_nodes = st.sampled_from([f"b1f2e3d4c14n{n}" for n in range(4)]).map(ox.BlankNode)


def named(draw: st.DrawFn) -> ox.NamedNode:
    iri = draw(iris())
    try:
        return ox.NamedNode(iri)
    except ValueError:
        assume(False)
        raise


@st.composite
def quads(draw: st.DrawFn) -> list[ox.Quad]:
    """A small dataset: IRIs, literals, blank-node cycles and self-loops, a few named graphs."""
    found = []
    for _ in range(draw(st.integers(1, 6))):
        subject = draw(blank_nodes) if draw(st.booleans()) else named(draw)
        kind = draw(st.sampled_from(["iri", "blank", "literal"]))
        if kind == "literal":
            value: ox.NamedNode | ox.BlankNode | ox.Literal = draw(literals())
        else:
            value = draw(blank_nodes) if kind == "blank" else named(draw)
        graph = ox.NamedNode(draw(st.sampled_from(GRAPHS)))
        found.append(ox.Quad(subject, named(draw), value, graph))
    return found


def cache_text(dataset: list[ox.Quad]) -> bytes:
    """The N-Quads the cache would hold: as Oxigraph writes them, read back by Oxigraph."""
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""
    try:
        reread = list(ox.parse(text, format=ox.RdfFormat.N_QUADS))
    except SyntaxError:
        assume(False)  # not something a parsed input can hold
    return ox.serialize(reread, format=ox.RdfFormat.N_QUADS) or b""


def roundtrip(nquads: bytes, name: str) -> tuple[bool, str | None]:
    """Whether the export of ``nquads`` in format ``name`` was refused, and why it is not the
    same graph (None when it is, or when the refusal is as it must be)."""
    fmt = get_format(name)
    with tempfile.TemporaryDirectory() as folder:
        asserted = Path(folder) / "asserted.nq"
        asserted.write_bytes(nquads)
        out = io.BytesIO()
        try:
            write_export(asserted, None, out, name)
        except FormatError as err:
            return True, _refusal_failure(str(err), nquads, name)
    data = out.getvalue()
    for reader, read in (("oxigraph", _read_oxigraph), ("rdflib", _read_rdflib)):
        # Each reader's export is compared with what that reader makes of the cache's own text:
        # rdflib rewrites well-typed literals as it reads (01 to 1), whatever the syntax.
        expected = read(nquads, "nquads")
        if fmt.kind != "dataset":
            expected = [ox.Quad(q.subject, q.predicate, q.object) for q in expected]
        try:
            got = read(data, name)
        except Exception as err:  # any failure to read it back is a failure of the export
            return False, f"{reader} cannot read the {name} export: {type(err).__name__}: {err}"
        if _canonical(got) != _canonical(expected):
            return False, f"{reader} reads back another graph from {name}:\n{_shown(data, name)}"
    return False, None


def _shown(data: bytes, name: str) -> str:
    """An export without its prefix lines or JSON-LD context: the part a failure is about."""
    if name == "jsonld":
        document = json.loads(data)
        document.pop("@context", None)
        return json.dumps(document, indent=1, ensure_ascii=False)
    lines = data.decode(errors="replace").splitlines()
    return "\n".join(line for line in lines if not line.startswith(("@prefix", "PREFIX")))


def _refusal_failure(message: str, nquads: bytes, name: str) -> str | None:
    triples = {line.rsplit(b" ", 2)[0].decode() for line in nquads.splitlines()}
    if "\n" in message or not any(triple in message for triple in triples):
        return f"the {name} refusal does not name one triple in one line: {message!r}"
    return None


def _read_oxigraph(data: bytes, name: str) -> list[ox.Quad]:
    return list(ox.parse(data, format=get_format(name).rdf))


def _read_rdflib(data: bytes, name: str) -> list[ox.Quad]:
    fmt = get_format(name)
    rdflib_name = {"rdfxml": "xml", "jsonld": "json-ld"}.get(name, name)
    if fmt.kind == "dataset":
        dataset = rdflib.Dataset()
        dataset.parse(data=data, format=rdflib_name)
        default = rdflib.graph.DATASET_DEFAULT_GRAPH_ID
        return [
            ox.Quad(_ox(s), _ox(p), _ox(o), None if g == default else _ox(g))
            for s, p, o, g in dataset.quads()
        ]
    graph = rdflib.Graph().parse(data=data, format=rdflib_name)
    return [ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in graph]


def _ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, rdflib.Literal), term
    if term.language:
        return ox.Literal(str(term), language=term.language)
    datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
    return ox.Literal(str(term), datatype=datatype)


def _canonical(found: list[ox.Quad]) -> set[ox.Quad]:
    dataset = ox.Dataset(found)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


__all__ = ["EXPORT_FORMATS", "cache_text", "quads", "roundtrip"]
