"""Interrupted commands leave nothing behind (issue 23): temporary files and folders are removed
on SIGTERM and SIGINT, and swept by the next run after a SIGKILL; a cache that cannot be written
costs a warning, not the answer."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from defenders_kg import KnowledgeGraph
from defenders_kg.cli import main
from defenders_kg.files import SWEEP_AFTER_SECONDS

ROOT = Path(__file__).resolve().parent.parent

#: Runs the CLI with one stage patched to write part of its output, then get signal SIG.
_DYING = """
import os, signal, sys
from defenders_kg import cli, export, load
from defenders_kg.web import site as web_site
stage = sys.argv[1]
signum = getattr(signal, sys.argv[2])
calls = []

def die():
    calls.append(1)
    if len(calls) == 3 or stage != "site":
        os.kill(os.getpid(), signum)

def dying_export(asserted, closure, stream, fmt, **options):
    stream.write(b"half an export")
    die()
    return 0

real_documents = web_site.documents
def dying_documents(*args, **kwargs):
    die()
    return real_documents(*args, **kwargs)

def dying_load(sources, stream):
    stream.write(b"half the statements")
    die()

if stage == "export":
    export.write_export = dying_export
elif stage == "site":
    web_site.documents = dying_documents
else:
    load.write_nquads = dying_load
sys.exit(cli.main(sys.argv[3:]))
"""

COMMANDS = {
    "export": lambda out: ["export", "-o", str(out / "graph.ttl")],
    "site": lambda out: ["site", "-o", str(out / "public")],
    "cache": lambda out: ["query", "creators"],
}


def _dying(stage: str, signum: str, out: Path, env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _DYING, stage, signum, *COMMANDS[stage](out)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


def _hidden(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(".*") if p.name != ".htaccess")


@pytest.mark.parametrize("stage", sorted(COMMANDS))
@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_removes_the_temporaries(stage: str, signum: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"DEFENDERS_KG_CACHE_DIR": str(cache)}
    if stage != "cache":  # the cache filled first, so the signal comes in the stage itself
        subprocess.run([sys.executable, "-m", "defenders_kg", "stats"], env={**os.environ, **env},
                       check=True, capture_output=True)  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    assert _dying(stage, signum, out, env) == 130
    assert list(out.iterdir()) == []
    assert _hidden(cache) == []


@pytest.mark.parametrize("stage", sorted(COMMANDS))
def test_the_next_run_sweeps_what_a_sigkill_left(stage: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"DEFENDERS_KG_CACHE_DIR": str(cache)}
    out = tmp_path / "out"
    out.mkdir()
    assert _dying(stage, "SIGKILL", out, env) == -signal.SIGKILL
    left = _hidden(out) + _hidden(cache)
    assert left, "a killed run leaves its temporary behind"
    for path in left:  # as they look to a run started later
        old = path.stat().st_mtime - SWEEP_AFTER_SECONDS - 1
        os.utime(path, (old, old))
    done = subprocess.run([sys.executable, "-m", "defenders_kg", *COMMANDS[stage](out)],
                          env={**os.environ, **env}, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not [p for p in left if p.exists()]
    assert _hidden(out) == [] or stage == "site"
    if stage == "site":
        assert [p.name for p in _hidden(out)] == [".defenders-kg-site"]


def test_a_killed_no_cache_run_is_swept_from_the_temporary_folder(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"TMPDIR": str(temporary), "DEFENDERS_KG_CACHE_DIR": str(tmp_path / "unused")}
    out = tmp_path / "out"
    out.mkdir()
    code = subprocess.run(
        [sys.executable, "-c", _DYING, "cache", "SIGKILL", "--no-cache", "query", "creators"],
        env={**os.environ, **env}, capture_output=True, cwd=ROOT,
    ).returncode  # fmt: skip
    assert code == -signal.SIGKILL
    (left,) = temporary.iterdir()
    os.utime(left, (0, 0))
    subprocess.run([sys.executable, "-m", "defenders_kg", "--no-cache", "query", "creators"],
                   env={**os.environ, **env}, check=True, capture_output=True)  # fmt: skip
    assert list(temporary.iterdir()) == []


def test_a_temporary_being_written_is_not_swept(tmp_path: Path) -> None:
    from defenders_kg.files import claim, release, sweep

    busy = tmp_path / ".graph.ttl.abcd1234"
    busy.write_bytes(b"")
    os.utime(busy, (0, 0))
    lock = claim(busy)
    script = "import sys; from pathlib import Path; from defenders_kg.files import sweep; "
    script += f"print(sweep(Path({str(tmp_path)!r}), '.graph.ttl.'))"
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert other.stdout.strip() == "0" and busy.exists()
    release(lock)
    assert sweep(tmp_path, ".graph.ttl.") == 1 and not busy.exists()
    mine = tmp_path / ".graph.ttl.backup"  # not a name tempfile makes: never touched
    mine.write_bytes(b"")
    os.utime(mine, (0, 0))
    assert sweep(tmp_path, ".graph.ttl.") == 0 and mine.exists()


def test_a_full_disk_under_the_cache_is_a_warning_naming_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk fills while the cache is written: no real full disk can be made without a
    system path, so every file opened for writing under the cache fails, as ENOSPC would."""
    from defenders_kg import kg as kg_module

    cache = tmp_path / "cache"
    monkeypatch.setenv("DEFENDERS_KG_CACHE_DIR", str(cache))
    data = tmp_path / "k.ttl"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")

    class Full:
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, chunk: bytes) -> int:
            self.stream.write(chunk[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.stream, name)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

    real_open = open

    def full_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        stream = real_open(path, mode, *args, **kwargs)
        if "w" in mode and Path(path).is_relative_to(cache):
            return Full(stream)
        return stream

    monkeypatch.setattr(kg_module, "open", full_open, raising=False)
    assert main(["--data", str(data), "sparql", "SELECT ?o WHERE { <urn:a> ?p ?o }"]) == 0
    captured = capsys.readouterr()
    assert "urn:c" in captured.out
    (line,) = captured.err.splitlines()
    assert line.startswith(f"defenders-kg: warning: cannot write the cache {cache} (No space")
    assert str(data) not in line
    assert _hidden(cache) == [] and not list(cache.glob("*/asserted"))  # nothing half-made


def test_a_cache_that_is_a_file_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("DEFENDERS_KG_CACHE_DIR", str(blocked))
    assert len(KnowledgeGraph().query("creators").rows) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"defenders-kg: warning: cannot write the cache {blocked}")
