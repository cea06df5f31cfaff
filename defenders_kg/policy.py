"""The query policy: what a SPARQL query may do here, decided before any engine sees it.

One function, ``check``, serves the library, the CLI and the endpoint alike. It reads the query with
a small SPARQL tokenizer (comments, strings, IRIs and prefixed names are skipped as units, so a
keyword inside them never counts) and refuses:

- updates (INSERT, DELETE, LOAD, ...): the knowledge graph is read-only;
- SERVICE anywhere: Oxigraph cannot be told not to federate, so a query never reaches it with one;
- FROM and FROM NAMED: every interface answers over the union of the graphs, and a dataset clause
  that was silently ignored would be a wrong answer (use ``GRAPH <g> { ... }`` instead);
- nesting deeper than ``MAX_DEPTH`` brackets: Oxigraph's parser recurses, and its time grows
  steeply with nested blank nodes and collections.

Relative IRIs in a query resolve against ``BASE_IRI``, the resource namespace, so ``<charlie-cox>``
names ``dkgr:charlie-cox``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .errors import QueryRefusedError, UpdateRefusedError
from .vocab import DKGR

BASE_IRI = DKGR
MAX_DEPTH = 32

_UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<pname>(?:[^\W\d][\w.\-]*)?:(?:[\w:%\-]|\\.|\.(?=[\w:%\-]))*|_:[\w.\-]*)
    | (?P<word>[^\W\d]\w*)
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def query_form(text: str) -> str:
    """The query's form keyword (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update's first keyword),
    read by the same tokenizer as ``check``; "" when there is none. The one place a form is read.

    >>> query_form("PREFIX ex: <http://example.org/> # a comment\\nASK { ?s ?p ?o }")
    'ASK'
    """
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "word":
            word = match.group().upper()
            if word in _FORMS or word in _UPDATE_KEYWORDS:
                return word
    return ""


def star_order(text: str) -> list[str] | None:
    """For a ``SELECT *`` query, its variables in the order they first appear; else ``None``.

    Oxigraph lists the columns of ``SELECT *`` alphabetically; a reader expects them as written.

    >>> star_order("SELECT * WHERE { ?s ?p ?o . ?o ?q $s }")
    ['s', 'p', 'o', 'q']
    """
    if query_form(text) != "SELECT":
        return None
    tokens = (m for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment"))
    for match in tokens:
        if match.lastgroup == "word" and match.group().upper() == "SELECT":
            break
    after = next(tokens, None)
    if after is not None and after.group().upper() in ("DISTINCT", "REDUCED"):
        after = next(tokens, None)
    if after is None or after.group() != "*":
        return None
    found = _TOKEN.finditer(text, after.end())
    return list(dict.fromkeys(m.group()[1:] for m in found if m.lastgroup == "var"))


def with_prefixes(text: str, prefixes: dict[str, str]) -> str:
    """The query with a PREFIX line for each of ``prefixes`` that it uses without declaring: for
    an engine that cannot be given default prefixes (a remote store).

    >>> with_prefixes("SELECT * { dkgr:x ?p ?o }", {"dkgr": "http://r/", "dkg": "http://o#"})
    'PREFIX dkgr: <http://r/>\\nSELECT * { dkgr:x ?p ?o }'
    """
    declared: set[str] = set()
    used: set[str] = set()
    after_prefix = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "pname":
            (declared if after_prefix else used).add(match.group().partition(":")[0])
        if kind not in ("space", "comment"):
            after_prefix = kind == "word" and match.group().upper() == "PREFIX"
    missing = [name for name in prefixes if name in used - declared]
    return "".join(f"PREFIX {name}: <{prefixes[name]}>\n" for name in missing) + text


_FRESH_EVERY_TIME = frozenset({"RAND", "NOW", "UUID", "STRUUID"})


@lru_cache(maxsize=512)
def repeatable(text: str) -> bool:
    """Whether evaluating the query again over the same data gives the same answer: it calls none
    of the functions whose value is new on every evaluation (RAND, NOW, UUID, STRUUID). Remembered
    per text, as ``check`` is: the endpoint asks it twice of every query it answers.

    >>> repeatable("SELECT ?s { ?s ?p ?o } # NOW() in a comment")
    True
    >>> repeatable("SELECT (now() AS ?t) {}")
    False
    """
    return not any(
        match.lastgroup == "word" and match.group().upper() in _FRESH_EVERY_TIME
        for match in _TOKEN.finditer(text)
    )


class CheckedQuery(NamedTuple):
    """A query that passed the policy, with its form (SELECT, ASK, CONSTRUCT or DESCRIBE)."""

    text: str
    form: str


@lru_cache(maxsize=512)
def check(text: str) -> CheckedQuery:
    """Refuse what the policy forbids (``QueryRefusedError``); otherwise return the query's form.

    A query the tokenizer cannot make sense of passes through unchanged: the engine's parser then
    reports the syntax error with its position. Verdicts are remembered per text: an endpoint
    sees the same canned queries again and again.

    >>> check("SELECT * WHERE { ?s ?p ?o }").form
    'SELECT'
    >>> check("SELECT * { SERVICE <http://example.org/q> { ?s ?p ?o } }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    defenders_kg.errors.QueryRefusedError: SERVICE (federated query) is refused: ...
    """
    form = query_form(text)
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > MAX_DEPTH:
                raise QueryRefusedError(
                    f"the query nests brackets more than {MAX_DEPTH} deep; flatten it"
                )
        elif kind == "close":
            depth -= 1
        elif kind == "word":
            word = match.group().upper()
            if word in _UPDATE_KEYWORDS and form not in _FORMS:
                raise UpdateRefusedError(
                    f"SPARQL updates ({word}) are refused: the knowledge graph is read-only"
                )
            if word == "SERVICE":
                raise QueryRefusedError(
                    "SERVICE (federated query) is refused: queries never reach out"
                )
            if word == "FROM":
                raise QueryRefusedError(
                    "FROM and FROM NAMED are refused: queries run over the union of the knowledge "
                    "graph's graphs; use GRAPH <name> { ... } to read one named graph"
                )
    return CheckedQuery(text, form)
