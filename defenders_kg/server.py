"""A read-only SPARQL 1.1 Protocol endpoint over the inferred graph, and a query page for people.

Queries run in a small pool of worker processes, each with its own copy of the store. A query
that overruns the time limit is stopped by killing its worker (Oxigraph's evaluation cannot be
interrupted from Python), and a fresh worker takes its place, so a slow or failing query never
holds up other clients. Before evaluation, a query that could make the server read a file or
fetch a URL is refused: SERVICE, FROM / FROM NAMED, and the protocol's dataset parameters. Updates
are refused with 403. Request bodies and query strings have a size limit; results a row limit.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import threading
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from multiprocessing.connection import Connection as Pipe
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from . import engine, formats, linked_data
from .errors import DefendersKGError, ListenError, QueryParameterError
from .formats import negotiate
from .ontology_docs import ontology_html
from .policy import query_form
from .queries import collect_params, get_query, list_queries

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from .kg import KnowledgeGraph

_SELECT = ("json", "xml", "csv", "tsv")
_ASK = ("json", "xml")
_GRAPH = ("turtle", "nt", "jsonld", "rdfxml")


def offered(names: tuple[str, ...]) -> dict[str, str]:
    """Media types mapped to format names, from the registry, the first being the default."""
    return {media: name for name in names for media in formats.get(name).media_types}


SELECT_TYPES = offered(_SELECT)
ASK_TYPES = offered(_ASK)
GRAPH_TYPES = offered(_GRAPH)


@dataclass(frozen=True)
class Limits:
    """What one request may cost."""

    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 64 * 1024
    workers: int = 2


@dataclass(frozen=True)
class Reply:
    status: int
    media_type: str
    body: bytes


def _error(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))


def _answer(store: ox.Store, text: str, fmt: str, media_type: str, max_rows: int) -> Reply:
    """Evaluate one query inside a worker; every outcome becomes a Reply."""
    try:
        result = engine.run(store, text, max_rows=max_rows)
        return Reply(200, media_type, result.encode(fmt))
    except DefendersKGError as err:
        return _error(err.http_status, str(err))


#: The largest store a worker copies into memory (about 1 GB of memory per worker at this size).
IN_MEMORY_QUADS = 2_000_000


def _worker_main(pipe: Pipe, store_path: str) -> None:
    """A worker process: open the persisted store read-only, answer jobs until the pipe closes.

    The loop runs on one thread with a large stack, so no query needs a thread of its own. A
    store of up to ``IN_MEMORY_QUADS`` quads is copied into memory, where Oxigraph answers the
    canned queries three to four times faster than from its on-disk store; a larger one is
    queried on disk, shared by all workers through the operating system's page cache.
    """
    store = ox.Store.read_only(store_path)
    if len(store) <= IN_MEMORY_QUADS:
        in_memory = ox.Store()
        in_memory.bulk_extend(store)
        store = in_memory

    def serve_jobs() -> None:
        while True:
            try:
                text, fmt, media_type, max_rows = pipe.recv()
            except (EOFError, OSError):
                return
            pipe.send(_answer(store, text, fmt, media_type, max_rows))

    engine.on_big_stack(serve_jobs)


class QueryPool:
    """Worker processes that answer queries, each killable when it overruns the time limit.

    The pool lives on the server's event loop: a request waits for an idle worker and for its
    reply without a thread of its own (the loop watches the worker's pipe), which keeps the cost
    of a request in this process small. Code on a worker thread of that loop calls ``run``.
    """

    def __init__(self, kg: KnowledgeGraph, limits: Limits) -> None:
        self.limits = limits
        self._store_path = str(kg.store_path(inference=True))
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[tuple[Any, Pipe]] = asyncio.Queue()
        self._all: set[Any] = set()
        for _ in range(limits.workers):
            self._idle.put_nowait(self._spawn())

    def _spawn(self) -> tuple[Any, Pipe]:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(child, self._store_path), daemon=True
        )
        # Ctrl-C reaches the whole process group, and the server stops its workers itself: they
        # start with SIGINT ignored (that survives exec; only the main thread may set it).
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            process.start()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)
        child.close()
        self._all.add(process)
        return process, parent

    async def answer(self, text: str, fmt: str, media_type: str) -> Reply:
        """Have an idle worker answer ``text`` in ``fmt``, within the time limit."""
        try:
            process, pipe = await asyncio.wait_for(self._idle.get(), self.limits.timeout)
        except TimeoutError:
            return _error(503, "all query workers are busy; try again shortly")
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        loop.add_reader(pipe.fileno(), _wake, readable)
        try:
            pipe.send((text, fmt, media_type, self.limits.max_rows))
            await asyncio.wait_for(readable, self.limits.timeout)
            # uvloop's add_reader leaves the pipe non-blocking: a reply longer than the pipe's
            # buffer would then fail half-read (BlockingIOError) and pass for a crash.
            os.set_blocking(pipe.fileno(), True)
            reply: Reply = pipe.recv()
            self._idle.put_nowait((process, pipe))
            return reply
        except TimeoutError:
            timed_out = True
        except (EOFError, OSError):  # the worker died under the query (a crash, out of memory)
            timed_out = False
        finally:
            loop.remove_reader(pipe.fileno())
        process.kill()
        process.join()
        pipe.close()
        self._all.discard(process)
        self._idle.put_nowait(self._spawn())
        if timed_out:
            return _error(
                503,
                f"the query exceeded the time limit of {self.limits.timeout:g} s and was stopped",
            )
        return _error(500, "the query crashed its worker process; it was not answered")

    def run(self, text: str, fmt: str, media_type: str) -> Reply:
        """``answer`` for code on a worker thread of the server's loop (``run_in_threadpool``)."""
        import anyio.from_thread

        return anyio.from_thread.run(self.answer, text, fmt, media_type)

    def processes(self) -> list[int]:
        """The process ids of the workers (for operators and tests)."""
        return [int(process.pid) for process in self._all]

    def close(self) -> None:
        """Stop every worker, busy or idle."""
        for process in self._all:
            process.kill()
            process.join()
        self._all.clear()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def service_description(endpoint: str) -> str:
    """A SPARQL 1.1 Service Description of this endpoint, in Turtle."""
    names = dict.fromkeys((*_SELECT, *_GRAPH))
    results = " , ".join(f"<{formats.get(name).iri}>" for name in names)
    return (
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n\n"
        f"<{endpoint}> a sd:Service ;\n"
        f"    sd:endpoint <{endpoint}> ;\n"
        "    sd:supportedLanguage sd:SPARQL11Query ;\n"
        f"    sd:resultFormat {results} ;\n"
        "    sd:feature sd:UnionDefaultGraph ;\n"
        '    dcterms:title "The Defenders knowledge graph, read-only, with its closure"@en ;\n'
        "    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .\n"
    )


def create_app(kg: KnowledgeGraph, limits: Limits | None = None) -> Starlette:
    """The ASGI application: ``/sparql``, ``/queries``, ``/queries/NAME`` and the page at ``/``."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    limits = limits or Limits()
    pool = QueryPool(kg, limits)
    page = resources.files("defenders_kg").joinpath("web/index.html").read_text(encoding="utf-8")

    def reply(result: Reply, if_none_match: str = "") -> Response:
        headers = {}
        if result.status == 200:
            # Answers are cached by a client or a proxy only as the Accept header chose them.
            headers = {"ETag": linked_data.entity_tag(result.body), "Vary": "Accept"}
            if linked_data.not_modified(if_none_match, headers["ETag"]):
                return Response(b"", status_code=304, headers=headers)
        return Response(
            result.body, status_code=result.status, media_type=result.media_type, headers=headers
        )

    async def evaluate(text: str, accept: str, if_none_match: str = "") -> Response:
        if len(text.encode("utf-8")) > limits.max_bytes:
            return reply(_error(413, f"the query is longer than {limits.max_bytes} bytes"))
        form = query_form(text)
        offers = {"ASK": ASK_TYPES, "CONSTRUCT": GRAPH_TYPES, "DESCRIBE": GRAPH_TYPES}.get(
            form, SELECT_TYPES
        )
        media_type = negotiate(accept, offers)
        if media_type is None:
            kinds = ", ".join(offers)
            return reply(
                _error(406, f"cannot answer a {form or 'query'} as {accept}; offered: {kinds}")
            )
        return reply(await pool.answer(text, offers[media_type], media_type), if_none_match)

    async def sparql(request: Request) -> Response:
        params: list[tuple[str, str]] = list(request.query_params.multi_items())
        if len(request.url.query) > limits.max_bytes:
            return reply(_error(413, f"the query string is longer than {limits.max_bytes} bytes"))
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _read_limited(request, limits.max_bytes)
            if body is None:
                return reply(
                    _error(413, f"the request body is longer than {limits.max_bytes} bytes")
                )
            if content_type == "application/sparql-update":
                return reply(_error(403, "updates are refused: this endpoint is read-only"))
            if content_type == "application/x-www-form-urlencoded":
                params += urllib.parse.parse_qsl(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
            elif content_type == "application/sparql-query":
                params.append(("query", body.decode("utf-8", "replace")))
            else:
                return reply(_error(415, f"unsupported Content-Type {content_type!r}"))
        names = [name for name, _ in params]
        if "update" in names:
            return reply(_error(403, "updates are refused: this endpoint is read-only"))
        if "default-graph-uri" in names or "named-graph-uri" in names:
            return reply(
                _error(400, "default-graph-uri and named-graph-uri are refused: one fixed dataset")
            )
        queries = [value for name, value in params if name == "query"]
        if not queries:
            if request.method == "GET":
                endpoint = str(request.url.replace(query=""))
                description = Reply(200, "text/turtle", service_description(endpoint).encode())
                return reply(description, request.headers.get("if-none-match", ""))
            return reply(_error(400, "no query: send a 'query' parameter"))
        if len(queries) > 1:
            return reply(_error(400, "exactly one 'query' parameter is allowed"))
        headers = request.headers
        return await evaluate(
            queries[0], headers.get("accept", ""), headers.get("if-none-match", "")
        )

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
        return reply(listed, request.headers.get("if-none-match", ""))

    async def canned(request: Request) -> Response:
        try:
            query = get_query(request.path_params["name"])
            values = collect_params(request.query_params.multi_items())
            text = query.bind(values)
        except DefendersKGError as err:
            return reply(_error(err.http_status, str(err)))
        for ask, missing in query.lookups(values):  # an unknown entity is an error, not 0 rows
            found = await pool.answer(ask, "json", "application/sparql-results+json")
            if found.status == 200 and not json.loads(found.body)["boolean"]:
                return reply(_error(QueryParameterError.http_status, missing))
        headers = request.headers
        return await evaluate(text, headers.get("accept", ""), headers.get("if-none-match", ""))

    async def index(request: Request) -> Response:
        home = Reply(200, "text/html; charset=utf-8", page.encode("utf-8"))
        return reply(home, request.headers.get("if-none-match", ""))

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/sparql", sparql, methods=["GET", "POST"]),
            Route("/queries", catalogue),
            Route("/queries/{name}", canned),
            *linked_data.routes(pool, ontology_html),  # the IRIs: /resource, /graph, /ontology
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=["Accept", "Content-Type"],
            )
        ],
        lifespan=_closing(pool),
    )
    return app


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


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def serve(
    kg: KnowledgeGraph, *, host: str = "127.0.0.1", port: int = 8000, limits: Limits | None = None
) -> None:
    """Run the endpoint with uvicorn until interrupted; Ctrl-C raises ``KeyboardInterrupt``.

    The address is bound before anything else starts, so a busy port is a ``ListenError``. Once
    listening, one line on stderr names the endpoint's URL and the query page's.
    """
    import socket
    import sys

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise ListenError(f"cannot listen on {host}:{port}: {reason}") from None
    with listener:
        app = create_app(kg, limits)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        base = f"http://{shown}:{listener.getsockname()[1]}"
        print(f"defenders-kg: SPARQL endpoint at {base}/sparql, query page at {base}/ "
              "(Ctrl-C stops)", file=sys.stderr, flush=True)  # fmt: skip
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        # uvicorn.run would swallow the KeyboardInterrupt that its Server re-raises on Ctrl-C.
        uvicorn.Server(config).run(sockets=[listener])
