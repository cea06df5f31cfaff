"""Remote benchmark: the synthetic scale-K graph pushed to a real store, beside its own loader.

For each store (Oxigraph, Virtuoso) on loopback, in one run and on the same data:

- *loader*: the store's own bulk loader on the N-Quads that ``defenders_kg.remote.bulk_file``
  writes (``oxigraph load``; Virtuoso's ``ld_dir`` + ``rdf_loader_run`` + ``checkpoint``);
- *push*: ``defenders-kg --data franchise.nq push`` into a fresh store, in its own process, with
  that process's wall time and peak resident memory (the closure is cached beforehand, so the
  push is streaming, not inference);
- every canned query over the SPARQL 1.1 Protocol, timed beside the same query embedded (the
  persisted local store), with the rows compared.

Prints Markdown. The servers come from tests/servers.py (throwaway folders, free ports).

    python benchmarks/remote.py --store oxigraph virtuoso --scale 1000 [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

_PARAMS = {
    "evidence": {"entity": "Synthetic Series 1"},
    "describe": {"entity": "Synthetic Series 1"},
}


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process; exits if it fails."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        error = child.stderr.read().decode() if child.stderr else ""
        sys.exit(f"{' '.join(command[:4])} ... failed ({child.returncode}): {error[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    from servers import oxigraph, virtuoso

    from defenders_kg import Connection, KnowledgeGraph, RemoteKnowledgeGraph, list_queries
    from defenders_kg.remote import bulk_file
    from defenders_kg.synth import write_synthetic

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", nargs="+", choices=("oxigraph", "virtuoso"),
                        default=["oxigraph"])  # fmt: skip
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="defenders-kg-remote-") as tmp:
        folder = Path(tmp)
        data = folder / "franchise.nq"
        write_synthetic(data, args.scale, args.seed)
        env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
        os.environ["DEFENDERS_KG_CACHE_DIR"] = env["DEFENDERS_KG_CACHE_DIR"]
        cli = [sys.executable, "-m", "defenders_kg", "--data", str(data)]
        prepare, prepare_mb = run([*cli, "stats"], env)
        kg = KnowledgeGraph([data])
        quads = len(kg.store(inference=True))
        bulk = folder / "bulk" / "franchise-bulk.nq"
        bulk.parent.mkdir()
        written = timed(lambda: bulk_file(kg, bulk))
        print(f"scale {args.scale}: {quads:,} quads with the closure; load + inference "
              f"{prepare:.1f} s (peak {prepare_mb:,.0f} MB); bulk file written in "
              f"{written:.1f} s\n")  # fmt: skip
        connection = Connection(timeout=3600, retries=0)
        for store in args.store:
            print(f"## {store}\n")
            if store == "oxigraph":
                binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent))
                loader, _ = run([binary or "oxigraph", "load", "--location",
                                 str(folder / "ox-loaded"), "--file", str(bulk)], env)  # fmt: skip
                with oxigraph(str(folder / "ox-pushed")) as base:
                    push_s, push_mb = run(
                        [*cli, "push", "--store", f"{base}/store", "--timeout", "3600"], env
                    )
                    remote = RemoteKnowledgeGraph(f"{base}/query", connection)
                    report(kg, remote, list_queries(), loader, push_s, push_mb, quads)
            else:
                loaded = folder / "virtuoso-loaded"
                loaded.mkdir()
                with virtuoso(str(loaded), max_rows=10_000_000, buffers=250_000) as server:
                    shutil.copy(bulk, loaded / bulk.name)
                    load = f"ld_dir('{loaded}', '{bulk.name}', 'urn:default');"
                    start = time.perf_counter()
                    server.isql(load, "rdf_loader_run();", "checkpoint;")
                    loader = time.perf_counter() - start
                pushed = folder / "virtuoso-pushed"
                pushed.mkdir()
                with virtuoso(str(pushed), max_rows=10_000_000, buffers=250_000) as server:
                    push_s, push_mb = run(
                        [*cli, "push", "--store", server.store, "--timeout", "3600"], env
                    )
                    remote = RemoteKnowledgeGraph(f"{server.base}/sparql", connection)
                    report(kg, remote, list_queries(), loader, push_s, push_mb, quads)


def report(kg: object, remote: object, queries: list[object], loader: float, push_s: float,
           push_mb: float, quads: int) -> None:  # fmt: skip
    """Print the push beside the loader, then every query remote beside embedded."""
    from stores import comparable, graph_text

    print(
        f"store's own loader {loader:.1f} s; push {push_s:.1f} s ({push_s / loader:.1f}x the "
        f"loader, {quads / push_s:,.0f} quads/s); push client peak RSS {push_mb:,.0f} MB\n"
    )
    print("| query | rows | remote s | embedded s | same rows |")
    print("|---|---|---|---|---|")
    for query in queries:
        name = query.name  # type: ignore[attr-defined]
        values = _PARAMS.get(name)
        start = time.perf_counter()
        far = remote.query(name, values)  # type: ignore[attr-defined]
        remote_s = time.perf_counter() - start
        start = time.perf_counter()
        near = kg.query(name, values)  # type: ignore[attr-defined]
        embedded_s = time.perf_counter() - start
        same = comparable(near.rows) == comparable(far.rows) and graph_text(
            near.triples
        ) == graph_text(far.triples)
        rows = len(near.rows) or len(near.triples)
        print(f"| `{name}` | {rows} | {remote_s:.3f} | {embedded_s:.3f} | "
              f"{'yes' if same else 'NO'} |")  # fmt: skip
    print()


if __name__ == "__main__":
    main()
