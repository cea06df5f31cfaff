"""Helpers for tests that start a real server on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

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
