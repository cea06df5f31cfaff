"""Start-up benchmark: a warm `defenders-kg query actors-reprising-roles` against `import rdflib`.

Both commands run alternately in fresh processes, so that machine load hits them alike; the
script prints each median wall time and their ratio (the target is at most 0.8; 0.4 would
mean nothing is imported that a warm query does not use).

    python benchmarks/startup.py [--runs 21]
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


def wall_time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()

    cli = shutil.which("defenders-kg", path=os.path.dirname(sys.executable)) or "defenders-kg"
    query = [cli, "query", "actors-reprising-roles"]
    baseline = [sys.executable, "-c", "import rdflib"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": cache}
        # rdflib runs from the bytecode pip wrote; the package gets the same chance.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold = wall_time(query, env)  # fills the cache
        timings: dict[str, list[float]] = {"query": [], "baseline": []}
        for _ in range(args.runs):
            timings["query"].append(wall_time(query, env))
            timings["baseline"].append(wall_time(baseline, env))

    warm = statistics.median(timings["query"])
    base = statistics.median(timings["baseline"])
    print(f"runs each                                       {args.runs}")
    print(f"cold defenders-kg query (fills the cache)       {cold:.3f} s")
    print(f"warm defenders-kg query actors-reprising-roles  {warm:.3f} s (median)")
    print(f'python -c "import rdflib"                       {base:.3f} s (median)')
    print(f"ratio warm query / import rdflib                 {warm / base:.2f} (target <= 0.8)")


if __name__ == "__main__":
    main()
