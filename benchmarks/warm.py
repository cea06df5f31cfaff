"""A big synthetic franchise: cold stats and export, then warm queries beside pyoxigraph alone.

1. ``defenders-kg --data franchise.nq stats`` and ``... export --inferred -o out.nq``, each with an
   empty cache: wall time and peak resident memory of the process (stats's is the cold build's).
2. Warm canned queries: ``defenders-kg --data franchise.nq query NAME --format tsv``, against the
   baseline of a fresh Python process that opens the same persisted store read-only with pyoxigraph,
   runs the same query text over the union default graph and writes TSV. Runs alternate, and the
   script prints the medians and their ratio.

    python benchmarks/warm.py --scale 10000 [--runs 5] [--queries cast evidence] [--warm-only]
    python benchmarks/warm.py --warm-only --queries evidence --folder /tmp/defenders-kg-warm-XXXX
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import sys
import pyoxigraph as ox
path, query_file = sys.argv[1:3]
store = ox.Store.read_only(path)
text = open(query_file, encoding="utf-8").read()
answer = store.query(text, use_default_graph_as_union=True)
sys.stdout.buffer.write(answer.serialize(format=ox.QueryResultsFormat.TSV))
"""


def timed(command: list[str], env: dict[str, str], **kwargs: object) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process, its output thrown away."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:6]} failed")
    return elapsed, usage.ru_maxrss / 1024


def _empty(cache: Path) -> Path:
    """``cache`` if it does not exist yet, otherwise a fresh folder beside it."""
    if not cache.exists():
        return cache
    return Path(tempfile.mkdtemp(prefix=f"{cache.name}-cold-", dir=cache.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="series in the franchise")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each command")
    parser.add_argument("--queries", nargs="+", default=["cast", "timeline", "evidence"])
    parser.add_argument(
        "--entity", default="Synthetic Series 1", help="the entity evidence is asked for"
    )
    parser.add_argument(
        "--folder",
        type=Path,
        help="work folder of an earlier run: its franchise.nq and cache are used again",
    )
    parser.add_argument(
        "--warm-only", action="store_true", help="skip the cold runs; the cache is built in-process"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from defenders_kg import KnowledgeGraph, get_query

    folder = args.folder or Path(tempfile.mkdtemp(prefix="defenders-kg-warm-"))
    kg = [sys.executable, "-m", "defenders_kg"]
    data = folder / "franchise.nq"
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    # An installed package runs from compiled bytecode (pip writes it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module of the package on every run instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not data.exists():
        subprocess.run([*kg, "synth", "--scale", str(args.scale), "--seed", str(args.seed), "-o",
                        str(data)], env=env, check=True, stderr=subprocess.DEVNULL)  # fmt: skip
    print(f"K={args.scale}: {data.stat().st_size / 1e6:.0f} MB of N-Quads")

    if not args.warm_only:
        # A reused folder's caches are warm: the cold runs then get fresh ones, removed after.
        cold = _empty(folder / "cache")
        stats = timed(
            [*kg, "--data", str(data), "stats"], {**env, "DEFENDERS_KG_CACHE_DIR": str(cold)}
        )
        print(f"cold stats (builds the cache)   {stats[0]:8.1f} s  peak {stats[1]:7.0f} MB  "
              "(the cold build's peak RSS; target < 2048 MB at K = 10,000)")  # fmt: skip
        cold_export = _empty(folder / "cache-export")
        out = folder / "out.nq"
        export = timed(
            [*kg, "--data", str(data), "export", "--inferred", "-o", str(out)],
            {**env, "DEFENDERS_KG_CACHE_DIR": str(cold_export)},
        )
        for used, named in ((cold, "cache"), (cold_export, "cache-export")):
            if used != folder / named:
                shutil.rmtree(used)
        print(f"cold export --inferred (nquads) {export[0]:8.1f} s  peak {export[1]:7.0f} MB")

    os.environ["DEFENDERS_KG_CACHE_DIR"] = env["DEFENDERS_KG_CACHE_DIR"]
    graph = KnowledgeGraph([data])
    print(f"{'warm query':24} {'defenders-kg s':>15} {'pyoxigraph s':>13} {'ratio':>6}")
    for name in args.queries:
        canned = get_query(name)
        query_file = folder / f"{name}.rq"
        query_file.write_text(canned.text, encoding="utf-8")
        store = graph.store_path(inference=canned.inference)
        params = {"entity": args.entity} if any(p.name == "entity" for p in canned.params) else {}
        query_file.write_text(canned.bind(params), encoding="utf-8")
        ours = [*kg, "--data", str(data), "query", name, "--format", "tsv"]
        ours += [f"--param={key}={value}" for key, value in params.items()]
        base = [sys.executable, "-c", BASELINE, str(store), str(query_file)]
        ours_times, base_times = [], []
        for _ in range(args.runs):
            ours_times.append(timed(ours, env)[0])
            base_times.append(timed(base, env)[0])
        a, b = statistics.median(ours_times), statistics.median(base_times)
        print(f"{name:24} {a:15.3f} {b:13.3f} {a / b:6.2f}  (target <= 2)")


if __name__ == "__main__":
    main()
