#!/usr/bin/env bash
# The test command: make a virtual environment (VENV, default .venv), install the package with its
# dev group, then lint, format-check, type-check and run the tests. Any failure fails the whole.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip>=25.1"
"$VENV/bin/python" -m pip install --quiet --group dev --editable .

"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"
# pytest exits 5 when it collects nothing; set -e turns that (like any failure) into a failed run.
"$VENV/bin/python" -m pytest "$@"
