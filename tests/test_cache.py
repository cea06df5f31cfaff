"""The on-disk cache: a warm run skips inference, inputs key it, processes can fill it at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from defenders_kg import KnowledgeGraph, inference

FIXTURE = Path(__file__).parent / "fixtures" / "broken" / "two-actors.ttl"


def test_a_second_run_does_not_infer_again(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kg = KnowledgeGraph()
    first = kg.query("creators").rows
    assert sorted(p.name for p in (cache_dir / kg.key).iterdir()) == ["asserted", "inferred"]

    def no_inference(*args: object, **kwargs: object) -> None:
        raise AssertionError("inference ran although the closure was cached")

    monkeypatch.setattr(inference, "infer_triples", no_inference)
    monkeypatch.setattr(inference, "tbox_closure", no_inference)
    assert KnowledgeGraph().query("creators").rows == first


def test_the_reasoner_is_part_of_the_key(cache_dir: Path) -> None:
    assert KnowledgeGraph(reasoner="owlrl").key != KnowledgeGraph(reasoner="fast").key


def test_the_key_changes_with_the_inputs(cache_dir: Path) -> None:
    embedded = KnowledgeGraph().key
    assert KnowledgeGraph().key == embedded
    assert KnowledgeGraph([FIXTURE]).key != embedded
    assert KnowledgeGraph([FIXTURE], with_embedded=True).key not in (
        embedded,
        KnowledgeGraph([FIXTURE]).key,
    )


def test_one_path_is_one_source_not_a_sequence_of_letters(cache_dir: Path) -> None:
    as_list = KnowledgeGraph([FIXTURE])
    for one in (FIXTURE, str(FIXTURE)):
        assert KnowledgeGraph(one).sources == as_list.sources
    assert KnowledgeGraph(str(FIXTURE)).key == as_list.key


def test_the_key_changes_when_a_file_changes(tmp_path: Path, cache_dir: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    before = KnowledgeGraph([data]).key
    data.write_text("<urn:a> <urn:b> <urn:d> .\n", encoding="utf-8")
    assert KnowledgeGraph([data]).key != before


def test_no_cache_writes_nothing(cache_dir: Path) -> None:
    KnowledgeGraph(use_cache=False).query("creators")
    assert not cache_dir.exists() or not any(cache_dir.iterdir())


def test_two_processes_fill_an_empty_cache_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(tmp_path / "shared")}
    command = [sys.executable, "-m", "defenders_kg", "query", "characters", "--format", "csv"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [err for _, err in outputs]
    # a header and eight characters: the four of the comics and the four the leads play (issue 12)
    assert len({out for out, _ in outputs}) == 1 and outputs[0][0].count(b"\n") == 9
    leftovers = [p.name for p in (tmp_path / "shared").rglob("*") if p.name.startswith(".")]
    assert not leftovers, "temporary files were left behind"
    again = subprocess.run(command, capture_output=True, env=env, check=True)
    assert again.stdout == outputs[0][0]


def test_an_unwritable_cache_only_costs_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("DEFENDERS_KG_CACHE_DIR", str(blocked))
    assert len(KnowledgeGraph().query("creators").rows) == 2
