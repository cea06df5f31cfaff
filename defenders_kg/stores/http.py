"""HTTP to a store: time-outs, retries, a deadline, and credentials that are never shown.

The standard library's client, with an explicit time-out on every request, a bounded number of
retries with exponential back-off for idempotent requests, and credentials (bearer, basic or
digest) from the environment, the URL or ``~/.netrc``. What a caller learns on the way (an opener
per host and credentials, whether a host refused those credentials sent up front, the layout of
each endpoint) is kept in a ``Session`` that the caller holds, never in the process.
"""

from __future__ import annotations

import base64
import netrc
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ..errors import RemoteError

if TYPE_CHECKING:
    from .layout import Layout

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
N_QUADS = "application/n-quads"
FORM = "application/x-www-form-urlencoded"
SPARQL_UPDATE = "application/sparql-update"
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class Response(NamedTuple):
    body: bytes
    media: str
    headers: Mapping[str, str]


class Body:
    """A request body made on demand, afresh for each attempt (a retry or an auth challenge)."""

    def __init__(self, make: Callable[[], Iterator[bytes]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[bytes]:
        return self._make()


class UnansweredError(RemoteError):
    """A request failed in a way that a later try may not (network, time-out, 5xx)."""


@dataclass(frozen=True)
class Connection:
    """How to talk to one endpoint: time-out per try, retries, back-off, and a deadline.

    ``timeout`` bounds each wait of a try (to connect, to send, for the next byte of the answer),
    so an upload that makes progress is never cut. ``deadline`` bounds all the tries of one
    request: no try starts after it, and none waits past it, so a server that accepts and never
    answers costs at most ``deadline`` seconds, not ``(retries + 1) * timeout``.
    """

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    deadline: float = 55.0

    def request(
        self,
        method: str,
        url: str,
        body: bytes | Body | None,
        headers: Mapping[str, str],
        *,
        retry: bool = True,
        session: Session | None = None,
    ) -> Response:
        """Send one request, retrying on network errors, time-outs and 5xx answers.

        Returns the body, the media type and the headers; raises ``RemoteError`` with a message
        that names the URL (without credentials) and never the credentials themselves. A request
        that is not idempotent is sent with ``retry=False``. ``session`` keeps what this request
        learns (a digest challenge) for the next ones; without it the request starts afresh.
        """
        shown = strip_userinfo(url)
        auth, login = (session if session is not None else Session()).credentials(url)
        opener = login.opener if login is not None else urllib.request.build_opener()
        last = ""
        tries = self.retries + 1 if retry else 1
        attempt = 0
        give_up = time.monotonic() + self.deadline
        while attempt < tries:
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                if time.monotonic() + pause >= give_up:
                    last += f"; gave up at the {self.deadline:g} s deadline"
                    tries = attempt
                    break
                time.sleep(pause)
            attempt += 1
            wait = max(min(self.timeout, give_up - time.monotonic()), 0.01)
            challenged = login is not None and login.challenged
            sent = {**headers, **({} if challenged else auth)}
            request = urllib.request.Request(shown, data=body, method=method, headers=sent)
            answer = login.digest.up_front(request) if login is not None and challenged else None
            if answer:
                request.add_header("Authorization", f"Digest {answer}")
            try:
                with opener.open(request, timeout=wait) as response:
                    media = response.headers.get_content_type()
                    found = {k.lower(): v for k, v in response.headers.items()}
                    return Response(response.read(), media, found)
            except urllib.error.HTTPError as err:
                detail = error_body(err).strip().splitlines()
                last = f"{shown} answered {err.code} {err.reason}" + (
                    f": {detail[0][:200]}" if detail else ""
                )
                basic = sent.get("Authorization", "").startswith("Basic ")
                if err.code == 401 and basic and login is not None and not challenged:
                    # Virtuoso refuses basic credentials without saying what it wants; asked
                    # again without them it sends its digest challenge, which the opener answers.
                    login.challenged = True
                    attempt -= 1
                    continue
                if err.code == 401 and not auth:
                    last += " (set DEFENDERS_KG_USER and DEFENDERS_KG_PASSWORD, or a token)"
                if err.code not in _RETRIED_STATUSES:
                    raise RemoteError(last) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
                reason = getattr(err, "reason", err)
                last = f"cannot reach {shown}: {reason}"
        raise UnansweredError(f"{last} (after {tries} tr{'y' if tries == 1 else 'ies'})")


class Session:
    """What one caller has learnt about the stores it talks to, for its later requests.

    Per host and credentials: an opener whose digest handler keeps the last challenge, and
    whether the host refused those credentials sent up front. Per endpoint: the layout that
    ``RemoteKnowledgeGraph`` probed. Each ``RemoteKnowledgeGraph`` makes its own session unless
    it is given one; ``push`` clears the layouts of the session it is given, which its data made
    stale. Nothing in it is shared with another session.
    """

    def __init__(self) -> None:
        self.layouts: dict[str, Layout] = {}
        self._logins: dict[tuple[str, str, str], _Login] = {}

    def forget_host(self, url: str) -> None:
        """Probe every endpoint of ``url``'s host again: its data was replaced."""
        host = urllib.parse.urlsplit(strip_userinfo(url)).netloc
        for known in [k for k in self.layouts if urllib.parse.urlsplit(k).netloc == host]:
            del self.layouts[known]

    def credentials(self, url: str) -> tuple[dict[str, str], _Login | None]:
        """The headers sent up front, and the login that answers a challenge (None: no user).

        ``DEFENDERS_KG_TOKEN`` gives a bearer token; ``DEFENDERS_KG_USER`` and
        ``DEFENDERS_KG_PASSWORD`` (or the URL's user info, or ``~/.netrc``) give basic
        authentication, sent up front, or digest (Virtuoso) or basic when the server challenges.
        Credentials that a host refused up front get only answers to its challenges from then on.
        """
        token = os.environ.get("DEFENDERS_KG_TOKEN")
        if token:
            return {"Authorization": f"Bearer {token}"}, None
        parts = urllib.parse.urlsplit(url)
        user = os.environ.get("DEFENDERS_KG_USER")
        password = os.environ.get("DEFENDERS_KG_PASSWORD")
        if not user and parts.username:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
        if not user and parts.hostname:
            try:
                entry = netrc.netrc().authenticators(parts.hostname)
            except (OSError, netrc.NetrcParseError):
                entry = None
            if entry:
                user, password = entry[0], entry[2]
        if not user:
            return {}, None
        password = password or ""
        shown = urllib.parse.urlsplit(strip_userinfo(url))
        key = (shown.netloc, user, password)
        if key not in self._logins:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            # For the whole host: the same opener answers its query and its Graph Store URLs.
            root = urllib.parse.urlunsplit((shown.scheme, shown.netloc, "/", "", ""))
            passwords.add_password(None, root, user, password)
            digest = _Digest(passwords)
            basic = urllib.request.HTTPBasicAuthHandler(passwords)
            self._logins[key] = _Login(urllib.request.build_opener(digest, basic), digest)
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}, self._logins[key]


@dataclass
class _Login:
    """One host and credentials: the opener that answers its challenges."""

    opener: urllib.request.OpenerDirector
    digest: _Digest
    challenged: bool = False  # the host refused the credentials sent up front


class _Digest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once challenged, answers up front on every later request.

    Asked without credentials, Virtuoso answers 401 before it reads the body and closes the
    connection: on a body of megabytes the client is still writing and gets a broken pipe, not
    the challenge. So the last challenge is kept and answered up front (the nonce count rises).
    """

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self.challenge: dict[str, str] | None = None

    def get_authorization(self, req: urllib.request.Request, chal: Mapping[str, str]) -> str | None:
        self.challenge = dict(chal)
        return super().get_authorization(req, chal)

    def up_front(self, request: urllib.request.Request) -> str | None:
        """The answer to the last challenge for ``request``, or None before any challenge."""
        if self.challenge is None:
            return None
        return super().get_authorization(request, self.challenge)


def error_body(err: urllib.error.HTTPError) -> str:
    """The first bytes of an error's body as text. urllib's own 401 for a failed digest
    handshake has a body of text, not bytes, on some Python 3.11 releases (3.11.2)."""
    try:
        raw = err.read(300)
    except (OSError, ValueError, AttributeError):
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` added to its query string."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params)]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def strip_userinfo(url: str) -> str:
    """The URL without user name or password: what may be sent as the target, or shown."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
