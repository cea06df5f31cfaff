"""Stage 3b: query results, serialized by Oxigraph in the W3C formats (SPARQL 1.1 Query Results
JSON, XML, CSV and TSV, and RDF syntaxes for graph results), plus an aligned text table for people.

A result keeps one internal form, produced by Oxigraph's own serializer: TSV for SELECT (one line a
row, every term in N-Triples syntax, so nothing is lost and rows can be counted while the engine
streams them) and N-Triples for CONSTRUCT and DESCRIBE. Python objects are made from it only
when asked for (``rows``, ``records()``, the table, DataFrames).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import IO, Any, Literal, cast

import pyoxigraph as ox

from . import formats
from .errors import FormatError, ResultTooLargeError
from .terms import Term, python_value, text_value, to_rdflib
from .vocab import PREFIXES, XSD

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

    Terms are pyoxigraph terms; ``None`` in a row is an unbound variable. Iterating gives the
    rows (tuples of terms), the triples, or the boolean; ``to_rdflib()`` gives them as rdflib
    terms, ``graph()`` a graph result as an rdflib ``Graph``, and ``records()`` the rows as
    dictionaries of Python values.
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
            try:
                answer.serialize(cast(IO[bytes], sink), format=ox.RdfFormat.N_TRIPLES)
            except _RowLimitError:
                raise ResultTooLargeError(_too_large(max_rows, "triples")) from None
            return cls.from_ntriples(b"".join(sink.chunks))
        sink = _RowCounter(None if max_rows is None else max_rows + 1, "rows")
        try:
            answer.serialize(cast(IO[bytes], sink), format=ox.QueryResultsFormat.TSV)
        except _RowLimitError:
            raise ResultTooLargeError(_too_large(max_rows, "rows")) from None
        if order is not None:
            return cls("select", _reordered(b"".join(sink.chunks), order))
        return cls("select", b"".join(sink.chunks))

    @property
    def data(self) -> bytes:
        """The answer as Oxigraph wrote it: TSV rows, N-Triples, or an ASK's SPARQL JSON."""
        return self._data

    @staticmethod
    def wire_format(form: str) -> str:
        """The registry format that ``data`` is in for a query of ``form`` (``policy.query_form``):
        what a worker process sends so that ``from_wire`` makes the same result again."""
        return {"SELECT": "tsv", "ASK": "json"}.get(form, "nt")

    @classmethod
    def from_wire(cls, form: str, data: bytes) -> QueryResult:
        """The result whose ``data`` (in ``wire_format(form)``) is ``data``."""
        if form == "SELECT":
            return cls("select", data)
        if form == "ASK":
            answer = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            return cls("ask", data, bool(answer))
        return cls.from_ntriples(data)

    @classmethod
    def from_ntriples(cls, data: bytes) -> QueryResult:
        """A graph result from N-Triples (as a remote endpoint sends it), in a canonical order.

        A graph is a set: each store hands its triples over in its own index order, so sorting
        them is what makes the same graph print the same from the library, a resident, a
        server's worker or a remote store.
        """
        lines = sorted(set(data.splitlines(keepends=True)))
        return cls("graph", b"".join(lines))

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

    def __iter__(self) -> Iterator[Any]:
        """The rows of a SELECT, the triples of a CONSTRUCT or DESCRIBE, the boolean of an ASK."""
        if self.kind == "ask":
            return iter([bool(self.boolean)])
        return iter(self.triples if self.kind == "graph" else self.rows)

    def records(self, *, strings: bool = False) -> list[dict[str, Any]]:
        """Rows as dictionaries, unbound variables left out.

        Values are Python values: ``int``, ``Decimal``, ``float``, ``bool``, ``datetime.date``
        and ``datetime.datetime`` for literals of those XSD types, ``str`` for other literals
        (their lexical form), IRIs and blank nodes (``_:label``). With ``strings=True`` every
        value is a ``str``, as the CSV results write it.
        """
        convert = text_value if strings else python_value
        return [
            {name: convert(term) for name, term in zip(self.variables, row, strict=True) if term}
            for row in self.rows
        ]

    def to_rdflib(self) -> Any:
        """This result in rdflib terms: a list of row tuples (``None`` where unbound) for
        SELECT, an rdflib ``Graph`` for CONSTRUCT and DESCRIBE (as ``graph()``), the boolean
        for ASK."""
        if self.kind == "graph":
            return self.graph()
        if self.kind == "ask":
            return bool(self.boolean)
        return [tuple(None if t is None else to_rdflib(t) for t in row) for row in self.rows]

    def graph(self) -> Any:
        """A CONSTRUCT or DESCRIBE result as an rdflib ``Graph``, with the project's prefixes."""
        from rdflib import Graph

        if self.kind != "graph":
            raise FormatError(f"a {self.kind.upper()} result has no graph; use rows or records()")
        graph = Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        graph.parse(data=self._data, format="nt")
        return graph

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

    def serialize(self, format: str = "table", *, width: int | None = None) -> str:
        """This result in a W3C results format, a table, or (graph results) an RDF syntax.

        The table's cells show control characters escaped (``\\x1b``, ``\\n``); with ``width``
        its widest columns are cut (with ``…``) until each line fits in that many characters.
        """
        return self.encode(format, width=width).decode("utf-8")

    def encode(self, format: str = "table", *, width: int | None = None) -> bytes:
        """``serialize`` as bytes: what the endpoint sends."""
        if self.kind == "graph":
            fmt = formats.get("turtle" if format == "table" else format, kinds=("graph",))
            if fmt.name == "nt":
                return self._data
            triples = ox.parse(self._data, format=ox.RdfFormat.N_TRIPLES)
            return ox.serialize(triples, format=fmt.rdf, prefixes=PREFIXES) or b""
        fmt = formats.get(format, kinds=("results", "text"))
        if fmt.name == "table":
            return self._table(width).encode("utf-8")
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

    def _table(self, width: int | None = None) -> str:
        if self.kind == "ask":
            return "yes\n" if self.boolean else "no\n"
        header = list(self.variables)
        body = [[_escaped(_display(term)) for term in row] for row in self.rows]
        natural = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
        widths = _fitted(natural, width)

        def line(cells: list[str]) -> str:
            cut = (_cut(c, w).ljust(w) for c, w in zip(cells, widths, strict=True))
            return "  ".join(cut).rstrip()

        lines = [line(header), "  ".join("-" * w for w in widths)]
        lines += [line(row) for row in body]
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


#: C0 and C1 control characters, DEL included: a table cell shows them escaped, so that data
#: cannot move the cursor or recolour the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NAMED_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: The narrowest a column is cut to.
_MIN_COLUMN = 4


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: _NAMED_CONTROLS.get(m[0], f"\\x{ord(m[0]):02x}"), text)


def _fitted(natural: list[int], width: int | None) -> list[int]:
    """Column widths that fit ``width`` (two spaces between columns): the widest columns are
    narrowed to one common cap, never below ``_MIN_COLUMN``. No width, or too little, changes
    nothing beyond that floor."""
    if width is None or not natural:
        return natural
    room = width - 2 * (len(natural) - 1)
    if sum(natural) <= room:
        return natural
    cap = max(natural)
    while cap > _MIN_COLUMN and sum(min(w, cap) for w in natural) > room:
        cap -= 1
    return [min(w, cap) for w in natural]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _too_large(limit: int | None, what: str) -> str:
    return f"the result has more than {limit} {what}; add a LIMIT to the query"


_NUMERIC = {XSD + name for name in ("integer", "int", "long", "short", "nonNegativeInteger",
                                      "positiveInteger", "decimal", "double", "float")}  # fmt: skip
_DATES = {XSD + "date", XSD + "dateTime"}


def _typed_column(pd: Any, terms: list[Term | None]) -> Any:
    """A pandas Series of the most specific type that every bound term in ``terms`` has."""
    values = [None if term is None else text_value(term) for term in terms]
    datatypes = {t.datatype.value for t in terms if isinstance(t, ox.Literal) and not t.language}
    bound = [t for t in terms if t is not None]
    all_literals = bool(bound) and all(isinstance(t, ox.Literal) for t in bound)
    if all_literals and datatypes and datatypes <= _NUMERIC:
        return pd.to_numeric(pd.Series(values, dtype="object"))
    if all_literals and datatypes and datatypes <= _DATES:
        return pd.to_datetime(pd.Series(values, dtype="object"))
    if all_literals and datatypes == {XSD + "boolean"}:
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
