"""The blocking WebSocket transport: one socket, one reader thread, any number of caller threads.

Callers send their frame and wait on a future; the reader thread decodes every frame and
resolves the future whose request id it answers, or queues a live notification.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from typing import Any, Self

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from surrealdb.errors import SurrealConnectionError, SurrealTimeoutError
from surrealdb.live import LIVE_EFFECT_METHODS, LiveRouter
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

_MAX_ABANDONED = 100_000
"""How many ids of timed-out calls are remembered, to log their late replies quietly."""


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
        self._abandoned: set[int] = set()  # ids of calls that timed out or were cancelled

    def connect(self) -> Self:
        """Open the WebSocket (if not open yet) and start its reader thread."""
        self._open_socket()
        return self

    def _open_socket(self) -> ClientConnection:
        with self._state_lock:
            if self._socket is not None:
                return self._socket
            if self._closed or self._lost is not None:
                raise self._connection_error()
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
        pending = self._pending
        pending[request_id] = future
        # Checked after registering: `_fail_everything` sets `_lost` before it drains `_pending`,
        # so a call that registers too late for the drain sees the loss here.
        if self._lost is not None or self._closed:
            pending.pop(request_id, None)
            raise self._connection_error()
        try:
            socket.send(frame)
        except (ConnectionClosed, OSError) as exc:
            pending.pop(request_id, None)
            raise SurrealConnectionError(f"the connection to {self.url} was lost: {exc}") from None
        try:
            result = future.result(self._timeout)
        except FutureTimeout:
            if pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {self._timeout} s;"
                " the connection is still usable"
            ) from None
        if request.method in LIVE_EFFECT_METHODS:
            self._live.after_call(request.method, request.session, request.params, result)
        return result

    def _connection_error(self) -> SurrealConnectionError:
        """A fresh error (never one shared by threads) saying why the connection is unusable."""
        if self._lost is not None:
            return SurrealConnectionError(str(self._lost))
        return SurrealConnectionError(f"the connection to {self.url} is closed")

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
            with suppress(Exception):  # nothing reads the socket any more: close it
                socket.close()
        finally:
            self._fail_everything(reason)

    def _route(self, event: Reply | ErrorReply | Notification | UnroutableFrame) -> None:
        if type(event) is Reply:
            future = self._pending.pop(event.id, None)
            if future is not None:
                try:  # noqa: SIM105 (the hot path: try costs nothing, suppress() does)
                    future.set_result(event.result)
                except InvalidStateError:  # close() failed it meanwhile
                    pass
            else:
                self._drop_reply(event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            future = self._pending.pop(event.id, None)
            if future is not None:
                with suppress(InvalidStateError):  # close() failed it meanwhile
                    future.set_exception(event.error)
            else:
                self._drop_reply(event.id, event.error)
        else:
            assert isinstance(event, UnroutableFrame)
            logger.warning("dropped a frame: %s", event.reason)

    def _drop_reply(self, request_id: int, error: BaseException | None = None) -> None:
        """Log a reply nobody waits for: expected (debug) after a timeout, else a warning."""
        what = "a reply" if error is None else f"an error ({error})"
        try:
            self._abandoned.remove(request_id)
        except KeyError:
            logger.warning("dropped %s for unknown request id %s", what, request_id)
        else:
            logger.debug("dropped %s that came after its caller gave up (id %s)", what, request_id)

    def _abandon(self, request_id: int) -> None:
        """The caller of `request_id` stopped waiting; its reply may still come."""
        if len(self._abandoned) >= _MAX_ABANDONED:  # replies that never came: forget them
            self._abandoned.clear()
        self._abandoned.add(request_id)

    def _fail_everything(self, reason: str) -> None:
        """The socket is gone: fail every pending call and end every live query."""
        with self._state_lock:
            if self._closed:
                reason = "the connection was closed"
            else:
                self._lost = SurrealConnectionError(f"{reason}: {self.url}")
            self._socket = None
        message = f"{reason} while the call waited for its reply: {self.url}"
        while self._pending:
            try:
                _, future = self._pending.popitem()
            except KeyError:  # a timed-out caller took the last one meanwhile
                break
            with suppress(InvalidStateError):  # the reader answered it meanwhile
                future.set_exception(SurrealConnectionError(message))
        self._live.close()

    def _live_router(self) -> LiveRouter:
        """This connection's live notifications, for `subscribe_live`."""
        return self._live

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
        self._fail_everything("the connection was closed")  # in case the reader is stuck
