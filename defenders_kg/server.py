"""A read-only SPARQL 1.1 Protocol endpoint over the inferred graph, and a query page for people.

Queries run in worker processes, each with its own copy of the store. A query that overruns
its time limit, or its memory limit, is stopped by killing its worker (Oxigraph's evaluation
cannot be interrupted from Python), and a fresh worker takes its place; only a few long queries
run at once, so a slow or failing query never holds up a quick one (see ``QueryPool``). Every
answer says ``nosniff``, every page carries a Content-Security-Policy, and a client has a
bounded time to send its request. Before evaluation, a query that could make the server read a
file or fetch a URL is refused: SERVICE, FROM / FROM NAMED, and the protocol's dataset
parameters. Updates are refused with 403. Request bodies and query strings have a size limit;
results a row limit.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import multiprocessing
import os
import re
import secrets
import signal
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from multiprocessing.connection import Connection as Pipe
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from . import engine, formats
from .errors import DefendersKGError, ListenError, QueryParameterError, QuerySyntaxError
from .formats import negotiate
from .policy import query_form
from .queries import collect_params, get_query, list_queries
from .web.documents import entity_tag, not_modified
from .web.ontology_page import ontology_html
from .web.routes import routes as iri_routes

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
    """What one request may cost, and how many may be served at once."""

    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 64 * 1024
    #: Long queries (past ``QUICK_SECONDS`` of CPU) that run at once; more are paused.
    workers: int = 2
    #: Queries that may wait (paused) for a worker slot; beyond that, 503 with Retry-After.
    max_queue: int = 16
    #: MiB of memory a worker may allocate for one query, beyond the store it holds.
    max_memory: int = 1024
    #: Seconds a client has to send a request's headers, and again its body.
    read_timeout: float = 10.0
    #: Open connections; one past this is closed at once.
    max_connections: int = 256


#: A query that has used this much CPU is a long one: it needs one of the ``workers`` slots.
QUICK_SECONDS = 0.25


@dataclass(frozen=True)
class Reply:
    status: int
    media_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _error(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))


def _answer(store: ox.Store, text: str, fmt: str, media_type: str, max_rows: int) -> Reply:
    """Evaluate one query inside a worker; every outcome becomes a Reply."""
    try:
        result = engine.run(store, text, max_rows=max_rows)
        return Reply(200, media_type, result.encode(fmt))
    except QuerySyntaxError as err:
        # Line and column, without the offending line: an answer need not echo the query.
        return _error(err.http_status, str(err).splitlines()[0])
    except DefendersKGError as err:
        return _error(err.http_status, str(err))
    except MemoryError:
        return _error(503, _OUT_OF_MEMORY)


_OUT_OF_MEMORY = "the query needed more memory than a worker may use and was stopped"

#: The largest store a worker copies into memory (about 1 GB of memory per worker at this size).
IN_MEMORY_QUADS = 2_000_000


def _worker_main(pipe: Pipe, store_path: str, max_memory: int) -> None:
    """A worker process: open the persisted store read-only, answer jobs until the pipe closes.

    The loop runs on one thread with a large stack, so no query needs a thread of its own. A
    store of up to ``IN_MEMORY_QUADS`` quads is copied into memory, where Oxigraph answers the
    canned queries three to four times faster than from its on-disk store; a larger one is
    queried on disk, shared by all workers through the operating system's page cache. Once the
    store is loaded, the worker's address space may grow by ``max_memory`` MiB and no more.
    """
    store = ox.Store.read_only(store_path)
    if len(store) <= IN_MEMORY_QUADS:
        in_memory = ox.Store()
        in_memory.bulk_extend(store)
        store = in_memory

    def serve_jobs() -> None:
        _limit_address_space(max_memory * 1024 * 1024)
        while True:
            try:
                text, fmt, media_type, max_rows = pipe.recv()
            except (EOFError, OSError):
                return
            pipe.send(None)  # taken: a death from now on is this query's
            pipe.send(_answer(store, text, fmt, media_type, max_rows))

    engine.on_big_stack(serve_jobs)


def _limit_address_space(extra: int) -> None:
    """Let this process's address space grow by ``extra`` bytes from now on (RLIMIT_AS)."""
    import resource

    with open("/proc/self/statm", encoding="ascii") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + extra, size + extra))


@dataclass
class _Worker:
    process: Any
    pipe: Pipe


class QueryPool:
    """Worker processes that answer queries, each killable when it overruns the time limit.

    Every query gets a worker of its own at once (an idle one, or a new one), so a quick query
    never waits behind a slow one. A query that uses ``QUICK_SECONDS`` of CPU needs one of
    ``limits.workers`` slots; while none is free its worker is paused (SIGSTOP), which costs no
    CPU and does not count against its time limit. At most ``workers + max_queue`` queries are
    admitted at once; one more is answered 503 with Retry-After. A worker found dead is replaced
    before it is given a query.

    The pool lives on the server's event loop: a request waits for its reply without a thread of
    its own (the loop watches the worker's pipe). Code on a worker thread of that loop calls
    ``run``.
    """

    def __init__(self, kg: KnowledgeGraph, limits: Limits) -> None:
        self.limits = limits
        self._store_path = str(kg.store_path(inference=True))
        # Workers fork from a server process that has imported this module: a new one is ready
        # in milliseconds, so replacing a killed worker costs a query nothing.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([__name__])
        self._slots: asyncio.Semaphore | None = None
        self._admitted = 0
        self._all: set[Any] = set()
        self._idle = [self._spawn() for _ in range(limits.workers)]

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child, self._store_path, self.limits.max_memory),
            daemon=True,
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
        return _Worker(process, parent)

    def _take(self) -> _Worker:
        """An idle worker that is still alive, or a new one; one more stays idle."""
        worker = None
        while self._idle and worker is None:
            worker = self._idle.pop()
            # An idle worker's pipe has nothing to read unless the worker is gone (end of file).
            if worker.pipe.poll() or not worker.process.is_alive():
                self._discard(worker)
                worker = None
        if not self._idle:  # a spare, warm by the time the next query comes
            self._idle.append(self._spawn())
        return worker or self._spawn()

    def _give_back(self, worker: _Worker) -> None:
        if len(self._idle) < self.limits.workers + 1:
            self._idle.append(worker)
        else:
            self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.pipe.close()
        self._all.discard(worker.process)

    async def answer(self, text: str, fmt: str, media_type: str) -> Reply:
        """Have a worker answer ``text`` in ``fmt``, within the time limit."""
        if self._admitted >= self.limits.workers + self.limits.max_queue:
            return _busy(self.limits.timeout)
        self._admitted += 1
        try:
            for _ in range(3):  # a worker that died before it took the query: another one
                reply = await self._evaluate(text, fmt, media_type)
                if reply is not None:
                    return reply
            return _error(500, "no worker process could take the query; it was not answered")
        finally:
            self._admitted -= 1

    async def _evaluate(self, text: str, fmt: str, media_type: str) -> Reply | None:
        """The answer of one worker; None if that worker was gone before it took the query."""
        worker = self._take()
        try:
            outcome = await self._run_on(worker, (text, fmt, media_type, self.limits.max_rows))
        except BaseException:  # the request was cancelled: its worker may be paused or busy
            self._discard(worker)
            raise
        if isinstance(outcome, Reply):
            self._give_back(worker)
            return outcome
        self._discard(worker)
        if outcome == "gone":
            return None
        if outcome == "timed out":
            message = f"the query exceeded the time limit of {self.limits.timeout:g} s"
            return _error(503, f"{message} and was stopped")
        if worker.process.exitcode == -signal.SIGABRT:  # Rust aborts when an allocation fails
            return _error(503, f"{_OUT_OF_MEMORY} ({self.limits.max_memory} MiB)")
        return _error(500, "the query crashed its worker process; it was not answered")

    async def _run_on(self, worker: _Worker, job: tuple[str, str, str, int]) -> Reply | str:
        """``worker``'s reply to ``job``, or what happened instead: gone, timed out, crashed."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.workers)
        slots, timeout = self._slots, self.limits.timeout
        pid, fd = worker.process.pid, worker.pipe.fileno()
        holds_slot = False
        try:
            # The worker acknowledges a job before it runs it.
            try:
                worker.pipe.send(job)
                if not await _readable(fd, timeout):
                    return "timed out"
                # uvloop's add_reader leaves the pipe non-blocking: a reply longer than the
                # pipe's buffer would then fail half-read (BlockingIOError) and pass for a crash.
                os.set_blocking(fd, True)
                worker.pipe.recv()
            except (EOFError, OSError):
                return "gone"
            # Running, not yet long: until the query has used QUICK_SECONDS of CPU (a quick one
            # on a busy machine may take longer than that by the clock).
            began, ran, done = _cpu_seconds(pid), 0.0, False
            while not done and ran < timeout:
                step = min(QUICK_SECONDS, timeout - ran)
                done = await _readable(fd, step)
                ran += step
                if _cpu_seconds(pid) - began >= QUICK_SECONDS:
                    break
            if not done and ran < timeout:
                paused = slots.locked()
                if paused:
                    os.kill(pid, signal.SIGSTOP)
                await slots.acquire()
                holds_slot = True
                if paused:
                    os.kill(pid, signal.SIGCONT)
                done = await _readable(fd, timeout - ran)
            if not done:
                return "timed out"
            os.set_blocking(fd, True)
            reply: Reply = worker.pipe.recv()
            return reply
        except (EOFError, OSError):  # the worker died under the query (a crash, out of memory)
            return "crashed"
        finally:
            if holds_slot:
                slots.release()

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
        self._idle.clear()


def _cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _busy(timeout: float) -> Reply:
    retry = str(max(1, math.ceil(timeout)))
    message = "too many queries are waiting; try again shortly"
    return Reply(
        503, "text/plain; charset=utf-8", (message + "\n").encode(), (("Retry-After", retry),)
    )


async def _readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has something to read (or is closed) within ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, _wake, ready)
    try:
        done, _ = await asyncio.wait({ready}, timeout=max(timeout, 0))
        return bool(done)
    finally:
        loop.remove_reader(fd)


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
                _error(
                    406,
                    f"cannot answer a {form or 'query'} as Accept asks; offered: {kinds}",
                )
            )
        return reply(await pool.answer(text, offers[media_type], media_type), if_none_match)

    async def sparql(request: Request) -> Response:
        params: list[tuple[str, str]] = list(request.query_params.multi_items())
        if len(request.url.query) > limits.max_bytes:
            return reply(_error(413, f"the query string is longer than {limits.max_bytes} bytes"))
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                body = await _read_limited(request, limits.max_bytes, limits.read_timeout)
            except TimeoutError:
                message = f"the request body did not arrive within {limits.read_timeout:g} s"
                return reply(_error(408, message))
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

    async def editor_file(request: Request) -> Response:
        found = editor_files.get(request.path_params["name"])
        if found is None:
            return reply(_error(404, "no such file"))
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
_STYLE_NONCE = re.compile(r'<meta name="style-nonce" content="([A-Za-z0-9_-]{24})">')
_EDITOR_TYPES = {".js": "text/javascript; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def query_page() -> tuple[str, dict[str, Reply]]:
    """The page at ``/`` and the editor's files by name. The page gets the endpoint's prefixes,
    and the SPARQL editor when the build put it into the package (``hatch_build.py``, with npm);
    without it the page keeps its plain textarea and says so."""
    from .vocab import PREFIXES

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


class SecurityHeaders:
    """ASGI middleware: ``nosniff`` on every answer; on HTML pages a Content-Security-Policy
    that runs only the page's own inline scripts and styles (by hash) and reaches only this
    server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def secured(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
                if not _is_html(headers):
                    await send(message)
                    return
                start.update(message)  # held until the page is whole, to hash what it runs
                return
            if not start or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(chunks)
            policy = content_security_policy(page.decode("utf-8", "replace"))
            await send(
                {
                    **start,
                    "headers": [
                        *start["headers"],
                        (b"content-security-policy", policy.encode("ascii")),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, secured)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in headers
    )


_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def content_security_policy(page: str) -> str:
    """A policy for ``page``: its inline ``<script>`` and ``<style>`` blocks allowed by their
    SHA-256, the styles its ``style-nonce`` meta element names, scripts and styles of this server,
    requests to this server, nothing else."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    hashes["style"] += [f"'nonce-{nonce}'" for nonce in _STYLE_NONCE.findall(page)[:1]]
    return "; ".join(
        (
            "default-src 'none'",
            " ".join(["script-src 'self'", *hashes["script"]]),
            " ".join(["style-src 'self'", *hashes["style"]]),
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


async def _read_limited(request: Request, limit: int, timeout: float) -> bytes | None:
    """The request body, or None as soon as it exceeds ``limit`` bytes.

    Raises ``TimeoutError`` when the whole body has not arrived within ``timeout`` seconds.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async with asyncio.timeout(timeout):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


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
            http=_guarded_protocol(limits),
            timeout_keep_alive=min(5, math.ceil(limits.read_timeout)),
            # One more than the cap, so that the last connection allowed is also served.
            limit_concurrency=limits.max_connections + 1,
            # Paused queries would otherwise hold a stopping server for their whole time limits.
            timeout_graceful_shutdown=5,
        )
        # uvicorn.run would swallow the KeyboardInterrupt that its Server re-raises on Ctrl-C.
        uvicorn.Server(config).run(sockets=[listener])


def _guarded_protocol(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers and a cap on open
    connections: uvicorn has neither, so a client sending a byte a second would hold its
    connection for ever."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Guarded(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.close()
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # the headers are in; the body has its own timeout

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(limits.read_timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

    return Guarded
