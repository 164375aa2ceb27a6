"""The asyncio WebSocket transport: one socket, any number of caller tasks, no reader task.

Each socket is a `_Link`: an `asyncio.Protocol` that drives websockets' sans-I/O
`ClientProtocol`, which does all of the WebSocket protocol (the handshake, framing and masking,
pings, the closing handshake, failing malformed streams). The event loop hands the link the
bytes as they arrive (`data_received`); it routes each message the protocol parses from them
there, resolving the future of the call it answers or queueing the live notification it
carries, so a reply reaches its caller without a reader task or a queue in between. A call's
message is written at once; calls made while others wait are written together at the end of
the loop turn, in one write. Deadlines cost one timer per link, not one per call: each link
keeps its pending calls' deadlines and one timer for the earliest.

Works like the blocking transport (see `ws_blocking`) otherwise: when a link drops its pending
calls fail, and unless `reconnect=False` a reconnect task opens a new link with backoff, replays
the session and the live queries, then lets calls through again (calls made meanwhile wait for
it, within their timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import ssl as ssl_module
from typing import Any, Self

from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

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
    UnreadableRequest,
    UnroutableFrame,
)
from surrealdb.reconnect import (
    REPLAYED_METHODS,
    SCOPE_METHODS,
    ReconnectPolicy,
    ScopeTracker,
    SessionReplay,
    restored_link_failed,
)
from surrealdb.transports import ws_blocking
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    AsyncRpcClient,
    AsyncSocket,
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
from surrealdb.transports.ws_link import MessageAssembler

_CLOSE_WAIT = 5.0
"""Seconds to wait for the reconnect task to stop when closing, at most."""

_PONG = Opcode.PONG
_OPEN = State.OPEN


class _DeadlinePassed(Exception):
    """Set on a pending call's future when its deadline passes (the caller raises the error)."""


class _Link(asyncio.Protocol):
    """One WebSocket: websockets' sans-I/O protocol on an asyncio transport.

    `pending` maps the request id of each call waiting for its reply to its future and its
    deadline (`loop.time()` seconds; `math.inf` for none). The link ends once, with the reason
    in `ended`: the transport (`owner`) is told then, and fails the calls still pending.
    """

    def __init__(self, owner: AsyncWsTransport, ws: ClientProtocol) -> None:
        self.owner = owner
        self.ws = ws
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.pending: dict[int, tuple[asyncio.Future[Any], float]] = {}
        self.ended: str | None = None  # why it ended, set before its pending calls fail
        self.paused = False  # the socket's write buffer is full (asyncio flow control)
        self.opened: asyncio.Future[None] = self.loop.create_future()  # the opening handshake
        self.lost: asyncio.Future[None] = self.loop.create_future()  # the socket is closed
        self._drained: asyncio.Future[None] | None = None
        self._assembler = MessageAssembler()
        self._timer: asyncio.TimerHandle | None = None  # for the earliest deadline
        self._timer_at = math.inf
        self._keepalive: asyncio.TimerHandle | None = None
        self._ping: bytes | None = None  # the payload of the ping waiting for its pong
        self._close_timer: asyncio.TimerHandle | None = None
        self._outgoing: list[bytes] = []  # messages to send at the end of this loop turn
        self.received = 0  # messages received (replies, notifications)
        self.restored_at: float | None = None  # when a reconnect let calls through on it
        self.received_before = 0  # `received` then

    # ------------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        self._process()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._process()
        self.end(self._closed_reason())
        return None  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.ws.receive_eof()  # idempotent: settles the protocol's state
        reason = self._closed_reason(exc)
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(reason))
        self.end(reason)
        if self._close_timer is not None:
            self._close_timer.cancel()
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake_writers()

    # ------------------------------------------------------------------ receiving

    def _reader_failed(self, exc: Exception) -> None:
        logger.exception("the WebSocket reader failed")
        self.end(f"the reader failed: {exc!r}", failed=True)
        self.abort()

    def _process(self) -> None:
        """Act on what the protocol made of the bytes received: frames, and state changes."""
        ws = self.ws
        events = ws.events_received()
        if events and self.ended is None:
            try:
                for event in events:
                    if type(event) is Frame:
                        self._frame(event)
                    elif ws.handshake_exc is None and not self.opened.done():
                        self.opened.set_result(None)  # the handshake's response: accepted
            except Exception as exc:  # routing never raises; should it (a bug), say so loudly
                self._reader_failed(exc)
                return
        if ws.state is not _OPEN:
            self._not_open()
        self._flush()  # pongs, and the closing handshake

    def _frame(self, frame: Frame) -> None:
        """One frame received: the message it completes is routed to its caller."""
        if frame.opcode is _PONG:
            if frame.data == self._ping:
                self._ping = None
            return
        # Pings are answered by the protocol; a close frame shows in its state.
        message = self._assembler.message(frame)
        if isinstance(message, str):
            logger.warning("dropped a text frame: this client speaks CBOR only")
        elif message is not None:
            self.received += 1
            self.owner._receive(self.pending, message)

    def _not_open(self) -> None:
        """The protocol left the OPEN state: the handshake failed, or the link is closing."""
        ws = self.ws
        if ws.state is State.CONNECTING:
            if ws.handshake_exc is not None and not self.opened.done():
                self.opened.set_exception(ws.handshake_exc)
                self.abort()
            return
        self.end(self._closed_reason())
        # A client waits for the server to close the TCP connection, for a while.
        if self._close_timer is None and self.transport is not None:
            self._close_timer = self.loop.call_later(ws_blocking.CLOSE_TIMEOUT, self.abort)

    def _closed_reason(self, exc: Exception | None = None) -> str:
        ws = self.ws
        if exc is not None and ws.close_rcvd is None and ws.close_sent is None:
            return f"the connection was lost ({exc})"
        closed = ConnectionClosed(ws.close_rcvd, ws.close_sent, ws.close_rcvd_then_sent)
        return f"the connection closed ({closed})"

    # ------------------------------------------------------------------ sending

    def send(
        self, request_id: int, future: asyncio.Future[Any], deadline: float, message: bytes
    ) -> bool:
        """Register a call and send its message; False (nothing sent) if the link ended.

        A call made while others wait for their replies is sent with the other messages of
        this turn of the event loop, in one write: 1,000 gathered calls cost a few system calls
        instead of 1,000, here and on the server.
        """
        if self.ended is not None:
            return False
        assert self.transport is not None
        if self.transport.is_closing() or self.ws.state is not _OPEN:  # closing under us
            self.end("the connection is closing")
            return False
        pending = self.pending
        pending[request_id] = (future, deadline)
        outgoing = self._outgoing
        outgoing.append(message)
        if len(outgoing) == 1:
            if len(pending) == 1:  # the only call in flight: write it now
                self._flush()
            else:
                self.loop.call_soon(self._flush)
        if deadline < self._timer_at:
            self._set_timer(deadline)
        return True

    def _flush(self) -> None:
        """Send the messages of the calls made this loop turn, and write them in one write
        with whatever else the protocol has to send (pongs, the closing handshake)."""
        transport, ws, outgoing = self.transport, self.ws, self._outgoing
        if transport is None or transport.is_closing():
            outgoing.clear()
            return
        if outgoing:
            if ws.state is _OPEN:  # else the link is ending, and fails their calls
                for message in outgoing:
                    ws.send_binary(message)
            outgoing.clear()
        chunks = ws.data_to_send()
        if chunks:
            transport.write(b"".join(chunks))
            if not chunks[-1]:  # the end of the stream: the closing handshake is over
                transport.close()

    async def drained(self) -> None:
        """Wait until the socket takes writes again (or the link ends)."""
        while self.paused and self.ended is None:
            if self._drained is None:
                self._drained = self.loop.create_future()
            await asyncio.shield(self._drained)

    def _wake_writers(self) -> None:
        if self._drained is not None:
            if not self._drained.done():
                self._drained.set_result(None)
            self._drained = None

    # ------------------------------------------------------------------ deadlines

    def _set_timer(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.loop.call_at(when, self._expire)

    def _expire(self) -> None:
        """The earliest deadline came: fail the calls that ran out; wait for the next one."""
        self._timer, self._timer_at = None, math.inf
        now = self.loop.time()
        expired = [rid for rid, (_, deadline) in self.pending.items() if deadline <= now]
        for request_id in expired:
            future, _ = self.pending.pop(request_id)
            self.owner._abandon(request_id)
            if not future.done():
                future.set_exception(_DeadlinePassed())
        earliest = min((deadline for _, deadline in self.pending.values()), default=math.inf)
        if earliest < math.inf:
            self._set_timer(earliest)

    # ------------------------------------------------------------------ keepalive

    def start_keepalive(self, interval: float | None) -> None:
        """Ping every `interval` seconds; a pong must come before the next ping is due."""
        if interval is not None:
            self._keepalive = self.loop.call_later(interval, self._keep_alive, interval)

    def _keep_alive(self, interval: float) -> None:
        if self.ended is not None:
            return
        if self._ping is not None:
            self.end(f"the keepalive ping got no pong within {interval} s: the link is dead")
            self.ws.fail(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
            self._flush()
            self.abort()
            return
        self._ping = os.urandom(4)
        self.ws.send_ping(self._ping)
        self._flush()
        self._keepalive = self.loop.call_later(interval, self._keep_alive, interval)

    # ------------------------------------------------------------------ ending

    def end(self, reason: str, failed: bool = False) -> None:
        """The link is over (once): stop its timers and let the transport fail its calls."""
        if self.ended is not None:
            return
        for timer in (self._timer, self._keepalive):
            if timer is not None:
                timer.cancel()
        self._timer_at = math.inf
        self._outgoing.clear()  # their calls fail now: they must not run after all
        self.owner._link_ended(self, reason, failed)
        self._wake_writers()

    def abort(self) -> None:
        """Drop the TCP connection now, without waiting for anything."""
        if self.transport is not None:
            self.transport.abort()

    def forsake(self, reason: str) -> None:
        """End the link without its event loop, which is closed (or is not the one running):
        nothing is scheduled on that loop and no future of it is touched (nobody can await
        them any more); the socket is shut down, so the server sees the end at once. The
        socket itself is released when the transport is collected."""
        if self.ended is None:
            self.ended = reason
        for timer in (self._timer, self._keepalive, self._close_timer):
            if timer is not None:
                timer.cancel()
        self.pending.clear()
        self._outgoing.clear()
        if self.transport is not None:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    async def close(self) -> None:
        """The closing handshake: a close frame, then the server closes the TCP connection
        (or, after `CLOSE_TIMEOUT`, this side drops it)."""
        if self.transport is None:
            return
        if self.ws.state is _OPEN:
            self._flush()  # the calls made this loop turn go before the close frame
            self.ws.send_close(CloseCode.NORMAL_CLOSURE)
            self._flush()
        if not self.lost.done():
            await asyncio.wait({self.lost}, timeout=ws_blocking.CLOSE_TIMEOUT)
        if not self.lost.done():  # the server did not close it: drop it, then see it closed
            self.abort()
            await asyncio.wait({self.lost}, timeout=ws_blocking.CLOSE_TIMEOUT)


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
        self._attempts = 0  # failed reconnect attempts in the current outage
        self._last_failure = ""  # why the last one failed
        self._reconnects = 0
        self._reconnector: asyncio.Task[None] | None = None
        self._abandoned: set[int] = set()  # ids of calls that timed out or were cancelled
        self._socket = AsyncSocket(self)
        self._loop: asyncio.AbstractEventLoop | None = None  # where its links and tasks live

    # ------------------------------------------------------------------ public state

    @property
    def is_closed(self) -> bool:
        """Whether the connection is closed, or lost for good (it will not reconnect)."""
        return self._closed or self._lost is not None

    @property
    def reconnects(self) -> int:
        """How many times the connection reconnected after its link dropped."""
        return self._reconnects

    @property
    def socket(self) -> AsyncSocket | None:
        """The official SDK's `db.socket`: a handle whose `close()` closes this connection
        (see `AsyncSocket`); None before the connection is opened and after it is closed."""
        if self._closed or (self._link is None and not self._reconnecting and self._lost is None):
            return None
        return self._socket

    def _endpoint_names(self) -> tuple[str | None, str | None]:
        """The namespace and database the connection's own session uses (after `use`)."""
        return self._replay.namespace, self._replay.database

    @property
    def token(self) -> str | None:
        """The access token the connection's own session is signed in with (None: signed
        out); read-only, never in the repr. After a reconnect, the token it signed in with."""
        return self._replay.token

    async def connect(self, url: str | None = None) -> Self:
        """Open the WebSocket, if it is not open yet.

        `url`, as the official SDK takes it, must be the connection's own URL.
        """
        if url is not None:
            self._check_connect_url(url)
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
        loop = asyncio.get_running_loop()
        # One deadline for connecting, sending and waiting, so neither a link that is down
        # nor a server that stops reading can hold a caller past its timeout.
        deadline = math.inf if timeout is None else loop.time() + timeout
        link = self._link
        while True:
            if link is None or link.paused or link.loop is not loop:
                link = await self._link_to_send_on(link, request, timeout, deadline)
            if self._scopes.any_lost:
                self._scopes.check(request, self.url)
            wire = self._live.translate(request) if self._live.rebound else request
            request_id, frame = self._protocol.encode_request(wire)
            if len(frame) > ws_blocking.MAX_MESSAGE_SIZE:
                raise payload_too_large(request.method, len(frame))
            future: asyncio.Future[Any] = loop.create_future()
            if link.send(request_id, future, deadline, frame):
                break
            # Not sent: safe to send on the next link, if there is to be one.
            if self._reconnect is None or self._closed:
                raise SurrealConnectionError(
                    f"{request.method}() was not sent: the connection to {self.url} was"
                    f" lost ({link.ended})"
                )
            link = None
        del frame  # it holds the parameters, credentials included
        try:
            result = await future
        except _DeadlinePassed:
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {timeout} s;"
                " the connection is still usable"
            ) from None
        except asyncio.CancelledError:
            if link.pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise
        if request.method in STATE_METHODS:
            self._after_call(request, result)
        return result

    async def _link_to_send_on(
        self, link: _Link | None, request: Request, timeout: float | None, deadline: float
    ) -> _Link:
        """A link that takes writes: connect, or wait for the reconnect, or for a full write
        buffer to drain, within the call's deadline (the call was not sent if it runs out)."""
        if self._loop is not asyncio.get_running_loop():
            self._own_loop()
            link = self._link
        try:
            async with asyncio.timeout_at(None if deadline == math.inf else deadline) as limit:
                if link is not None:
                    await link.drained()
                    if link.ended is None:
                        return link
                return await self._wait_for_link()
        except TimeoutError:
            if not limit.expired():
                raise
            if link is not None and link.ended is None:
                raise SurrealTimeoutError(
                    f"{request.method}() was not sent within {timeout} s: the server does not"
                    " read what this connection sends"
                ) from None
            raise SurrealConnectionError(
                f"{request.method}() was not sent: no connection to {self.url} within"
                f" {timeout} s ({self._attempts} failed attempts to reconnect so far)"
            ) from None

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
        if self._loop is not asyncio.get_running_loop():
            self._own_loop()
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
                    await link.close()
                    raise self._connection_error()
                self._link = link
                return link

    def _own_loop(self) -> None:
        """Make the running event loop this connection's own, or raise why it cannot be.

        A connection's links and tasks live in one event loop. Used in another one (a second
        `asyncio.run()`), it moves there when its old loop is closed: the old link is given up
        as if it had dropped, and the reconnect restores the session on a new link in this
        loop (calls that were in flight died with their loop; none is sent again). When the
        old loop is still open, its link cannot be taken from it: SurrealConnectionError.
        """
        loop, old = asyncio.get_running_loop(), self._loop
        if old is None or self._closed or self._lost is not None:
            self._loop = loop  # nothing lives in a loop yet, or nothing will again
            return
        link, replay_link = self._link, self._replay_link
        connecting = self._connecting is not None and self._connecting.locked()
        in_use = self._reconnecting or connecting or link is not None or replay_link is not None
        if in_use and not old.is_closed():
            raise SurrealConnectionError(
                f"the connection to {self.url} belongs to another event loop, which is still"
                " open: an AsyncSurreal connection works only in the event loop it was first"
                " used in; open a new connection in this loop (and close this one in its own)"
            )
        self._loop = loop
        self._link = self._replay_link = None
        self._reconnector = None  # it ended with its loop
        self._connecting = None  # bound to the old loop
        self._ready = asyncio.Event()
        reason = "the event loop of the connection was closed"
        for old_link in (link, replay_link):
            if old_link is not None:
                old_link.forsake(reason)
        if not in_use:  # it was not connected: the next call connects in this loop
            self._ready.set()
            return
        if self._reconnect is None:
            self._reconnecting = False
            self._ready.set()
            self._lost = SurrealConnectionError(
                f"the event loop the connection to {self.url} was used in is closed, and the"
                " connection does not reconnect (reconnect=False): open a new connection in"
                " this loop"
            )
            self._live.close()
            return
        logger.warning(
            "the event loop of the connection to %s was closed; reconnecting in this one",
            self.url,
        )
        self._reconnecting = True
        self._attempts = 0
        self._scopes.link_lost()
        self._reconnector = asyncio.create_task(self._reconnect_loop())

    def _connection_error(self) -> SurrealConnectionError:
        """A fresh error saying why the connection is unusable."""
        if self._closed:
            return SurrealConnectionError(f"the connection to {self.url} is closed")
        return SurrealConnectionError(str(self._lost))

    async def _open_link(self) -> _Link:
        """Connect (TCP, TLS for wss://, the WebSocket handshake) within connect_timeout."""
        loop = asyncio.get_running_loop()
        try:
            uri = parse_uri(self._url.endpoint)
        except InvalidURI as exc:
            raise connection_failed(self.url, exc) from None
        ws = ClientProtocol(
            uri,
            subprotocols=[Subprotocol("cbor")],
            max_size=ws_blocking.MAX_MESSAGE_SIZE,
            logger=WEBSOCKETS_LOGGER,
        )
        link = _Link(self, ws)
        tls: ssl_module.SSLContext | None = None
        if uri.secure:  # without ssl=: verify against the system's CAs
            tls = self._ssl if self._ssl is not None else ssl_module.create_default_context()
        try:
            async with asyncio.timeout(self._connect_timeout):
                await loop.create_connection(
                    lambda: link,
                    uri.host,
                    uri.port,
                    ssl=tls,
                    server_hostname=uri.host if tls is not None else None,
                )
                await link.opened
        except TimeoutError:
            link.abort()
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self._connect_timeout} s"
                " (connect_timeout)"
            ) from None
        except (OSError, InvalidHandshake) as exc:
            link.abort()
            raise connection_failed(self.url, exc) from None
        except BaseException:
            link.abort()
            raise
        if link.ended is not None:
            # It ended in the bytes that came with the handshake's response (a close frame,
            # a frame too large): never hand out a link that is over, whose calls would only
            # come back unsent, at once, again and again.
            link.abort()
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: the server ended the connection right after"
                f" the opening handshake ({link.ended})"
            )
        if ws.subprotocol != "cbor":
            await link.close()
            raise SurrealConnectionError(
                f"{self.url} did not accept the CBOR subprotocol: is it a SurrealDB server?"
            )
        link.start_keepalive(self._keepalive_interval)
        return link

    # ------------------------------------------------------------------ received frames

    def _receive(self, pending: dict[int, tuple[asyncio.Future[Any], float]], data: bytes) -> None:
        """Route one message of a link: a reply to its caller, a notification to its buffer."""
        try:
            event = self._protocol.decode_frame(data)
        except Exception as exc:  # decoding never raises; should it, drop the frame
            logger.warning("dropped a frame that could not be decoded: %r", exc)
            return
        self._route(pending, event)

    def _route(self, pending: dict[int, tuple[asyncio.Future[Any], float]], event: Event) -> None:
        if type(event) is Reply:
            entry = pending.pop(event.id, None)
            if entry is not None:
                future = entry[0]
                if not future.done():  # done: its caller was cancelled
                    future.set_result(event.result)
            else:
                self._drop_reply(event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            entry = pending.pop(event.id, None)
            if entry is not None:
                future = entry[0]
                if not future.done():
                    future.set_exception(event.error)
            else:
                self._drop_reply(event.id, event.error)
        else:
            assert isinstance(event, UnroutableFrame)
            if type(event) is UnreadableRequest:
                self._route(pending, event.resolved(pending))
                return
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
        """A link is over: fail its pending calls; reconnect, or end everything."""
        link.ended = reason
        current = self._link is link
        if current:
            self._link = None
        closed = self._closed
        reconnect = (
            current
            and not failed  # a reader that failed is a bug, not a dropped link
            and not closed
            and self._lost is None
            and self._reconnect is not None
        )
        if reconnect:
            self._reconnecting = True
            self._count_outage(link, reason)
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

    def _count_outage(self, link: _Link, reason: str) -> None:
        """A new outage starts, unless the link that dropped was restored and never worked:
        then this is one more failed attempt of the outage before it."""
        restored_at = link.restored_at
        if restored_at is not None and restored_link_failed(
            link.received - link.received_before, link.loop.time() - restored_at
        ):
            self._attempts += 1
            self._last_failure = f"the new link dropped right after it was restored ({reason})"
        else:
            self._attempts = 0

    def _fail_pending(self, link: _Link, message: str) -> None:
        pending = link.pending
        while pending:
            _, (future, _) = pending.popitem()
            if not future.done():
                future.set_exception(SurrealConnectionError(message))

    async def close(self) -> None:
        """Close the WebSocket; pending calls fail, live subscriptions end. Idempotent."""
        self._closed = True
        self._reconnecting = False
        link, self._link = self._link, None
        replay_link, self._replay_link = self._replay_link, None
        reconnector, self._reconnector = self._reconnector, None
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            # Closed in another event loop than its own: nothing of the old loop is awaited.
            for open_link in (link, replay_link):
                if open_link is not None:
                    open_link.forsake("the connection was closed")
            self._live.close()
            return
        self._ready.set()
        current = asyncio.current_task()
        if reconnector is not None and reconnector is not current:
            reconnector.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(reconnector, _CLOSE_WAIT)
        for open_link in (link, replay_link):
            if open_link is not None:
                open_link.end("the connection was closed")  # its pending calls fail now
                await open_link.close()
        self._live.close()

    # ------------------------------------------------------------------ reconnecting

    async def _reconnect_loop(self) -> None:
        """The reconnect task: new links with backoff until one is restored, or give up."""
        policy = self._reconnect
        assert policy is not None
        groups = self._live.restorable()
        attempt = self._attempts  # not 0 when a restored link dropped at once
        error: SurrealError | str = self._last_failure
        while True:
            if attempt and policy.gives_up_after(attempt):
                self._give_up(
                    f"the connection to {self.url} dropped and {attempt} attempts to reconnect"
                    f" failed; the last one: {error}"
                )
                return
            await asyncio.sleep(policy.delay(attempt))  # close() cancels this task
            if self._closed:
                return
            try:
                link = await self._open_link()
            except SurrealConnectionError as exc:
                error = exc
            else:
                if self._closed:
                    await link.close()
                    return
                self._replay_link = link
                try:
                    await self._restore(link, groups)
                except (SurrealConnectionError, SurrealTimeoutError) as exc:
                    error = exc
                except SurrealError as exc:
                    await link.close()
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
                await link.close()
            if self._closed:
                return
            attempt += 1
            self._attempts = attempt
            logger.debug("reconnecting to %s: attempt %d failed: %s", self.url, attempt, error)

    def _publish(self, link: _Link) -> bool:
        """Let calls use a restored link; False when it dropped meanwhile."""
        if self._closed:
            return True
        if link.ended is not None:
            return False
        link.restored_at = link.loop.time()
        link.received_before = link.received
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
        deadline = link.loop.time() + self._connect_timeout
        if not link.send(request_id, future, deadline, frame):
            raise SurrealConnectionError(f"the new link dropped ({link.ended})")
        del frame
        try:
            return await future
        except _DeadlinePassed:
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
