"""Hostile input is bounded (issue 23): deep nesting, huge literals and ill-typed literals get one
line and exit 4 (or 6), deterministically, in about linear time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from defenders_kg import KnowledgeGraph
from defenders_kg.load import MAX_NESTING

ROOT = Path(__file__).resolve().parent.parent
DKG = "@prefix dkg: <https://w3id.org/defenders-kg/ontology#> .\n"
#: A bound on a run that today's code spends minutes or gigabytes on, not a timing assertion.
ENOUGH = 180


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "defenders_kg", "--no-cache", *args],
        capture_output=True,
        text=True,
        timeout=ENOUGH,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def _brackets(depth: int) -> str:
    return DKG + "<urn:a> dkg:p " + "[ dkg:p " * depth + "<urn:z>" + " ]" * depth + " .\n"


def _lists(depth: int) -> str:
    return "<urn:a> <urn:p> " + "( " * depth + "<urn:z>" + " )" * depth + " .\n"


@pytest.mark.parametrize("shape", [_brackets, _lists])
def test_blank_nodes_nested_100000_deep_are_one_line_and_exit_4(
    shape: object, tmp_path: Path
) -> None:
    data = tmp_path / "deep.ttl"
    data.write_text(shape(100_000), encoding="utf-8")  # type: ignore[operator]
    assert data.stat().st_size < 1_100_000
    for command in ("stats", "validate") if shape is _brackets else ("stats",):
        done = _cli("--data", str(data), command)
        assert done.returncode == 4, done.stderr[-500:]
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert f"at most {MAX_NESTING} are accepted" in done.stderr


def _jsonld(depth: int) -> str:
    return '{"@id": "urn:a", ' + '"urn:p": {' * depth + '"urn:q": "x"' + "}" * depth + "}"


def _rdfxml(depth: int) -> str:
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    return (
        f'<?xml version="1.0"?><rdf:RDF xmlns:rdf="{rdf}" xmlns:e="urn:e#">'
        '<rdf:Description rdf:about="urn:a">'
        + "<e:p><rdf:Description>" * depth
        + "<e:q>x</e:q>"
        + "</rdf:Description></e:p>" * depth
        + "</rdf:Description></rdf:RDF>"
    )


@pytest.mark.parametrize(("shape", "suffix"), [(_jsonld, ".jsonld"), (_rdfxml, ".rdf")])
def test_json_ld_and_rdf_xml_nested_100000_deep_are_one_line_and_exit_4(
    shape: object, suffix: str, tmp_path: Path
) -> None:
    data = tmp_path / f"deep{suffix}"
    data.write_text(shape(100_000), encoding="utf-8")  # type: ignore[operator]
    done = _cli("--data", str(data), "stats")
    assert done.returncode == 4, done.stderr[-500:]
    assert done.stderr.count("\n") == 1 and "nested" in done.stderr


def test_a_chain_of_labelled_blank_nodes_counts_as_nesting(tmp_path: Path) -> None:
    data = tmp_path / "chain.nt"
    data.write_text(
        "".join(f"_:b{i} <urn:p> _:b{i + 1} .\n" for i in range(MAX_NESTING + 5)), encoding="utf-8"
    )
    done = _cli("--data", str(data), "stats")
    assert done.returncode == 4 and "nested" in done.stderr


@pytest.mark.parametrize("shape", [_brackets, _lists])
@pytest.mark.parametrize("fmt", ["turtle", "nt", "rdfxml", "jsonld", "trig", "nquads"])
def test_nesting_at_the_limit_goes_through_every_stage(
    shape: object, fmt: str, tmp_path: Path
) -> None:
    data = tmp_path / "nested.ttl"
    data.write_text(shape(MAX_NESTING - 1), encoding="utf-8")  # type: ignore[operator]
    kg = KnowledgeGraph([data], use_cache=False)
    assert kg.stats().asserted_triples >= MAX_NESTING
    assert kg.export(fmt)


BIG = "x" * (17 * 1024 * 1024)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@pytest.mark.parametrize(
    ("suffix", "document"),
    [
        (".ttl", f'<urn:a> <urn:p> "{BIG}" .\n'),
        (".nt", f'<urn:a> <urn:p> "{BIG}" .\n'),
        (".jsonld", f'{{"@id": "urn:a", "urn:p": "{BIG}"}}'),
        (".rdf", f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:e="urn:e#"><rdf:Description '
                 f'rdf:about="urn:a"><e:p>{BIG}</e:p></rdf:Description></rdf:RDF>'),
    ],
)  # fmt: skip
def test_a_17_mb_literal_is_one_line_and_exit_4(suffix: str, document: str, tmp_path: Path) -> None:
    data = tmp_path / f"big{suffix}"
    data.write_text(document, encoding="utf-8")
    done = _cli("--data", str(data), "stats")
    assert done.returncode == 4, done.stderr[-500:]
    assert done.stderr.count("\n") == 1 and "16 MiB" in done.stderr


def test_ill_typed_literals_are_reported_in_file_order_under_any_hash_seed(
    tmp_path: Path,
) -> None:
    data = tmp_path / "bad.ttl"
    lines = ["@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."]
    lines += [f'<urn:s{i}> <urn:p> "bad{i}"^^xsd:integer .' for i in range(30)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for seed in ("0", "1", "2", "3", "4", "5"):
        done = _cli("--data", str(data), "stats", env={"PYTHONHASHSEED": seed})
        assert done.returncode == 6 and done.stderr.count("\n") == 1, done.stderr
        assert "<urn:s0> " in done.stderr and "'bad0'" in done.stderr, (seed, done.stderr)


def test_blank_node_labels_are_the_same_from_run_to_run(tmp_path: Path) -> None:
    data = tmp_path / "blank.ttl"
    data.write_text(_brackets(5) + _lists(3) + "_:x <urn:q> [ <urn:r> _:x ] .\n", encoding="utf-8")
    first = KnowledgeGraph([data], use_cache=False).export("nquads")
    assert b"_:b" in first
    assert KnowledgeGraph([data], use_cache=False).export("nquads") == first
