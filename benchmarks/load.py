"""Load test of `defenders-kg serve` beside `oxigraph serve-read-only`, on loopback, in one run.

For each data set (the embedded graph; the synthetic franchise of ``defenders-kg synth --scale
K``) both servers get the same data: the inferred graph exported as N-Quads, loaded into
Oxigraph's own store and served with ``--union-default-graph``. Three servers run side by side:
Oxigraph's, ``defenders-kg serve`` as it ships, and ``defenders-kg serve --answer-cache 0``,
which evaluates every request again instead of answering a repeated one from the answers it
kept. The same client (N threads, one keep-alive connection each, requests back to back for T
seconds) runs each load against one server after the other, the order reversed every round:

- ``queries``: six canned queries, POSTed form-encoded, each with ``LIMIT 100`` (the same text to
  both). On the embedded graph only: at K = 3000 Oxigraph takes 15 to 50 s for one of them, far
  past any client's patience, so there each runs once per server instead (``canned, 1 client``);
- ``describe``: the CONSTRUCT of a labelled resource's description (every triple with the
  resource as subject or object), up to 200 resources, the same text to both;
- ``pages``: the HTML entity page ``GET /resource/NAME.html`` beside the same Oxigraph
  CONSTRUCT, which is what a page costs at least (a page also joins each fact with its sentence
  and labels; no target). On the embedded graph only: at K = 3000 most pages run into the 10 s
  time limit.

It prints every round, then the medians and the ratios defenders-kg / Oxigraph; the targets
(issue 20) are a throughput ratio >= 1.0 and a p95 ratio <= 1.2 for ``queries`` and
``describe``, judged for the server as it ships; the ratios without kept answers are printed
beside them, so that what the kept answers give is plain. Everything stays on 127.0.0.1.

    python benchmarks/load.py [--scales 0 3000] [--clients 16] [--seconds 10] [--rounds 2]
    python benchmarks/load.py --scales 0 --loads describe --rounds 4

Scale 0 is the embedded graph.
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
RESOURCES = 200
OXIGRAPH, OURS = "oxigraph serve-read-only", "defenders-kg serve"
UNCACHED = "defenders-kg serve, no kept answers"  # --answer-cache 0: every request evaluated
TARGETED = ("queries", "describe")
LOADS = ["queries", "describe", "pages"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None
    accept: str


def form(path: str, query: str, accept: str) -> Request:
    return Request("POST", path, urllib.parse.urlencode({"query": query}).encode(), accept)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Outcome:
    seconds: float
    latencies: list[float]
    errors: list[str]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection that reads just enough of a response to frame it
    (``Content-Length`` or chunked).

    ``http.client`` parses every response's headers with the ``email`` package: measured under
    16 threads, that cost the client 0.17 to 0.21 ms a response, more than either server spent
    on a kept answer, so the client, not the server, set the pace. This one costs a fraction of
    that, the same for both servers."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def exchange(self, raw: bytes) -> tuple[int, bytes]:
        """Send one request, as bytes; the response's status and body."""
        self.socket.sendall(raw)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._receive()
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        fields = dict(line.lower().split(b":", 1) for line in lines[1:])
        length = fields.get(b"content-length")
        if length is not None:
            return status, self._take(int(length))
        if fields.get(b"transfer-encoding", b"").strip() != b"chunked":
            raise OSError("a response with neither Content-Length nor chunks")
        chunks = []
        while True:
            while (end := self.buffer.find(b"\r\n")) < 0:
                self._receive()
            size = int(self.buffer[:end].split(b";", 1)[0], 16)
            self.buffer = self.buffer[end + 2 :]
            chunks.append(self._take(size + 2)[:size])
            if size == 0:
                return status, b"".join(chunks)

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._receive()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def _receive(self) -> None:
        data = self.socket.recv(262144)
        if not data:
            raise OSError("the server closed the connection")
        self.buffer += data

    def close(self) -> None:
        self.socket.close()


def encoded(request: Request, port: int) -> bytes:
    """The request as it goes on the wire."""
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             f"Accept: {request.accept}"]  # fmt: skip
    body = request.body or b""
    if request.body is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def client(port: int, requests: list[Request], stop: float, outcome: Outcome, index: int) -> None:
    raw = [encoded(request, port) for request in requests]
    connection = Connection(port)
    n = index
    while time.monotonic() < stop:
        start = time.perf_counter()
        try:
            status, body = connection.exchange(raw[n % len(raw)])
            if status != 200:
                outcome.errors.append(f"HTTP {status}: {body[:100]!r}")
            else:
                outcome.latencies.append(time.perf_counter() - start)
        except (OSError, ValueError) as err:
            outcome.errors.append(str(err))
            connection.close()
            connection = Connection(port)
        n += 1
    connection.close()


def hammer(port: int, requests: list[Request], clients: int, seconds: float) -> Outcome:
    outcome = Outcome(seconds, [], [])
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


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


@dataclass
class DataSet:
    name: str
    data: list[str]  # the CLI's --data options
    quads: int
    location: str  # Oxigraph's store
    queries: list[str]
    resources: list[str]


def prepare(scale: int, folder: Path, env: dict[str, str], oxigraph: str) -> DataSet:
    """The data set of ``scale`` (0: the embedded graph): its export loaded into Oxigraph."""
    from defenders_kg import KnowledgeGraph, get_query

    here = folder / f"k{scale}"
    here.mkdir()
    kg = [sys.executable, "-m", "defenders_kg"]
    data: list[str] = []
    if scale:
        synthetic = here / "franchise.nq"
        subprocess.run([*kg, "synth", "--scale", str(scale), "-o", str(synthetic)], env=env,
                       check=True, stderr=subprocess.DEVNULL)  # fmt: skip
        data = ["--data", str(synthetic)]
    export = here / "inferred.nq"
    subprocess.run([*kg, *data, "export", "--inferred", "-o", str(export)], env=env, check=True)
    location = str(here / "oxigraph")
    subprocess.run([oxigraph, "load", "--location", location, "--file", str(export)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    graph = KnowledgeGraph(data[1:])
    quads = len(graph.store(inference=True))
    labelled = [row[0].value for row in graph.sparql(LABELLED).rows]
    resources = labelled[:: max(1, len(labelled) // RESOURCES)][:RESOURCES]
    queries = [get_query(name).text + "\nLIMIT 100" for name in QUERIES]
    name = "the embedded graph" if not scale else f"K = {scale} (synth --scale {scale})"
    return DataSet(name, data, quads, location, queries, resources)


def loads(data: DataSet, scale: int) -> dict[str, dict[str, list[Request]]]:
    texts = [DESCRIPTION.replace("IRI", iri) for iri in data.resources]
    described = [form("/query", text, "text/turtle") for text in texts]
    ours = [form("/sparql", text, "text/turtle") for text in texts]
    names = [iri.rsplit("/", 1)[1] for iri in data.resources]
    found: dict[str, dict[str, list[Request]]] = {}
    if not scale:
        asked = [form("/sparql", text, RESULTS) for text in data.queries]
        found["queries"] = {
            OXIGRAPH: [form("/query", text, RESULTS) for text in data.queries],
            OURS: asked,
            UNCACHED: asked,
        }
    found["describe"] = {OXIGRAPH: described, OURS: ours, UNCACHED: ours}
    if not scale:
        pages = [Request("GET", f"/resource/{n}.html", None, "text/html") for n in names]
        found["pages"] = {OXIGRAPH: described, OURS: pages, UNCACHED: pages}
    return found


def start(command: list[str], env: dict[str, str], ready: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(ready, server)
    except BaseException:
        server.terminate()
        raise
    return server


def run_one(port: int, path: str, text: str) -> tuple[float, int]:
    """One query, alone: its wall time and status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    body = urllib.parse.urlencode({"query": text}).encode()
    headers = {"Accept": RESULTS, "Content-Type": "application/x-www-form-urlencoded"}
    began = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return time.perf_counter() - began, response.status


def measure(data: DataSet, scale: int, args: argparse.Namespace, env: dict[str, str],
            oxigraph: str) -> None:  # fmt: skip
    ox_port, kg_port, bare_port = free_port(), free_port(), free_port()
    ox_command = [oxigraph, "serve-read-only", "--location", data.location, "--bind",
                  f"127.0.0.1:{ox_port}", "--union-default-graph"]  # fmt: skip
    kg_command = [sys.executable, "-m", "defenders_kg", *data.data, "serve", "--port",
                  str(kg_port), "--workers", str(args.workers)]  # fmt: skip
    bare_command = [*kg_command, "--answer-cache", "0"]
    bare_command[bare_command.index(str(kg_port))] = str(bare_port)
    ports = {OXIGRAPH: (ox_port, "/query"), OURS: (kg_port, "/sparql"),
             UNCACHED: (bare_port, "/sparql")}  # fmt: skip
    servers = [
        start(ox_command, env, f"http://127.0.0.1:{ox_port}/query?query=ASK%7B%7D"),
        start(kg_command, env, f"http://127.0.0.1:{kg_port}/queries"),
        start(bare_command, env, f"http://127.0.0.1:{bare_port}/queries"),
    ]
    print(f"\n## {data.name}: {data.quads:,} quads; {args.clients} clients, {args.seconds:g} s "
          f"a load, {args.rounds} rounds; load average at start {_load()}")  # fmt: skip
    outcomes: dict[str, dict[str, list[Outcome]]] = {}
    try:
        if scale:
            print("canned, 1 client (each query once per server, Oxigraph first): seconds")
            for name, text in zip(QUERIES, data.queries, strict=True):
                cells = []
                for server in (OXIGRAPH, OURS):
                    seconds, status = run_one(*ports[server], text)
                    failed = "" if status == 200 else f" (HTTP {status})"
                    cells.append(f"{server} {seconds:.2f}{failed}")
                print(f"  {name:24} " + ", ".join(cells))
        print(f"{'load':9} {'server':36} {'round':>5} {'requests':>9} {'errors':>7} {'req/s':>8}"
              f" {'p50 ms':>8} {'p95 ms':>8}")  # fmt: skip
        for round_ in range(args.rounds):
            order = (OXIGRAPH, OURS, UNCACHED) if round_ % 2 == 0 else (UNCACHED, OURS, OXIGRAPH)
            for load, by_server in loads(data, scale).items():
                if load not in args.loads:
                    continue
                for server in order:
                    port = ports[server][0]
                    hammer(port, by_server[server], 2, 1)  # warm-up
                    outcome = hammer(port, by_server[server], args.clients, args.seconds)
                    outcomes.setdefault(load, {}).setdefault(server, []).append(outcome)
                    print(f"{load:9} {server:36} {round_ + 1:>5} {len(outcome.latencies):>9} "
                          f"{len(outcome.errors):>7} {outcome.throughput:>8.1f} "
                          f"{outcome.percentile(0.5) * 1000:>8.1f} "
                          f"{outcome.percentile(0.95) * 1000:>8.1f}", flush=True)  # fmt: skip
                    if outcome.errors:
                        print(f"          first error: {outcome.errors[0]}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    print(f"medians of the rounds (load average at the end {_load()}):")
    for load, by_server in outcomes.items():
        base = _medians(by_server[OXIGRAPH])
        print(f"  {load:9} oxigraph {base[0]:.1f} req/s (p95 {base[1] * 1000:.1f} ms)")
        for server, label in ((OURS, "defenders-kg"), (UNCACHED, "no kept answers")):
            ours = _medians(by_server[server])
            throughput, p95 = ours[0] / base[0], ours[1] / base[1]
            verdict = ""
            if load in TARGETED and server == OURS:
                met = throughput >= 1.0 and p95 <= 1.2
                verdict = f" (targets >= 1.0 and <= 1.2: {'met' if met else 'not met'})"
            print(f"  {'':9} {label} {ours[0]:.1f} req/s (p95 {ours[1] * 1000:.1f} ms): "
                  f"throughput ratio {throughput:.2f}, p95 ratio {p95:.2f}{verdict}")  # fmt: skip


def _medians(outcomes: list[Outcome]) -> tuple[float, float]:
    return (
        statistics.median(o.throughput for o in outcomes),
        statistics.median(o.percentile(0.95) for o in outcomes),
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[0, 3000])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="defenders-kg query workers")
    parser.add_argument("--loads", nargs="+", choices=LOADS, default=LOADS, help="which loads")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-load-"))
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    os.environ["DEFENDERS_KG_CACHE_DIR"] = env["DEFENDERS_KG_CACHE_DIR"]
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    print(f"{os.cpu_count()} cores; the client runs on the same machine")
    for scale in args.scales:
        measure(prepare(scale, folder, env, oxigraph), scale, args, env, oxigraph)


if __name__ == "__main__":
    main()
