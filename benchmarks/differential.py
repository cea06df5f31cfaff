"""Differential benchmark: generated RL ontologies and data sets through both engines.

Runs ``--cases`` seeded cases from ``tests/rl_generator.py`` (seeds ``--start`` onwards) through
the fast engine and owlrl, in ``--jobs`` processes, and prints the seed of every case on which
they differ (with the case itself), then a summary: cases, differences, cases the fast rules
answered themselves, hand-offs to owlrl, inconsistencies, time.

    python benchmarks/differential.py [--cases 10000] [--start 0] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rl_support import check_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    seeds = range(args.start, args.start + args.cases)
    differences = handed_off = done = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for seed, difference, handoff in pool.map(check_seed, seeds, chunksize=16):
            done += 1
            handed_off += handoff
            if difference:
                differences += 1
                print(f"DIFFERENCE at seed {seed}\n{difference}\n", flush=True)
            if sys.stderr.isatty() and done % 100 == 0:
                print(f"\r{done}/{args.cases}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(
        f"cases {done} (seeds {args.start} to {args.start + args.cases - 1}); "
        f"differences {differences}; answered by the fast rules {done - handed_off}; "
        f"handed off to owlrl {handed_off}; {elapsed:.0f} s with {args.jobs} processes"
    )
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
