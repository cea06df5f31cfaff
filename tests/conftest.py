"""Shared fixtures. The cache goes to a fresh folder so that no run depends on an earlier one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DEFENDERS_KG_CACHE_DIR"] = tempfile.mkdtemp(prefix="defenders-kg-test-cache-")

from defenders_kg import KnowledgeGraph

# The comparison helpers of the remote-store tests report their failures in detail.
pytest.register_assert_rewrite("stores")

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current results (review the diff by eye)",
    )


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph()


@pytest.fixture(scope="session")
def closure(kg: KnowledgeGraph):  # type: ignore[no-untyped-def]
    """Asserted union plus inferred triples, as one rdflib Graph."""
    from defenders_kg.load import union

    graph = union(kg.asserted())
    for triple in kg.inferred():
        graph.add(triple)
    return graph


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DEFENDERS_KG_CACHE_DIR", str(folder))
    yield folder


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`defenders-kg serve` on a free loopback port, with tight limits; yields its base URL."""
    import sys

    from servers import free_port, running

    port = free_port()
    command = [sys.executable, "-m", "defenders_kg", "serve", "--port", str(port), "--timeout", "2",
               "--max-rows", "500", "--max-bytes", "8192", "--workers", "2"]  # fmt: skip
    env = {"DEFENDERS_KG_CACHE_DIR": str(tmp_path_factory.mktemp("serve-cache"))}
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/queries", env=env):
        yield base
