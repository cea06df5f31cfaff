"""The endpoint's routes for the project's IRIs.

Following the W3C "Cool URIs for the Semantic Web" (section 4.3, 303 URIs forwarding to
different documents) and recipe 5 of "Best Practice Recipes for Publishing RDF Vocabularies", an
IRI names a thing, not a document, so it answers ``303 See Other`` to the document in the format
the client's ``Accept`` header prefers: ``NAME.html``, ``NAME.ttl``, ``NAME.nt``,
``NAME.jsonld``, ``NAME.rdf``, ``NAME.trig`` or ``NAME.nq``. The static site (``web.site``)
writes the same documents under the same paths, and its ``.htaccess`` gives w3id.org the same
redirects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import DefendersKGError
from ..policy import query_form
from ..results import QueryResult
from .answers import Answer, keep
from .documents import document, negotiate, not_found, not_modified, render, see_other
from .iris import DOCUMENT_SUFFIXES, Target, offered, split_suffix, target
from .lookup import Document, LinkedDataError, Paged, Runner, exists, ontology_graph


class Pool(Protocol):
    """The endpoint's pool of workers: one query answered in a registry format, as a reply with
    the HTTP status its outcome maps to."""

    def run(self, text: str, fmt: str, media_type: str) -> Answer: ...


class PoolRunner:
    """The pool as a ``Runner``: a worker sends the result in its wire form, made a
    ``QueryResult`` again here; a refusal or failure is the answer to send."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def query(self, text: str) -> QueryResult:
        form = query_form(text)
        reply = self.pool.run(text, QueryResult.wire_format(form), "")
        if reply.status != 200:
            message = reply.body.decode("utf-8", "replace").strip() + "\n"
            raise LinkedDataError(document(reply.status, "text", message.encode()))
        return QueryResult.from_wire(form, reply.body)


class OntologyPage:
    """The ontology's documentation page, built once by ``build`` from the store's ontology graph
    (``ontology_page.ontology_html``, passed in: that module builds on the pages)."""

    def __init__(self, runner: Runner, build: Callable[[Any], str]) -> None:
        self.runner = runner
        self.build = build
        self.html: str | None = None

    def get(self) -> str:
        if self.html is None:
            self.html = self.build(ontology_graph(self.runner))
        return self.html


def respond(
    runner: Runner, where: Target | None, fmt: str | None, accept: str, if_none_match: str,
    ontology: OntologyPage | None = None,
) -> Document:  # fmt: skip
    """The answer to a GET of an IRI (``fmt`` None: negotiate, 303) or of one of its documents.

    ``if_none_match`` is honoured on a 200 only (RFC 9110 section 13.2.1): ``*``, or a list of
    entity tags compared weakly, so ``W/"x"`` matches ``"x"``."""
    if where is None:
        return document(404, "text", b"not found\n")
    try:
        if fmt is None:
            chosen = negotiate(accept)
            if chosen is None:
                kinds = ", ".join(offered())
                message = f"cannot answer {accept}; offered: {kinds}\n"
                return document(406, "text", message.encode())
            if not exists(runner, where):
                return not_found(where, chosen)
            return see_other(where, chosen)
        page = ontology.get() if ontology is not None and where.kind == "ontology" else None
        found = render(runner, where, fmt, query_page="", ontology_html=page)
    except LinkedDataError as err:
        return err.document
    except DefendersKGError as err:
        return document(err.http_status, "text", f"{err}\n".encode())
    if found.status == 200 and not_modified(if_none_match, found.headers.get("ETag", "")):
        return Document(304, found.media_type, b"", found.headers)
    return found


def routes(pool: Pool, ontology_page: Callable[[Any], str]) -> list[Any]:
    """Starlette routes for ``/resource/NAME``, ``/graph/NAME``, ``/ontology`` and their
    documents (``NAME.html``, ``NAME.ttl``, ...), answered through the endpoint's ``pool``."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import RedirectResponse, Response
    from starlette.routing import Route

    # The endpoint's pool answers at most its row limit; pages and descriptions read past it in
    # pages, each one query under the same time limit.
    limits = getattr(pool, "limits", None)
    runner: Runner = PoolRunner(pool)
    if limits is not None:
        runner = Paged(runner, limits.max_rows)
    ontology = OntologyPage(runner, ontology_page)

    async def answer(request: Request, where: Target | None, fmt: str | None) -> Response:
        found = await run_in_threadpool(
            respond, runner, where, fmt, request.headers.get("accept", ""),
            request.headers.get("if-none-match", ""), ontology,
        )  # fmt: skip
        if fmt is not None and found.status == 200:
            keep(request.scope)  # a document, not a redirect that depends on what exists
        return Response(found.body, status_code=found.status,
                        media_type=found.media_type, headers=dict(found.headers))  # fmt: skip

    def named(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            name, fmt = split_suffix(request.path_params["name"])
            return await answer(request, target(kind, name), fmt)

        return endpoint

    async def ontology_iri(request: Request) -> Response:
        return await answer(request, target("ontology"), None)

    async def ontology_module(request: Request) -> Response:
        return await answer(request, target("ontology", request.path_params["rest"]), None)

    async def ontology_document(request: Request) -> Response:
        fmt = DOCUMENT_SUFFIXES.get(request.path_params["suffix"])
        return await answer(request, target("ontology") if fmt else None, fmt)

    async def nothing(request: Request) -> Response:
        return Response("not found\n", status_code=404, media_type="text/plain")

    async def home(request: Request) -> Response:
        return RedirectResponse("./", status_code=303)

    return [
        Route("/index.html", home),
        Route("/resource/{name}", named("resource")),
        Route("/graph/{name}", named("graph")),
        Route("/ontology", ontology_iri),
        Route("/ontology.{suffix}", ontology_document),
        Route("/ontology/{rest:path}", ontology_module),
        # Anything deeper (a decoded %2F, "..") is outside the served tree: nothing is served.
        Route("/resource/{rest:path}", nothing),
        Route("/graph/{rest:path}", nothing),
    ]
