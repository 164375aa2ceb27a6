"""URLs, connecting, closing, argument checking and secrets: blocking and asyncio, every transport.

Argument checks are tested on closed connections: a check that runs before anything is sent
raises its InvalidArgumentTypeError (a TypeError) or InvalidArgumentError (a ValueError), both
SurrealErrors, there, while a call that reaches the transport raises
SurrealConnectionError instead; so each test proves "before sending" and never waits for a
server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from surrealdb import (
    NONE,
    AsyncEmbeddedSurrealConnection,
    AsyncHttpSurrealConnection,
    AsyncSurreal,
    AsyncWsSurrealConnection,
    AuthenticationError,
    BlockingEmbeddedSurrealConnection,
    BlockingHttpSurrealConnection,
    BlockingWsSurrealConnection,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidURLError,
    NotFoundError,
    RecordID,
    ServerError,
    Surreal,
    SurrealConnectionError,
    SurrealError,
    Tokens,
    UnencodableValueError,
)
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from tests.conftest import url_for
from tests.integration.test_methods_blocking import assert_is_jwt, root_credentials
from tests.server import ServerInfo

TRANSPORTS = ["ws", "http", "embedded"]
BLOCKING_CLASSES: dict[str, type[BlockingSurrealConnection]] = {
    "ws": BlockingWsSurrealConnection,
    "http": BlockingHttpSurrealConnection,
    "embedded": BlockingEmbeddedSurrealConnection,
}
ASYNC_CLASSES: dict[str, type[AsyncSurrealConnection]] = {
    "ws": AsyncWsSurrealConnection,
    "http": AsyncHttpSurrealConnection,
    "embedded": AsyncEmbeddedSurrealConnection,
}
WRONG_URLS = {
    "ws": "http://127.0.0.1:1",
    "http": "ws://127.0.0.1:1",
    "embedded": "ws://127.0.0.1:1",
}
FAST = 2.0
"""Seconds within which a refused connection must be reported."""


@pytest.fixture
def dead_port() -> int:
    """A loopback port nothing listens on: bound, then closed again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://x", "nope", "redis://localhost:6379", "", "localhost:8000"])
@pytest.mark.parametrize("factory", [Surreal, AsyncSurreal], ids=["Surreal", "AsyncSurreal"])
def test_unsupported_url_lists_the_supported_schemes(
    factory: Callable[[str], object], url: str
) -> None:
    with pytest.raises(InvalidURLError) as caught:
        factory(url)
    message = str(caught.value)
    for scheme in ("ws://", "wss://", "http://", "https://", "mem://"):
        assert scheme in message
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, SurrealError)


@pytest.mark.parametrize("factory", [Surreal, AsyncSurreal], ids=["Surreal", "AsyncSurreal"])
def test_a_url_that_is_not_a_string_is_rejected(factory: Callable[[Any], object]) -> None:
    with pytest.raises(InvalidURLError, match="string"):
        factory(8000)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("flavour", ["blocking", "asyncio"])
def test_a_connection_class_given_another_scheme_is_rejected(flavour: str, transport: str) -> None:
    cls = (BLOCKING_CLASSES if flavour == "blocking" else ASYNC_CLASSES)[transport]
    construct: Callable[[str], object] = cls
    with pytest.raises(InvalidURLError, match="URL") as caught:
        construct(WRONG_URLS[transport])
    assert cls.__name__ in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "ws://root:Sup3r-Secret@127.0.0.1:8000/rpc",
        "http://root:Sup3r-Secret@127.0.0.1:8000",
        "ftp://root:Sup3r-Secret@127.0.0.1",
        "ws://root:Sup3r-Secret@127.0.0.1:notaport",
    ],
)
def test_url_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(InvalidURLError) as caught:
        Surreal(url)
    assert "Sup3r-Secret" not in str(caught.value)
    assert "Sup3r-Secret" not in repr(caught.value)


@pytest.mark.parametrize("suffix", ["", "/", "/rpc", "/rpc/"])
def test_rpc_is_optional_in_ws_urls(server: ServerInfo, suffix: str) -> None:
    url = f"ws://{server.host}:{server.port}{suffix}"
    with Surreal(url) as db:
        assert db.url == f"ws://{server.host}:{server.port}/rpc"
        assert db.version().startswith("surrealdb-")


async def test_rpc_is_optional_in_async_ws_urls(server: ServerInfo) -> None:
    async with AsyncSurreal(f"ws://{server.host}:{server.port}") as db:
        assert (await db.version()).startswith("surrealdb-")


# --------------------------------------------------------------------------------------------
# Connecting lazily, explicitly, and failing to
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_blocking_connect_is_lazy_and_failure_is_quick(dead_port: int, scheme: str) -> None:
    db = Surreal(f"{scheme}://127.0.0.1:{dead_port}")  # does not connect, so does not raise
    try:
        started = time.monotonic()
        with pytest.raises(SurrealConnectionError, match=str(dead_port)):
            db.ping()
        assert time.monotonic() - started < FAST
        with pytest.raises(SurrealConnectionError):  # and again: nothing is cached as connected
            db.version()
        assert isinstance(SurrealConnectionError("x"), ConnectionError)
    finally:
        db.close()


@pytest.mark.parametrize("scheme", ["ws", "http"])
async def test_async_connect_is_lazy_and_failure_is_quick(dead_port: int, scheme: str) -> None:
    db = AsyncSurreal(f"{scheme}://127.0.0.1:{dead_port}")
    try:
        started = time.monotonic()
        with pytest.raises(SurrealConnectionError, match=str(dead_port)):
            await db.ping()
        assert time.monotonic() - started < FAST
        with pytest.raises(SurrealConnectionError):
            await db.version()
    finally:
        await db.close()


def test_explicit_ws_connect_to_a_dead_port_raises(dead_port: int) -> None:
    db = Surreal(f"ws://127.0.0.1:{dead_port}")
    with pytest.raises(SurrealConnectionError):
        db.connect()
    db.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_blocking_explicit_connect_returns_the_connection(
    server: ServerInfo, transport: str
) -> None:
    db = Surreal(url_for(server, transport))
    try:
        assert db.connect() is db
        assert db.connect() is db  # connecting twice is harmless
        assert db.version().startswith("surrealdb-")
    finally:
        db.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_explicit_connect_returns_the_connection(
    server: ServerInfo, transport: str
) -> None:
    db = AsyncSurreal(url_for(server, transport))
    try:
        assert await db.connect() is db
        assert await db.connect() is db
        assert (await db.version()).startswith("surrealdb-")
    finally:
        await db.close()


# --------------------------------------------------------------------------------------------
# Closing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("used", [False, True], ids=["never-connected", "connected"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_blocking_close_twice_then_calls_fail(
    server: ServerInfo, transport: str, used: bool
) -> None:
    db = BLOCKING_CLASSES[transport](url_for(server, transport))
    if used:
        db.ping()
    db.close()
    db.close()
    with pytest.raises(SurrealConnectionError, match="closed"):
        db.ping()
    with pytest.raises(SurrealConnectionError, match="closed"):
        db.connect()
    db.close()


@pytest.mark.parametrize("used", [False, True], ids=["never-connected", "connected"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_close_twice_then_calls_fail(
    server: ServerInfo, transport: str, used: bool
) -> None:
    db = ASYNC_CLASSES[transport](url_for(server, transport))
    if used:
        await db.ping()
    await db.close()
    await db.close()
    with pytest.raises(SurrealConnectionError, match="closed"):
        await db.ping()
    with pytest.raises(SurrealConnectionError, match="closed"):
        await db.connect()
    await db.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_blocking_context_manager_closes(server: ServerInfo, transport: str) -> None:
    outer = Surreal(url_for(server, transport))
    with outer as db:
        assert db is outer
        db.ping()
    with pytest.raises(SurrealConnectionError, match="closed"):
        outer.ping()
    with pytest.raises(RuntimeError, match="boom"), Surreal(url_for(server, transport)) as failing:
        raise RuntimeError("boom")
    with pytest.raises(SurrealConnectionError, match="closed"):
        failing.ping()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_context_manager_closes(server: ServerInfo, transport: str) -> None:
    outer = AsyncSurreal(url_for(server, transport))
    async with outer as db:
        assert db is outer
        await db.ping()
    with pytest.raises(SurrealConnectionError, match="closed"):
        await outer.ping()


# --------------------------------------------------------------------------------------------
# Unencodable values
# --------------------------------------------------------------------------------------------


def test_unencodable_value_names_its_path(db: BlockingSurrealConnection) -> None:
    with pytest.raises(UnencodableValueError) as caught:
        db.create("t", {"x": {"y": [1, object()]}})
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurrealError)
    assert isinstance(caught.value, InvalidArgumentTypeError)
    assert "['x']['y'][1]" in str(caught.value)
    assert "'object'" in str(caught.value)
    assert db.query("RETURN 1") == 1  # the connection still works
    with pytest.raises(NotFoundError):
        db.select("t")  # and nothing was created
    assert db.create("t", {"x": 1})["x"] == 1


async def test_async_unencodable_value_names_its_path(adb: AsyncSurrealConnection) -> None:
    with pytest.raises(UnencodableValueError, match=r"\['x'\]\['y'\]\[1\]"):
        await adb.create("t", {"x": {"y": [1, object()]}})
    assert await adb.query("RETURN 1") == 1
    with pytest.raises(NotFoundError):
        await adb.select("t")


def test_let_with_an_unencodable_value_fails_at_once(db: BlockingSurrealConnection) -> None:
    """Over WebSocket and embedded `let` fails and nothing changes. HTTP keeps variables
    client-side; it must check the value too, not store it and fail every later query."""
    with pytest.raises(UnencodableValueError):
        db.let("bad", object())
    assert db.query("RETURN 1") == 1
    assert db.query("RETURN $bad") is NONE


async def test_async_let_with_an_unencodable_value_fails_at_once(
    adb: AsyncSurrealConnection,
) -> None:
    with pytest.raises(UnencodableValueError):
        await adb.let("bad", object())
    assert await adb.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# Wrong argument types are rejected before anything is sent
# --------------------------------------------------------------------------------------------

WRONG_ARGUMENTS = [
    pytest.param(lambda c: c.select(123), id="select-int"),
    pytest.param(lambda c: c.create(123), id="create-int"),
    pytest.param(lambda c: c.create("t", [1, 2]), id="create-data-list"),
    pytest.param(lambda c: c.insert(123, {}), id="insert-table-int"),
    pytest.param(lambda c: c.insert("t", 5), id="insert-data-int"),
    pytest.param(lambda c: c.insert_relation(123, {}), id="insert_relation-table-int"),
    pytest.param(lambda c: c.update(123), id="update-int"),
    pytest.param(lambda c: c.upsert(123), id="upsert-int"),
    pytest.param(lambda c: c.merge(123, {}), id="merge-int"),
    pytest.param(lambda c: c.patch(123, []), id="patch-int"),
    pytest.param(lambda c: c.patch(RecordID("t", 1), {"op": "add"}), id="patch-patches-dict"),
    pytest.param(lambda c: c.delete(123), id="delete-int"),
    pytest.param(lambda c: c.relate("a:1", "knows", RecordID("a", 2)), id="relate-from-str"),
    pytest.param(lambda c: c.relate(RecordID("a", 1), 5, RecordID("a", 2)), id="relate-table-int"),
    pytest.param(lambda c: c.query(123), id="query-int"),
    pytest.param(lambda c: c.query_all(b"RETURN 1"), id="query_all-bytes"),
    pytest.param(lambda c: c.query_raw(None), id="query_raw-none"),
    pytest.param(lambda c: c.query("RETURN 1", [1, 2]), id="query-vars-list"),
    pytest.param(lambda c: c.let(123, 1), id="let-name-int"),
    pytest.param(lambda c: c.unset(None), id="unset-name-none"),
    pytest.param(lambda c: c.use(123), id="use-int"),
    pytest.param(lambda c: c.signin("root"), id="signin-str"),
    pytest.param(lambda c: c.signup(["root"]), id="signup-list"),
    pytest.param(lambda c: c.authenticate(123), id="authenticate-int"),
    pytest.param(lambda c: c.refresh("token"), id="refresh-str"),
    pytest.param(lambda c: c.revoke("token"), id="revoke-str"),
    pytest.param(lambda c: c.run(123), id="run-name-int"),
    pytest.param(lambda c: c.run("fn::x", args="abc"), id="run-args-str"),
    pytest.param(lambda c: c.attach("abc"), id="attach-str"),
    pytest.param(lambda c: c.detach("abc"), id="detach-str"),
]
WS_WRONG_ARGUMENTS = [
    pytest.param(lambda c: c.live(123), id="live-int"),
    pytest.param(lambda c: c.kill(123), id="kill-int"),
    pytest.param(lambda c: c.commit("abc"), id="commit-str"),
    pytest.param(lambda c: c.cancel("abc"), id="cancel-str"),
]


@pytest.fixture
def closed_blocking(server: ServerInfo, transport: str) -> Iterator[BlockingSurrealConnection]:
    db = Surreal(url_for(server, transport))
    db.close()
    yield db


@pytest.fixture
async def closed_async(server: ServerInfo, transport: str) -> AsyncSurrealConnection:
    db = AsyncSurreal(url_for(server, transport))
    await db.close()
    return db


@pytest.mark.parametrize("call", WRONG_ARGUMENTS)
def test_blocking_wrong_argument_types_raise_before_sending(
    closed_blocking: BlockingSurrealConnection, call: Callable[[Any], object]
) -> None:
    with pytest.raises(InvalidArgumentTypeError) as caught:
        call(closed_blocking)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurrealError)


@pytest.mark.parametrize("transport", ["ws"], indirect=True)
@pytest.mark.parametrize("call", WS_WRONG_ARGUMENTS)
def test_blocking_wrong_argument_types_of_ws_methods(
    closed_blocking: BlockingSurrealConnection, call: Callable[[Any], object]
) -> None:
    with pytest.raises(InvalidArgumentTypeError) as caught:
        call(closed_blocking)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurrealError)


# The request builders are shared by every transport (the blocking tests cover all three), so
# the asyncio twins run on one transport.
@pytest.mark.parametrize("transport", ["ws"], indirect=True)
@pytest.mark.parametrize("call", WRONG_ARGUMENTS)
async def test_async_wrong_argument_types_raise_before_sending(
    closed_async: AsyncSurrealConnection, call: Callable[[Any], Awaitable[object]]
) -> None:
    with pytest.raises(InvalidArgumentTypeError) as caught:
        await call(closed_async)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurrealError)


@pytest.mark.parametrize("transport", ["ws"], indirect=True)
@pytest.mark.parametrize("call", WS_WRONG_ARGUMENTS)
async def test_async_wrong_argument_types_of_ws_methods(
    closed_async: AsyncSurrealConnection, call: Callable[[Any], Awaitable[object]]
) -> None:
    with pytest.raises(InvalidArgumentTypeError) as caught:
        await call(closed_async)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurrealError)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda c: c.select("person:1"), "looks like a record id", id="select-colon"),
        pytest.param(lambda c: c.create("  "), "empty", id="create-blank-table"),
        pytest.param(lambda c: c.let("$", 1), "empty", id="let-empty-name"),
        pytest.param(lambda c: c.refresh(Tokens("a.b.c")), "no refresh token", id="refresh"),
    ],
)
def test_wrong_argument_values_raise_value_error_before_sending(
    closed_blocking: BlockingSurrealConnection, call: Callable[[Any], object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message) as caught:
        call(closed_blocking)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, SurrealError)


def test_except_surreal_error_catches_wrong_arguments(db: BlockingSurrealConnection) -> None:
    """The calls of issue 15, on a working connection: each is refused before it is sent, and
    the connection stays usable."""
    caught: list[SurrealError] = []
    wrong: Any = db  # the wrong arguments are the point
    calls: list[Callable[[], object]] = [
        lambda: wrong.select(""),
        lambda: wrong.select(123),
        lambda: wrong.merge(RecordID("t", 1), [1, 2]),
    ]
    for call in calls:
        try:
            call()
        except SurrealError as error:
            caught.append(error)
    assert [type(error).__name__ for error in caught] == [
        "InvalidTableError",
        "InvalidArgumentTypeError",
        "InvalidArgumentTypeError",
    ]
    assert all(isinstance(error, InvalidArgumentError) for error in caught)
    assert db.query("RETURN 1") == 1


@pytest.mark.parametrize("transport", ["ws"], indirect=True)
@pytest.mark.parametrize("name", ["fn::x; DROP", "fn::x<1.0; x>"])
def test_a_transactions_run_checks_the_function_before_sending(
    db: BlockingSurrealConnection, name: str
) -> None:
    """Inside a transaction `run` is sent as a query, so the name must be a function's name."""
    with db.transaction() as tx:
        function, _, version = name.partition("<")
        with pytest.raises(InvalidArgumentError, match="not a"):
            tx.run(function, version.rstrip(">") or None)
        assert tx.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# Secrets never show up in reprs or messages
# --------------------------------------------------------------------------------------------


def test_repr_and_errors_never_contain_passwords_or_tokens(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    token = assert_is_jwt(db.signin(credentials))
    db.use("test", database_name)
    for text in (repr(db), str(db)):
        assert credentials["password"] not in text
        assert token not in text
        assert token.split(".")[2] not in text

    wrong = "Wr0ng-Pa55word-that-must-not-leak"
    with pytest.raises(AuthenticationError) as failed_signin:
        db.signin({"username": credentials["username"], "password": wrong})
    for text in (
        str(failed_signin.value),
        repr(failed_signin.value),
        repr(failed_signin.value.details),
    ):
        assert wrong not in text

    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[::-1]}"
    with pytest.raises(ServerError) as failed_authenticate:
        db.authenticate(tampered)
    for text in (str(failed_authenticate.value), repr(failed_authenticate.value)):
        assert tampered not in text
        assert signature[::-1] not in text
    assert token not in repr(Tokens(token, token))
    assert db.query("RETURN $token.jti") is not None  # still signed in with the good token
    assert token not in repr(db)


async def test_async_repr_never_contains_the_token(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    if transport == "embedded":
        await adb.query(
            "DEFINE USER IF NOT EXISTS leak_check ON ROOT PASSWORD 'L3ak-Check' ROLES OWNER"
        )
        credentials = {"username": "leak_check", "password": "L3ak-Check"}
    else:
        credentials = {"username": server.username, "password": server.password}
    token = assert_is_jwt(await adb.signin(credentials))
    for text in (repr(adb), str(adb)):
        assert token not in text
        assert credentials["password"] not in text
    with pytest.raises(AuthenticationError) as caught:
        await adb.signin({"username": credentials["username"], "password": "Async-Wr0ng-Pw"})
    assert "Async-Wr0ng-Pw" not in str(caught.value)
    assert "Async-Wr0ng-Pw" not in repr(caught.value)
