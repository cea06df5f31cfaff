"""The package's layout rules that code review alone would let slip: vocabulary IRIs spelled in one
module, terms converted in one, and ``web`` modules that hand each other typed results."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import defenders_kg
from defenders_kg import vocab
from defenders_kg.results import QueryResult
from defenders_kg.web import lookup

PACKAGE = Path(defenders_kg.__file__).parent
#: Modules that other work rewrites at the same time; each still spells some IRIs itself.
NOT_YET: set[str] = set()
NAMESPACES = sorted({*vocab.PREFIXES.values(), vocab.SD, vocab.SITE}, key=len, reverse=True)


def _strings(tree: ast.Module) -> list[tuple[int, str]]:
    """The string constants of a module, its docstrings (and their doctests) left out."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value if isinstance(node.value, str) else node.value.decode("latin-1"))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
        and id(node) not in docstrings
    ]  # fmt: skip


def test_vocabulary_iris_are_spelled_only_in_vocab() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE))
        if name in NOT_YET or name == "vocab.py":
            continue
        for line, text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            spelled = [namespace for namespace in NAMESPACES if namespace in text]
            if spelled:
                found.append(f"{name}:{line}: {spelled[0]}")
    assert not found


def test_no_module_of_web_reads_sparql_json() -> None:
    for path in sorted((PACKAGE / "web").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for raw in ("QueryResultsFormat", "json.loads", '"bindings"', "parse_query_results"):
            assert raw not in text, (path.name, raw)


def test_a_runner_answers_with_a_query_result() -> None:
    hints = typing.get_type_hints(lookup.Runner.query)
    assert hints["return"] is QueryResult


def test_no_module_of_web_is_much_over_400_lines() -> None:
    for path in sorted((PACKAGE / "web").glob("*.py")):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 420, path.name
