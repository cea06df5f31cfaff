"""Stage 3c: SPARQL evaluation with Oxigraph over the cached asserted graph and closure.

rdflib parses, infers and validates; Oxigraph answers queries. Its query engine is far faster
than rdflib's and starts in milliseconds, so a warm ``defenders-kg query`` never imports rdflib.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from .errors import QuerySyntaxError
from .queries import query_form
from .results import QueryResult

# A cheap pre-filter: only queries that mention the keyword are parsed again to look for it.
_SERVICE_WORD = re.compile(r"service", re.IGNORECASE)
_POSITION = re.compile(r"error at (\d+):(\d+)")
_UPDATE_FORMS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}


def run(store: ox.Store, text: str) -> QueryResult:
    """Evaluate a SPARQL 1.1 query over ``store``, the default graph being the union of all graphs.

    SERVICE (federation) is refused before evaluation: the engine never reaches out to the
    network on a query's behalf. Updates are not queries and fail to parse.
    """
    form = query_form(text)
    if form in _UPDATE_FORMS:
        raise QuerySyntaxError(
            f"SPARQL updates ({form}) are refused: the knowledge graph is read-only"
        )
    if _SERVICE_WORD.search(text) and _uses_service(text):
        raise QuerySyntaxError("SERVICE (federated query) is refused: queries never reach out")
    try:
        answer = store.query(text, use_default_graph_as_union=True)
        return QueryResult.from_oxigraph(answer)
    except SyntaxError as err:
        raise QuerySyntaxError(f"malformed SPARQL: {_describe(err, text)}") from None
    except (OSError, RuntimeError, ValueError, TypeError) as err:
        raise QuerySyntaxError(f"query failed: {err}") from None


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


def _uses_service(text: str) -> bool:
    """Whether the query's algebra contains a SERVICE pattern anywhere (via rdflib's parser)."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # not parseable by rdflib; Oxigraph will report the syntax error
        return bool(re.search(r"\bSERVICE\s*(SILENT\s*)?[<?\w]", text, re.IGNORECASE))

    def walk(node: object) -> bool:
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            return any(walk(value) for value in node.values())
        if isinstance(node, list | tuple):
            return any(walk(item) for item in node)
        return False

    return walk(algebra)
