"""The asyncio WebSocket link on the real engine: large frames both ways, deadlines of different
lengths sharing one timer, a server that stops reading (the socket's flow control), and calls
gathered into one write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from surrealdb import AsyncSurreal, SurrealTimeoutError
from surrealdb.connections import AsyncSurrealConnection
from surrealdb.transports.ws_asyncio import AsyncWsTransport, _Link
from tests.integration.test_resilience import FaultProxy
from tests.server import ServerInfo

WAIT = 10.0


async def signed_in(url: str, server: ServerInfo, **options: object) -> AsyncSurrealConnection:
    db = AsyncSurreal(url, **{"timeout": WAIT, **options})  # type: ignore[arg-type]
    await db.signin({"username": server.username, "password": server.password})
    await db.use("test", "ws_asyncio_link")
    return db


@pytest.fixture
async def adb(server: ServerInfo) -> AsyncIterator[AsyncSurrealConnection]:
    db = await signed_in(server.ws_url, server)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def proxy(server: ServerInfo) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(server.port)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()


def current_link(db: AsyncSurrealConnection) -> _Link:
    assert isinstance(db, AsyncWsTransport)
    link = db._link
    assert link is not None
    return link


async def test_a_32_mib_value_round_trips(adb: AsyncSurrealConnection) -> None:
    big = "x" * (32 * 1024 * 1024)
    with adb.timeout(120):
        assert await adb.query("RETURN string::len($big)", {"big": big}) == len(big)
        assert await adb.query("RETURN $big", {"big": big}) == big
    assert await adb.query("RETURN 1") == 1
    assert adb.reconnects == 0


async def test_a_short_deadline_passes_while_a_longer_earlier_one_waits(
    adb: AsyncSurrealConnection,
) -> None:
    """The link's one timer is set for the earliest deadline, whatever the order of the calls."""
    long_call = asyncio.create_task(adb.query("SLEEP 600ms; RETURN 'long'"))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with adb.timeout(0.2), pytest.raises(SurrealTimeoutError, match=r"within 0\.2 s"):
        await adb.query("SLEEP 2s")
    assert 0.15 < time.monotonic() - started < 1.0
    assert await asyncio.wait_for(long_call, WAIT) == "long"
    with adb.timeout(0.3):  # and again, after the timer moved on
        assert await adb.query("RETURN 'quick'") == "quick"
    assert current_link(adb).pending == {}


async def test_gathered_calls_share_writes_and_each_gets_its_reply(
    adb: AsyncSurrealConnection,
) -> None:
    link = current_link(adb)
    writes = 0
    assert link.transport is not None
    write = link.transport.write

    def counting(data: bytes | bytearray | memoryview) -> None:
        nonlocal writes
        writes += 1
        write(data)

    link.transport.write = counting  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(*(adb.query("RETURN $n", {"n": n}) for n in range(500)))
    finally:
        del link.transport.write
    assert results == list(range(500))
    assert writes < 10, f"{writes} writes for 500 calls made in one loop turn"


async def test_a_server_that_stops_reading_holds_new_calls_unsent(
    proxy: FaultProxy, server: ServerInfo
) -> None:
    """When the socket's write buffer is full, calls wait for it to drain before they are
    written; one that runs out of time meanwhile was never sent, and the connection is fine."""
    db = await signed_in(proxy.url("ws"), server, keepalive_interval=None)
    try:
        proxy.stall()
        big = "y" * (16 * 1024 * 1024)
        first = asyncio.create_task(db.query("RETURN string::len($big)", {"big": big}))
        link = current_link(db)
        for _ in range(200):
            if link.paused:
                break
            await asyncio.sleep(0.01)
        assert link.paused, "the write buffer never filled"
        with db.timeout(0.3), pytest.raises(SurrealTimeoutError, match="was not sent"):
            await db.query("RETURN 'held'")
        proxy.resume()
        assert await asyncio.wait_for(first, 60) == len(big)
        assert not link.paused
        assert await db.query("RETURN 'after'") == "after"
        assert db.reconnects == 0
    finally:
        await db.close()


async def test_keepalive_pings_that_get_their_pongs_keep_the_link(server: ServerInfo) -> None:
    db = await signed_in(server.ws_url, server, keepalive_interval=0.1)
    try:
        link = current_link(db)
        await asyncio.sleep(0.55)  # five pings, each answered
        assert link.ended is None
        assert await db.query("RETURN 'alive'") == "alive"
        assert current_link(db) is link and db.reconnects == 0
    finally:
        await db.close()
