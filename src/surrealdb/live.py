"""Buffers of live-query notifications, one per live query, kept until a subscriber reads them.

Notifications that arrive before anyone subscribes are kept, up to `LIVE_BUFFER_SIZE` per live
query; past that the oldest are dropped and counted in `dropped` (and a warning is logged when
the first one goes), so a slow consumer can tell: `LiveSubscription.dropped`.

A live query ends with its `KILLED` notification, a successful `kill`, a `reset` or `detach` of
the session that started it, or the connection closing; its subscription then stops iterating
once it has yielded what was queued before the end.

When a WebSocket connection reconnects, the router gives the transport the live queries it can
start again (those of the connection's own session, started by `live` or by a query made only
of `LIVE SELECT` statements) and ends the others; each restarted live query gets a new id on
the server, which the router maps back to the original one, so a subscription keeps
receiving (with the original `live_id`) and its `reconnects` count goes up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from typing import Any, Self, overload
from uuid import UUID

import msgspec
from typing_extensions import TypeVar

from surrealdb import _into, _params
from surrealdb.api_types import LiveNotification
from surrealdb.errors import UnsupportedFeatureError
from surrealdb.protocol import Request

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
        self.reconnects = 0
        """How many times the live query was started again after the connection reconnected."""

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

    def take_all(self) -> list[LiveNotification]:
        """Remove and return the queued notifications (not the end marker)."""
        with self._condition:
            taken = [item for item in self._items if isinstance(item, LiveNotification)]
            self._items.clear()
        return taken


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
    server stops those live queries without sending `KILLED`. For the connection's own
    session it keeps the request that started each one, to start it again after a reconnect
    (`restorable`, then `rebind` with the new id).
    """

    def __init__(self) -> None:
        self._buffers: dict[UUID, LiveBuffer] = {}
        self._sessions: dict[UUID, UUID | None] = {}
        self._finished: set[UUID] = set()
        self._definitions: dict[UUID, tuple[Request, int]] = {}
        self._aliases: dict[UUID, UUID] = {}  # the server's current id -> the original id
        self._current: dict[UUID, UUID] = {}  # the original id -> the server's current id
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
        if self._aliases:  # restarted after a reconnect: back to the id the caller knows
            original = self._aliases.get(notification.live_id)
            if original is not None:
                notification = msgspec.structs.replace(notification, live_id=original)
        buffer = self.buffer(notification.live_id)
        if notification.action == "KILLED":
            with self._lock:
                self._forget(notification.live_id)
            buffer.put(ENDED)
        else:
            buffer.put(notification)

    def end(self, live_id: UUID) -> None:
        """End one live query (after `kill`)."""
        with self._lock:
            self._forget(live_id)
        self.buffer(live_id).put(ENDED)

    def finished(self, live_id: UUID) -> None:
        """The subscriber read the end: free the buffer (a later subscription ends at once)."""
        with self._lock:
            self._finished.add(live_id)
            self._buffers.pop(live_id, None)
            self._forget(live_id)

    def _forget(self, live_id: UUID) -> None:
        """Drop what is tracked about a live query that ended (hold the lock)."""
        self._sessions.pop(live_id, None)
        self._definitions.pop(live_id, None)
        current = self._current.pop(live_id, None)
        if current is not None:
            self._aliases.pop(current, None)

    def started(
        self, live_id: UUID, session: UUID | None, request: Request | None = None, index: int = 0
    ) -> None:
        """A live query started in `session` (None: the connection's default session).

        `request` (with the statement's `index` in it) is what started it, kept to start it
        again after a reconnect; None when it cannot be re-run safely.
        """
        with self._lock:
            if not self._closed:
                self._sessions[live_id] = session
                if request is not None and session is None and request.txn is None:
                    self._definitions[live_id] = (request, index)

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
                self._forget(live_id)
            buffers = [self._buffers[live_id] for live_id in ended if live_id in self._buffers]
            self._finished.update(live_id for live_id in ended if live_id not in self._buffers)
        for buffer in buffers:
            buffer.put(ENDED)

    def after_call(self, method: str, session: UUID | None, params: list[Any], result: Any) -> None:
        """Track what a successful call did to live queries; only for `LIVE_EFFECT_METHODS`."""
        self.after_request(Request(method, params, session), result)

    def after_request(self, request: Request, result: Any) -> None:
        """`after_call` with the whole request, kept to restart its live queries."""
        method, session, params = request.method, request.session, request.params
        if method == "live":
            if isinstance(result, UUID):
                self.started(result, session, request)
        elif method == "query":
            if isinstance(result, list):
                started = [
                    statement["result"]
                    for statement in result
                    if isinstance(statement, Mapping)
                    and statement.get("type") == "live"
                    and isinstance(statement.get("result"), UUID)
                ]
                # Only a query made of LIVE statements alone can be run again: any other
                # statement in it might write.
                rerunnable = request if len(started) == len(result) else None
                for index, live_id in enumerate(started):
                    self.started(live_id, session, rerunnable, index)
        elif method == "kill":
            if params and isinstance(params[0], UUID):
                self.end(params[0])
        else:  # reset, detach
            self.end_session(session)

    # ------------------------------------------------------------------ reconnecting

    @property
    def rebound(self) -> bool:
        """Whether some live query has a new id on the server since a reconnect."""
        return bool(self._current)

    def translate(self, request: Request) -> Request:
        """The request with original live ids replaced by the server's current ones.

        For `kill`, and for the top-level variables of `query` (`KILL $id`).
        """
        current = self._current
        if not current:
            return request
        params = request.params
        if request.method == "kill" and params and params[0] in current:
            return Request("kill", [current[params[0]], *params[1:]], request.session, request.txn)
        if request.method == "query" and len(params) > 1 and isinstance(params[1], Mapping):
            variables = params[1]
            if any(isinstance(v, UUID) and v in current for v in variables.values()):
                replaced = {
                    name: current.get(value, value) if isinstance(value, UUID) else value
                    for name, value in variables.items()
                }
                return Request(
                    "query", [params[0], replaced, *params[2:]], request.session, request.txn
                )
        return request

    def restorable(self) -> list[tuple[Request, list[UUID | None]]]:
        """The link dropped: end what cannot be restarted; return what can, grouped.

        Each group is a request to send again and, for each of its results (one for `live`,
        one per statement for a query), the original live id it restarts (None when that
        one has ended since). Live queries of attached sessions, of transactions, of queries
        that do more than `LIVE SELECT`, and ids this router never saw start, end here.
        """
        with self._lock:
            if self._closed:
                return []
            groups: dict[int, tuple[Request, list[UUID | None]]] = {}
            ended: list[UUID] = []
            for live_id, buffer in list(self._buffers.items()):
                definition = self._definitions.get(live_id)
                if buffer.ended:
                    continue
                if definition is None:
                    ended.append(live_id)
                    continue
                request, index = definition
                group = groups.setdefault(id(request), (request, []))
                slots = group[1]
                slots.extend([None] * (index + 1 - len(slots)))
                slots[index] = live_id
            for live_id, (request, index) in self._definitions.items():
                if live_id not in self._buffers:  # nobody subscribed yet: restart it too
                    group = groups.setdefault(id(request), (request, []))
                    slots = group[1]
                    slots.extend([None] * (index + 1 - len(slots)))
                    slots[index] = live_id
            for live_id in [i for i, owner in self._sessions.items() if owner is not None]:
                if live_id not in ended:
                    ended.append(live_id)
            for live_id in ended:
                self._forget(live_id)
            self._aliases.clear()  # the old server ids died with the old link
            buffers = [self._buffers[live_id] for live_id in ended if live_id in self._buffers]
            self._finished.update(live_id for live_id in ended if live_id not in self._buffers)
        for buffer in buffers:
            buffer.put(ENDED)
        if buffers:
            _logger.warning(
                "the connection reconnected: %d live queries could not be started again"
                " (started in a session, a transaction, or a query with other statements);"
                " their subscriptions ended",
                len(buffers),
            )
        return list(groups.values())

    def rebind(self, original: UUID, new_id: UUID) -> None:
        """A live query was started again after a reconnect and has the server id `new_id`."""
        with self._lock:
            if original not in self._definitions:
                return  # it ended meanwhile
            previous = self._current.get(original)
            if previous is not None:
                self._aliases.pop(previous, None)  # an id of a link that dropped meanwhile
            self._aliases[new_id] = original
            self._current[original] = new_id
            buffer = self._buffers.get(original)
            early = self._buffers.pop(new_id, None)  # notifications that came before this
        if buffer is None:
            buffer = self.buffer(original)
        if early is not None:
            for notification in early.take_all():
                buffer.put(msgspec.structs.replace(notification, live_id=original))

    def wanted(self, original: UUID | None) -> bool:
        """Whether a live query is still to be restarted after a reconnect."""
        return original is not None and original in self._definitions

    def count_reconnect(self) -> None:
        """The connection is back: count it on every live query that was restarted."""
        with self._lock:
            buffers = [self._buffers.get(original) for original in self._current]
        for buffer in buffers:
            if buffer is not None:
                buffer.reconnects += 1

    def restored(self, request: Request, originals: list[UUID | None], result: Any) -> None:
        """Map the ids in the result of a re-sent live request to the original ones."""
        if request.method == "live":
            new_ids: list[Any] = [result]
        elif isinstance(result, list):
            new_ids = [
                statement.get("result") if isinstance(statement, Mapping) else None
                for statement in result
            ]
        else:
            new_ids = []
        for index, original in enumerate(originals):
            if original is None:
                continue
            new_id = new_ids[index] if index < len(new_ids) else None
            if isinstance(new_id, UUID):
                self.rebind(original, new_id)
            else:
                self.lose(original, f"the server answered {new_id!r}")

    def lose(self, original: UUID, reason: str) -> None:
        """A live query could not be started again after a reconnect: end it."""
        _logger.warning("live query %s could not be started again: %s", original, reason)
        self.end(original)

    def close(self) -> None:
        """End every live query: the connection is gone."""
        with self._lock:
            self._closed = True
            buffers = list(self._buffers.values())
            self._sessions.clear()
            self._definitions.clear()
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

    @property
    def reconnects(self) -> int:
        """How many times the connection reconnected and started this live query again.

        Changes made while the link was down were not notified: when this grows, re-read
        what the live query watches to catch up."""
        return self._buffer.reconnects

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
        return (
            f"<LiveSubscription live_id={self.live_id} dropped={self.dropped}"
            f" reconnects={self.reconnects}>"
        )


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

    @property
    def reconnects(self) -> int:
        """How many times the connection reconnected and started this live query again.

        Changes made while the link was down were not notified: when this grows, re-read
        what the live query watches to catch up."""
        return self._buffer.reconnects

    def __aiter__(self) -> Self:
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        """`await db.subscribe_live(id)`, as the official SDK's coroutine is used, gives the
        subscription itself; `async for` works on it without awaiting too."""
        return self._itself().__await__()

    async def _itself(self) -> Self:
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
        return (
            f"<AsyncLiveSubscription live_id={self.live_id} dropped={self.dropped}"
            f" reconnects={self.reconnects}>"
        )


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
    def subscribe_live(
        self, live_id: UUID | str, *, into: None = None
    ) -> LiveSubscription[Any]: ...

    @overload
    def subscribe_live(self, live_id: UUID | str, *, into: type[R]) -> LiveSubscription[R]: ...

    def subscribe_live(
        self, live_id: UUID | str, *, into: type[R] | None = None
    ) -> LiveSubscription[Any]:
        """The notifications of a live query, until it is killed or the connection closes.

        Iterate with `for`. `into=Model` converts each notification's record into the model.
        The subscription's `dropped` counts notifications lost because this consumer fell more
        than `LIVE_BUFFER_SIZE` behind (the oldest are dropped first).
        """
        return LiveSubscription(self._live_router(), _params.live_id(live_id), into)


class AsyncLiveQueries:
    """`subscribe_live` for asyncio connections and sessions; WebSocket only."""

    def _live_router(self) -> LiveRouter:
        """The router of this connection's notifications (WebSocket transports have one)."""
        raise UnsupportedFeatureError(
            "live queries are not available here: use a ws:// or wss:// URL"
        )

    @overload
    def subscribe_live(
        self, live_id: UUID | str, *, into: None = None
    ) -> AsyncLiveSubscription[Any]: ...

    @overload
    def subscribe_live(self, live_id: UUID | str, *, into: type[R]) -> AsyncLiveSubscription[R]: ...

    def subscribe_live(
        self, live_id: UUID | str, *, into: type[R] | None = None
    ) -> AsyncLiveSubscription[Any]:
        """The notifications of a live query, until it is killed or the connection closes.

        Iterate with `async for` (awaiting it first, as the official SDK does, gives the same
        subscription). `into=Model` converts each notification's record into the model. The
        subscription's `dropped` counts notifications lost because this consumer fell more
        than `LIVE_BUFFER_SIZE` behind (the oldest are dropped first). A notification read by
        key (`n["name"]`) reads its record, as the official SDK yields it."""
        return AsyncLiveSubscription(self._live_router(), _params.live_id(live_id), into)
