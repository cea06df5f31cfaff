"""Where a cold build's memory goes: the peak resident memory of each stage of filling the cache.

A fresh process builds both layers of the synthetic franchise (``KnowledgeGraph.statements``
with an empty cache). Each stage of the build is wrapped; at every stage boundary the process
reads its peak resident set (``VmHWM``), prints it for the stretch since the last boundary and
resets it (``/proc/self/clear_refs``); the build's peak is the largest of them.

    python benchmarks/build.py --scales 1000 3000 10000 [--folder DIR]
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The stages wrapped, as (module, attribute): each is timed and measured apart.
STAGES = [
    ("defenders_kg.load", "write_nquads"),
    ("defenders_kg.kg", "KnowledgeGraph._build_asserted"),
    ("defenders_kg.kg", "_fill"),
    ("defenders_kg.kg", "KnowledgeGraph._tbox"),
    ("defenders_kg.inference", "infer_triples"),
    ("defenders_kg.kg", "KnowledgeGraph._build_inferred"),
]


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


class Marks:
    """Prints the peak of each stretch between two stage boundaries, then resets the peak."""

    def __init__(self) -> None:
        self.last = "start"
        self.since = time.monotonic()
        self.peak = 0.0

    def __call__(self, event: str) -> None:
        peak, now = _status("VmHWM"), _status("VmRSS")
        seconds = time.monotonic() - self.since
        self.peak = max(self.peak, peak)
        print(f"  {self.last + ' -> ' + event:48} {seconds:7.1f} s  peak {peak:6.0f} MB  "
              f"then {now:6.0f} MB", flush=True)  # fmt: skip
        Path("/proc/self/clear_refs").write_text("5")
        self.last, self.since = event, time.monotonic()


def _wrapped(name: str, function: Callable[..., Any], mark: Marks) -> Callable[..., Any]:
    short = name.removeprefix("KnowledgeGraph.")

    @functools.wraps(function)
    def stage(*args: Any, **kwargs: Any) -> Any:
        mark(f"begin {short}")
        try:
            return function(*args, **kwargs)
        finally:
            mark(f"end {short}")

    return stage


def child(data: Path) -> None:
    import importlib

    from defenders_kg import KnowledgeGraph

    mark = Marks()
    for module_name, attribute in STAGES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, _wrapped(attribute, getattr(owner, name), mark))
    started = time.monotonic()
    KnowledgeGraph([data]).statements(inference=True)
    mark("built")
    print(f"cold build {time.monotonic() - started:.1f} s, peak {mark.peak:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", type=Path, help="where the data files are kept between runs")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    folder = args.folder or Path(tempfile.mkdtemp(prefix="defenders-kg-build-"))
    folder.mkdir(parents=True, exist_ok=True)
    kg = [sys.executable, "-m", "defenders_kg"]
    for scale in args.scales:
        data = folder / f"k{scale}.nq"
        env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder / f"cache-{scale}-{time.time()}")}
        if not data.exists():
            subprocess.run([*kg, "synth", "--scale", str(scale), "--seed", str(args.seed), "-o",
                            str(data)], env=env, check=True, stderr=subprocess.DEVNULL)  # fmt: skip
        print(f"K={scale}: {data.stat().st_size / 1e6:.0f} MB of N-Quads", flush=True)
        subprocess.run([sys.executable, __file__, "--child", str(data)], env=env, check=True)


if __name__ == "__main__":
    main()
