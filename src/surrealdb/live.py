"""Buffers of live-query notifications, one per live query, kept until a subscriber reads them.

Notifications that arrive before anyone subscribes are kept, up to `LIVE_BUFFER_SIZE` per live
query; past that the oldest are dropped and counted in `dropped`, so a slow consumer can tell.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from uuid import UUID

from surrealdb.api_types import LiveNotification

LIVE_BUFFER_SIZE = 10_000


class _Ended:
    """Marks the end of a live query's notifications."""


ENDED = _Ended()


class LiveBuffer:
    """The pending notifications of one live query (thread-safe)."""

    def __init__(self, limit: int = LIVE_BUFFER_SIZE) -> None:
        self._items: deque[LiveNotification | _Ended] = deque()
        self._limit = limit
        self._condition = threading.Condition()
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.dropped = 0

    def put(self, item: LiveNotification | _Ended) -> None:
        """Add a notification (or the end marker) and wake the subscriber."""
        with self._condition:
            if len(self._items) >= self._limit and isinstance(item, LiveNotification):
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._condition.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, waiter in waiters:
            loop.call_soon_threadsafe(_set_done, waiter)

    def get(self, timeout: float | None = None) -> LiveNotification | _Ended | None:
        """The next item, waiting for it (blocking); None if `timeout` passed first."""
        with self._condition:
            if not self._condition.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    async def get_async(self) -> LiveNotification | _Ended:
        """The next item, waiting for it without blocking the event loop."""
        while True:
            with self._condition:
                if self._items:
                    return self._items.popleft()
                waiter = asyncio.get_running_loop().create_future()
                self._async_waiters.append((asyncio.get_running_loop(), waiter))
            await waiter


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class LiveRouter:
    """Routes notifications to the buffer of their live query; ends them all on close."""

    def __init__(self) -> None:
        self._buffers: dict[UUID, LiveBuffer] = {}
        self._lock = threading.Lock()
        self._closed = False

    def buffer(self, live_id: UUID) -> LiveBuffer:
        """The buffer of a live query, made on first use (before or after its notifications)."""
        with self._lock:
            buffer = self._buffers.get(live_id)
            if buffer is None:
                buffer = self._buffers[live_id] = LiveBuffer()
                if self._closed:
                    buffer.put(ENDED)
            return buffer

    def deliver(self, notification: LiveNotification) -> None:
        """Queue a notification; a KILLED one ends its live query."""
        buffer = self.buffer(notification.live_id)
        buffer.put(ENDED if notification.action == "KILLED" else notification)

    def end(self, live_id: UUID) -> None:
        """End one live query (after `kill`)."""
        self.buffer(live_id).put(ENDED)

    def close(self) -> None:
        """End every live query: the connection is gone."""
        with self._lock:
            self._closed = True
            buffers = list(self._buffers.values())
        for buffer in buffers:
            buffer.put(ENDED)
