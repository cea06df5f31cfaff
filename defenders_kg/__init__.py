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

from ._version import __version__
from .errors import (
    DataLoadError,
    DefendersKGError,
    ExportError,
    FormatError,
    InconsistencyError,
    QueryDefinitionError,
    QueryNotFoundError,
    QueryParameterError,
    QuerySyntaxError,
    RemoteError,
)
from .inference import infer
from .kg import KnowledgeGraph, Stats
from .load import load_graph
from .queries import Parameter, Query, get_query, list_queries
from .remote import Connection, RemoteKnowledgeGraph, push
from .results import QueryResult
from .validate import ValidationReport

__all__ = [
    "Connection",
    "DataLoadError",
    "DefendersKGError",
    "ExportError",
    "FormatError",
    "InconsistencyError",
    "KnowledgeGraph",
    "Parameter",
    "Query",
    "QueryDefinitionError",
    "QueryNotFoundError",
    "QueryParameterError",
    "QueryResult",
    "QuerySyntaxError",
    "RemoteError",
    "RemoteKnowledgeGraph",
    "Stats",
    "ValidationReport",
    "__version__",
    "get_query",
    "infer",
    "list_queries",
    "load_graph",
    "push",
]
