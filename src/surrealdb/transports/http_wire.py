"""HTTP/1.1 for `POST /rpc`, sans-I/O: the bytes of a request out, a response from bytes in.

Both HTTP transports share it and only move bytes: `http_blocking` over a socket,
`http_asyncio` from an `asyncio.Protocol`. h11 does the HTTP/1.1 work (Content-Length and
chunked bodies, `Connection: close`, HTTP/1.0 servers, refusing what is not HTTP), and says
whether a connection may carry the next request. A response body longer than the
connection's `max_reply_size` fails as soon as that is known: at a larger `Content-Length`,
before any of the body is read, or at the byte that passes it. Tested from raw bytes in
tests/unit/test_http_wire.py.
"""

from __future__ import annotations

import os
from typing import NamedTuple
from urllib.parse import urlsplit

import h11

from surrealdb.errors import HeaderValueError, InvalidArgumentError, InvalidArgumentTypeError
from surrealdb.transports.base import SERVER_MESSAGE_LIMIT
from surrealdb.transports.http_state import HttpSessionState

MAX_HEAD_SIZE = 64 * 1024
"""The most bytes a response's status line and headers may take."""

DEFAULT_MAX_REPLY_SIZE = SERVER_MESSAGE_LIMIT
"""The longest response body read by default (`max_reply_size`): the WebSocket transports'
limit on a message, which is the server's own."""

JOIN_LIMIT = 64 * 1024
"""Bodies up to this size are sent in one piece with the request's head; larger ones are not
copied, and go out as a second piece."""

MAX_CACHED_EVENTS = 256
"""Request events kept per session state, one per body length."""

Headers = list[tuple[bytes, bytes]]


PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})
"""The environment variables that name a proxy (in either case), as httpx and urllib read them."""


def uses_httpx(endpoint: str, client: object, http2: bool) -> bool:
    """Whether a connection to `endpoint` goes through httpx rather than the fast path: the
    caller gave an httpx client, asked for HTTP/2, or the environment names a proxy for it.

    Only when a proxy variable is set at all is the environment looked at further (and
    urllib loaded), so plain connections pay nothing for it.
    """
    if client is not None or http2:
        return True
    if not any(name.lower() in PROXY_VARIABLES for name in os.environ):
        return False
    import urllib.request  # only here: it is slow to import, and rarely needed

    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(endpoint)
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    # (not in typeshed, yet public since Python 3.x and what getproxies' NO_PROXY means)
    bypass: bool = urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
        parts.netloc, proxies
    )
    return not bypass


def check_reply_size(value: object) -> int:
    """The `max_reply_size` option: a positive number of bytes."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentTypeError(
            f"max_reply_size must be a number of bytes (int), got {type(value).__name__}: {value!r}"
        )
    if value <= 0:
        raise InvalidArgumentError(f"max_reply_size must be more than 0 bytes, got {value!r}")
    return value


class HttpTarget(NamedTuple):
    """Where an HTTP base URL's requests go."""

    host: str
    port: int
    secure: bool
    authority: bytes
    """The `Host` header."""
    path: bytes
    """The request target: the base URL's path and `/rpc`."""


def http_target(endpoint: str) -> HttpTarget:
    """The host, port and request target of an `http://` or `https://` base URL."""
    parts = urlsplit(endpoint)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    return HttpTarget(
        host=parts.hostname or "",
        port=port,
        secure=secure,
        authority=parts.netloc.encode("ascii"),
        path=f"{parts.path}/rpc".encode(),
    )


class RequestHead:
    """The request line and headers of every request in one session state.

    h11 checks every header of every request event it is given; the events are made here,
    once per body length, and reused (h11 never changes an event). Its repr shows no header:
    they carry the token.
    """

    __slots__ = ("_events", "headers", "path")

    def __init__(self, path: bytes, headers: Headers) -> None:
        self.path = path
        self.headers = headers
        self._events: dict[int, h11.Request] = {}

    def event(self, length: int) -> h11.Request:
        """The h11 request event for a body of `length` bytes."""
        event = self._events.get(length)
        if event is None:
            if len(self._events) >= MAX_CACHED_EVENTS:
                self._events.clear()
            event = h11.Request(
                method=b"POST",
                target=self.path,
                headers=[*self.headers, (b"Content-Length", b"%d" % length)],
            )
            self._events[length] = event
        return event

    def __repr__(self) -> str:
        return f"<RequestHead POST {self.path.decode(errors='replace')}>"


class OutgoingRequest:
    """A request's head and CBOR body. Its repr shows neither: they carry credentials."""

    __slots__ = ("body", "head")

    def __init__(self, head: RequestHead, body: bytes) -> None:
        self.head = head
        self.body = body

    def __repr__(self) -> str:
        return f"<OutgoingRequest: {len(self.body)} bytes of CBOR>"


class RequestBytes:
    """What to send for one request: `first`, then `second` unless it is None. A small body
    goes out in one piece with the head; a large one is not copied. The repr shows no bytes."""

    __slots__ = ("first", "second")

    def __init__(self, head: bytes, body: bytes) -> None:
        if len(body) <= JOIN_LIMIT:
            self.first, self.second = head + body, None
        else:
            self.first, self.second = head, body

    def __repr__(self) -> str:
        size = len(self.first) + len(self.second or b"")
        return f"<RequestBytes: {size} bytes>"


class HttpResponse:
    """A complete HTTP response. Its repr shows no body: a token may be in it."""

    __slots__ = ("body", "content_type", "location", "status")

    def __init__(
        self, status: int, content_type: str, body: bytes, location: str | None = None
    ) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.location = location
        """The `Location` header of a redirect (None otherwise)."""

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.content_type!r}: {len(self.body)} bytes>"


class ResponseFailed(Exception):
    """No complete response: the connection closed early, or the bytes are not HTTP/1.1.

    `nothing_received` says whether not one byte of a response arrived, which is what a
    keep-alive connection the server closed while it was idle looks like.
    """

    def __init__(self, message: str, *, nothing_received: bool) -> None:
        super().__init__(message)
        self.nothing_received = nothing_received


class ReplyTooLarge(ResponseFailed):
    """The response's body is longer than `max_reply_size`; the rest of it was not read."""

    def __init__(self, size: int, limit: int, *, announced: bool) -> None:
        super().__init__(
            f"it announces {size:,} bytes in its Content-Length"
            if announced
            else f"{size:,} bytes of it arrived",
            nothing_received=False,
        )
        self.size = size
        self.limit = limit
        self.announced = announced
        """Whether `size` is the announced `Content-Length` (else: the bytes received)."""


class RequestHeaders:
    """The request head for a session state, made again only when the state changes."""

    def __init__(self, target: HttpTarget) -> None:
        self._target = target
        self._current: tuple[tuple[str | None, ...], RequestHead] | None = None

    def for_state(self, state: HttpSessionState) -> RequestHead:
        """The head that carries `state` (the same object while the state stays the same)."""
        key = state.header_key()
        current = self._current
        if current is not None and current[0] == key:
            return current[1]
        state.check_names()
        headers = [(b"Host", self._target.authority)]
        headers += [
            (name.encode("ascii"), value.encode("utf-8")) for name, value in state.headers().items()
        ]
        head = RequestHead(self._target.path, headers)
        try:  # checked once here, not at every request
            head.event(0)
        except h11.LocalProtocolError:  # the names are checked: a token given to authenticate()
            raise HeaderValueError(
                "the token cannot be sent in an HTTP header: it contains a line break or"
                " another character headers cannot carry"
            ) from None
        self._current = (key, head)  # one assignment: other threads see old or new, whole
        return head


class HttpExchange:
    """The HTTP/1.1 state of one keep-alive connection: one request, then its response.

    `request()` gives the bytes to send; `feed()` takes what arrived (`b""` at end of file)
    and returns the response once it is whole; then `reusable` says whether the connection
    may carry another request, and `next_request()` readies it for that.
    """

    __slots__ = (
        "_body",
        "_body_size",
        "_content_type",
        "_h11",
        "_location",
        "_status",
        "max_body",
        "received",
        "requests",
    )

    def __init__(self, max_body: int = DEFAULT_MAX_REPLY_SIZE) -> None:
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_SIZE)
        self._status = 0
        self._content_type = ""
        self._location: str | None = None
        self._body: list[bytes] = []
        self._body_size = 0
        self.max_body = max_body
        """The longest response body read; a longer one raises `ReplyTooLarge`."""
        self.received = 0
        """Bytes of the current response received so far."""
        self.requests = 0
        """Requests sent on this connection, the current one included."""

    def request(self, outgoing: OutgoingRequest) -> RequestBytes:
        """The bytes of the POST request carrying `outgoing`."""
        connection = self._h11
        body = outgoing.body
        head = connection.send(outgoing.head.event(len(body)))
        connection.send_with_data_passthrough(h11.Data(data=body))
        connection.send(h11.EndOfMessage())  # nothing to send after a Content-Length body
        self.requests += 1
        assert head is not None
        return RequestBytes(head, body)

    def feed(self, data: bytes) -> HttpResponse | None:
        """Take received bytes (`b""`: the server closed); the response once it is whole.

        Raises `ResponseFailed` when the bytes are not an HTTP/1.1 response, or the server
        closed the connection before the response was whole; `ReplyTooLarge` (one of them) as
        soon as the body is known to be longer than `max_body`. The connection cannot carry
        another request after either.
        """
        self.received += len(data)
        connection = self._h11
        try:
            connection.receive_data(data)
            while True:
                event = connection.next_event()
                event_type = type(event)
                if event_type is h11.Data:
                    chunk = event.data  # type: ignore[union-attr]
                    self._body_size += len(chunk)
                    if self._body_size > self.max_body:
                        raise ReplyTooLarge(self._body_size, self.max_body, announced=False)
                    self._body.append(chunk)
                elif event_type is h11.Response:
                    self._response_started(event)  # type: ignore[arg-type]
                elif event_type is h11.EndOfMessage:
                    return self._response()
                elif event is h11.NEED_DATA:
                    return None
                elif event_type is h11.ConnectionClosed:
                    raise ResponseFailed(
                        "the server closed the connection without answering",
                        nothing_received=self.received == 0,
                    )
                # an informational (1xx) response: the real one follows
        except h11.RemoteProtocolError as exc:
            if data:
                message = f"the server's answer is not HTTP/1.1 ({exc})"
            elif self.received:
                message = "the server closed the connection before its response was whole"
            else:
                message = "the server closed the connection without answering"
            raise ResponseFailed(message, nothing_received=self.received == 0) from None

    def _response_started(self, event: h11.Response) -> None:
        self._status = event.status_code
        for name, value in event.headers:
            if name == b"content-type":
                self._content_type = value.decode("latin-1")
            elif name == b"location":
                self._location = value.decode("latin-1")
            elif name == b"content-length" and int(value) > self.max_body:  # h11 checked it
                raise ReplyTooLarge(int(value), self.max_body, announced=True)

    def _response(self) -> HttpResponse:
        chunks = self._body
        body = bytes(chunks[0]) if len(chunks) == 1 else b"".join(chunks)
        response = HttpResponse(self._status, self._content_type, body, self._location)
        self._status, self._content_type, self._body, self.received = 0, "", [], 0
        self._location = None
        self._body_size = 0
        return response

    @property
    def reusable(self) -> bool:
        """Whether the connection may carry another request (no `Connection: close`,
        not HTTP/1.0, the last response read whole)."""
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    def next_request(self) -> None:
        """Ready a reusable connection for its next request."""
        self._h11.start_next_cycle()
