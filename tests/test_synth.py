"""The synthetic franchise: deterministic, shaped like the embedded graph, and valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from defenders_kg import KnowledgeGraph
from defenders_kg.cli import main
from defenders_kg.synth import synthesize


def test_same_scale_and_seed_give_the_same_graph() -> None:
    assert synthesize(3, seed=5) == synthesize(3, seed=5)
    assert synthesize(3, seed=5) != synthesize(3, seed=6)


def test_size_grows_with_the_scale() -> None:
    one, ten = len(synthesize(1)), len(synthesize(10))
    assert 300 < one < ten and ten > 3000


def test_cli_writes_a_valid_graph_that_every_query_runs_on(tmp_path: Path) -> None:
    target = tmp_path / "franchise.trig"
    assert main(["synth", "--scale", "3", "--seed", "2", "-o", str(target)]) == 0
    kg = KnowledgeGraph([target])
    report = kg.validate()
    assert report.conforms, report.text()
    assert len(kg.query("cast").rows) == 45
    assert len(kg.query("actors-reprising-roles").rows) == 8  # series 2 and 3 reprise roles
    assert kg.stats().sentences == 3 * 6 + 1


@pytest.mark.parametrize("name", ["franchise.ttl", "franchise"])
def test_only_quad_formats_are_written(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", "--scale", "1", "-o", str(tmp_path / name)]) == 2
    assert ".trig or .nq" in capsys.readouterr().err
