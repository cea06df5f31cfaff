"""The endpoint under pressure: heavy queries beside cheap ones, a full queue, dead workers,
slow clients, too many connections, a query's memory, and what every answer carries."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from servers import free_port, running
from test_server import CROSS_PRODUCT, call, form

ASK = "ASK { ?s ?p ?o }"
ORDERED_CROSS_PRODUCT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"


@pytest.fixture(scope="module")
def serve_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the servers of this module: the store is built once."""
    return tmp_path_factory.mktemp("pressure-cache")


@contextmanager
def serve(cache: Path, *options: str, data: Path | None = None) -> Iterator[tuple[str, int]]:
    """`defenders-kg serve` on a free loopback port with ``options`` (over ``data`` if given);
    its URL and process id."""
    port = free_port()
    over = ["--data", str(data)] if data else []
    command = [sys.executable, "-m", "defenders_kg", *over, "serve", "--port", str(port), *options]
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/queries", env={"DEFENDERS_KG_CACHE_DIR": str(cache)}) as server:
        yield base, server.pid


def in_background(url: str, data: bytes) -> tuple[threading.Thread, list[int]]:
    statuses: list[int] = []
    thread = threading.Thread(target=lambda: statuses.append(call(url, data)[0]), daemon=True)
    thread.start()
    return thread, statuses


def test_a_cheap_query_is_answered_while_heavy_ones_run(serve_cache: Path) -> None:
    # Before: the ASK waited for one of the busy workers, the wait counted against its own
    # time limit, and it got 503.
    with serve(serve_cache, "--workers", "1", "--timeout", "2") as (base, _):
        heavy = [in_background(f"{base}/sparql", form(CROSS_PRODUCT)) for _ in range(4)]
        time.sleep(0.8)
        status, _, body = call(f"{base}/sparql", form(ASK))
        assert status == 200 and b"true" in body
        assert any(thread.is_alive() for thread, _ in heavy)
        for thread, statuses in heavy:
            thread.join()
            assert statuses == [503]  # each one stopped by its own time limit, not starved


def test_a_full_queue_is_refused_at_once_with_retry_after(serve_cache: Path) -> None:
    options = ("--workers", "1", "--max-queue", "1", "--timeout", "3")
    with serve(serve_cache, *options) as (base, _):
        heavy = [in_background(f"{base}/sparql", form(CROSS_PRODUCT)) for _ in range(2)]
        time.sleep(0.8)
        status, headers, body = call(f"{base}/sparql", form(ASK))
        assert all(thread.is_alive() for thread, _ in heavy), "the refusal came at once"
        assert status == 503 and b"waiting" in body
        assert int(headers["retry-after"]) >= 1
        for thread, _ in heavy:
            thread.join()
        assert call(f"{base}/sparql", form(ASK))[0] == 200


def workers_of(server: int) -> list[int]:
    """The server's query workers: its descendants that have no children of their own, other
    than multiprocessing's resource tracker."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    descendants, frontier = set(), {server}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        descendants |= frontier
    found = []
    for pid in descendants:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command and pid not in parents.values():
            found.append(pid)
    return found


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_worker_fails_only_its_own_query(serve_cache: Path) -> None:
    # Before: the next request after kill -9 of an idle worker was handed to the dead one (500).
    with serve(serve_cache, "--workers", "2", "--timeout", "30") as (base, pid):
        assert call(f"{base}/sparql", form(ASK))[0] == 200
        time.sleep(0.5)
        idle = workers_of(pid)
        assert idle
        kill(idle)
        assert call(f"{base}/sparql", form(ASK))[0] == 200
        thread, statuses = in_background(f"{base}/sparql", form(CROSS_PRODUCT))
        time.sleep(1.0)
        kill(workers_of(pid))
        thread.join()
        assert statuses == [500]
        assert call(f"{base}/sparql", form(ASK))[0] == 200


def closed_by_server(connection: socket.socket, trickle: bytes, within: float) -> bool:
    """Send ``trickle`` a byte at a time, a few a second; whether the server hangs up first."""
    deadline = time.monotonic() + within
    for byte in trickle * 1000:
        if time.monotonic() > deadline:
            return False
        readable, _, _ = select.select([connection], [], [], 0.25)
        if readable:  # the server hung up (b"") or answered 408 before hanging up
            with contextlib.suppress(ConnectionError):
                connection.recv(4096)
            return True
        try:
            connection.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionError):
            return True
    return False


def test_slow_headers_and_bodies_are_cut_off(serve_cache: Path) -> None:
    # Before: a client sending its headers a byte at a time held its connection for ever.
    with serve(serve_cache, "--read-timeout", "1") as (base, _):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET /queries HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert closed_by_server(slow, b"X-Slow: y\r\n", within=20)
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/sparql-query\r\n\r\n"
            )
            assert closed_by_server(slow, b" ", within=20)
        assert call(f"{base}/sparql", form(ASK))[0] == 200


def test_open_connections_are_bounded(serve_cache: Path) -> None:
    with serve(serve_cache, "--max-connections", "4") as (base, _):
        port = int(base.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        try:
            one_more = socket.create_connection(("127.0.0.1", port))
            one_more.settimeout(10)
            assert one_more.recv(1) == b"", "the connection past the bound was closed"
            one_more.close()
        finally:
            for connection in held:
                connection.close()
        time.sleep(0.3)
        assert call(f"{base}/sparql", form(ASK))[0] == 200


def test_a_query_that_needs_too_much_memory_is_stopped(serve_cache: Path) -> None:
    # Before: only the time limit stopped it, after growing by about 120 MB a second.
    with serve(serve_cache, "--timeout", "120", "--max-memory", "300") as (base, _):
        status, _, body = call(f"{base}/sparql", form(ORDERED_CROSS_PRODUCT))
        assert status == 503 and b"more memory" in body and b"300 MiB" in body
        assert call(f"{base}/sparql", form(ASK))[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/queries",
        "/sparql?" + urllib.parse.urlencode({"query": ASK}),
        "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE {"}),
        "/resource/charlie-cox",
        "/resource/charlie-cox.ttl",
        "/ontology",
        "/resource/nobody-at-all",
    ],
)
def test_every_answer_says_nosniff_and_pages_have_a_policy(endpoint: str, path: str) -> None:
    status, headers, _ = call(endpoint + path, headers={"Accept": "text/html"})
    assert headers["x-content-type-options"] == "nosniff", status
    if headers["content-type"].startswith("text/html"):
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy


def test_an_error_does_not_echo_the_query(endpoint: str) -> None:
    query = "SELECT ?x WHERE { ?x ?y ?z . SECRET-MARKER"
    status, _, body = call(f"{endpoint}/sparql", form(query))
    assert status == 400 and b"line 1, column" in body
    assert b"SECRET-MARKER" not in body
    status, _, body = call(f"{endpoint}/sparql", form(ASK), {"Accept": "text/x-secret-marker"})
    assert status == 406 and b"secret-marker" not in body


def test_private_data_is_not_shared_across_origins_unless_asked(
    serve_cache: Path, tmp_path: Path
) -> None:
    data = tmp_path / "private.ttl"
    data.write_text('<urn:x> <urn:y> "private" .\n', encoding="utf-8")
    origin = {"Origin": "https://example.org"}
    with serve(serve_cache, data=data) as (base, _):
        status, headers, _ = call(f"{base}/sparql?query=ASK%7B%7D", headers=origin)
        assert status == 200 and "access-control-allow-origin" not in headers
    with serve(serve_cache, "--cors", "https://example.org", data=data) as (base, _):
        _, headers, _ = call(f"{base}/sparql?query=ASK%7B%7D", headers=origin)
        assert headers["access-control-allow-origin"] == "https://example.org"
        _, headers, _ = call(f"{base}/sparql?query=ASK%7B%7D", headers={"Origin": "https://a.b"})
        assert "access-control-allow-origin" not in headers
