"""The blocking HTTP transport: `POST /rpc` over one pooled keep-alive `httpx.Client`."""

from __future__ import annotations

import threading
from typing import Any, Self

import httpx

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
    ) -> None:
        super().__init__(
            url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            keepalive_interval=keepalive_interval,
            ssl=ssl,
        )
        self._state = HttpSessionState()
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._closed = False

    def connect(self) -> Self:
        """Make the pooled HTTP client (connections open on the first request)."""
        self._http_client()
        return self

    def _http_client(self) -> httpx.Client:
        with self._lock:
            if self._closed:
                raise SurrealConnectionError(f"the connection to {self.url} is closed")
            if self._client is None:
                self._client = httpx.Client(
                    base_url=self._url.endpoint,
                    timeout=httpx.Timeout(self._timeout, connect=self._connect_timeout),
                    verify=True if self._ssl is None else self._ssl,
                )
            return self._client

    @property
    def is_closed(self) -> bool:
        """Whether `close()` was called (HTTP requests are independent: nothing else closes)."""
        return self._closed

    def _call(self, request: Request) -> Any:
        prepared = self._state.prepare(request)
        if isinstance(prepared, LocalResult):
            return prepared.result
        body = encode_envelope(prepared, None)
        client = self._client or self._http_client()
        timeout = self._call_timeout.get()
        try:
            response = client.post(
                "/rpc",
                content=body,
                headers=self._state.headers(),
                timeout=httpx.Timeout(timeout, connect=self._connect_timeout),
            )
        except httpx.TimeoutException:
            raise SurrealTimeoutError(
                f"{request.method}() got no reply from {self.url} within {timeout} s"
            ) from None
        except httpx.HTTPError as exc:
            raise http_failed(self.url, exc) from None
        finally:
            del body  # it holds the parameters, credentials included
        result = parse_http_response(
            response.status_code, response.headers, response.content, request.method
        )
        self._state.record(request, result)
        return result

    def close(self) -> None:
        """Close the pooled HTTP connections. Idempotent."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()


def http_failed(url: str, exc: httpx.HTTPError) -> SurrealConnectionError:
    """The error of a request that got no HTTP response."""
    return connection_failed(url, exc, doing="cannot reach")


def parse_http_response(
    status: int, headers: httpx.Headers, content: bytes, method: str = "the request"
) -> Any:
    """The result of an HTTP `/rpc` response, or the error it carries."""
    if status == 200 and headers.get("content-type", "").startswith("application/cbor"):
        return decode_body(content)
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
