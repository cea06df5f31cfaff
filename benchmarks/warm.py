"""Warm CLI queries beside the same text on an in-memory pyoxigraph store, at several sizes.

For each K (synthetic series from ``defenders-kg synth``):

1. a cold ``defenders-kg --data franchise.nq stats`` builds the cache: its wall time and peak
   resident memory (GNU-time style, from ``wait4``);
2. one warm query on each layer starts its resident (``defenders_kg.resident``), and the script
   waits until both have loaded;
3. for every canned query, alternating: the warm CLI process (``query NAME --format tsv``, wall
   time) and, in this process, the same query text on an in-memory pyoxigraph store loaded from
   the cache's statements (query and TSV serialization, wall time). The ratio is
   CLI / (in-memory + 0.1 s), the 0.1 s being the allowance for starting a process.

With two or more sizes it prints each query's growth exponent from the first K to the last,
log(t_last / t_first) / log(K_last / K_first), for the CLI and for the in-memory store.

    python benchmarks/warm.py                       # K = 1000 and 3000, every canned query
    python benchmarks/warm.py --scales 10000 --cold-only   # the cold build's peak at K = 10,000
    python benchmarks/warm.py --scales 1000 --queries cast evidence --runs 5
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
ALLOWANCE = 0.1
ENTITY = "Synthetic Series 1"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process, its output thrown away."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[:8])} failed")
    return elapsed, usage.ru_maxrss / 1024


def in_memory(layer: Path) -> ox.Store:
    """The layer's statements in an in-memory store, the closure in its own graph."""
    from defenders_kg.vocab import INFERRED_GRAPH

    store = ox.Store()
    store.bulk_load(path=layer.parent / "asserted" / "asserted.nq", format=ox.RdfFormat.N_QUADS)
    closure = layer / "closure.nt"
    if closure.exists():
        store.bulk_load(
            path=closure, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(INFERRED_GRAPH)
        )
    return store


def memory_seconds(store: ox.Store, text: str) -> float:
    from defenders_kg.policy import BASE_IRI
    from defenders_kg.vocab import PREFIXES

    started = time.monotonic()
    answer = store.query(
        text, base_iri=BASE_IRI, prefixes=PREFIXES, use_default_graph_as_union=True
    )
    if isinstance(answer, ox.QueryTriples):
        answer.serialize(format=ox.RdfFormat.N_TRIPLES)
    elif isinstance(answer, ox.QuerySolutions):
        answer.serialize(format=ox.QueryResultsFormat.TSV)
    return time.monotonic() - started


def wait_for_resident(layer: Path) -> None:
    """Until the layer's resident has loaded, if the CLI keeps one for a layer of its size."""
    from defenders_kg import resident

    if resident.setting() == "off" or (
        resident.setting() == "auto" and not resident.worth_keeping(layer)
    ):
        print(f"{layer.name}: no resident at this size (answers from disk)")
        return
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        state = resident.status(layer)
        if state is not None and state["quads"] is not None:
            return
        time.sleep(0.5)
    raise SystemExit(f"no resident loaded {layer}")


def measure(scale: int, args: argparse.Namespace, folder: Path) -> dict[str, tuple[float, float]]:
    from defenders_kg import KnowledgeGraph, list_queries

    kg = [sys.executable, "-m", "defenders_kg"]
    data = folder / f"k{scale}.nq"
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / f"cache-{scale}")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from bytecode
    if not data.exists():
        subprocess.run([*kg, "synth", "--scale", str(scale), "--seed", "1", "-o", str(data)],
                       env=env, check=True, stderr=subprocess.DEVNULL)  # fmt: skip
    print(f"\nK={scale}: {data.stat().st_size / 1e6:.0f} MB of N-Quads, load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    shutil.rmtree(env["DEFENDERS_KG_CACHE_DIR"], ignore_errors=True)  # a reused folder's cache
    seconds, peak = timed([*kg, "--data", str(data), "stats"], env)
    print(f"cold build (stats, an empty cache): {seconds:.1f} s, peak RSS {peak:,.0f} MB")
    if args.cold_only:
        return {}

    os.environ["DEFENDERS_KG_CACHE_DIR"] = env["DEFENDERS_KG_CACHE_DIR"]
    graph = KnowledgeGraph([data])
    layers = {inference: graph.store_path(inference=inference).parent for inference in (0, 1)}
    for inference, layer in layers.items():
        probe = "ASK { ?s ?p ?o }"
        subprocess.run([*kg, "--data", str(data), "sparql", probe]
                       + ([] if inference else ["--no-inference"]),
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        wait_for_resident(layer)
    stores = {inference: in_memory(layer) for inference, layer in layers.items()}

    figures: dict[str, tuple[float, float]] = {}
    print(f"{'query':24} {'CLI s':>8} {'in-memory s':>12} {'ratio':>6}  target <= 2")
    for query in list_queries():
        if args.queries and query.name not in args.queries:
            continue
        params = {p.name: ENTITY for p in query.params if p.name == "entity"}
        argv = [*kg, "--data", str(data), "query", query.name]
        argv += [f"--param={key}={value}" for key, value in params.items()]
        if query.form not in ("CONSTRUCT", "DESCRIBE"):
            argv += ["--format", "tsv"]
        text = query.bind(params)
        store = stores[1 if query.inference else 0]
        ours, base = [], []
        for _ in range(args.runs):
            ours.append(timed(argv, env)[0])
            base.append(memory_seconds(store, text))
        cli, memory = statistics.median(ours), statistics.median(base)
        ratio = cli / (memory + ALLOWANCE)
        verdict = "met" if ratio <= 2 else "NOT met"
        print(f"{query.name:24} {cli:8.3f} {memory:12.3f} {ratio:6.2f}  {verdict}", flush=True)
        figures[query.name] = (cli, memory)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--runs", type=int, default=3, help="warm runs of each query")
    parser.add_argument("--queries", nargs="+", help="only these canned queries")
    parser.add_argument("--cold-only", action="store_true", help="only the cold build's figures")
    parser.add_argument("--folder", type=Path, help="work folder (default: a new temporary one)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    folder = args.folder or Path(tempfile.mkdtemp(prefix="defenders-kg-warm-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"work folder {folder}")
    runs = {scale: measure(scale, args, folder) for scale in args.scales}
    first, last = min(runs), max(runs)
    if first == last or not runs[first]:
        return
    growth = math.log(last / first)
    print(f"\ngrowth exponent, K={first} -> K={last} (target <= 1.15 for the CLI)")
    print(f"{'query':24} {'CLI':>6} {'in-memory':>10}")
    for name, (cli, memory) in runs[first].items():
        later_cli, later_memory = runs[last][name]
        ours = math.log(later_cli / cli) / growth
        engine = math.log(max(later_memory, 1e-4) / max(memory, 1e-4)) / growth
        print(f"{name:24} {ours:6.2f} {engine:10.2f}  {'met' if ours <= 1.15 else 'NOT met'}")
    total = [sum(run[name][0] for name in run) for run in (runs[first], runs[last])]
    memory_total = [sum(run[name][1] for name in run) for run in (runs[first], runs[last])]
    print(f"{'all, summed':24} {math.log(total[1] / total[0]) / growth:6.2f} "
          f"{math.log(memory_total[1] / memory_total[0]) / growth:10.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
