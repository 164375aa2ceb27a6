"""Call shapes of the official `surrealdb` 2.0.0 SDK, used the official way against the real
engine (sync and async; WebSocket, HTTP and embedded where the fixtures give them).

Each test writes the code as a user of the official SDK would; our own spellings are tested
elsewhere and stay the primary API.
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest

from surrealdb import (
    AsyncSurreal,
    InvalidURLError,
    RecordID,
    ServerError,
    SessionClosedError,
    Surreal,
    Table,
)
from surrealdb._generated import requests as generated_requests
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.values import NONE
from tests.conftest import url_for
from tests.server import ServerInfo

# --------------------------------------------------------------------------------------------
# RecordID(table_name=..., identifier=...), .table_name, .identifier, Table.table_name
# --------------------------------------------------------------------------------------------


def test_record_id_official_keywords_build_the_same_value() -> None:
    official = RecordID(table_name="user", identifier="tobie")
    assert official == RecordID("user", "tobie")
    assert hash(official) == hash(RecordID("user", "tobie"))
    assert repr(official) == "RecordID('user', 'tobie')"
    assert str(official) == "user:tobie"
    assert official.table_name == official.table == "user"
    assert official.identifier == official.id == "tobie"
    assert pickle.loads(pickle.dumps(official)) == official
    assert RecordID(table_name=Table("user"), identifier=1) == RecordID("user", 1)
    assert RecordID(table="user", id=[1, "a"]) == RecordID("user", [1, "a"])


def test_record_id_official_properties_are_read_only() -> None:
    record = RecordID("user", 1)
    with pytest.raises(AttributeError):
        record.table_name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.identifier = 2  # type: ignore[misc]


def test_record_id_refuses_a_part_given_twice_or_missing() -> None:
    with pytest.raises(TypeError, match="both table and table_name"):
        RecordID("user", table_name="user", identifier=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="both id and identifier"):
        RecordID(table_name="user", id=1, identifier=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="record id must be"):
        RecordID(table_name="user")  # type: ignore[call-overload]


def test_table_official_table_name() -> None:
    assert Table("user").table_name == "user"


def test_record_ids_from_the_engine_have_the_official_attributes(
    db: BlockingSurrealConnection,
) -> None:
    created = db.create(RecordID(table_name="user", identifier="tobie"), {"name": "Tobie"})
    assert created["id"].table_name == "user"
    assert created["id"].identifier == "tobie"
    assert db.select(RecordID(table_name="user", identifier="tobie")) == created


async def test_record_ids_from_the_engine_have_the_official_attributes_async(
    adb: AsyncSurrealConnection,
) -> None:
    created = await adb.create(RecordID(table_name="user", identifier=7), {"n": 1})
    assert created["id"].table_name == "user"
    assert created["id"].identifier == 7
    assert await adb.select(RecordID(table_name="user", identifier=7)) == created


# --------------------------------------------------------------------------------------------
# The official keyword names of the methods: unset(key=), let(key=), query(query=),
# select(record=) ... (aliases declared in schema/rpc.toml)
# --------------------------------------------------------------------------------------------


def test_official_keyword_names(db: BlockingSurrealConnection) -> None:
    db.let(key="greeting", value="hello")
    assert db.query(query="RETURN $greeting") == "hello"
    db.unset(key="greeting")
    assert db.query(query="RETURN $greeting", vars={}) in (None, NONE)
    rid = RecordID("person", "ada")
    assert db.create(record=rid, data={"name": "Ada"}) == {"id": rid, "name": "Ada"}
    assert db.select(record=rid) == {"id": rid, "name": "Ada"}
    assert db.update(record=rid, data={"name": "Ada L"}) == {"id": rid, "name": "Ada L"}
    assert db.merge(record=rid, data={"age": 36}) == {"id": rid, "name": "Ada L", "age": 36}
    patched = db.patch(record=rid, data=[{"op": "remove", "path": "/age"}])
    assert patched == {"id": rid, "name": "Ada L"}
    bob = RecordID("person", "bob")
    assert db.upsert(record=bob, data={"name": "Bob"}) == {"id": bob, "name": "Bob"}
    assert db.query_all(query="RETURN 1; RETURN 2") == [1, 2]
    assert db.delete(record=rid) == {"id": rid, "name": "Ada L"}
    assert db.select(record="person") == [{"id": RecordID("person", "bob"), "name": "Bob"}]


async def test_official_keyword_names_async(adb: AsyncSurrealConnection) -> None:
    await adb.let(key="greeting", value="hello")
    assert await adb.query(query="RETURN $greeting") == "hello"
    await adb.unset(key="greeting")
    assert await adb.query(query="RETURN $greeting") in (None, NONE)
    rid = RecordID("person", "ada")
    assert await adb.create(record=rid, data={"name": "Ada"}) == {"id": rid, "name": "Ada"}
    assert await adb.select(record=rid) == {"id": rid, "name": "Ada"}
    assert await adb.delete(record=rid) == {"id": rid, "name": "Ada"}


def test_query_raw_with_the_official_params_keyword(db: BlockingSurrealConnection) -> None:
    reply = db.query_raw("RETURN $a + $b", params={"a": 1, "b": 2})
    assert [statement["result"] for statement in reply["result"]] == [3]
    reply = db.query_raw(query="RETURN $a", params={"a": "x"})
    assert [statement["result"] for statement in reply["result"]] == ["x"]
    with pytest.raises(TypeError, match=r"query_raw\(\) got 'vars' and its alias 'params'"):
        db.query_raw("RETURN $a", {"a": 1}, params={"a": 2})


async def test_query_raw_with_the_official_params_keyword_async(
    adb: AsyncSurrealConnection,
) -> None:
    reply = await adb.query_raw("RETURN $a * 2", params={"a": 21})
    assert [statement["result"] for statement in reply["result"]] == [42]


def test_our_keyword_names_still_work(db: BlockingSurrealConnection) -> None:
    db.let(name="x", value=1)
    assert db.query(sql="RETURN $x") == 1
    db.unset(name="x")
    assert db.query("RETURN $x") in (None, NONE)


def test_a_parameter_given_twice_or_not_at_all_is_a_type_error(
    db: BlockingSurrealConnection,
) -> None:
    with pytest.raises(TypeError, match=r"unset\(\) got 'name' and its alias 'key'"):
        db.unset("x", key="x")  # type: ignore[call-overload]
    with pytest.raises(
        TypeError, match=r"unset\(\) missing required argument: 'name' \(or 'key'\)"
    ):
        db.unset()  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"let\(\) missing required argument: 'value'"):
        db.let(key="x")  # type: ignore[call-overload]


def test_signin_with_the_official_vars_keyword(
    db: BlockingSurrealConnection, transport: str, server: ServerInfo
) -> None:
    if transport == "embedded":
        pytest.skip("the embedded engine has no users")
    token = db.signin(vars={"username": server.username, "password": server.password})
    assert isinstance(token, str) and token


# --------------------------------------------------------------------------------------------
# close_session() on sessions
# --------------------------------------------------------------------------------------------


def test_close_session_detaches_like_close(db: BlockingSurrealConnection) -> None:
    session = db.new_session()
    assert session.id in db.sessions()
    session.close_session()
    assert session.id not in db.sessions()
    with pytest.raises(SessionClosedError):
        session.query("RETURN 1")
    session.close_session()  # idempotent, as close() is


async def test_close_session_detaches_like_close_async(adb: AsyncSurrealConnection) -> None:
    session = await adb.new_session()
    assert session.id in await adb.sessions()
    await session.close_session()
    assert session.id not in await adb.sessions()
    with pytest.raises(SessionClosedError):
        await session.query("RETURN 1")
    await session.close_session()


# --------------------------------------------------------------------------------------------
# connect(url)
# --------------------------------------------------------------------------------------------


def test_connect_with_the_connections_own_url(server: ServerInfo, transport: str) -> None:
    url = url_for(server, transport)
    db = Surreal(url)
    try:
        assert db.connect(url) is db
        assert db.connect(url) is db  # again: still the same open connection
        assert db.version().startswith("surrealdb-")
    finally:
        db.close()


async def test_connect_with_the_connections_own_url_async(
    server: ServerInfo, transport: str
) -> None:
    url = url_for(server, transport)
    db = AsyncSurreal(url)
    try:
        assert await db.connect(url) is db
        assert (await db.version()).startswith("surrealdb-")
    finally:
        await db.close()


def test_connect_with_another_url_is_refused_before_any_io(server: ServerInfo) -> None:
    db = Surreal(server.ws_url)
    try:
        with pytest.raises(InvalidURLError, match=r"cannot switch to another URL"):
            db.connect("ws://127.0.0.1:1/rpc")
        with pytest.raises(InvalidURLError, match=r"Surreal\('mem://'\)"):
            db.connect("mem://")
        assert db.connect(server.ws_url).version().startswith("surrealdb-")  # unharmed
    finally:
        db.close()


async def test_connect_with_another_url_is_refused_async(server: ServerInfo) -> None:
    async with AsyncSurreal("mem://") as db:
        with pytest.raises(InvalidURLError, match=r"AsyncSurreal\("):
            await db.connect(server.http_url)
        await db.connect("memory")  # another spelling of the same URL
        assert await db.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# Record access: signup/signin with the access method's variables nested under "variables"
# --------------------------------------------------------------------------------------------

DEFINE_RECORD_ACCESS = """
    DEFINE TABLE IF NOT EXISTS user SCHEMALESS PERMISSIONS FULL;
    DEFINE ACCESS account ON DATABASE TYPE RECORD
        SIGNUP (CREATE user SET email = $email, pass = crypto::argon2::generate($pass))
        SIGNIN (SELECT * FROM user WHERE email = $email AND crypto::argon2::compare(pass, $pass))
        DURATION FOR TOKEN 15m, FOR SESSION 12h;
"""


def official_record_vars(database: str) -> dict[str, Any]:
    """Record-access details as the official SDK's documentation writes them."""
    return {
        "namespace": "test",
        "database": database,
        "access": "account",
        "variables": {"email": "info@surrealdb.com", "pass": "123456"},
    }


def test_nested_variables_are_sent_as_the_access_methods_variables(database_name: str) -> None:
    request = generated_requests.signin(official_record_vars(database_name))
    assert request.params == [
        {
            "ns": "test",
            "db": database_name,
            "ac": "account",
            "email": "info@surrealdb.com",
            "pass": "123456",
        }
    ]
    flat = {"namespace": "test", "database": database_name, "access": "account", "email": "e"}
    assert generated_requests.signin(flat).params == [
        {"ns": "test", "db": database_name, "ac": "account", "email": "e"}
    ]
    with pytest.raises(ValueError, match="'email' is given both at the top level and in"):
        generated_requests.signin({**flat, "variables": {"email": "other"}})


def test_record_signup_and_signin_with_nested_variables(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.query(DEFINE_RECORD_ACCESS)
    token = db.signup(vars=official_record_vars(database_name))
    assert isinstance(token, str) and token.count(".") == 2
    user = db.info()
    assert user is not None and user["email"] == "info@surrealdb.com"
    db.invalidate()
    assert isinstance(db.signin(official_record_vars(database_name)), str)
    assert db.info() == user
    wrong = official_record_vars(database_name)
    wrong["variables"]["pass"] = "wrong"
    with pytest.raises(ServerError, match="No record was returned"):  # the server's answer
        db.signin(wrong)


async def test_record_signup_and_signin_with_nested_variables_async(
    adb: AsyncSurrealConnection, database_name: str
) -> None:
    await adb.query(DEFINE_RECORD_ACCESS)
    assert isinstance(await adb.signup(official_record_vars(database_name)), str)
    user = await adb.info()
    assert user is not None and user["email"] == "info@surrealdb.com"
    await adb.invalidate()
    assert isinstance(await adb.signin(vars=official_record_vars(database_name)), str)
    assert await adb.info() == user


# --------------------------------------------------------------------------------------------
# insert() with a RecordID: the server's error, not a client-side TypeError
# --------------------------------------------------------------------------------------------

INSERT_INTO_RECORD = r"Cannot execute INSERT statement using value: user:tobie"


def test_insert_with_a_record_id_gets_the_servers_error(db: BlockingSurrealConnection) -> None:
    db.query("DEFINE TABLE user SCHEMALESS")
    with pytest.raises(ServerError, match=INSERT_INTO_RECORD):
        db.insert(RecordID("user", "tobie"), {"name": "Tobie"})  # type: ignore[call-overload]
    assert db.select("user") == []
    with pytest.raises(TypeError, match="expected a table name"):
        db.insert(42, {"name": "Tobie"})  # type: ignore[call-overload]  # still checked here


async def test_insert_with_a_record_id_gets_the_servers_error_async(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.query("DEFINE TABLE user SCHEMALESS")
    with pytest.raises(ServerError, match=INSERT_INTO_RECORD):
        await adb.insert(RecordID("user", "tobie"), [{"name": "Tobie"}])  # type: ignore[call-overload]
    assert await adb.select("user") == []


# --------------------------------------------------------------------------------------------
# Live queries: `await db.subscribe_live(live_id)`, and notifications read as the official
# SDK's yielded value (the record: `update["name"]`, `update["id"]`), WebSocket only
# --------------------------------------------------------------------------------------------

WAIT = 10.0
"""The bound on every wait for a notification."""


def root(server: ServerInfo) -> dict[str, str]:
    return {"username": server.username, "password": server.password}


def test_notifications_read_as_the_official_sdks_records(
    server: ServerInfo, database_name: str
) -> None:
    with Surreal(server.ws_url, timeout=WAIT) as db, Surreal(server.ws_url) as other:
        for connection in (db, other):
            connection.signin(root(server))
            connection.use("test", database_name)
        db.query("DEFINE TABLE user SCHEMALESS")
        query_uuid = db.live("user")
        subscription = db.subscribe_live(query_uuid)
        other.query("CREATE user:jaime SET name = 'Jaime', enabled = true")
        for update in subscription:
            assert update["name"] == "Jaime"  # the official way: the record's fields
            assert update["id"] == RecordID("user", "jaime")
            assert update.get("missing") is None and update.get("name") == "Jaime"
            assert "enabled" in update and "missing" not in update
            assert dict(update) == {
                "id": RecordID("user", "jaime"),
                "name": "Jaime",
                "enabled": True,
            }
            assert sorted(update.keys()) == ["enabled", "id", "name"]
            assert (update.action, update.live_id) == ("CREATE", query_uuid)  # ours, typed
            assert update.result == dict(update.items())
            break
        db.kill(query_uuid)


async def test_await_subscribe_live_as_the_official_async_sdk(
    server: ServerInfo, database_name: str
) -> None:
    async with (
        AsyncSurreal(server.ws_url, timeout=WAIT) as db,
        AsyncSurreal(server.ws_url) as other,
    ):
        for connection in (db, other):
            await connection.signin(root(server))
            await connection.use("test", database_name)
        await db.query("DEFINE TABLE user SCHEMALESS")
        query_uuid = await db.query("LIVE SELECT * FROM user")
        # The official SDK awaits it, and takes the id as text too.
        subscription = await db.subscribe_live(str(query_uuid))
        await other.query("CREATE user:john SET name = 'John'")
        update = await asyncio.wait_for(subscription.__anext__(), timeout=WAIT)
        assert update["name"] == "John"
        assert update["id"] == RecordID("user", "john")
        assert update.action == "CREATE"

        # Ours, not awaited, on the same live query: both styles read the same notifications.
        await other.query("UPDATE user:john SET name = 'Johnny'")
        async for notification in db.subscribe_live(query_uuid):
            assert notification.action == "UPDATE"
            assert notification["name"] == "Johnny"
            break
        await db.kill(str(query_uuid))
        assert [n async for n in await db.subscribe_live(query_uuid)] == []  # ended by kill


def test_a_live_query_id_as_text_that_is_no_uuid_is_refused(server: ServerInfo) -> None:
    with Surreal(server.ws_url) as db, pytest.raises(ValueError, match="not a live query id"):
        db.kill("not-a-uuid")
    with Surreal(server.ws_url) as db, pytest.raises(ValueError, match="not a live query id"):
        db.subscribe_live("not-a-uuid")


async def test_notifications_with_diff_read_as_the_patches(
    server: ServerInfo, database_name: str
) -> None:
    async with AsyncSurreal(server.ws_url, timeout=WAIT) as db:
        await db.signin(root(server))
        await db.use("test", database_name)
        await db.query("DEFINE TABLE user SCHEMALESS")
        live_id = await db.live("user", diff=True)
        subscription = await db.subscribe_live(live_id)
        await db.create(RecordID("user", "ada"), {"name": "Ada"})
        update = await asyncio.wait_for(subscription.__anext__(), timeout=WAIT)
        assert update[0]["op"] == "replace"  # the official SDK yields the patch list
        assert update.get("name") is None and "name" not in update
        await db.kill(live_id)


def test_session_begin_transaction_commit_and_cancel(
    server: ServerInfo, database_name: str
) -> None:
    with Surreal(server.ws_url, timeout=WAIT) as db:
        db.signin(root(server))
        session = db.new_session()
        session.signin(root(server))
        session.use("test", database_name)
        txn = session.begin_transaction()
        txn.create(RecordID("user", "kept"), {"n": 1})
        txn.commit()
        txn = session.begin_transaction()
        txn.create(RecordID("user", "dropped"), {"n": 2})
        txn.cancel()
        assert [r["id"] for r in session.select("user")] == [RecordID("user", "kept")]
        session.close_session()


async def test_session_begin_transaction_async(server: ServerInfo, database_name: str) -> None:
    async with AsyncSurreal(server.ws_url, timeout=WAIT) as db:
        await db.signin(root(server))
        session = await db.new_session()
        await session.signin(root(server))
        await session.use("test", database_name)
        txn = await session.begin_transaction()
        await txn.create(RecordID("user", "kept"), {"n": 1})
        await txn.commit()
        assert [r["id"] for r in await session.select("user")] == [RecordID("user", "kept")]
        await session.close_session()
