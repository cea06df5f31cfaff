"""Stage 3a: the canned query catalogue (``queries/*.rq``) and typed parameter binding.

Each file starts with a grlc-style ``#+`` YAML header, so the file stays valid SPARQL::

    #+ summary: One line saying what the query answers.
    #+ description: A paragraph for the catalogue.
    #+ tags: [cast, reprise]
    #+ params:
    #+   actorName: {type: string, required: false, description: An actor's name.}
    #+ inference: true
    #+ example: defenders-kg query cast --param actorName="Charlie Cox"

Parameters are bound as RDF terms in a ``VALUES`` block built from typed terms, never by pasting
text into the query, so any value is data. A parameter filters the result variable of the same name
(``actorName`` keeps the rows whose ``?actorName`` equals the value); left out, it matches
everything. The block goes last inside the query's WHERE group, after its BINDs: every store honours
inline data there, while some (Virtuoso) let a trailing VALUES after the query overwrite the
variable instead of filtering.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple, cast

import pyoxigraph as ox

from . import paths
from .errors import QueryDefinitionError, QueryNotFoundError, QueryParameterError
from .policy import _TOKEN, query_form
from .vocab import PREFIXES, XSD

ParamType = Literal["string", "label", "iri", "integer", "date"]
_PARAM_TYPES = ("string", "label", "iri", "integer", "date")
_HEADER_KEYS = {"summary", "description", "tags", "params", "inference", "example"}
_REQUIRED_KEYS = _HEADER_KEYS - {"params"}
_PARAM_KEYS = {"type", "required", "description", "multiple"}


class Parameter(NamedTuple):
    """A typed query parameter declared in a query header."""

    name: str
    type: ParamType
    required: bool
    description: str
    multiple: bool = False

    def values(self, given: object) -> list[object]:
        """The values given for this parameter: a list or tuple holds several, which only a
        parameter declared ``multiple: true`` takes (each binds, as alternatives).

        >>> Parameter("who", "string", False, "", multiple=True).values(["A", "B"])
        ['A', 'B']
        """
        found = list(given) if isinstance(given, list | tuple) else [given]
        if not found:
            raise QueryParameterError(f"parameter {self.name!r} is given no value")
        if len(found) > 1 and not self.multiple:
            raise QueryParameterError(
                f"parameter {self.name!r} takes one value, got "
                + " and ".join(repr(str(value)) for value in found)
            )
        return found

    def to_term(self, value: object) -> ox.NamedNode | ox.Literal:
        """Convert a value (a string from the command line, or a Python value) to an RDF term.

        >>> Parameter("who", "string", False, "").to_term('x" } UNION { ?s ?p ?o')
        <Literal value=x" } UNION { ?s ?p ?o datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>
        >>> Parameter("who", "iri", False, "").to_term("dkgr:charlie-cox")
        <NamedNode value=https://w3id.org/defenders-kg/resource/charlie-cox>
        """
        try:
            if self.type in ("string", "label"):
                return ox.Literal(str(value))
            if self.type == "integer":
                if isinstance(value, bool):
                    raise ValueError("a boolean is not an integer")
                number = value if isinstance(value, int) else int(str(value).strip())
                return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "integer"))
            if self.type == "date":
                import datetime

                day = value if isinstance(value, datetime.date) else None
                day = day or datetime.date.fromisoformat(str(value).strip())
                return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))
            return ox.NamedNode(expand_iri(str(value)))
        except ValueError as err:
            raise QueryParameterError(
                f"parameter {self.name!r} expects {self._expected()}, got {value!r} ({err})"
            ) from None

    def terms(self, value: object) -> list[ox.NamedNode | ox.Literal]:
        """The terms ``value`` stands for: one, except for a ``label``, which is the stored label
        in English, the same without a language tag, and the IRI if the value is one.

        A ``label`` reaches the query as the literal the graph stores, so that an engine looks it
        up in its index; comparing STR(?label) with a string would read every label first.

        >>> [str(t) for t in Parameter("entity", "label", False, "").terms("dkgr:matt-murdock")]
        ['"dkgr:matt-murdock"@en', '"dkgr:matt-murdock"', '<https://w3id.org/defenders-kg/resource/matt-murdock>']
        """
        if self.type != "label":
            return [self.to_term(value)]
        text = str(value)
        found: list[ox.NamedNode | ox.Literal] = [ox.Literal(text, language="en"), ox.Literal(text)]
        with contextlib.suppress(ValueError):  # not an IRI: a label only
            found.append(ox.NamedNode(expand_iri(text)))
        return found

    def _expected(self) -> str:
        return {
            "string": "a string",
            "label": "a label or an IRI",
            "integer": "an integer",
            "date": "a date (YYYY-MM-DD)",
            "iri": "an absolute IRI or a prefixed name such as dkgr:charlie-cox",
        }[self.type]


class Query(NamedTuple):
    """A canned query: its header fields and its SPARQL text."""

    name: str
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[Parameter, ...]
    inference: bool
    example: str
    text: str
    path: Path

    @property
    def form(self) -> str:
        """The query form: SELECT, ASK, CONSTRUCT or DESCRIBE."""
        return query_form(self.text)

    def closure(self, inference: bool | None) -> bool:
        """Whether to run over the closure: the header's choice, or ``inference`` if it may.

        A query whose header says it needs the closure would answer wrongly (often with no rows)
        over the asserted graph alone, so ``inference=False`` is refused for it.
        """
        if inference is False and self.inference:
            raise QueryParameterError(
                f"query {self.name!r} needs the OWL-RL closure (its header says inference: true) "
                "and cannot answer from the asserted graph alone (--no-inference)"
            )
        return self.inference if inference is None else inference

    def lookups(self, values: Mapping[str, object] | None = None) -> list[tuple[str, str]]:
        """For each entity given (a ``label`` or ``iri`` parameter), an ASK that holds when the
        graph has it, with the one-line error to raise when it does not.

        An unknown entity would otherwise give an empty answer that reads like "no facts".
        """
        checks = []
        entities = [
            (param, value)
            for param in self.params
            if param.type in ("label", "iri") and param.name in (values or {})
            for value in param.values((values or {})[param.name])
        ]
        for param, value in entities:
            terms = " ".join(str(term) for term in param.terms(value))
            if param.type == "label":
                found = "{ ?labelled rdfs:label ?entity } UNION { ?entity rdfs:label ?any }"
                missing = f"no entity has the label or IRI {str(value)!r}"
            else:
                found = "{ ?entity ?p ?o } UNION { ?s ?p ?entity }"
                missing = f"no entity has the IRI {str(value)!r}"
            ask = f"ASK {{ VALUES ?entity {{ {terms} }} {found} }}"
            checks.append((f"PREFIX rdfs: <{PREFIXES['rdfs']}>\n{ask}", missing))
        return checks

    def bind(self, values: Mapping[str, object] | None = None) -> str:
        """The query text with ``values`` bound in a VALUES block of typed terms, last in WHERE.

        >>> q = get_query("cast")
        >>> [line for line in q.bind({"actorName": 'Cox" } #'}).splitlines() if "VALUES" in line]
        ['  VALUES (?actorName) { ("Cox\\\\" } #") }']
        """
        values = dict(values or {})
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            known = ", ".join(declared) or "none"
            raise QueryParameterError(
                f"query {self.name!r} has no parameter {unknown[0]!r} (its parameters: {known})"
            )
        missing = [p.name for p in self.params if p.required and p.name not in values]
        if missing:
            raise QueryParameterError(f"query {self.name!r} needs parameter {missing[0]!r}")
        if not values:
            return self.text
        names = sorted(values)
        choices = [
            [
                term
                for value in declared[name].values(values[name])
                for term in declared[name].terms(value)
            ]
            for name in names
        ]
        rows = " ".join(
            "(" + " ".join(str(term) for term in row) + ")" for row in itertools.product(*choices)
        )
        variables = " ".join(f"?{name}" for name in names)
        where = _where_group(self.text)
        if where is None:
            raise QueryDefinitionError(f"{self.path.name}: cannot find its WHERE group")
        block = f"  VALUES ({variables}) {{ {rows} }}\n"
        # First in the group lets an engine start from the value; a variable that a BIND in the
        # group assigns may not be bound before that BIND, so then the block goes last.
        assigned = any(re.search(rf"\bAS\s+\?{name}\b", self.text, re.I) for name in names)
        at = where[1] if assigned else where[0] + 1
        return f"{self.text[:at]}{'' if assigned else chr(10)}{block}{self.text[at:]}"


def collect_params(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Parameter values from KEY=VALUE pairs (the CLI's ``--param``, a URL's query string); a
    repeated key gathers its values in a list, which ``Query.bind`` refuses unless the parameter
    is declared ``multiple``, rather than one value being silently kept.

    >>> collect_params([("a", "1"), ("b", "2"), ("a", "3")])
    {'a': ['1', '3'], 'b': '2'}
    """
    values: dict[str, str | list[str]] = {}
    for name, value in pairs:
        before = values.get(name)
        if before is None:
            values[name] = value
        else:
            values[name] = [*([before] if isinstance(before, str) else before), value]
    return values


def _where_group(text: str) -> tuple[int, int] | None:
    """The offsets of the braces that open and close the query's WHERE group.

    It is the last group at depth zero: the template of a CONSTRUCT comes before it, and solution
    modifiers (ORDER BY, LIMIT, GROUP BY, HAVING) never contain braces. Strings, IRIs and comments
    are skipped whole by the tokenizer.
    """
    depth, start, found = 0, 0, None
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "open" and match.group() == "{":
            if depth == 0:
                start = match.start()
            depth += 1
        elif match.lastgroup == "close" and match.group() == "}":
            depth -= 1
            if depth == 0:
                found = (start, match.start())
    return found


def expand_iri(value: str) -> str:
    """Expand a known prefixed name (``dkgr:x``) to an IRI; check that the result is an IRI."""
    value = value.strip()
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        value = PREFIXES[prefix] + local
    return ox.NamedNode(value).value


def parse_query_file(path: Path, *, remember: bool = False) -> Query:
    """Read a ``.rq`` file and check its header strictly (``remember``: see ``_load_header``)."""
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("#+"):
            break
        header_lines.append(line[2:].removeprefix(" "))
    where = f"{path.name}: "
    if not header_lines:
        raise QueryDefinitionError(where + "no '#+' header")
    header = _load_header("\n".join(header_lines), where, remember)
    if not isinstance(header, dict):
        raise QueryDefinitionError(where + "header is not a YAML mapping")
    if unknown := sorted(set(header) - _HEADER_KEYS):
        raise QueryDefinitionError(where + f"unknown header key {unknown[0]!r}")
    if missing := sorted(_REQUIRED_KEYS - set(header)):
        raise QueryDefinitionError(where + f"header lacks {missing[0]!r}")
    if not isinstance(header["inference"], bool):
        raise QueryDefinitionError(where + "'inference' must be true or false")
    tags = header["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise QueryDefinitionError(where + "'tags' must be a list of strings")
    params = tuple(_parse_params(header.get("params") or {}, where))
    for param in params:
        if not re.search(rf"\?{re.escape(param.name)}\b", text):
            raise QueryDefinitionError(where + f"declares parameter {param.name!r} it does not use")
    return Query(
        name=path.stem,
        summary=str(header["summary"]).strip(),
        description=str(header["description"]).strip(),
        tags=tuple(tags),
        params=params,
        inference=header["inference"],
        example=str(header["example"]).strip(),
        text=text,
        path=path,
    )


def _load_header(text: str, where: str, remember: bool) -> object:
    """The YAML header as Python values, remembered in the cache as JSON when ``remember``.

    Importing a YAML parser costs a warm query more than the rest of its start-up, and a header
    changes only when its file does.
    """
    import hashlib
    import json

    from .cache import cache_dir

    remembered = cache_dir() / "headers" / (hashlib.sha256(text.encode()).hexdigest() + ".json")
    if remember:
        try:
            return json.loads(remembered.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    import yaml

    try:
        header = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise QueryDefinitionError(where + f"header is not valid YAML: {err}") from None
    if not remember:
        return header
    try:
        remembered.parent.mkdir(parents=True, exist_ok=True)
        partial = remembered.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(header), encoding="utf-8")
        os.replace(partial, remembered)
    except (OSError, TypeError, ValueError):  # unwritable cache, or a value JSON cannot hold
        pass
    return header


def _parse_params(raw: object, where: str) -> list[Parameter]:
    if not isinstance(raw, dict):
        raise QueryDefinitionError(where + "'params' must be a mapping")
    params = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or set(spec) - _PARAM_KEYS:
            raise QueryDefinitionError(
                where + f"parameter {name!r} must be a mapping of {_PARAM_KEYS}"
            )
        kind = spec.get("type")
        if kind not in _PARAM_TYPES:
            raise QueryDefinitionError(where + f"parameter {name!r} has unknown type {kind!r}")
        if not isinstance(spec.get("multiple", False), bool):
            raise QueryDefinitionError(where + f"parameter {name!r}: 'multiple' is true or false")
        params.append(
            Parameter(
                name=str(name),
                type=cast(ParamType, kind),
                required=bool(spec.get("required", False)),
                multiple=spec.get("multiple", False),
                description=str(spec.get("description", "")),
            )
        )
    return params


@cache
def _parse_cached(path: Path, remember: bool) -> Query:
    return parse_query_file(path, remember=remember)


def _catalogue(folder: Path, remember: bool) -> dict[str, Query]:
    return {path.stem: _parse_cached(path, remember) for path in sorted(folder.glob("*.rq"))}


def list_queries(*, use_cache: bool = True) -> list[Query]:
    """The canned queries, sorted by name.

    >>> "actors-reprising-roles" in [q.name for q in list_queries()]
    True
    """
    return list(_catalogue(paths.queries_dir(), use_cache).values())


def list_checks(*, use_cache: bool = True) -> list[Query]:
    """The quality checks (``queries/checks/*-violation.rq``): each must return no rows."""
    return list(_catalogue(paths.checks_dir(), use_cache).values())


def catalogue_markdown() -> str:
    """The query catalogue as a Markdown table (the README embeds it; a test keeps it current)."""
    lines = ["| query | answers | parameters | inference |", "|---|---|---|---|"]
    for query in list_queries():
        params = ", ".join(
            f"`{p.name}` ({p.type}{', required' if p.required else ''})" for p in query.params
        )
        summary = query.summary.replace("|", "\\|")
        inference = "yes" if query.inference else "no"
        lines.append(f"| `{query.name}` | {summary} | {params or '-'} | {inference} |")
    return "\n".join(lines) + "\n"


def for_store(query: Query, store: str) -> Query:
    """``query`` as written for ``store``'s planner where the project has such a text, else as is.

    Such a text asks the same question with the same parameters (a test compares their rows on
    every entity of the embedded graph); it exists where a store refuses the shared text.
    """
    path = paths.store_queries_dir(store) / f"{query.name}.rq"
    if not path.is_file():
        return query
    variant = _parse_cached(path, True)
    if variant.params != query.params or variant.inference != query.inference:
        raise QueryDefinitionError(f"{path}: its parameters differ from {query.path}'s")
    return variant


def get_query(name: str, *, use_cache: bool = True) -> Query:
    """The canned query called ``name``; the error suggests the closest names.

    With ``use_cache`` its parsed header is remembered in the on-disk cache.
    """
    folder = paths.queries_dir()
    path = folder / f"{name}.rq"
    if "/" not in name and path.is_file():
        return _parse_cached(path, use_cache)
    import difflib  # only a misspelt name pays for it

    names = [p.stem for p in folder.glob("*.rq")]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'defenders-kg queries' lists them"
    raise QueryNotFoundError(f"no canned query named {name!r}{hint}")
