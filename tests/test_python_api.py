"""The library as a Python programmer meets it (issue 24): rdflib graphs in, results out as
rdflib terms or typed Python values, iterable results, and progress that says what it counts."""

from __future__ import annotations

import datetime
import io
import sys
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef

from defenders_kg import KnowledgeGraph, paths

EX = "https://example.org/"
THING = URIRef(EX + "thing")


def _graph() -> Graph:
    graph = Graph()
    graph.add((THING, RDFS.label, Literal("a thing", lang="en")))
    graph.add((THING, URIRef(EX + "price"), Literal("1.50", datatype=XSD.decimal)))
    graph.add((THING, URIRef(EX + "seen"), Literal("2017-08-18", datatype=XSD.date)))
    graph.add((THING, URIRef(EX + "count"), Literal(8)))
    graph.add((THING, URIRef(EX + "part"), BNode("p1")))
    return graph


def test_an_rdflib_graph_is_a_source() -> None:
    kg = KnowledgeGraph(_graph())
    assert kg.sparql(f'ASK {{ <{THING}> ?p "a thing"@en }}').boolean
    assert kg.stats().asserted_triples == 5
    # The same content is the same input, so it finds the same cache entry.
    assert KnowledgeGraph([_graph()]).key == kg.key
    other = _graph()
    other.add((THING, RDFS.comment, Literal("changed")))
    assert KnowledgeGraph(other).key != kg.key


def test_an_rdflib_dataset_keeps_its_named_graphs(tmp_path: Path) -> None:
    dataset = Dataset()
    named = dataset.graph(URIRef(EX + "graph/one"))
    named.add((THING, RDFS.label, Literal("in a named graph")))
    data = tmp_path / "more.ttl"
    data.write_text(f'<{EX}other> <{RDFS.label}> "from a file" .\n', encoding="utf-8")
    kg = KnowledgeGraph([dataset, data], with_embedded=True)
    assert kg.sparql(f"ASK {{ GRAPH <{EX}graph/one> {{ <{THING}> ?p ?o }} }}").boolean
    assert kg.sparql(f'ASK {{ <{EX}other> ?p "from a file" }}').boolean
    assert kg.query("creators").records()[0]["creatorName"] == "Douglas Petrie"


def test_results_are_iterable(kg: KnowledgeGraph) -> None:
    select = kg.query("actors-reprising-roles")
    rows = list(select)
    assert len(rows) == len(select) == 4 and rows == select.rows
    assert isinstance(rows[0][0], ox.Literal)
    construct = kg.sparql("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 3")
    assert list(construct) == construct.triples and len(construct.triples) == 3
    assert list(kg.sparql("ASK {}")) == [True]


def test_terms_convert_to_rdflib(kg: KnowledgeGraph) -> None:
    row = kg.query("actors-reprising-roles").to_rdflib()[0]
    assert row[0] == Literal("Charlie Cox") and isinstance(row[0], Literal)
    assert URIRef("https://w3id.org/defenders-kg/resource/charlie-cox") in row
    # A CONSTRUCT's triples go into an rdflib graph (they failed rdflib's term check before).
    mine = Graph()
    series = "?s a <https://schema.org/TVSeries> ; ?p ?o"
    result = kg.sparql(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {series} }}")
    for triple in result.graph():
        mine.add(triple)
    assert len(mine) == len(result) > 10
    assert result.to_rdflib() is not None and len(result.to_rdflib()) == len(mine)
    assert kg.sparql("ASK {}").to_rdflib() is True


def test_records_keep_typed_values() -> None:
    kg = KnowledgeGraph(_graph())
    query = f"SELECT ?p ?o WHERE {{ <{THING}> ?p ?o }} ORDER BY ?p"
    values = {row["p"].removeprefix(EX): row["o"] for row in kg.sparql(query).records()}
    assert values["count"] == 8 and type(values["count"]) is int
    assert values["price"] == Decimal("1.5") and isinstance(values["price"], Decimal)
    assert values["seen"] == datetime.date(2017, 8, 18)
    assert values[str(RDFS.label).removeprefix(EX)] == "a thing"
    assert values["part"].startswith("_:")
    strings = {r["p"].removeprefix(EX): r["o"] for r in kg.sparql(query).records(strings=True)}
    assert strings["count"] == "8" and strings["seen"] == "2017-08-18"


def test_the_embedded_records_are_typed(kg: KnowledgeGraph) -> None:
    weaver = kg.query("new-cast").records()[0]
    assert weaver["sentenceNumber"] == 5
    first = kg.query("timeline").records()[0]
    assert first["earliest"] == datetime.date(2013, 1, 1)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_says_what_it_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    data = tmp_path / "one.ttl"
    data.write_text(f'<{THING}> <{RDFS.label}> "a thing" .\n', encoding="utf-8")
    KnowledgeGraph([data]).stats()
    lines = terminal.getvalue().splitlines()
    ontology = len(paths.ontology_files())
    assert lines[0].startswith(f"defenders-kg: loading 1 data file and the {ontology} ontology ")
    assert any(line.startswith("defenders-kg: inferring over ") for line in lines)
    done = next(line for line in lines if line.startswith("defenders-kg: inferred "))
    assert "new triples in" in done and "input triples/s" in done
