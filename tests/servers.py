"""Helpers for tests that start a real server on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(command: Sequence[str], ready_url: str, *, env: dict[str, str] | None = None,
            timeout: float = 60) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """Start ``command``, wait until ``ready_url`` answers, stop it afterwards."""
    server = subprocess.Popen(
        list(command),
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(ready_url, timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"{command[0]} did not start")
            time.sleep(0.1)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def oxigraph_binary() -> str:
    """The oxigraph server command (the dev group installs it beside Python); fails if missing."""
    import shutil
    import sys
    from pathlib import Path

    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if found is None:
        pytest.fail("the oxigraph server is not installed (pip install oxigraph, in the dev group)")
    return found


@contextmanager
def oxigraph(location: str, *, union: bool = True) -> Iterator[str]:
    """`oxigraph serve` on a free loopback port over ``location``; yields its base URL."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--location", location, "--bind", f"127.0.0.1:{port}"]
    if union:
        command.append("--union-default-graph")
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/query?query=ASK%7B%7D"):
        yield base


#: A throwaway Virtuoso: its database, log and config in one folder, loopback ports only.
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {folder}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 8
HTTPThreadSize = 2000000
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 600
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running throwaway Virtuoso: its URLs, its folder (allowed for ld_dir) and SQL port."""

    base: str
    folder: str
    sql_port: int
    user: str = "dba"
    password: str = "dba"

    @property
    def store(self) -> str:
        """The authenticated Graph Store endpoint, credentials in the URL (digest)."""
        return self.base.replace("://", f"://{self.user}:{self.password}@") + (
            "/sparql-graph-crud-auth"
        )

    def isql(self, *commands: str) -> str:
        """Run SQL through Virtuoso's isql client; fails the test on an error."""
        import shutil

        client = shutil.which("isql-vt") or shutil.which("isql")
        if client is None:
            pytest.fail("isql-vt is missing (apt-get install virtuoso-opensource)")
        done = subprocess.run(
            [client, f"127.0.0.1:{self.sql_port}", self.user, self.password,
             "exec=" + " ".join(commands)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode or "*** Error" in done.stdout + done.stderr:
            pytest.fail(f"isql failed: {(done.stdout + done.stderr)[-500:]}")
        return done.stdout


@contextmanager
def virtuoso(
    folder: str, *, max_rows: int = 1000, buffers: int = 20_000, stock: bool = False
) -> Iterator[Virtuoso]:
    """Debian's Virtuoso (virtuoso-opensource) on free loopback ports with a fresh database in
    ``folder``; fails, never skips, when it is not installed or does not start. ``buffers`` are
    8 KB pages of memory (Virtuoso's advice: about 85,000 per GB it may use). With ``stock``,
    it runs the virtuoso.ini Debian ships (tests/fixtures/virtuoso-debian.ini), limits and all."""
    import shutil
    from pathlib import Path

    binary = shutil.which("virtuoso-t")
    if binary is None:
        pytest.fail("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    sql_port, http_port = free_port(), free_port()
    config = Path(folder) / "virtuoso.ini"
    if stock:
        shipped = Path(__file__).parent / "fixtures" / "virtuoso-debian.ini"
        text = shipped.read_text(encoding="utf-8")
        for name, value in (("folder", folder), ("sql_port", sql_port), ("http_port", http_port)):
            text = text.replace("{" + name + "}", str(value))
    else:
        text = _VIRTUOSO_INI.format(
            folder=folder,
            sql_port=sql_port,
            http_port=http_port,
            max_rows=max_rows,
            buffers=buffers,
            dirty=buffers * 3 // 4,
        )
    config.write_text(text, encoding="utf-8")
    base = f"http://127.0.0.1:{http_port}"
    command = [binary, "-c", str(config), "-f"]
    with running(command, f"{base}/sparql?query=ASK%7B%7D", timeout=120):
        yield Virtuoso(base, folder, sql_port)
