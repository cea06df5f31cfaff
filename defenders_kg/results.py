"""Stage 3b: query results and their W3C serializations (SPARQL 1.1 Query Results JSON, XML,
CSV and TSV), plus an aligned text table for people and RDF syntaxes for graph results."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

import pyoxigraph as ox

from .errors import FormatError
from .vocab import PREFIXES

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
ResultFormat = Literal["table", "json", "csv", "tsv", "xml"]
GraphFormat = Literal["turtle", "nt", "nquads", "trig", "xml", "jsonld"]
RESULT_FORMATS: tuple[str, ...] = ("table", "json", "csv", "tsv", "xml")
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


@dataclass
class QueryResult:
    """The answer to a query: rows for SELECT, a boolean for ASK, triples for CONSTRUCT/DESCRIBE.

    Terms are pyoxigraph terms; ``None`` in a row is an unbound variable.
    """

    kind: Literal["select", "ask", "graph"]
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)

    @classmethod
    def from_oxigraph(
        cls, answer: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
    ) -> QueryResult:
        if isinstance(answer, ox.QueryBoolean):
            return cls(kind="ask", boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            return cls(kind="graph", triples=list(answer))
        variables = [v.value for v in answer.variables]
        rows = [tuple(solution[name] for name in variables) for solution in answer]
        return cls(kind="select", variables=variables, rows=rows)

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
        if self.kind == "graph":
            syntax = "turtle" if format == "table" else format
            if syntax not in GRAPH_FORMATS:
                raise FormatError(
                    f"graph results can be {', '.join(GRAPH_FORMATS)}, not {format!r}"
                )
            data = ox.serialize(self.triples, format=GRAPH_FORMATS[syntax], prefixes=PREFIXES)
            return (data or b"").decode("utf-8")
        writer = {
            "table": self._table,
            "json": self._json,
            "csv": self._csv,
            "tsv": self._tsv,
            "xml": self._xml,
        }.get(format)
        if writer is None:
            raise FormatError(f"results can be {', '.join(RESULT_FORMATS)}, not {format!r}")
        return writer()

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

    def _json(self) -> str:
        if self.kind == "ask":
            return json.dumps({"head": {}, "boolean": self.boolean}) + "\n"
        bindings = [
            {name: _json_term(term) for name, term in zip(self.variables, row, strict=True) if term}
            for row in self.rows
        ]
        document = {"head": {"vars": self.variables}, "results": {"bindings": bindings}}
        return json.dumps(document, ensure_ascii=False, indent=1) + "\n"

    def _csv(self) -> str:
        self._require_select("csv")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow([_csv_value(term) for term in row])
        return out.getvalue()

    def _tsv(self) -> str:
        self._require_select("tsv")
        lines = ["\t".join(f"?{name}" for name in self.variables)]
        lines += ["\t".join(_tsv_value(term) for term in row) for row in self.rows]
        return "\n".join(lines) + "\n"

    def _xml(self) -> str:
        out = ['<?xml version="1.0"?>', f'<sparql xmlns="{_SPARQL_RESULTS_NS}">', "  <head>"]
        out += [f"    <variable name={_attr(name)}/>" for name in self.variables]
        out.append("  </head>")
        if self.kind == "ask":
            out.append(f"  <boolean>{'true' if self.boolean else 'false'}</boolean>")
        else:
            out.append("  <results>")
            for row in self.rows:
                out.append("    <result>")
                for name, term in zip(self.variables, row, strict=True):
                    if term is not None:
                        out.append(f"      <binding name={_attr(name)}>{_xml_term(term)}</binding>")
                out.append("    </result>")
            out.append("  </results>")
        out.append("</sparql>")
        return "\n".join(out) + "\n"

    def _require_select(self, format: str) -> None:
        if self.kind != "select":
            raise FormatError(f"{format} is defined for SELECT results only; use json or xml")


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


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        encoded: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            encoded["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            encoded["datatype"] = term.datatype.value
        return encoded
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def _tsv_value(term: Term | None) -> str:
    # N-Triples syntax escapes tabs and newlines inside literals, as the TSV format requires.
    return "" if term is None else str(term)


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={_attr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value in (_XSD_STRING, _RDF_LANG_STRING):
            return f"<literal>{escape(term.value)}</literal>"
        return f"<literal datatype={_attr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _attr(value: str) -> str:
    return f'"{escape(value)}"'
