"""The inferred export of the synthetic franchise in every format: peak memory beside Oxigraph's.

1. ``defenders-kg --data franchise.nq export --inferred --format nt`` with an empty cache (it
   parses, infers and writes): wall time and peak resident memory, the build's cost included.
2. For each format, a warm ``export --inferred --format F -o out`` (the cache built), beside two
   baselines run in the same invocation: pyoxigraph in a fresh process parsing the cache's
   N-Quads and closure and serializing them in F (no sorting, no merging of graphs), and
   ``oxigraph convert`` of the export just written to the same format. Each process's peak
   resident memory is taken by GNU time, and the script prints the ratio to pyoxigraph's.

    python benchmarks/export.py --scale 1000 [--formats nt turtle] [--folder DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from remote import run

#: Peak resident memory a warm export may reach at any scale.
TARGET_MB = 150

BASELINE = """
import sys
import pyoxigraph as ox
asserted, closure, graph, kind, target = sys.argv[1:6]
fmt = ox.RdfFormat.from_extension(target.rpartition(".")[2])
inferred = ox.NamedNode(graph)
def statements():
    yield from ox.parse(path=asserted, format=ox.RdfFormat.N_QUADS)
    for quad in ox.parse(path=closure, format=ox.RdfFormat.N_TRIPLES):
        yield ox.Quad(quad.subject, quad.predicate, quad.object, inferred)
dataset = kind == "dataset"
ox.serialize((q if dataset else q.triple for q in statements()), target, format=fmt)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1000, help="series in the franchise")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--formats", nargs="+", help="export formats (default: all six)")
    parser.add_argument(
        "--folder", type=Path, help="work folder of an earlier run: its data and cache are reused"
    )
    args = parser.parse_args()

    from defenders_kg import KnowledgeGraph, formats
    from defenders_kg.export import EXPORT_FORMATS
    from defenders_kg.vocab import INFERRED_GRAPH

    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    if oxigraph is None:
        sys.exit("the oxigraph CLI (a dev dependency) is needed beside this Python")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="defenders-kg-export-"))
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from bytecode
    kg = [sys.executable, "-m", "defenders_kg"]
    data = folder / "franchise.nq"
    if not data.exists():
        subprocess.run([*kg, "synth", "--scale", str(args.scale), "--seed", str(args.seed), "-o",
                        str(data)], env=env, check=True, stderr=subprocess.DEVNULL)  # fmt: skip
    print(f"K={args.scale}: {data.stat().st_size / 1e6:.0f} MB of N-Quads in {folder}")

    cold_out = folder / "cold.nt"
    cold = [*kg, "--data", str(data), "export", "--inferred", "--format", "nt", "-o", str(cold_out)]
    seconds, peak = run(cold, env)
    lines = cold_out.read_bytes().count(b"\n")
    print(f"cold export --inferred --format nt (build + export): {seconds:.1f} s, peak {peak:.0f} "
          f"MB, {lines} triples")  # fmt: skip

    os.environ["DEFENDERS_KG_CACHE_DIR"] = env["DEFENDERS_KG_CACHE_DIR"]
    asserted, closure = KnowledgeGraph([data]).statements(inference=True)
    assert closure is not None
    print(f"{'format':8} {'export s':>9} {'MB':>6} {'pyoxigraph s':>13} {'MB':>6} "
          f"{'convert s':>10} {'MB':>6} {'MB ratio':>9}  target")  # fmt: skip
    for name in args.formats or EXPORT_FORMATS:
        fmt = formats.get(name)
        suffix = fmt.suffixes[0]
        out, base_out, copy = (folder / f"{stem}{suffix}" for stem in ("out", "base", "copy"))
        ours = [*kg, "--data", str(data), "export", "--inferred", "--format", name, "-o", str(out)]
        ours_s, ours_mb = run(ours, env)
        base = [sys.executable, "-c", BASELINE, str(asserted), str(closure), INFERRED_GRAPH,
                fmt.kind, str(base_out)]  # fmt: skip
        base_s, base_mb = run(base, env)
        convert_s, convert_mb = run([oxigraph, "convert", "-f", str(out), "-t", str(copy)], env)
        verdict = "met" if ours_mb <= TARGET_MB else "NOT met"
        print(f"{name:8} {ours_s:9.1f} {ours_mb:6.0f} {base_s:13.1f} {base_mb:6.0f} "
              f"{convert_s:10.1f} {convert_mb:6.0f} {ours_mb / base_mb:9.2f}  "
              f"<= {TARGET_MB} MB {verdict}")  # fmt: skip
        for path in (out, base_out, copy):
            path.unlink()


if __name__ == "__main__":
    main()
