"""Ontology docs, diagrams, the VoID description, the JSON-LD context, DataFrames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from tools import require_dot

from defenders_kg import FormatError, KnowledgeGraph, paths
from defenders_kg.cli import main
from defenders_kg.describe_dataset import jsonld_context, jsonld_context_text
from defenders_kg.diagrams import cast_dot

VOID = Namespace("http://rdfs.org/ns/void#")
DATASET = "https://w3id.org/defenders-kg/dataset"


def ontology_terms() -> list[str]:
    context = jsonld_context()["@context"]
    return sorted(
        value if isinstance(value, str) else value["@id"]
        for value in context.values()
        if str(value if isinstance(value, str) else value.get("@id", "")).startswith("dkg:")
    )


def test_docs_cover_every_ontology_term(tmp_path: Path) -> None:
    assert main(["docs", "-o", str(tmp_path / "site")]) == 0
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    terms = ontology_terms()
    assert len(terms) > 140
    missing = [t for t in terms if f"ontology#{t.removeprefix('dkg:')}" not in html]
    assert not missing, f"terms missing from the documentation: {missing}"
    assert "schema.org/TVSeries" in html, "alignments are documented"


@pytest.mark.parametrize("kind", ["cast", "ontology", "timeline"])
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_each_diagram_is_drawn(kind: str, suffix: str, tmp_path: Path) -> None:
    require_dot()
    target = tmp_path / f"{kind}{suffix}"
    assert main(["diagram", kind, "-o", str(target)]) == 0
    data = target.read_bytes()
    assert len(data) > 5000
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data


def test_every_cast_member_is_in_the_cast_picture(kg: KnowledgeGraph) -> None:
    source = cast_dot(kg)
    actors = {row["actorName"] for row in kg.query("cast").records()}
    assert len(actors) == 15
    for actor in actors:
        assert f'label="{actor}"' in source
    for series in ("Daredevil", "Jessica Jones", "Luke Cage", "Iron Fist"):
        assert f'label="{series}", shape=box' in source


def test_a_diagram_needs_a_known_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "cast", "-o", str(tmp_path / "cast.gif")]) == 2
    assert ".svg, .png or .dot" in capsys.readouterr().err


def test_void_counts_equal_stats(kg: KnowledgeGraph, tmp_path: Path) -> None:
    target = tmp_path / "void.ttl"
    assert main(["void", "-o", str(target)]) == 0
    void = Graph().parse(target, format="turtle")
    stats = kg.stats()
    dataset = void.resource(DATASET)
    assert dataset.value(VOID.classes).toPython() == stats.classes
    assert dataset.value(VOID.properties).toPython() == stats.properties
    assert dataset.value(VOID.entities).toPython() == stats.entities
    total = stats.ontology_triples + stats.asserted_triples + stats.inferred_triples
    assert dataset.value(VOID.triples).toPython() == total
    for part, count in (("ontology", stats.ontology_triples), ("asserted", stats.asserted_triples),
                        ("inferred", stats.inferred_triples)):  # fmt: skip
        assert void.resource(f"{DATASET}/{part}").value(VOID.triples).toPython() == count
    vocabularies = set(void.objects(URIRef(DATASET), VOID.vocabulary))
    assert URIRef("https://schema.org/") in vocabularies
    assert URIRef("https://w3id.org/defenders-kg/ontology#") in vocabularies


def test_the_published_context_is_current() -> None:
    published = paths.data_root() / "ontology" / "context.jsonld"
    assert published.read_text(encoding="utf-8") == jsonld_context_text()


def test_compacted_jsonld_has_readable_keys_and_round_trips(kg: KnowledgeGraph) -> None:
    data = kg.export("jsonld", inferred=False)
    document = json.loads(data)
    credit = next(n for n in document["@graph"] if n.get("id") == "dkgr:credit-charlie-cox")
    assert credit["actor"] == "dkgr:charlie-cox" and credit["type"] == "CastCredit"
    expected = Graph().parse(data=kg.export("nt", inferred=False), format="nt")
    assert isomorphic(Graph().parse(data=data, format="json-ld"), expected)


def test_jsonld_expands_to_the_same_graph_with_pyld(kg: KnowledgeGraph) -> None:
    from pyld import jsonld

    document = json.loads(kg.export("jsonld", inferred=False))
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    expected = Graph().parse(data=kg.export("nt", inferred=False), format="nt")
    assert isomorphic(Graph().parse(data=nquads, format="nt"), expected)


def test_dataframe_has_typed_columns(kg: KnowledgeGraph) -> None:
    frame = kg.query("timeline").to_dataframe()
    assert list(frame.columns) == kg.query("timeline").variables
    assert str(frame["earliest"].dtype).startswith("datetime64")
    assert frame["earliest"].is_monotonic_increasing
    assert str(frame["eventName"].dtype) == "string"
    viewership = kg.query("viewership").to_dataframe()
    assert viewership["rankPosition"].dtype.kind == "i"
    assert sorted(viewership["rankPosition"].tolist()) == [1, 1, 3]


def test_only_select_results_become_dataframes(kg: KnowledgeGraph) -> None:
    with pytest.raises(FormatError, match="SELECT"):
        kg.sparql("ASK { ?s ?p ?o }").to_dataframe()


def test_labels_stay_text(kg: KnowledgeGraph) -> None:
    frame = kg.query("cast").to_dataframe()
    assert "Ramón Rodríguez" in set(frame["actorName"])
    assert frame["characterName"].isna().sum() == 11
