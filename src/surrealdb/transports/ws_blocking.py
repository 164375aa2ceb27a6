"""The blocking WebSocket transport: one socket, one reader thread, any number of caller threads.

Callers send their frame and wait on a future; the reader thread decodes every frame and
resolves the future whose request id it answers, or queues a live notification.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Self
from uuid import UUID

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from surrealdb.api_types import LiveNotification
from surrealdb.errors import SurrealConnectionError, SurrealTimeoutError
from surrealdb.live import ENDED, LiveRouter
from surrealdb.protocol import (
    ErrorReply,
    Notification,
    Reply,
    Request,
    RpcProtocol,
    UnroutableFrame,
)
from surrealdb.transports.base import BlockingRpcClient, logger

MAX_MESSAGE_SIZE = 128 * 1024 * 1024
"""The largest frame accepted, as the server's own limit."""


class BlockingWsTransport(BlockingRpcClient):
    """Carries requests over one WebSocket, from any number of threads."""

    _transport_kind = "ws"

    def __init__(
        self,
        url: str,
        *,
        timeout: float | None = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        super().__init__(url, timeout=timeout, connect_timeout=connect_timeout)
        self._protocol = RpcProtocol()
        self._pending: dict[int, Future[Any]] = {}
        self._live = LiveRouter()
        self._state_lock = threading.Lock()
        self._socket: ClientConnection | None = None
        self._reader: threading.Thread | None = None
        self._closed = False
        self._lost: SurrealConnectionError | None = None

    def connect(self) -> Self:
        """Open the WebSocket (if not open yet) and start its reader thread."""
        self._open_socket()
        return self

    def _open_socket(self) -> ClientConnection:
        with self._state_lock:
            if self._socket is not None:
                return self._socket
            if self._closed:
                raise SurrealConnectionError(f"the connection to {self.url} is closed")
            if self._lost is not None:
                raise self._lost
            try:
                socket = connect(
                    self._url.endpoint,
                    subprotocols=[Subprotocol("cbor")],
                    open_timeout=self._connect_timeout,
                    max_size=MAX_MESSAGE_SIZE,
                    compression=None,
                    legacy=True,  # a plain connection that we close ourselves, not a context
                )
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                raise SurrealConnectionError(f"cannot connect to {self.url}: {exc}") from None
            if socket.subprotocol != "cbor":
                socket.close()
                raise SurrealConnectionError(
                    f"{self.url} did not accept the CBOR subprotocol: is it a SurrealDB server?"
                )
            self._socket = socket
            self._reader = threading.Thread(
                target=self._read_frames, args=(socket,), name="surrealdb-ws-reader", daemon=True
            )
            self._reader.start()
            return socket

    def _call(self, request: Request) -> Any:
        socket = self._socket or self._open_socket()
        request_id, frame = self._protocol.encode_request(request)
        future: Future[Any] = Future()
        self._pending[request_id] = future
        if self._lost is not None or self._closed:
            self._pending.pop(request_id, None)
            raise self._lost or SurrealConnectionError(f"the connection to {self.url} is closed")
        try:
            socket.send(frame)
        except (ConnectionClosed, OSError) as exc:
            self._pending.pop(request_id, None)
            raise SurrealConnectionError(f"the connection to {self.url} was lost: {exc}") from None
        try:
            result = future.result(self._timeout)
        except FutureTimeout:
            self._pending.pop(request_id, None)
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {self._timeout} s;"
                " the connection is still usable"
            ) from None
        if request.method == "kill":
            self._live.end(request.params[0])
        return result

    def _read_frames(self, socket: ClientConnection) -> None:
        """The reader thread: route every frame until the socket closes."""
        reason = "the server closed the connection"
        try:
            for frame in socket:
                if isinstance(frame, str):
                    logger.warning("dropped a text frame: this client speaks CBOR only")
                    continue
                self._route(self._protocol.decode_frame(frame))
        except ConnectionClosed as exc:
            reason = f"the connection closed ({exc})"
        except Exception as exc:  # the reader must never die silently
            logger.exception("the WebSocket reader failed")
            reason = f"the reader failed: {exc!r}"
        finally:
            self._fail_everything(reason)

    def _route(self, event: Reply | ErrorReply | Notification | UnroutableFrame) -> None:
        if isinstance(event, Reply):
            future = self._pending.pop(event.id, None)
            if future is not None:
                future.set_result(event.result)
            else:
                logger.warning("dropped a reply for unknown request id %s", event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            future = self._pending.pop(event.id, None)
            if future is not None:
                future.set_exception(event.error)
            else:
                logger.warning("dropped an error for unknown request id %s", event.id)
        else:
            logger.warning("dropped a frame: %s", event.reason)

    def _fail_everything(self, reason: str) -> None:
        """The socket is gone: fail every pending call and end every live query."""
        error = SurrealConnectionError(f"{reason}: {self.url}")
        with self._state_lock:
            if not self._closed:
                self._lost = error
            self._socket = None
        while self._pending:
            _, future = self._pending.popitem()
            if not future.done():
                future.set_exception(error)
        self._live.close()

    def subscribe_live(self, live_id: UUID) -> Iterator[LiveNotification]:
        """Yield the notifications of a live query until it is killed or the connection closes."""
        buffer = self._live.buffer(live_id)
        while True:
            item = buffer.get()
            if item is ENDED or item is None:
                return
            assert isinstance(item, LiveNotification)
            yield item

    def close(self) -> None:
        """Close the WebSocket; pending calls fail, live subscriptions end. Idempotent."""
        with self._state_lock:
            self._closed = True
            socket, self._socket = self._socket, None
            reader, self._reader = self._reader, None
        if socket is not None:
            socket.close()
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=5)
        self._live.close()
