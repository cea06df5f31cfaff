"""The one error hierarchy of the package.

Each class carries the CLI's exit code for it and the HTTP status the endpoint answers with, so
neither the CLI nor the server decides by reading a message.
"""

from typing import ClassVar


class DefendersKGError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code: ClassVar[int] = 2
    http_status: ClassVar[int] = 400


class DataLoadError(DefendersKGError):
    """An input file is missing, unreadable or not valid RDF."""

    exit_code = 4


class QueryNotFoundError(DefendersKGError):
    """No canned query has the requested name."""

    http_status = 404


class QueryDefinitionError(DefendersKGError):
    """A canned query file has a missing or malformed header."""

    http_status = 500


class QueryParameterError(DefendersKGError):
    """A query parameter is unknown, missing or of the wrong type."""


class QuerySyntaxError(DefendersKGError):
    """A SPARQL query is malformed."""

    exit_code = 3


class QueryRefusedError(QuerySyntaxError):
    """A query uses what the query policy refuses (SERVICE, FROM, deep nesting)."""


class UpdateRefusedError(QueryRefusedError):
    """A SPARQL update was sent: the knowledge graph is read-only."""

    http_status = 403


class QueryEvaluationError(DefendersKGError):
    """A well-formed query failed while the engine evaluated it."""

    exit_code = 3
    http_status = 500


class ResultTooLargeError(QueryEvaluationError):
    """A result has more rows than the endpoint's row limit allows."""

    http_status = 400


class InconsistencyError(DefendersKGError):
    """OWL-RL inference found the knowledge graph inconsistent.

    ``triples`` names the statements involved, in N-Triples syntax, when the engine knows them
    (owlrl reports a sentence instead, which is then the message).
    """

    exit_code = 6
    http_status = 500

    def __init__(self, message: str, *, triples: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.triples = triples


class FormatError(DefendersKGError):
    """An output format is unknown, or does not fit the kind of result."""

    http_status = 406


class ExportError(DefendersKGError):
    """An output file cannot be written."""

    exit_code = 5
    http_status = 500


class RemoteError(DefendersKGError):
    """A remote SPARQL endpoint or graph store is down, refuses, times out or answers garbage."""

    exit_code = 7
    http_status = 502


class ListenError(DefendersKGError):
    """The endpoint cannot listen on the address asked for (the port is busy or not allowed)."""

    exit_code = 8
    http_status = 500
