"""The asyncio WebSocket transport: one socket, one reader task, any number of caller tasks."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
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
from surrealdb.transports.base import AsyncRpcClient, logger
from surrealdb.transports.ws_blocking import _MAX_ABANDONED, MAX_MESSAGE_SIZE


class AsyncWsTransport(AsyncRpcClient):
    """Carries requests over one WebSocket, from any number of tasks."""

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
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._live = LiveRouter()
        self._connecting: asyncio.Lock | None = None
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False
        self._lost: SurrealConnectionError | None = None
        self._abandoned: set[int] = set()  # ids of calls that timed out or were cancelled

    async def connect(self) -> Self:
        """Open the WebSocket (if not open yet) and start its reader task."""
        await self._open_socket()
        return self

    async def _open_socket(self) -> ClientConnection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._socket is not None:
                return self._socket
            if self._closed or self._lost is not None:
                raise self._connection_error()
            try:
                socket = await connect(
                    self._url.endpoint,
                    subprotocols=[Subprotocol("cbor")],
                    open_timeout=self._connect_timeout,
                    max_size=MAX_MESSAGE_SIZE,
                    compression=None,
                )
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                raise SurrealConnectionError(f"cannot connect to {self.url}: {exc}") from None
            if socket.subprotocol != "cbor":
                await socket.close()
                raise SurrealConnectionError(
                    f"{self.url} did not accept the CBOR subprotocol: is it a SurrealDB server?"
                )
            self._socket = socket
            self._reader = asyncio.create_task(self._read_frames(socket))
            return socket

    async def _call(self, request: Request) -> Any:
        socket = self._socket or await self._open_socket()
        request_id, frame = self._protocol.encode_request(request)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        pending = self._pending
        pending[request_id] = future
        try:
            # One deadline for sending and waiting, so a server that stops reading cannot
            # hold a caller past its timeout either.
            async with asyncio.timeout(self._timeout) as deadline:
                try:
                    await socket.send(frame)
                except (ConnectionClosed, OSError) as exc:
                    raise SurrealConnectionError(
                        f"the connection to {self.url} was lost: {exc}"
                    ) from None
                result = await future
        except TimeoutError:
            if not deadline.expired():
                raise
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {self._timeout} s;"
                " the connection is still usable"
            ) from None
        finally:
            if pending.pop(request_id, None) is not None:  # timed out or cancelled
                self._abandon(request_id)
        if request.method in LIVE_EFFECT_METHODS:
            self._live.after_call(request.method, request.session, request.params, result)
        return result

    def _connection_error(self) -> SurrealConnectionError:
        """A fresh error saying why the connection is unusable."""
        if self._lost is not None:
            return SurrealConnectionError(str(self._lost))
        return SurrealConnectionError(f"the connection to {self.url} is closed")

    async def _read_frames(self, socket: ClientConnection) -> None:
        """The reader task: route every frame until the socket closes."""
        reason = "the server closed the connection"
        try:
            async for frame in socket:
                if isinstance(frame, str):
                    logger.warning("dropped a text frame: this client speaks CBOR only")
                    continue
                self._route(self._protocol.decode_frame(frame))
        except ConnectionClosed as exc:
            reason = f"the connection closed ({exc})"
        except asyncio.CancelledError:
            reason = "the connection was closed"
            raise
        except Exception as exc:  # the reader must never die silently
            logger.exception("the WebSocket reader failed")
            reason = f"the reader failed: {exc!r}"
            # Nothing reads the socket any more: close it, so no caller can wait on it.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(), 5)
        finally:
            self._fail_everything(reason)

    def _route(self, event: Reply | ErrorReply | Notification | UnroutableFrame) -> None:
        if type(event) is Reply:
            future = self._pending.pop(event.id, None)
            if future is not None:
                if not future.done():  # done: its caller was cancelled
                    future.set_result(event.result)
            else:
                self._drop_reply(event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            future = self._pending.pop(event.id, None)
            if future is not None:
                if not future.done():
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
        if self._closed:
            reason = "the connection was closed"
        else:
            self._lost = SurrealConnectionError(f"{reason}: {self.url}")
        self._socket = None
        message = f"{reason} while the call waited for its reply: {self.url}"
        while self._pending:
            _, future = self._pending.popitem()
            if not future.done():
                future.set_exception(SurrealConnectionError(message))
        self._live.close()

    def _live_router(self) -> LiveRouter:
        """This connection's live notifications, for `subscribe_live`."""
        return self._live

    async def close(self) -> None:
        """Close the WebSocket; pending calls fail, live subscriptions end. Idempotent."""
        self._closed = True
        socket, self._socket = self._socket, None
        reader, self._reader = self._reader, None
        if socket is not None:
            await socket.close()
        if reader is not None and reader is not asyncio.current_task():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(reader, 5)
        self._fail_everything("the connection was closed")  # in case the reader is stuck
