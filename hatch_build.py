"""Hatchling build hook: bundle the query page's SPARQL editor (the npm project in ``editor/``)
into ``defenders_kg/web/editor/`` when npm is on the PATH.

Without npm, or when npm fails, the build still succeeds: it says so in one line, and the query
page keeps its plain textarea and says so too. A wheel gets the bundle through ``force_include``
(the folder is gitignored, so hatchling would leave it out); an editable install serves it from
the source tree, where the build wrote it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

EDITOR = "defenders_kg/web/editor"


class EditorBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        project = Path(self.root) / "editor"
        npm = shutil.which("npm")
        if npm is None:
            _say("npm is not on the PATH, so the query page keeps its plain editor "
                 "(install Node.js and npm, then reinstall, for the SPARQL editor)")  # fmt: skip
            return
        try:
            # npm ci empties node_modules first: only when the lock file changed since.
            installed = project / "node_modules" / ".package-lock.json"
            lock = project / "package-lock.json"
            if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
                _npm(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=project)
            _npm(npm, "run", "build", cwd=project)
        except (OSError, subprocess.CalledProcessError) as err:
            output = getattr(err, "stderr", None) or getattr(err, "stdout", None) or str(err)
            last = (output.strip().splitlines() or [""])[-1]
            _say(f"npm could not build the SPARQL editor ({last}), so the query page keeps its "
                 "plain editor")  # fmt: skip
            return
        if version != "editable":
            build_data["force_include"][str(Path(self.root) / EDITOR)] = EDITOR


def _npm(npm: str, *args: str, cwd: Path) -> None:
    subprocess.run([npm, *args], cwd=cwd, check=True, capture_output=True, text=True)


def _say(message: str) -> None:
    print(f"defenders-kg build: {message}", file=sys.stderr, flush=True)
