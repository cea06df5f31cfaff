"""A streaming export (issue 20, item 2): the statements are sorted in runs on disk and merged,
and the bytes are those of an export sorted in one run. Memory is measured by
``benchmarks/export.py``, not here."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from defenders_kg import KnowledgeGraph, external_sort
from defenders_kg.describe_dataset import jsonld_context
from defenders_kg.errors import FormatError
from defenders_kg.export import EXPORT_FORMATS, PROFILES, write_export
from defenders_kg.external_sort import ExternalSort

#: Small enough that the embedded graph takes more runs than are merged at once.
SMALL_RUN = 4096


@pytest.fixture
def runs_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of runs each sort had written to disk when it was read."""
    seen: list[int] = []
    unique = ExternalSort.unique

    def counting(self: ExternalSort) -> Iterator[bytes]:
        seen.append(self.runs)
        return unique(self)

    monkeypatch.setattr(ExternalSort, "unique", counting)
    return seen


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_an_export_of_many_sorted_runs_has_the_bytes_of_one_run(
    fmt: str, profile: str, kg: KnowledgeGraph, runs_seen: list[int]
) -> None:
    asserted, closure = kg.statements(inference=True)
    one, many = io.BytesIO(), io.BytesIO()
    count = write_export(asserted, closure, one, fmt, profile=profile)
    assert set(runs_seen) == {0}, "the embedded graph fits in one run, in memory"
    runs_seen.clear()
    assert write_export(asserted, closure, many, fmt, profile=profile, run_bytes=SMALL_RUN) == count
    assert runs_seen[0] > external_sort.FAN_IN, "the statements were merged from disk, in rounds"
    assert len(one.getvalue()) > 10_000
    assert many.getvalue() == one.getvalue()


def test_the_external_sort_gives_each_line_once_in_byte_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(external_sort, "FAN_IN", 3)
    rng = random.Random(20)
    # A tab sorts before the newline that ends a line on disk; "" and prefixes of others too.
    alphabet = [b"a", b"b", b"\t", b" ", b"\xc3\xa9", b"<", b">"]
    lines = [b"".join(rng.choices(alphabet, k=rng.randint(0, 5))) for _ in range(3000)]
    with ExternalSort(tmp_path, run_bytes=50) as sort:
        sort.extend(lines)
        assert sort.runs > 9
        assert list(sort.unique()) == sorted(set(lines))
    assert list(tmp_path.iterdir()) == [], "the runs are removed"


def _nquads(tmp_path: Path, quads: list[ox.Quad]) -> Path:
    path = tmp_path / "asserted.nq"
    ox.serialize(quads, str(path), format=ox.RdfFormat.N_QUADS)
    return path


@pytest.mark.parametrize(
    ("fmt", "refused", "first"),
    [
        ("rdfxml", "http://ex.org/{}/9", '<http://ex.org/s> <http://ex.org/a/9> "v" .'),
        ("jsonld", "dkg:{}", '<http://ex.org/s> <dkg:a> "v" .'),
    ],
)
def test_a_refused_export_writes_nothing_and_names_the_first_triple(
    fmt: str, refused: str, first: str, tmp_path: Path
) -> None:
    g, s, v = ox.NamedNode("http://ex.org/g"), ox.NamedNode("http://ex.org/s"), ox.Literal("v")
    quads = [ox.Quad(s, ox.NamedNode(f"http://ex.org/p{i}"), v, g) for i in range(500)]
    quads += [ox.Quad(s, ox.NamedNode(refused.format(name)), v, g) for name in "zqa"]
    stream = io.BytesIO()
    with pytest.raises(FormatError) as refusal:
        write_export(_nquads(tmp_path, quads), None, stream, fmt, run_bytes=SMALL_RUN)
    assert first in str(refusal.value)
    assert stream.getvalue() == b""


def test_a_blank_node_that_is_only_an_object_gets_its_json_ld_node(tmp_path: Path) -> None:
    g, s = ox.NamedNode("http://ex.org/g"), ox.NamedNode("http://ex.org/s")
    p = ox.NamedNode("http://ex.org/p")
    quads = [ox.Quad(s, p, ox.BlankNode(f"b{i}"), g) for i in range(300)]
    quads += [ox.Quad(ox.BlankNode("b7"), p, ox.Literal("seven"), g)]
    asserted, one, many = _nquads(tmp_path, quads), io.BytesIO(), io.BytesIO()
    write_export(asserted, None, one, "jsonld")
    write_export(asserted, None, many, "jsonld", run_bytes=SMALL_RUN)
    assert many.getvalue() == one.getvalue()
    nodes = json.loads(many.getvalue())["@graph"]
    assert sorted(node["id"] for node in nodes) == sorted(
        ["http://ex.org/s"] + [f"_:b{i}" for i in range(300)]
    )
    assert len([node for node in nodes if list(node) == ["id"]]) == 299, "all but _:b7"


def test_the_json_ld_context_has_no_container() -> None:
    # The streaming JSON-LD export makes each node from its subject's triples alone; rdflib
    # reads the rest of the graph only to choose a term with a container.
    terms = jsonld_context()["@context"].values()
    assert not [term for term in terms if isinstance(term, dict) and "@container" in term]
