"""A cold inferred export of the synthetic franchise, beside what Oxigraph alone needs for it.

The measured command is ``defenders-kg --data franchise.nq export --inferred --format nt -o out.nt``
with an empty cache: it parses, infers, and writes the sorted N-Triples. The baseline, run in
the same invocation of this script, is pyoxigraph in a fresh process bulk-loading the same input
plus the produced output, then dumping the output as N-Triples: the cost of the data's size alone.
The script prints both wall times, the peak memory of each process and the ratio.

    python benchmarks/export.py --scale 1000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import sys
import pyoxigraph as ox
source, produced, dumped = sys.argv[1:4]
store = ox.Store()
store.bulk_load(path=source, format=ox.RdfFormat.N_QUADS)
store.bulk_load(path=produced, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:out"))
store.dump(dumped, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode("urn:out"))
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:4]} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1000, help="series in the franchise")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-export-"))
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    kg = [sys.executable, "-m", "defenders_kg"]
    data = folder / "franchise.nq"
    subprocess.run([*kg, "synth", "--scale", str(args.scale), "--seed", str(args.seed), "-o",
                    str(data)], env=env, check=True, stderr=subprocess.DEVNULL)  # fmt: skip
    out = folder / "out.nt"
    command = [*kg, "--data", str(data), "export", "--inferred", "--format", "nt", "-o", str(out)]
    ours, our_rss = timed(command, env)
    baseline = [sys.executable, "-c", BASELINE, str(data), str(out), str(folder / "dumped.nt")]
    base, base_rss = timed(baseline, env)

    lines = out.read_bytes().count(b"\n")
    print(f"K={args.scale}: {data.stat().st_size / 1e6:.0f} MB of N-Quads in, {lines} triples out")
    print(f"defenders-kg export --inferred --format nt (cold)  {ours:7.2f} s  {our_rss:6.0f} MB")
    print(f"pyoxigraph load input + output, dump output         {base:7.2f} s  {base_rss:6.0f} MB")
    print(f"ratio                                               {ours / base:7.2f}  (target <= 5)")


if __name__ == "__main__":
    main()
