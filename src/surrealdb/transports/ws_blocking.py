"""The blocking WebSocket transport: one socket, one reader thread, any number of caller threads.

Callers send their frame and wait on a future; the reader thread decodes every frame and
resolves the future whose request id it answers, or queues a live notification.

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
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from socket import SHUT_RDWR
from typing import Any, Self

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect
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
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    BlockingRpcClient,
    PayloadTooLargeError,
    SSLOption,
    connection_failed,
    logger,
)

MAX_MESSAGE_SIZE = 128 * 1024 * 1024
"""The largest frame sent or accepted, as the server's own limit."""

CLOSE_TIMEOUT = 1.0
"""Seconds to wait for the closing handshake before dropping the TCP connection."""

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


class _Link:
    """One WebSocket and the calls waiting for a reply on it."""

    __slots__ = ("ended", "pending", "socket")

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.pending: dict[int, Future[Any]] = {}
        self.ended: str | None = None  # why it ended, set before its pending calls fail


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
        self._reconnects = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
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

    def connect(self) -> Self:
        """Open the WebSocket (if not open yet) and start its reader thread."""
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
            future: Future[Any] = Future()
            pending = link.pending
            pending[request_id] = future
            # Checked after registering: the reader sets `ended` before it fails the pending
            # calls, so a call that registers too late for that sees it here.
            if link.ended is None:
                try:
                    link.socket.send(frame)
                    break
                except (ConnectionClosed, OSError) as exc:
                    reason = str(exc)
            else:
                reason = link.ended
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
        remaining = timeout if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            result = future.result(remaining)
        except FutureTimeout:
            if pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {timeout} s;"
                " the connection is still usable"
            ) from None
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
                    self._start_reader(link)
                    return link
                self._ready.wait(self._remaining(method, timeout, deadline))

    def _leave_link(
        self, link: _Link, method: str, timeout: float | None, deadline: float | None
    ) -> None:
        """A send failed on `link`: make sure it ends, and wait until the reader saw it."""
        with suppress(OSError):  # wake the reader now, not after the closing handshake
            link.socket.socket.shutdown(SHUT_RDWR)
        with self._ready:
            while self._link is link:
                self._ready.wait(self._remaining(method, timeout, deadline))

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
        try:
            socket = connect(
                self._url.endpoint,
                subprotocols=[Subprotocol("cbor")],
                open_timeout=self._connect_timeout,
                ping_interval=self._keepalive_interval,
                ping_timeout=self._keepalive_interval,
                close_timeout=CLOSE_TIMEOUT,
                max_size=MAX_MESSAGE_SIZE,
                compression=None,
                ssl=self._ssl,
                logger=WEBSOCKETS_LOGGER,
                legacy=True,  # a plain connection that we close ourselves, not a context
            )
        except TimeoutError:
            raise SurrealConnectionError(
                f"cannot connect to {self.url}: no connection within {self._connect_timeout} s"
                " (connect_timeout)"
            ) from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise connection_failed(self.url, exc) from None
        if socket.subprotocol != "cbor":
            socket.close()
            raise SurrealConnectionError(
                f"{self.url} did not accept the CBOR subprotocol: is it a SurrealDB server?"
            )
        return _Link(socket)

    def _start_reader(self, link: _Link) -> None:
        self._start_thread(self._read_frames, link, "surrealdb-ws-reader")

    def _start_thread(self, target: Callable[..., None], link: _Link | None, name: str) -> None:
        args = () if link is None else (link,)
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    # ------------------------------------------------------------------ the reader

    def _read_frames(self, link: _Link) -> None:
        """The reader thread: route every frame of one link until it closes."""
        socket, pending, route = link.socket, link.pending, self._route
        reason = "the server closed the connection"
        failed = False
        try:
            for frame in socket:
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
        except Exception as exc:  # the reader must never die silently
            logger.exception("the WebSocket reader failed")
            reason = f"the reader failed: {exc!r}"
            failed = True
            with suppress(Exception):  # nothing reads the socket any more: close it
                socket.close()
        finally:
            self._link_ended(link, reason, failed)

    def _route(self, pending: dict[int, Future[Any]], event: Event) -> None:
        if type(event) is Reply:
            future = pending.pop(event.id, None)
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
            future = pending.pop(event.id, None)
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

    # ------------------------------------------------------------------ endings

    def _link_ended(self, link: _Link, reason: str, failed: bool) -> None:
        """A link's socket is gone: fail its pending calls; reconnect, or end everything."""
        with self._ready:
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
            elif current and not closed:
                self._lost = SurrealConnectionError(f"{reason}: {self.url}")
            self._ready.notify_all()
        if closed:
            reason = "the connection was closed"
        self._fail_pending(link, f"{reason} while the call waited for its reply: {self.url}")
        if reconnect:
            logger.warning("the connection to %s dropped (%s); reconnecting", self.url, reason)
            self._start_thread(self._reconnect_loop, None, "surrealdb-ws-reconnect")
        elif current:
            self._live.close()

    def _fail_pending(self, link: _Link, message: str) -> None:
        pending = link.pending
        while pending:
            try:
                _, future = pending.popitem()
            except KeyError:  # a timed-out caller took the last one meanwhile
                break
            with suppress(InvalidStateError):  # the reader answered it meanwhile
                future.set_exception(SurrealConnectionError(message))

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
                open_link.socket.close()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(timeout=5)
        for open_link in (link, replay_link):  # in case a reader is stuck
            if open_link is not None:
                self._fail_pending(open_link, f"the connection was closed: {self.url}")
        self._live.close()

    # ------------------------------------------------------------------ reconnecting

    def _reconnect_loop(self) -> None:
        """The reconnect thread: new links with backoff until one is restored, or give up."""
        policy = self._reconnect
        assert policy is not None
        groups = self._live.restorable()
        attempt = 0
        while True:
            if self._stop.wait(policy.delay(attempt)):
                return  # closed
            try:
                link = self._open_link()
            except SurrealConnectionError as exc:
                error: SurrealError = exc
            else:
                with self._ready:
                    if self._closed:
                        link.socket.close()
                        return
                    self._replay_link = link
                self._start_reader(link)
                try:
                    self._restore(link, groups)
                except (SurrealConnectionError, SurrealTimeoutError) as exc:
                    error = exc
                except SurrealError as exc:
                    link.socket.close()
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
                link.socket.close()
            if self._stop.is_set():
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
        with self._ready:
            if self._closed:
                return True  # close() closes the replay link
            if link.ended is not None:
                return False
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
                future: Future[Any], request: Request = request, originals: list[Any] = originals
            ) -> None:
                # Runs in the reader thread as the reply arrives, before any notification
                # of the restarted live query is routed.
                if not future.cancelled() and future.exception() is None:
                    router.restored(request, originals, future.result())

            try:
                self._request_on(link, request, rebind)
            except ServerError as exc:
                for original in originals:
                    if original is not None:
                        router.lose(original, str(exc))

    def _request_on(
        self, link: _Link, request: Request, on_reply: Callable[[Future[Any]], None] | None = None
    ) -> Any:
        """Send one request on a given link and wait for its reply (connect_timeout)."""
        request_id, frame = self._protocol.encode_request(request)
        future: Future[Any] = Future()
        if on_reply is not None:
            future.add_done_callback(on_reply)
        link.pending[request_id] = future
        if link.ended is not None:
            link.pending.pop(request_id, None)
            raise SurrealConnectionError(f"the new link dropped ({link.ended})")
        try:
            link.socket.send(frame)
        except (ConnectionClosed, OSError) as exc:
            link.pending.pop(request_id, None)
            raise SurrealConnectionError(f"the new link dropped ({exc})") from None
        del frame
        try:
            return future.result(self._connect_timeout)
        except FutureTimeout:
            if link.pending.pop(request_id, None) is not None:
                self._abandon(request_id)
            raise SurrealTimeoutError(
                f"{request.method}() got no reply within {self._connect_timeout} s"
                " while the connection was restored"
            ) from None

    def _live_router(self) -> LiveRouter:
        """This connection's live notifications, for `subscribe_live`."""
        return self._live
