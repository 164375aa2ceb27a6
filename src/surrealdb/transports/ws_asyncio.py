"""The asyncio WebSocket transport: one socket, one reader task, any number of caller tasks.

Works like the blocking transport (see `ws_blocking`): each socket is a `_Link` with its own
pending calls; when a link drops its pending calls fail, and unless `reconnect=False` a
reconnect task opens a new link with backoff, replays the session and the live queries, then
lets calls through again (calls made meanwhile wait for it, within their timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from surrealdb.errors import (
    ServerError,
    SurrealConnectionError,
    SurrealError,
    SurrealTimeoutError,
)
from surrealdb.live import LIVE_EFFECT_METHODS, LiveRouter
from surrealdb.protocol import (
    ErrorReply,
    Event,
    Notification,
    Reply,
    Request,
    RpcProtocol,
    UnroutableFrame,
)
from surrealdb.reconnect import (
    REPLAYED_METHODS,
    SCOPE_METHODS,
    ReconnectPolicy,
    ScopeTracker,
    SessionReplay,
)
from surrealdb.transports import ws_blocking
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    AsyncRpcClient,
    SSLOption,
    connection_failed,
    logger,
)
from surrealdb.transports.ws_blocking import (
    _MAX_ABANDONED,
    STATE_METHODS,
    WEBSOCKETS_LOGGER,
    payload_too_large,
)

_CLOSE_WAIT = 5.0
"""Seconds to wait for a socket's closing handshake or a reader to finish, at most."""


class _Link:
    """One WebSocket and the calls waiting for a reply on it."""

    __slots__ = ("ended", "pending", "reader", "socket")

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.ended: str | None = None  # why it ended, set before its pending calls fail
        self.reader: asyncio.Task[None] | None = None


async def _close_socket(socket: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(), _CLOSE_WAIT)


class AsyncWsTransport(AsyncRpcClient):
    """Carries requests over one WebSocket, from any number of tasks."""

    _transport_kind = "ws"

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
        self._protocol = RpcProtocol()
        self._live = LiveRouter()
        self._replay = SessionReplay(
            self._reconnect is not None and self._reconnect.keep_credentials
        )
        self._scopes = ScopeTracker()
        self._connecting: asyncio.Lock | None = None
        self._ready = asyncio.Event()  # set unless reconnecting
        self._ready.set()
        self._link: _Link | None = None
        self._replay_link: _Link | None = None
        self._closed = False
        self._lost: SurrealConnectionError | None = None
        self._reconnecting = False
        self._attempts = 0
        self._reconnects = 0
        self._reconnector: asyncio.Task[None] | None = None
        self._abandoned: set[int] = set()  # ids of calls that timed out or were cancelled

    # ------------------------------------------------------------------ public state

    @property
    def is_closed(self) -> bool:
        """Whether the connection is closed, or lost for good (it will not reconnect)."""
        return self._closed or self._lost is not None

    @property
    def reconnects(self) -> int:
        """How many times the connection reconnected after its link dropped."""
        return self._reconnects

    async def connect(self) -> Self:
        """Open the WebSocket (if not open yet) and start its reader task."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._wait_for_link()
        except TimeoutError:
            raise SurrealConnectionError(
                f"no connection to {self.url} within {self._connect_timeout} s"
                f" ({self._attempts} failed attempts to reconnect so far; still trying)"
            ) from None
        return self

    # ------------------------------------------------------------------ calls

    async def _call(self, request: Request) -> Any:
        timeout = self._call_timeout.get()
        pending: dict[int, asyncio.Future[Any]] | None = None
        request_id = 0
        try:
            # One deadline for connecting, sending and waiting, so neither a link that is
            # down nor a server that stops reading can hold a caller past its timeout.
            async with asyncio.timeout(timeout) as deadline:
                link = self._link
                while True:
                    if link is None:
                        link = await self._wait_for_link()
                    if self._scopes.any_lost:
                        self._scopes.check(request, self.url)
                    wire = self._live.translate(request) if self._live.rebound else request
                    request_id, frame = self._protocol.encode_request(wire)
                    if len(frame) > ws_blocking.MAX_MESSAGE_SIZE:
                        raise payload_too_large(request.method, len(frame))
                    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                    pending = link.pending
                    pending[request_id] = future
                    if link.ended is None:
                        try:
                            await link.socket.send(frame)
                            break
                        except (ConnectionClosed, OSError) as exc:
                            reason = str(exc)
                    else:
                        reason = link.ended
                    # Not sent: safe to send on the next link, if there is to be one.
                    del pending[request_id]
                    pending = None
                    if self._reconnect is None or self._closed:
                        raise SurrealConnectionError(
                            f"{request.method}() was not sent: the connection to {self.url} was"
                            f" lost ({reason})"
                        )
                    await self._leave_link(link)
                    link = None
                del frame  # it holds the parameters, credentials included
                result = await future
        except TimeoutError:
            if not deadline.expired():
                raise
            if pending is None:
                raise SurrealConnectionError(
                    f"{request.method}() was not sent: no connection to {self.url} within"
                    f" {timeout} s ({self._attempts} failed attempts to reconnect so far)"
                ) from None
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {timeout} s;"
                " the connection is still usable"
            ) from None
        finally:
            if pending is not None and pending.pop(request_id, None) is not None:
                self._abandon(request_id)  # timed out or cancelled
        if request.method in STATE_METHODS:
            self._after_call(request, result)
        return result

    async def _leave_link(self, link: _Link) -> None:
        """A send failed on `link`: make sure it ends, and wait until the reader saw it."""
        link.socket.transport.abort()  # wake the reader now, not after the closing handshake
        while self._link is link:
            await asyncio.sleep(0.005)

    def _after_call(self, request: Request, result: Any) -> None:
        method = request.method
        if method in LIVE_EFFECT_METHODS:
            self._live.after_request(request, result)
        if method in REPLAYED_METHODS:
            self._replay.record(request, result)
        if method in SCOPE_METHODS:
            self._scopes.record(request, result)

    async def _wait_for_link(self) -> _Link:
        """The open link: connect first, or wait while reconnecting (the caller bounds it)."""
        while True:
            link = self._link
            if link is not None:
                return link
            if self._closed or self._lost is not None:
                raise self._connection_error()
            if self._reconnecting:
                await self._ready.wait()
                continue
            if self._connecting is None:
                self._connecting = asyncio.Lock()
            async with self._connecting:
                if self._link is not None or self._reconnecting:
                    continue
                if self._closed or self._lost is not None:
                    raise self._connection_error()
                link = await self._open_link()
                if self._closed:
                    await _close_socket(link.socket)
                    raise self._connection_error()
                self._link = link
                self._start_reader(link)
                return link

    def _connection_error(self) -> SurrealConnectionError:
        """A fresh error saying why the connection is unusable."""
        if self._closed:
            return SurrealConnectionError(f"the connection to {self.url} is closed")
        return SurrealConnectionError(str(self._lost))

    async def _open_link(self) -> _Link:
        # wss:// without ssl= gets websockets' default: verify against the system's CAs
        tls: dict[str, Any] = {} if self._ssl is None else {"ssl": self._ssl}
        try:
            socket = await connect(
                self._url.endpoint,
                subprotocols=[Subprotocol("cbor")],
                open_timeout=self._connect_timeout,
                ping_interval=self._keepalive_interval,
                ping_timeout=self._keepalive_interval,
                close_timeout=ws_blocking.CLOSE_TIMEOUT,
                max_size=ws_blocking.MAX_MESSAGE_SIZE,
                compression=None,
                logger=WEBSOCKETS_LOGGER,
                **tls,
            )
        except TimeoutError:
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self._connect_timeout} s"
                " (connect_timeout)"
            ) from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise connection_failed(self.url, exc) from None
        if socket.subprotocol != "cbor":
            await _close_socket(socket)
            raise SurrealConnectionError(
                f"{self.url} did not accept the CBOR subprotocol: is it a SurrealDB server?"
            )
        return _Link(socket)

    def _start_reader(self, link: _Link) -> None:
        link.reader = asyncio.create_task(self._read_frames(link))

    # ------------------------------------------------------------------ the reader

    async def _read_frames(self, link: _Link) -> None:
        """The reader task: route every frame of one link until it closes."""
        socket, pending, route = link.socket, link.pending, self._route
        reason = "the server closed the connection"
        failed = False
        try:
            async for frame in socket:
                if isinstance(frame, str):
                    logger.warning("dropped a text frame: this client speaks CBOR only")
                    continue
                try:
                    event = self._protocol.decode_frame(frame)
                except Exception as exc:  # decoding never raises; should it, drop the frame
                    logger.warning("dropped a frame that could not be decoded: %r", exc)
                    continue
                route(pending, event)
        except ConnectionClosed as exc:
            reason = f"the connection closed ({exc})"
        except asyncio.CancelledError:  # the event loop is shutting down: no reconnecting
            reason = "the connection was closed (its reader task was cancelled)"
            failed = True
            raise
        except Exception as exc:  # the reader must never die silently
            logger.exception("the WebSocket reader failed")
            reason = f"the reader failed: {exc!r}"
            failed = True
            # Nothing reads the socket any more: close it, so no caller can wait on it.
            await _close_socket(socket)
        finally:
            self._link_ended(link, reason, failed)

    def _route(self, pending: dict[int, asyncio.Future[Any]], event: Event) -> None:
        if type(event) is Reply:
            future = pending.pop(event.id, None)
            if future is not None:
                if not future.done():  # done: its caller was cancelled
                    future.set_result(event.result)
            else:
                self._drop_reply(event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            future = pending.pop(event.id, None)
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

    # ------------------------------------------------------------------ endings

    def _link_ended(self, link: _Link, reason: str, failed: bool) -> None:
        """A link's socket is gone: fail its pending calls; reconnect, or end everything."""
        link.ended = reason
        current = self._link is link
        if current:
            self._link = None
        closed = self._closed
        reconnect = (
            current
            and not failed  # a reader that crashed is a bug, not a dropped link
            and not closed
            and self._lost is None
            and self._reconnect is not None
        )
        if reconnect:
            self._reconnecting = True
            self._attempts = 0
            self._scopes.link_lost()
            self._ready.clear()
        elif current and not closed:
            self._lost = SurrealConnectionError(f"{reason}: {self.url}")
        if closed:
            reason = "the connection was closed"
        self._fail_pending(link, f"{reason} while the call waited for its reply: {self.url}")
        if reconnect:
            logger.warning("the connection to %s dropped (%s); reconnecting", self.url, reason)
            self._reconnector = asyncio.create_task(self._reconnect_loop())
        elif current:
            self._live.close()

    def _fail_pending(self, link: _Link, message: str) -> None:
        pending = link.pending
        while pending:
            _, future = pending.popitem()
            if not future.done():
                future.set_exception(SurrealConnectionError(message))

    async def close(self) -> None:
        """Close the WebSocket; pending calls fail, live subscriptions end. Idempotent."""
        self._closed = True
        self._reconnecting = False
        self._ready.set()
        link, self._link = self._link, None
        replay_link, self._replay_link = self._replay_link, None
        reconnector, self._reconnector = self._reconnector, None
        current = asyncio.current_task()
        if reconnector is not None and reconnector is not current:
            reconnector.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(reconnector, _CLOSE_WAIT)
        for open_link in (link, replay_link):
            if open_link is None:
                continue
            await _close_socket(open_link.socket)
            reader = open_link.reader
            if reader is not None and reader is not current:
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(reader, _CLOSE_WAIT)
            self._fail_pending(open_link, f"the connection was closed: {self.url}")
        self._live.close()

    # ------------------------------------------------------------------ reconnecting

    async def _reconnect_loop(self) -> None:
        """The reconnect task: new links with backoff until one is restored, or give up."""
        policy = self._reconnect
        assert policy is not None
        groups = self._live.restorable()
        attempt = 0
        while True:
            await asyncio.sleep(policy.delay(attempt))  # close() cancels this task
            if self._closed:
                return
            try:
                link = await self._open_link()
            except SurrealConnectionError as exc:
                error: SurrealError = exc
            else:
                if self._closed:
                    await _close_socket(link.socket)
                    return
                self._replay_link = link
                self._start_reader(link)
                try:
                    await self._restore(link, groups)
                except (SurrealConnectionError, SurrealTimeoutError) as exc:
                    error = exc
                except SurrealError as exc:
                    await _close_socket(link.socket)
                    self._give_up(
                        f"the connection to {self.url} dropped; a new one was opened, but"
                        f" restoring the session on it failed: {exc}"
                    )
                    return
                else:
                    if self._publish(link):
                        return
                    error = SurrealConnectionError("the new link dropped while it was restored")
                finally:
                    self._replay_link = None
                await _close_socket(link.socket)
            if self._closed:
                return
            attempt += 1
            self._attempts = attempt
            logger.debug("reconnecting to %s: attempt %d failed: %s", self.url, attempt, error)
            if policy.gives_up_after(attempt):
                self._give_up(
                    f"the connection to {self.url} dropped and {attempt} attempts to reconnect"
                    f" failed; the last one: {error}"
                )
                return

    def _publish(self, link: _Link) -> bool:
        """Let calls use a restored link; False when it dropped meanwhile."""
        if self._closed:
            return True
        if link.ended is not None:
            return False
        self._link = link
        self._reconnecting = False
        self._reconnects += 1
        self._ready.set()
        self._live.count_reconnect()
        logger.warning(
            "reconnected to %s (after %d failed attempts); the session was restored",
            self.url,
            self._attempts,
        )
        return True

    def _give_up(self, message: str) -> None:
        logger.error("%s", message)
        self._reconnecting = False
        if not self._closed:
            self._lost = SurrealConnectionError(message)
        self._ready.set()
        self._live.close()

    async def _restore(self, link: _Link, groups: list[tuple[Request, list[Any]]]) -> None:
        """Replay the session, then start the live queries again, on a new link."""
        replay = self._replay
        for request in replay.requests():
            if request.method == "authenticate":
                try:
                    await self._request_on(link, request)
                except ServerError:  # the token expired, or the server has new keys
                    fallback = replay.fallback_request()
                    if fallback is None:
                        raise
                    replay.signed_in_again(await self._request_on(link, fallback))
            elif request.method == "signin":
                replay.signed_in_again(await self._request_on(link, request))
            else:
                await self._request_on(link, request)
        router = self._live
        for request, originals in groups:
            if not any(router.wanted(original) for original in originals):
                continue
            try:
                result = await self._request_on(link, request)
            except ServerError as exc:
                for original in originals:
                    if original is not None:
                        router.lose(original, str(exc))
            else:
                # Notifications that came before this point wait under the new id; rebinding
                # moves them over, in order (one thread: nothing routes meanwhile).
                router.restored(request, originals, result)

    async def _request_on(self, link: _Link, request: Request) -> Any:
        """Send one request on a given link and wait for its reply (connect_timeout)."""
        request_id, frame = self._protocol.encode_request(request)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        link.pending[request_id] = future
        try:
            if link.ended is not None:
                raise SurrealConnectionError(f"the new link dropped ({link.ended})")
            try:
                await link.socket.send(frame)
            except (ConnectionClosed, OSError) as exc:
                raise SurrealConnectionError(f"the new link dropped ({exc})") from None
            del frame
            try:
                return await asyncio.wait_for(future, self._connect_timeout)
            except TimeoutError:
                raise SurrealTimeoutError(
                    f"{request.method}() got no reply within {self._connect_timeout} s"
                    " while the connection was restored"
                ) from None
        finally:
            if link.pending.pop(request_id, None) is not None:
                self._abandon(request_id)

    def _live_router(self) -> LiveRouter:
        """This connection's live notifications, for `subscribe_live`."""
        return self._live
