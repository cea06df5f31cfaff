"""Stage 3c: SPARQL evaluation with Oxigraph, under the query policy.

Every interface (library, CLI, endpoint, entity pages) evaluates through ``run``, so a query gets
the same answer, or the same refusal, everywhere. The default graph is the union of the store's
graphs, relative IRIs resolve against ``policy.BASE_IRI``, and the project's prefixes
(``vocab.PREFIXES``, those every table prints) need no PREFIX line; a query's own PREFIX wins.

Evaluation runs on a thread with a large stack: Oxigraph's parser and evaluator recurse, and a
deeply nested query would otherwise overflow the stack and kill the process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TypeVar

import pyoxigraph as ox

from . import policy
from .errors import QueryEvaluationError, QuerySyntaxError
from .results import QueryResult
from .vocab import PREFIXES

_POSITION = re.compile(r"error at (\d+):(\d+)")
_STACK_BYTES = 256 * 1024 * 1024
T = TypeVar("T")
_where = threading.local()


def run(store: ox.Store, text: str, *, max_rows: int | None = None) -> QueryResult:
    """Evaluate a SPARQL 1.1 query over ``store`` after ``policy.check``.

    Raises ``QueryRefusedError`` (policy), ``QuerySyntaxError`` (with line and column),
    ``QueryEvaluationError`` or, past ``max_rows``, ``ResultTooLargeError``.
    """
    policy.check(text)

    def evaluate() -> QueryResult:
        try:
            answer = store.query(
                text, base_iri=policy.BASE_IRI, prefixes=PREFIXES, use_default_graph_as_union=True
            )
            return QueryResult.from_oxigraph(
                answer, max_rows=max_rows, order=policy.star_order(text)
            )
        except SyntaxError as err:
            raise QuerySyntaxError(f"malformed SPARQL: {_describe(err, text)}") from None
        except (OSError, RuntimeError, ValueError, TypeError) as err:
            raise QueryEvaluationError(f"query failed: {err}") from None

    return on_big_stack(evaluate)


def on_big_stack(work: Callable[[], T]) -> T:
    """Run ``work`` on a thread with a stack large enough for deeply nested queries.

    On such a thread already (a server worker runs its whole loop on one), it runs in place.
    """
    if getattr(_where, "big_stack", False):
        return work()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        _where.big_stack = True
        try:
            outcome.append(work())
        except BaseException as err:  # handed back to the calling thread as it is
            failure.append(err)

    previous = threading.stack_size(_STACK_BYTES)
    try:
        thread = threading.Thread(target=target, name="defenders-kg-query", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def _describe(err: SyntaxError, text: str) -> str:
    """The parser's message, with 'line L, column C' and the offending line where known."""
    message = str(err.msg if err.msg else err)
    match = _POSITION.search(message)
    if not match:
        return message
    line, column = int(match.group(1)), int(match.group(2))
    reason = _POSITION.sub("", message).strip(" :").splitlines()[0][:160]
    lines = text.splitlines()
    context = f"\n  {lines[line - 1]}\n  {' ' * (column - 1)}^" if 0 < line <= len(lines) else ""
    return f"line {line}, column {column}: {reason}{context}"
