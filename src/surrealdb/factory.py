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
from surrealdb.reconnect import ReconnectPolicy
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    SSLOption,
)
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
    reconnect: bool | ReconnectPolicy = True,
    keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
    ssl: SSLOption = None,
) -> BlockingSurrealConnection:
    """A blocking connection: WebSocket for ws:// and wss://, HTTP for http:// and https://,
    the embedded engine for mem://, memory, surrealkv://PATH and file://PATH.

    Connecting is lazy (the first call connects); use it as a context manager to close it.

    Args:
        url: where to connect.
        timeout: seconds each call waits for its reply (None: no limit); `db.timeout(s)`
            overrides it for a block of calls.
        connect_timeout: seconds opening the connection may take.
        reconnect: WebSocket: reconnect after the link drops and restore the session and
            live queries (True: the default `ReconnectPolicy`; False: never).
        keepalive_interval: WebSocket: seconds between keepalive pings (None: none); a link
            whose pong does not come within as long again counts as dropped.
        ssl: wss:// and https://: an `ssl.SSLContext`, or the path of a CA file to trust.
            Certificates are always verified; by default against the system's CAs.

    See docs/reliability.md.
    """
    cls = _BLOCKING[parse_url(url).kind]
    return cls(
        url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        reconnect=reconnect,
        keepalive_interval=keepalive_interval,
        ssl=ssl,
    )


def AsyncSurreal(
    url: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    reconnect: bool | ReconnectPolicy = True,
    keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
    ssl: SSLOption = None,
) -> AsyncSurrealConnection:
    """An asyncio connection, picked from the URL's scheme, with the options of `Surreal`."""
    cls = _ASYNC[parse_url(url).kind]
    return cls(
        url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        reconnect=reconnect,
        keepalive_interval=keepalive_interval,
        ssl=ssl,
    )
