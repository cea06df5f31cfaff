"""Exports: every format round-trips, parses in Oxigraph, is byte-identical and atomic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import DCTERMS, OWL, RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from defenders_kg import ExportError, KnowledgeGraph, formats
from defenders_kg.cli import EXIT_OUTPUT, main
from defenders_kg.export import EXPORT_FORMATS

#: rdflib's parser for each export format, as another tool reading the export would use it.
RDFLIB_PARSERS = {
    "turtle": "turtle",
    "nt": "nt",
    "rdfxml": "xml",
    "trig": "trig",
    "nquads": "nquads",
    "jsonld": "json-ld",
}


def _expected(kg: KnowledgeGraph, inferred: bool) -> Graph:
    """The triples an export must contain: asserted plus closure, blank nodes restored."""
    return Graph().parse(data=kg.export("nt", inferred=inferred), format="nt")


def _merged(fmt: str, data: bytes) -> Graph:
    """An export read as one graph: a dataset's graphs merged."""
    if fmt not in ("trig", "nquads"):
        return Graph().parse(data=data, format=RDFLIB_PARSERS[fmt])
    dataset = Dataset()
    dataset.parse(data=data, format=RDFLIB_PARSERS[fmt])
    merged = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        merged.add((s, p, o))
    return merged


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
@pytest.mark.parametrize("inferred", [True, False], ids=["inferred", "asserted"])
def test_round_trip(fmt: str, inferred: bool, kg: KnowledgeGraph) -> None:
    data = kg.export(fmt, inferred=inferred)
    if fmt in ("trig", "nquads"):
        dataset = Dataset()
        dataset.parse(data=data, format=RDFLIB_PARSERS[fmt])
        assert len(list(dataset.graphs())) >= 14, "named graphs are kept"
    parsed = _merged(fmt, data)
    expected = _expected(kg, inferred)
    assert len(expected) > (2200 if inferred else 1400)
    assert isomorphic(parsed, expected)
    assert not any(isinstance(s, Literal) for s, _, _ in parsed)


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_inferred_export_parses_in_oxigraph(fmt: str, kg: KnowledgeGraph) -> None:
    quads = list(ox.parse(kg.export(fmt, inferred=True), format=formats.get(fmt).rdf))
    assert len(quads) > 2200


def _export_in_fresh_process(fmt: str, seed: str, cache: Path) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "DEFENDERS_KG_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-m", "defenders_kg", "export", "--format", fmt],
        capture_output=True,
        env=env,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_two_exports_are_byte_identical(fmt: str, tmp_path: Path) -> None:
    first = _export_in_fresh_process(fmt, "1", tmp_path / "a")
    second = _export_in_fresh_process(fmt, "2", tmp_path / "b")
    assert len(first) > 10_000
    assert first == second


def test_a_failed_export_leaves_the_previous_file(
    kg: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "graph.ttl"
    target.write_text("previous", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ExportError, match="No space left on device"):
        kg.export_to(target, "turtle")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"], "no temporary file is left behind"


def test_cli_export_to_an_unwritable_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-folder" / "graph.ttl"
    assert main(["export", "-o", str(target)]) == EXIT_OUTPUT
    assert "cannot write" in capsys.readouterr().err
    assert not target.exists()


def test_cli_export_guesses_the_format_from_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "graph.nq"
    assert main(["export", "--asserted", "-o", str(target)]) == 0
    assert len(list(ox.parse(path=target, format=ox.RdfFormat.N_QUADS))) > 1400


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
@pytest.mark.parametrize("inferred", [True, False], ids=["inferred", "asserted"])
def test_each_export_is_one_ontology(fmt: str, inferred: bool, kg: KnowledgeGraph) -> None:
    # OWLAPI takes one owl:Ontology per file and would resolve each import of ours online.
    parsed = _merged(fmt, kg.export(fmt, inferred=inferred))
    core = URIRef("https://w3id.org/defenders-kg/ontology")
    assert list(parsed.subjects(RDF.type, OWL.Ontology)) == [core]
    project = "https://w3id.org/defenders-kg/"
    assert not [o for o in parsed.objects(None, OWL.imports) if str(o).startswith(project)]
    assert set(parsed.objects(core, DCTERMS.hasPart)) == {
        URIRef(core + "/alignments/schema-org"),
        URIRef(core + "/alignments/wikidata"),
    }
    assert str(parsed.value(core, OWL.versionIRI)).startswith(core + "/"), "the core header stays"
    schema_org = URIRef("https://schema.org/PerformanceRole")
    credit = URIRef("https://w3id.org/defenders-kg/ontology#CastCredit")
    assert (credit, RDFS.subClassOf, schema_org) in parsed, "the modules' axioms stay"
