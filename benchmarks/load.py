"""Load test of `defenders-kg serve` on loopback: N concurrent clients for T seconds.

Starts the endpoint on a free 127.0.0.1 port (or uses --url), then every client sends canned
queries back to back until the time is up. Prints throughput, latency percentiles and the error
count. Bounded in clients and time; sends traffic to loopback only.

    python benchmarks/load.py [--clients 16] [--seconds 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

QUERIES = ["actors-reprising-roles", "cast", "timeline", "characters", "reception", "release"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client(base: str, stop: float, latencies: list[float], errors: list[str], index: int) -> None:
    n = index
    while time.monotonic() < stop:
        url = f"{base}/queries/{QUERIES[n % len(QUERIES)]}"
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            latencies.append(time.perf_counter() - start)
        except (urllib.error.URLError, OSError) as err:
            errors.append(str(err))
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="server query workers")
    parser.add_argument("--url", help="an already running endpoint (default: start one)")
    args = parser.parse_args()

    server = None
    base = args.url
    if base is None:
        port = free_port()
        env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": tempfile.mkdtemp()}
        command = [sys.executable, "-m", "defenders_kg", "serve", "--port", str(port),
                   "--workers", str(args.workers)]  # fmt: skip
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/queries", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
    try:
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(base, stop, latencies, errors, i))
                   for i in range(args.clients)]  # fmt: skip
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)

    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    print(f"clients {args.clients}, {elapsed:.1f} s, server workers {args.workers}")
    print(f"requests {len(latencies)}, errors {len(errors)}")
    print(f"throughput {len(latencies) / elapsed:.1f} requests/s")
    if ordered:
        print(f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {ordered[-1] * 1000:.0f} ms")  # fmt: skip
    if errors:
        print("first error:", errors[0])


if __name__ == "__main__":
    main()
