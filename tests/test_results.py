"""Result formats follow the W3C specifications: checked by parsing them back with Oxigraph."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from defenders_kg import FormatError, KnowledgeGraph, QueryResult

PARSEABLE = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}


@pytest.fixture(scope="module")
def timeline(kg: KnowledgeGraph) -> QueryResult:
    return kg.query("timeline")


@pytest.mark.parametrize("fmt", sorted(PARSEABLE))
def test_select_round_trips_through_oxigraph(fmt: str, timeline: QueryResult) -> None:
    parsed = ox.parse_query_results(timeline.serialize(fmt), format=PARSEABLE[fmt])
    assert [v.value for v in parsed.variables] == timeline.variables
    rows = [tuple(solution[name] for name in timeline.variables) for solution in parsed]
    assert rows == timeline.rows


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask_round_trips(fmt: str, kg: KnowledgeGraph) -> None:
    for query, expected in (
        ("ASK { ?s a <https://schema.org/TVSeries> }", True),
        ("ASK { <urn:x> ?p ?o }", False),
    ):
        result = kg.sparql(query)
        assert (
            bool(ox.parse_query_results(result.serialize(fmt), format=PARSEABLE[fmt])) is expected
        )


def test_json_is_w3c_shape(timeline: QueryResult) -> None:
    document = json.loads(timeline.serialize("json"))
    assert document["head"]["vars"] == timeline.variables
    first = document["results"]["bindings"][0]
    assert first["earliest"] == {
        "type": "literal",
        "value": "2013-01-01",
        "datatype": "http://www.w3.org/2001/XMLSchema#date",
    }
    assert first["dateText"] == {"type": "literal", "value": "late 2013", "xml:lang": "en"}
    assert first["event"]["type"] == "uri"


def test_csv_is_w3c_shape(kg: KnowledgeGraph) -> None:
    text = kg.query("cast").serialize("csv")
    assert text.startswith("workName,actorName,") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 16
    assert rows[1][1] == "Charlie Cox"


def test_tsv_escapes_and_marks_variables(kg: KnowledgeGraph) -> None:
    text = kg.query("actors-reprising-roles").serialize("tsv")
    header, first = text.splitlines()[:2]
    assert header.split("\t")[0] == "?actorName"
    assert first.split("\t")[0] == '"Charlie Cox"'


def test_csv_is_refused_for_ask(kg: KnowledgeGraph) -> None:
    with pytest.raises(FormatError, match="SELECT results only"):
        kg.sparql("ASK { ?s ?p ?o }").serialize("csv")


def test_table_is_aligned(kg: KnowledgeGraph) -> None:
    lines = kg.query("creators").serialize("table").splitlines()
    assert lines[0].split() == ["workName", "creatorName", "work", "creator"]
    assert lines[2].index("Douglas Petrie") == lines[0].index("creatorName")
    assert lines[-1] == "(2 rows)"


def test_construct_gives_turtle(kg: KnowledgeGraph) -> None:
    result = kg.sparql(
        "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c . FILTER(?c = <https://schema.org/TVSeries>) }"
    )
    assert result.kind == "graph" and len(result.triples) == 5
    parsed = ox.parse(result.serialize("turtle"), format=ox.RdfFormat.TURTLE)
    assert len(list(parsed)) == 5
