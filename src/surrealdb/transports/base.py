"""What every transport provides to the generated connection classes.

A connection is lazy: the first call connects (an explicit `connect()` works too). `close()`
is idempotent, and the classes are context managers.

Every transport takes the same keyword options (`_ClientOptions`), checked when the
connection is made, before anything touches the network.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import math
import os
import ssl as ssl_module
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self, TypeAlias

from surrealdb import _endpoints
from surrealdb.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidURLError,
    SurrealConnectionError,
    SurrealError,
)
from surrealdb.live import AsyncLiveQueries, BlockingLiveQueries
from surrealdb.protocol import Request
from surrealdb.reconnect import ReconnectPolicy, reconnect_policy
from surrealdb.url import ConnectionURL, TransportKind, parse_url

logger = logging.getLogger("surrealdb")

DEFAULT_TIMEOUT = 30.0
"""Seconds a call waits for its reply before raising `SurrealTimeoutError`."""

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds connecting may take."""

DEFAULT_KEEPALIVE_INTERVAL = 20.0
"""Seconds between keepalive pings on a WebSocket; a pong must come within as long again."""

SERVER_MESSAGE_LIMIT = 128 * 1024 * 1024
"""The most bytes a SurrealDB server takes in one WebSocket message: the WebSocket transports'
frame limit, and the default cap on an HTTP reply (`max_reply_size`)."""

SSLOption: TypeAlias = "ssl_module.SSLContext | str | os.PathLike[str] | None"
"""What `ssl=` takes: an `ssl.SSLContext`, the path of a CA file (PEM), or None (defaults)."""


class PayloadTooLargeError(SurrealError, ValueError):
    """A request is larger than the server accepts (it was not sent), or an HTTP reply is
    larger than `max_reply_size` (it was not read)."""


_URL_HINTS = {"ws": "ws:// or wss://", "http": "http:// or https://", "embedded": "mem://"}


def check_seconds(name: str, value: object, *, allow_none: bool) -> float | None:
    """A duration option: a positive, finite number of seconds (or None where allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "a number of seconds or None" if allow_none else "a number of seconds"
        raise InvalidArgumentTypeError(
            f"{name} must be {expected}, got {type(value).__name__}: {value!r}"
        )
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"{name} must be more than 0 seconds, got {value!r}")
    return float(value)


def ssl_context(option: object, url: ConnectionURL) -> ssl_module.SSLContext | None:
    """The TLS context that `ssl=` asks for (None: the library's verifying default)."""
    if option is None:
        return None
    secure = url.endpoint.startswith(("wss://", "https://"))
    if not secure:
        raise InvalidURLError(
            f"ssl= applies to wss:// and https:// URLs only, and {url.display!r} is not"
            " encrypted: use a wss:// or https:// URL"
        )
    if isinstance(option, ssl_module.SSLContext):
        return option
    if isinstance(option, str | os.PathLike):
        path = os.fspath(option)
        try:
            return ssl_module.create_default_context(cafile=path)
        except (OSError, ssl_module.SSLError) as exc:
            raise InvalidArgumentError(f"ssl= cannot load the CA file {path!r}: {exc}") from None
    raise InvalidArgumentTypeError(
        "ssl must be an ssl.SSLContext, the path of a CA file, or None;"
        f" got {type(option).__name__}"
    )


def connection_failed(
    url: str, exc: BaseException, doing: str = "cannot connect to"
) -> SurrealConnectionError:
    """The error of a failed connection attempt, with a hint for certificate failures."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ssl_module.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return SurrealConnectionError(
            f"{doing} {url}: TLS certificate verification failed ({text});"
            " pass ssl=<CA file> or ssl=<ssl.SSLContext> to trust the server's certificate"
        )
    return SurrealConnectionError(f"{doing} {url}: {text}")


class _ClientOptions:
    """The URL and the options every transport takes (all keyword-only).

    Args:
        url: where to connect (see `surrealdb.url.SUPPORTED_SCHEMES`).
        timeout: seconds each call waits for its reply (None: no limit); `timeout()`
            overrides it for a block of calls.
        connect_timeout: seconds opening the connection may take.
        reconnect: WebSocket only: reconnect after the link drops (True: the default
            `ReconnectPolicy`), or not (False), or how (a `ReconnectPolicy`).
        keepalive_interval: WebSocket only: seconds between keepalive pings (None: none); a
            link whose pong does not come within as long again is treated as dropped.
        ssl: wss:// and https:// only: an `ssl.SSLContext`, or the path of a CA file to
            trust; None verifies certificates against the system's trusted CAs.
    """

    _transport_kind: TransportKind

    def __init__(
        self,
        url: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect: bool | ReconnectPolicy = True,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
        ssl: SSLOption = None,
    ) -> None:
        self._url: ConnectionURL = parse_url(url)
        if self._url.kind != self._transport_kind:
            raise InvalidURLError(
                f"{type(self).__name__} needs a {_URL_HINTS[self._transport_kind]} URL,"
                f" got {self._url.display!r}: use Surreal(url) / AsyncSurreal(url) to pick the"
                " class from the URL"
            )
        self._timeout = check_seconds("timeout", timeout, allow_none=True)
        connect = check_seconds("connect_timeout", connect_timeout, allow_none=False)
        assert connect is not None
        self._connect_timeout: float = connect
        self._reconnect: ReconnectPolicy | None = reconnect_policy(reconnect)
        self._keepalive_interval = check_seconds(
            "keepalive_interval", keepalive_interval, allow_none=True
        )
        self._ssl: ssl_module.SSLContext | None = ssl_context(ssl, self._url)
        self._call_timeout: ContextVar[float | None] = ContextVar(
            "surrealdb_call_timeout", default=self._timeout
        )

    @property
    def reconnects(self) -> int:
        """How many times the connection reconnected after its link dropped (WebSocket only;
        HTTP requests are independent and the embedded engine has no link: always 0)."""
        return 0

    @contextmanager
    def timeout(self, seconds: float | None) -> Iterator[None]:
        """Within the block, calls on this connection wait at most `seconds` for their reply.

        `None` lifts the limit. The override holds for the thread (blocking) or the task
        (asyncio) that entered the block, including its calls through sessions and
        transactions of this connection; other threads and tasks keep the connection's
        `timeout`. Blocks nest. The embedded engine runs calls in-process and ignores it.

            with db.timeout(120):
                db.query("SELECT * FROM big_report")
        """
        value = check_seconds("timeout", seconds, allow_none=True)
        token = self._call_timeout.set(value)
        try:
            yield
        finally:
            self._call_timeout.reset(token)

    @property
    def token(self) -> str | None:
        """The access token the connection's own session is signed in with; None when it is
        signed out (the official SDK's `db.token`).

        Set by `signin`, `signup`, `authenticate` and `refresh` on the connection (not on its
        sessions), cleared by `invalidate` and `reset`. Read-only, and never in the repr: it
        is a credential.
        """
        return None

    @property
    def transport_kind(self) -> TransportKind:
        """The transport: "ws", "http" or "embedded"."""
        return self._url.kind

    @property
    def url(self) -> str:
        """The endpoint this connection talks to (never with credentials)."""
        return self._url.display

    def __repr__(self) -> str:
        return f"<{type(self).__name__} url={self._url.display!r}>"

    def _endpoint_names(self) -> tuple[str | None, str | None]:
        """The namespace and database of the connection's own session, as the client knows
        them, for the HTTP endpoints that need them (none by default)."""
        return None, None

    def _endpoint_target(self) -> _endpoints.EndpointTarget:
        """Where this connection's HTTP endpoint requests go, with its session's state."""
        namespace, database = self._endpoint_names()
        return _endpoints.EndpointTarget(
            _endpoints.http_base(self._url),
            ssl=self._ssl,
            connect_timeout=self._connect_timeout,
            timeout=self._call_timeout.get(),
            namespace=namespace,
            database=database,
            token=self.token,
        )

    def _check_connect_url(self, url: str) -> None:
        """`connect(url)`: the URL must name the endpoint this connection was made for.

        A connection's class, options and server-side state belong to its URL, so it does not
        switch to another one (the official SDK may, silently, or ignores the URL once open).
        """
        other = parse_url(url)
        if other.endpoint != self._url.endpoint:
            raise InvalidURLError(
                f"connect({other.display!r}): this connection is for {self._url.display!r}"
                " and cannot switch to another URL; make a new connection with"
                f" Surreal({other.display!r}) / AsyncSurreal({other.display!r})"
            )


class BlockingSocket:
    """`db.socket` of a blocking WebSocket connection, for code written for the official SDK.

    The official SDK exposes its websockets connection as `db.socket`, and its users close the
    connection with `db.socket.close()`. This handle does that, through the connection's own
    `close()` (idempotent; pending calls fail, live subscriptions end). Sending or reading
    frames around the connection would mix up its replies, so it offers neither.
    """

    __slots__ = ("_connection",)

    def __init__(self, connection: BlockingRpcClient) -> None:
        self._connection = connection

    def close(self) -> None:
        """Close the connection (`db.close()`)."""
        self._connection.close()

    def __repr__(self) -> str:
        return f"<BlockingSocket of {self._connection.url!r}>"


class AsyncSocket:
    """`db.socket` of an asyncio WebSocket connection, for code written for the official SDK.

    `await db.socket.close()` closes the connection through its own `close()`, as
    `BlockingSocket` does for blocking connections; it offers nothing else.
    """

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncRpcClient) -> None:
        self._connection = connection

    async def close(self) -> None:
        """Close the connection (`await db.close()`)."""
        await self._connection.close()

    def __repr__(self) -> str:
        return f"<AsyncSocket of {self._connection.url!r}>"


class BlockingRpcClient(_ClientOptions, BlockingLiveQueries, ABC):
    """The transport side of a blocking connection."""

    @abstractmethod
    def _call(self, request: Request) -> Any:
        """Send one request and return its result, or raise its error."""

    def _endpoint(self, request: _endpoints.EndpointRequest) -> Any:
        """Make a request of the server's HTTP endpoints (on its own HTTP connection)."""
        if self.is_closed:
            raise SurrealConnectionError(f"the connection to {self.url} is closed")
        return _endpoints.send(self._endpoint_target(), request)

    @abstractmethod
    def connect(self, url: str | None = None) -> Self:
        """Connect now instead of at the first call; returns the connection.

        `url` is accepted as the official SDK has it, but only the connection's own URL.
        """

    @abstractmethod
    def close(self) -> None:
        """Close the connection; safe to call more than once."""

    @property
    @abstractmethod
    def is_closed(self) -> bool:
        """Whether the connection is closed, or lost for good (it will not reconnect)."""

    def __enter__(self) -> Self:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncRpcClient(_ClientOptions, AsyncLiveQueries, ABC):
    """The transport side of an asyncio connection."""

    @abstractmethod
    async def _call(self, request: Request) -> Any:
        """Send one request and return its result, or raise its error."""

    async def _endpoint(self, request: _endpoints.EndpointRequest) -> Any:
        """Make a request of the server's HTTP endpoints, in a worker thread (on its own HTTP
        connection); cancelling the call breaks off the transfer."""
        if self.is_closed:
            raise SurrealConnectionError(f"the connection to {self.url} is closed")
        opened: list[http.client.HTTPConnection] = []
        try:
            return await asyncio.to_thread(
                _endpoints.send, self._endpoint_target(), request, opened.append
            )
        except asyncio.CancelledError:  # the thread cannot be cancelled: its transfer is cut
            for connection in opened:
                _endpoints.abort(connection)
            raise

    @abstractmethod
    async def connect(self, url: str | None = None) -> Self:
        """Connect now instead of at the first call; returns the connection.

        `url` is accepted as the official SDK has it, but only the connection's own URL.
        """

    @abstractmethod
    async def close(self) -> None:
        """Close the connection; safe to call more than once."""

    @property
    @abstractmethod
    def is_closed(self) -> bool:
        """Whether the connection is closed, or lost for good (it will not reconnect)."""

    async def __aenter__(self) -> Self:
        return await self.connect()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
