"""The server's HTTP endpoints beyond `/rpc` (schema/http.toml): their requests and transfer.

The generated methods build an `EndpointRequest` and hand it to the connection's `_endpoint`.
HTTP and WebSocket connections send it to the server's HTTP endpoint with `send` (a WebSocket
connection to the same host's: `ws://host:port/rpc` -> `http://host:port`), using the standard
library's `http.client` on its own connection, so the transports' `/rpc` traffic and their
HTTP engine are left alone. The asyncio connections run `send` in a worker thread.
"""

from __future__ import annotations

import http.client
import ssl as ssl_module
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from surrealdb.errors import (
    AuthenticationError,
    ServerError,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.url import ConnectionURL

ERROR_TEXT_LIMIT = 500
"""Characters of an error response's body quoted in the exception."""


@dataclass(frozen=True)
class EndpointRequest:
    """One call of an HTTP endpoint: which endpoint, and the method's arguments."""

    name: str
    """The client method, for error messages."""
    http_method: str
    path: str
    authenticated: bool = False
    """Sent with the connection's namespace, database and token."""
    arguments: dict[str, Any] = field(default_factory=dict)


class EndpointTarget:
    """Where and how to send endpoint requests: the server's HTTP base URL, TLS, timeouts,
    and the connection's namespace, database and token (never in the repr)."""

    __slots__ = ("_token", "base", "connect_timeout", "database", "namespace", "ssl", "timeout")

    def __init__(
        self,
        base: str,
        *,
        ssl: ssl_module.SSLContext | None,
        connect_timeout: float,
        timeout: float | None,
        namespace: str | None = None,
        database: str | None = None,
        token: str | None = None,
    ) -> None:
        self.base = base
        self.ssl = ssl
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.namespace = namespace
        self.database = database
        self._token = token

    def __repr__(self) -> str:
        return f"<EndpointTarget {self.base!r} signed_in={self._token is not None}>"

    def headers(self, request: EndpointRequest) -> dict[str, str]:
        """The request's headers: the session's, for an authenticated endpoint."""
        headers: dict[str, str] = {}
        if request.authenticated:
            if self.namespace is not None:
                headers["Surreal-NS"] = self.namespace
            if self.database is not None:
                headers["Surreal-DB"] = self.database
            if self._token is not None:
                headers["Authorization"] = f"Bearer {self._token}"
        return headers


def http_base(url: ConnectionURL) -> str:
    """The server's HTTP base URL for a ws:// or http:// connection URL.

    A WebSocket URL `ws://host:port/prefix/rpc` gives `http://host:port/prefix` (`wss` gives
    `https`): the same server's HTTP endpoints.
    """
    parts = urlsplit(url.endpoint)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/").removesuffix("/rpc")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def send(target: EndpointTarget, request: EndpointRequest) -> Any:
    """Make the request on a new HTTP connection; return its result, or raise its error."""
    parts = urlsplit(target.base)
    display = f"{target.base}{request.path}"
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.netloc, timeout=target.connect_timeout, context=target.ssl
        )
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=target.connect_timeout)
    try:
        try:
            connection.connect()
        except OSError as exc:
            raise SurrealConnectionError(f"cannot connect to {display}: {exc}") from None
        if connection.sock is not None:
            connection.sock.settimeout(target.timeout)
        try:
            connection.request(
                request.http_method, parts.path + request.path, headers=target.headers(request)
            )
            response = connection.getresponse()
            if response.status != 200:
                raise_for_status(response.status, response.read(ERROR_TEXT_LIMIT), display)
            response.read()
        except TimeoutError:
            raise SurrealTimeoutError(
                f"{request.name}() got no answer from {display} within {target.timeout} s"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise SurrealConnectionError(f"{request.name}() failed at {display}: {exc}") from None
    finally:
        connection.close()
    return None


def raise_for_status(status: int, body: bytes, display: str) -> None:
    """Raise the error of an endpoint's answer other than HTTP 200."""
    text = body[:ERROR_TEXT_LIMIT].decode("utf-8", "replace").strip()
    if status in (401, 403):
        raise AuthenticationError(f"{display} refused the credentials (HTTP {status}): {text}")
    raise ServerError(f"{display} answered HTTP {status}: {text}", code=status)


def nothing(result: Any) -> None:
    """An endpoint answered for its effect: its reply carries nothing."""
    del result
