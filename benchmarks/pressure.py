"""Cheap queries beside heavy ones: `defenders-kg serve` and `oxigraph serve-read-only`, loopback.

Both servers get the same data (the inferred graph, as ``load.py`` prepares it) and the same
time limit (``--timeout``; Oxigraph's ``--timeout-s``). Against each in turn, ``--heavy`` client
threads (16) send a three-way cross product ``COUNT(*)`` back to back, each on its own keep-alive
connection, and one more client sends ``ASK { ?s ?p ?o }`` back to back for ``--seconds``. It
prints, for the cheap queries, how many were answered, their p50, p95 and largest latency, and the
errors (any answer but 200); for the heavy ones, their answers by status. Everything stays on
127.0.0.1, and every client stops at the end of the run (the server is stopped under any that
still waits).

    python benchmarks/pressure.py [--heavy 16] [--seconds 20] [--timeout 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import Outcome, free_port, oxigraph_copy, wait_until_up

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"


def stream(port: int, path: str, query: str, stop: float, timeout: float,
           outcome: Outcome, statuses: collections.Counter[str]) -> None:  # fmt: skip
    """Send ``query`` back to back until ``stop``; record latencies of 200s, and every status."""
    body = urllib.parse.urlencode({"query": query}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Accept": "application/sparql-results+json"}  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if time.monotonic() < stop:  # not an answer cut short by the server's stopping
                statuses[str(response.status)] += 1
            if response.status == 200:
                outcome.latencies.append(time.perf_counter() - start)
            else:
                outcome.errors.append(f"HTTP {response.status}")
            if response.getheader("connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException) as err:
            if time.monotonic() < stop:
                statuses[type(err).__name__] += 1
                outcome.errors.append(str(err))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.close()


@dataclass
class Run:
    cheap: Outcome
    cheap_statuses: collections.Counter[str]
    heavy_statuses: collections.Counter[str]
    heavy_clients: list[threading.Thread]


def pressure(port: int, path: str, heavy: int, seconds: float, timeout: float) -> Run:
    """Heavy clients first; a second later, the cheap client for ``seconds``."""
    run = Run(Outcome("cheap", seconds, [], []), collections.Counter(), collections.Counter(), [])
    stop = time.monotonic() + 1 + seconds
    client_timeout = timeout + 30
    heavy_outcome = Outcome("heavy", seconds, [], [])
    run.heavy_clients = [
        threading.Thread(target=stream, daemon=True, args=(
            port, path, HEAVY, stop, client_timeout, heavy_outcome, run.heavy_statuses))
        for _ in range(heavy)
    ]  # fmt: skip
    for thread in run.heavy_clients:
        thread.start()
    time.sleep(1)
    stream(port, path, CHEAP, stop, client_timeout, run.cheap, run.cheap_statuses)
    return run


def counts(statuses: collections.Counter[str]) -> str:
    return ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heavy", type=int, default=16, help="heavy clients (default 16)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--timeout", type=int, default=3, help="the servers' query time limit")
    parser.add_argument("--workers", type=int, default=2, help="defenders-kg serve --workers")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-pressure-"))
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    kg = [sys.executable, "-m", "defenders_kg"]
    oxigraph, location = oxigraph_copy(folder, env)
    ox_port, kg_port = free_port(), free_port()
    servers = {
        "oxigraph serve-read-only": (
            [oxigraph, "serve-read-only", "--location", location, "--bind",
             f"127.0.0.1:{ox_port}", "--union-default-graph", "--timeout-s", str(args.timeout)],
            ox_port, "/query",
        ),
        "defenders-kg serve": (
            [*kg, "serve", "--port", str(kg_port), "--timeout", str(args.timeout),
             "--workers", str(args.workers)],
            kg_port, "/sparql",
        ),
    }  # fmt: skip
    print(f"heavy clients {args.heavy} ({HEAVY}), one cheap client ({CHEAP}),")
    print(f"{args.seconds:g} s each, query time limit {args.timeout} s, 127.0.0.1\n")
    print("| server | cheap answered | p50 ms | p95 ms | max ms | cheap errors | heavy answers |")
    print("|---|---|---|---|---|---|---|")
    for name, (command, port, path) in servers.items():
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}{path}?query=ASK%7B%7D", server)
            run = pressure(port, path, args.heavy, args.seconds, args.timeout)
        finally:
            server.terminate()
            server.wait(timeout=20)
        for thread in run.heavy_clients:
            thread.join(timeout=5)
        cheap = run.cheap
        del run.cheap_statuses["200"]
        errors = f" ({counts(run.cheap_statuses)})" if run.cheap_statuses else ""
        heavy = counts(run.heavy_statuses) or "none in time"
        print(f"| {name} | {len(cheap.latencies)} | {cheap.percentile(0.5) * 1000:.1f} | "
              f"{cheap.percentile(0.95) * 1000:.1f} | {max(cheap.latencies, default=0) * 1000:.1f} "
              f"| {len(cheap.errors)}{errors} | {heavy} |")  # fmt: skip


if __name__ == "__main__":
    main()
