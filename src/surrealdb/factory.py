"""`Surreal(url)` and `AsyncSurreal(url)`: the connection class picked from the URL's scheme."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from surrealdb.errors import InvalidURLError
from surrealdb.reconnect import ReconnectPolicy
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    SSLOption,
)
from surrealdb.transports.http_wire import DEFAULT_MAX_REPLY_SIZE, check_reply_size
from surrealdb.url import TransportKind, parse_url

if TYPE_CHECKING:
    import httpx

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
    max_reply_size: int = DEFAULT_MAX_REPLY_SIZE,
    http_client: httpx.Client | None = None,
    http2: bool = False,
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
        max_reply_size: http:// and https://: the most bytes a reply may take (128 MiB, the
            WebSocket limit, by default); a longer one raises `PayloadTooLargeError` before
            it is read.
        http_client: http:// and https://: an `httpx.Client` (`httpx.AsyncClient` for
            `AsyncSurreal`) that sends every request: its proxies, event hooks, headers,
            transport (`httpx.MockTransport` in tests). The caller owns it: closing the
            connection leaves it open.
        http2: http:// and https://: send through httpx with HTTP/2 (needs the `http2`
            extra, `h2`). A URL that `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` name a proxy
            for (and `NO_PROXY` does not exempt) goes through httpx too.

    See docs/reliability.md and docs/http.md.
    """
    kind = parse_url(url).kind
    cls = _BLOCKING[kind]
    return cls(
        url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        reconnect=reconnect,
        keepalive_interval=keepalive_interval,
        ssl=ssl,
        **_http_options(kind, max_reply_size, http_client, http2),
    )


def AsyncSurreal(
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
) -> AsyncSurrealConnection:
    """An asyncio connection, picked from the URL's scheme, with the options of `Surreal`."""
    kind = parse_url(url).kind
    cls = _ASYNC[kind]
    return cls(
        url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        reconnect=reconnect,
        keepalive_interval=keepalive_interval,
        ssl=ssl,
        **_http_options(kind, max_reply_size, http_client, http2),
    )


def _http_options(
    kind: TransportKind, max_reply_size: object, http_client: object, http2: bool
) -> dict[str, Any]:
    """The options only the HTTP classes take; elsewhere, `max_reply_size` only at its default
    (WebSocket messages have the server's fixed limit, and the embedded engine has none)."""
    size = check_reply_size(max_reply_size)
    if kind == "http":
        return {"max_reply_size": size, "http_client": http_client, "http2": http2}
    if http_client is not None or http2:
        raise InvalidURLError("http_client= and http2= apply to http:// and https:// URLs only")
    if size != DEFAULT_MAX_REPLY_SIZE:
        raise InvalidURLError(
            "max_reply_size= applies to http:// and https:// URLs only: a WebSocket message"
            f" may take {DEFAULT_MAX_REPLY_SIZE:,} bytes, the server's limit, and the embedded"
            " engine returns its results in-process"
        )
    return {}
