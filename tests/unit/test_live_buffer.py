"""Live-query buffers (surrealdb.live): kept until read, bounded, ended by KILLED and by close."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

from surrealdb.api_types import LiveNotification
from surrealdb.live import ENDED, LIVE_BUFFER_SIZE, LiveBuffer, LiveRouter


def note(live_id: uuid.UUID, number: int = 0, action: str = "CREATE") -> LiveNotification:
    return LiveNotification(live_id=live_id, action=action, record_id=number, result={"n": number})


def drain(buffer: LiveBuffer) -> list[LiveNotification | object]:
    """Everything queued now, without waiting."""
    items: list[LiveNotification | object] = []
    while (item := buffer.get(timeout=0)) is not None:
        items.append(item)
    return items


def test_notifications_before_subscribe_are_kept() -> None:
    router = LiveRouter()
    live_id = uuid.uuid4()
    router.deliver(note(live_id, 1))
    router.deliver(note(live_id, 2))
    buffer = router.buffer(live_id)
    assert drain(buffer) == [note(live_id, 1), note(live_id, 2)]


def test_buffer_is_made_once_per_live_query() -> None:
    router = LiveRouter()
    first, second = uuid.uuid4(), uuid.uuid4()
    assert router.buffer(first) is router.buffer(first)
    assert router.buffer(first) is not router.buffer(second)


def test_notifications_go_to_their_own_live_query() -> None:
    router = LiveRouter()
    first, second = uuid.uuid4(), uuid.uuid4()
    router.deliver(note(first, 1))
    router.deliver(note(second, 2))
    router.deliver(note(first, 3))
    assert drain(router.buffer(first)) == [note(first, 1), note(first, 3)]
    assert drain(router.buffer(second)) == [note(second, 2)]


def test_killed_ends_the_live_query() -> None:
    router = LiveRouter()
    live_id = uuid.uuid4()
    router.deliver(note(live_id, 1))
    router.deliver(note(live_id, action="KILLED"))
    assert drain(router.buffer(live_id)) == [note(live_id, 1), ENDED]


def test_end_after_kill() -> None:
    router = LiveRouter()
    live_id = uuid.uuid4()
    router.end(live_id)
    assert router.buffer(live_id).get(timeout=0) is ENDED


def test_close_ends_every_live_query_and_later_ones() -> None:
    router = LiveRouter()
    first, second = uuid.uuid4(), uuid.uuid4()
    router.deliver(note(first, 1))
    router.buffer(second)
    router.close()
    assert drain(router.buffer(first)) == [note(first, 1), ENDED]
    assert drain(router.buffer(second)) == [ENDED]
    assert router.buffer(uuid.uuid4()).get(timeout=0) is ENDED


def test_get_times_out_with_none() -> None:
    buffer = LiveBuffer()
    started = time.monotonic()
    assert buffer.get(timeout=0.05) is None
    assert time.monotonic() - started >= 0.04


def test_get_waits_for_a_put_from_another_thread() -> None:
    buffer = LiveBuffer()
    live_id = uuid.uuid4()
    timer = threading.Timer(0.05, buffer.put, args=(note(live_id, 7),))
    timer.start()
    try:
        assert buffer.get(timeout=5) == note(live_id, 7)
    finally:
        timer.cancel()


def test_bounded_buffer_drops_the_oldest_and_counts_them() -> None:
    buffer = LiveBuffer(limit=3)
    live_id = uuid.uuid4()
    for number in range(5):
        buffer.put(note(live_id, number))
    assert buffer.dropped == 2
    assert drain(buffer) == [note(live_id, 2), note(live_id, 3), note(live_id, 4)]


def test_end_marker_is_never_dropped_nor_drops() -> None:
    buffer = LiveBuffer(limit=2)
    live_id = uuid.uuid4()
    buffer.put(note(live_id, 1))
    buffer.put(note(live_id, 2))
    buffer.put(ENDED)
    assert buffer.dropped == 0
    assert drain(buffer) == [note(live_id, 1), note(live_id, 2), ENDED]


def test_default_limit() -> None:
    buffer = LiveBuffer()
    live_id = uuid.uuid4()
    for number in range(LIVE_BUFFER_SIZE + 1):
        buffer.put(note(live_id, number))
    assert buffer.dropped == 1
    assert buffer.get(timeout=0) == note(live_id, 1)


async def test_get_async_returns_what_is_queued() -> None:
    buffer = LiveBuffer()
    live_id = uuid.uuid4()
    buffer.put(note(live_id, 1))
    assert await asyncio.wait_for(buffer.get_async(), 1) == note(live_id, 1)


async def test_get_async_wakes_when_another_thread_puts() -> None:
    buffer = LiveBuffer()
    live_id = uuid.uuid4()

    def produce() -> None:
        time.sleep(0.05)
        buffer.put(note(live_id, 1))
        buffer.put(ENDED)

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        assert await asyncio.wait_for(buffer.get_async(), 5) == note(live_id, 1)
        assert await asyncio.wait_for(buffer.get_async(), 5) is ENDED
    finally:
        thread.join()


async def test_get_async_does_not_block_the_loop() -> None:
    buffer = LiveBuffer()
    live_id = uuid.uuid4()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        for _ in range(5):
            ticks += 1
            await asyncio.sleep(0.01)
        await asyncio.to_thread(buffer.put, note(live_id, 9))

    waiter = asyncio.ensure_future(buffer.get_async())
    await tick()
    assert await asyncio.wait_for(waiter, 5) == note(live_id, 9)
    assert ticks == 5


async def test_get_async_wakes_on_close() -> None:
    router = LiveRouter()
    buffer = router.buffer(uuid.uuid4())
    threading.Timer(0.05, router.close).start()
    assert await asyncio.wait_for(buffer.get_async(), 5) is ENDED


async def test_cancelled_get_async_does_not_lose_the_next_item() -> None:
    buffer = LiveBuffer()
    live_id = uuid.uuid4()
    waiter = asyncio.ensure_future(buffer.get_async())
    await asyncio.sleep(0.01)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    buffer.put(note(live_id, 1))
    await asyncio.sleep(0.01)
    assert await asyncio.wait_for(buffer.get_async(), 1) == note(live_id, 1)
