"""The httpx engine: the same `POST /rpc` requests as the fast path, sent by an httpx client.

The HTTP transports use it instead of their own keep-alive sockets when the caller passes
`http_client=` (the caller owns that client: it is never closed here), when the environment
names a proxy for the URL (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, less `NO_PROXY`), or when
`http2=True` asks for HTTP/2. Everything but moving the bytes stays shared with the fast path:
the session state and its headers (`http_state`, `http_wire.RequestHeaders`) and the reading
of the reply (`http_blocking.parse_http_response`). The transports import this module only
when they need it, so a plain connection never loads httpx. See docs/http.md.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl as ssl_module
from collections.abc import AsyncIterator, Iterator

import httpx

from surrealdb.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.transports.base import connection_failed
from surrealdb.transports.http_blocking import http_failed, reply_too_large
from surrealdb.transports.http_wire import (
    HttpResponse,
    OutgoingRequest,
    ReplyTooLarge,
    ResponseFailed,
)

HTTP2_MISSING = (
    "http2=True needs the h2 package: pip install 'surrealdb-typed[http2]' (or 'httpx[http2]')"
)


def check_http2() -> None:
    """Refuse `http2=True` at once, not at the first call, when h2 is not installed."""
    if importlib.util.find_spec("h2") is None:
        raise ImportError(HTTP2_MISSING)


def check_client(client: object, expected: type, factory: str, ssl: object) -> None:
    """Refuse a client of the wrong flavour, and `ssl=` beside a client (its TLS is its own)."""
    if client is None:
        return
    if not isinstance(client, expected):
        raise InvalidArgumentTypeError(
            f"http_client= of {factory}() must be an httpx.{expected.__name__},"
            f" got {type(client).__name__}"
        )
    if ssl is not None:
        raise InvalidArgumentError(
            "ssl= and http_client= cannot be given together: set the TLS options on the"
            " httpx client itself (its verify=)"
        )


def rpc_url(endpoint: str) -> str:
    """The URL every request of an HTTP base URL goes to."""
    return f"{endpoint.rstrip('/')}/rpc"


def _headers(outgoing: OutgoingRequest) -> list[tuple[bytes, bytes]]:
    """The request's headers but `Host`, which httpx sets from the URL (and a proxy needs)."""
    return [(name, value) for name, value in outgoing.head.headers if name != b"Host"]


def _timeout(timeout: float | None, connect_timeout: float) -> httpx.Timeout:
    return httpx.Timeout(timeout, connect=connect_timeout)


NO_RESPONSE = "Server disconnected without sending a response"
"""How httpx (httpcore) says a connection closed before a response's head was whole.

Unlike the fast path, the httpx engine does not send such a request again: httpx cannot tell
whether part of a reply had arrived (the server then ran the request). httpx itself drops a
kept connection that it finds closed before sending on it."""


class _Reading:
    """A response body read in pieces, refused as soon as it passes `max_reply_size`."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise ReplyTooLarge(int(length), limit, announced=True)
        self.response = response
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []

    def take(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise ReplyTooLarge(self.size, self.limit, announced=False)
        self.chunks.append(chunk)

    def result(self) -> HttpResponse:
        return HttpResponse(
            self.response.status_code,
            self.response.headers.get("content-type", ""),
            b"".join(self.chunks),
            self.response.headers.get("location"),
        )


class HttpxFailure:
    """The client's errors for what httpx raises (`url`: the connection's, with no secret)."""

    def __init__(self, url: str, connect_timeout: float) -> None:
        self.url = url
        self.connect_timeout = connect_timeout

    def error(self, exc: Exception, method: str, timeout: float | None, closed: bool) -> Exception:
        if closed:
            return SurrealConnectionError(f"the connection to {self.url} was closed")
        if isinstance(exc, ReplyTooLarge):
            return reply_too_large(self.url, method, exc)
        if isinstance(exc, httpx.ConnectTimeout):
            return SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self.connect_timeout} s"
            )
        if isinstance(exc, httpx.TimeoutException):
            return SurrealTimeoutError(
                f"{method}() got no reply from {self.url} within {timeout} s"
            )
        if isinstance(exc, httpx.ConnectError):
            return connection_failed(self.url, exc)
        if isinstance(exc, httpx.RemoteProtocolError):
            return http_failed(
                self.url, ResponseFailed(_what_went_wrong(exc), nothing_received=False)
            )
        return http_failed(self.url, exc)


def _what_went_wrong(exc: httpx.RemoteProtocolError) -> str:
    """httpx's protocol error in the words the fast path uses for the same failure."""
    text = str(exc)
    if text.startswith(NO_RESPONSE):
        return "the server closed the connection without answering"
    if text.startswith("peer closed connection without sending complete message body"):
        return "the server closed the connection before its response was whole"
    return f"the server's answer is not HTTP ({text})"


class BlockingHttpxEngine:
    """Sends a transport's requests through an `httpx.Client`."""

    def __init__(
        self,
        url: str,
        endpoint: str,
        *,
        client: httpx.Client | None,
        http2: bool,
        ssl: ssl_module.SSLContext | None,
        connect_timeout: float,
        max_reply_size: int,
    ) -> None:
        check_client(client, httpx.Client, "Surreal", ssl)
        self.owned = client is None
        """Whether the client is this engine's own (closed with it) rather than the caller's."""
        if client is None:
            if http2:
                check_http2()
            client = httpx.Client(http2=http2, verify=ssl if ssl is not None else True)
        self.client = client
        self._url = rpc_url(endpoint)
        self._connect_timeout = connect_timeout
        self._max_reply_size = max_reply_size
        self._failure = HttpxFailure(url, connect_timeout)
        self.closed = False

    def post(self, outgoing: OutgoingRequest, timeout: float | None, method: str) -> HttpResponse:
        """Send one request and read its response whole."""
        if self.closed:
            raise SurrealConnectionError(f"the connection to {self._failure.url} is closed")
        try:
            with self.client.stream(
                "POST",
                self._url,
                content=outgoing.body,
                headers=_headers(outgoing),
                timeout=_timeout(timeout, self._connect_timeout),
            ) as response:
                reading = _Reading(response, self._max_reply_size)
                chunks: Iterator[bytes] = response.iter_bytes()
                for chunk in chunks:
                    reading.take(chunk)
                return reading.result()
        except (httpx.HTTPError, ReplyTooLarge) as exc:
            raise self._failure.error(exc, method, timeout, self.closed) from None

    def close(self) -> None:
        """Close the client if it is this engine's own; never the caller's. Idempotent."""
        self.closed = True
        if self.owned:
            self.client.close()


class AsyncHttpxEngine:
    """Sends a transport's requests through an `httpx.AsyncClient`."""

    def __init__(
        self,
        url: str,
        endpoint: str,
        *,
        client: httpx.AsyncClient | None,
        http2: bool,
        ssl: ssl_module.SSLContext | None,
        connect_timeout: float,
        max_reply_size: int,
    ) -> None:
        check_client(client, httpx.AsyncClient, "AsyncSurreal", ssl)
        self.owned = client is None
        """Whether the client is this engine's own (closed with it) rather than the caller's."""
        if http2 and client is None:
            check_http2()
        self._http2 = http2
        self._ssl = ssl
        self.client = client if client is not None else self._own_client()
        self._loop: asyncio.AbstractEventLoop | None = None
        """The event loop the own client's connections belong to."""
        self._url = rpc_url(endpoint)
        self._connect_timeout = connect_timeout
        self._max_reply_size = max_reply_size
        self._failure = HttpxFailure(url, connect_timeout)
        self.closed = False

    async def post(
        self, outgoing: OutgoingRequest, timeout: float | None, method: str
    ) -> HttpResponse:
        """Send one request and read its response whole."""
        if self.closed:
            raise SurrealConnectionError(f"the connection to {self._failure.url} is closed")
        if self.owned:
            loop = asyncio.get_running_loop()
            if loop is not self._loop:
                # (an earlier `asyncio.run()` may have ended: its connections, and the client
                # holding them, are left to it, and a new client serves this loop)
                if self._loop is not None:
                    self.client = self._own_client()
                self._loop = loop
        try:
            async with self.client.stream(
                "POST",
                self._url,
                content=outgoing.body,
                headers=_headers(outgoing),
                timeout=_timeout(timeout, self._connect_timeout),
            ) as response:
                reading = _Reading(response, self._max_reply_size)
                chunks: AsyncIterator[bytes] = response.aiter_bytes()
                async for chunk in chunks:
                    reading.take(chunk)
                return reading.result()
        except (httpx.HTTPError, ReplyTooLarge) as exc:
            raise self._failure.error(exc, method, timeout, self.closed) from None

    def _own_client(self) -> httpx.AsyncClient:
        verify: ssl_module.SSLContext | bool = self._ssl if self._ssl is not None else True
        return httpx.AsyncClient(http2=self._http2, verify=verify)

    async def close(self) -> None:
        """Close the client if it is this engine's own; never the caller's. Idempotent."""
        self.closed = True
        if self.owned and self._loop in (None, asyncio.get_running_loop()):
            await self.client.aclose()
