"""The one error hierarchy of the package; the CLI maps each class to a documented exit code."""


class DefendersKGError(Exception):
    """Base class of every error this package raises on purpose."""


class DataLoadError(DefendersKGError):
    """An input file is missing, unreadable or not valid RDF."""


class QueryNotFoundError(DefendersKGError):
    """No canned query has the requested name."""


class QueryDefinitionError(DefendersKGError):
    """A canned query file has a missing or malformed header."""


class QueryParameterError(DefendersKGError):
    """A query parameter is unknown, missing or of the wrong type."""


class QuerySyntaxError(DefendersKGError):
    """A SPARQL query is malformed, or uses a feature that is refused (SERVICE, updates)."""


class InconsistencyError(DefendersKGError):
    """OWL-RL inference found the knowledge graph inconsistent."""


class FormatError(DefendersKGError):
    """An output format is unknown, or does not fit the kind of result."""


class ExportError(DefendersKGError):
    """An output file cannot be written."""


class RemoteError(DefendersKGError):
    """A remote SPARQL endpoint or graph store is down, refuses, times out or answers garbage."""
