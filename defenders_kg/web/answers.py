"""The endpoint's store of answers already given, so that a repeated request costs no evaluation.

The served store never changes while the server runs (it is read-only, and a changed input makes
a new cache layer, served only by a new server), so the same query text in the same format, or
the same document of an IRI, always has the same answer, and keeping it is exact. The pool keeps
no answer to a query whose answer is new on every evaluation (``policy.repeatable``). Only
complete answers (status 200) are kept, within a budget of bytes; the least recently used go
first.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any, Generic, NamedTuple, Protocol, TypeVar


class Answer(Protocol):
    """What the endpoint answers, to a query or for a document: a status and a body."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...


A = TypeVar("A", bound=Answer)
Key = tuple[str, ...]


class AnswerStore(Generic[A]):
    """Answers by a key of strings (a query's text, format and media type; a request's method,
    path, headers and body), up to ``budget`` bytes in all: bodies, keys and ``ENTRY_OVERHEAD``
    for each.

    An answer over a sixteenth of the budget is not kept: one large answer would push out many
    small ones. A budget of 0 keeps nothing.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._largest = budget // 16
        self._kept: OrderedDict[Key, A] = OrderedDict()
        self._size = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> A | None:
        found = self._kept.get(key)
        if found is None:
            self.misses += 1
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Key, answer: A) -> None:
        size = _size(key, answer)
        if answer.status != 200 or size > self._largest or key in self._kept:
            return
        self._kept[key] = answer
        self._size += size
        while self._size > self.budget:
            self._size -= _size(*self._kept.popitem(last=False))

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """Bytes counted: bodies, keys and ``ENTRY_OVERHEAD`` for each entry."""
        return self._size


#: Bytes counted for each entry beyond its body and key: the objects that hold it, a response's
#: headers (measured: about 1,500 bytes for a small kept response).
ENTRY_OVERHEAD = 2048


def _size(key: Key, answer: Answer) -> int:
    return len(answer.body) + sum(map(len, key)) + ENTRY_OVERHEAD


#: The scope key of the flag a handler sets (``keep``) when its answer may be kept whole.
_KEEP = "defenders_kg.keep"
#: The request headers an answer may depend on; a request with any other that matters here
#: (``If-None-Match``, a CORS preflight) is never answered from the kept responses.
_KEYED_HEADERS = (b"host", b"accept", b"content-type", b"origin")


class Response(NamedTuple):
    status: int
    start: dict[str, Any]
    body: bytes


def keep(scope: Any) -> None:
    """Mark the answer to this request as one that may be kept whole: a function of the request
    alone, the same for as long as the server runs."""
    flag = scope.get(_KEEP)
    if flag is not None:
        flag[0] = True


class KeptResponses:
    """ASGI middleware, outermost: a GET or a POST whose whole answer was kept (``keep``) is sent
    again from memory, without routing, parsing or evaluation.

    The key is everything the answer can depend on: the method, the path and query string, the
    ``_KEYED_HEADERS`` and the body. A POST is keyed only when it declares a length within
    ``max_bytes``; its body is read here within ``read_timeout`` seconds (as the endpoint would)
    and handed on to the application unchanged.
    """

    def __init__(self, app: Any, budget: int, max_bytes: int, read_timeout: float) -> None:
        self.app = app
        self.kept: AnswerStore[Response] = AnswerStore(budget)
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        key = None
        if scope["type"] == "http" and scope["method"] in ("GET", "POST") and self.kept.budget:
            key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        body: bytes | None = b""
        if scope["method"] == "POST":
            try:
                async with asyncio.timeout(self.read_timeout):
                    body = await _whole_body(receive)
            except TimeoutError:
                message = f"the request body did not arrive within {self.read_timeout:g} s\n"
                await _send_text(send, 408, message)
                return
        if body is None:  # the client left
            return
        key = (*key, body.decode("latin-1"))
        found = self.kept.get(key)
        if found is not None:
            await send(found.start)
            await send({"type": "http.response.body", "body": found.body})
            return
        flag = [False]
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keeping(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and flag[0]:
                    self.kept.put(key, Response(start["status"], start, b"".join(chunks)))
            await send(message)

        await self.app({**scope, _KEEP: flag}, _replay(body, receive), keeping)

    def _key(self, scope: Any) -> tuple[str, ...] | None:
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _KEYED_HEADERS:
                if name in found:  # a header twice: let the application decide
                    return None
                found[name] = value
            elif name == b"if-none-match" or name == b"transfer-encoding":
                return None
            elif name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    return None
                found[name] = value
        if scope["method"] == "POST" and b"content-length" not in found:
            return None
        # Without a Host header, Starlette names the server by the address the request came to.
        server = scope.get("server") or ("", None)
        return (
            scope["method"],
            scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
            scope["query_string"].decode("latin-1"),
            f"{server[0]}:{server[1]}",
            # An absent header ("") is not an empty one ("=").
            *(_present(found.get(name)) for name in _KEYED_HEADERS),
        )


def _present(value: bytes | None) -> str:
    return "" if value is None else "=" + value.decode("latin-1")


async def _whole_body(receive: Any) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives ``body`` whole, then whatever the client sends next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Any:
        return pending.pop() if pending else await receive()

    return replayed


async def _send_text(send: Any, status: int, text: str) -> None:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode()),
               (b"x-content-type-options", b"nosniff")]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
