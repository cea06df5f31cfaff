"""The knowledge graph in a remote SPARQL 1.1 query endpoint: queries, and their answers read.

Each query is planned against the endpoint's layout (``layout.probe``, once per session), sent
over the SPARQL 1.1 Protocol (POST, form-encoded), and its answer read into a ``QueryResult``: a
body that is not SPARQL results, or a result cut at the store's row cap, is an error.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

import pyoxigraph as ox

from ..errors import QueryParameterError, RemoteError
from ..policy import query_form, star_order, with_prefixes
from ..queries import for_store, get_query
from ..results import QueryResult
from ..vocab import PREFIXES
from .http import FORM, N_TRIPLES, RESULTS_JSON, Connection, Response, Session, strip_userinfo
from .layout import Layout, probe, store_of
from .virtuoso import standard_results

_VALUED = (ox.NamedNode, ox.BlankNode, ox.Literal)


class RemoteKnowledgeGraph:
    """The knowledge graph in a remote SPARQL 1.1 query endpoint: canned and ad-hoc queries.

    Before the first query the endpoint's layout is probed (see ``layout``) and kept in the
    object's ``session``: each query then runs as the embedded graph would answer it, or is
    refused with one message that says how to set the store up. A result that reached the store's
    row cap is an error, never a short answer.
    """

    def __init__(
        self,
        endpoint: str,
        connection: Connection | None = None,
        *,
        layout: Layout | None = None,
        session: Session | None = None,
    ) -> None:
        """``layout``, when known (``Layout.assumed``), is used instead of probing the endpoint.

        ``session`` holds what the client learns (the layout, the openers that answer a digest
        challenge); by default the object has one of its own, shared with nobody.
        """
        self.endpoint = endpoint
        self.connection = connection or Connection()
        self.session = session if session is not None else Session()
        if layout is not None:
            self.session.layouts[strip_userinfo(endpoint)] = layout

    @property
    def layout(self) -> Layout:
        """What the endpoint holds and how to ask it; probed once, then remembered."""
        key = strip_userinfo(self.endpoint)
        known = self.session.layouts.get(key)
        if known is None:

            def select(text: str) -> list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]:
                rows = self._post_query(text, [("query", text)]).rows
                return [[t if not isinstance(t, ox.Triple) else None for t in r] for r in rows]

            known = self.session.layouts[key] = probe(key, self.store(), select)
        return known

    def forget(self) -> None:
        """Probe again before the next query (after the store's data changed)."""
        self.session.layouts.pop(strip_userinfo(self.endpoint), None)

    def store(self) -> str:
        """Which store answers (``layout.store_of`` its ``Server`` header), asked with an ASK."""
        first = self._send("ASK {}", [("query", "ASK {}")])
        return store_of(first.headers.get("server", ""))

    def query(
        self,
        name: str,
        params: Mapping[str, object] | None = None,
        *,
        inference: bool | None = None,
    ) -> QueryResult:
        """Run a canned query with typed parameters; the rows are the embedded graph's rows.

        ``inference`` defaults to what the query's header asks for. Canned queries without
        inference are written so that the closure does not change their rows (a test checks it),
        so they run over everything the store holds.
        """
        canned = for_store(get_query(name), self.layout.store)
        text = canned.bind(params)
        closure = canned.closure(inference)

        def run(text: str) -> QueryResult:
            plan = self.layout.plan(
                text, closure=closure, closure_matters=canned.inference, name=name, canned=True
            )
            return self._post_query(plan.text, [("query", plan.text), *plan.dataset])

        for ask, missing in canned.lookups(params):
            if not run(ask).boolean:
                raise QueryParameterError(missing)
        return run(text)

    def sparql(self, text: str, *, inference: bool = True, canned: bool = False) -> QueryResult:
        """Run any query over the SPARQL 1.1 Protocol (POST, form-encoded).

        ``canned`` marks one of the project's own queries or quality checks (see
        ``Layout.plan``); Virtuoso then gets fewer pragmas, which its optimizer needs for some.
        The text of a shipped query or check (``sparql --file queries/checks/…``) counts as one.
        """
        canned = canned or _is_shipped(text)
        layout = self.layout
        text = with_prefixes(text, PREFIXES)  # as the embedded graph takes them
        plan = layout.plan(text, closure=inference, closure_matters=True, canned=canned)
        return self._post_query(plan.text, [("query", plan.text), *plan.dataset])

    def values(self, text: str) -> list[list[str]]:
        """The rows of a SELECT sent as it is, as strings: for the store's own bookkeeping."""
        rows = self._post_query(text, [("query", text)]).rows
        return [[t.value if isinstance(t, _VALUED) else "" for t in row] for row in rows]

    def _send(self, text: str, form: list[tuple[str, str]]) -> Response:
        graph_result = _is_graph_query(text)
        return self.connection.request(
            "POST",
            self.endpoint,
            urllib.parse.urlencode(form).encode("utf-8"),
            {"Content-Type": FORM, "Accept": N_TRIPLES if graph_result else RESULTS_JSON},
            session=self.session,
        )

    def _post_query(self, text: str, form: list[tuple[str, str]]) -> QueryResult:
        try:
            answer = self._send(text, form)
        except RemoteError as err:
            if "SQ200: Stack Overflow" in str(err):
                raise RemoteError(
                    f"{strip_userinfo(self.endpoint)}: Virtuoso's optimizer gave up on this "
                    "query (SQ200 Stack Overflow) with the graphs it must leave out; simplify the "
                    "query, or keep only the knowledge graph in the store"
                ) from None
            raise
        try:
            if _is_graph_query(text):
                result = QueryResult.from_ntriples(answer.body)
                size = len(result.triples)  # parses, so garbage fails here
            else:
                answered = ox.parse_query_results(
                    standard_results(answer.body), format=ox.QueryResultsFormat.JSON
                )
                result = QueryResult.from_oxigraph(answered, order=star_order(text))
                size = len(result)
        except (SyntaxError, ValueError) as err:
            raise RemoteError(
                f"{strip_userinfo(self.endpoint)} answered something that is not SPARQL results "
                f"({answer.media}): {str(err).splitlines()[0][:200]}"
            ) from None
        cap = answer.headers.get("x-sparql-maxrows")
        if cap is not None and cap.strip().isdigit() and size >= int(cap):
            raise RemoteError(
                f"{strip_userinfo(self.endpoint)} cut the result at its row cap of {cap} "
                "(Virtuoso: ResultSetMaxRows in virtuoso.ini [SPARQL]); raise the cap or add "
                "a LIMIT"
            )
        return result


def _is_shipped(text: str) -> bool:
    """Whether ``text`` is one of the project's canned queries or quality checks, as shipped."""
    from ..queries import list_checks, list_queries

    return any(q.text.strip() == text.strip() for q in [*list_queries(), *list_checks()])


def _is_graph_query(text: str) -> bool:
    """Whether a query answers with triples; Virtuoso's ``define`` pragmas come before it."""
    lines = text.splitlines()
    while lines and lines[0].startswith("define input:"):
        lines.pop(0)
    return query_form("\n".join(lines)) in ("CONSTRUCT", "DESCRIBE")
