"""defenders-kg: a linked-data knowledge graph of the paragraph about The Defenders (2017).

The public API:

- ``KnowledgeGraph``: load the embedded graph (or your own data), query, infer, validate, export;
- ``load_graph()`` and ``infer()``: the asserted Dataset, and the OWL-RL closure of any graph;
- ``list_queries()`` and ``get_query()``: the canned query catalogue;
- ``QueryResult``, ``Query``, ``Parameter``, ``ValidationReport``, ``Stats``: returned values;
- ``DefendersKGError`` and its subclasses: every error raised on purpose.

>>> from defenders_kg import KnowledgeGraph
>>> KnowledgeGraph().query("creators").records()[0]["creatorName"]
'Douglas Petrie'
"""

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import (
    DataLoadError,
    DefendersKGError,
    ExportError,
    FormatError,
    InconsistencyError,
    ListenError,
    QueryDefinitionError,
    QueryEvaluationError,
    QueryNotFoundError,
    QueryParameterError,
    QueryRefusedError,
    QuerySyntaxError,
    RemoteError,
    ResultTooLargeError,
    UpdateRefusedError,
)
from .kg import KnowledgeGraph, Stats
from .load import load_graph
from .queries import Parameter, Query, get_query, list_queries
from .results import QueryResult

if TYPE_CHECKING:
    from .inference import infer
    from .stores.client import RemoteKnowledgeGraph
    from .stores.http import Connection
    from .stores.push import push
    from .validate import ValidationReport

# Imported on first use: a warm `defenders-kg query` should not pay for them.
_LAZY = {
    "infer": "inference",
    "Connection": "stores.http",
    "RemoteKnowledgeGraph": "stores.client",
    "push": "stores.push",
    "ValidationReport": "validate",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Connection",
    "DataLoadError",
    "DefendersKGError",
    "ExportError",
    "FormatError",
    "InconsistencyError",
    "KnowledgeGraph",
    "ListenError",
    "Parameter",
    "Query",
    "QueryDefinitionError",
    "QueryEvaluationError",
    "QueryNotFoundError",
    "QueryParameterError",
    "QueryRefusedError",
    "QueryResult",
    "QuerySyntaxError",
    "RemoteError",
    "RemoteKnowledgeGraph",
    "ResultTooLargeError",
    "Stats",
    "UpdateRefusedError",
    "ValidationReport",
    "__version__",
    "get_query",
    "infer",
    "list_queries",
    "load_graph",
    "push",
]
