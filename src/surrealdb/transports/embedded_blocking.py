"""The blocking embedded transport: requests run in-process on the `surrealdb_embedded` engine."""

from __future__ import annotations

import threading
from typing import Any, Self

from surrealdb._endpoints import EndpointRequest
from surrealdb.errors import ProtocolError, SurrealConnectionError, UnsupportedFeatureError
from surrealdb.protocol import Request, decode_body, encode_envelope
from surrealdb.reconnect import TOKEN_METHODS, ReconnectPolicy, SessionReplay
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    BlockingRpcClient,
    SSLOption,
)
from surrealdb.transports.embedded_engine import load_engine_module


class BlockingEmbeddedTransport(BlockingRpcClient):
    """Runs requests on an in-process SurrealDB engine (mem://, surrealkv://, file://)."""

    _transport_kind = "embedded"

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
        self._engine: Any = None
        self._lock = threading.Lock()
        self._closed = False
        self._auth = SessionReplay(keep_credentials=False)  # only its token is used

    def connect(self, url: str | None = None) -> Self:
        """Open the engine (once).

        `url`, as the official SDK takes it, must be the connection's own URL.
        """
        if url is not None:
            self._check_connect_url(url)
        self._open_engine()
        return self

    def _open_engine(self) -> Any:
        with self._lock:
            if self._closed:
                raise SurrealConnectionError(f"the connection to {self.url} is closed")
            if self._engine is None:
                module = load_engine_module()
                try:
                    engine = module.SyncEmbeddedDB(self._url.endpoint)
                    engine.connect()
                except Exception as exc:
                    raise SurrealConnectionError(f"cannot open {self.url}: {exc}") from None
                self._engine = engine
            return self._engine

    @property
    def is_closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed

    @property
    def socket(self) -> None:
        """The official SDK's `db.socket`, which is None on the embedded engine (no socket)."""
        return None

    @property
    def token(self) -> str | None:
        """The access token the connection's own session is signed in with (None: signed
        out); read-only, never in the repr."""
        return self._auth.token

    def _endpoint(self, request: EndpointRequest) -> Any:
        """The HTTP endpoints the engine answers in-process: `health()` and `status()` check
        that it answers (the generated classes refuse the others on this transport)."""
        if request.path not in ("/health", "/status"):
            raise UnsupportedFeatureError.for_method(request.name, "embedded")
        self._call(Request("ping", []))
        return None

    def _call(self, request: Request) -> Any:
        engine = self._engine or self._open_engine()
        frame = encode_envelope(request, 1)
        try:
            reply = engine.execute(frame)
        except RuntimeError as exc:
            raise SurrealConnectionError(f"the embedded engine failed: {exc}") from None
        except ValueError as exc:
            raise ProtocolError(f"the embedded engine rejected the request: {exc}") from None
        result = decode_body(reply)
        if request.method in TOKEN_METHODS and request.session is None:
            self._auth.record(request, result)
        return result

    def close(self) -> None:
        """Close the engine. Idempotent."""
        with self._lock:
            self._closed = True
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
