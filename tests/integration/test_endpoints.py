"""The server's HTTP endpoints beyond /rpc (schema/http.toml) on the real test server."""

from __future__ import annotations

import pytest

from surrealdb import AsyncSurreal, Surreal
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import SurrealConnectionError
from tests.server import ServerInfo, start_gateway


def test_health_and_status_answer_on_every_transport(db: BlockingSurrealConnection) -> None:
    db.health()
    db.status()


async def test_async_health_and_status_answer_on_every_transport(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.health()
    await adb.status()


def test_health_works_in_a_session(db: BlockingSurrealConnection) -> None:
    with db.new_session() as session:
        session.health()


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_health_of_a_stopped_server_is_a_connection_error(transport: str) -> None:
    """Over WebSocket too, health() asks the server's HTTP endpoint, which must be answering:
    once the server is gone, the call fails (it would pass if it were answered locally)."""
    running = start_gateway()
    info: ServerInfo = running.info
    url = info.ws_url if transport == "ws" else info.http_url
    try:
        db = Surreal(url)
        db.connect()
        db.health()
    finally:
        running.stop()
    with pytest.raises(SurrealConnectionError, match="/health"):
        db.health()
    db.close()


async def test_async_status_of_a_stopped_server_is_a_connection_error() -> None:
    running = start_gateway()
    try:
        db = AsyncSurreal(running.info.ws_url)
        await db.connect()
        await db.status()
    finally:
        running.stop()
    with pytest.raises(SurrealConnectionError, match="/status"):
        await db.status()
    await db.close()


def test_health_of_a_closed_connection_is_refused(server: ServerInfo) -> None:
    db = Surreal(server.http_url)
    db.close()
    with pytest.raises(SurrealConnectionError, match="closed"):
        db.health()
