"""Shared fixtures. The cache goes to a fresh folder so that no run depends on an earlier one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DEFENDERS_KG_CACHE_DIR"] = tempfile.mkdtemp(prefix="defenders-kg-test-cache-")

from defenders_kg import KnowledgeGraph

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


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`defenders-kg serve` on a free loopback port, with tight limits; yields its base URL."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(tmp_path_factory.mktemp("serve-cache"))}
    command = [sys.executable, "-m", "defenders_kg", "serve", "--port", str(port), "--timeout", "2",
               "--max-rows", "500", "--max-bytes", "8192", "--workers", "2"]  # fmt: skip
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/queries", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("defenders-kg serve did not start")
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=20)
