"""The edges a new user meets first (issue 24): every error one line with its documented code,
outputs checked before anything is written, ``-`` for standard input and output, odd input files,
and tables fit for a terminal.
"""

from __future__ import annotations

import errno
import io
import os
import selectors
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from defenders_kg.cli import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_LISTEN,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    main,
)

CLI = [sys.executable, "-m", "defenders_kg"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    """The one line an error prints; fails on a traceback or on more lines."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("defenders-kg: error: "), err
    return lines[0]


def usage_error(err: str) -> str:
    """argparse's usage error: the usage, then one error line naming the option."""
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


# --- 5. one line, the right code ------------------------------------------------------------


class _FullStdout(io.TextIOWrapper):
    """A standard output on a full disk: every write fails with ENOSPC."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8")

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    @property
    def buffer(self) -> _FullBuffer:  # type: ignore[override]
        return _FullBuffer()


class _FullBuffer(io.BytesIO):
    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    "args", [["export"], ["query", "cast"], ["stats"], ["sparql", "ASK {}"]], ids=" ".join
)
def test_a_full_stdout_is_one_line_and_exit_5(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", _FullStdout())
    code = main(args)
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT
    assert "No space left on device" in one_error_line(err)


@pytest.mark.parametrize(
    "args", [["export"], ["query", "cast"], ["stats"], ["sparql", "ASK {}"]], ids=" ".join
)
@pytest.mark.parametrize("how", ["closed", "reader-gone"])
def test_a_closed_stdout_is_one_line_and_exit_5(args: list[str], how: str) -> None:
    if how == "closed":  # as `>&-` leaves it
        done = subprocess.run(
            [*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: os.close(1),
        )  # fmt: skip
    else:  # a pipe whose reader closed before the first byte
        reader, writer = os.pipe()
        os.close(reader)
        try:
            done = subprocess.run([*CLI, *args], stdout=writer, stderr=subprocess.PIPE, text=True)
        finally:
            os.close(writer)
    assert done.returncode == EXIT_OUTPUT, done.stderr
    assert "cannot write standard output" in one_error_line(done.stderr)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["query", "cast", "--endpoint", "not a url"], "--endpoint"),
        (["sparql", "ASK {}", "--endpoint", "ftp://example.org/sparql"], "--endpoint"),
        (["push", "--store", "http://127.0.0.1:99999/store"], "--store"),
        (["void", "--endpoint-url", "example.org/sparql"], "--endpoint-url"),
        (["query", "cast", "--endpoint", "http://127.0.0.1:1/q", "--timeout", "-1"], "--timeout"),
        (["query", "cast", "--endpoint", "http://127.0.0.1:1/q", "--timeout", "nan"], "--timeout"),
        (["push", "--store", "http://127.0.0.1:1/store", "--timeout", "0"], "--timeout"),
        (["serve", "--port", "99999"], "--port"),
        (["serve", "--port", "-1"], "--port"),
        (["serve", "--timeout", "inf"], "--timeout"),
        (["serve", "--workers", "0"], "--workers"),
        (["serve", "--max-rows", "-5"], "--max-rows"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_a_bad_url_or_number_is_a_usage_error(args: list[str], option: str) -> None:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert f"argument {option}: expected" in usage_error(done.stderr)


def _start_serve(port: int, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def test_serve_on_a_busy_port_has_its_own_exit_code(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = _start_serve(port, tmp_path)
        _, err = server.communicate(timeout=120)
    assert server.returncode == EXIT_LISTEN == 8
    line = one_error_line(err)
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in line


def test_serve_names_its_urls_and_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    server = _start_serve(0, tmp_path)
    try:
        assert server.stderr is not None
        with selectors.DefaultSelector() as waiting:  # a server that says nothing must not hang
            waiting.register(server.stderr, selectors.EVENT_READ)
            assert waiting.select(timeout=120), "serve printed nothing"
        first = server.stderr.readline()
        assert first.startswith("defenders-kg: SPARQL endpoint at http://127.0.0.1:"), first
        endpoint = first.split(" at ")[1].split(",")[0]
        page = first.split("query page at ")[1].split()[0]
        assert endpoint.endswith("/sparql") and page == endpoint.removesuffix("sparql")
        with urllib.request.urlopen(page, timeout=30) as answer:
            assert b"<html" in answer.read().lower()
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, rest = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert server.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest
    assert rest.strip() == "defenders-kg: interrupted"


# --- 4. the edges ---------------------------------------------------------------------------

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
BOM = b"\xef\xbb\xbf"
TURTLE = f'<https://example.org/s> <{LABEL}> "a thing"@en .\n'.encode()


def test_one_file_for_o_and_void_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "same.ttl"
    target.write_bytes(b"# the earlier export\n")
    code, _, err = run(["export", "-o", str(target), "--void", str(target)], capsys)
    assert code == EXIT_USAGE
    assert "two outputs would write one file" in one_error_line(err)
    assert target.read_bytes() == b"# the earlier export\n"
    # The same file by another name, and standard output twice, are refused too.
    other = tmp_path / "sub" / ".." / "same.ttl"
    assert run(["export", "-o", str(target), "--void", str(other)], capsys)[0] == EXIT_USAGE
    assert run(["export", "--void", "-"], capsys)[0] == EXIT_USAGE


def test_every_output_is_checked_before_the_first_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "graph.ttl"
    code, _, err = run(["export", "-o", str(export), "--void", str(tmp_path / "no" / "v.ttl")],
                       capsys)  # fmt: skip
    assert code == EXIT_OUTPUT
    assert "no such directory" in one_error_line(err)
    assert not export.exists(), "the export was written before the VoID file was found unwritable"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "-o", "{tmp}/x.xml"], "'.xml' is not the suffix of an RDF format"),
        (["export", "-o", "{tmp}/x.nt", "--format", "turtle"], "the suffix .nt means N-Triples"),
        (["export", "-o", "{tmp}/x.ttl", "--void", "{tmp}/v.jsonld"], "--void writes Turtle"),
        (["push", "--bulk", "{tmp}/x.ttl"], "push --bulk writes N-Quads"),
        (["void", "-o", "{tmp}/v.nt"], "void writes Turtle"),
        (["diagram", "cast", "-o", "{tmp}/c.png", "--format", "svg"], "contradicts --format svg"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_a_suffix_that_contradicts_the_format_is_refused(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, _, err = run(argv, capsys)
    assert code == EXIT_USAGE
    assert message in one_error_line(err)
    assert list(tmp_path.iterdir()) == [], "nothing is written"


def test_the_format_follows_the_suffix(tmp_path: Path) -> None:
    assert main(["export", "--asserted", "-o", str(tmp_path / "g.rdf")]) == EXIT_OK
    assert (tmp_path / "g.rdf").read_bytes().startswith(b"<?xml")
    assert main(["export", "--asserted", "-o", str(tmp_path / "g.xml"), "--format", "rdfxml"]) == 0
    assert (tmp_path / "g.xml").read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["export", "--asserted", "--format", "nt", "-o", "-"], b"<"),
        (["void", "-o", "-"], b"@prefix"),
        (["diagram", "cast", "-o", "-", "--format", "dot"], b"digraph cast"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_dash_is_standard_output_wherever_the_readme_says(
    args: list[str], start: bytes, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(args) == EXIT_OK
    assert capsysbinary.readouterr().out.startswith(start)
    assert list(tmp_path.iterdir()) == [] and not Path("-").exists()


def test_dash_reads_standard_input_for_file_and_data(tmp_path: Path) -> None:
    query = f"SELECT ?name WHERE {{ ?s <{LABEL}> ?name }}"
    (tmp_path / "q.rq").write_text(query)
    done = subprocess.run(
        [*CLI, "--data", "-", "--data-format", "turtle", "sparql", "--file", "q.rq"],
        input=TURTLE, capture_output=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
    assert b"a thing" in done.stdout
    data = tmp_path / "d.ttl"
    data.write_bytes(TURTLE)
    done = subprocess.run([*CLI, "--data", str(data), "sparql", "--file", "-"],
                          input=query.encode(), capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
    assert b"a thing" in done.stdout


def test_standard_input_needs_its_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--data", "-", "stats"], capsys)
    assert code == EXIT_USAGE
    assert "--data - needs --data-format" in one_error_line(err)


def test_a_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bom.ttl"
    data.write_bytes(BOM + TURTLE)
    query = tmp_path / "bom.rq"
    query.write_bytes(BOM + f'ASK {{ ?s <{LABEL}> "a thing"@en }}'.encode())
    code, out, err = run(["--data", str(data), "--no-cache", "sparql", "--file", str(query)],
                         capsys)  # fmt: skip
    assert (code, out) == (EXIT_OK, "yes\n"), err


def test_json_that_is_not_jsonld_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text('{"name": "Charlie Cox", "roles": [{"character": "Matt Murdock"}]}')
    code, _, err = run(["--data", str(plain), "--no-cache", "stats"], capsys)
    assert code == EXIT_INPUT
    assert "is JSON but not JSON-LD" in one_error_line(err)
    linked = tmp_path / "linked.json"
    linked.write_text(f'{{"@id": "https://example.org/s", "{LABEL}": "a thing"}}')
    assert run(["--data", str(linked), "--no-cache", "stats"], capsys)[0] == EXIT_OK


@pytest.mark.parametrize("command", [["query", "cast"], ["sparql", "ASK {}"]], ids=" ".join)
def test_data_beside_endpoint_is_refused(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.ttl"
    data.write_bytes(TURTLE)
    args = ["--data", str(data), *command, "--endpoint", "http://127.0.0.1:9/sparql"]
    code, _, err = run(args, capsys)
    assert code == EXIT_USAGE
    assert "--data is not read with --endpoint" in one_error_line(err)


def _table(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run(args, capsys)
    assert code == EXIT_OK, err
    return out.splitlines()


def test_a_table_escapes_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "ansi.ttl"
    data.write_text(f'<https://example.org/s> <{LABEL}> "red\\u001b[31m alert\\u0007 bell" .\n')
    query = f"SELECT ?name WHERE {{ <https://example.org/s> <{LABEL}> ?name }}"
    lines = _table(["--data", str(data), "--no-cache", "sparql", query], capsys)
    assert "\x1b" not in "".join(lines) and "\x07" not in "".join(lines)
    assert lines[2] == "red\\x1b[31m alert\\x07 bell"


def test_a_table_fits_columns_and_width(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wide = _table(["query", "actors-reprising-roles"], capsys)
    assert max(map(len, wide)) > 150, "not a terminal and no $COLUMNS: no limit"
    monkeypatch.setenv("COLUMNS", "100")
    fitted = _table(["query", "actors-reprising-roles"], capsys)
    assert max(map(len, fitted)) <= 100 and len(fitted) == len(wide)
    assert "…" in fitted[2] and fitted[2].startswith("Charlie")
    narrow = _table(["query", "actors-reprising-roles", "--width", "90"], capsys)
    assert max(map(len, narrow)) <= 90
    assert _table(["query", "actors-reprising-roles", "--width", "0"], capsys) == wide
