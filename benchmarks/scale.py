"""Scale benchmark: the synthetic franchise at K = 1, 10, 100, 1000 series.

For each K, in a fresh process: generate the graph, then time load (parse + store), inference
(the fast engine) and every canned query, with the peak resident memory after each stage; then,
in the same process and on the same data, the baseline: plain
``owlrl.DeductiveClosure(OWLRL_Semantics).expand(...)`` over ontology + data, skipped where its
estimated time exceeds the budget. Prints a Markdown table for benchmarks/README.md.

    python benchmarks/scale.py [--scales 1 10 100 1000] [--baseline-budget 600]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# owlrl's measured throughput on graphs of this shape (HAZARDS.md: ~600 input triples/s), used only
# to decide whether the baseline fits the budget; the estimate is printed beside the decision.
_OWLRL_TRIPLES_PER_SECOND = 600
_QUERY_PARAMS = {
    "evidence": {"entity": "Synthetic Series 1"},
    "describe": {"entity": "Synthetic Series 1"},
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(scale: int, seed: int, budget: float) -> dict[str, object]:
    """One K, measured inside this process (the parent runs it in a fresh one)."""
    import os

    from defenders_kg import KnowledgeGraph, list_queries
    from defenders_kg.synth import write_synthetic

    out: dict[str, object] = {"scale": scale}
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DEFENDERS_KG_CACHE_DIR"] = str(Path(folder) / "cache")
        data = Path(folder) / "franchise.nq"
        write_synthetic(data, scale, seed)
        kg = KnowledgeGraph([data], use_cache=False)

        start = time.perf_counter()
        store = kg.store(inference=False)
        out["load_s"], out["load_peak_mb"] = time.perf_counter() - start, _peak_mb()
        out["asserted"] = len(store)  # quads: a triple in two statement groups counts twice

        start = time.perf_counter()
        closure = kg.store(inference=True)
        out["infer_s"], out["infer_peak_mb"] = time.perf_counter() - start, _peak_mb()
        out["inferred"] = len(closure) - out["asserted"]  # type: ignore[operator]

        queries = {}
        for query in list_queries():
            start = time.perf_counter()
            result = kg.query(query.name, _QUERY_PARAMS.get(query.name))
            queries[query.name] = (
                time.perf_counter() - start,
                len(result.rows) or len(result.triples),
            )
        out["queries"], out["query_peak_mb"] = queries, _peak_mb()
        out["total_s"] = out["load_s"] + out["infer_s"] + sum(t for t, _ in queries.values())  # type: ignore[operator]

        estimate = out["asserted"] / _OWLRL_TRIPLES_PER_SECOND  # type: ignore[operator]
        out["baseline_estimate_s"] = estimate
        if estimate <= budget:
            from owlrl import DeductiveClosure, OWLRL_Semantics
            from rdflib import Graph

            graph = Graph().parse(data=_triples_nt(kg.store(inference=False), kg), format="nt")
            start = time.perf_counter()
            DeductiveClosure(OWLRL_Semantics).expand(graph)
            out["baseline_s"], out["baseline_peak_mb"] = time.perf_counter() - start, _peak_mb()
    return out


def _triples_nt(store: object, kg: object) -> str:
    """The asserted triples (ontology and data, not the closure) as N-Triples."""
    from defenders_kg.vocab import INFERRED_GRAPH

    return "".join(
        f"{q.subject} {q.predicate} {q.object} .\n"
        for q in store  # type: ignore[attr-defined]
        if q.graph_name.value != INFERRED_GRAPH
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-budget", type=float, default=600.0, help="seconds")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.seed, args.baseline_budget)))
        return

    rows = []
    for scale in args.scales:
        command = [
            sys.executable,
            __file__,
            "--one",
            str(scale),
            "--seed",
            str(args.seed),
            "--baseline-budget",
            str(args.baseline_budget),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"K={scale} done", file=sys.stderr)
    _print_tables(rows, args.baseline_budget)


def _print_tables(rows: list[dict[str, object]], budget: float) -> None:
    print(
        "| K | asserted | inferred | load s | infer s (fast) | owlrl s (baseline) | speed-up | "
        "all queries s | load+infer+queries s | peak MB (load / infer / queries) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        queries = row["queries"]
        query_total = sum(t for t, _ in queries.values())  # type: ignore[attr-defined]
        if "baseline_s" in row:
            baseline = f"{row['baseline_s']:.2f}"
            speedup = f"{row['baseline_s'] / row['infer_s']:.0f}x"  # type: ignore[operator]
        else:
            baseline = f"skipped (est. {row['baseline_estimate_s']:.0f} s > {budget:.0f} s budget)"
            speedup = "-"
        print(
            f"| {row['scale']} | {row['asserted']} | {row['inferred']} | {row['load_s']:.2f} | "
            f"{row['infer_s']:.2f} | {baseline} | {speedup} | {query_total:.2f} | "
            f"{row['total_s']:.2f} | "
            f"{row['load_peak_mb']:.0f} / {row['infer_peak_mb']:.0f} / {row['query_peak_mb']:.0f} |"
        )
    names = sorted(rows[0]["queries"])  # type: ignore[call-overload]
    print()
    print("| query | " + " | ".join(f"K={row['scale']} s (rows)" for row in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name in names:
        cells = [f"{row['queries'][name][0]:.3f} ({row['queries'][name][1]})" for row in rows]  # type: ignore[index]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
