"""Differential testing: random small RL ontologies and data sets through both engines.

The generator (tests/rl_generator.py) is seeded, so a failure names a seed that reproduces it:
``python benchmarks/differential.py --start SEED --cases 1``. The benchmark runs 10,000 cases.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from rl_generator import generate
from rl_support import check_seed

CASES = 240
FIRST_SEED = 1_000_000  # apart from the benchmark's seeds, 0 to 9,999


def test_the_generator_is_seeded_and_varied() -> None:
    assert generate(5) == generate(5)
    cases = [generate(seed) for seed in range(20)]
    assert len({frozenset(o | d) for o, d in cases}) == 20
    assert any(t[0].startswith("_:") for o, d in cases for t in o | d)
    assert any(t[2].startswith('"') for o, d in cases for t in d)


def test_the_engines_agree_on_generated_cases() -> None:
    # two processes: owlrl costs some 0.2 s even on a tiny graph
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(check_seed, range(FIRST_SEED, FIRST_SEED + CASES), chunksize=8))
    assert len(results) == CASES
    differences = [difference for _, difference, _ in results if difference]
    assert not differences, "\n\n".join(differences)
    handled = sum(not handed_off for _, _, handed_off in results)
    # most cases must exercise the fast rules themselves, not only the hand-off
    assert handled > CASES // 2
