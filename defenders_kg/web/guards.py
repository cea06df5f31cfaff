"""What every connection and answer of the endpoint is held to: ``nosniff`` on every answer, a
Content-Security-Policy on every page, a deadline for a request's headers and one for its body,
and a cap on open connections."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request

    from .pool import Limits

#: The nonce ``endpoint.query_page`` writes into the page for the editor's styles.
STYLE_NONCE = re.compile(r'<meta name="style-nonce" content="([A-Za-z0-9_-]{24})">')


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
    hashes["style"] += [f"'nonce-{nonce}'" for nonce in STYLE_NONCE.findall(page)[:1]]
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


async def read_limited(request: Request, limit: int, timeout: float) -> bytes | None:
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


def guarded_protocol(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers and a cap on open
    connections: uvicorn has neither, so a client sending a byte a second would hold its
    connection for ever.

    The protocol is uvicorn's httptools one (a C parser): measured under 16 clients, the server
    process spent 0.62 ms a request with it and 0.78 ms with the pure-Python h11. Its writes go
    through ``Coalescing``."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class Guarded(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(Coalescing(transport, self.loop))  # type: ignore[arg-type]
            if len(self.connections) > limits.max_connections:
                transport.close()
                return
            # asyncio sets TCP_NODELAY only on sockets made with IPPROTO_TCP, and the listener
            # (socket.create_server) is not: a response's headers and body, written apart, then
            # waited 40 ms for the client's delayed ACK (Nagle's algorithm).
            connection = transport.get_extra_info("socket")
            if connection is not None and connection.family != socket.AF_UNIX:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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


class Coalescing:
    """A transport whose writes within one turn of the event loop leave as one.

    uvicorn writes a response's head and its body apart: two system calls and, with Nagle's
    algorithm off (``TCP_NODELAY``), two packets for the client to read. Measured on kept answers
    under 16 clients, the server spent a quarter of its time in those writes.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def _flush(self) -> None:
        if self._pending and not self._transport.is_closing():
            self._transport.write(b"".join(self._pending))
        self._pending.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
