"""Remote stores: push to and query a real Oxigraph server, and every fault a network can bring."""

from __future__ import annotations

import http.server
import shlex
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from servers import free_port, running

from defenders_kg import (
    Connection,
    KnowledgeGraph,
    RemoteError,
    RemoteKnowledgeGraph,
    list_queries,
    push,
)
from defenders_kg.cli import EXIT_REMOTE, main
from defenders_kg.queries import Query

FAST = Connection(timeout=5, retries=1, backoff=0.01)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server on a free loopback port; the test fails if Oxigraph is missing."""
    binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if binary is None:
        pytest.fail("the oxigraph server is not installed (pip install oxigraph, in the dev group)")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    command = [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/query?query=ASK%7B%7D"):
        yield base


@pytest.fixture(scope="module")
def pushed(oxigraph: str, kg: KnowledgeGraph) -> RemoteKnowledgeGraph:
    assert push(kg, f"{oxigraph}/store", connection=FAST) > 2000
    return RemoteKnowledgeGraph(f"{oxigraph}/query", FAST)


def params(query: Query) -> dict[str, str]:
    words = shlex.split(query.example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--param")


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_every_canned_query_gives_the_same_rows_remotely(
    query: Query, kg: KnowledgeGraph, pushed: RemoteKnowledgeGraph
) -> None:
    for values in (
        ({}, params(query)) if not any(p.required for p in query.params) else (params(query),)
    ):
        embedded = kg.query(query.name, values)
        remote = pushed.query(query.name, values)
        assert embedded.variables == remote.variables
        assert embedded.rows == remote.rows
        assert sorted(map(str, embedded.triples)) == sorted(map(str, remote.triples))
        assert embedded.rows or embedded.triples


def test_an_ad_hoc_query_and_the_cli(
    pushed: RemoteKnowledgeGraph, oxigraph: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pushed.sparql("ASK { ?s a <https://schema.org/TVSeries> }").boolean is True
    assert main(["query", "creators", "--endpoint", f"{oxigraph}/query", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("The Defenders,Douglas Petrie")


def test_push_into_one_named_graph(
    oxigraph: str, kg: KnowledgeGraph, pushed: RemoteKnowledgeGraph
) -> None:
    graph = "https://example.org/graph/defenders"
    count = push(kg, f"{oxigraph}/store", graph=graph, inferred=False, connection=FAST)
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert int(pushed.sparql(query).rows[0][0].value) == count  # type: ignore[union-attr]


def test_an_interrupted_upload_leaves_the_previous_data(
    oxigraph: str, pushed: RemoteKnowledgeGraph
) -> None:
    before = pushed.sparql(COUNT).rows
    body = b"".join(f'<urn:s{i}> <urn:p> "x" <urn:g> .\n'.encode() for i in range(50_000))
    host, port = oxigraph.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as upload:
        upload.sendall(
            b"PUT /store HTTP/1.1\r\nHost: x\r\nContent-Type: application/n-quads\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        upload.sendall(body[: len(body) // 2])  # then the connection drops
    time.sleep(0.5)
    assert pushed.sparql(COUNT).rows == before


def test_a_server_that_is_down(kg: KnowledgeGraph) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RemoteError, match=r"cannot reach .* \(after 2 tries\)"):
        RemoteKnowledgeGraph(f"{url}/query", FAST).query("cast")
    with pytest.raises(RemoteError, match="cannot reach"):
        push(kg, f"{url}/store", connection=FAST)


def test_a_wrong_url_is_not_retried(oxigraph: str) -> None:
    with pytest.raises(RemoteError, match="answered 404") as info:
        RemoteKnowledgeGraph(f"{oxigraph}/no-such-endpoint", FAST).query("cast")
    assert "tries" not in str(info.value)


class _Scripted(http.server.BaseHTTPRequestHandler):
    """A loopback server that answers from a script: (status, content type, body, delay)."""

    script: ClassVar[list[tuple[int, str, bytes, float]]] = []
    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(dict(self.headers))
        status, media, body, delay = (
            type(self).script.pop(0) if len(type(self).script) > 1 else type(self).script[0]
        )
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and left is what the slow-server test wants


@pytest.fixture()
def scripted() -> Iterator[str]:
    _Scripted.script, _Scripted.seen = [], []
    server = _QuietServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


ASK_TRUE = (200, "application/sparql-results+json", b'{"head":{},"boolean":true}', 0.0)


def test_an_answer_that_is_not_sparql_results(scripted: str) -> None:
    _Scripted.script = [(200, "text/html", b"<html>Welcome to nginx!</html>", 0.0)]
    with pytest.raises(RemoteError, match=r"not SPARQL results \(text/html\)"):
        RemoteKnowledgeGraph(f"{scripted}/query", FAST).sparql("ASK {}")


def test_a_slow_server_times_out(scripted: str) -> None:
    _Scripted.script = [(200, "application/sparql-results+json", b"{}", 3.0)]
    slow = Connection(timeout=0.5, retries=1, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(RemoteError, match="timed out"):
        RemoteKnowledgeGraph(f"{scripted}/query", slow).sparql("ASK {}")
    assert time.monotonic() - start < 2.5


def test_transient_failures_are_retried_with_backoff(scripted: str) -> None:
    busy = (503, "text/plain", b"busy", 0.0)
    _Scripted.script = [busy, busy, ASK_TRUE]
    patient = Connection(timeout=5, retries=3, backoff=0.01)
    assert RemoteKnowledgeGraph(f"{scripted}/query", patient).sparql("ASK {}").boolean is True
    assert len(_Scripted.seen) == 3


def test_credentials_are_sent_and_never_shown(
    scripted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Scripted.script = [ASK_TRUE]
    monkeypatch.setenv("DEFENDERS_KG_TOKEN", "s3cret-token")
    RemoteKnowledgeGraph(f"{scripted}/query", FAST).sparql("ASK {}")
    assert _Scripted.seen[-1]["Authorization"] == "Bearer s3cret-token"
    monkeypatch.delenv("DEFENDERS_KG_TOKEN")

    _Scripted.script = [(401, "text/plain", b"who are you", 0.0)]
    url = scripted.replace("http://", "http://alice:pa55word@") + "/query"
    with pytest.raises(RemoteError) as info:
        RemoteKnowledgeGraph(url, FAST).sparql("ASK {}")
    assert _Scripted.seen[-1]["Authorization"].startswith("Basic ")
    assert "pa55word" not in str(info.value) and "alice" not in str(info.value)


def test_cli_reports_a_remote_failure_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    assert main(["query", "cast", "--endpoint", url, "--timeout", "1"]) == EXIT_REMOTE
    err = capsys.readouterr().err
    assert err.startswith("defenders-kg: error: cannot reach") and err.count("\n") == 1
