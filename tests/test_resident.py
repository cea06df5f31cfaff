"""A resident layer (defenders_kg.resident) changes how fast an answer comes, never what it is.

Each test runs real CLI processes against a real resident process, on the embedded graph with
``DEFENDERS_KG_RESIDENT=always`` (the embedded layers are below the size that starts one on its
own), and kills whatever resident it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from stores import example_params

from defenders_kg import KnowledgeGraph, list_queries, resident

ROOT = Path(__file__).resolve().parent.parent
PATIENCE = 120.0  # seconds a resident may take to load, or to leave, on a busy machine


def cli(*argv: str, mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DEFENDERS_KG_RESIDENT": mode, **env}
    return subprocess.run(
        [sys.executable, "-m", "defenders_kg", *argv],
        capture_output=True, text=True, env=environment, cwd=ROOT, check=False,
    )  # fmt: skip


def loaded(layer: Path) -> dict[str, object]:
    """The resident's status once it has loaded its layer."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        state = resident.status(layer)
        if state is not None and state["quads"] is not None:
            return state
        time.sleep(0.2)
    raise AssertionError(f"no resident loaded {layer} within {PATIENCE:.0f} s")


def gone(pid: int) -> bool:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture()
def layer(cache_dir: Path) -> Iterator[Path]:
    """The embedded graph's inferred layer, its resident running (and killed after)."""
    path = KnowledgeGraph().store_path(inference=True).parent
    assert cli("sparql", "ASK { ?s ?p ?o }", mode="always").returncode == 0  # starts it
    loaded(path)
    yield path
    for each in (path, path.parent / "asserted"):  # the asserted layer's queries start one too
        state = resident.status(each)
        if state is not None:
            os.kill(int(str(state["pid"])), signal.SIGKILL)


def test_every_canned_query_answers_as_on_disk(layer: Path) -> None:
    queries = list_queries()
    assert len(queries) >= 18
    before = int(str(loaded(layer)["answered"]))
    asked = 0
    for query in queries:
        graph = query.form in ("CONSTRUCT", "DESCRIBE")
        argv = ["query", query.name] + ([] if graph else ["--format", "csv"])
        argv += [f"--param={key}={value}" for key, value in example_params(query).items()]
        on_disk = cli(*argv, mode="off")
        kept = cli(*argv, mode="always")
        assert on_disk.returncode == 0, on_disk.stderr
        assert (kept.returncode, kept.stdout, kept.stderr) == (0, on_disk.stdout, on_disk.stderr)
        asked += 1 if query.inference else 0
    # Only the inferred layer has a resident here; its queries (and their lookups) went to it.
    assert int(str(loaded(layer)["answered"])) - before >= asked > 0


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?s WHERE { ?s ?p }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "ASK { ?s a schema:TVSeries }",
        "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } ORDER BY ?s LIMIT 3",
    ],
)
def test_answers_and_refusals_match_the_on_disk_run(layer: Path, text: str) -> None:
    fmt = "nt" if text.startswith("CONSTRUCT") else "csv"
    on_disk = cli("sparql", text, "--format", fmt, mode="off")
    kept = cli("sparql", text, "--format", fmt, mode="always")
    assert (kept.returncode, kept.stdout, kept.stderr) == (
        on_disk.returncode, on_disk.stdout, on_disk.stderr
    )  # fmt: skip


def test_a_killed_resident_costs_only_speed(layer: Path) -> None:
    text = "SELECT ?s ?o WHERE { ?s a ?o } ORDER BY ?s ?o"
    expected = cli("sparql", text, "--format", "csv", mode="off").stdout
    os.kill(int(str(loaded(layer)["pid"])), signal.SIGKILL)
    after = cli("sparql", text, "--format", "csv", mode="always")
    assert (after.returncode, after.stdout) == (0, expected)
    loaded(layer)  # and the query started a new one


def test_a_second_resident_of_the_same_layer_leaves_at_once(layer: Path) -> None:
    first = loaded(layer)["pid"]
    second = subprocess.run(
        [sys.executable, "-m", "defenders_kg.resident_process", str(layer)],
        timeout=PATIENCE,
        check=False,
    )
    assert second.returncode == 0
    assert loaded(layer)["pid"] == first


def test_a_resident_leaves_when_its_layer_is_cleared(layer: Path) -> None:
    pid = int(str(loaded(layer)["pid"]))
    assert cli("cache", "--clear", mode="always").returncode == 0
    assert gone(pid)


def test_a_resident_leaves_when_idle(cache_dir: Path) -> None:
    path = KnowledgeGraph().store_path(inference=True).parent
    started = cli("sparql", "ASK { ?s ?p ?o }", mode="always", DEFENDERS_KG_RESIDENT_IDLE="1")
    assert started.returncode == 0
    state = resident.status(path)
    deadline = time.monotonic() + PATIENCE
    while state is None and time.monotonic() < deadline:
        time.sleep(0.1)
        state = resident.status(path)
    assert state is not None, "the query started no resident"
    assert gone(int(str(state["pid"])))


def test_off_and_small_layers_start_no_resident(cache_dir: Path) -> None:
    path = KnowledgeGraph().store_path(inference=True).parent
    for mode in ("off", "auto"):
        assert cli("sparql", "ASK { ?s ?p ?o }", mode=mode).returncode == 0
    assert not resident.worth_keeping(path)
    time.sleep(2)  # a resident binds its name within milliseconds of starting
    assert resident.status(path) is None
