"""HTTP hardening: a connection used from a second `asyncio.run()`, replies larger than
`max_reply_size`, and session state the server would refuse, refused when it is set.

The loop and session-state tests run on the real engine; the reply-size tests use fake servers
that announce or stream far more than the client accepts and count what they managed to send.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from surrealdb import AsyncSurreal
from tests.server import ServerInfo

WAIT = 10.0
"""The bound on every wait: a bug fails the test instead of hanging it."""


# --------------------------------------------------------------- a second asyncio.run()


def test_async_http_carries_on_in_a_second_asyncio_run(
    server: ServerInfo, database_name: str
) -> None:
    db = AsyncSurreal(server.http_url)

    async def first() -> None:
        await db.signin({"username": server.username, "password": server.password})
        await db.use("test", database_name)
        await db.query("CREATE item:1 SET n = 1")

    async def second() -> Any:
        return await db.query("RETURN [session::ns(), session::db(), $token.ID, item:1.n]")

    asyncio.run(asyncio.wait_for(first(), WAIT))
    try:
        # the pooled connection belongs to the first, closed, loop
        assert asyncio.run(asyncio.wait_for(second(), WAIT)) == [
            "test",
            database_name,
            server.username,
            1,
        ]
        assert asyncio.run(asyncio.wait_for(second(), WAIT))[2] == server.username
    finally:
        asyncio.run(asyncio.wait_for(db.close(), WAIT))
    assert db.is_closed


def test_async_http_close_in_another_asyncio_run_is_clean(server: ServerInfo) -> None:
    db = AsyncSurreal(server.http_url)
    assert asyncio.run(asyncio.wait_for(db.version(), WAIT)).startswith("surrealdb-")
    asyncio.run(asyncio.wait_for(db.close(), WAIT))  # no "Event loop is closed"
    assert db.is_closed
    with pytest.raises(ConnectionError):
        asyncio.run(asyncio.wait_for(db.version(), WAIT))
