"""A machine with only what the README asks for: without Graphviz and Chromium, the tests that
need them are skipped with their reason, and in CI the same missing tools fail the run.

Each case runs pytest on the tests that need a tool, in a subprocess whose PATH holds links to
every program of this one's PATH except the tools hidden.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tools

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = {"dot", "chromium", "chromium-browser", "chromedriver"}
#: The tests that need a hidden tool: (pytest arguments, what the skips say, the reason).
#: The browser test skips as a whole file (twice: as tests and as doctests), so pytest, which
#: then ran nothing, exits 5.
NEEDY = [
    (["tests/test_boundary.py", "-k", "help_example_runs and diagram"], "1 skipped", tools.DOT),
    (["tests/test_ecosystem.py", "-k", "each_diagram_is_drawn"], "6 skipped", tools.DOT),
    (["tests/test_browser.py"], "2 skipped", tools.BROWSER),
]
NOTHING_RAN = 5


@pytest.fixture(scope="module")
def bare_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH of one folder with a link to each program on PATH, the hidden tools left out."""
    folder = tmp_path_factory.mktemp("bin")
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name in HIDDEN or link.exists() or not os.access(entry.path, os.X_OK):
                continue
            link.symlink_to(entry.path)
    assert not HIDDEN & {p.name for p in folder.iterdir()}
    return str(folder)


def _pytest(args: list[str], path: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = path
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", "-rsf", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.mark.parametrize(("args", "skips", "tool"), NEEDY, ids=lambda v: str(v))
def test_a_missing_tool_skips_with_its_reason(
    args: list[str], skips: str, tool: str, bare_path: str
) -> None:
    done = _pytest(args, bare_path, ci=False)
    assert done.returncode in (0, NOTHING_RAN), done.stdout[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith(skips) and not re.search("passed|failed|error", summary), summary
    assert tool in done.stdout, "the reason is named"


@pytest.mark.parametrize(("args", "skips", "tool"), NEEDY, ids=lambda v: str(v))
def test_a_missing_tool_fails_in_ci(args: list[str], skips: str, tool: str, bare_path: str) -> None:
    done = _pytest(args, bare_path, ci=True)
    assert done.returncode not in (0, NOTHING_RAN), done.stdout[-3000:]
    assert "CI must run this test" in done.stdout and tool in done.stdout
    assert "skipped" not in done.stdout
