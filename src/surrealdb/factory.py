"""`Surreal(url)` and `AsyncSurreal(url)`: the connection class picked from the URL's scheme."""

from __future__ import annotations

from surrealdb.connections import (
    AsyncEmbeddedSurrealConnection,
    AsyncHttpSurrealConnection,
    AsyncSurrealConnection,
    AsyncWsSurrealConnection,
    BlockingEmbeddedSurrealConnection,
    BlockingHttpSurrealConnection,
    BlockingSurrealConnection,
    BlockingWsSurrealConnection,
)
from surrealdb.transports.base import DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT
from surrealdb.url import parse_url

_BLOCKING: dict[str, type[BlockingSurrealConnection]] = {
    "ws": BlockingWsSurrealConnection,
    "http": BlockingHttpSurrealConnection,
    "embedded": BlockingEmbeddedSurrealConnection,
}
_ASYNC: dict[str, type[AsyncSurrealConnection]] = {
    "ws": AsyncWsSurrealConnection,
    "http": AsyncHttpSurrealConnection,
    "embedded": AsyncEmbeddedSurrealConnection,
}


def Surreal(
    url: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> BlockingSurrealConnection:
    """A blocking connection: WebSocket for ws:// and wss://, HTTP for http:// and https://,
    the embedded engine for mem://, memory, surrealkv://PATH and file://PATH.

    Connecting is lazy (the first call connects); use it as a context manager to close it.
    `timeout` bounds each call, `connect_timeout` the connection, in seconds.
    """
    cls = _BLOCKING[parse_url(url).kind]
    return cls(url, timeout=timeout, connect_timeout=connect_timeout)


def AsyncSurreal(
    url: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> AsyncSurrealConnection:
    """An asyncio connection, picked from the URL's scheme like `Surreal`."""
    cls = _ASYNC[parse_url(url).kind]
    return cls(url, timeout=timeout, connect_timeout=connect_timeout)
