"""Remote benchmark: the synthetic scale-K graph pushed to a real Oxigraph server, every canned
query timed over the SPARQL 1.1 Protocol beside the same query run embedded.

Starts `oxigraph serve --union-default-graph` on a free loopback port in a temporary folder,
pushes with `defenders-kg push`, then times each canned query remotely and embedded, checking
that both give the same rows. Prints a Markdown table.

    python benchmarks/remote.py [--scale 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

_PARAMS = {
    "evidence": {"entity": "Synthetic Series 1"},
    "describe": {"entity": "Synthetic Series 1"},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    from defenders_kg import Connection, KnowledgeGraph, RemoteKnowledgeGraph, list_queries, push
    from defenders_kg.synth import write_synthetic

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if binary is None:
        sys.exit("oxigraph is not installed (pip install oxigraph)")

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "franchise.nq"
        write_synthetic(data, args.scale, args.seed)
        port = free_port()
        server = subprocess.Popen(
            [binary, "serve", "--location", str(Path(folder) / "store"),
             "--bind", f"127.0.0.1:{port}",
             "--union-default-graph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            kg = KnowledgeGraph([data], use_cache=False)
            start = time.perf_counter()
            kg.store(inference=True)
            prepare = time.perf_counter() - start
            connection = Connection(timeout=600)
            start = time.perf_counter()
            sent = push(kg, f"{base}/store", connection=connection)
            upload = time.perf_counter() - start
            remote = RemoteKnowledgeGraph(f"{base}/query", connection)
            print(
                f"scale {args.scale}: {sent} quads; load + inference {prepare:.2f} s; "
                f"push {upload:.2f} s"
            )
            print()
            print("| query | rows | remote s | embedded s | same rows |")
            print("|---|---|---|---|---|")
            for query in list_queries():
                values = _PARAMS.get(query.name)
                start = time.perf_counter()
                far = remote.query(query.name, values)
                remote_s = time.perf_counter() - start
                start = time.perf_counter()
                near = kg.query(query.name, values)
                embedded_s = time.perf_counter() - start
                rows = len(near.rows) or len(near.triples)
                same = near.rows == far.rows and sorted(map(str, near.triples)) == sorted(
                    map(str, far.triples)
                )
                print(
                    f"| `{query.name}` | {rows} | {remote_s:.3f} | {embedded_s:.3f} | "
                    f"{'yes' if same else 'NO'} |"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
