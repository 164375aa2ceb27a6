"""The official `surrealdb` 2.0.0 SDK's connection attributes and auth results, used the
official way against the real engine: `db.socket`, `db.token`, `Tokens` from
`signin`/`signup`, `surrealdb.types.parse_auth_result` and `surrealdb.connections.url`.

Each test writes the code as a user of the official SDK would (its classes from
`surrealdb.connections.*`, its fixtures' `if db.socket: db.socket.close()`); our own spellings
are tested elsewhere and stay the primary API.
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading
import time
from typing import Any

import pytest

from surrealdb import AsyncSurreal, InvalidURLError, Surreal, SurrealConnectionError
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.connections.async_embedded import AsyncEmbeddedSurrealConnection
from surrealdb.connections.async_http import AsyncHttpSurrealConnection
from surrealdb.connections.async_ws import AsyncWsSurrealConnection
from surrealdb.connections.blocking_embedded import BlockingEmbeddedSurrealConnection
from surrealdb.connections.blocking_http import BlockingHttpSurrealConnection
from surrealdb.connections.blocking_ws import BlockingWsSurrealConnection
from surrealdb.connections.url import Url, UrlScheme
from surrealdb.types import Tokens, parse_auth_result
from tests.conftest import url_for
from tests.integration.test_methods_blocking import (
    RECORD_USER_EMAIL,
    define_record_access_sql,
    jwt_claims,
    record_credentials,
    root_credentials,
)
from tests.server import ServerInfo

pytestmark = pytest.mark.timeout(30)


def root(server: ServerInfo) -> dict[str, str]:
    """The official SDK's root sign-in details."""
    return {"username": server.username, "password": server.password}


# --------------------------------------------------------------------------------------------
# db.socket: what the official fixtures close the connection with
# --------------------------------------------------------------------------------------------


def test_blocking_ws_socket_closes_the_connection(server: ServerInfo) -> None:
    connection = BlockingWsSurrealConnection(server.ws_url)
    assert connection.socket is None  # not connected yet, as the official SDK's
    connection.signin(root(server))
    assert connection.query("RETURN 1") == 1
    socket = connection.socket
    assert socket and socket is connection.socket
    assert repr(socket) == f"<BlockingSocket of {connection.url!r}>"
    if connection.socket:  # the official fixtures' teardown
        connection.socket.close()
    assert connection.is_closed
    assert connection.socket is None
    with pytest.raises(SurrealConnectionError, match="closed"):
        connection.query("RETURN 1")
    socket.close()  # idempotent, as close() is
    connection.close()


def test_blocking_ws_socket_offers_only_close(server: ServerInfo) -> None:
    """Frames sent or read around the connection would mix up its replies."""
    with BlockingWsSurrealConnection(server.ws_url) as connection:
        socket = connection.socket
        assert socket is not None
        for name in ("send", "recv", "ping", "protocol", "transport"):
            assert not hasattr(socket, name), name
        with pytest.raises(AttributeError):
            socket.other = 1  # type: ignore[attr-defined]


def test_blocking_ws_socket_close_fails_a_call_in_flight(server: ServerInfo) -> None:
    """Closing through the socket is close(): a call waiting for its reply fails at once."""
    connection = BlockingWsSurrealConnection(server.ws_url)
    connection.signin(root(server))
    outcome: list[BaseException | None] = []

    def slow_call() -> None:
        try:
            connection.query("SLEEP 5s")
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(0.2)
    started = time.monotonic()
    socket = connection.socket
    assert socket is not None
    socket.close()
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert time.monotonic() - started < 3
    assert len(outcome) == 1 and isinstance(outcome[0], SurrealConnectionError)


async def test_async_ws_socket_closes_the_connection(server: ServerInfo) -> None:
    connection = AsyncWsSurrealConnection(server.ws_url)
    assert connection.socket is None
    await connection.signin(root(server))
    socket = connection.socket
    assert socket and socket is connection.socket
    assert not hasattr(socket, "send") and not hasattr(socket, "recv")
    slow = asyncio.ensure_future(connection.query("SLEEP 5s"))
    await asyncio.sleep(0.2)
    await socket.close()
    with pytest.raises(SurrealConnectionError):
        await asyncio.wait_for(slow, 3)
    assert connection.is_closed
    assert connection.socket is None
    await socket.close()  # idempotent
    with pytest.raises(SurrealConnectionError, match="closed"):
        await connection.query("RETURN 1")


def test_embedded_socket_is_none_as_the_official_sdks() -> None:
    with BlockingEmbeddedSurrealConnection("mem://") as connection:
        assert connection.query("RETURN 1") == 1
        assert connection.socket is None


async def test_async_embedded_socket_is_none_as_the_official_sdks() -> None:
    async with AsyncEmbeddedSurrealConnection("mem://") as connection:
        assert await connection.query("RETURN 1") == 1
        assert connection.socket is None


# --------------------------------------------------------------------------------------------
# db.token: the connection's current access token
# --------------------------------------------------------------------------------------------


def test_token_follows_the_connections_sign_in(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    tokens = db.signin(credentials)
    assert db.token == tokens.access == str(tokens)
    assert type(db.token) is str
    assert db.token not in repr(db)
    with pytest.raises(AttributeError):
        db.token = "forged"  # type: ignore[misc]

    db.invalidate()
    assert db.token is None
    db.authenticate(tokens.access)  # the official SDK passes the string
    assert db.token == tokens.access
    db.use("test", database_name)
    assert db.query("RETURN $token.ID") == credentials["username"]

    with db.new_session() as session:  # a session's sign-in is its own
        other = session.signin(credentials)
        assert other.access != tokens.access
        assert db.token == tokens.access

    db.reset()
    assert db.token is None


def test_token_is_the_record_users_and_follows_refresh(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.query(define_record_access_sql("renewable", refresh=True))
    signed_up = db.signup(record_credentials(database_name, "renewable"))
    assert db.token == signed_up.access
    renewed = db.refresh(signed_up)
    assert db.token == renewed.access != signed_up.access
    assert db.token is not None
    assert db.query("RETURN $token.jti") == jwt_claims(db.token)["jti"]


async def test_async_token_as_the_official_authenticate_test_uses_it(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str
) -> None:
    if transport == "embedded":
        await adb.query("DEFINE USER IF NOT EXISTS t_admin ON ROOT PASSWORD 't-pw' ROLES OWNER")
        credentials = {"username": "t_admin", "password": "t-pw"}
    else:
        credentials = root(server)
    tokens = await adb.signin(credentials)
    assert adb.token == tokens.access
    assert adb.token is not None
    await adb.authenticate(token=adb.token)  # the official test's call
    assert adb.token == tokens.access
    await adb.invalidate()
    assert adb.token is None


def test_token_is_none_before_any_sign_in(server: ServerInfo) -> None:
    for url in (server.ws_url, server.http_url, "mem://"):
        with Surreal(url) as connection:
            assert connection.token is None


# --------------------------------------------------------------------------------------------
# signin / signup return Tokens
# --------------------------------------------------------------------------------------------


def test_signin_returns_tokens_that_are_the_access_token(
    server: ServerInfo, transport: str
) -> None:
    if transport == "embedded":
        pytest.skip("the embedded engine starts without users")
    with Surreal(url_for(server, transport)) as connection:
        tokens = connection.signin(root(server))
        assert isinstance(tokens, Tokens)
        assert tokens.access is not None and tokens.access != ""
        assert tokens.refresh is None
        assert isinstance(tokens, str) and tokens == tokens.access  # ours returned the str
        assert jwt_claims(tokens)["ID"] == server.username
        assert "<hidden>" in repr(tokens) and tokens.access not in repr(tokens)
    with Surreal(url_for(server, transport)) as other:
        other.authenticate(tokens.access)  # the official way
        other.authenticate(tokens)  # ours
        other.use("test", "tokens")
        assert other.query("RETURN $token.ID") == server.username


async def test_async_signup_returns_tokens_with_the_refresh_token(
    adb: AsyncSurrealConnection, database_name: str
) -> None:
    await adb.query(define_record_access_sql("renewable", refresh=True))
    tokens = await adb.signup(record_credentials(database_name, "renewable"))
    assert isinstance(tokens, Tokens)
    assert tokens.access is not None and tokens.refresh is not None
    assert tokens.refresh not in repr(tokens) and tokens.refresh not in str(tokens)
    await adb.invalidate()
    again = await adb.signin(record_credentials(database_name, "renewable"))
    assert isinstance(again, Tokens) and again.refresh is not None
    user = await adb.info()
    assert user is not None and user["email"] == RECORD_USER_EMAIL


def test_tokens_value_semantics() -> None:
    tokens = Tokens(access="a.b.c", refresh="surreal-refresh-1")
    assert tokens == Tokens("a.b.c", "surreal-refresh-1")
    assert tokens != Tokens("a.b.c", "surreal-refresh-2")
    assert tokens == "a.b.c" and hash(tokens) == hash("a.b.c")
    assert {tokens: 1}[Tokens("a.b.c", "surreal-refresh-1")] == 1
    for copied in (pickle.loads(pickle.dumps(tokens)), copy.copy(tokens), copy.deepcopy(tokens)):
        assert copied == tokens and copied.refresh == "surreal-refresh-1"
        assert type(copied) is Tokens
    with pytest.raises(AttributeError):
        tokens.access = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        tokens.extra = "x"
    with pytest.raises(TypeError, match="access"):
        Tokens(access=1)  # type: ignore[arg-type]
    empty = Tokens()
    assert empty.access is None and empty.refresh is None and empty == ""
    assert repr(empty) == "Tokens(access=None, refresh=None)"


def test_tokens_without_an_access_token_cannot_authenticate() -> None:
    with Surreal("mem://") as connection, pytest.raises(ValueError, match="no access token"):
        connection.authenticate(Tokens(refresh="surreal-refresh-1"))


# --------------------------------------------------------------------------------------------
# surrealdb.types.parse_auth_result
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "access", "refresh"),
    [
        ("eyJ.header.sig", "eyJ.header.sig", None),
        ({"access": "eyJ.a.b"}, "eyJ.a.b", None),
        ({"access": "eyJ.a.b", "refresh": "surreal-refresh-x"}, "eyJ.a.b", "surreal-refresh-x"),
        ({"refresh": "surreal-refresh-y"}, None, "surreal-refresh-y"),
        ({"access": 12, "refresh": 34}, "12", "34"),
        ({}, None, None),
        (None, None, None),
        ([1, 2], None, None),
    ],
)
def test_parse_auth_result(reply: Any, access: str | None, refresh: str | None) -> None:
    tokens = parse_auth_result(reply)
    assert type(tokens) is Tokens
    assert (tokens.access, tokens.refresh) == (access, refresh)


def test_parse_auth_result_of_what_signin_returned(server: ServerInfo) -> None:
    with Surreal(server.http_url) as connection:
        signed_in = connection.signin(root(server))
        tokens = parse_auth_result(str(signed_in))  # the server's reply: the JWT string
        assert tokens == signed_in and tokens.refresh is None
        assert tokens.access is not None and jwt_claims(tokens.access)["ID"] == server.username


# --------------------------------------------------------------------------------------------
# surrealdb.connections.url: UrlScheme and Url
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "blocking", "asyncio_class"),
    [
        (UrlScheme.WS, BlockingWsSurrealConnection, AsyncWsSurrealConnection),
        (UrlScheme.WSS, BlockingWsSurrealConnection, AsyncWsSurrealConnection),
        (UrlScheme.HTTP, BlockingHttpSurrealConnection, AsyncHttpSurrealConnection),
        (UrlScheme.HTTPS, BlockingHttpSurrealConnection, AsyncHttpSurrealConnection),
    ],
)
def test_url_schemes_pick_the_connection_class(
    scheme: UrlScheme, blocking: type[Any], asyncio_class: type[Any]
) -> None:
    url = f"{scheme.value}://db.example.com:8000"
    assert isinstance(Surreal(url), blocking)
    assert isinstance(AsyncSurreal(url=url), asyncio_class)
    assert UrlScheme(scheme.value) is scheme
    assert Url(url).scheme is scheme


def test_an_unknown_scheme_is_refused_in_the_official_words() -> None:
    for factory in (Surreal, AsyncSurreal):
        with pytest.raises(ValueError, match="'gopher' is not a valid UrlScheme") as caught:
            factory("gopher://localhost:8000")
        assert isinstance(caught.value, InvalidURLError)
        assert "supported: ws://" in str(caught.value)


def test_url_splits_what_a_connection_takes() -> None:
    url = Url("wss://db.example.com:9000/rpc")
    assert (url.raw_url, url.scheme, url.hostname, url.port) == (
        "wss://db.example.com:9000",
        UrlScheme.WSS,
        "db.example.com",
        9000,
    )
    plain = Url("http://localhost/")
    assert (plain.raw_url, plain.hostname, plain.port) == ("http://localhost/", "localhost", None)
    assert Url("mem://").scheme is UrlScheme.MEM
    assert Url("memory").scheme is UrlScheme.MEMORY
    assert Url("surrealkv://./data").scheme is UrlScheme.SURREALKV
    with pytest.raises(InvalidURLError, match="credentials"):
        Url("ws://root:secret@localhost:8000")  # what no connection takes, Url refuses
    with pytest.raises(ValueError, match="not a valid UrlScheme"):
        Url("ftp://localhost")


async def test_url_of_a_live_connection(server: ServerInfo) -> None:
    parsed = Url(server.ws_url)
    assert parsed.scheme is UrlScheme.WS
    async with AsyncWsSurrealConnection(f"{parsed.raw_url}/rpc") as connection:
        await connection.signin({"username": server.username, "password": server.password})
        assert await connection.query("RETURN 1") == 1
