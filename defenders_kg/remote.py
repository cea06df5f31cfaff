"""Remote triple stores over the SPARQL 1.1 Protocol and the Graph Store HTTP Protocol.

Nothing here is specific to one store: Oxigraph (``/query``, ``/store``), Apache Jena Fuseki
(``/DATASET/sparql``, ``/DATASET/data``), GraphDB and Virtuoso speak the same protocols. The HTTP
client is the standard library's, with an explicit time-out on every request, a bounded number of
retries with exponential back-off for idempotent requests, and credentials from the environment
or ``~/.netrc`` that never appear in a message.
"""

from __future__ import annotations

import base64
import netrc
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .errors import RemoteError
from .queries import get_query, query_form
from .results import QueryResult
from .vocab import INFERRED_GRAPH

if TYPE_CHECKING:
    from .kg import KnowledgeGraph

_RESULTS_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"
_N_QUADS = "application/n-quads"
_RETRIED_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Connection:
    """How to talk to one endpoint: time-out per request, retries, back-off."""

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5

    def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[bytes, str]:
        """Send one idempotent request, retrying on network errors, time-outs and 5xx answers.

        Returns the body and the media type; raises ``RemoteError`` with a message that names the
        URL (without credentials) and never the credentials themselves.
        """
        shown = _strip_userinfo(url)
        request_headers = {**headers, **_credentials(url)}
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(
                _strip_userinfo(url), data=body, method=method, headers=request_headers
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    media = response.headers.get_content_type()
                    return response.read(), media
            except urllib.error.HTTPError as err:
                detail = err.read(300).decode("utf-8", "replace").strip().splitlines()
                last = f"{shown} answered {err.code} {err.reason}" + (
                    f": {detail[0]}" if detail else ""
                )
                if err.code not in _RETRIED_STATUSES:
                    raise RemoteError(last) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                reason = getattr(err, "reason", err)
                last = f"cannot reach {shown}: {reason}"
        tries = self.retries + 1
        raise RemoteError(f"{last} (after {tries} tr{'y' if tries == 1 else 'ies'})")


class RemoteKnowledgeGraph:
    """The knowledge graph in a remote SPARQL 1.1 query endpoint: canned and ad-hoc queries.

    The endpoint is expected to hold what ``push`` uploads: the statement groups as named graphs,
    the closure in its own graph, and (for queries without inference) the store's default graph
    the union of its named graphs, as with ``oxigraph serve --union-default-graph``.
    """

    def __init__(self, endpoint: str, connection: Connection | None = None) -> None:
        self.endpoint = endpoint
        self.connection = connection or Connection()

    def query(
        self,
        name: str,
        params: Mapping[str, object] | None = None,
        *,
        inference: bool | None = None,
    ) -> QueryResult:
        """Run a canned query, unchanged, over the store's union default graph.

        Canned queries that do not need the closure are written so that its presence does not
        change their rows (a test checks it), so the remote store can simply hold everything.
        ``inference=False`` leaves the closure's graph out explicitly, as ``sparql`` does.
        """
        return self.sparql(get_query(name).bind(params), inference=inference is not False)

    def sparql(self, text: str, *, inference: bool = True) -> QueryResult:
        """Run a query over the SPARQL 1.1 Protocol (POST, form-encoded)."""
        form = [("query", text)]
        if not inference:
            # The protocol's dataset parameters leave the closure's graph out of the dataset.
            graphs = [g for g in self._named_graphs() if g != INFERRED_GRAPH]
            form += [("default-graph-uri", g) for g in graphs]
            form += [("named-graph-uri", g) for g in graphs]
        return self._post_query(text, form)

    def _named_graphs(self) -> list[str]:
        listing = self._post_query("", [("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")])
        return sorted(row[0].value for row in listing.rows if isinstance(row[0], ox.NamedNode))

    def _post_query(self, text: str, form: list[tuple[str, str]]) -> QueryResult:
        graph_result = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        accept = _N_TRIPLES if graph_result else _RESULTS_JSON
        body, media = self.connection.request(
            "POST",
            self.endpoint,
            urllib.parse.urlencode(form).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        try:
            if graph_result:
                triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
                return QueryResult(kind="graph", triples=triples)
            answer = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            return QueryResult.from_oxigraph(answer)
        except (SyntaxError, ValueError) as err:
            raise RemoteError(
                f"{_strip_userinfo(self.endpoint)} answered something that is not SPARQL results "
                f"({media}): {str(err).splitlines()[0][:200]}"
            ) from None


def push(
    kg: KnowledgeGraph,
    store_url: str,
    *,
    graph: str | None = None,
    inferred: bool = True,
    connection: Connection | None = None,
) -> int:
    """Replace the remote data with this knowledge graph in one Graph Store Protocol request.

    Without ``graph``, the whole dataset is replaced (``PUT`` of N-Quads on the store URL): the
    statement groups stay named graphs and the closure goes into its own graph. With ``graph``,
    the union of all graphs replaces that one graph (``PUT ...?graph=IRI`` of N-Triples). One
    request means the store swaps the data in one transaction: a failed upload leaves the previous
    data in place. Blank nodes travel as their skolem IRIs, so they stay addressable. Returns the
    number of triples (or quads) sent.
    """
    store = kg.store(inference=inferred)
    quads = [q for q in store if inferred or q.graph_name != ox.NamedNode(INFERRED_GRAPH)]
    if graph is None:
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        url, media, count = store_url, _N_QUADS, len(quads)
    else:
        triples = list(dict.fromkeys(q.triple for q in quads))
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        url, media, count = _with_query(store_url, {"graph": graph}), _N_TRIPLES, len(triples)
    (connection or Connection()).request("PUT", url, data, {"Content-Type": media})
    return count


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params)]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _strip_userinfo(url: str) -> str:
    """The URL without user name or password: what may be sent as the target, or shown."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _credentials(url: str) -> dict[str, str]:
    """An Authorization header from the environment, the URL or ``~/.netrc``; empty if none.

    ``DEFENDERS_KG_TOKEN`` gives a bearer token; ``DEFENDERS_KG_USER`` and
    ``DEFENDERS_KG_PASSWORD`` give basic authentication.
    """
    token = os.environ.get("DEFENDERS_KG_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    parts = urllib.parse.urlsplit(url)
    user, password = os.environ.get("DEFENDERS_KG_USER"), os.environ.get("DEFENDERS_KG_PASSWORD")
    if not user and parts.username:
        user, password = (
            urllib.parse.unquote(parts.username),
            urllib.parse.unquote(parts.password or ""),
        )
    if not user and parts.hostname:
        try:
            entry = netrc.netrc().authenticators(parts.hostname)
        except (OSError, netrc.NetrcParseError):
            entry = None
        if entry:
            user, password = entry[0], entry[2]
    if not user:
        return {}
    pair = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}
