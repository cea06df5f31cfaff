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


# A cache that cannot lie (issue 24): a damaged entry is rebuilt with one warning, never used.


def _export(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, list[str]]:
    from defenders_kg.cli import main

    assert main(["export", "--format", "nt", *args]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err.splitlines()


def _layer(cache_dir: Path, name: str) -> Path:
    return cache_dir / KnowledgeGraph().key / name


def _one_warning(lines: list[str], *words: str) -> None:
    assert len(lines) == 1, lines
    assert lines[0].startswith("defenders-kg: warning: the cache entry "), lines
    assert all(word in lines[0] for word in words), lines


def test_a_halved_closure_is_rebuilt_not_exported(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole, warnings = _export(capsys)
    assert warnings == []
    closure = _layer(cache_dir, "inferred") / "closure.nt"
    data = closure.read_bytes()
    closure.write_bytes(data[: len(data) // 2])
    again, warnings = _export(capsys)
    _one_warning(warnings, "closure.nt", "rebuilding")
    assert again == whole
    assert _export(capsys)[1] == []  # rebuilt once, then whole


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_asserted_statements_cut_mid_line_are_rebuilt(
    keep: float, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole, _ = _export(capsys, "--asserted")
    asserted = _layer(cache_dir, "asserted") / "asserted.nq"
    data = asserted.read_bytes()
    cut = int(len(data) * keep)
    assert data[cut - 1 : cut] != b"\n"
    asserted.write_bytes(data[:cut])
    again, warnings = _export(capsys, "--asserted")
    _one_warning(warnings, "asserted.nq")
    assert again == whole


def _garble(store: Path) -> None:
    for table in sorted(store.glob("*.sst")):
        data = bytearray(table.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 64] = b"garbage!" * 8
        table.write_bytes(bytes(data))


def test_garbage_in_the_store_files_is_rebuilt(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from defenders_kg.cli import main

    assert main(["query", "creators", "--format", "csv"]) == 0
    expected = capsys.readouterr().out
    _garble(_layer(cache_dir, "inferred") / "store")
    assert main(["query", "creators", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected
    _one_warning(captured.err.splitlines(), "store/")


def test_a_store_rocksdb_finds_corrupt_is_rebuilt_even_if_its_samples_match(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the sampled check cannot see, RocksDB's own checksums find on open."""
    from defenders_kg import cache
    from defenders_kg.cli import main

    assert main(["stats", "--format", "json"]) == 0
    expected = capsys.readouterr().out
    layer = _layer(cache_dir, "inferred")
    _garble(layer / "store")
    recorded = cache.counts(layer)
    cache._write_manifest(layer, recorded, "")  # the manifest now vouches for the garbage
    assert cache.check(layer) is None
    assert main(["stats", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected
    _one_warning(captured.err.splitlines(), "Corruption")


def test_the_cache_command_lists_and_clears_the_entries(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from defenders_kg.cli import main

    KnowledgeGraph().stats()
    KnowledgeGraph([FIXTURE]).stats()
    assert main(["cache"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith(f"{cache_dir}: 3 entries, ")
    assert KnowledgeGraph().key in listing and KnowledgeGraph([FIXTURE]).key in listing
    assert "the embedded graph (fast)" in listing and str(FIXTURE) in listing
    assert " MB " in listing and "inferred (" in listing
    assert main(["cache", "--clear"]) == 0
    assert "removed 3 entries" in capsys.readouterr().err
    assert main(["cache"]) == 0
    assert capsys.readouterr().out.startswith(f"{cache_dir}: 0 entries, 0 bytes")


def test_only_the_most_recently_used_input_sets_are_kept(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from defenders_kg import cache

    monkeypatch.setattr(cache, "KEEP_ENTRIES", 3)
    keys = []
    for number in range(4):
        data = tmp_path / f"data{number}.nt"
        data.write_text(f"<urn:a> <urn:b> <urn:c{number}> .\n", encoding="utf-8")
        kg = KnowledgeGraph([data])
        kg.store(inference=False)
        keys.append(kg.key)
        os.utime(cache_dir / kg.key, (1000 + number, 1000 + number))  # used in this order
    kept = {entry.key for entry in cache.entries()}
    assert len(kept) == 3 and keys[0] not in kept and keys[3] in kept
