"""Nothing lost in an export (issue 23, item 5): every format writes exactly the triples it was
given, read back by rdflib and Oxigraph and compared by isomorphism, or refuses with one line
naming the triple it cannot carry. Fuzzed with hypothesis, a fixed seed and a bounded number of
examples; every example that once failed is kept below as an ``@example``. ``python
benchmarks/fuzz_export.py`` runs the same check for longer."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from export_fuzz import EXPORT_FORMATS, cache_text, quads, roundtrip
from hypothesis import HealthCheck, example, given, settings
from rdflib import BNode, Graph, URIRef

from defenders_kg.cli import EXIT_USAGE, main

G = ox.NamedNode("http://ex.org/g")
S, P = ox.NamedNode("http://ex.org/s"), ox.NamedNode("http://ex.org/p")
B, C = ox.BlankNode("b1f2e3d4c14n0"), ox.BlankNode("b1f2e3d4c14n1")
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@pytest.mark.parametrize("name", EXPORT_FORMATS)
@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(dataset=quads())
@example(dataset=[ox.Quad(B, ox.NamedNode("http://ex/q"), B, G)])  # JSON-LD dropped it
@example(dataset=[ox.Quad(B, P, C, G), ox.Quad(C, P, B, G)])  # a cycle, no root
@example(dataset=[ox.Quad(S, P, ox.Literal("a\x07b"), G)])  # not well-formed RDF/XML
@example(dataset=[ox.Quad(S, P, ox.Literal("a\rb\r\nc"), G)])  # XML readers ate the CR
@example(dataset=[ox.Quad(S, ox.NamedNode("http://ex.org/1"), S, G)])  # no XML name for it
@example(dataset=[ox.Quad(S, ox.NamedNode(RDF + "li"), S, G)])  # RDF/XML reads rdf:_1
@example(dataset=[ox.Quad(S, P, ox.Literal("01", datatype=ox.NamedNode(
    "http://www.w3.org/2001/XMLSchema#integer")), G)])  # fmt: skip
@example(dataset=[ox.Quad(S, P, ox.Literal(""), G), ox.Quad(S, P, S, G)])  # "" overwritten
@example(dataset=[ox.Quad(ox.NamedNode("https://schema.org/q."), P, S, G)])  # schema:q\.
@example(dataset=[ox.Quad(S, P, ox.Literal("x", datatype=ox.NamedNode("dkg:actor")), G)])
def test_every_export_reads_back_as_the_same_graph(name: str, dataset: list[ox.Quad]) -> None:
    _, failure = roundtrip(cache_text(dataset), name)
    assert failure is None, failure


def test_the_cli_refuses_rdfxml_it_cannot_write_and_keeps_the_old_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bell.nt"
    data.write_text('<http://ex.org/s> <http://ex.org/p> "a\\u0007b" .\n', encoding="utf-8")
    out = tmp_path / "out.rdf"
    out.write_bytes(b"old")
    code = main(["--data", str(data), "export", "--asserted", "--format", "rdfxml", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and err.count("\n") == 1
    assert '<http://ex.org/s> <http://ex.org/p> "a\\u0007b" .' in err and "XML 1.0" in err
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "bell.nt",
        "out.rdf",
    ]


def test_the_cli_writes_a_blank_node_self_loop_in_json_ld(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "loop.nt"
    data.write_text("_:b <http://ex.org/q> _:b .\n", encoding="utf-8")
    code = main(["--data", str(data), "export", "--asserted", "--format", "jsonld"])
    out = capsys.readouterr().out
    assert code == 0
    graph = Graph().parse(data=out, format="json-ld")
    loops = [(s, o) for s, o in graph.subject_objects(URIRef("http://ex.org/q"))]
    assert len(loops) == 1 and loops[0][0] == loops[0][1] and isinstance(loops[0][0], BNode)
