"""HTTP hardening: a connection used from a second `asyncio.run()`, replies larger than
`max_reply_size`, and session state the server would refuse, refused when it is set.

The loop and session-state tests run on the real engine; the reply-size tests use fake servers
that announce or stream far more than the client accepts and count what they managed to send.
"""

from __future__ import annotations

import asyncio
import http.client
from typing import Any

import cbor2
import pytest

from surrealdb import AsyncSurreal, InvalidParamsError, Surreal
from surrealdb.transports.http_state import HeaderValueError
from tests.conftest import url_for
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


# ------------------------------------------------------------ session state, set or refused

PROTECTED = ["access", "auth", "token", "session"]


def root(server: ServerInfo) -> dict[str, str]:
    return {"username": server.username, "password": server.password}


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_let_of_a_protected_variable_fails_at_once_and_alike(
    server: ServerInfo, transport: str, database_name: str
) -> None:
    with Surreal(url_for(server, transport)) as db:
        db.signin(root(server))
        db.use("test", database_name)
        for name in PROTECTED:
            with pytest.raises(InvalidParamsError) as caught:
                db.let(name, 1)
            assert type(caught.value) is InvalidParamsError
            assert str(caught.value) == f"Cannot set protected variable: {name}"
            assert caught.value.kind == "Validation"
        db.let("Auth", 2)  # the server compares the names exactly
        assert db.query("RETURN [$Auth, 1 + 1]") == [2, 2]  # later calls are not poisoned


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_async_let_of_a_protected_variable_fails_at_once_and_alike(
    server: ServerInfo, transport: str, database_name: str
) -> None:
    async with AsyncSurreal(url_for(server, transport)) as db:
        await db.signin(root(server))
        await db.use("test", database_name)
        for name in PROTECTED:
            with pytest.raises(
                InvalidParamsError, match=f"^Cannot set protected variable: {name}$"
            ):
                await db.let(name, 1)
        assert await db.query("RETURN 1 + 1") == 2


BAD_NAMES = ["bad\r\nX-Evil: 1", "nul\x00", "café", " padded"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_use_over_http_refuses_what_the_header_cannot_carry(
    server: ServerInfo, database_name: str, name: str
) -> None:
    with Surreal(server.http_url) as db:
        db.signin(root(server))
        db.use("test", database_name)
        for namespace, database in ((name, "db"), ("test", name)):
            with pytest.raises(HeaderValueError, match="ws://") as caught:
                db.use(namespace, database)
            assert isinstance(caught.value, InvalidParamsError | ValueError)
        # nothing changed, and the next call works
        assert db.query("RETURN [session::ns(), session::db()]") == ["test", database_name]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_async_use_over_http_refuses_what_the_header_cannot_carry(
    server: ServerInfo, database_name: str, name: str
) -> None:
    async with AsyncSurreal(server.http_url) as db:
        await db.signin(root(server))
        await db.use("test", database_name)
        with pytest.raises(HeaderValueError, match="ws://"):
            await db.use(name, "db")
        assert await db.query("RETURN session::ns()") == "test"


@pytest.mark.parametrize("name", ["café", "名前", "bad\r\nX-Evil: 1"])
def test_over_ws_any_name_is_sent_as_data(server: ServerInfo, name: str) -> None:
    with Surreal(server.ws_url) as db:
        db.signin(root(server))
        db.use(name, name)
        assert db.query("RETURN [session::ns(), session::db()]") == [name, name]


def test_the_gateway_reads_a_non_ascii_header_as_the_server_does(server: ServerInfo) -> None:
    """The server refuses a `Surreal-NS` that is not visible ASCII (HeaderValue::to_str)
    with 401; it never reads the UTF-8 bytes as latin-1 (`cafÃ©`)."""
    authority = server.http_url.removeprefix("http://")
    for name, value in ((b"Surreal-NS", "café".encode()), (b"Surreal-DB", b"caf\xe9")):
        connection = http.client.HTTPConnection(authority, timeout=WAIT)
        try:
            connection.putrequest("POST", "/rpc")
            connection.putheader("Content-Type", "application/cbor")
            connection.putheader("Accept", "application/cbor")
            connection.putheader(name.decode(), value)
            body = cbor2.dumps({"method": "version", "params": []})
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        header = name.decode().lower()
        assert response.status == 401
        assert (
            text
            == f"There was a problem parsing the header {header}: invalid HTTP header ({header})"
        )
