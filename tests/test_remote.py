"""Remote stores: push to and query a real Oxigraph server, and every fault a network can bring.

The other layouts of Oxigraph are in test_layouts.py, Virtuoso in test_virtuoso.py.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from servers import free_port, oxigraph
from stores import assert_same, check_every_query

from defenders_kg import (
    Connection,
    KnowledgeGraph,
    QueryParameterError,
    RemoteError,
    RemoteKnowledgeGraph,
    push,
)
from defenders_kg.cli import EXIT_REMOTE, main
from defenders_kg.queries import list_queries
from defenders_kg.stores.http import Session
from defenders_kg.stores.layout import MANIFEST_GRAPH, PUSH_NS, STAGING_NS, Layout
from defenders_kg.synth import write_synthetic

FAST = Connection(timeout=5, retries=1, backoff=0.01)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
STAGED = f'SELECT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{STAGING_NS}")) }}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server, union default graph, on a free loopback port."""
    with oxigraph(str(tmp_path_factory.mktemp("oxigraph"))) as base:
        yield base


@pytest.fixture(scope="module")
def pushed(server: str, kg: KnowledgeGraph) -> RemoteKnowledgeGraph:
    assert push(kg, f"{server}/store", connection=FAST) == len(kg.store(inference=True))
    return RemoteKnowledgeGraph(f"{server}/query", FAST)


def test_every_canned_query_and_check_gives_the_embedded_rows(
    kg: KnowledgeGraph, pushed: RemoteKnowledgeGraph
) -> None:
    assert check_every_query(kg, pushed) == {}
    layout = pushed.layout
    assert (layout.kind, layout.union_default, layout.closure) == ("dataset", True, True)


def test_a_remote_store_gets_the_project_prefixes_and_the_star_order(
    kg: KnowledgeGraph, pushed: RemoteKnowledgeGraph
) -> None:
    text = "SELECT ?p ?o WHERE { dkgr:charlie-cox ?p ?o } ORDER BY ?p ?o"
    assert_same(kg.sparql(text), pushed.sparql(text))
    own = "PREFIX dkgr: <http://example.org/> ASK { dkgr:charlie-cox ?p ?o }"
    assert pushed.sparql(own).boolean is False
    star = "SELECT * WHERE { dkgr:charlie-cox ?p ?o } LIMIT 1"
    assert pushed.sparql(star).variables == kg.sparql(star).variables == ["p", "o"]


def test_without_inference_the_closure_is_left_out(
    kg: KnowledgeGraph, pushed: RemoteKnowledgeGraph
) -> None:
    for query in list_queries():
        if query.inference or any(p.required for p in query.params):
            continue
        assert_same(
            kg.query(query.name, inference=False), pushed.query(query.name, inference=False)
        )
    with pytest.raises(QueryParameterError, match="needs the OWL-RL closure"):
        pushed.query("creators", inference=False)
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for inference in (True, False):
        assert_same(kg.sparql(text, inference=inference), pushed.sparql(text, inference=inference))
    assert_same(kg.sparql(COUNT), pushed.sparql(COUNT))


def test_queries_without_inference_ignore_the_closure_of_the_synthetic_graph(
    tmp_path: Path,
) -> None:
    """A store that holds the closure answers them over everything (``Layout.plan``), so the
    closure must not change their rows; the synthetic graph has types that the closure extends
    (evidence listed them once)."""
    data = tmp_path / "synthetic.nq"
    write_synthetic(data, 2, 1)
    synthetic = KnowledgeGraph([data])
    compared = 0
    for query in list_queries():
        if query.inference:
            continue
        params = {p.name: "Synthetic Series 1" for p in query.params if p.required}
        asserted = synthetic.query(query.name, params).rows
        assert asserted == synthetic.query(query.name, params, inference=True).rows, query.name
        compared += bool(asserted)
    assert compared >= 10


def test_an_ad_hoc_query_and_the_cli(
    pushed: RemoteKnowledgeGraph, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pushed.sparql("ASK { ?s a <https://schema.org/TVSeries> }").boolean is True
    assert main(["query", "creators", "--endpoint", f"{server}/query", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("The Defenders,Douglas Petrie")
    args = ["query", "actors-reprising-roles", "--param", "actorName=Charlie Cox"]
    assert main([*args, "--endpoint", f"{server}/query", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def statements_that_break(kg: KnowledgeGraph, folder: Path) -> tuple[Path, Path]:
    """The cached statements, with a closure whose 101st line is not N-Triples: a push of them
    fails after it has sent part of the data."""
    asserted, closure = kg.statements(inference=True)
    assert closure is not None
    broken = folder / "closure.nt"
    lines = closure.read_bytes().splitlines(keepends=True)
    broken.write_bytes(b"".join(lines[:100]) + b"<urn:s> <urn:p> this is not N-Triples .\n")
    return asserted, broken


def test_a_push_that_fails_halfway_keeps_the_old_data(
    kg: KnowledgeGraph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The new data is staged; the old stays whole and queryable until the switch."""
    # Before: the push deleted the dataset first, and a failure left part of the new data.
    asserted, broken = statements_that_break(kg, tmp_path)
    with oxigraph(str(tmp_path / "store")) as base:
        pushed = push(kg, f"{base}/store", connection=FAST)
        remote = RemoteKnowledgeGraph(f"{base}/query", FAST)
        before = remote.query("cast").rows
        monkeypatch.setattr(kg, "statements", lambda inference=True: (asserted, broken))
        with pytest.raises(RemoteError, match="answered 400") as info:
            push(kg, f"{base}/store", connection=FAST)
        assert "the store still holds all of its previous data" in str(info.value)
        # Oxigraph refuses the one document (data and closure) before it stages any of it.
        fresh = RemoteKnowledgeGraph(f"{base}/query", FAST)
        assert fresh.query("cast").rows == before
        assert main(["query", "cast", "--endpoint", f"{base}/query"]) == 0
        capsys.readouterr()
        monkeypatch.undo()
        assert push(kg, f"{base}/store", connection=FAST) == pushed
        left = remote.values(STAGED)
        assert left == []
        assert int(remote.values(COUNT)[0][0]) == pushed


def test_a_staged_upload_that_breaks_off_is_tried_again_into_a_fresh_stage(
    kg: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from defenders_kg.stores import http as stores_http

    real = stores_http.Connection.request
    broken: list[str] = []

    def once_broken(self: Connection, method: str, url: str, *args: object, **kw: object):  # type: ignore[no-untyped-def]
        if "no_transaction" in url and not broken:
            broken.append(url)
            part = next(iter(args[0]))  # type: ignore[call-overload]
            real(self, method, url, part, *args[1:], **kw)  # type: ignore[arg-type]
            # Part of the upload is in the store's stage; then the network went.
            raise stores_http.UnansweredError(f"cannot reach {url}: reset (after 1 try)")
        return real(self, method, url, *args, **kw)  # type: ignore[arg-type]

    with oxigraph(str(tmp_path / "store")) as base:
        monkeypatch.setattr(stores_http.Connection, "request", once_broken)
        assert push(kg, f"{base}/store", connection=FAST) == len(kg.store(inference=True))
        assert broken
        remote_kg = RemoteKnowledgeGraph(f"{base}/query", FAST)
        assert remote_kg.values(STAGED) == []


def test_a_push_in_place_that_fails_halfway_says_what_the_store_holds(
    kg: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``push --non-atomic``: the bulk loader keeps what it loaded; the store is asked."""
    asserted, broken = statements_that_break(kg, tmp_path)
    with oxigraph(str(tmp_path / "store")) as base:
        assert push(kg, f"{base}/store", connection=FAST, atomic=False) == len(
            kg.store(inference=True)
        )
        monkeypatch.setattr(kg, "statements", lambda inference=True: (asserted, broken))
        with pytest.raises(RemoteError, match="answered 400") as info:
            push(kg, f"{base}/store", connection=FAST, atomic=False)
        remote = RemoteKnowledgeGraph(f"{base}/query", FAST)
        held = remote.values(f"{COUNT[:-1]} FILTER(?g != <{MANIFEST_GRAPH}>) }}")[0][0]
        sent = asserted.read_bytes().count(b"\n") + 101  # the broken line too
        # Data and closure are one document, which Oxigraph refuses whole: nothing is loaded.
        assert f"now holds {int(held):,} of the {sent:,} statements sent" in str(info.value)
        assert int(held) == 0
        assert "it holds no push record; run push again" in str(info.value)


def test_an_unfinished_push_is_refused_as_unfinished(
    tmp_path: Path, kg: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the refusal said "no push record" while a record saying complete false was there.
    with oxigraph(str(tmp_path / "store")) as base:
        push(kg, f"{base}/store", connection=FAST)
        record = f'INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ _:r <{PUSH_NS}complete> "false" }} }}'
        FAST.request("POST", f"{base}/update", record.encode(),
                     {"Content-Type": "application/sparql-update"})  # fmt: skip
        assert main(["query", "cast", "--endpoint", f"{base}/query"]) == EXIT_REMOTE
        err = capsys.readouterr().err
        assert "the last push did not finish" in err and err.count("\n") == 1
        assert "says complete false" in err and "no push record" not in err


def test_a_server_that_is_down(kg: KnowledgeGraph) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RemoteError, match=r"cannot reach .* \(after 2 tries\)"):
        RemoteKnowledgeGraph(f"{url}/query", FAST).query("cast")
    with pytest.raises(RemoteError, match="cannot reach"):
        push(kg, f"{url}/store", connection=FAST)


def test_a_wrong_url_is_not_retried(server: str) -> None:
    with pytest.raises(RemoteError, match="answered 404") as info:
        RemoteKnowledgeGraph(f"{server}/no-such-endpoint", FAST).query("cast")
    assert "tries" not in str(info.value)


class _Scripted(http.server.BaseHTTPRequestHandler):
    """A loopback server answering from a script: (status, content type, body, delay, headers)."""

    script: ClassVar[list[tuple[int, str, bytes, float, dict[str, str]]]] = []
    seen: ClassVar[list[dict[str, str]]] = []
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        type(self).bodies.append(self._body())
        type(self).seen.append(dict(self.headers))
        status, media, body, delay, headers = (
            type(self).script.pop(0) if len(type(self).script) > 1 else type(self).script[0]
        )
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST  # noqa: N815

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))
        data = b""
        while size := int(self.rfile.readline().strip() or b"0", 16):
            data += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return data

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and left is what the slow-server test wants


@pytest.fixture()
def scripted() -> Iterator[str]:
    _Scripted.script, _Scripted.seen, _Scripted.bodies = [], [], []
    server = _QuietServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _remote(url: str, connection: Connection = FAST) -> RemoteKnowledgeGraph:
    """A client that takes the usual layout on trust, so that the script answers only the query."""
    return RemoteKnowledgeGraph(url, connection, layout=Layout.assumed(url))


JSON = "application/sparql-results+json"
ASK_TRUE = (200, JSON, b'{"head":{},"boolean":true}', 0.0, {})


def _select(variable: str, values: list[str]) -> bytes:
    rows = ",".join(f'{{"{variable}":{{"type":"literal","value":"{value}"}}}}' for value in values)
    return f'{{"head":{{"vars":["{variable}"]}},"results":{{"bindings":[{rows}]}}}}'.encode()


def test_an_answer_that_is_not_sparql_results(scripted: str) -> None:
    _Scripted.script = [(200, "text/html", b"<html>Welcome to nginx!</html>", 0.0, {})]
    with pytest.raises(RemoteError, match=r"not SPARQL results \(text/html\)"):
        _remote(f"{scripted}/query").sparql("ASK {}")
    with pytest.raises(RemoteError, match=r"not SPARQL results \(text/html\)"):
        RemoteKnowledgeGraph(f"{scripted}/probed", FAST).query("cast")  # the probe sees it


def test_a_slow_server_times_out(scripted: str) -> None:
    _Scripted.script = [(200, JSON, b"{}", 3.0, {})]
    slow = Connection(timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(RemoteError, match="timed out"):
        _remote(f"{scripted}/query", slow).sparql("ASK {}")


def test_a_server_that_never_answers_is_given_up_at_the_deadline(scripted: str) -> None:
    # Before: each of the 4 tries waited its whole time-out (20 minutes for push's defaults).
    _Scripted.script = [(200, JSON, b"{}", 30.0, {})]
    silent = Connection(timeout=1, retries=3, backoff=0.01, deadline=1.5)
    with pytest.raises(RemoteError, match=r"timed out; gave up at the 1.5 s deadline"):
        _remote(f"{scripted}/query", silent).sparql("ASK {}")
    assert len(_Scripted.seen) == 2  # the second try waited only what was left
    defaults = Connection()
    assert defaults.deadline < 60
    from defenders_kg.cli import _command_named, _parser

    argv = ["push", "--store", f"{scripted}/store"]
    assert _parser(_command_named(argv)).parse_args(argv).timeout < 60


def test_transient_failures_are_retried_with_backoff(scripted: str) -> None:
    busy = (503, "text/plain", b"busy", 0.0, {})
    _Scripted.script = [busy, busy, ASK_TRUE]
    patient = Connection(timeout=5, retries=3, backoff=0.01)
    assert _remote(f"{scripted}/query", patient).sparql("ASK {}").boolean is True
    assert len(_Scripted.seen) == 3


def test_a_result_cut_at_the_row_cap_is_an_error(scripted: str) -> None:
    capped = (200, JSON, _select("x", ["a", "b", "c"]), 0.0, {"X-SPARQL-MaxRows": "3"})
    _Scripted.script = [capped]
    with pytest.raises(RemoteError, match="cut the result at its row cap of 3"):
        _remote(f"{scripted}/query").sparql("SELECT ?x WHERE { ?x ?p ?o }")
    _Scripted.script = [(200, JSON, _select("x", ["a", "b"]), 0.0, {"X-SPARQL-MaxRows": "3"})]
    assert len(_remote(f"{scripted}/query").sparql("SELECT ?x WHERE { ?x ?p ?o }").rows) == 2


def test_a_push_that_stores_nothing_is_an_error(scripted: str, kg: KnowledgeGraph) -> None:
    """Virtuoso answers a dataset PUT with 200 and an HTML page, and stores nothing."""
    counts = b'{"head":{"vars":["g","n"]},"results":{"bindings":[]}}'
    _Scripted.script = [
        ASK_TRUE,
        (200, "text/html", b"<html>Upload the resource</html>", 0.0, {}),
        (200, JSON, counts, 0.0, {}),
    ]
    quads = len(kg.store(inference=True))
    with pytest.raises(RemoteError, match=rf"holds 0 of the {quads:,} statements sent"):
        push(kg, f"{scripted}/store", connection=FAST)
    assert _Scripted.bodies[1].count(b"\n") == quads  # streamed, chunked, and complete


def test_digest_authentication(scripted: str, monkeypatch: pytest.MonkeyPatch) -> None:
    challenge = 'Digest realm="SPARQL", nonce="abc123", qop="auth", algorithm="MD5"'
    refused = (401, "text/plain", b"", 0.0, {})
    asked = (401, "text/plain", b"", 0.0, {"WWW-Authenticate": challenge})
    _Scripted.script = [refused, asked, ASK_TRUE]
    monkeypatch.setenv("DEFENDERS_KG_USER", "dba")
    monkeypatch.setenv("DEFENDERS_KG_PASSWORD", "s3cret")
    assert _remote(f"{scripted}/sparql-auth").sparql("ASK {}").boolean is True
    sent = [headers.get("Authorization", "") for headers in _Scripted.seen]
    assert sent[0].startswith("Basic ") and sent[1] == "" and sent[2].startswith("Digest ")
    fields = dict(part.strip().split("=", 1) for part in sent[2][7:].split(","))
    assert fields["username"] == '"dba"' and "s3cret" not in sent[2]
    ha1 = hashlib.md5(b"dba:SPARQL:s3cret").hexdigest()
    ha2 = hashlib.md5(b"POST:/sparql-auth").hexdigest()
    nc, cnonce = fields["nc"], fields["cnonce"].strip('"')
    expected = hashlib.md5(f"{ha1}:abc123:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    assert fields["response"].strip('"') == expected


def test_two_clients_with_other_credentials_each_authenticate_with_their_own(
    scripted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the hosts that had challenged and the openers were the process's; a second client
    of the same host then sent no credentials, as if it had been challenged itself."""
    for name in ("DEFENDERS_KG_TOKEN", "DEFENDERS_KG_USER", "DEFENDERS_KG_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    challenge = 'Digest realm="SPARQL", nonce="abc123", qop="auth", algorithm="MD5"'
    refused = (401, "text/plain", b"", 0.0, {})
    asked = (401, "text/plain", b"", 0.0, {"WWW-Authenticate": challenge})
    _Scripted.script = [refused, asked, ASK_TRUE]
    alice_url = scripted.replace("http://", "http://alice:pass-a@") + "/sparql-auth"
    bob_url = scripted.replace("http://", "http://bob:pass-b@") + "/sparql-auth"
    alice, bob = _remote(alice_url), _remote(bob_url)
    assert alice.sparql("ASK {}").boolean is True  # basic refused, then digest
    assert bob.sparql("ASK {}").boolean is True
    assert alice.sparql("ASK {}").boolean is True
    sent = [headers.get("Authorization", "") for headers in _Scripted.seen]
    assert [value.split(" ")[0] for value in sent] == ["Basic", "", "Digest", "Basic", "Digest"]
    assert base64.b64decode(sent[3][6:]) == b"bob:pass-b"  # bob's own, sent up front
    for answer in (sent[2], sent[4]):  # alice's session answers its challenge up front after
        assert 'username="alice"' in answer
    assert "nc=00000002" in sent[4]
    # One session, two users: an opener each, kept for the next request.
    session = Session()
    _, first = session.credentials(alice_url)
    _, second = session.credentials(bob_url)
    assert first is not None and second is not None and first.opener is not second.opener
    assert session.credentials(alice_url)[1] is first


def test_the_stores_keep_no_state_in_the_process() -> None:
    """What a client learns lives in its Session: no module of stores/ binds a dict, set or list
    at module level (remote.py kept the layouts, the challenged hosts and the openers there)."""
    import ast
    import inspect

    modules = sorted(Path(inspect.getfile(Session)).parent.glob("*.py"))
    assert len(modules) > 5
    mutable = (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp, ast.ListComp)
    found = []
    for path in modules:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            made = isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and (
                value.func.id in ("dict", "set", "list", "defaultdict"))  # fmt: skip
            if isinstance(value, mutable) or made:
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_credentials_are_sent_and_never_shown(
    scripted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Scripted.script = [ASK_TRUE]
    monkeypatch.setenv("DEFENDERS_KG_TOKEN", "s3cret-token")
    _remote(f"{scripted}/query").sparql("ASK {}")
    assert _Scripted.seen[-1]["Authorization"] == "Bearer s3cret-token"
    monkeypatch.delenv("DEFENDERS_KG_TOKEN")

    _Scripted.script = [(401, "text/plain", b"who are you", 0.0, {})]
    url = scripted.replace("http://", "http://alice:pa55word@") + "/query"
    with pytest.raises(RemoteError) as info:
        _remote(url).sparql("ASK {}")
    assert any(h.get("Authorization", "").startswith("Basic ") for h in _Scripted.seen)
    assert "pa55word" not in str(info.value) and "alice" not in str(info.value)


def test_cli_reports_a_remote_failure_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    assert main(["query", "cast", "--endpoint", url, "--timeout", "1"]) == EXIT_REMOTE
    err = capsys.readouterr().err
    assert err.startswith("defenders-kg: error: cannot reach") and err.count("\n") == 1


def test_the_bulk_file_is_the_dataset_and_writes_through_a_symlink(
    kg: KnowledgeGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyoxigraph as ox

    from defenders_kg.vocab import INFERRED_GRAPH

    target = tmp_path / "data" / "bulk.nq"
    target.parent.mkdir()
    target.write_bytes(b"")
    link = tmp_path / "bulk.nq"
    link.symlink_to(target)
    assert main(["push", "--bulk", str(link)]) == 0
    assert "oxigraph load" in capsys.readouterr().err
    assert link.is_symlink() and target.stat().st_size > 0
    loaded = ox.Store()
    loaded.bulk_load(path=str(target), format=ox.RdfFormat.N_QUADS)
    local = kg.store(inference=True)
    assert len(loaded) == len(local)
    closure = ox.NamedNode(INFERRED_GRAPH)
    assert set(loaded.quads_for_pattern(None, None, None, closure)) == set(
        local.quads_for_pattern(None, None, None, closure)
    )


def test_an_error_body_of_text_is_read_as_text() -> None:
    """urllib's 401 for a failed digest handshake carries a text body on Python 3.11.2 (b'' on
    3.11.7): reading it as bytes raised AttributeError instead of the store's one-line error."""
    import io
    import urllib.error

    from defenders_kg.stores.http import error_body

    as_text = urllib.error.HTTPError("http://x", 401, "digest auth failed", {}, io.StringIO("no"))  # type: ignore[arg-type]
    assert error_body(as_text) == "no"
    as_bytes = urllib.error.HTTPError("http://x", 401, "x", {}, io.BytesIO(b"denied"))  # type: ignore[arg-type]
    assert error_body(as_bytes) == "denied"
