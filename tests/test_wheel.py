"""The built wheel carries the data: installed into a fresh venv, it works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_runs_from_elsewhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(dist.glob("defenders_kg-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for required in (
        "defenders_kg/_data/ontology/defenders.ttl",
        "defenders_kg/_data/graph/document.ttl",
        "defenders_kg/_data/queries/evidence.rq",
        "defenders_kg/py.typed",
        "defenders_kg/web/index.html",
        "defenders_kg/web/page.css",
        "defenders_kg/web/templates/base.html",
        "defenders_kg/web/templates/entity.html",
        "defenders_kg/_data/ontology/context.jsonld",
        "defenders_kg/_data/ontology/shapes/defenders-shapes.ttl",
    ):
        assert required in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True)

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(bin_dir / "defenders-kg"), "query", "actors-reprising-roles"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        check=True,
    )
    for name in (
        "Charlie Cox",
        "Matt Murdock",
        "Daredevil",
        "Krysten Ritter",
        "Mike Colter",
        "Finn Jones",
        "Iron Fist",
    ):
        assert name in done.stdout
    located = subprocess.run(
        [str(bin_dir / "python"), "-c", "import defenders_kg.paths as p; print(p.data_root())"],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        check=True,
    )
    assert "site-packages" in located.stdout
