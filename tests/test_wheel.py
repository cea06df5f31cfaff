"""The built wheel carries the data: installed into a fresh venv, it works from any directory.
Built from a fresh clone, it carries the query page's editor when npm is on the PATH, and
without npm it still builds and serves the page with its plain editor."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest
import tools
from servers import free_port, running

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "defenders_kg/web/editor/"


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


def fresh_clone(folder: Path) -> Path:
    """The repository's files as a clone of this checkout has them: tracked and new, no ignored
    ones (no node_modules, no built editor)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode("utf-8")  # fmt: skip
    names = [name for name in listed.split("\0") if name and (ROOT / name).is_file()]
    assert "editor/package-lock.json" in names
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)
    return folder


def build_wheel(source: Path, dist: Path, env: dict[str, str]) -> tuple[list[str], str]:
    """The names in the wheel built from ``source``, and what the build printed."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v",
         "-w", str(dist), str(source)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheel = next(dist.glob("defenders_kg-*.whl"))
    return zipfile.ZipFile(wheel).namelist(), done.stdout + done.stderr


def test_a_fresh_clone_with_npm_builds_the_editor_into_the_wheel(tmp_path: Path) -> None:
    tools.require(shutil.which("npm"), tools.NPM)
    source = fresh_clone(tmp_path / "clone")
    env = {**os.environ, "npm_config_cache": str(tmp_path / "npm-cache")}
    names, printed = build_wheel(source, tmp_path / "dist", env)
    assert {f"{EDITOR}editor.js", f"{EDITOR}LICENSES.txt"} <= set(names), printed[-3000:]
    assert [n for n in names if "node_modules" in n or n.startswith("editor/")] == []
    assert "@codemirror/view" in (source / EDITOR / "LICENSES.txt").read_text(encoding="utf-8")


def _without_npm(folder: Path) -> str:
    """A PATH of one folder with a link to each program on PATH but npm."""
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name != "npm" and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(folder)


def test_without_npm_the_build_succeeds_and_serves_the_plain_editor(tmp_path: Path) -> None:
    source = fresh_clone(tmp_path / "clone")
    env = {**os.environ, "PATH": _without_npm(tmp_path / "bin")}
    assert shutil.which("npm", path=env["PATH"]) is None
    names, printed = build_wheel(source, tmp_path / "dist", env)
    said = "defenders-kg build: npm is not on the PATH, so the query page keeps its plain editor"
    assert said in printed
    assert "defenders_kg/web/index.html" in names
    assert [n for n in names if n.startswith(EDITOR)] == []

    # The wheel's package, ahead of the checkout's (-P: not the working directory), serves the page.
    site = tmp_path / "site"
    zipfile.ZipFile(next((tmp_path / "dist").glob("*.whl"))).extractall(site)
    env.update(PYTHONPATH=str(site), DEFENDERS_KG_CACHE_DIR=str(tmp_path / "cache"))
    where = subprocess.run(
        [sys.executable, "-P", "-c", "import defenders_kg; print(defenders_kg.__file__)"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(site))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-P", "-m", "defenders_kg", "serve", "--port", str(port)]
    with running(command, f"{base}/queries", env=env):
        page = urllib.request.urlopen(f"{base}/").read().decode("utf-8")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/editor/editor.js")
    assert "<script src=" not in page
    assert 'id="editor-note"' in page and "npm was not on the PATH" in page
    assert missing.value.code == 404
