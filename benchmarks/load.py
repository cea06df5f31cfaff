"""Load test of `defenders-kg serve` beside `oxigraph serve-read-only`, on loopback, in one run.

Both servers answer the same canned query texts over the same data: the inferred graph exported as
N-Quads, loaded into Oxigraph's own store and served with ``--union-default-graph``. The same
client (N threads, one keep-alive connection each, POSTing form-encoded queries back to back for T
seconds) runs against each in turn, Oxigraph first, and the script prints throughput, latency
percentiles, errors and the ratios. Everything stays on 127.0.0.1.

    python benchmarks/load.py [--clients 16] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

QUERIES = ["actors-reprising-roles", "cast", "timeline", "characters", "reception", "release"]
ACCEPT = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Outcome:
    name: str
    seconds: float
    latencies: list[float]
    errors: list[str]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def client(
    port: int, path: str, bodies: list[bytes], stop: float, outcome: Outcome, index: int
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT}
    n = index
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            connection.request("POST", path, body=bodies[n % len(bodies)], headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                outcome.errors.append(f"HTTP {response.status}")
            else:
                outcome.latencies.append(time.perf_counter() - start)
        except (OSError, http.client.HTTPException) as err:
            outcome.errors.append(str(err))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n += 1
    connection.close()


def hammer(
    name: str, port: int, path: str, bodies: list[bytes], args: argparse.Namespace
) -> Outcome:
    outcome = Outcome(name, args.seconds, [], [])
    stop = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=client, args=(port, path, bodies, stop, outcome, i))
        for i in range(args.clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.monotonic() - started
    return outcome


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="defenders-kg query workers")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from defenders_kg import get_query

    texts = [get_query(name).text for name in QUERIES]
    bodies = [urllib.parse.urlencode({"query": text}).encode() for text in texts]
    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-load-"))
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    kg = [sys.executable, "-m", "defenders_kg"]
    data = folder / "inferred.nq"
    subprocess.run([*kg, "export", "--inferred", "-o", str(data)], env=env, check=True)
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    location = str(folder / "oxigraph")
    subprocess.run([oxigraph, "load", "--location", location, "--file", str(data)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    outcomes = []
    ox_port, kg_port = free_port(), free_port()
    servers = {
        "oxigraph serve-read-only": (
            [oxigraph, "serve-read-only", "--location", location, "--bind",
             f"127.0.0.1:{ox_port}", "--union-default-graph"],
            ox_port, "/query", f"http://127.0.0.1:{ox_port}/query?query=ASK%7B%7D",
        ),
        "defenders-kg serve": (
            [*kg, "serve", "--port", str(kg_port), "--workers", str(args.workers)],
            kg_port, "/sparql", f"http://127.0.0.1:{kg_port}/queries",
        ),
    }  # fmt: skip
    for name, (command, port, path, ready) in servers.items():
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_until_up(ready, server)
            hammer(name, port, path, bodies, argparse.Namespace(clients=2, seconds=2))  # warm-up
            outcomes.append(hammer(name, port, path, bodies, args))
        finally:
            server.terminate()
            server.wait(timeout=20)

    print(
        f"{args.clients} clients, {args.seconds:g} s each, the same {len(QUERIES)} canned queries"
    )
    print(f"{'server':28} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7}")
    for outcome in outcomes:
        print(
            f"{outcome.name:28} {len(outcome.latencies):>9} {len(outcome.errors):>7} "
            f"{outcome.throughput:>8.1f} {statistics.median(outcome.latencies) * 1000:>7.1f} "
            f"{outcome.percentile(0.95) * 1000:>7.1f}"
        )
    base, ours = outcomes
    throughput = ours.throughput / base.throughput
    p95 = ours.percentile(0.95) / base.percentile(0.95)
    print(f"throughput ratio defenders-kg / oxigraph  {throughput:.2f} (target >= 0.5)")
    print(f"p95 ratio defenders-kg / oxigraph         {p95:.2f} (target <= 2)")
    for outcome in outcomes:
        if outcome.errors:
            print(f"{outcome.name}: first error: {outcome.errors[0]}")


if __name__ == "__main__":
    main()
