"""The asyncio HTTP transport: `POST /rpc` over keep-alive connections, one per calling task.

The HTTP/1.1 work is `http_wire`'s; this module only moves bytes. Each connection is an
`asyncio.Protocol` that feeds what arrives to its `HttpExchange` and resolves the waiting
call's future as soon as the response is whole: no stream reader, no task per connection.
Idle connections wait in a small pool, so concurrent tasks each get their own.

The pool belongs to one event loop. HTTP keeps no session on the connection (the state is
the client's), so a call made on another loop, such as the next `asyncio.run()`, drops the
pooled connections, without calling into their loop, which may be closed, and opens new ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl as ssl_module
from typing import TYPE_CHECKING, Any, Literal, Self

from surrealdb.errors import SurrealConnectionError, SurrealTimeoutError
from surrealdb.protocol import Request, encode_envelope
from surrealdb.reconnect import ReconnectPolicy
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    AsyncRpcClient,
    SSLOption,
    connection_failed,
)
from surrealdb.transports.http_blocking import (
    MAX_IDLE,
    StaleConnection,
    exchange_failed,
    parse_http_response,
)
from surrealdb.transports.http_state import HttpSessionState, LocalResult
from surrealdb.transports.http_wire import (
    DEFAULT_MAX_REPLY_SIZE,
    HttpExchange,
    HttpResponse,
    OutgoingRequest,
    RequestHeaders,
    ResponseFailed,
    check_reply_size,
    http_target,
    uses_httpx,
)

if TYPE_CHECKING:
    import httpx

    from surrealdb.transports.http_httpx import AsyncHttpxEngine


class _CallTimedOut(Exception):
    """The call's deadline passed before its response was whole."""


class _HttpProtocol(asyncio.Protocol):
    """One keep-alive connection: feeds its exchange, resolves the waiting call's future."""

    def __init__(self, max_reply_size: int) -> None:
        self.exchange = HttpExchange(max_reply_size)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[HttpResponse] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None:  # nothing asked, yet the server speaks: not to be trusted again
            self.close()
            return
        try:
            response = self.exchange.feed(data)
        except ResponseFailed as exc:
            self.waiter = None
            if not waiter.done():
                waiter.set_exception(exc)
            return
        if response is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(response)

    def eof_received(self) -> bool:
        if self.waiter is not None:
            self.data_received(b"")  # a response read to the end of the connection, or not whole
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            received = self.exchange.received
            waiter.set_exception(
                exc
                if exc is not None
                else ResponseFailed(
                    "the connection closed before the response was whole"
                    if received
                    else "the server closed the connection without answering",
                    nothing_received=received == 0,
                )
            )

    def close(self) -> None:
        """Close the connection now; a waiting call fails. Idempotent."""
        self.lost = True
        if self.transport is not None:
            self.transport.abort()

    def drop(self) -> None:
        """Let go of a connection whose event loop is closed: its transport cannot be closed
        through that loop any more, so the socket is shut down (the server sees the end at
        once) and its file descriptor is released with the transport."""
        self.lost = True
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _time_out(waiter: asyncio.Future[HttpResponse]) -> None:
    if not waiter.done():
        waiter.set_exception(_CallTimedOut())


class AsyncHttpTransport(AsyncRpcClient):
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
        http_client: httpx.AsyncClient | None = None,
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
        self._idle: list[_HttpProtocol] = []
        self._open: set[_HttpProtocol] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        """The event loop the pooled connections belong to."""
        self._closed = False
        self._httpx: AsyncHttpxEngine | None = None
        """The httpx engine, when this connection sends through httpx (else: the fast path)."""
        if uses_httpx(self._url.endpoint, http_client, http2):
            from surrealdb.transports.http_httpx import AsyncHttpxEngine

            self._httpx = AsyncHttpxEngine(
                self.url,
                self._url.endpoint,
                client=http_client,
                http2=http2,
                ssl=self._ssl,
                connect_timeout=self._connect_timeout,
                max_reply_size=self._max_reply_size,
            )

    async def connect(self, url: str | None = None) -> Self:
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

    async def _call(self, request: Request) -> Any:
        prepared = self._state.prepare(request)
        if isinstance(prepared, LocalResult):
            return prepared.result
        # (it holds the parameters and the token: kept out of every frame's locals)
        outgoing = OutgoingRequest(
            self._headers.for_state(self._state), encode_envelope(prepared, None)
        )
        engine = self._httpx
        if engine is None:
            response = await self._post(outgoing, self._call_timeout.get(), request.method)
        else:
            response = await engine.post(outgoing, self._call_timeout.get(), request.method)
        result = parse_http_response(
            response.status,
            response.content_type,
            response.body,
            request.method,
            response.location,
        )
        self._state.record(request, result)
        return result

    async def _post(
        self, outgoing: OutgoingRequest, timeout: float | None, method: str
    ) -> HttpResponse:
        """Send one request on an idle connection, or a new one, and wait for its response."""
        if self._closed:
            raise SurrealConnectionError(f"the connection to {self.url} is closed")
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._move_to(loop)
        deadline = None if timeout is None else loop.time() + timeout
        while self._idle:
            protocol = self._idle.pop()
            if protocol.lost:
                self._open.discard(protocol)
                continue
            try:
                return await self._exchange(protocol, outgoing, deadline, timeout, method)
            except StaleConnection:
                break  # the server closed it while it was idle: once more, on a new one
        protocol = await self._new_connection(loop)
        try:
            return await self._exchange(protocol, outgoing, deadline, timeout, method)
        except StaleConnection:  # never raised for a new connection; for the type checker
            raise SurrealConnectionError(f"{self.url} closed the connection") from None

    async def _exchange(
        self,
        protocol: _HttpProtocol,
        outgoing: OutgoingRequest,
        deadline: float | None,
        timeout: float | None,
        method: str,
    ) -> HttpResponse:
        exchange, transport = protocol.exchange, protocol.transport
        assert transport is not None
        reused = exchange.requests > 0
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[HttpResponse] = loop.create_future()
        protocol.waiter = waiter
        timer = None if deadline is None else loop.call_at(deadline, _time_out, waiter)
        try:
            data = exchange.request(outgoing)
            transport.write(data.first)
            if data.second is not None:
                transport.write(data.second)
            response = await waiter
        except _CallTimedOut:
            self._discard(protocol)
            raise SurrealTimeoutError(
                f"{method}() got no reply from {self.url} within {timeout} s"
            ) from None
        except (ResponseFailed, OSError) as exc:
            self._discard(protocol)
            raise exchange_failed(self.url, method, exc, self._closed, reused, exchange) from None
        except BaseException:  # cancelled: the response may still come, on no one's behalf
            self._discard(protocol)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if exchange.reusable and not protocol.lost and self._loop is loop:
            exchange.next_request()
            self._release(protocol)
        else:
            self._discard(protocol)
        return response

    async def _new_connection(self, loop: asyncio.AbstractEventLoop) -> _HttpProtocol:
        target = self._target
        context = None
        if target.secure:
            context = self._ssl or ssl_module.create_default_context()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _HttpProtocol(self._max_reply_size),
                    target.host,
                    target.port,
                    ssl=context,
                    server_hostname=target.host if context is not None else None,
                )
        except TimeoutError:
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self._connect_timeout} s"
            ) from None
        except OSError as exc:  # ssl.SSLError included
            raise connection_failed(self.url, exc) from None
        if self._closed:
            protocol.close()
            raise SurrealConnectionError(f"the connection to {self.url} is closed")
        self._open.add(protocol)
        return protocol

    def _move_to(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make the pool `loop`'s: the connections of the previous loop are left to it, or,
        when it is closed (an earlier `asyncio.run()` ended), dropped without calling into it."""
        previous, self._loop = self._loop, loop
        protocols = list(self._open)
        self._open.clear()
        self._idle.clear()
        if previous is not None and previous.is_closed():
            for protocol in protocols:
                protocol.drop()

    def _release(self, protocol: _HttpProtocol) -> None:
        """Put a connection whose response was read whole back for the next call."""
        if not self._closed and len(self._idle) < MAX_IDLE:
            self._idle.append(protocol)
        else:
            self._discard(protocol)

    def _discard(self, protocol: _HttpProtocol) -> None:
        """Close a connection that cannot carry another request."""
        self._open.discard(protocol)
        protocol.close()

    async def close(self) -> None:
        """Close every connection; calls still waiting fail at once. Idempotent."""
        self._closed = True
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._move_to(loop)  # a connection of a closed loop cannot be closed through it
        protocols = list(self._open)
        self._open.clear()
        self._idle.clear()
        for protocol in protocols:
            protocol.close()
        if self._httpx is not None:
            await self._httpx.close()  # its own client only: a caller's http_client stays open
