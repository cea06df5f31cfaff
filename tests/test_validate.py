"""SHACL shapes and quality checks: the embedded graph is valid; broken fixtures are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from defenders_kg import KnowledgeGraph
from defenders_kg.queries import Query, list_checks

BROKEN = sorted((Path(__file__).parent / "fixtures" / "broken").glob("*.ttl"))
CHECKS = list_checks()


def test_fixtures_and_checks_exist() -> None:
    assert len(BROKEN) >= 4
    assert len(CHECKS) >= 5
    assert all(check.name.endswith("-violation") for check in CHECKS)


def test_the_embedded_graph_is_valid(kg: KnowledgeGraph) -> None:
    report = kg.validate()
    assert report.shacl_conforms, report.shacl_report
    assert report.conforms, report.text()
    assert report.checks_run == len(CHECKS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_check_returns_no_rows(check: Query, kg: KnowledgeGraph) -> None:
    assert kg.sparql(check.text).rows == []


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_fixture_fails_with_a_readable_report(path: Path) -> None:
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    report = KnowledgeGraph([path], with_embedded=True).validate()
    assert not report.conforms
    assert expected in report.text()


def test_user_data_without_evidence_is_flagged() -> None:
    report = KnowledgeGraph([BROKEN[0]]).validate()
    assert "fact-without-evidence-violation" in report.failed_checks


def test_a_stated_fact_without_a_span_is_flagged(tmp_path: Path) -> None:
    """A triple added to a statement group, with no wording of the words that state it."""
    unworded = tmp_path / "unworded.trig"
    unworded.write_text(
        "@prefix dkg: <https://w3id.org/defenders-kg/ontology#> .\n"
        "@prefix dkgr: <https://w3id.org/defenders-kg/resource/> .\n"
        "dkgr:s10-stated { dkgr:the-defenders dkg:numberOfEpisodes 9 . }\n",
        encoding="utf-8",
    )
    report = KnowledgeGraph([unworded], with_embedded=True).validate()
    assert list(report.failed_checks) == ["fact-without-span-violation"]
    assert "numberOfEpisodes" in report.text()
