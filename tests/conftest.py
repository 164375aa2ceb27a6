"""Shared fixtures: one real server for the session, and fresh connections on every transport."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from surrealdb import AsyncSurreal, Surreal
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.transports import http_asyncio, http_blocking
from tests.server import RunningServer, ServerInfo, start_server

TRANSPORTS = ["ws", "http", "httpx", "embedded"]
"""The `transport` fixture's values: "httpx" is HTTP sent through a caller's httpx client."""


@pytest.fixture(scope="session")
def server() -> Iterator[ServerInfo]:
    """The real SurrealDB server the integration tests talk to."""
    running: RunningServer = start_server()
    try:
        yield running.info
    finally:
        running.stop()


def url_for(server: ServerInfo, transport: str) -> str:
    """The URL of the test server (or the embedded engine) for a transport."""
    urls = {"ws": server.ws_url, "http": server.http_url, "httpx": server.http_url}
    return urls.get(transport, "mem://")


HTTP_ENGINES = ["fast", "httpx"]
"""How http:// connections move bytes: their own keep-alive sockets, or httpx."""


@pytest.fixture(params=HTTP_ENGINES)
def http_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each HTTP engine in turn, for a module's tests that make their own connections: for
    "httpx", every HTTP connection made in the test goes through an httpx client of its own.
    A test marked `fast_path_only` checks what only the fast path does, and skips httpx."""
    engine: str = request.param
    if engine == "httpx":
        marker = request.node.get_closest_marker("fast_path_only")
        if marker is not None:
            pytest.skip(f"the fast path only: {marker.args[0]}")
        for module in (http_blocking, http_asyncio):
            monkeypatch.setattr(module, "uses_httpx", lambda *_: True)
    return engine


@pytest.fixture
def database_name() -> str:
    """A database name no other test uses, so tests never see each other's records."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """Each transport in turn."""
    name: str = request.param
    return name


@pytest.fixture
def db(
    server: ServerInfo, transport: str, database_name: str
) -> Iterator[BlockingSurrealConnection]:
    """A blocking connection, signed in as root, using a fresh database."""
    client = httpx.Client() if transport == "httpx" else None
    with Surreal(url_for(server, transport), http_client=client) as connection:
        if transport != "embedded":  # the embedded engine has no users: it needs no sign-in
            connection.signin({"username": server.username, "password": server.password})
        connection.use("test", database_name)
        yield connection
    if client is not None:
        client.close()  # the caller's: closing the connection leaves it open


@pytest.fixture
async def adb(
    server: ServerInfo, transport: str, database_name: str
) -> AsyncIterator[AsyncSurrealConnection]:
    """An asyncio connection, signed in as root, using a fresh database."""
    client = httpx.AsyncClient() if transport == "httpx" else None
    async with AsyncSurreal(url_for(server, transport), http_client=client) as connection:
        if transport != "embedded":  # the embedded engine has no users: it needs no sign-in
            await connection.signin({"username": server.username, "password": server.password})
        await connection.use("test", database_name)
        yield connection
    if client is not None:
        await client.aclose()  # the caller's: closing the connection leaves it open
