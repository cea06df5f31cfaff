"""Remote benchmark: the synthetic scale-K graph pushed to a real store, beside its own loader.

For each store (Oxigraph, Virtuoso) on loopback, in one run and on the same data:

- *loader*: the store's own bulk loader on the N-Quads that ``defenders_kg.stores.push.bulk_file``
  writes (``oxigraph load``; Virtuoso's ``ld_dir`` + ``rdf_loader_run`` + ``checkpoint``);
- *push*: ``defenders-kg --data franchise.nq push`` into a fresh store, in its own process, with
  that process's wall time and peak resident memory (the closure is cached beforehand, so the
  push is streaming, not inference);
- every canned query over the SPARQL 1.1 Protocol, timed beside the same query embedded (the
  persisted local store), with the rows compared.

Prints Markdown. The servers come from tests/servers.py (throwaway folders, free ports). Each
query has a time limit on both sides (``--query-timeout``; the embedded one runs in a child
process, killed at the limit); ``--no-embedded`` and ``--queries`` keep the large scales short.

    python benchmarks/remote.py --store oxigraph virtuoso --scale 1000 [--seed 1]
    python benchmarks/remote.py --store oxigraph --scale 10000 --no-embedded --queries cast stats
    python benchmarks/remote.py --store virtuoso --stock --scale 3000 --queries evidence

``--stock`` runs Virtuoso with the virtuoso.ini Debian ships (tests/fixtures/virtuoso-debian.ini:
10,000 buffers, a 400 s cost limit, 60 s per query, 10,000 rows at most), not the tuned one.
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

# Runs from a checkout as `python benchmarks/remote.py`: the package and the test helpers.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

_PARAMS = {
    "evidence": {"entity": "Synthetic Series 1"},
    "describe": {"entity": "Synthetic Series 1"},
}


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process (GNU time); raises if it fails."""
    timer = shutil.which("time", path="/usr/bin:/bin")
    if timer is None:
        sys.exit("GNU time (/usr/bin/time) is needed to measure the push's peak memory")
    start = time.perf_counter()
    done = subprocess.run([timer, "-f", "%M", *command], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)  # fmt: skip
    elapsed = time.perf_counter() - start
    error = done.stderr.decode(errors="replace")
    if done.returncode:
        what = " ".join(command[3:6])
        raise RuntimeError(f"{what} ... failed ({done.returncode}): {error[-500:]}")
    return elapsed, int(error.strip().splitlines()[-1]) / 1024


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    from defenders_kg import Connection, KnowledgeGraph, list_queries
    from defenders_kg.stores.push import bulk_file
    from defenders_kg.synth import write_synthetic

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", nargs="+", choices=("oxigraph", "virtuoso"),
                        default=["oxigraph"])  # fmt: skip
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", nargs="+", metavar="NAME", help="only these canned queries")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=900,
        metavar="S",
        help="seconds each query may take, remote and embedded (default 900)",
    )
    parser.add_argument("--stock", action="store_true",
                        help="Virtuoso with Debian's stock virtuoso.ini")  # fmt: skip
    parser.add_argument("--no-embedded", dest="embedded", action="store_false",
                        help="time the queries remotely only, rows not compared")  # fmt: skip
    args = parser.parse_args()
    queries = [q for q in list_queries() if not args.queries or q.name in args.queries]
    if args.queries and len(queries) != len(set(args.queries)):
        sys.exit(f"unknown query among {args.queries}")

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
              f"{written:.1f} s\n", flush=True)  # fmt: skip
        connection = Connection(timeout=args.query_timeout, retries=0)
        options = (data, args.query_timeout if args.embedded else None)
        for store in args.store:
            print(f"## {store}\n", flush=True)
            try:
                measure(store, folder, bulk, cli, env, connection, queries, quads, options,
                        stock=args.stock)  # fmt: skip
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as err:  # a failed push or a server that would not start
                print(f"{store} failed: {str(err)[-500:]}\n", flush=True)


def measure(store: str, folder: Path, bulk: Path, cli: list[str], env: dict[str, str],
            connection: object, queries: list[object], quads: int,
            options: tuple[Path, float | None], *, stock: bool = False) -> None:  # fmt: skip
    """The store's own loader, then push into a fresh store, then the queries."""
    from contextlib import AbstractContextManager

    from servers import Virtuoso, oxigraph, virtuoso

    from defenders_kg import RemoteKnowledgeGraph

    if store == "oxigraph":
        binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent))
        loader, _ = run([binary or "oxigraph", "load", "--location",
                         str(folder / "ox-loaded"), "--file", str(bulk)], env)  # fmt: skip
        with oxigraph(str(folder / "ox-pushed")) as base:
            push_s, push_mb = run(
                [*cli, "push", "--store", f"{base}/store", "--timeout", "3600"], env
            )
            remote = RemoteKnowledgeGraph(f"{base}/query", connection)
            report(remote, queries, loader, push_s, push_mb, quads, *options)
    else:
        loaded = folder / "virtuoso-loaded"
        loaded.mkdir()

        def fresh(path: Path) -> AbstractContextManager[Virtuoso]:
            if stock:
                return virtuoso(str(path), stock=True)
            return virtuoso(str(path), max_rows=10_000_000, buffers=250_000)

        with fresh(loaded) as server:
            shutil.copy(bulk, loaded / bulk.name)
            load = f"ld_dir('{loaded}', '{bulk.name}', 'urn:default');"
            start = time.perf_counter()
            server.isql(load, "rdf_loader_run();", "checkpoint;")
            loader = time.perf_counter() - start
        pushed = folder / "virtuoso-pushed"
        pushed.mkdir()
        with fresh(pushed) as server:
            push_s, push_mb = run([*cli, "push", "--store", server.store, "--timeout", "3600"], env)
            remote = RemoteKnowledgeGraph(f"{server.base}/sparql", connection)
            report(remote, queries, loader, push_s, push_mb, quads, *options)


def report(remote: object, queries: list[object], loader: float, push_s: float, push_mb: float,
           quads: int, data: Path, embedded_timeout: float | None) -> None:  # fmt: skip
    """Print the push beside the loader, then every query remote beside embedded."""
    from defenders_kg import RemoteError

    print(
        f"store's own loader {loader:.1f} s; push {push_s:.1f} s ({push_s / loader:.1f}x the "
        f"loader, {quads / push_s:,.0f} quads/s); push client peak RSS {push_mb:,.0f} MB\n",
        flush=True,
    )
    print("| query | rows | remote s | embedded s | same rows |")
    print("|---|---|---|---|---|", flush=True)
    for query in queries:
        name = query.name  # type: ignore[attr-defined]
        values = _PARAMS.get(name)
        start = time.perf_counter()
        far: tuple[object, ...] | None = None
        try:
            result = remote.query(name, values)  # type: ignore[attr-defined]
            remote_s = time.perf_counter() - start
            far = answer(result)
        except RemoteError as err:
            remote_s = time.perf_counter() - start
            failure = str(err)[:120]
        near: tuple[object, ...] | None = None
        embedded_s = "-"
        if embedded_timeout is not None:
            timed_answer = embedded(data, name, values, embedded_timeout)
            if timed_answer is None:
                embedded_s = f"> {embedded_timeout:.0f}"
            else:
                elapsed, near = timed_answer
                embedded_s = f"{elapsed:.3f}"
        rows = "-" if far is None else str(len(far[1]) or len(far[2]))
        same = "-" if near is None or far is None else "yes" if near == far else "NO"
        shown = f"{remote_s:.3f}" if far is not None else f"failed after {remote_s:.0f} ({failure})"
        print(f"| `{name}` | {rows} | {shown} | {embedded_s} | {same} |", flush=True)
    print()


def answer(result: object) -> tuple[object, ...]:
    """A result as plain text that compares across stores (blank nodes made equal)."""
    from stores import comparable, graph_text

    rows = [tuple(str(t) for t in row) for row in comparable(result.rows)]  # type: ignore[attr-defined]
    return tuple(result.variables), rows, graph_text(result.triples)  # type: ignore[attr-defined]


def embedded(data: Path, name: str, values: dict[str, str] | None, timeout: float
             ) -> tuple[float, tuple[object, ...]] | None:  # fmt: skip
    """The query run embedded in a child process (so that it can be stopped): its seconds (the
    query alone, the store already open) and its answer, or None at the time limit."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_embedded_child, args=(data, name, values, results))
    child.start()
    try:
        return results.get(timeout=timeout)  # type: ignore[no-any-return]
    except Exception:  # queue.Empty: the time limit
        return None
    finally:
        child.kill()
        child.join()


def _embedded_child(data: Path, name: str, values: dict[str, str] | None, results: object) -> None:
    from defenders_kg import KnowledgeGraph

    kg = KnowledgeGraph([data])
    kg.store(inference=True)
    start = time.perf_counter()
    result = kg.query(name, values)
    elapsed = time.perf_counter() - start
    results.put((elapsed, answer(result)))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
