"""Scale benchmark: the synthetic franchise at K = 1, 10, 100, 1000 series.

For each K the script writes the graph once, then in a fresh process, with an empty on-disk
cache, times load (parse + store), inference (the fast engine) and every canned query, with the
peak resident memory after each stage. The fast engine first closes the ontology alone with owlrl;
in normal use that closure is cached on disk, keyed by the ontology's content. So another fresh
process times load and inference again with a cache that holds that closure and nothing else
(filled beforehand by a process that builds the bundled graph). Each fast figure is the median of
``--fast-runs`` such processes: the machine may be shared, and a run of seconds is easily
disturbed. Both figures time the whole inferred layer (the closure written out and loaded into its
store), not the reasoning alone.

Then, in one more fresh process on the same file, the baseline: plain
``owlrl.DeductiveClosure(OWLRL_Semantics).expand`` over ontology + data (only ``expand`` is
timed), stopped when it exceeds the time budget (the table then gives the budget as a lower bound).
The closures of all runs are compared by count and SHA-256. Prints Markdown tables for
benchmarks/README.md.

    python benchmarks/scale.py [--scales 1 10 100 1000] [--baseline-budget 600] [--no-queries]
                               [--fast-runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_QUERY_PARAMS = {
    "evidence": {"entity": "Synthetic Series 1"},
    "describe": {"entity": "Synthetic Series 1"},
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(data: Path, queries_too: bool = True) -> dict[str, object]:
    """Load, infer and query one synthetic file, inside this (fresh) process.

    The cache is the folder the parent gave in ``DEFENDERS_KG_CACHE_DIR``: empty, or holding the
    ontology's closure alone.
    """
    from defenders_kg import KnowledgeGraph, list_queries

    out: dict[str, object] = {}
    kg = KnowledgeGraph([data])
    start = time.perf_counter()
    store = kg.store(inference=False)
    out["load_s"], out["load_peak_mb"] = time.perf_counter() - start, _peak_mb()
    out["asserted"] = len(store)  # quads: a triple in two statement groups counts twice

    start = time.perf_counter()
    closure = kg.store(inference=True)
    out["infer_s"], out["infer_peak_mb"] = time.perf_counter() - start, _peak_mb()
    out["inferred"] = len(closure) - out["asserted"]  # type: ignore[operator]
    out["fast_closure"] = _fast_closure(kg)

    queries = {}
    for query in list_queries() if queries_too else []:
        start = time.perf_counter()
        result = kg.query(query.name, _QUERY_PARAMS.get(query.name))
        queries[query.name] = (time.perf_counter() - start, len(result.rows) or len(result.triples))
    out["queries"], out["query_peak_mb"] = queries, _peak_mb()
    total = out["load_s"] + out["infer_s"] + sum(t for t, _ in queries.values())  # type: ignore[operator]
    out["total_s"] = total
    return out


def baseline(data: Path) -> dict[str, object]:
    """Plain owlrl over the same ontology and data, inside this (fresh) process.

    Only ``expand`` is timed. Its new triples, junk removed, are then compared with the fast
    engine's closure (cached on disk by the measuring process): the digest and count go back.
    """
    from owlrl import DeductiveClosure, OWLRL_Semantics
    from rdflib import BNode, Graph

    from defenders_kg import KnowledgeGraph
    from defenders_kg.inference import is_junk, to_triples
    from defenders_kg.reasoner import quiet_rdflib

    labels: dict[str, BNode] = {}
    kg = KnowledgeGraph([data])
    with quiet_rdflib():
        graph = Graph().parse(data=_triples_nt(kg), format="nt", bnode_context=labels)
    asserted = set(graph)
    start = time.perf_counter()
    with quiet_rdflib():
        DeductiveClosure(OWLRL_Semantics).expand(graph)
    elapsed = time.perf_counter() - start
    new = Graph()
    for triple in graph:
        if triple not in asserted:
            new.add(triple)
    # rdflib relabels blank nodes as it parses; give them back the store's labels
    relabel = {f"_:{node}": f"_:{label}" for label, node in labels.items()}
    closure = {
        tuple(relabel.get(term, term) for term in triple)
        for triple in to_triples(new)
        if not is_junk(triple)
    }
    return {
        "baseline_s": elapsed,
        "baseline_peak_mb": _peak_mb(),
        "baseline_closure": _digest(closure),  # type: ignore[arg-type]
    }


def _digest(triples: set[tuple[str, str, str]]) -> str:
    """A count and a hash of a set of triples, to compare two closures across processes."""
    import hashlib

    text = "".join(sorted(f"{s} {p} {o} .\n" for s, p, o in triples))
    return f"{len(triples)} {hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _fast_closure(kg: object) -> str:
    import pyoxigraph as ox

    _, path = kg.statements(inference=True)  # type: ignore[attr-defined]
    quads = ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)
    return _digest({(str(q.subject), str(q.predicate), str(q.object)) for q in quads})


def _triples_nt(kg: object) -> str:
    """The asserted triples (ontology and data, not the closure) as N-Triples."""
    store = kg.store(inference=False)  # type: ignore[attr-defined]
    return "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-budget", type=float, default=600.0, help="seconds")
    parser.add_argument("--no-queries", action="store_true", help="time load and inference only")
    parser.add_argument(
        "--fast-runs",
        type=int,
        default=3,
        help="fresh processes per fast figure; the median is shown",
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--close-ontology", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.close_ontology:
        from defenders_kg import KnowledgeGraph

        # The bundled graph shares the ontology: building it caches the ontology's closure.
        KnowledgeGraph().store(inference=True)
        return
    if args.measure or args.baseline:
        result = (
            measure(args.measure, not args.no_queries) if args.measure else baseline(args.baseline)
        )
        print(json.dumps(result))
        return

    from defenders_kg.synth import write_synthetic

    rows = []
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / f"franchise-{scale}.nq"
            write_synthetic(data, scale, args.seed)
            flags = ["--no-queries"] if args.no_queries else []
            ontology_only = Path(folder) / "ontology-only"
            _child(["--close-ontology"], ontology_only)
            cold, cached = [], []
            for run in range(args.fast_runs):
                cold.append(_child(["--measure", data, *flags], Path(folder) / f"empty-{run}"))
                warm = Path(folder) / f"warm-{run}"
                shutil.copytree(ontology_only, warm)
                cached.append(_child(["--measure", data, "--no-queries"], warm))
            row: dict[str, object] = {"scale": scale, **_median(cold)}
            row["cached_infer_s"] = _median(cached)["infer_s"]
            # every run must give the same closure; a difference shows in the table
            row["fast_closure"] = " + ".join(sorted({str(r["fast_closure"]) for r in cold}))
            row["cached_closure"] = " + ".join(sorted({str(r["fast_closure"]) for r in cached}))
            try:
                row.update(_child(["--baseline", data], ontology_only, args.baseline_budget))
            except subprocess.TimeoutExpired:
                row["baseline_over_budget"] = True
        rows.append(row)
        print(f"K={scale} done", file=sys.stderr)
    _print_tables(rows, args.baseline_budget)


def _median(runs: list[dict[str, object]]) -> dict[str, object]:
    """The run whose inference time is the median (the lower one of an even number)."""
    ordered = sorted(runs, key=lambda run: float(run["infer_s"]))  # type: ignore[arg-type]
    return ordered[(len(ordered) - 1) // 2]


def _child(
    arguments: list[str | Path], cache: Path, timeout: float | None = None
) -> dict[str, object]:
    """Run this script in a fresh process with ``cache`` as its on-disk cache; its JSON answer."""
    command = [sys.executable, __file__, *map(str, arguments)]
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(cache)}
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=timeout, env=env
    )
    lines = done.stdout.strip().splitlines()
    result: dict[str, object] = json.loads(lines[-1]) if lines else {}
    return result


def _print_tables(rows: list[dict[str, object]], budget: float) -> None:
    print(
        "| K | asserted | inferred | load s | infer s (fast, ontology closed in the run) | "
        "infer s (fast, ontology closure cached) | owlrl s (baseline) | speed-up (in the run / "
        "cached) | closures (fast / fast cached / owlrl) | all queries s | load+infer+queries s | "
        "peak MB (load / infer / queries) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        queries = row["queries"]
        query_total = sum(t for t, _ in queries.values())  # type: ignore[attr-defined]
        fast, cached = float(row["infer_s"]), float(row["cached_infer_s"])  # type: ignore[arg-type]
        digests = [row["fast_closure"], row["cached_closure"], row.get("baseline_closure")]
        if "baseline_s" in row:
            owlrl = float(row["baseline_s"])  # type: ignore[arg-type]
            baseline = f"{owlrl:.2f}"
            speedup = f"{owlrl / fast:.1f}x / {owlrl / cached:.1f}x"
            same = len(set(digests)) == 1
        else:
            baseline = f"> {budget:.0f} (stopped at the budget)"
            speedup = f"> {budget / fast:.1f}x / > {budget / cached:.1f}x"
            same = digests[0] == digests[1]
        verdict = "identical" if same else "DIFFER"
        print(
            f"| {row['scale']} | {row['asserted']} | {row['inferred']} | {row['load_s']:.2f} | "
            f"{fast:.2f} | {cached:.2f} | {baseline} | {speedup} | "
            f"{verdict} ({' / '.join(str(d) for d in digests if d)}) | {query_total:.2f} | "
            f"{row['total_s']:.2f} | "
            f"{row['load_peak_mb']:.0f} / {row['infer_peak_mb']:.0f} / {row['query_peak_mb']:.0f} |"
        )
    names = sorted(rows[0]["queries"])  # type: ignore[call-overload]
    if not names:
        return
    print()
    print("| query | " + " | ".join(f"K={row['scale']} s (rows)" for row in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name in names:
        cells = [f"{row['queries'][name][0]:.3f} ({row['queries'][name][1]})" for row in rows]  # type: ignore[index]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
