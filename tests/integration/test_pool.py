"""SurrealPool and AsyncSurrealPool against the real engine: at most `size` connections, each
set up once (sign-in, `use`, `setup`), lent out one borrower at a time, broken ones replaced,
and `close()` waiting for the borrowed ones to come back."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from surrealdb import (
    AsyncSurrealPool,
    AuthenticationError,
    SurrealConnectionError,
    SurrealPool,
    SurrealTimeoutError,
)
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from tests.server import ServerInfo

WAIT = 10.0


def credentials(server: ServerInfo) -> dict[str, str]:
    return {"username": server.username, "password": server.password}


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_threads_share_a_few_connections_each_set_up_once(
    server: ServerInfo, database_name: str, scheme: str
) -> None:
    made: list[BlockingSurrealConnection] = []

    def setup(db: BlockingSurrealConnection) -> None:
        made.append(db)
        db.let("pooled", True)

    url = server.ws_url if scheme == "ws" else server.http_url
    with SurrealPool(
        url,
        size=3,
        signin=credentials(server),
        namespace="test",
        database=database_name,
        setup=setup,
        timeout=WAIT,
    ) as pool:
        borrowed_at_once = 0
        lock = threading.Lock()

        def work(number: int) -> tuple[Any, Any]:
            nonlocal borrowed_at_once
            with pool.acquire() as db:
                with lock:
                    borrowed_at_once = max(borrowed_at_once, pool.in_use)
                time.sleep(0.002)
                return db.query("RETURN [session::db(), $pooled]"), db.query(
                    "RETURN $n", {"n": number}
                )

        with ThreadPoolExecutor(8) as threads:
            results = list(threads.map(work, range(60)))
        assert results == [([database_name, True], n) for n in range(60)]
        assert len(made) <= 3 and borrowed_at_once <= 3
        assert pool.in_use == 0 and pool.idle == len(made)
        assert "password" not in repr(pool) and "root" not in repr(pool)
    assert pool.closed and pool.idle == 0
    assert all(db.is_closed for db in made)


def test_acquire_waits_for_a_free_connection_then_times_out(server: ServerInfo) -> None:
    with SurrealPool(server.ws_url, size=1, signin=credentials(server)) as pool:
        with pool.acquire() as db:
            started = time.monotonic()
            with pytest.raises(SurrealTimeoutError, match="all 1 are in use"), pool.acquire(0.2):
                pass
            assert 0.15 < time.monotonic() - started < 1
            assert db.query("RETURN 1") == 1

        def borrow_later() -> None:
            with pool.acquire(timeout=WAIT) as again:
                assert again is db  # the same connection, lent again

        with pool.acquire() as held:
            thread = threading.Thread(target=borrow_later, daemon=True)
            thread.start()
            time.sleep(0.1)
            assert thread.is_alive()  # waiting for `held`
            assert held is db
        thread.join(WAIT)
        assert not thread.is_alive()


def test_a_broken_connection_is_replaced(server: ServerInfo) -> None:
    made: list[BlockingSurrealConnection] = []
    with SurrealPool(server.ws_url, size=1, signin=credentials(server), setup=made.append) as pool:
        with pool.acquire() as db:
            db.close()  # broken while borrowed: dropped when it comes back
        with pool.acquire() as db:
            assert db is made[1] and db.query("RETURN 2") == 2
        made[1].close()  # broken while idle: dropped when next lent
        with pool.acquire() as db:
            assert db is made[2] and db.query("RETURN 3") == 3
    assert len(made) == 3


def test_a_connection_that_cannot_be_set_up_frees_its_slot(server: ServerInfo) -> None:
    with SurrealPool(
        server.ws_url, size=1, signin={"username": "root", "password": "wrong"}
    ) as pool:
        for _ in range(2):
            with pytest.raises(AuthenticationError), pool.acquire():
                pass
            assert pool.in_use == 0


def test_close_waits_for_borrowed_connections(
    server: ServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    pool = SurrealPool(server.ws_url, size=2, signin=credentials(server), drain_timeout=WAIT)
    borrowed = threading.Event()
    borrower: list[BlockingSurrealConnection] = []

    def hold() -> None:
        with pool.acquire() as db:
            borrower.append(db)
            borrowed.set()
            time.sleep(0.3)
            db.query("RETURN 'finished its work'")

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert borrowed.wait(WAIT)
    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started > 0.15  # it waited for the borrower
    thread.join(WAIT)
    assert borrower[0].is_closed
    with pytest.raises(SurrealConnectionError, match=r"pool .* is closed"), pool.acquire():
        pass
    pool.close()  # idempotent

    caplog.set_level(logging.WARNING, logger="surrealdb")
    impatient = SurrealPool(server.ws_url, size=1, signin=credentials(server), drain_timeout=0.1)
    with impatient.acquire() as db:
        impatient.close()  # gives up waiting for this very borrower
        assert db.query("RETURN 1") == 1  # still usable until it goes back
    assert db.is_closed  # closed on its way back
    assert any("still borrowed" in record.getMessage() for record in caplog.records)


def test_the_seed_pool_in_a_few_lines(server: ServerInfo) -> None:
    """The hand-rolled pool of the seed page (tests/seed), with SurrealPool."""
    pool = SurrealPool(
        server.ws_url,
        size=10,
        signin=credentials(server),
        namespace="myapp",
        database="production",
        setup=lambda db: db.query("DEFINE TABLE IF NOT EXISTS user SCHEMALESS"),
    )
    with pool.acquire() as conn:
        result = conn.query("SELECT * FROM user")
    pool.close()
    assert result == []


async def test_async_tasks_share_a_few_connections(server: ServerInfo, database_name: str) -> None:
    made: list[AsyncSurrealConnection] = []

    async def setup(db: AsyncSurrealConnection) -> None:
        made.append(db)
        await db.let("pooled", "yes")

    async with AsyncSurrealPool(
        server.ws_url,
        size=4,
        signin=credentials(server),
        namespace="test",
        database=database_name,
        setup=setup,
    ) as pool:

        async def work(number: int) -> Any:
            async with pool.acquire() as db:
                await asyncio.sleep(0.001)
                return await db.query("RETURN [$pooled, $n]", {"n": number})

        results = await asyncio.wait_for(asyncio.gather(*(work(n) for n in range(100))), WAIT)
        assert results == [["yes", n] for n in range(100)]
        assert len(made) <= 4 and pool.in_use == 0
        async with pool.acquire() as held:
            await held.close()  # broken: replaced
        async with pool.acquire() as db:
            assert await db.query("RETURN 1") == 1
        with pytest.raises(SurrealTimeoutError):  # all 4 borrowed: a fifth waits, then gives up
            async with (
                pool.acquire(),
                pool.acquire(),
                pool.acquire(),
                pool.acquire(),
                pool.acquire(timeout=0.1),
            ):
                pass
    assert all(db.is_closed for db in made)
    with pytest.raises(SurrealConnectionError, match="closed"):
        async with pool.acquire():
            pass


def test_a_pool_shares_the_callers_httpx_client(server: ServerInfo, database_name: str) -> None:
    """Every connection of the pool sends through the one client given; it stays open."""
    calls: list[str] = []
    client = httpx.Client(event_hooks={"request": [lambda request: calls.append("call")]})
    with SurrealPool(
        server.http_url,
        size=3,
        signin=credentials(server),
        namespace="test",
        database=database_name,
        http_client=client,
    ) as pool:

        def work(number: int) -> int:
            with pool.acquire() as db:
                result: int = db.query("RETURN $n * 2", {"n": number})
                return result

        with ThreadPoolExecutor(6) as executor:
            assert list(executor.map(work, range(12))) == [n * 2 for n in range(12)]
    assert len(calls) >= 12 + 1  # the queries, and at least one sign-in
    assert not client.is_closed
    client.close()


async def test_an_async_pool_shares_the_callers_httpx_client(
    server: ServerInfo, database_name: str
) -> None:
    async with httpx.AsyncClient() as client:
        async with (
            AsyncSurrealPool(
                server.http_url,
                size=2,
                signin=credentials(server),
                namespace="test",
                database=database_name,
                http_client=client,
            ) as pool,
            pool.acquire() as db,
        ):
            assert await db.query("RETURN 'pooled'") == "pooled"
        assert not client.is_closed
