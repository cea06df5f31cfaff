"""Warm queries at in-memory speed: a large cache layer kept loaded in a background process.

Oxigraph answers from its on-disk (RocksDB) store 5-12 times slower than from memory, and the
gap grows with the data (benchmarks/README.md, "Warm queries"). Loading a large layer into
memory takes longer than most queries, so a command cannot pay for it on every run. So the
first warm query on a large layer starts a *resident*: a process that loads the layer's
statements into an in-memory store once and answers later queries over a local socket, through
``engine.run`` like the command itself. The query that started it runs on the on-disk store.

A resident changes how fast an answer comes, never what it is: whenever it is missing, still
loading, or fails, the query runs on the on-disk store instead. Its socket is in Linux's
abstract namespace (no file to leave behind), named after the layer's folder and its manifest;
it serves only processes of its own user. It exits after ``DEFENDERS_KG_RESIDENT_IDLE`` seconds
without a query (600 by default) and as soon as its layer is removed or rebuilt.
``DEFENDERS_KG_RESIDENT=off`` turns residents off; ``always`` starts one for any layer.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import errors
from .results import QueryResult

#: A layer smaller than this answers from disk within a few milliseconds; no resident pays off.
MIN_QUADS = 200_000
#: Resident memory per stored quad, measured: 470 MB for the 722,066 quads of K = 1000.
BYTES_PER_QUAD = 700
_ERRORS: dict[str, type[errors.DefendersKGError]] = {
    cls.__name__: cls
    for cls in (
        errors.QuerySyntaxError,
        errors.QueryRefusedError,
        errors.UpdateRefusedError,
        errors.QueryEvaluationError,
        errors.ResultTooLargeError,
    )
}


def setting() -> str:
    """``auto`` (a resident for large layers that fit in memory), ``always`` or ``off``."""
    value = os.environ.get("DEFENDERS_KG_RESIDENT", "auto").strip().lower()
    return value if value in ("always", "off") else "auto"


def ask(layer: Path, text: str) -> QueryResult | None:
    """The answer of the layer's resident, or None (then run on disk); starts one if worth it.

    A refusal or an error of the query itself is raised as the on-disk run would raise it.
    """
    mode = setting()
    if mode == "off" or not sys.platform.startswith("linux"):
        return None
    if mode == "auto" and not worth_keeping(layer):
        return None  # nor a socket opened: a small layer's warm query stays as cheap as it was
    try:
        reply, body = _request(layer, {"query": text})
    except (OSError, ValueError):
        start(layer)
        return None
    if "error" in reply:
        raise _ERRORS.get(reply["error"], errors.QueryEvaluationError)(reply["message"])
    if reply.get("loading"):
        return None
    return QueryResult(reply["kind"], body, reply.get("boolean"))


def status(layer: Path) -> dict[str, Any] | None:
    """What the layer's resident reports (pid, quads, queries answered, loaded), or None."""
    try:
        return _request(layer, {"status": True})[0]
    except (OSError, ValueError):
        return None


def start(layer: Path) -> None:
    """Start a resident for ``layer`` in its own session, detached from this process."""
    import subprocess

    subprocess.Popen(
        [sys.executable, "-m", "defenders_kg.resident_process", str(layer)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def worth_keeping(layer: Path) -> bool:
    """Whether ``auto`` keeps a resident for the layer: large, and fits twice in free memory."""
    from .cache import counts
    from .machine import available_memory

    quads = counts(layer).get("stored", 0)
    return quads >= MIN_QUADS and quads * BYTES_PER_QUAD < available_memory() // 2


def address(layer: Path) -> bytes:
    """The abstract socket name of a layer's resident: a rebuilt layer gets a new one."""
    manifest = os.stat(layer / "manifest.json")
    identity = f"{os.getuid()}\0{layer.resolve()}\0{manifest.st_ino}\0{manifest.st_mtime_ns}"
    return b"\0defenders-kg-resident-" + hashlib.sha256(identity.encode()).hexdigest()[:40].encode()


def _request(layer: Path, message: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(2.0)
        connection.connect(address(layer))
        connection.settimeout(None)  # a query takes as long as it takes, as it would on disk
        connection.sendall(json.dumps(message).encode() + b"\n")
        with connection.makefile("rb") as stream:
            reply = json.loads(stream.readline())
            body = stream.read(reply.get("length", 0))
    if len(body) != reply.get("length", 0):
        raise ValueError("the resident stopped mid-answer")
    return reply, body
