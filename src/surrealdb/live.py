"""Buffers of live-query notifications, one per live query, kept until a subscriber reads them.

Notifications that arrive before anyone subscribes are kept, up to `LIVE_BUFFER_SIZE` per live
query; past that the oldest are dropped and counted in `dropped` (and a warning is logged when
the first one goes), so a slow consumer can tell: `LiveSubscription.dropped`.

A live query ends with its `KILLED` notification, a successful `kill`, a `reset` or `detach` of
the session that started it, or the connection closing; its subscription then stops iterating
once it has yielded what was queued before the end.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Self, overload
from uuid import UUID

import msgspec
from typing_extensions import TypeVar

from surrealdb import _into
from surrealdb.api_types import LiveNotification
from surrealdb.errors import UnsupportedFeatureError

R = TypeVar("R", default=Any)
"""The model a subscription converts records into (Any without `into=`)."""

LIVE_BUFFER_SIZE = 10_000
"""How many unread notifications are kept per live query; past it the oldest are dropped."""

_logger = logging.getLogger("surrealdb")


class _Ended:
    """Marks the end of a live query's notifications."""

    def __repr__(self) -> str:
        return "ENDED"


ENDED = _Ended()


class LiveBuffer:
    """The pending notifications of one live query (thread-safe).

    The end marker is queued once, after every notification delivered before it; anything
    delivered after the end is dropped (nobody would read it).
    """

    def __init__(self, limit: int | None = None, live_id: UUID | None = None) -> None:
        self._items: deque[LiveNotification | _Ended] = deque()
        self._limit = LIVE_BUFFER_SIZE if limit is None else limit
        self._live_id = live_id
        self._condition = threading.Condition()
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.dropped = 0
        """Notifications dropped, oldest first, because the buffer was full."""
        self.ended = False
        """Whether the end marker was queued."""

    def put(self, item: LiveNotification | _Ended) -> None:
        """Add a notification (or the end marker) and wake the subscriber."""
        first_drop = False
        with self._condition:
            if self.ended:
                return
            if item is ENDED:
                self.ended = True
                self._condition.notify_all()  # every subscriber sees the end
            else:
                if len(self._items) >= self._limit:
                    self._items.popleft()
                    self.dropped += 1
                    first_drop = self.dropped == 1
                self._condition.notify()
            self._items.append(item)
            waiters = self._async_waiters
            if waiters:
                self._async_waiters = []
        if waiters:
            _wake(waiters)
        if first_drop:
            _logger.warning(
                "live query %s: its subscriber fell %d notifications behind; the oldest are"
                " being dropped (LiveSubscription.dropped counts them)",
                self._live_id,
                self._limit,
            )

    def get(
        self, timeout: float | None = None, *, keep_end: bool = False
    ) -> LiveNotification | _Ended | None:
        """The next item, waiting for it (blocking); None if `timeout` passed first.

        With `keep_end` the end marker stays queued, so every later `get` returns it too.
        """
        with self._condition:
            if not self._items and not self._condition.wait_for(self._has_items, timeout):
                return None
            if keep_end and self._items[0] is ENDED:
                return ENDED
            return self._items.popleft()

    def _has_items(self) -> bool:
        return bool(self._items)

    async def get_async(self, *, keep_end: bool = False) -> LiveNotification | _Ended:
        """The next item, waiting for it without blocking the event loop (see `get`)."""
        while True:
            with self._condition:
                if self._items:
                    if keep_end and self._items[0] is ENDED:
                        return ENDED
                    return self._items.popleft()
                loop = asyncio.get_running_loop()
                waiter = loop.create_future()
                self._async_waiters.append((loop, waiter))
            await waiter

    def __len__(self) -> int:
        """How many items are queued (notifications and the end marker)."""
        return len(self._items)


def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for loop, waiter in waiters:
        if loop is running:
            _set_done(waiter)  # the asyncio transport's reader: no cross-thread hop needed
        elif not loop.is_closed():
            loop.call_soon_threadsafe(_set_done, waiter)


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


LIVE_EFFECT_METHODS = frozenset({"live", "kill", "query", "reset", "detach"})
"""The RPC methods whose success starts or ends live queries (see `LiveRouter.after_call`)."""


class LiveRouter:
    """Routes notifications to the buffer of their live query; ends them all on close.

    It also remembers which session started each live query it saw start (`live`, or a
    `LIVE SELECT` in `query`), so that `reset` and `detach` end the right subscriptions: the
    server stops those live queries without sending `KILLED`.
    """

    def __init__(self) -> None:
        self._buffers: dict[UUID, LiveBuffer] = {}
        self._sessions: dict[UUID, UUID | None] = {}
        self._finished: set[UUID] = set()
        self._lock = threading.Lock()
        self._closed = False

    def buffer(self, live_id: UUID) -> LiveBuffer:
        """The buffer of a live query, made on first use (before or after its notifications)."""
        buffer = self._buffers.get(live_id)
        if buffer is not None:
            return buffer
        with self._lock:
            buffer = self._buffers.get(live_id)
            if buffer is not None:
                return buffer
            buffer = LiveBuffer(live_id=live_id)
            if self._closed or live_id in self._finished:
                buffer.put(ENDED)  # a fresh, ended buffer that nothing else will fill
            else:
                self._buffers[live_id] = buffer
            return buffer

    def deliver(self, notification: LiveNotification) -> None:
        """Queue a notification; a KILLED one ends its live query."""
        buffer = self.buffer(notification.live_id)
        if notification.action == "KILLED":
            with self._lock:
                self._sessions.pop(notification.live_id, None)
            buffer.put(ENDED)
        else:
            buffer.put(notification)

    def end(self, live_id: UUID) -> None:
        """End one live query (after `kill`)."""
        with self._lock:
            self._sessions.pop(live_id, None)
        self.buffer(live_id).put(ENDED)

    def finished(self, live_id: UUID) -> None:
        """The subscriber read the end: free the buffer (a later subscription ends at once)."""
        with self._lock:
            self._finished.add(live_id)
            self._buffers.pop(live_id, None)
            self._sessions.pop(live_id, None)

    def started(self, live_id: UUID, session: UUID | None) -> None:
        """A live query started in `session` (None: the connection's default session)."""
        with self._lock:
            if not self._closed:
                self._sessions[live_id] = session

    def end_session(self, session: UUID | None) -> None:
        """End the live queries started in `session` (after its `reset` or `detach`).

        For the default session (None) this includes live queries whose start this router
        did not see (a subscription to an id it was never told about).
        """
        with self._lock:
            ended = [live_id for live_id, owner in self._sessions.items() if owner == session]
            if session is None:
                ended.extend(live_id for live_id in self._buffers if live_id not in self._sessions)
            for live_id in ended:
                self._sessions.pop(live_id, None)
            buffers = [self._buffers[live_id] for live_id in ended if live_id in self._buffers]
            self._finished.update(live_id for live_id in ended if live_id not in self._buffers)
        for buffer in buffers:
            buffer.put(ENDED)

    def after_call(self, method: str, session: UUID | None, params: list[Any], result: Any) -> None:
        """Track what a successful call did to live queries; only for `LIVE_EFFECT_METHODS`."""
        if method == "live":
            if isinstance(result, UUID):
                self.started(result, session)
        elif method == "query":
            if isinstance(result, list):
                for statement in result:
                    if (
                        isinstance(statement, Mapping)
                        and statement.get("type") == "live"
                        and isinstance(statement.get("result"), UUID)
                    ):
                        self.started(statement["result"], session)
        elif method == "kill":
            if params and isinstance(params[0], UUID):
                self.end(params[0])
        else:  # reset, detach
            self.end_session(session)

    def close(self) -> None:
        """End every live query: the connection is gone."""
        with self._lock:
            self._closed = True
            buffers = list(self._buffers.values())
            self._sessions.clear()
        for buffer in buffers:
            buffer.put(ENDED)


class LiveSubscription(Iterator[LiveNotification[R]]):
    """The notifications of one live query, for a `for` loop (blocking connections).

    Iteration blocks until the next notification arrives and stops when the live query ends
    (`KILLED`, `kill`, `reset`, or the connection closing), after yielding every notification
    received before the end. Notifications that arrived before the subscription are included.

    Attributes:
        live_id: the live query's id.
    """

    __slots__ = ("_buffer", "_done", "_into", "_router", "live_id")

    def __init__(self, router: LiveRouter, live_id: UUID, into: type[R] | None = None) -> None:
        self.live_id = live_id
        self._router = router
        self._buffer = router.buffer(live_id)
        self._done = False
        self._into = into

    @property
    def dropped(self) -> int:
        """How many notifications were dropped because this consumer fell more than
        `LIVE_BUFFER_SIZE` behind (the oldest go first); 0 when nothing was lost."""
        return self._buffer.dropped

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> LiveNotification[R]:
        if self._done:
            raise StopIteration
        item = self._buffer.get(keep_end=True)
        if isinstance(item, LiveNotification):
            return _converted(item, self._into)
        self._done = True
        self._router.finished(self.live_id)
        raise StopIteration

    def __repr__(self) -> str:
        return f"<LiveSubscription live_id={self.live_id} dropped={self.dropped}>"


class AsyncLiveSubscription(AsyncIterator[LiveNotification[R]]):
    """The notifications of one live query, for an `async for` loop (asyncio connections).

    Behaves like `LiveSubscription`; waiting never blocks the event loop.

    Attributes:
        live_id: the live query's id.
    """

    __slots__ = ("_buffer", "_done", "_into", "_router", "live_id")

    def __init__(self, router: LiveRouter, live_id: UUID, into: type[R] | None = None) -> None:
        self.live_id = live_id
        self._router = router
        self._buffer = router.buffer(live_id)
        self._done = False
        self._into = into

    @property
    def dropped(self) -> int:
        """How many notifications were dropped because this consumer fell more than
        `LIVE_BUFFER_SIZE` behind (the oldest go first); 0 when nothing was lost."""
        return self._buffer.dropped

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> LiveNotification[R]:
        if self._done:
            raise StopAsyncIteration
        item = await self._buffer.get_async(keep_end=True)
        if isinstance(item, LiveNotification):
            return _converted(item, self._into)
        self._done = True
        self._router.finished(self.live_id)
        raise StopAsyncIteration

    def __repr__(self) -> str:
        return f"<AsyncLiveSubscription live_id={self.live_id} dropped={self.dropped}>"


def _converted(notification: LiveNotification[Any], into: type[R] | None) -> LiveNotification[R]:
    """The notification with its record converted into the subscriber's model, if it has one."""
    if into is None:
        return notification
    return msgspec.structs.replace(notification, result=_into.records(notification.result, into))


class BlockingLiveQueries:
    """`subscribe_live` for blocking connections and sessions; WebSocket only."""

    def _live_router(self) -> LiveRouter:
        """The router of this connection's notifications (WebSocket transports have one)."""
        raise UnsupportedFeatureError(
            "live queries are not available here: use a ws:// or wss:// URL"
        )

    @overload
    def subscribe_live(self, live_id: UUID, *, into: None = None) -> LiveSubscription[Any]: ...

    @overload
    def subscribe_live(self, live_id: UUID, *, into: type[R]) -> LiveSubscription[R]: ...

    def subscribe_live(
        self, live_id: UUID, *, into: type[R] | None = None
    ) -> LiveSubscription[Any]:
        """The notifications of a live query, until it is killed or the connection closes.

        Iterate with `for`. `into=Model` converts each notification's record into the model.
        The subscription's `dropped` counts notifications lost because this consumer fell more
        than `LIVE_BUFFER_SIZE` behind (the oldest are dropped first).
        """
        return LiveSubscription(self._live_router(), live_id, into)


class AsyncLiveQueries:
    """`subscribe_live` for asyncio connections and sessions; WebSocket only."""

    def _live_router(self) -> LiveRouter:
        """The router of this connection's notifications (WebSocket transports have one)."""
        raise UnsupportedFeatureError(
            "live queries are not available here: use a ws:// or wss:// URL"
        )

    @overload
    def subscribe_live(self, live_id: UUID, *, into: None = None) -> AsyncLiveSubscription[Any]: ...

    @overload
    def subscribe_live(self, live_id: UUID, *, into: type[R]) -> AsyncLiveSubscription[R]: ...

    def subscribe_live(
        self, live_id: UUID, *, into: type[R] | None = None
    ) -> AsyncLiveSubscription[Any]:
        """The notifications of a live query, until it is killed or the connection closes.

        Iterate with `async for`. `into=Model` converts each notification's record into the
        model. The subscription's `dropped` counts notifications lost because this consumer
        fell more than `LIVE_BUFFER_SIZE` behind (the oldest are dropped first).
        """
        return AsyncLiveSubscription(self._live_router(), live_id, into)
