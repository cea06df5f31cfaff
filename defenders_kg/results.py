"""Stage 3b: query results, serialized by Oxigraph in the W3C formats (SPARQL 1.1 Query Results
JSON, XML, CSV and TSV, and RDF syntaxes for graph results), plus an aligned text table for people.

A result keeps one internal form, produced by Oxigraph's own serializer: TSV for SELECT (one line a
row, every term in N-Triples syntax, so nothing is lost and rows can be counted while the engine
streams them) and N-Triples for CONSTRUCT and DESCRIBE. Python objects are made from it only
when asked for (``rows``, ``records()``, the table, DataFrames).
"""

from __future__ import annotations

from functools import cached_property
from typing import IO, Any, Literal, cast

import pyoxigraph as ox

from . import formats
from .errors import FormatError, ResultTooLargeError
from .vocab import PREFIXES

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Kind = Literal["select", "ask", "graph"]
RESULT_FORMATS = formats.RESULT_NAMES
GRAPH_FORMATS = formats.GRAPH_NAMES


class _RowCounter:
    """A binary sink that stops the serializer, and so the engine, past ``limit`` lines."""

    def __init__(self, limit: int | None, what: str) -> None:
        self.limit = limit
        self.what = what
        self.lines = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        if self.limit is not None and self.lines > self.limit:
            raise _RowLimitError
        self.chunks.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


class _RowLimitError(OSError):
    pass


class QueryResult:
    """The answer to a query: rows for SELECT, a boolean for ASK, triples for CONSTRUCT/DESCRIBE.

    Terms are pyoxigraph terms; ``None`` in a row is an unbound variable.
    """

    def __init__(self, kind: Kind, data: bytes = b"", boolean: bool | None = None) -> None:
        self.kind: Kind = kind
        self.boolean = boolean
        self._data = data

    @classmethod
    def from_oxigraph(
        cls,
        answer: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
        *,
        max_rows: int | None = None,
        order: list[str] | None = None,
    ) -> QueryResult:
        """Serialize an Oxigraph answer; past ``max_rows`` rows stop and raise instead.

        ``order`` puts the columns of a SELECT in that order (names it lacks keep theirs, last).
        """
        if isinstance(answer, ox.QueryBoolean):
            return cls(
                "ask", answer.serialize(format=ox.QueryResultsFormat.JSON) or b"", bool(answer)
            )
        if isinstance(answer, ox.QueryTriples):
            sink = _RowCounter(max_rows, "triples")
            kind: Kind = "graph"
            try:
                answer.serialize(cast(IO[bytes], sink), format=ox.RdfFormat.N_TRIPLES)
            except _RowLimitError:
                raise ResultTooLargeError(_too_large(max_rows, "triples")) from None
        else:
            sink = _RowCounter(None if max_rows is None else max_rows + 1, "rows")
            kind = "select"
            try:
                answer.serialize(cast(IO[bytes], sink), format=ox.QueryResultsFormat.TSV)
            except _RowLimitError:
                raise ResultTooLargeError(_too_large(max_rows, "rows")) from None
            if order is not None:
                return cls(kind, _reordered(b"".join(sink.chunks), order))
        return cls(kind, b"".join(sink.chunks))

    @classmethod
    def from_ntriples(cls, data: bytes) -> QueryResult:
        """A graph result from N-Triples (as a remote endpoint sends it)."""
        return cls("graph", data)

    @cached_property
    def variables(self) -> list[str]:
        if self.kind != "select":
            return []
        header = self._data.split(b"\n", 1)[0].decode("utf-8")
        return [name.removeprefix("?") for name in header.split("\t") if name]

    @cached_property
    def rows(self) -> list[tuple[Term | None, ...]]:
        if self.kind != "select" or not self.variables:
            return []
        solutions = ox.parse_query_results(self._data, format=ox.QueryResultsFormat.TSV)
        assert isinstance(solutions, ox.QuerySolutions)
        return [tuple(solution[name] for name in self.variables) for solution in solutions]

    @cached_property
    def triples(self) -> list[ox.Triple]:
        if self.kind != "graph":
            return []
        return [q.triple for q in ox.parse(self._data, format=ox.RdfFormat.N_TRIPLES)]

    def __len__(self) -> int:
        """The number of rows, or of triples."""
        if self.kind == "ask":
            return 1
        count = self._data.count(b"\n")
        return count - 1 if self.kind == "select" else count

    def records(self) -> list[dict[str, str]]:
        """Rows as dictionaries of plain strings (lexical forms and IRIs), unbound left out."""
        return [
            {name: _csv_value(term) for name, term in zip(self.variables, row, strict=True) if term}
            for row in self.rows
        ]

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame with typed columns (needs ``defenders-kg[pandas]``).

        A column whose values are all integers, decimals or doubles becomes numeric; one of
        ``xsd:date``/``xsd:dateTime`` values becomes datetime64; booleans become bool; anything
        else stays text (IRIs and lexical forms). Unbound values are missing (NA).
        """
        try:
            import pandas as pd
        except ImportError:
            raise FormatError(
                "pandas is not installed: pip install 'defenders-kg[pandas]'"
            ) from None
        if self.kind != "select":
            raise FormatError("only SELECT results become a DataFrame")
        columns: dict[str, Any] = {}
        for index, name in enumerate(self.variables):
            terms = [row[index] for row in self.rows]
            columns[name] = _typed_column(pd, terms)
        return pd.DataFrame(columns, columns=self.variables)

    def serialize(self, format: str = "table") -> str:
        """This result in a W3C results format, a table, or (graph results) an RDF syntax."""
        return self.encode(format).decode("utf-8")

    def encode(self, format: str = "table") -> bytes:
        """``serialize`` as bytes: what the endpoint sends."""
        if self.kind == "graph":
            fmt = formats.get("turtle" if format == "table" else format, kinds=("graph",))
            if fmt.name == "nt":
                return self._data
            triples = ox.parse(self._data, format=ox.RdfFormat.N_TRIPLES)
            return ox.serialize(triples, format=fmt.rdf, prefixes=PREFIXES) or b""
        fmt = formats.get(format, kinds=("results", "text"))
        if fmt.name == "table":
            return self._table().encode("utf-8")
        if self.kind == "ask":
            if fmt.name not in ("json", "xml"):
                raise FormatError(f"{fmt.name} is defined for SELECT results only; use json or xml")
            if fmt.name == "json":
                return self._data
            answer = ox.parse_query_results(self._data, format=ox.QueryResultsFormat.JSON)
            return answer.serialize(format=fmt.results) or b""
        if fmt.name == "tsv":
            return self._data
        solutions = ox.parse_query_results(self._data, format=ox.QueryResultsFormat.TSV)
        return solutions.serialize(format=fmt.results) or b""

    def _table(self) -> str:
        if self.kind == "ask":
            return "yes\n" if self.boolean else "no\n"
        header = list(self.variables)
        body = [[_display(term) for term in row] for row in self.rows]
        widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths))
        for row in body:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        lines.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
        return "\n".join(lines) + "\n"


def _reordered(tsv: bytes, order: list[str]) -> bytes:
    """TSV results with their columns in ``order``; a tab never occurs inside a TSV term."""
    lines = tsv.split(b"\n")
    names = [name.decode("utf-8").removeprefix("?") for name in lines[0].split(b"\t") if name]
    rank = {name: index for index, name in enumerate(order)}
    columns = sorted(range(len(names)), key=lambda i: rank.get(names[i], len(order)))
    if columns == list(range(len(names))):
        return tsv
    # With two columns or more every row line holds a tab; only the last, after the final
    # newline, is empty.
    reordered = [b"\t".join(line.split(b"\t")[i] for i in columns) if line else line
                 for line in lines]  # fmt: skip
    return b"\n".join(reordered)


def _too_large(limit: int | None, what: str) -> str:
    return f"the result has more than {limit} {what}; add a LIMIT to the query"


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + name for name in ("integer", "int", "long", "short", "nonNegativeInteger",
                                      "positiveInteger", "decimal", "double", "float")}  # fmt: skip
_DATES = {_XSD + "date", _XSD + "dateTime"}


def _typed_column(pd: Any, terms: list[Term | None]) -> Any:
    """A pandas Series of the most specific type that every bound term in ``terms`` has."""
    values = [None if term is None else _csv_value(term) for term in terms]
    datatypes = {t.datatype.value for t in terms if isinstance(t, ox.Literal) and not t.language}
    bound = [t for t in terms if t is not None]
    all_literals = bool(bound) and all(isinstance(t, ox.Literal) for t in bound)
    if all_literals and datatypes and datatypes <= _NUMERIC:
        return pd.to_numeric(pd.Series(values, dtype="object"))
    if all_literals and datatypes and datatypes <= _DATES:
        return pd.to_datetime(pd.Series(values, dtype="object"))
    if all_literals and datatypes == {_XSD + "boolean"}:
        return pd.Series(
            [None if v is None else v in ("true", "1") for v in values], dtype="boolean"
        )
    return pd.Series(values, dtype="string")


def _display(term: Term | None) -> str:
    """A short, readable form: prefixed names for known namespaces, plain text for literals."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace) and len(term.value) > len(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value.replace("\n", " ")
    return str(term)


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)
