"""The asyncio WebSocket transport: one socket, one reader task, any number of caller tasks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Self
from uuid import UUID

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
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
from surrealdb.transports.base import AsyncRpcClient, logger
from surrealdb.transports.ws_blocking import MAX_MESSAGE_SIZE


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
            if self._closed:
                raise SurrealConnectionError(f"the connection to {self.url} is closed")
            if self._lost is not None:
                raise self._lost
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
        self._pending[request_id] = future
        try:
            await socket.send(frame)
        except (ConnectionClosed, OSError) as exc:
            self._pending.pop(request_id, None)
            raise SurrealConnectionError(f"the connection to {self.url} was lost: {exc}") from None
        try:
            result = await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {self._timeout} s;"
                " the connection is still usable"
            ) from None
        finally:
            self._pending.pop(request_id, None)
        if request.method == "kill":
            self._live.end(request.params[0])
        return result

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
        finally:
            self._fail_everything(reason)

    def _route(self, event: Reply | ErrorReply | Notification | UnroutableFrame) -> None:
        if isinstance(event, Reply):
            future = self._pending.pop(event.id, None)
            if future is not None and not future.done():
                future.set_result(event.result)
            elif future is None:
                logger.warning("dropped a reply for unknown request id %s", event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            future = self._pending.pop(event.id, None)
            if future is not None and not future.done():
                future.set_exception(event.error)
            elif future is None:
                logger.warning("dropped an error for unknown request id %s", event.id)
        else:
            logger.warning("dropped a frame: %s", event.reason)

    def _fail_everything(self, reason: str) -> None:
        """The socket is gone: fail every pending call and end every live query."""
        error = SurrealConnectionError(f"{reason}: {self.url}")
        if not self._closed:
            self._lost = error
        self._socket = None
        while self._pending:
            _, future = self._pending.popitem()
            if not future.done():
                future.set_exception(error)
        self._live.close()

    async def subscribe_live(self, live_id: UUID) -> AsyncIterator[LiveNotification]:
        """Iterate over a live query's notifications until it is killed or the connection closes."""
        buffer = self._live.buffer(live_id)
        while True:
            item = await buffer.get_async()
            if item is ENDED:
                return
            assert isinstance(item, LiveNotification)
            yield item

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
        self._live.close()
