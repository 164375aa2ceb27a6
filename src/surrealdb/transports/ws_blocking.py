"""The blocking WebSocket transport: one socket, any number of caller threads, no hand-offs.

Reading the socket is a role that one thread holds at a time (leader/follower). A caller that
finds nobody reading takes the role, reads what came meanwhile (a link that ended between two
calls is seen before a call is sent into it), sends its frame and reads on: it routes every
frame that comes (other callers' replies to them, live notifications to the `LiveRouter`) until
its own reply is there, then passes the role to a caller still waiting, if any. A caller that
finds the role taken sends and sleeps until its reply is routed to it or the role is passed to
it. So a thread making calls one after another never waits for another thread. Each link's
background thread ("surrealdb-ws-reader") reads while no caller has read for a moment (live
notifications, the server closing), sends the keepalive pings, and releases the socket at the
end. The WebSocket itself is websockets' sans-I/O protocol on a plain socket
(`ws_link.WsLink`).

Each socket is a `_Link` with its own pending calls. When a link drops, its pending calls fail
with `SurrealConnectionError` (they were sent: they are never sent again), and, unless
`reconnect=False`, a reconnect thread opens a new link with backoff, replays the session
(`surrealdb.reconnect.SessionReplay`) and the live queries, then lets calls through again;
calls made meanwhile wait for it, within their timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Self

from websockets.exceptions import InvalidHandshake, InvalidProxy, InvalidURI

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
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    SERVER_MESSAGE_LIMIT,
    BlockingRpcClient,
    BlockingSocket,
    PayloadTooLargeError,
    SSLOption,
    connection_failed,
    logger,
)
from surrealdb.transports.ws_link import LinkClosed, WsLink

MAX_MESSAGE_SIZE = SERVER_MESSAGE_LIMIT
"""The largest frame sent or accepted, as the server's own limit."""

CLOSE_TIMEOUT = 1.0
"""Seconds to wait for the closing handshake before dropping the TCP connection."""

_IDLE_TURN = 0.02
"""Seconds without a caller reading after which the background thread reads instead.

Also how often it looks: a notification that arrives between two calls is read by the next
call, or by the background thread within about this long."""

_SEND_WHILE_READING = 64 * 1024
"""The largest frame a caller sends while it holds the read role; it lets the role go before
sending a larger one, so that other replies and notifications are read while that goes out."""

_IDLE_READ = 1.0
"""The longest the background thread waits on the socket at a time (it also wakes for pings)."""

_CLOSE_WAIT = 5.0
"""Seconds to wait, at most, for a reader to leave before the socket is released."""

_MAX_ABANDONED = 100_000
"""How many ids of timed-out calls are remembered, to log their late replies quietly."""

STATE_METHODS = LIVE_EFFECT_METHODS | REPLAYED_METHODS | SCOPE_METHODS
"""The methods whose success the transport notes (live queries, replayed state, scopes)."""


class _QuietFrames(logging.LoggerAdapter):  # type: ignore[type-arg]
    """websockets' logger without its debug output, which shows frames (and so credentials).

    Its error for a keepalive ping that timed out is left out too: that is how a dead link is
    noticed, and this client logs the reconnect itself.
    """

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if msg == "keepalive ping failed":
            return
        super().log(level, msg, *args, **kwargs)


WEBSOCKETS_LOGGER = _QuietFrames(logging.getLogger("websockets.client"), {})
"""The logger given to websockets: warnings and errors pass, frame dumps never."""


def payload_too_large(method: str, size: int) -> PayloadTooLargeError:
    """The error of a request whose frame is larger than the server accepts."""
    return PayloadTooLargeError(
        f"{method}() was not sent: its request is {size:,} bytes, more than the"
        f" {MAX_MESSAGE_SIZE:,} bytes a SurrealDB server accepts in one WebSocket message;"
        " split the data into smaller calls"
    )


class _Waiter:
    """One call waiting for its reply: the outcome, and the lock its thread sleeps on.

    A sleeping caller is woken either because its reply came (`done`) or to take the read
    role. `wake` is held whenever the caller is not sleeping; whoever wakes it (under the
    link's mutex) clears `sleeping` and releases `wake` once.
    """

    __slots__ = ("done", "error", "on_reply", "result", "sleeping", "wake")

    def __init__(self, on_reply: Callable[[Any], None] | None = None) -> None:
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.sleeping = False
        self.wake: threading.Lock | None = None  # made the first time the caller sleeps
        self.on_reply = on_reply  # called by the reader with the result, before anything else

    def wake_up(self) -> bool:
        """Wake the caller if it sleeps (hold the link's mutex); whether it slept."""
        if not self.sleeping:
            return False
        self.sleeping = False
        self.wake.release()  # type: ignore[union-attr]
        return True


class _Link:
    """One WebSocket, the calls waiting for a reply on it, and who reads it.

    `mutex` guards `reader` (the id of the thread holding the read role; only that thread
    sets it back to None), `sleepers` (callers waiting for
    their reply or for the role, oldest first; entries of callers that woke meanwhile are
    skipped) and the waiters' `done` and `sleeping`.
    """

    __slots__ = (
        "ended",
        "ended_latch",
        "leads",
        "mutex",
        "next_ping",
        "pending",
        "reader",
        "received",
        "received_before",
        "replies",
        "restored_at",
        "sleepers",
        "ws",
    )

    def __init__(self, ws: WsLink) -> None:
        self.ws = ws
        self.pending: dict[int, _Waiter] = {}
        self.ended: str | None = None  # why it ended, set before its pending calls fail
        # Held until the link ends. A plain lock rather than an Event: the background thread
        # waits on it 50 times a second, and an Event's wait costs twice as much CPU.
        self.ended_latch = threading.Lock()
        self.ended_latch.acquire()
        self.mutex = threading.Lock()
        self.reader: int | None = None
        self.sleepers: deque[_Waiter] = deque()
        self.leads = 0  # how many times a caller took the read role
        self.replies = 0  # how many replies were routed
        self.next_ping = 0.0
        self.received = 0  # messages received (replies, notifications)
        self.restored_at: float | None = None  # when a reconnect let calls through on it
        self.received_before = 0  # `received` then

    def wake_next_sleeper(self) -> None:
        """Wake the longest-sleeping caller, to take the read role (hold `mutex`)."""
        sleepers = self.sleepers
        while sleepers:
            if sleepers.popleft().wake_up():
                return

    def wait_ended(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the link to end; whether it has."""
        if self.ended_latch.acquire(True, timeout):
            self.ended_latch.release()  # for every other waiter
            return True
        return False


class BlockingWsTransport(BlockingRpcClient):
    """Carries requests over one WebSocket, from any number of threads."""

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
        self._state_lock = threading.Lock()
        self._ready = threading.Condition(self._state_lock)
        self._link: _Link | None = None
        self._replay_link: _Link | None = None
        self._closed = False
        self._lost: SurrealConnectionError | None = None
        self._reconnecting = False
        self._attempts = 0  # failed reconnect attempts in the current outage
        self._last_failure = ""  # why the last one failed
        self._reconnects = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._abandoned: set[int] = set()  # ids of calls that timed out or were cancelled
        self._socket = BlockingSocket(self)

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
    def socket(self) -> BlockingSocket | None:
        """The official SDK's `db.socket`: a handle whose `close()` closes this connection
        (see `BlockingSocket`); None before the connection is opened and after it is closed."""
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

    def connect(self, url: str | None = None) -> Self:
        """Open the WebSocket (if not open yet) and start its background thread.

        `url`, as the official SDK takes it, must be the connection's own URL.
        """
        if url is not None:
            self._check_connect_url(url)
        timeout = self._connect_timeout
        self._wait_for_link("connect", timeout, time.monotonic() + timeout)
        return self

    # ------------------------------------------------------------------ calls

    def _call(self, request: Request) -> Any:
        timeout = self._call_timeout.get()
        deadline: float | None = None  # set once the call has to wait for a link
        link = self._link
        while True:
            if link is None:
                if deadline is None and timeout is not None:
                    deadline = time.monotonic() + timeout
                link = self._wait_for_link(request.method, timeout, deadline)
            if self._scopes.any_lost:
                self._scopes.check(request, self.url)
            wire = self._live.translate(request) if self._live.rebound else request
            request_id, frame = self._protocol.encode_request(wire)
            if len(frame) > MAX_MESSAGE_SIZE:
                raise payload_too_large(request.method, len(frame))
            waiter = _Waiter()
            pending = link.pending
            pending[request_id] = waiter
            try:
                reason = self._send(link, frame)
            except BaseException:
                self._let_go(link)
                raise
            if reason is None:
                break
            self._let_go(link)
            # Not sent (a frame cut short never runs on the server): safe to send on the next
            # link, if there is to be one.
            pending.pop(request_id, None)
            if self._reconnect is None or self._closed:
                raise SurrealConnectionError(
                    f"{request.method}() was not sent: the connection to {self.url} was lost"
                    f" ({reason})"
                )
            if deadline is None and timeout is not None:
                deadline = time.monotonic() + timeout
            self._leave_link(link, request.method, timeout, deadline)
            link = None
        del frame  # it holds the parameters, credentials included: not kept in tracebacks
        if deadline is None and timeout is not None:
            deadline = time.monotonic() + timeout
        try:
            answered = self._await(link, waiter, deadline)
        except BaseException:  # interrupted (KeyboardInterrupt): its reply may still come
            self._let_go(link)
            if pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise
        if not answered:
            if pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {timeout} s;"
                " the connection is still usable"
            )
        error = waiter.error
        if error is not None:
            raise error
        result = waiter.result
        if request.method in STATE_METHODS:
            self._after_call(request, result)
        return result

    def _after_call(self, request: Request, result: Any) -> None:
        method = request.method
        if method in LIVE_EFFECT_METHODS:
            self._live.after_request(request, result)
        if method in REPLAYED_METHODS:
            self._replay.record(request, result)
        if method in SCOPE_METHODS:
            self._scopes.record(request, result)

    def _wait_for_link(
        self, method: str, timeout: float | None, deadline: float | None = None
    ) -> _Link:
        """The open link: connect first, or wait while reconnecting (until `deadline`)."""
        with self._ready:
            while True:
                link = self._link
                if link is not None:
                    return link
                if self._closed or self._lost is not None:
                    raise self._connection_error()
                if not self._reconnecting:
                    link = self._open_link()  # the first connection; under the lock: once
                    self._link = link
                    return link
                self._ready.wait(self._remaining(method, timeout, deadline))

    def _leave_link(
        self, link: _Link, method: str, timeout: float | None, deadline: float | None
    ) -> None:
        """A send failed on `link`: make sure it ends, and wait until it has."""
        link.ws.shutdown()  # the reader sees the end now, not after the closing handshake
        while not self._read_until_ended(link, deadline):
            self._remaining(method, timeout, deadline)  # raises: the deadline passed

    def _remaining(
        self, method: str, timeout: float | None, deadline: float | None
    ) -> float | None:
        """Seconds left before `deadline`; raises once it has passed."""
        if deadline is None:
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SurrealConnectionError(
                f"{method}() was not sent: the connection to {self.url} dropped and did not come"
                f" back within {timeout} s ({self._attempts} failed attempts to reconnect so"
                " far; still trying)"
            )
        return remaining

    def _connection_error(self) -> SurrealConnectionError:
        """A fresh error (never one shared by threads) saying why the connection is unusable."""
        if self._closed:
            return SurrealConnectionError(f"the connection to {self.url} is closed")
        return SurrealConnectionError(str(self._lost))

    def _open_link(self) -> _Link:
        """Connect and start the new link's background thread."""
        try:
            ws = WsLink.open(
                self._url.endpoint,
                ssl=self._ssl,
                timeout=self._connect_timeout,
                max_size=MAX_MESSAGE_SIZE,
                close_timeout=CLOSE_TIMEOUT,
                logger=WEBSOCKETS_LOGGER,
            )
        except TimeoutError:
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self._connect_timeout} s"
                " (connect_timeout)"
            ) from None
        except (OSError, InvalidHandshake, InvalidProxy, InvalidURI) as exc:
            raise connection_failed(self.url, exc) from None
        if ws.subprotocol != "cbor":
            ws.close()
            raise SurrealConnectionError(
                f"{self.url} did not accept the CBOR subprotocol: is it a SurrealDB server?"
            )
        link = _Link(ws)
        if self._keepalive_interval is not None:
            link.next_ping = time.monotonic() + self._keepalive_interval
        self._start_thread(self._background, link, "surrealdb-ws-reader")
        return link

    def _start_thread(self, target: Callable[..., None], link: _Link | None, name: str) -> None:
        args = () if link is None else (link,)
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    # ------------------------------------------------------------------ waiting and reading

    def _await(self, link: _Link, waiter: _Waiter, deadline: float | None) -> bool:
        """Wait for the waiter's reply, reading the socket whenever nobody else does.

        True once the reply (or an error) is there; False when `deadline` passed first.
        """
        me = threading.get_ident()
        mutex = link.mutex
        while True:
            if link.reader != me:  # (it is when `_send` kept the role)
                with mutex:
                    if waiter.done:
                        return True
                    if link.reader is None:
                        link.reader = me
                        link.leads += 1
                    else:  # someone else reads: sleep until they route the reply or hand over
                        if waiter.wake is None:
                            waiter.wake = threading.Lock()
                            waiter.wake.acquire()
                        wake = waiter.wake
                        waiter.sleeping = True
                        link.sleepers.append(waiter)
            if link.reader == me:
                try:
                    self._read_until(link, waiter, deadline)
                finally:
                    self._hand_over(link)
                if waiter.done:
                    return True
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                continue
            woken = False
            try:
                if deadline is None:
                    woken = wake.acquire()
                else:
                    left = deadline - time.monotonic()
                    woken = left > 0 and wake.acquire(True, left)
            finally:
                if not woken:  # timed out, or interrupted
                    self._stop_sleeping(link, waiter)
            if not woken and not waiter.done:
                return False

    def _send(self, link: _Link, frame: bytes) -> str | None:
        """Send a call's frame; None once sent, else why it was not.

        When nobody reads, this thread takes the read role first (and keeps it, to read its
        reply) and reads what came meanwhile: a link that ended between two calls is seen
        before a call is sent into it. The caller lets the role go if the frame was not sent.
        """
        me = threading.get_ident()
        with link.mutex:
            leading = link.reader is None
            if leading:
                link.reader = me
                link.leads += 1
        if leading:
            self._read(link, 0.0)
            if len(frame) > _SEND_WHILE_READING:
                self._hand_over(link)
        if link.ended is not None:
            return link.ended
        try:
            link.ws.send(frame)
        except OSError as exc:  # LinkClosed included
            return str(exc)
        return None

    def _let_go(self, link: _Link) -> None:
        """Hand the read role over if this thread holds it (after a failure or interrupt)."""
        if link.reader == threading.get_ident():
            self._hand_over(link)

    def _read_until(self, link: _Link, waiter: _Waiter, deadline: float | None) -> None:
        """Holding the read role: read and route until the waiter is answered, the link
        ends, or `deadline` passes."""
        read = self._read
        if deadline is None:
            while not waiter.done and link.ended is None:
                read(link, None)
            return
        monotonic = time.monotonic
        while not waiter.done and link.ended is None:
            left = deadline - monotonic()
            if left <= 0:
                return
            read(link, left)

    @staticmethod
    def _hand_over(link: _Link) -> None:
        """Give up the read role, and wake the longest-sleeping caller to take it."""
        with link.mutex:
            link.reader = None
            link.wake_next_sleeper()

    @staticmethod
    def _stop_sleeping(link: _Link, waiter: _Waiter) -> None:
        """A caller stops sleeping on its own (timeout, interrupt): take back a wake-up that
        raced with it, and pass the read role on if nobody holds it."""
        with link.mutex:
            if waiter.sleeping:
                waiter.sleeping = False
            else:  # woken just now: the lock was released; hold it again
                waiter.wake.acquire()  # type: ignore[union-attr]
            if link.reader is None:
                link.wake_next_sleeper()

    @staticmethod
    def _take_role(link: _Link) -> bool:
        """Take the read role if nobody holds it (for a reader that is not a caller)."""
        with link.mutex:
            if link.reader is not None:
                return False
            link.reader = threading.get_ident()
            return True

    def _read_until_ended(self, link: _Link, deadline: float | None) -> bool:
        """Read (or let the reading thread read) until the link has ended; False if
        `deadline` passed first."""
        while link.ended is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if self._take_role(link):
                try:
                    self._read(link, left)
                finally:
                    self._hand_over(link)
            else:
                link.wait_ended(_IDLE_TURN if left is None else min(left, _IDLE_TURN))
        return True

    def _read(self, link: _Link, timeout: float | None) -> None:
        """Holding the read role: read once (waiting up to `timeout`) and route what came.

        Ends the link when the socket ends, or when reading fails unexpectedly (a bug: the
        connection is then lost rather than left with nobody able to read it).
        """
        try:
            try:
                messages = link.ws.receive(timeout)
            except LinkClosed as exc:
                self._end_link(link, f"the connection closed ({exc})")
                return
            if messages:
                link.received += len(messages)
            for message in messages:
                if type(message) is str:
                    logger.warning("dropped a text frame: this client speaks CBOR only")
                    continue
                try:
                    event = self._protocol.decode_frame(message)  # type: ignore[arg-type]
                except Exception as exc:  # decoding never raises; should it, drop the frame
                    logger.warning("dropped a frame that could not be decoded: %r", exc)
                    continue
                self._route(link, event)
        except Exception as exc:
            logger.exception("the WebSocket reader failed")
            self._end_link(link, f"the reader failed: {exc!r}", failed=True)

    def _route(self, link: _Link, event: Event) -> None:
        if type(event) is Reply:
            waiter = link.pending.pop(event.id, None)
            if waiter is not None:
                self._resolve(link, waiter, event.result, None)
            else:
                self._drop_reply(event.id)
        elif isinstance(event, Notification):
            self._live.deliver(event.notification)
        elif isinstance(event, ErrorReply):
            waiter = link.pending.pop(event.id, None)
            if waiter is not None:
                self._resolve(link, waiter, None, event.error)
            else:
                self._drop_reply(event.id, event.error)
        else:
            assert isinstance(event, UnroutableFrame)
            if type(event) is UnreadableRequest:
                # One copy of the ids in flight: other callers add theirs meanwhile.
                self._route(link, event.resolved(list(link.pending)))
                return
            logger.warning("dropped a frame: %s", event.reason)

    @staticmethod
    def _resolve(link: _Link, waiter: _Waiter, result: Any, error: BaseException | None) -> None:
        """Give a waiter its outcome and wake it if it sleeps."""
        link.replies += 1
        if error is None and waiter.on_reply is not None:
            waiter.on_reply(result)
        with link.mutex:
            waiter.result = result
            waiter.error = error
            waiter.done = True
            waiter.wake_up()

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

    # ------------------------------------------------------------------ the background thread

    def _background(self, link: _Link) -> None:
        """A link's background thread: reads while no caller has read for `_IDLE_TURN` (or
        when data waits with nobody reading), sends keepalive pings, and releases the socket
        once the link has ended."""
        try:
            seen = -1
            while not link.wait_ended(_IDLE_TURN):
                self._keepalive(link)
                with link.mutex:
                    if link.reader is not None:
                        continue
                    quiet = link.leads == seen
                    seen = link.leads
                if not quiet and not link.ws.readable_now():
                    continue  # callers read: leave the socket to them
                if not self._take_role(link):
                    continue
                try:
                    self._read_while_idle(link)
                finally:
                    self._hand_over(link)
        except Exception as exc:  # the thread must never die silently
            logger.exception("the WebSocket background thread failed")
            self._end_link(link, f"the reader failed: {exc!r}", failed=True)
        finally:
            self._release_socket(link)

    def _read_while_idle(self, link: _Link) -> None:
        """Holding the read role for the background thread: read until a reply is routed
        (callers are back: they read their own from the next call on) or the link ends."""
        replies = link.replies
        while link.ended is None and link.replies == replies:
            self._read(link, self._keepalive(link))

    def _keepalive(self, link: _Link) -> float:
        """Send a ping when one is due; end the link when a ping got no pong in time.

        Returns how long the background thread may wait before the next look.
        """
        interval = self._keepalive_interval
        if interval is None or link.ended is not None:
            return _IDLE_READ
        ws = link.ws
        now = time.monotonic()
        sent = ws.ping_sent_at
        if sent is not None:
            if now - sent >= interval:
                self._end_link(link, f"no pong came within {interval} s of a keepalive ping")
                return 0.0
            return min(sent + interval - now, _IDLE_READ)
        if now >= link.next_ping:
            if not ws.ping():  # a message is being sent: try again soon
                return _IDLE_TURN
            link.next_ping = now + interval
            return min(interval, _IDLE_READ)
        return min(link.next_ping - now, _IDLE_READ)

    def _release_socket(self, link: _Link) -> None:
        """The link has ended: once no thread reads it, close its socket."""
        link.ws.shutdown()
        deadline = time.monotonic() + _CLOSE_WAIT
        while not self._take_role(link) and time.monotonic() < deadline:  # kept for good
            time.sleep(0.005)
        link.ws.close()

    # ------------------------------------------------------------------ endings

    def _end_link(self, link: _Link, reason: str, failed: bool = False) -> None:
        """A link ended (the first call wins): fail its pending calls; reconnect, or end
        everything."""
        with self._ready:
            if link.ended is not None:
                return
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
                self._count_outage(link, reason)
                self._scopes.link_lost()
            elif current and not closed:
                self._lost = SurrealConnectionError(f"{reason}: {self.url}")
            self._ready.notify_all()
        link.ws.shutdown()  # whoever waits on the socket wakes up
        link.ended_latch.release()
        if closed:
            reason = "the connection was closed"
        self._fail_pending(link, f"{reason} while the call waited for its reply: {self.url}")
        if reconnect:
            logger.warning("the connection to %s dropped (%s); reconnecting", self.url, reason)
            self._start_thread(self._reconnect_loop, None, "surrealdb-ws-reconnect")
        elif current:
            self._live.close()

    def _count_outage(self, link: _Link, reason: str) -> None:
        """A new outage starts, unless the link that dropped was restored and never worked:
        then this is one more failed attempt of the outage before it (hold `_state_lock`)."""
        restored_at = link.restored_at
        if restored_at is not None and restored_link_failed(
            link.received - link.received_before, time.monotonic() - restored_at
        ):
            self._attempts += 1
            self._last_failure = f"the new link dropped right after it was restored ({reason})"
        else:
            self._attempts = 0

    def _fail_pending(self, link: _Link, message: str) -> None:
        pending = link.pending
        while pending:
            try:
                _, waiter = pending.popitem()
            except KeyError:  # a timed-out caller took the last one meanwhile
                break
            self._resolve(link, waiter, None, SurrealConnectionError(message))

    def _close_link(self, link: _Link) -> None:
        """End a link with the closing handshake, within `CLOSE_TIMEOUT`."""
        if link.ended is None:
            link.ws.start_close()
            self._read_until_ended(link, time.monotonic() + CLOSE_TIMEOUT)
        self._end_link(link, "the connection was closed")

    def close(self) -> None:
        """Close the WebSocket; pending calls fail, live subscriptions end. Idempotent."""
        with self._ready:
            self._closed = True
            self._reconnecting = False
            link, self._link = self._link, None
            replay_link = self._replay_link
            self._ready.notify_all()
        self._stop.set()
        for open_link in (link, replay_link):
            if open_link is not None:
                self._close_link(open_link)
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(timeout=5)
        self._live.close()

    # ------------------------------------------------------------------ reconnecting

    def _reconnect_loop(self) -> None:
        """The reconnect thread: new links with backoff until one is restored, or give up."""
        policy = self._reconnect
        assert policy is not None
        groups = self._live.restorable()
        with self._ready:
            attempt = self._attempts  # not 0 when a restored link dropped at once
            error: SurrealError | str = self._last_failure
        while True:
            if attempt and policy.gives_up_after(attempt):
                self._give_up(
                    f"the connection to {self.url} dropped and {attempt} attempts to reconnect"
                    f" failed; the last one: {error}"
                )
                return
            if self._stop.wait(policy.delay(attempt)):
                return  # closed
            try:
                link = self._open_link()
            except SurrealConnectionError as exc:
                error = exc
            else:
                with self._ready:
                    if self._closed:
                        self._end_link(link, "the connection was closed")
                        return
                    self._replay_link = link
                try:
                    self._restore(link, groups)
                except (SurrealConnectionError, SurrealTimeoutError) as exc:
                    error = exc
                except SurrealError as exc:
                    self._close_link(link)
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
                    with self._ready:
                        self._replay_link = None
                self._close_link(link)
            if self._stop.is_set():
                return
            attempt += 1
            self._attempts = attempt
            logger.debug("reconnecting to %s: attempt %d failed: %s", self.url, attempt, error)

    def _publish(self, link: _Link) -> bool:
        """Let calls use a restored link; False when it dropped meanwhile."""
        with self._ready:
            if self._closed:
                return True  # close() closes the replay link
            if link.ended is not None:
                return False
            link.restored_at = time.monotonic()
            link.received_before = link.received
            self._link = link
            self._reconnecting = False
            self._reconnects += 1
            self._ready.notify_all()
        self._live.count_reconnect()
        logger.warning(
            "reconnected to %s (after %d failed attempts); the session was restored",
            self.url,
            self._attempts,
        )
        return True

    def _give_up(self, message: str) -> None:
        logger.error("%s", message)
        with self._ready:
            self._reconnecting = False
            if not self._closed:
                self._lost = SurrealConnectionError(message)
            self._ready.notify_all()
        self._live.close()

    def _restore(self, link: _Link, groups: list[tuple[Request, list[Any]]]) -> None:
        """Replay the session, then start the live queries again, on a new link."""
        replay = self._replay
        for request in replay.requests():
            if request.method == "authenticate":
                try:
                    self._request_on(link, request)
                except ServerError:  # the token expired, or the server has new keys
                    fallback = replay.fallback_request()
                    if fallback is None:
                        raise
                    replay.signed_in_again(self._request_on(link, fallback))
            elif request.method == "signin":
                replay.signed_in_again(self._request_on(link, request))
            else:
                self._request_on(link, request)
        router = self._live
        for request, originals in groups:
            if not any(router.wanted(original) for original in originals):
                continue

            def rebind(
                result: Any, request: Request = request, originals: list[Any] = originals
            ) -> None:
                # Runs in the reading thread as the reply arrives, before any notification
                # of the restarted live query is routed.
                router.restored(request, originals, result)

            try:
                self._request_on(link, request, rebind)
            except ServerError as exc:
                for original in originals:
                    if original is not None:
                        router.lose(original, str(exc))

    def _request_on(
        self, link: _Link, request: Request, on_reply: Callable[[Any], None] | None = None
    ) -> Any:
        """Send one request on a given link and wait for its reply (connect_timeout)."""
        request_id, frame = self._protocol.encode_request(request)
        waiter = _Waiter(on_reply)
        link.pending[request_id] = waiter
        if link.ended is not None:
            link.pending.pop(request_id, None)
            raise SurrealConnectionError(f"the new link dropped ({link.ended})")
        try:
            link.ws.send(frame)
        except OSError as exc:  # LinkClosed included
            link.pending.pop(request_id, None)
            raise SurrealConnectionError(f"the new link dropped ({exc})") from None
        del frame
        if not self._await(link, waiter, time.monotonic() + self._connect_timeout):
            if link.pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {self._connect_timeout} s"
                " while the connection was restored"
            )
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _live_router(self) -> LiveRouter:
        """This connection's live notifications, for `subscribe_live`."""
        return self._live
