"""The export round trip of tests/test_export_roundtrip.py, run longer.

Generates ``--examples`` fuzzed graphs (tests/export_fuzz.py: random IRIs, literals of every
code point class, language tags, datatypes, blank-node cycles and self-loops), exports each in
every format, reads each export back with rdflib and Oxigraph and compares by isomorphism. Prints
each failure with its graph (keep it as an ``@example`` in the test), then the examples tried,
the exports checked, the refusals and the failures found.

    python benchmarks/fuzz_export.py [--examples 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pyoxigraph as ox
from export_fuzz import EXPORT_FORMATS, cache_text, quads, roundtrip
from hypothesis import HealthCheck, Phase, given, seed, settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # rdflib warns of, and logs, every ill-typed literal it reads
    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    tried, checked, refused, failures = 0, 0, 0, 0

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # keep going: count every failure, shrink none
        suppress_health_check=list(HealthCheck),
    )
    @given(dataset=quads())
    def explore(dataset: list[ox.Quad]) -> None:
        nonlocal tried, checked, refused, failures
        tried += 1
        text = cache_text(dataset)
        for name in EXPORT_FORMATS:
            checked += 1
            was_refused, failure = roundtrip(text, name)
            refused += was_refused
            if failure is None:
                continue
            failures += 1
            print(f"FAILURE ({name}) for {dataset!r}\n{failure}\n", flush=True)

    started = time.perf_counter()
    explore()
    print(
        f"examples tried {tried}, exports checked {checked}, refused {refused}, "
        f"failures found {failures} "
        f"in {time.perf_counter() - started:.0f} s (seed {args.seed})"
    )
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
