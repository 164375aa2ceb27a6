"""Sessions (`db.new_session()`) and transactions (`db.transaction()`, `session.transaction()`)
on the real engine, blocking and asyncio, on every transport (src/surrealdb/scopes.py and
src/surrealdb/transaction_queries.py).

Engine facts these tests rely on, measured on SurrealDB 3.0.2 behind the gateway and on the
embedded engine (docs/sessions-and-transactions.md explains them to users):
- Transactions (begin/commit/cancel) exist only over WebSocket; sessions (attach/detach) on
  every transport. Over HTTP attached sessions live on the server and every HTTP client of that
  server lists them; on the embedded engine `sessions()` also lists the default session.
- A new session is signed out and has no namespace or database. The server and the embedded
  engine refuse anonymous sessions ("Anonymous access not allowed"), so every session here
  signs in first.
- Inside an interactive transaction, the queries of 3.0.2 see `$auth`, `$token`, `$session`
  and `session::ns()/db()/id()` as NONE (variables set with `let` are still there).
- A record that the transaction itself wrote, read back by its id (`select`/`delete` of a
  `RecordID`, `DELETE ... RETURN BEFORE`), comes back without its `id` field on 3.0.2 (the same
  happens in a `BEGIN ... COMMIT` query); table scans return it with its id.
- Two transactions writing the same record: the second `commit` fails with
  "Transaction conflict" (retryable).

Tests that need a second connection or a transaction run on ws only (`ws_only`); every test is
bounded by the module's timeout and every call by the connection's own timeout.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from surrealdb import (
    NONE,
    AuthenticationError,
    NotFoundError,
    QueryError,
    RecordID,
    ServerError,
    Surreal,
    SurrealError,
    Table,
    Tokens,
    UnsupportedFeatureError,
)
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import SessionClosedError, TransactionEndedError
from surrealdb.scopes import AsyncSession, AsyncTransaction, BlockingSession, BlockingTransaction
from tests.conftest import url_for
from tests.integration.test_methods_async import root_credentials as async_root_credentials
from tests.integration.test_methods_async import ws_connection as async_ws_connection
from tests.integration.test_methods_blocking import (
    RECORD_USER_EMAIL,
    by_id,
    define_record_access_sql,
    jwt_claims,
    record_credentials,
    root_credentials,
    without_id,
    ws_connection,
)
from tests.server import ServerInfo

pytestmark = pytest.mark.timeout(30)

ws_only = pytest.mark.parametrize("transport", ["ws"], indirect=True)
not_ws = pytest.mark.parametrize("transport", ["http", "httpx", "embedded"], indirect=True)
http_only = pytest.mark.parametrize("transport", ["http", "httpx"], indirect=True)


class Rollback(Exception):
    """Raised inside a transaction's `with` block to make it cancel."""


def open_session(
    db: BlockingSurrealConnection, credentials: Mapping[str, str], database: str
) -> BlockingSession:
    """A new session on `db`, signed in with `credentials`, using `test`/`database`."""
    session = db.new_session()
    session.signin(credentials)
    session.use("test", database)
    return session


async def open_async_session(
    adb: AsyncSurrealConnection, credentials: Mapping[str, str], database: str
) -> AsyncSession:
    """A new attached session on `adb`, signed in with `credentials`, using `test`/`database`."""
    session = await adb.new_session()
    await session.signin(credentials)
    await session.use("test", database)
    return session


# --------------------------------------------------------------------------------------------
# Sessions: isolation
# --------------------------------------------------------------------------------------------

SESSION_STATE = "RETURN [session::ns(), session::db(), $only_a, $shared]"


def test_sessions_are_isolated_from_each_other_and_from_the_default_session(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    db.let("shared", "default")
    with (
        open_session(db, credentials, f"{database_name}_a") as a,
        open_session(db, credentials, f"{database_name}_b") as b,
    ):
        assert a.id != b.id
        assert a.query("RETURN session::id()") == a.id
        assert b.query("RETURN session::id()") == b.id
        for session in (a, b):
            session.query("DEFINE TABLE item SCHEMALESS")
        a.create(RecordID("item", "a"), {"by": "a"})
        b.create(RecordID("item", "b"), {"by": "b"})
        assert a.select("item") == [{"id": RecordID("item", "a"), "by": "a"}]
        assert b.select("item") == [{"id": RecordID("item", "b"), "by": "b"}]
        with pytest.raises(NotFoundError, match="does not exist"):
            db.select("item")  # the default session uses `database_name`, which has no items

        a.let("only_a", 1)
        assert a.query(SESSION_STATE) == ["test", f"{database_name}_a", 1, NONE]
        assert b.query(SESSION_STATE) == ["test", f"{database_name}_b", NONE, NONE]
        assert db.query(SESSION_STATE) == ["test", database_name, NONE, "default"]
        a.unset("only_a")
        assert a.query("RETURN $only_a") is NONE


async def test_async_sessions_are_isolated_from_each_other_and_from_the_default_session(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = await async_root_credentials(adb, server, transport)
    await adb.let("shared", "default")
    async with (
        await open_async_session(adb, credentials, f"{database_name}_a") as a,
        adb.new_session() as b,
    ):
        await b.signin(credentials)
        await b.use("test", f"{database_name}_b")
        assert a.id != b.id
        assert await a.query("RETURN session::id()") == a.id
        assert await b.query("RETURN session::id()") == b.id
        for session in (a, b):
            await session.query("DEFINE TABLE item SCHEMALESS")
        await a.create(RecordID("item", "a"), {"by": "a"})
        await b.create(RecordID("item", "b"), {"by": "b"})
        assert await a.select("item") == [{"id": RecordID("item", "a"), "by": "a"}]
        assert await b.select("item") == [{"id": RecordID("item", "b"), "by": "b"}]
        with pytest.raises(NotFoundError, match="does not exist"):
            await adb.select("item")

        await a.let("only_a", 1)
        assert await a.query(SESSION_STATE) == ["test", f"{database_name}_a", 1, NONE]
        assert await b.query(SESSION_STATE) == ["test", f"{database_name}_b", NONE, NONE]
        assert await adb.query(SESSION_STATE) == ["test", database_name, NONE, "default"]


def test_signing_in_in_one_session_signs_in_no_other(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    """Over HTTP this fails: HttpSessionState.record() keeps the token of a session's
    signin/signup as the connection's own (src/surrealdb/transports/http_state.py)."""
    credentials = root_credentials(db, server, transport)
    default_token = db.query("RETURN $token.ID")
    db.query(define_record_access_sql("account"))
    with (
        open_session(db, credentials, database_name) as a,
        open_session(db, credentials, database_name) as b,
    ):
        a.signup(record_credentials(database_name, "account"))
        user = a.info()
        assert user is not None
        assert user["email"] == RECORD_USER_EMAIL
        assert a.query("RETURN $auth") == user["id"]

        assert b.info() is None
        assert b.query("RETURN [$auth, $token.ID]") == [NONE, credentials["username"]]
        assert db.info() is None
        assert db.query("RETURN [$auth, $token.ID]") == [NONE, default_token]

        a.invalidate()  # signing out one session signs out no other
        assert b.query("RETURN $token.ID") == credentials["username"]
        assert db.query("RETURN $token.ID") == default_token


async def test_async_signing_in_in_one_session_signs_in_no_other(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    """Fails over HTTP for the reason given in the blocking twin."""
    credentials = await async_root_credentials(adb, server, transport)
    default_token = await adb.query("RETURN $token.ID")
    await adb.query(define_record_access_sql("account"))
    async with (
        await open_async_session(adb, credentials, database_name) as a,
        await open_async_session(adb, credentials, database_name) as b,
    ):
        await a.signup(record_credentials(database_name, "account"))
        user = await a.info()
        assert user is not None
        assert user["email"] == RECORD_USER_EMAIL
        assert await b.info() is None
        assert await b.query("RETURN [$auth, $token.ID]") == [NONE, credentials["username"]]
        assert await adb.info() is None
        assert await adb.query("RETURN [$auth, $token.ID]") == [NONE, default_token]


def test_a_new_session_starts_signed_out_with_no_namespace(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    with db.new_session() as session:
        # Anonymous sessions may not query (the embedded engine's default session needs no
        # sign-in: the `db` fixture never signed in there).
        with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
            session.query("RETURN 1")
        session.signin(credentials)
        assert session.query("RETURN [session::ns(), session::db(), $auth]") == [NONE, NONE, NONE]
        session.use("test", database_name)
        assert session.query("RETURN [session::ns(), session::db(), $token.ID]") == [
            "test",
            database_name,
            credentials["username"],
        ]
    assert db.query("RETURN 1") == 1


def test_sessions_lists_attached_sessions_until_they_are_closed(
    db: BlockingSurrealConnection,
) -> None:
    first, second = db.new_session(), db.new_session()
    assert isinstance(first, BlockingSession)
    assert {first.id, second.id} <= set(db.sessions())
    assert "open" in repr(first)

    first.close()
    listed = db.sessions()
    assert first.id not in listed
    assert second.id in listed
    first.close()  # closing twice is fine
    assert "closed" in repr(first)
    for call in (
        lambda: first.query("RETURN 1"),
        lambda: first.use("test", "x"),
        lambda: first.signin({"username": "x", "password": "y"}),
        lambda: first.sessions(),
    ):
        with pytest.raises(SessionClosedError, match=f"session {first.id} is closed") as caught:
            call()
        assert isinstance(caught.value, SurrealError)

    with second:
        pass
    assert second.id not in db.sessions()
    with pytest.raises(SessionClosedError):
        second.query("RETURN 1")


async def test_async_sessions_lists_attached_sessions_until_they_are_closed(
    adb: AsyncSurrealConnection,
) -> None:
    awaited = await adb.new_session()
    assert isinstance(awaited, AsyncSession)
    async with adb.new_session() as entered:
        assert {awaited.id, entered.id} <= set(await adb.sessions())
    assert entered.id not in await adb.sessions()
    assert awaited.id in await adb.sessions()
    await awaited.close()
    await awaited.close()  # closing twice is fine
    assert awaited.id not in await adb.sessions()
    for session in (awaited, entered):
        with pytest.raises(SessionClosedError, match="is closed"):
            await session.query("RETURN 1")

    lazy = adb.new_session()  # neither awaited nor entered: attached by its first call
    assert "not attached" in repr(lazy)
    assert lazy.id not in await adb.sessions()
    await lazy.ping()
    assert lazy.id in await adb.sessions()
    await lazy.close()
    never = adb.new_session()
    await never.close()  # closing a session that never attached sends nothing
    with pytest.raises(SessionClosedError):
        await never.query("RETURN 1")


@http_only
def test_http_sessions_live_on_the_server_and_are_shared(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    with db.new_session() as session, ws_connection(server, database_name) as ws:
        with Surreal(url_for(server, "http")) as other_http:
            other_http.signin({"username": server.username, "password": server.password})
            assert session.id in other_http.sessions()  # HTTP sessions are server-wide
        assert session.id not in ws.sessions()  # a WebSocket lists only its own sessions
        session.signin({"username": server.username, "password": server.password})
        session.use("test", f"{database_name}_s")
        session.let("v", 1)
        db.let("w", 2)  # the connection's HTTP variables stay out of the session's queries
        assert session.query("RETURN [session::db(), $v, $w]") == [f"{database_name}_s", 1, NONE]
        assert db.query("RETURN [session::db(), $v, $w]") == [database_name, NONE, 2]
    with Surreal(url_for(server, "http")) as other_http:
        other_http.signin({"username": server.username, "password": server.password})
        assert session.id not in other_http.sessions()


# --------------------------------------------------------------------------------------------
# Sessions: reset, invalidate, refresh, revoke
# --------------------------------------------------------------------------------------------


def _assert_reset(session: BlockingSession, credentials: Mapping[str, str]) -> None:
    """A session just reset is signed out (it may not query until it signs in again), with no
    namespace, database or variables."""
    with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
        session.query("RETURN 1")
    session.signin(dict(credentials))
    assert session.query("RETURN [session::ns(), session::db(), $auth]") == [NONE, NONE, NONE]
    with pytest.raises(QueryError, match="Specify a namespace"):
        session.query("RETURN $v")  # an unknown variable needs a namespace to look in


def test_reset_in_a_session_clears_only_that_session(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    default_token = db.query("RETURN $token.ID")
    db.let("v", "default")
    with (
        open_session(db, credentials, f"{database_name}_a") as a,
        open_session(db, credentials, f"{database_name}_b") as b,
    ):
        a.let("v", "a")
        b.let("v", "b")
        a.reset()
        _assert_reset(a, credentials)
        state = "RETURN [session::ns(), session::db(), $v, $token.ID]"
        assert b.query(state) == ["test", f"{database_name}_b", "b", credentials["username"]]
        assert db.query(state) == ["test", database_name, "default", default_token]
        a.signin(credentials)
        a.use("test", f"{database_name}_a")
        assert a.query(state) == ["test", f"{database_name}_a", NONE, credentials["username"]]
        assert a.id in db.sessions()  # reset keeps the session attached


async def test_async_reset_in_a_session_clears_only_that_session(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = await async_root_credentials(adb, server, transport)
    default_token = await adb.query("RETURN $token.ID")
    await adb.let("v", "default")
    async with await open_async_session(adb, credentials, f"{database_name}_a") as a:
        await a.let("v", "a")
        await a.reset()
        with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
            await a.query("RETURN 1")
        state = "RETURN [session::ns(), session::db(), $v, $token.ID]"
        assert await adb.query(state) == ["test", database_name, "default", default_token]
        await a.signin(credentials)
        assert await a.query("RETURN session::ns()") is NONE
        await a.use("test", database_name)
        assert await a.query("RETURN $v") is NONE


def test_invalidate_in_a_session_signs_out_only_that_session(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    default_token = db.query("RETURN $token.ID")
    with open_session(db, credentials, database_name) as session:
        session.invalidate()
        with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
            session.query("RETURN 1")
        assert db.query("RETURN $token.ID") == default_token
        session.signin(credentials)  # invalidate keeps the namespace and database
        assert session.query("RETURN session::db()") == database_name


def test_refresh_and_revoke_in_a_session(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    """Over HTTP this fails: the session's refreshed token becomes the connection's token
    (HttpSessionState.record(), src/surrealdb/transports/http_state.py)."""
    credentials = root_credentials(db, server, transport)
    default_token = db.query("RETURN $token.ID")
    db.query(define_record_access_sql("renewable", refresh=True))
    with open_session(db, credentials, database_name) as session:
        signed_up = session.signup(record_credentials(database_name, "renewable"))
        assert isinstance(signed_up, Tokens)
        renewed = session.refresh(signed_up)
        assert renewed.refresh is not None
        assert renewed.refresh != signed_up.refresh
        assert session.query("RETURN $token.jti") == jwt_claims(renewed)["jti"]
        with pytest.raises(AuthenticationError):
            session.refresh(signed_up)  # a refresh token is single-use
        session.revoke(renewed)
        with pytest.raises(AuthenticationError):
            session.refresh(renewed)
        user = session.info()
        assert user is not None  # the access token itself stays valid
        assert user["email"] == RECORD_USER_EMAIL
        assert db.info() is None
        assert db.query("RETURN $token.ID") == default_token


async def test_async_refresh_and_revoke_in_a_session(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    """Fails over HTTP for the reason given in the blocking twin."""
    credentials = await async_root_credentials(adb, server, transport)
    default_token = await adb.query("RETURN $token.ID")
    await adb.query(define_record_access_sql("renewable", refresh=True))
    async with await open_async_session(adb, credentials, database_name) as session:
        signed_up = await session.signup(record_credentials(database_name, "renewable"))
        assert isinstance(signed_up, Tokens)
        renewed = await session.refresh(signed_up)
        assert await session.query("RETURN $token.jti") == jwt_claims(renewed)["jti"]
        await session.revoke(renewed)
        with pytest.raises(AuthenticationError):
            await session.refresh(renewed)
        assert await session.info() is not None
        assert await adb.info() is None
        assert await adb.query("RETURN $token.ID") == default_token


# --------------------------------------------------------------------------------------------
# Transactions: every write method, cancelled and committed (WebSocket)
# --------------------------------------------------------------------------------------------

ADA, BOB = RecordID("person", "ada"), RecordID("person", "bob")
NEW_ITEM = RecordID("item", "new")

SETUP = """
    DEFINE TABLE person SCHEMALESS;
    DEFINE TABLE item SCHEMALESS;
    DEFINE TABLE knows TYPE RELATION SCHEMALESS;
    DEFINE FUNCTION fn::add_item($n: int) { RETURN CREATE ONLY item:fn SET n = $n; };
    CREATE person:ada SET name = 'Ada', age = 36;
    CREATE person:bob SET name = 'Bob', age = 40;
    CREATE item:old SET n = 0;
    INSERT RELATION INTO knows { id: knows:old, in: person:ada, out: person:bob, since: 2001 };
"""
"""The data every transaction test starts from (tables defined before any transaction)."""

TABLES = ("person", "item", "knows")
SNAPSHOT = "SELECT * FROM person; SELECT * FROM item; SELECT * FROM knows"


def _snapshot(results: list[Any]) -> dict[str, list[dict[str, Any]]]:
    return {table: by_id(rows) for table, rows in zip(TABLES, results, strict=True)}


def snapshot(scope: Any) -> dict[str, list[dict[str, Any]]]:
    """Every record of the test tables, as `scope` (connection, session, transaction) sees it."""
    return _snapshot(scope.query_all(SNAPSHOT))


async def async_snapshot(scope: Any) -> dict[str, list[dict[str, Any]]]:
    """`snapshot` for asyncio scopes."""
    return _snapshot(await scope.query_all(SNAPSHOT))


def _edge(result: Any) -> Any:
    """A relation the server gave a generated id: its table, ends and content."""
    return (result["id"].table, result["in"], result["out"], without_id(result))


def _rows(result: Any) -> Any:
    return by_id(result)


@dataclass(frozen=True)
class Write:
    """One write: `method(*args, **kwargs)` on a transaction, and the result it must give."""

    method: str
    args: tuple[Any, ...]
    expected: Any
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    view: Callable[[Any], Any] = lambda result: result

    def on(self, scope: Any) -> Any:
        return getattr(scope, self.method)(*self.args, **self.kwargs)


WRITES = [
    pytest.param(Write("create", (NEW_ITEM, {"n": 1}), {"id": NEW_ITEM, "n": 1}), id="create"),
    pytest.param(
        Write("insert", ("item", [{"id": NEW_ITEM, "n": 1}]), [{"id": NEW_ITEM, "n": 1}]),
        id="insert",
    ),
    pytest.param(
        Write(
            "insert_relation",
            ("knows", {"id": RecordID("knows", "new"), "in": BOB, "out": ADA}),
            [{"id": RecordID("knows", "new"), "in": BOB, "out": ADA}],
        ),
        id="insert_relation",
    ),
    pytest.param(
        Write("update", (ADA, {"name": "Ada L."}), {"id": ADA, "name": "Ada L."}), id="update"
    ),
    pytest.param(
        Write("update", ("item", {"n": 5}), [{"id": RecordID("item", "old"), "n": 5}]),
        id="update-table",
    ),
    pytest.param(Write("upsert", (NEW_ITEM, {"n": 1}), {"id": NEW_ITEM, "n": 1}), id="upsert"),
    pytest.param(
        Write("merge", (ADA, {"age": 37}), {"id": ADA, "name": "Ada", "age": 37}), id="merge"
    ),
    pytest.param(
        Write(
            "merge",
            ("person", {"team": "A"}),
            [
                {"id": ADA, "name": "Ada", "age": 36, "team": "A"},
                {"id": BOB, "name": "Bob", "age": 40, "team": "A"},
            ],
            view=_rows,
        ),
        id="merge-table",
    ),
    pytest.param(
        Write(
            "patch",
            (ADA, [{"op": "replace", "path": "/age", "value": 37}]),
            {"id": ADA, "name": "Ada", "age": 37},
        ),
        id="patch",
    ),
    pytest.param(
        Write(
            "patch",
            ("person", [{"op": "remove", "path": "/age"}]),
            [{"id": ADA, "name": "Ada"}, {"id": BOB, "name": "Bob"}],
            view=_rows,
        ),
        id="patch-table",
    ),
    pytest.param(
        Write("delete", (BOB,), {"id": BOB, "name": "Bob", "age": 40}),
        id="delete",
    ),
    pytest.param(
        Write("delete", ("item",), [{"id": RecordID("item", "old"), "n": 0}]), id="delete-table"
    ),
    pytest.param(
        Write(
            "relate",
            (ADA, "knows", BOB, {"since": 2024}),
            ("knows", ADA, BOB, {"in": ADA, "out": BOB, "since": 2024}),
            view=_edge,
        ),
        id="relate",
    ),
    pytest.param(
        Write(
            "run",
            ("fn::add_item",),
            {"id": RecordID("item", "fn"), "n": 5},
            kwargs={"args": [5]},
        ),
        id="run-writing-function",
    ),
    pytest.param(
        Write(
            "query",
            ("CREATE ONLY item:q SET n = $n; UPDATE person SET seen = true RETURN NONE", {"n": 9}),
            [],
        ),
        id="query",
    ),
]


@ws_only
@pytest.mark.parametrize("write", WRITES)
def test_cancel_rolls_back_every_write_method(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str, write: Write
) -> None:
    db.query(SETUP)
    before = snapshot(db)
    with ws_connection(server, database_name) as other:
        with pytest.raises(Rollback), db.transaction() as tx:
            assert write.view(write.on(tx)) == write.expected
            during = snapshot(tx)
            assert during != before  # reads inside the transaction see its own writes
            assert snapshot(db) == before  # ... reads outside it do not
            assert snapshot(other) == before
            raise Rollback
        assert "cancelled" in repr(tx)
        assert snapshot(db) == before
        assert snapshot(other) == before


@ws_only
@pytest.mark.parametrize("write", WRITES)
def test_commit_keeps_every_write_method(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str, write: Write
) -> None:
    db.query(SETUP)
    before = snapshot(db)
    with ws_connection(server, database_name) as other:
        with db.transaction() as tx:
            assert write.view(write.on(tx)) == write.expected
            during = snapshot(tx)
            assert during != before
            assert snapshot(other) == before
        assert "committed" in repr(tx)
        assert snapshot(db) == during
        assert snapshot(other) == during


@ws_only
@pytest.mark.parametrize("write", WRITES)
async def test_async_cancel_rolls_back_every_write_method(
    adb: AsyncSurrealConnection, server: ServerInfo, database_name: str, write: Write
) -> None:
    await adb.query(SETUP)
    before = await async_snapshot(adb)
    async with async_ws_connection(server, database_name) as other:
        with pytest.raises(Rollback):
            async with adb.transaction() as tx:
                assert write.view(await write.on(tx)) == write.expected
                assert await async_snapshot(tx) != before
                assert await async_snapshot(adb) == before
                assert await async_snapshot(other) == before
                raise Rollback
        assert "cancelled" in repr(tx)
        assert await async_snapshot(adb) == before
        assert await async_snapshot(other) == before


@ws_only
@pytest.mark.parametrize("write", WRITES)
async def test_async_commit_keeps_every_write_method(
    adb: AsyncSurrealConnection, server: ServerInfo, database_name: str, write: Write
) -> None:
    await adb.query(SETUP)
    before = await async_snapshot(adb)
    async with async_ws_connection(server, database_name) as other:
        tx = await adb.transaction()
        assert write.view(await write.on(tx)) == write.expected
        during = await async_snapshot(tx)
        assert during != before
        assert await async_snapshot(other) == before
        await tx.commit()
        assert await async_snapshot(adb) == during
        assert await async_snapshot(other) == during


# --------------------------------------------------------------------------------------------
# Transactions: results have the same shape as outside (WebSocket)
# --------------------------------------------------------------------------------------------

MISSING = RecordID("person", "nobody")


@dataclass(frozen=True)
class Call:
    """A call whose result must be the same inside a transaction and outside it."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    generated_id: bool = False

    def on(self, scope: Any) -> Any:
        return getattr(scope, self.method)(*self.args, **self.kwargs)

    def comparable(self, result: Any) -> Any:
        if isinstance(result, list):
            records = all(isinstance(r, dict) and "id" in r for r in result)
            return by_id(result) if records else result
        if self.generated_id and isinstance(result, dict):
            return _edge(result)
        return result


SAME_SHAPE_CALLS = [
    pytest.param(Call("select", (ADA,)), id="select-record"),
    pytest.param(Call("select", ("person",)), id="select-table"),
    pytest.param(Call("create", (NEW_ITEM, {"n": 1})), id="create"),
    pytest.param(Call("insert", ("item", {"id": NEW_ITEM})), id="insert-one"),
    pytest.param(Call("update", (ADA, {"name": "Ada L."})), id="update-record"),
    pytest.param(Call("update", (MISSING, {"name": "x"})), id="update-missing"),
    pytest.param(Call("update", (Table("person"), {"x": 1})), id="update-table"),
    pytest.param(Call("update", (ADA,)), id="update-without-data"),
    pytest.param(Call("upsert", (ADA, {"name": "A"})), id="upsert-record"),
    pytest.param(Call("merge", (ADA, {"age": 1})), id="merge-record"),
    pytest.param(Call("merge", (MISSING, {"age": 1})), id="merge-missing"),
    pytest.param(Call("merge", ("person", {"age": 1})), id="merge-table"),
    pytest.param(Call("patch", (ADA, [{"op": "add", "path": "/x", "value": 1}])), id="patch"),
    pytest.param(
        Call("patch", (ADA, [{"op": "add", "path": "/x", "value": 1}]), {"diff": True}),
        id="patch-diff",
    ),
    pytest.param(
        Call("patch", (MISSING, [{"op": "add", "path": "/x", "value": 1}])), id="patch-missing"
    ),
    pytest.param(
        Call("patch", ("person", [{"op": "add", "path": "/x", "value": 1}])), id="patch-table"
    ),
    pytest.param(
        Call("patch", ("person", [{"op": "add", "path": "/x", "value": 1}]), {"diff": True}),
        id="patch-table-diff",
    ),
    pytest.param(Call("delete", (BOB,)), id="delete-record"),
    pytest.param(Call("delete", (MISSING,)), id="delete-missing"),
    pytest.param(Call("delete", ("item",)), id="delete-table"),
    pytest.param(Call("relate", (ADA, "knows", BOB, {"since": 1}), generated_id=True), id="relate"),
    pytest.param(
        Call("relate", (BOB, Table("knows"), ADA), generated_id=True), id="relate-without-data"
    ),
    pytest.param(
        Call("insert_relation", ("knows", {"id": RecordID("knows", "x"), "in": ADA, "out": ADA})),
        id="insert_relation",
    ),
    pytest.param(Call("run", ("fn::add_item",), {"args": [3]}), id="run-function"),
    pytest.param(Call("run", ("string::uppercase", None, ["ab"])), id="run-builtin"),
    pytest.param(Call("run", ("math::max",), {"args": [[1, 5, 3]]}), id="run-builtin-list"),
    pytest.param(Call("info"), id="info-root"),
    pytest.param(Call("query", ("SELECT VALUE name FROM person ORDER BY name",)), id="query"),
    pytest.param(Call("query_all", ("RETURN 1; RETURN [2]",)), id="query_all"),
]


@ws_only
@pytest.mark.parametrize("call", SAME_SHAPE_CALLS)
def test_results_inside_a_transaction_have_the_same_shape_as_outside(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str, call: Call
) -> None:
    with ws_connection(server, f"{database_name}_outside") as outside:
        outside.query(SETUP)
        db.query(SETUP)
        expected = call.on(outside)
        with db.transaction() as tx:
            inside = call.on(tx)
        assert type(inside) is type(expected)
        assert call.comparable(inside) == call.comparable(expected)
        assert snapshot(db) == snapshot(outside) or call.generated_id


@ws_only
@pytest.mark.parametrize("call", SAME_SHAPE_CALLS)
async def test_async_results_inside_a_transaction_have_the_same_shape_as_outside(
    adb: AsyncSurrealConnection, server: ServerInfo, database_name: str, call: Call
) -> None:
    async with async_ws_connection(server, f"{database_name}_outside") as outside:
        await outside.query(SETUP)
        await adb.query(SETUP)
        expected = await call.on(outside)
        async with adb.transaction() as tx:
            inside = await call.on(tx)
        assert type(inside) is type(expected)
        assert call.comparable(inside) == call.comparable(expected)


@ws_only
def test_info_inside_a_transaction_is_the_signed_in_record_user(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    """Fails: inside a transaction `info` is sent as `SELECT * FROM $auth`
    (src/surrealdb/transaction_queries.py `_info`), but 3.0.2 queries run in a transaction see
    `$auth` as NONE, so `tx.info()` returns None for a signed-in record user."""
    db.query(define_record_access_sql("account"))
    db.signup(record_credentials(database_name, "account"))
    user = db.info()
    assert user is not None
    with db.transaction() as tx:
        assert tx.query("RETURN $auth") is NONE  # the engine fact behind the failure
        assert tx.info() == user


# --------------------------------------------------------------------------------------------
# Transactions: lifecycle (WebSocket)
# --------------------------------------------------------------------------------------------

CALLS_ON_AN_ENDED_TRANSACTION: list[tuple[str, tuple[Any, ...]]] = [
    ("query", ("RETURN 1",)),
    ("select", ("item",)),
    ("create", (RecordID("item", "late"), {"n": 1})),
    ("update", (RecordID("item", "late"), {"n": 1})),
    ("patch", (RecordID("item", "late"), [])),
    ("relate", (ADA, "knows", BOB)),
    ("run", ("time::now",)),
    ("info", ()),
    ("let", ("x", 1)),
    ("commit", ()),
    ("cancel", ()),
]


@ws_only
@pytest.mark.parametrize("end", ["commit", "cancel"])
def test_an_ended_transaction_refuses_every_call(db: BlockingSurrealConnection, end: str) -> None:
    db.query(SETUP)
    tx = db.transaction()
    assert isinstance(tx, BlockingTransaction)
    assert "open" in repr(tx)
    begun = tx.id
    getattr(tx, end)()
    ended = {"commit": "committed", "cancel": "cancelled"}[end]
    assert f"{begun} {ended}" in repr(tx)
    for method, args in CALLS_ON_AN_ENDED_TRANSACTION:
        with pytest.raises(TransactionEndedError) as caught:
            getattr(tx, method)(*args)
        assert isinstance(caught.value, SurrealError)
        assert f"this transaction was {ended}" in str(caught.value), method
        assert "transaction()" in str(caught.value)
    with pytest.raises(TransactionEndedError):
        _ = tx.id
    assert db.query("RETURN 1") == 1  # the connection is fine


@ws_only
@pytest.mark.parametrize("end", ["commit", "cancel"])
async def test_async_an_ended_transaction_refuses_every_call(
    adb: AsyncSurrealConnection, end: str
) -> None:
    await adb.query(SETUP)
    tx = await adb.transaction()
    assert isinstance(tx, AsyncTransaction)
    await getattr(tx, end)()
    ended = {"commit": "committed", "cancel": "cancelled"}[end]
    for method, args in CALLS_ON_AN_ENDED_TRANSACTION:
        with pytest.raises(TransactionEndedError, match=f"this transaction was {ended}"):
            await getattr(tx, method)(*args)
    assert ended in repr(tx)


@ws_only
async def test_async_transaction_not_begun_refuses_every_call(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.query(SETUP)
    tx = adb.transaction()  # neither awaited nor entered
    assert "not begun" in repr(tx)
    for method, args in CALLS_ON_AN_ENDED_TRANSACTION:
        with pytest.raises(TransactionEndedError, match="has not begun") as caught:
            await getattr(tx, method)(*args)
        assert "async with db.transaction()" in str(caught.value)
    with pytest.raises(TransactionEndedError, match="has not begun"):
        _ = tx.id
    assert await adb.select("item") == [{"id": RecordID("item", "old"), "n": 0}]


@ws_only
def test_an_exception_in_the_block_cancels_and_propagates(db: BlockingSurrealConnection) -> None:
    db.query(SETUP)
    before = snapshot(db)
    with pytest.raises(Rollback, match="boom"), db.transaction() as tx:
        tx.create(NEW_ITEM)
        tx.update(ADA, {"name": "gone"})
        raise Rollback("boom")
    assert "cancelled" in repr(tx)
    assert snapshot(db) == before
    with pytest.raises(KeyboardInterrupt), db.transaction() as tx:  # BaseException too
        tx.create(NEW_ITEM)
        raise KeyboardInterrupt
    assert "cancelled" in repr(tx)
    assert snapshot(db) == before


@ws_only
async def test_async_an_exception_in_the_block_cancels_and_propagates(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.query(SETUP)
    before = await async_snapshot(adb)
    with pytest.raises(Rollback, match="boom"):
        async with adb.transaction() as tx:
            await tx.create(NEW_ITEM)
            await tx.relate(ADA, "knows", BOB)
            raise Rollback("boom")
    assert "cancelled" in repr(tx)
    assert await async_snapshot(adb) == before


@ws_only
def test_explicit_commit_or_cancel_inside_the_block(db: BlockingSurrealConnection) -> None:
    db.query(SETUP)
    with pytest.raises(Rollback), db.transaction() as tx:
        tx.create(NEW_ITEM, {"n": 1})
        tx.commit()
        raise Rollback  # after the commit: nothing left to cancel
    assert db.select(NEW_ITEM) == {"id": NEW_ITEM, "n": 1}
    with db.transaction() as tx:
        tx.delete(NEW_ITEM)
        tx.cancel()  # the block's end does not commit a cancelled transaction
    assert db.select(NEW_ITEM) == {"id": NEW_ITEM, "n": 1}


@ws_only
def test_transactions_do_not_nest_but_several_may_be_open(
    db: BlockingSurrealConnection,
) -> None:
    db.query(SETUP)
    with db.transaction() as outer:
        with pytest.raises(SurrealError, match="do not nest"):
            outer.begin()
        inner = db.transaction()  # a second, independent transaction
        assert inner.id != outer.id
        outer.create(RecordID("item", "outer"))
        inner.create(RecordID("item", "inner"))
        assert outer.select(RecordID("item", "inner")) is None
        inner.cancel()
    assert [row["id"] for row in by_id(db.select("item"))] == [
        RecordID("item", "old"),
        RecordID("item", "outer"),
    ]


@ws_only
async def test_async_transactions_do_not_nest(adb: AsyncSurrealConnection) -> None:
    async with adb.transaction() as tx:
        with pytest.raises(SurrealError, match="do not nest"):
            await tx.begin()
        assert await tx.query("RETURN 1") == 1


@ws_only
def test_a_failed_commit_ends_the_transaction_without_claiming_it_committed(
    db: BlockingSurrealConnection,
) -> None:
    """Fails: BlockingTransaction._end (src/surrealdb/scopes.py) marks the transaction
    "committed" before the server answers, so after a failed commit every later call says
    "this transaction was committed" although nothing was."""
    db.query(SETUP)
    first, second = db.transaction(), db.transaction()
    first.merge(ADA, {"age": 1})
    second.merge(ADA, {"age": 2})
    first.commit()
    with pytest.raises(ServerError, match="Transaction conflict"):
        second.commit()
    assert db.select(ADA) == {"id": ADA, "name": "Ada", "age": 1}
    with pytest.raises(TransactionEndedError) as caught:
        second.query("RETURN 1")
    assert "was committed" not in str(caught.value)
    assert "committed" not in repr(second).split()[-1]


@ws_only
def test_let_and_use_on_a_transaction_act_on_the_session_at_once(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    """Engine behaviour: session state is not transactional."""
    db.query(SETUP)
    with pytest.raises(Rollback), db.transaction() as tx:
        tx.let("v", 1)
        assert db.query("RETURN $v") == 1  # before any commit
        assert tx.query("RETURN $v") == 1
        raise Rollback
    assert db.query("RETURN $v") == 1  # the cancel did not undo it
    with db.transaction() as tx:
        tx.use("test", f"{database_name}_other")
        assert db.query("RETURN session::db()") == f"{database_name}_other"
        with pytest.raises(NotFoundError, match=f"database '{database_name}_other' does not"):
            tx.create(NEW_ITEM)


@ws_only
def test_engine_queries_in_a_transaction_see_no_session_values(
    db: BlockingSurrealConnection,
) -> None:
    """Engine behaviour (3.0.2): `$auth`, `$token`, `$session` and `session::*()` are NONE in
    a transaction's queries, while `let` variables are there."""
    db.query(SETUP)
    db.let("v", 1)
    values = "RETURN [$token.ID, $session.db, session::ns(), session::db(), session::id(), $v]"
    outside = db.query(values)
    assert outside[2:4] == ["test", outside[1]]
    assert NONE not in outside
    with db.transaction() as tx:
        assert tx.query(values) == [NONE, NONE, NONE, NONE, NONE, 1]
        assert tx.query("RETURN $auth") is NONE
        assert by_id(tx.select("person"))[0]["id"] == ADA  # yet it runs in the database


@ws_only
def test_engine_a_record_the_transaction_wrote_reads_back_by_id_without_its_id(
    db: BlockingSurrealConnection,
) -> None:
    """Engine behaviour (3.0.2): reading by id a record written in the same transaction gives
    it without `id`; a table scan includes the id; records not written by it are complete."""
    db.query(SETUP)
    with db.transaction() as tx:
        assert tx.create(NEW_ITEM, {"n": 1}) == {"id": NEW_ITEM, "n": 1}
        assert tx.select(NEW_ITEM) == {"n": 1}
        assert {"id": NEW_ITEM, "n": 1} in tx.select("item")
        assert tx.select(ADA) == {"id": ADA, "name": "Ada", "age": 36}
        tx.merge(ADA, {"age": 37})
        assert tx.select(ADA) == {"name": "Ada", "age": 37}
        assert tx.delete(NEW_ITEM) == {"n": 1}
        assert tx.delete(BOB) == {"id": BOB, "name": "Bob", "age": 40}
        tx.cancel()


# --------------------------------------------------------------------------------------------
# Transactions in a session (WebSocket)
# --------------------------------------------------------------------------------------------


@ws_only
def test_a_session_transaction_stays_in_the_session(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    session_db = f"{database_name}_s"
    db.query(SETUP)
    with (
        open_session(
            db, {"username": server.username, "password": server.password}, session_db
        ) as session,
        ws_connection(server, session_db) as other,
    ):
        session.query(SETUP)
        before = snapshot(session)
        with session.transaction() as tx:
            tx.create(NEW_ITEM, {"in": "session"})
            tx.update(ADA, {"name": "Ada S."})
            assert by_id(tx.select("item")) != before["item"]
            assert session.select(NEW_ITEM) is None  # the session outside the transaction
        assert session.select(NEW_ITEM) == {"id": NEW_ITEM, "in": "session"}
        assert other.select(ADA) == {"id": ADA, "name": "Ada S."}
        assert db.select(NEW_ITEM) is None  # the connection's database is untouched
        assert db.select(ADA) == {"id": ADA, "name": "Ada", "age": 36}

        after_commit = snapshot(session)
        with pytest.raises(Rollback), session.transaction() as tx:
            tx.delete(NEW_ITEM)
            tx.patch(ADA, [{"op": "add", "path": "/x", "value": 1}])
            raise Rollback
        assert snapshot(session) == after_commit
        assert snapshot(other) == after_commit


@ws_only
async def test_async_a_session_transaction_stays_in_the_session(
    adb: AsyncSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    session_db = f"{database_name}_s"
    credentials = {"username": server.username, "password": server.password}
    await adb.query(SETUP)
    async with adb.new_session() as session:
        await session.signin(credentials)
        await session.use("test", session_db)
        await session.query(SETUP)
        tx = await session.transaction()
        await tx.create(NEW_ITEM, {"in": "session"})
        await tx.run("fn::add_item", args=[1])
        assert await session.select(NEW_ITEM) is None
        await tx.commit()
        assert await session.select(NEW_ITEM) == {"id": NEW_ITEM, "in": "session"}
        assert await session.select(RecordID("item", "fn")) == {
            "id": RecordID("item", "fn"),
            "n": 1,
        }
        assert await adb.select(NEW_ITEM) is None


@ws_only
def test_a_closed_session_cannot_begin_a_transaction(db: BlockingSurrealConnection) -> None:
    """Fails: BlockingSession.transaction() (src/surrealdb/scopes.py) does not check that the
    session is closed; it begins a transaction whose calls then fail with "Session not found"."""
    session = db.new_session()
    session.close()
    with pytest.raises(SessionClosedError):
        session.transaction()


@ws_only
async def test_async_session_transaction_attaches_a_session_not_yet_attached(
    adb: AsyncSurrealConnection, server: ServerInfo
) -> None:
    """Fails: AsyncSession.transaction() (src/surrealdb/scopes.py) does not attach a session
    that was neither awaited nor entered (every other call does), so the transaction's calls
    fail with "Session not found"."""
    lazy = adb.new_session()
    async with lazy.transaction() as tx:
        await tx.signin({"username": server.username, "password": server.password})
        assert await tx.query("RETURN 1") == 1
    assert lazy.id in await adb.sessions()
    await lazy.close()


@ws_only
async def test_async_a_closed_session_cannot_begin_a_transaction(
    adb: AsyncSurrealConnection,
) -> None:
    """Fails: AsyncSession.transaction() (src/surrealdb/scopes.py) does not check that the
    session is closed; it begins a transaction whose calls then fail with "Session not found"."""
    session = await adb.new_session()
    await session.close()
    with pytest.raises(SessionClosedError):
        await session.transaction()


# --------------------------------------------------------------------------------------------
# What each transport supports
# --------------------------------------------------------------------------------------------


@not_ws
def test_transactions_are_unsupported_over_http_and_embedded(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    title = {"http": "HTTP", "httpx": "HTTP", "embedded": "the embedded engine"}[transport]
    with pytest.raises(UnsupportedFeatureError, match=f"not available over {title}") as caught:
        db.transaction()
    assert "ws://" in str(caught.value)
    credentials = root_credentials(db, server, transport)
    with open_session(db, credentials, database_name) as session:
        with pytest.raises(UnsupportedFeatureError, match="ws://"):
            session.transaction()
        assert session.query("RETURN session::db()") == database_name  # the session works
    assert db.query("RETURN 1") == 1


@not_ws
async def test_async_transactions_are_unsupported_over_http_and_embedded(
    adb: AsyncSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        await adb.transaction()
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        async with adb.transaction():
            pass
    credentials = await async_root_credentials(adb, server, transport)
    async with await open_async_session(adb, credentials, database_name) as session:
        with pytest.raises(UnsupportedFeatureError, match="ws://"):
            await session.transaction()
        assert await session.query("RETURN session::db()") == database_name
    assert await adb.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# docs/sessions-and-transactions.md and its examples
# --------------------------------------------------------------------------------------------

ROOT_DIR = Path(__file__).resolve().parents[2]
DOC = ROOT_DIR / "docs" / "sessions-and-transactions.md"
EXAMPLES = ROOT_DIR / "docs" / "examples" / "sessions_and_transactions.py"

EXAMPLE_TRANSPORTS = {
    "sessions_on_one_connection": "ws",
    "transaction_commits_or_cancels": "ws",
    "explicit_commit_and_cancel": "ws",
    "transaction_in_a_session": "ws",
    "asyncio_sessions_and_transactions": "ws",
    "http_sessions": "http",
    "embedded_sessions": "embedded",
}
"""Every example function and the transport it runs on."""


def load_examples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sessions_and_transactions_examples", EXAMPLES)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_file_blocks() -> list[str]:
    """The example file as the document shows it: its imports and constants, then each
    function, each one block."""
    source = EXAMPLES.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring is not shown
    functions = [n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    header = [n for n in body if n not in functions]
    assert header, "the example file starts with its imports"
    assert all(n.lineno < functions[0].lineno for n in header), "constants come first"
    blocks = ["\n".join(lines[header[0].lineno - 1 : header[-1].end_lineno]).strip()]
    blocks += ["\n".join(lines[f.lineno - 1 : f.end_lineno]) for f in functions]
    return blocks


def doc_python_blocks() -> list[str]:
    return [
        block.strip("\n") for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    ]


def test_the_doc_shows_exactly_the_example_file() -> None:
    assert doc_python_blocks() == example_file_blocks()


def test_every_example_runs_on_some_transport() -> None:
    module = load_examples()
    functions = {
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__
    }
    assert functions == set(EXAMPLE_TRANSPORTS)


@pytest.mark.parametrize("example", sorted(EXAMPLE_TRANSPORTS))
async def test_example_runs(
    server: ServerInfo, example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_examples()
    monkeypatch.setattr(module, "ROOT", {"username": server.username, "password": server.password})
    function = getattr(module, example)
    result = function(url_for(server, EXAMPLE_TRANSPORTS[example]))
    if inspect.isawaitable(result):
        await result
