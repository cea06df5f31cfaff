"""A read-only SPARQL 1.1 Protocol endpoint over the inferred graph, and a query page for people.

Queries are answered by the worker pool (``pool``): each in a process of its own, stopped by a
kill past its time limit or its memory limit. Every answer says ``nosniff``, every page carries
a Content-Security-Policy, and a client has a bounded time to send its request (``guards``).
Before evaluation, a query that could make the server read a file or fetch a URL is refused:
SERVICE, FROM / FROM NAMED, and the protocol's dataset parameters. Updates are refused with 403.
Request bodies and query strings have a size limit; results a row limit.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import urllib.parse
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from .. import formats
from ..errors import DefendersKGError, ListenError, QueryParameterError
from ..formats import negotiate
from ..policy import query_form, repeatable
from ..queries import collect_params, get_query, list_queries
from ..results import QueryResult
from ..vocab import DCTERMS, SD
from .answers import KeptResponses, keep
from .documents import entity_tag, not_modified
from .guards import SecurityHeaders, guarded_protocol, read_limited
from .ontology_page import ontology_html
from .pool import Limits, QueryPool
from .routes import routes as iri_routes
from .worker import Reply, error

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from ..kg import KnowledgeGraph

_SELECT = ("json", "xml", "csv", "tsv")
_ASK = ("json", "xml")
_GRAPH = ("turtle", "nt", "jsonld", "rdfxml")


def offered(names: tuple[str, ...]) -> dict[str, str]:
    """Media types mapped to format names, from the registry, the first being the default."""
    return {media: name for name in names for media in formats.get(name).media_types}


SELECT_TYPES = offered(_SELECT)
ASK_TYPES = offered(_ASK)
GRAPH_TYPES = offered(_GRAPH)


def service_description(endpoint: str) -> str:
    """A SPARQL 1.1 Service Description of this endpoint, in Turtle."""
    names = dict.fromkeys((*_SELECT, *_GRAPH))
    results = " , ".join(f"<{formats.get(name).iri}>" for name in names)
    return (
        f"@prefix sd: <{SD}> .\n"
        f"@prefix dcterms: <{DCTERMS}> .\n\n"
        f"<{endpoint}> a sd:Service ;\n"
        f"    sd:endpoint <{endpoint}> ;\n"
        "    sd:supportedLanguage sd:SPARQL11Query ;\n"
        f"    sd:resultFormat {results} ;\n"
        "    sd:feature sd:UnionDefaultGraph ;\n"
        '    dcterms:title "The Defenders knowledge graph, read-only, with its closure"@en ;\n'
        "    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .\n"
    )


def default_cors(kg: KnowledgeGraph) -> tuple[str, ...]:
    """Any origin may read the embedded graph from a browser; no other origin may read `--data`."""
    return ("*",) if all(source.embedded for source in kg.sources) else ()


def create_app(
    kg: KnowledgeGraph, limits: Limits | None = None, *, cors: Sequence[str] | None = None
) -> Starlette:
    """The ASGI application: ``/sparql``, ``/queries``, ``/queries/NAME`` and the page at ``/``.

    ``cors`` lists the origins whose pages may read the answers (``*`` for any); by default
    ``default_cors(kg)``.
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    limits = limits or Limits()
    pool = QueryPool(kg, limits)
    page, editor_files = query_page()

    def reply(result: Reply, if_none_match: str = "") -> Response:
        headers = {}
        if result.status == 200:
            # Answers are cached by a client or a proxy only as the Accept header chose them.
            headers = {"ETag": entity_tag(result.body), "Vary": "Accept"}
            if not_modified(if_none_match, headers["ETag"]):
                return Response(b"", status_code=304, headers=headers)
        headers.update(result.headers)
        return Response(
            result.body, status_code=result.status, media_type=result.media_type, headers=headers
        )

    async def evaluate(request: Request, text: str) -> Response:
        accept = request.headers.get("accept", "")
        if_none_match = request.headers.get("if-none-match", "")
        if len(text.encode("utf-8")) > limits.max_bytes:
            return reply(error(413, f"the query is longer than {limits.max_bytes} bytes"))
        form = query_form(text)
        offers = {"ASK": ASK_TYPES, "CONSTRUCT": GRAPH_TYPES, "DESCRIBE": GRAPH_TYPES}.get(
            form, SELECT_TYPES
        )
        media_type = negotiate(accept, offers)
        if media_type is None:
            kinds = ", ".join(offers)
            return reply(
                error(
                    406,
                    f"cannot answer a {form or 'query'} as Accept asks; offered: {kinds}",
                )
            )
        answered = await pool.answer(text, offers[media_type], media_type)
        if repeatable(text):
            keep(request.scope)
        return reply(answered, if_none_match)

    async def sparql(request: Request) -> Response:
        params: list[tuple[str, str]] = list(request.query_params.multi_items())
        if len(request.url.query) > limits.max_bytes:
            return reply(error(413, f"the query string is longer than {limits.max_bytes} bytes"))
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                body = await read_limited(request, limits.max_bytes, limits.read_timeout)
            except TimeoutError:
                message = f"the request body did not arrive within {limits.read_timeout:g} s"
                return reply(error(408, message))
            if body is None:
                return reply(
                    error(413, f"the request body is longer than {limits.max_bytes} bytes")
                )
            if content_type == "application/sparql-update":
                return reply(error(403, "updates are refused: this endpoint is read-only"))
            if content_type == "application/x-www-form-urlencoded":
                params += urllib.parse.parse_qsl(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
            elif content_type == "application/sparql-query":
                params.append(("query", body.decode("utf-8", "replace")))
            else:
                return reply(error(415, f"unsupported Content-Type {content_type!r}"))
        names = [name for name, _ in params]
        if "update" in names:
            return reply(error(403, "updates are refused: this endpoint is read-only"))
        if "default-graph-uri" in names or "named-graph-uri" in names:
            return reply(
                error(400, "default-graph-uri and named-graph-uri are refused: one fixed dataset")
            )
        queries = [value for name, value in params if name == "query"]
        if not queries:
            if request.method == "GET":
                endpoint = str(request.url.replace(query=""))
                description = Reply(200, "text/turtle", service_description(endpoint).encode())
                keep(request.scope)
                return reply(description, request.headers.get("if-none-match", ""))
            return reply(error(400, "no query: send a 'query' parameter"))
        if len(queries) > 1:
            return reply(error(400, "exactly one 'query' parameter is allowed"))
        return await evaluate(request, queries[0])

    async def catalogue(request: Request) -> Response:
        listing = JSONResponse(
            [
                {
                    "name": q.name,
                    "summary": q.summary,
                    "tags": list(q.tags),
                    "params": [
                        {"name": p.name, "type": p.type, "required": p.required} for p in q.params
                    ],
                    "text": q.text,
                }
                for q in list_queries()
            ]
        )
        listed = Reply(200, "application/json", bytes(listing.body))
        keep(request.scope)
        return reply(listed, request.headers.get("if-none-match", ""))

    async def canned(request: Request) -> Response:
        try:
            query = get_query(request.path_params["name"])
            values = collect_params(request.query_params.multi_items())
            text = query.bind(values)
        except DefendersKGError as err:
            return reply(error(err.http_status, str(err)))
        for ask, missing in query.lookups(values):  # an unknown entity is an error, not 0 rows
            found = await pool.answer(ask, "json", "application/sparql-results+json")
            if found.status != 200:  # the check itself failed: its error, never "0 rows"
                return reply(found)
            if not QueryResult.from_wire("ASK", found.body).boolean:
                return reply(error(QueryParameterError.http_status, missing))
        return await evaluate(request, text)

    async def index(request: Request) -> Response:
        home = Reply(200, "text/html; charset=utf-8", page.encode("utf-8"))
        keep(request.scope)
        return reply(home, request.headers.get("if-none-match", ""))

    async def editor_file(request: Request) -> Response:
        found = editor_files.get(request.path_params["name"])
        if found is None:
            return reply(error(404, "no such file"))
        keep(request.scope)
        return reply(found, request.headers.get("if-none-match", ""))

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/editor/{name}", editor_file),
            Route("/sparql", sparql, methods=["GET", "POST"]),
            Route("/queries", catalogue),
            Route("/queries/{name}", canned),
            *iri_routes(pool, ontology_html),  # the IRIs: /resource, /graph, /ontology
        ],
        middleware=[
            # Outermost, so that a kept answer is sent with the headers the others added.
            Middleware(
                KeptResponses,
                budget=limits.answer_cache * 1024 * 1024,
                max_bytes=limits.max_bytes,
                read_timeout=limits.read_timeout,
            ),
            Middleware(SecurityHeaders),
            Middleware(
                CORSMiddleware,
                allow_origins=list(default_cors(kg) if cors is None else cors),
                allow_methods=["GET", "POST"],
                allow_headers=["Accept", "Content-Type"],
            ),
        ],
        lifespan=_closing(pool),
    )
    return app


_NONCE_SLOT = "{style-nonce}"
_EDITOR_TYPES = {".js": "text/javascript; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def query_page() -> tuple[str, dict[str, Reply]]:
    """The page at ``/`` and the editor's files by name. The page gets the endpoint's prefixes,
    and the SPARQL editor when the build put it into the package (``hatch_build.py``, with npm);
    without it the page keeps its plain textarea and says so."""
    from ..vocab import PREFIXES

    web = resources.files("defenders_kg").joinpath("web")
    files = {
        item.name: Reply(200, _EDITOR_TYPES[suffix], item.read_bytes())
        for item in web.joinpath("editor").iterdir()
        if item.is_file() and (suffix := os.path.splitext(item.name)[1]) in _EDITOR_TYPES
    } if web.joinpath("editor").is_dir() else {}  # fmt: skip
    prefixes = json.dumps(PREFIXES).replace("</", "<\\/")
    served = f'<script type="application/json" id="prefixes">{prefixes}</script>'
    if "editor.js" in files:
        served += '\n<script src="editor/editor.js"></script>'
    page = web.joinpath("index.html").read_text(encoding="utf-8")
    page = page.replace("<!-- served: prefixes and editor -->", served, 1)
    # CodeMirror writes its styles into a <style> element, which the policy admits by a nonce.
    # It is drawn once per server, not per answer, so that the page keeps its ETag: the page
    # holds no text from a client or the data for a nonce to guard against.
    return page.replace(_NONCE_SLOT, secrets.token_urlsafe(18), 1), files


def _closing(pool: QueryPool) -> Any:
    """A lifespan that stops the worker processes when the server shuts down."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: object) -> Any:
        try:
            yield
        finally:
            pool.close()

    return lifespan


def serve(
    kg: KnowledgeGraph,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: Limits | None = None,
    cors: Sequence[str] | None = None,
) -> None:
    """Run the endpoint with uvicorn until interrupted; Ctrl-C raises ``KeyboardInterrupt``.

    The address is bound before anything else starts, so a busy port is a ``ListenError``. Once
    listening, one line on stderr names the endpoint's URL and the query page's.
    """
    import socket
    import sys

    import uvicorn

    limits = limits or Limits()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise ListenError(f"cannot listen on {host}:{port}: {reason}") from None
    with listener:
        app = create_app(kg, limits, cors=cors)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        base = f"http://{shown}:{listener.getsockname()[1]}"
        print(f"defenders-kg: SPARQL endpoint at {base}/sparql, query page at {base}/ "
              "(Ctrl-C stops)", file=sys.stderr, flush=True)  # fmt: skip
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            http=guarded_protocol(limits),
            timeout_keep_alive=min(5, math.ceil(limits.read_timeout)),
            # One more than the cap, so that the last connection allowed is also served.
            limit_concurrency=limits.max_connections + 1,
            # Paused queries would otherwise hold a stopping server for their whole time limits.
            timeout_graceful_shutdown=5,
            # No proxy sits in front to be trusted, and no header names the software.
            proxy_headers=False,
            server_header=False,
        )
        # uvicorn.run would swallow the KeyboardInterrupt that its Server re-raises on Ctrl-C.
        uvicorn.Server(config).run(sockets=[listener])
