"""The README's console blocks, run: every command shown with its output must print that output.

A console block (```` ```console ````) holds commands, each on a line that starts with ``$ ``
(continued on the next lines while a quote is open or the line ends with ``\\``), and after
each, the output it prints. ``...`` in an output stands for any text, as in a doctest with
ELLIPSIS, so a long line or a run of lines can be shortened; anything else must be exact. To
show one more row, add its line to the output (and raise a ``head -N``).

Commands run in bash, in a fresh folder, with the package's ``defenders-kg`` first on PATH, the
test session's cache, no ``$COLUMNS`` (a table is then as wide as it needs) and, for ``curl``, the
test endpoint in place of ``http://127.0.0.1:8000`` (in the output too). The Python blocks run
as doctests (pytest's ``--doctest-glob=README.md``).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SERVE_BASE = "http://127.0.0.1:8000"


class Example(NamedTuple):
    line: int  # where the command starts in README.md
    command: str
    output: str


def console_examples(text: str) -> list[Example]:
    """Every command of every console block, with the output shown after it."""
    examples: list[Example] = []
    for block in BLOCK.finditer(text):
        first_line = text.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).splitlines()
        index = 0
        while index < len(lines):
            assert lines[index].startswith("$ "), f"README.md:{first_line + index}: not a command"
            start = index
            command = [lines[index][2:]]
            while not _complete("\n".join(command)):
                index += 1
                command.append(lines[index])
            index += 1
            output = []
            while index < len(lines) and not lines[index].startswith("$ "):
                output.append(lines[index])
                index += 1
            examples.append(Example(first_line + start, "\n".join(command), "\n".join(output)))
    return examples


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command)
    except ValueError:  # a quote is still open
        return False
    return True


EXAMPLES = console_examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_console_examples() -> None:
    assert len(EXAMPLES) >= 10
    assert any(e.command.startswith("defenders-kg query evidence") for e in EXAMPLES)
    assert any(e.command.startswith("curl ") for e in EXAMPLES)


def test_ellipsis_stands_for_any_text() -> None:
    assert matches("a\n...\nz", "a\nb\nc\nz") and matches("x, ... y", "x, 1, 2 y")
    assert not matches("a\nz", "a\nb\nz") and not matches("a", "a\nb")


def matches(expected: str, printed: str) -> bool:
    """Whether ``printed`` is ``expected``, each ``...`` standing for any text (final newlines
    aside)."""
    pattern = ".*?".join(re.escape(part) for part in expected.rstrip("\n").split("..."))
    return re.fullmatch(pattern, printed.rstrip("\n"), flags=re.DOTALL) is not None


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line {e.line}")
def test_a_readme_command_prints_what_the_readme_shows(
    example: Example, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    command, expected = example.command, example.output
    if command.startswith("curl "):
        base: str = request.getfixturevalue("endpoint")
        command, expected = command.replace(SERVE_BASE, base), expected.replace(SERVE_BASE, base)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, timeout=600
    )
    printed = done.stdout.decode("utf-8").replace("\r\n", "\n")
    assert done.returncode == 0, f"README.md:{example.line}: {done.stderr.decode()}"
    where = f"line {example.line}: `{command}`"
    assert matches(expected, printed), f"{where} printed\n{printed}\nnot as shown:\n{expected}"
