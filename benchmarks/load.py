"""Load test of `defenders-kg serve` beside `oxigraph serve-read-only`, on loopback, in one run.

Both servers get the same data: the inferred graph exported as N-Quads, loaded into Oxigraph's own
store and served with ``--union-default-graph``. The same client (N threads, one keep-alive
connection each, requests back to back for T seconds) runs three loads against each in turn,
Oxigraph first:

- ``queries``: the canned query texts, POSTed form-encoded;
- ``turtle``: the description of each labelled resource as Turtle. defenders-kg serves
  ``GET /resource/NAME.ttl``; Oxigraph answers the CONSTRUCT of the same symmetric concise bounded
  description (every triple with the resource as subject or object);
- ``pages``: the HTML entity page ``GET /resource/NAME.html``, beside the same Oxigraph CONSTRUCT,
  which is what a page costs at least.

It prints throughput, latency percentiles, errors and the ratios. Everything stays on 127.0.0.1.

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
RESULTS = "application/sparql-results+json"
LABELLED = """SELECT DISTINCT ?s WHERE {
  ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label
  FILTER(STRSTARTS(STR(?s), "https://w3id.org/defenders-kg/resource/"))
} ORDER BY ?s"""
DESCRIPTION = (
    "CONSTRUCT { <IRI> ?p ?o . ?s ?q <IRI> } WHERE { { <IRI> ?p ?o } UNION { ?s ?q <IRI> } }"
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None
    accept: str


def form(path: str, query: str, accept: str) -> Request:
    return Request("POST", path, urllib.parse.urlencode({"query": query}).encode(), accept)


def oxigraph_copy(folder: Path, env: dict[str, str]) -> tuple[str, str]:
    """The inferred export loaded into an Oxigraph store in ``folder``: the ``oxigraph`` binary
    beside this Python, and the store's location, for ``oxigraph serve-read-only``."""
    data = folder / "inferred.nq"
    command = [sys.executable, "-m", "defenders_kg", "export", "--inferred", "-o", str(data)]
    subprocess.run(command, env=env, check=True)
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    location = str(folder / "oxigraph")
    subprocess.run([oxigraph, "load", "--location", location, "--file", str(data)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return oxigraph, location


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


def client(port: int, requests: list[Request], stop: float, outcome: Outcome, index: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = index
    while time.monotonic() < stop:
        request = requests[n % len(requests)]
        headers = {"Accept": request.accept}
        if request.body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            connection.request(request.method, request.path, body=request.body, headers=headers)
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


def hammer(name: str, port: int, requests: list[Request], clients: int, seconds: float) -> Outcome:
    outcome = Outcome(name, seconds, [], [])
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(port, requests, stop, outcome, i))
        for i in range(clients)
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
    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-load-"))
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    os.environ["DEFENDERS_KG_CACHE_DIR"] = env["DEFENDERS_KG_CACHE_DIR"]
    from defenders_kg import KnowledgeGraph, get_query

    texts = [get_query(name).text for name in QUERIES]
    resources = [row[0].value for row in KnowledgeGraph().sparql(LABELLED).rows]
    names = [iri.rsplit("/", 1)[1] for iri in resources]
    kg = [sys.executable, "-m", "defenders_kg"]
    oxigraph, location = oxigraph_copy(folder, env)

    described = [
        form("/query", DESCRIPTION.replace("IRI", iri), "text/turtle") for iri in resources
    ]
    loads = {
        "oxigraph serve-read-only": {
            "queries": [form("/query", text, RESULTS) for text in texts],
            "turtle": described,
            "pages": described,
        },
        "defenders-kg serve": {
            "queries": [form("/sparql", text, RESULTS) for text in texts],
            "turtle": [Request("GET", f"/resource/{n}.ttl", None, "text/turtle") for n in names],
            "pages": [Request("GET", f"/resource/{n}.html", None, "text/html") for n in names],
        },
    }
    ox_port, kg_port = free_port(), free_port()
    servers = {
        "oxigraph serve-read-only": (
            [oxigraph, "serve-read-only", "--location", location, "--bind",
             f"127.0.0.1:{ox_port}", "--union-default-graph"],
            ox_port, f"http://127.0.0.1:{ox_port}/query?query=ASK%7B%7D",
        ),
        "defenders-kg serve": (
            [*kg, "serve", "--port", str(kg_port), "--workers", str(args.workers)],
            kg_port, f"http://127.0.0.1:{kg_port}/queries",
        ),
    }  # fmt: skip
    outcomes: dict[str, dict[str, Outcome]] = {}
    for name, (command, port, ready) in servers.items():
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_until_up(ready, server)
            for load, requests in loads[name].items():
                hammer(name, port, requests, 2, 2)  # warm-up
                outcome = hammer(name, port, requests, args.clients, args.seconds)
                outcomes.setdefault(load, {})[name] = outcome
        finally:
            server.terminate()
            server.wait(timeout=20)

    print(
        f"{args.clients} clients, {args.seconds:g} s each; queries: the same {len(QUERIES)} canned "
        f"queries; turtle and pages: {len(names)} labelled resources"
    )
    header = f"{'load':8} {'server':26} {'requests':>9} {'errors':>7} {'req/s':>8}"
    print(f"{header} {'p50 ms':>7} {'p95 ms':>7}")
    for load, by_server in outcomes.items():
        for outcome in by_server.values():
            print(
                f"{load:8} {outcome.name:26} {len(outcome.latencies):>9} "
                f"{len(outcome.errors):>7} {outcome.throughput:>8.1f} "
                f"{statistics.median(outcome.latencies) * 1000:>7.1f} "
                f"{outcome.percentile(0.95) * 1000:>7.1f}"
            )
    for load, by_server in outcomes.items():
        base, ours = by_server["oxigraph serve-read-only"], by_server["defenders-kg serve"]
        throughput = ours.throughput / base.throughput
        p95 = ours.percentile(0.95) / base.percentile(0.95)
        # The targets are the endpoint's (issue 10). A description or page also joins each fact
        # with its sentence and labels, which the bare CONSTRUCT beside it does not.
        targets = " (targets >= 0.5 and <= 2)" if load == "queries" else ""
        print(
            f"{load:8} throughput ratio defenders-kg / oxigraph {throughput:.2f}, "
            f"p95 ratio {p95:.2f}{targets}"
        )
        for outcome in (base, ours):
            if outcome.errors:
                print(f"{load:8} {outcome.name}: first error: {outcome.errors[0]}")


if __name__ == "__main__":
    main()
