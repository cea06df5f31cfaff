"""The resident process of a cache layer (see ``defenders_kg.resident``, the client side).

It binds the layer's socket name first, so a second resident of the same layer leaves at once;
it answers "loading" until its in-memory store is full, and each query through ``engine.run``.
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import errors
from .resident import address

_CREDENTIALS = struct.Struct("3i")


class Resident(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """One layer's store in memory, answering queries on the layer's socket, a thread each."""

    daemon_threads = True

    def __init__(self, layer: Path) -> None:
        self.layer = layer
        self.manifest = os.stat(layer / "manifest.json")
        self.store: Any = None
        self.answered = 0
        self.last_use = time.monotonic()
        super().__init__(address(layer), _Handler, bind_and_activate=False)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        _, uid, _ = _CREDENTIALS.unpack(
            request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
        )
        return bool(uid == os.getuid())

    def still_current(self) -> bool:
        try:
            now = os.stat(self.layer / "manifest.json")
        except OSError:
            return False
        return (now.st_ino, now.st_mtime_ns) == (self.manifest.st_ino, self.manifest.st_mtime_ns)

    def answer(self, message: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        from . import engine

        self.last_use = time.monotonic()
        if message.get("status"):
            quads = None if self.store is None else len(self.store)
            return {"pid": os.getpid(), "quads": quads, "answered": self.answered}, b""
        if self.store is None or not self.still_current():
            return {"loading": True}, b""
        try:
            result = engine.run(self.store, str(message["query"]))
        except errors.DefendersKGError as err:
            return {"error": type(err).__name__, "message": str(err)}, b""
        finally:
            self.last_use = time.monotonic()
        self.answered += 1
        reply = {"kind": result.kind, "boolean": result.boolean, "length": len(result.data)}
        return reply, result.data


class _Handler(socketserver.StreamRequestHandler):
    server: Resident

    def handle(self) -> None:
        try:
            reply, body = self.server.answer(json.loads(self.rfile.readline()))
        except (ValueError, KeyError, TypeError):
            return
        self.wfile.write(json.dumps(reply).encode() + b"\n" + body)


def _load(layer: Path) -> Any:
    """The layer's statements in an in-memory store, filled as the build filled the on-disk one."""
    import pyoxigraph as ox

    from .kg import closure_quads, fill

    store = ox.Store()
    fill(
        store, ox.parse(path=layer.parent / "asserted" / "asserted.nq", format=ox.RdfFormat.N_QUADS)
    )
    if (layer / "closure.nt").exists():
        fill(store, closure_quads(layer / "closure.nt"))
    return store


def serve(layer: Path) -> int:
    """Run the resident of ``layer`` until it is idle too long or its layer changes."""
    idle = float(os.environ.get("DEFENDERS_KG_RESIDENT_IDLE", "600"))
    try:
        resident = Resident(layer)
        resident.server_bind()  # fails when a resident of this layer already runs: that one serves
        resident.server_activate()
    except OSError:
        return 0
    threading.Thread(target=resident.serve_forever, daemon=True).start()
    resident.store = _load(layer)
    while resident.still_current() and time.monotonic() - resident.last_use < idle:
        time.sleep(min(1.0, idle / 4))
    resident.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
