"""The blocking HTTP transport: `POST /rpc` over keep-alive sockets, one per calling thread.

The HTTP/1.1 work is `http_wire`'s; this module only moves bytes. Idle connections wait in
a small pool, so concurrent threads each get their own and a thread's next call reuses one.
"""

from __future__ import annotations

import contextlib
import socket
import ssl as ssl_module
import threading
import time
from typing import TYPE_CHECKING, Any, Literal, Self

from surrealdb.errors import (
    AuthenticationError,
    ServerError,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.protocol import Request, decode_body, encode_envelope
from surrealdb.reconnect import ReconnectPolicy
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    BlockingRpcClient,
    PayloadTooLargeError,
    SSLOption,
    connection_failed,
)
from surrealdb.transports.http_state import HttpSessionState, LocalResult
from surrealdb.transports.http_wire import (
    DEFAULT_MAX_REPLY_SIZE,
    HttpExchange,
    HttpResponse,
    OutgoingRequest,
    ReplyTooLarge,
    RequestHeaders,
    ResponseFailed,
    check_reply_size,
    http_target,
    uses_httpx,
)
from surrealdb.url import without_credentials

if TYPE_CHECKING:
    import httpx

    from surrealdb.transports.http_httpx import BlockingHttpxEngine

MAX_IDLE = 16
"""Idle keep-alive connections kept for reuse; more are closed once their call is done."""

RECEIVE_SIZE = 256 * 1024
"""Bytes asked of the socket per read."""

DROPPED = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
"""What sending on, or reading from, a connection the server has closed raises."""


class StaleConnection(Exception):
    """A reused keep-alive connection turned out closed by the server before it answered."""


class _HttpConnection:
    """One keep-alive connection: a socket and its HTTP/1.1 state."""

    __slots__ = ("exchange", "sock", "timeout")

    def __init__(self, sock: socket.socket, max_reply_size: int) -> None:
        self.sock = sock
        self.exchange = HttpExchange(max_reply_size)
        self.timeout: float | None = -1.0
        """The socket's timeout as last set (-1: to be set); set again only when it changes."""

    def close(self) -> None:
        """Close the socket, waking a thread blocked reading it. Idempotent."""
        with contextlib.suppress(OSError):  # not connected any more
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class BlockingHttpTransport(BlockingRpcClient):
    """Carries requests as HTTP POSTs, keeping the session state client-side."""

    _transport_kind = "http"

    def __init__(
        self,
        url: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect: bool | ReconnectPolicy = True,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
        ssl: SSLOption = None,
        max_reply_size: int = DEFAULT_MAX_REPLY_SIZE,
        http_client: httpx.Client | None = None,
        http2: bool = False,
    ) -> None:
        super().__init__(
            url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            keepalive_interval=keepalive_interval,
            ssl=ssl,
        )
        self._max_reply_size = check_reply_size(max_reply_size)
        self._target = http_target(self._url.endpoint)
        self._state = HttpSessionState()
        self._headers = RequestHeaders(self._target)
        self._idle: list[_HttpConnection] = []
        self._open: set[_HttpConnection] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._httpx: BlockingHttpxEngine | None = None
        """The httpx engine, when this connection sends through httpx (else: the fast path)."""
        if uses_httpx(self._url.endpoint, http_client, http2):
            from surrealdb.transports.http_httpx import BlockingHttpxEngine

            self._httpx = BlockingHttpxEngine(
                self.url,
                self._url.endpoint,
                client=http_client,
                http2=http2,
                ssl=self._ssl,
                connect_timeout=self._connect_timeout,
                max_reply_size=self._max_reply_size,
            )

    def connect(self, url: str | None = None) -> Self:
        """Check the connection is not closed (HTTP connections open at the first request).

        `url`, as the official SDK takes it, must be the connection's own URL.
        """
        if url is not None:
            self._check_connect_url(url)
        if self._closed:
            raise SurrealConnectionError(f"the connection to {self.url} is closed")
        return self

    @property
    def is_closed(self) -> bool:
        """Whether `close()` was called (HTTP requests are independent: nothing else closes)."""
        return self._closed

    def _endpoint_names(self) -> tuple[str | None, str | None]:
        """The namespace and database sent as headers (for the HTTP endpoints too)."""
        return self._state.namespace, self._state.database

    @property
    def http_engine(self) -> Literal["fast", "httpx"]:
        """How requests go out: "fast" (this client's own keep-alive sockets) or "httpx"
        (`http_client=`, `http2=True`, or a proxy named by the environment; docs/http.md)."""
        return "fast" if self._httpx is None else "httpx"

    @property
    def token(self) -> str | None:
        """The token this client sends with each request (None: signed out); read-only, never
        in the repr."""
        return self._state.token

    def _call(self, request: Request) -> Any:
        prepared = self._state.prepare(request)
        if isinstance(prepared, LocalResult):
            return prepared.result
        # (it holds the parameters and the token: kept out of every frame's locals)
        outgoing = OutgoingRequest(
            self._headers.for_state(self._state), encode_envelope(prepared, None)
        )
        engine = self._httpx
        if engine is None:
            response = self._post(outgoing, self._call_timeout.get(), request.method)
        else:
            response = engine.post(outgoing, self._call_timeout.get(), request.method)
        result = parse_http_response(
            response.status,
            response.content_type,
            response.body,
            request.method,
            response.location,
        )
        self._state.record(request, result)
        return result

    def _post(self, outgoing: OutgoingRequest, timeout: float | None, method: str) -> HttpResponse:
        """Send one request on an idle connection, or a new one, and read its response."""
        deadline = None if timeout is None else time.monotonic() + timeout
        connection = self._idle_connection()
        if connection is not None:
            try:
                return self._exchange(connection, outgoing, deadline, timeout, method)
            except StaleConnection:
                pass  # the server closed it while it was idle: once more, on a new one
        connection = self._new_connection()
        try:
            return self._exchange(connection, outgoing, deadline, timeout, method)
        except StaleConnection:  # never raised for a new connection; for the type checker
            raise SurrealConnectionError(f"{self.url} closed the connection") from None

    def _exchange(
        self,
        connection: _HttpConnection,
        outgoing: OutgoingRequest,
        deadline: float | None,
        timeout: float | None,
        method: str,
    ) -> HttpResponse:
        exchange, sock = connection.exchange, connection.sock
        reused = exchange.requests > 0
        try:
            data = exchange.request(outgoing)
            if connection.timeout != timeout:  # a system call each: only when it changes
                sock.settimeout(timeout)
                connection.timeout = timeout
            try:
                sock.sendall(data.first)
                if data.second is not None:
                    sock.sendall(data.second)
                    _wait_at_most(connection, deadline)  # what sending it left of the deadline
            except DROPPED:
                pass  # the server may have answered early (HTTP 413) and closed: read that
            while (response := exchange.feed(sock.recv(RECEIVE_SIZE))) is None:
                _wait_at_most(connection, deadline)  # the rest of a large response
        except TimeoutError:
            self._discard(connection)
            raise SurrealTimeoutError(
                f"{method}() got no reply from {self.url} within {timeout} s"
            ) from None
        except (ResponseFailed, OSError) as exc:
            self._discard(connection)
            raise exchange_failed(self.url, method, exc, self._closed, reused, exchange) from None
        except BaseException:
            self._discard(connection)
            raise
        if exchange.reusable:
            exchange.next_request()
            self._release(connection)
        else:
            self._discard(connection)
        return response

    def _idle_connection(self) -> _HttpConnection | None:
        with self._lock:
            if self._closed:
                raise SurrealConnectionError(f"the connection to {self.url} is closed")
            return self._idle.pop() if self._idle else None

    def _new_connection(self) -> _HttpConnection:
        target = self._target
        try:
            sock = socket.create_connection((target.host, target.port), self._connect_timeout)
        except TimeoutError:
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self._connect_timeout} s"
            ) from None
        except OSError as exc:
            raise connection_failed(self.url, exc) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if target.secure:
                context = self._ssl or ssl_module.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=target.host)
        except TimeoutError:
            sock.close()
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no TLS handshake within {self._connect_timeout} s"
            ) from None
        except OSError as exc:  # ssl.SSLError included
            sock.close()
            raise connection_failed(self.url, exc) from None
        connection = _HttpConnection(sock, self._max_reply_size)
        with self._lock:
            if self._closed:
                connection.close()
                raise SurrealConnectionError(f"the connection to {self.url} is closed")
            self._open.add(connection)
        return connection

    def _release(self, connection: _HttpConnection) -> None:
        """Put a connection whose response was read whole back for the next call."""
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(connection)
                return
            self._open.discard(connection)
        connection.close()

    def _discard(self, connection: _HttpConnection) -> None:
        """Close a connection that cannot carry another request."""
        with self._lock:
            self._open.discard(connection)
        connection.close()

    def close(self) -> None:
        """Close every connection; calls still waiting fail at once. Idempotent."""
        with self._lock:
            self._closed = True
            connections = list(self._open)
            self._open.clear()
            self._idle.clear()
        for connection in connections:
            connection.close()
        if self._httpx is not None:
            self._httpx.close()  # its own client only: a caller's http_client stays open


def _wait_at_most(connection: _HttpConnection, deadline: float | None) -> None:
    """Make the socket's reads and writes end by `deadline` (None: no limit)."""
    if deadline is not None:
        connection.timeout = max(deadline - time.monotonic(), 0.000_001)
        connection.sock.settimeout(connection.timeout)


def exchange_failed(
    url: str, method: str, exc: Exception, closed: bool, reused: bool, exchange: HttpExchange
) -> Exception:
    """What a request that got no response raises: the transport was closed meanwhile, or the
    reply is longer than `max_reply_size`, or a reused connection was found already closed by
    the server (`StaleConnection`: to be sent once more, on a new connection), or the server
    cannot be reached."""
    if closed:
        return SurrealConnectionError(f"the connection to {url} was closed")
    if isinstance(exc, ReplyTooLarge):
        return reply_too_large(url, method, exc)
    if reused and exchange.received == 0 and _dropped(exc):
        return StaleConnection()
    return http_failed(url, exc)


def reply_too_large(url: str, method: str, exc: ReplyTooLarge) -> PayloadTooLargeError:
    """The error of a reply longer than `max_reply_size`, whose rest was not read."""
    return PayloadTooLargeError(
        f"{method}() failed: the reply from {url} is longer than max_reply_size="
        f"{exc.limit:,} bytes ({exc}) and was not read further; select less per call (LIMIT"
        " and START, fewer fields), or pass a larger max_reply_size= to Surreal() /"
        " AsyncSurreal()"
    )


def _dropped(exc: Exception) -> bool:
    """Whether `exc` is what a connection the server had already closed gives."""
    if isinstance(exc, ResponseFailed):
        return exc.nothing_received
    return isinstance(exc, DROPPED)


def http_failed(url: str, exc: BaseException) -> SurrealConnectionError:
    """The error of a request that got no HTTP response."""
    return connection_failed(url, exc, doing="cannot reach")


def parse_http_response(
    status: int,
    content_type: str,
    content: bytes,
    method: str = "the request",
    location: str | None = None,
) -> Any:
    """The result of an HTTP `/rpc` response, or the error it carries.

    Redirects are refused, naming the target: following one would send the call again, and a
    call that is not idempotent must never run twice unseen.
    """
    if status == 200 and content_type.startswith("application/cbor"):
        return decode_body(content)
    if 300 <= status < 400:
        target = without_credentials(location) if location else "no Location given"
        raise ServerError(
            f"the server redirected {method}() (HTTP {status}) to {target}: this client does"
            " not follow redirects, so the call was not sent there; connect to that URL"
            " instead",
            code=status,
        )
    text = content[:500].decode("utf-8", "replace").strip()
    if status == 413:
        raise PayloadTooLargeError(
            f"{method}() was refused whole: the server accepts smaller HTTP requests"
            f" (HTTP 413: {text}); split the data into smaller calls, or use a ws:// URL"
            " (WebSocket messages may be larger)"
        )
    if status in (401, 403):
        raise AuthenticationError(f"the server refused the credentials (HTTP {status}): {text}")
    raise ServerError(f"the server answered HTTP {status}: {text}", code=status)
