"""The test server enforces authentication as `surreal start --user root --pass root` does
(tests/server/README.md, "Authentication"), over WebSocket and HTTP, blocking and asyncio.

- An anonymous session (a connection that has not signed in, or one after `invalidate()` or
  `reset()`) may not run anything that queries the datastore: the server's refusal is an
  `AuthenticationError` ("Anonymous access not allowed", kind `NotAllowed`, details
  `Auth`/`NotAllowed` for actor `anonymous`). It may still `use`, `let`, `version` and sign in.
- The server reads a request before it refuses it: an anonymous call whose arguments are wrong,
  or whose query text does not parse, gets the error a signed-in session would get instead.
- Signed-in users get what the engine grants them: a record user sees only the rows that the
  table's `PERMISSIONS` allow, and may not define anything.
- `--unauthenticated` gives anonymous sessions every right; `--allow-guests` is refused, since
  the engine cannot apply table permissions to guests.

The embedded engine is not tested here: its default session starts with every right.
"""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import cbor2
import pytest
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect
from websockets.typing import Subprotocol

from surrealdb import (
    AsyncSurreal,
    AuthenticationError,
    InvalidParamsError,
    NotAllowedError,
    NotFoundError,
    RecordID,
    Surreal,
)
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from tests.conftest import url_for
from tests.server import GATEWAY_DIR, ServerInfo, start_gateway

SERVER_TRANSPORTS = ["ws", "http"]
ANONYMOUS = "Anonymous access not allowed"
ANONYMOUS_DETAILS = {
    "kind": "Auth",
    "details": {
        "kind": "NotAllowed",
        "details": {"actor": "anonymous", "action": "process", "resource": "query"},
    },
}

BlockingCall = Callable[[BlockingSurrealConnection], object]
AsyncCall = Callable[[AsyncSurrealConnection], Awaitable[object]]

PERSON = RecordID("person", "ada")
REFUSED_CALLS: dict[str, BlockingCall] = {
    "select": lambda db: db.select("person"),
    "create": lambda db: db.create(PERSON, {"name": "Ada"}),
    "insert": lambda db: db.insert("person", {"name": "Ada"}),
    "upsert": lambda db: db.upsert(PERSON, {"name": "Ada"}),
    "update": lambda db: db.update(PERSON, {"name": "Ada"}),
    "merge": lambda db: db.merge(PERSON, {"name": "Ada"}),
    "delete": lambda db: db.delete("person"),
    "query": lambda db: db.query("RETURN 1"),
    "query-that-writes": lambda db: db.query("CREATE person:ada; SELECT * FROM person"),
    "info": lambda db: db.info(),
    "run": lambda db: db.run("string::len", None, ["abc"]),
    "relate": lambda db: db.relate(PERSON, "knows", RecordID("person", "bob")),
    "patch": lambda db: db.patch(PERSON, [{"op": "replace", "path": "/name", "value": "Ada"}]),
}
ASYNC_REFUSED_CALLS: dict[str, AsyncCall] = {
    "select": lambda db: db.select("person"),
    "create": lambda db: db.create(PERSON, {"name": "Ada"}),
    "query": lambda db: db.query("RETURN 1"),
    "info": lambda db: db.info(),
}


def root(server: ServerInfo) -> dict[str, str]:
    """The test server's root credentials."""
    return {"username": server.username, "password": server.password}


def assert_anonymous_refusal(error: AuthenticationError) -> None:
    """`error` is the server's refusal of an anonymous session, in full."""
    assert error.kind == "NotAllowed"
    assert error.code == -32002
    assert error.message == f"{ANONYMOUS}: Not enough permissions to perform this action"
    assert error.details == ANONYMOUS_DETAILS


@pytest.fixture(params=SERVER_TRANSPORTS)
def server_transport(request: pytest.FixtureRequest) -> str:
    """ws and http in turn."""
    name: str = request.param
    return name


@pytest.fixture
def anonymous(
    server: ServerInfo, server_transport: str, database_name: str
) -> Iterator[BlockingSurrealConnection]:
    """A blocking connection that never signed in, using a fresh database."""
    with Surreal(url_for(server, server_transport)) as connection:
        connection.use("test", database_name)
        yield connection


# --------------------------------------------------------------------------------------------
# Anonymous sessions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REFUSED_CALLS))
def test_an_anonymous_connection_may_not_read_or_write(
    anonymous: BlockingSurrealConnection, server: ServerInfo, name: str
) -> None:
    with pytest.raises(AuthenticationError, match=ANONYMOUS) as caught:
        REFUSED_CALLS[name](anonymous)
    assert_anonymous_refusal(caught.value)
    anonymous.signin(root(server))
    with pytest.raises(NotFoundError):  # the refused call wrote nothing, not even the table
        anonymous.select("person")


@pytest.mark.parametrize("name", list(ASYNC_REFUSED_CALLS))
async def test_async_an_anonymous_connection_may_not_read_or_write(
    server: ServerInfo, server_transport: str, database_name: str, name: str
) -> None:
    async with AsyncSurreal(url_for(server, server_transport)) as db:
        await db.use("test", database_name)
        with pytest.raises(AuthenticationError, match=ANONYMOUS) as caught:
            await ASYNC_REFUSED_CALLS[name](db)
        assert_anonymous_refusal(caught.value)
        await db.signin(root(server))
        with pytest.raises(NotFoundError):
            await db.select("person")


def test_an_anonymous_connection_may_use_let_ask_the_version_and_sign_in(
    anonymous: BlockingSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    anonymous.use("test", database_name)
    anonymous.let("greeting", "hello")
    assert anonymous.version().startswith("surrealdb-")
    anonymous.signin(root(server))
    anonymous.use("test", database_name)
    assert anonymous.query("RETURN [$greeting, session::db()]") == ["hello", database_name]


def test_anonymous_live_queries_are_refused_over_websocket(
    server: ServerInfo, database_name: str
) -> None:
    with Surreal(server.ws_url) as db:
        db.use("test", database_name)
        with pytest.raises(AuthenticationError, match=ANONYMOUS):
            db.live("person")


def test_a_refused_signin_keeps_the_earlier_signin(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    with Surreal(url_for(server, server_transport)) as db:
        db.signin(root(server))
        db.use("test", database_name)
        with pytest.raises(AuthenticationError):
            db.signin({"username": server.username, "password": "not the password"})
        assert db.query("RETURN $token.ID") == server.username


# --------------------------------------------------------------------------------------------
# Signing out drops the rights
# --------------------------------------------------------------------------------------------


def test_invalidate_drops_the_rights_of_the_connection(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    with Surreal(url_for(server, server_transport)) as db:
        db.signin(root(server))
        db.use("test", database_name)
        db.create(PERSON, {"name": "Ada"})
        db.invalidate()
        with pytest.raises(AuthenticationError, match=ANONYMOUS) as caught:
            db.select("person")
        assert_anonymous_refusal(caught.value)
        with pytest.raises(AuthenticationError, match=ANONYMOUS):
            db.create(RecordID("person", "bob"), {})
        db.signin(root(server))
        assert db.select("person") == [{"id": PERSON, "name": "Ada"}]


async def test_async_invalidate_drops_the_rights_of_the_connection(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    async with AsyncSurreal(url_for(server, server_transport)) as db:
        await db.signin(root(server))
        await db.use("test", database_name)
        await db.create(PERSON, {"name": "Ada"})
        await db.invalidate()
        with pytest.raises(AuthenticationError, match=ANONYMOUS) as caught:
            await db.select("person")
        assert_anonymous_refusal(caught.value)
        await db.signin(root(server))
        assert await db.select("person") == [{"id": PERSON, "name": "Ada"}]


def test_invalidate_in_a_record_users_session_drops_its_rights(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    define_documents(server, database_name)
    with Surreal(url_for(server, server_transport)) as db:
        db.signup(member("ada", database_name))
        assert [doc["title"] for doc in db.select("doc")] == ["ada's own"]
        db.invalidate()
        with pytest.raises(AuthenticationError, match=ANONYMOUS):
            db.select("doc")


def test_a_new_session_of_a_signed_in_connection_is_anonymous(
    server: ServerInfo, database_name: str
) -> None:
    with Surreal(server.ws_url) as db:
        db.signin(root(server))
        db.use("test", database_name)
        with db.new_session() as session:
            session.use("test", database_name)
            with pytest.raises(AuthenticationError, match=ANONYMOUS):
                session.query("RETURN 1")
        assert db.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# Record users and table permissions
# --------------------------------------------------------------------------------------------


def define_documents(server: ServerInfo, database: str) -> None:
    """As root: a `doc` table whose rows only their owner may see or change, a `secret` table
    with the default permissions (none), a record access method `member`, and three documents:
    two owned by member:ada, one by member:bob."""
    with Surreal(server.ws_url) as db:
        db.signin(root(server))
        db.use("test", database)
        db.query(
            """
            DEFINE TABLE member SCHEMALESS PERMISSIONS FOR select WHERE id = $auth.id;
            DEFINE TABLE doc SCHEMALESS
                PERMISSIONS FOR select, create, update, delete WHERE owner = $auth.id;
            DEFINE TABLE secret SCHEMALESS;
            DEFINE ACCESS member ON DATABASE TYPE RECORD
                SIGNUP (CREATE type::record('member', $name) SET name = $name)
                SIGNIN (SELECT * FROM member WHERE name = $name)
                DURATION FOR TOKEN 15m, FOR SESSION 1h;
            CREATE doc:1 SET owner = member:ada, title = "ada's own";
            CREATE doc:2 SET owner = member:bob, title = "bob's first";
            CREATE doc:3 SET owner = member:bob, title = "bob's second";
            CREATE secret:1 SET code = 42;
            """
        )


def member(name: str, database: str) -> dict[str, str]:
    """Record-access credentials of member `name` (its SIGNUP/SIGNIN need only the name)."""
    return {"namespace": "test", "database": database, "access": "member", "name": name}


def titles(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(str(row["title"]) for row in rows)


def test_table_permissions_filter_the_rows_of_record_users(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    define_documents(server, database_name)
    url = url_for(server, server_transport)
    with Surreal(url) as ada, Surreal(url) as bob:
        ada.signup(member("ada", database_name))
        bob.signup(member("bob", database_name))
        assert titles(ada.select("doc")) == ["ada's own"]
        assert titles(bob.select("doc")) == ["bob's first", "bob's second"]
        assert titles(ada.query("SELECT * FROM doc")) == ["ada's own"]
        assert ada.select(RecordID("doc", 2)) is None  # bob's: not visible to ada
        assert ada.select("secret") == []  # no permissions: nothing is visible
        assert ada.query("SELECT count() AS n FROM member GROUP ALL") == [{"n": 1}]
    with Surreal(url) as admin:  # root sees every row
        admin.signin(root(server))
        admin.use("test", database_name)
        assert len(admin.select("doc")) == 3


async def test_async_table_permissions_filter_the_rows_of_record_users(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    define_documents(server, database_name)
    async with AsyncSurreal(url_for(server, server_transport)) as bob:
        await bob.signup(member("bob", database_name))
        assert titles(await bob.select("doc")) == ["bob's first", "bob's second"]
        assert await bob.select("secret") == []


def test_table_permissions_limit_what_record_users_may_change(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    define_documents(server, database_name)
    with Surreal(url_for(server, server_transport)) as ada:
        ada.signup(member("ada", database_name))
        assert ada.merge(RecordID("doc", 2), {"title": "taken"}) is None  # bob's: untouched
        ada.delete("doc")  # deletes only what ada may delete: her own
        with pytest.raises(NotAllowedError, match="Not enough permissions"):
            ada.query("DEFINE TABLE mine")
    with Surreal(url_for(server, server_transport)) as admin:
        admin.signin(root(server))
        admin.use("test", database_name)
        assert titles(admin.select("doc")) == ["bob's first", "bob's second"]


# --------------------------------------------------------------------------------------------
# HTTP routes and the server's options
# --------------------------------------------------------------------------------------------


def post_sql(
    server: ServerInfo, database: str, headers: dict[str, str], sql: bytes = b"RETURN 1"
) -> tuple[int, bytes]:
    """POST /sql `sql` with `headers`; the status and body."""
    request = urllib.request.Request(
        f"{server.http_url}/sql",
        data=sql,
        method="POST",
        headers={
            "Accept": "application/cbor",
            "Surreal-NS": "test",
            "Surreal-DB": database,
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_sql_route_refuses_an_anonymous_request(server: ServerInfo, database_name: str) -> None:
    status, body = post_sql(server, database_name, {})
    assert status == 403
    assert json.loads(body)["information"].startswith(ANONYMOUS)
    status, _ = post_sql(server, database_name, basic_auth(server))
    assert status == 200


def test_the_sql_route_parses_an_anonymous_request_before_it_refuses_it(
    server: ServerInfo, database_name: str
) -> None:
    """As the server: text that does not parse gets the parse error, with or without credentials;
    nothing of it runs."""
    sql = b"CREATE person:ada; SELEC x"
    anonymous = post_sql(server, database_name, {}, sql)
    signed_in = post_sql(server, database_name, basic_auth(server), sql)
    assert anonymous[0] == signed_in[0] == 400
    assert json.loads(anonymous[1]) == json.loads(signed_in[1])
    assert json.loads(anonymous[1])["information"].startswith("Parse error")
    status, body = post_sql(server, database_name, basic_auth(server), b"SELECT * FROM person")
    assert status == 200
    assert cbor2.loads(body)[0]["status"] == "ERR"  # no such table: nothing was created


def basic_auth(server: ServerInfo) -> dict[str, str]:
    """An `Authorization` header with the root credentials."""
    basic = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    return {"Authorization": f"Basic {basic}"}


def post_rpc(server: ServerInfo, request: dict[str, Any], signed_in: bool = False) -> Any:
    """POST one CBOR request to /rpc, as root when `signed_in`, else without credentials;
    the decoded reply."""
    http_request = urllib.request.Request(
        f"{server.http_url}/rpc",
        data=cbor2.dumps(request),
        method="POST",
        headers={
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            **(basic_auth(server) if signed_in else {}),
        },
    )
    with urllib.request.urlopen(http_request, timeout=10) as response:
        return cbor2.loads(response.read())


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"method": "select", "params": ["person"]}, ANONYMOUS),
        ({"method": "select", "params": []}, "Expected (what:Value)"),
        ({"method": "query", "params": [1]}, "Expected query to be string"),
        ({"method": "create", "params": []}, "Expected (what:Value, data:Value)"),
    ],
    ids=["refused", "select-without-arguments", "query-not-a-string", "create-without-arguments"],
)
def test_the_server_checks_the_arguments_of_an_anonymous_call_before_it_refuses_it(
    server: ServerInfo, request_: dict[str, Any], message: str
) -> None:
    """As in the server: a call's arguments are checked before an anonymous call is refused."""
    reply = post_rpc(server, request_)
    assert reply["error"]["message"].startswith(message)


def ws_rpc(server: ServerInfo, request: dict[str, Any], signed_in: bool = False) -> Any:
    """Send one CBOR request over a new WebSocket, after signing in as root when `signed_in`;
    the decoded reply."""
    with ws_connect(server.ws_url, subprotocols=[Subprotocol("cbor")], open_timeout=10) as ws:
        if signed_in:
            credentials = {"user": server.username, "pass": server.password}
            ws.send(cbor2.dumps({"id": 1, "method": "signin", "params": [credentials]}))
            assert "result" in receive(ws)
        ws.send(cbor2.dumps({"id": 2, **request}))
        return receive(ws)


def receive(ws: ClientConnection) -> Any:
    """The next frame, a CBOR reply, decoded."""
    frame = ws.recv(timeout=10)
    assert isinstance(frame, bytes)
    return cbor2.loads(frame)


READ_FIRST: dict[str, dict[str, Any]] = {
    "update-without-arguments": {"method": "update", "params": []},
    "update-with-three-arguments": {"method": "update", "params": ["person", {}, 1]},
    "patch-without-arguments": {"method": "patch", "params": []},
    "relate-with-one-argument": {"method": "relate", "params": ["person"]},
    "run-without-arguments": {"method": "run", "params": []},
    "run-name-not-a-string": {"method": "run", "params": [1]},
    "run-version-not-a-string": {"method": "run", "params": ["fn::x", 1]},
    "run-model-without-version": {"method": "run", "params": ["ml::x"]},
    "query-vars-not-an-object": {"method": "query", "params": ["RETURN 1", 5]},
    "query-does-not-parse": {"method": "query", "params": ["CREATE person:ada; SELEC x"]},
    "select-without-arguments": {"method": "select", "params": []},
    "create-without-arguments": {"method": "create", "params": []},
}


@pytest.mark.parametrize("name", list(READ_FIRST))
def test_an_anonymous_call_gets_the_error_the_server_finds_reading_it(
    server: ServerInfo, server_transport: str, name: str
) -> None:
    """The anonymous answer is the engine's own error, as a signed-in session gets it."""
    send = ws_rpc if server_transport == "ws" else post_rpc
    anonymous = send(server, READ_FIRST[name])
    signed_in = send(server, READ_FIRST[name], signed_in=True)
    assert "error" in signed_in
    assert anonymous["error"] == signed_in["error"]
    assert anonymous["error"]["kind"] == "Validation"
    assert not anonymous["error"]["message"].startswith(ANONYMOUS)


def test_an_anonymous_call_in_an_unknown_transaction_gets_transaction_not_found(
    server: ServerInfo,
) -> None:
    """As the server: the arguments are checked, then the transaction is looked up, then the
    text is parsed, then the anonymous session is refused; nothing runs in the transaction."""
    with ws_connect(server.ws_url, subprotocols=[Subprotocol("cbor")], open_timeout=10) as ws:

        def call(method: str, params: list[Any], txn: uuid.UUID | None = None) -> Any:
            ws.send(cbor2.dumps({"id": 1, "method": method, "params": params, "txn": txn}))
            return receive(ws)

        txn = call("begin", [])["result"]
        assert isinstance(txn, uuid.UUID)
        unknown = uuid.uuid4()
        assert call("select", ["person"], unknown)["error"]["message"] == "Transaction not found"
        assert call("query", ["SELEC x"], unknown)["error"]["message"] == "Transaction not found"
        assert call("select", [], unknown)["error"]["message"] == "Expected (what:Value)"
        assert call("update", ["person", {}], unknown)["error"]["message"].startswith(ANONYMOUS)
        assert call("select", ["person"], txn)["error"]["message"].startswith(ANONYMOUS)
        assert call("query", ["SELEC x"], txn)["error"]["message"].startswith("Parse error")
        assert call("signin", [{"user": server.username, "pass": server.password}])["result"]
        assert call("use", ["test", "t_txn"])["result"]
        assert call("query", ["RETURN 1"], txn)["result"][0]["result"] == 1  # still open
        assert "result" in call("cancel", [txn])


def test_an_anonymous_query_that_does_not_parse_gets_the_parse_error(
    anonymous: BlockingSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    """The whole text is parsed first: its valid first statement does not run."""
    with pytest.raises(InvalidParamsError, match="Parse error") as refused:
        anonymous.query("CREATE person:ada; SELEC x")
    anonymous.signin(root(server))
    anonymous.use("test", database_name)
    with pytest.raises(InvalidParamsError) as parsed:
        anonymous.query("CREATE person:ada; SELEC x")
    assert str(refused.value) == str(parsed.value)
    assert refused.value.details == parsed.value.details
    with pytest.raises(NotFoundError):
        anonymous.select("person")


async def test_async_an_anonymous_query_that_does_not_parse_gets_the_parse_error(
    server: ServerInfo, server_transport: str, database_name: str
) -> None:
    async with AsyncSurreal(url_for(server, server_transport)) as db:
        await db.use("test", database_name)
        with pytest.raises(InvalidParamsError, match="Parse error"):
            await db.query("SELEC x")
        with pytest.raises(AuthenticationError, match=ANONYMOUS):
            await db.query("RETURN 1")


def test_unauthenticated_gives_anonymous_sessions_every_right(database_name: str) -> None:
    running = start_gateway(unauthenticated=True)
    try:
        for url in (running.info.ws_url, running.info.http_url):
            with Surreal(url) as db:
                db.use("test", database_name)
                db.create(PERSON, {"name": "Ada"})
                assert db.select(PERSON) == {"id": PERSON, "name": "Ada"}
                db.delete(PERSON)
    finally:
        running.stop()


def test_allow_guests_is_refused_with_the_reason() -> None:
    finished = subprocess.run(
        ["node", "gateway.mjs", "--bind", "127.0.0.1:0", "--allow-guests"],
        cwd=GATEWAY_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert "--allow-guests is not supported" in finished.stderr
    assert "table permissions" in finished.stderr
