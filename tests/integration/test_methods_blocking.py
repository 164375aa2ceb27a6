"""Every RPC method of schema/rpc.toml through the blocking connections, on every transport.

The `db` fixture (tests/conftest.py) is parametrized over ws, http and embedded; tests that only
make sense on some transports re-parametrize `transport` indirectly. Helpers shared with
test_methods_async.py and test_errors_and_lifecycle.py live at the top of this module.

Engine facts these tests rely on (checked against the gateway's SurrealDB 3.0.2 and the embedded
3.2.4 engine):
- A missing table is an error (`NotFoundError` from `select`, a `NotFound` statement error in
  `query`), not an empty list.
- Authentication is enforced on every transport: an anonymous session (a new connection that
  has not signed in, or one after `invalidate()`/`reset()`) may not query ("Anonymous access not
  allowed"). Only the embedded engine's default session starts with every right.
- Each `mem://` connection is its own datastore, so a second embedded connection sees nothing
  of the first: tests that need two connections run on ws/http only.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from surrealdb import (
    NONE,
    NULL,
    AlreadyExistsError,
    AuthenticationError,
    BoundExcluded,
    BoundIncluded,
    Datetime,
    Duration,
    File,
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
    InvalidParamsError,
    LiveNotification,
    NotFoundError,
    QueryError,
    QueryResult,
    Range,
    RecordID,
    ServerError,
    Surreal,
    Table,
    Tokens,
    UnsupportedFeatureError,
)
from surrealdb._generated import requests as generated_requests
from surrealdb.connections import BlockingSurrealConnection
from surrealdb.errors import parse_rpc_error
from tests.conftest import url_for
from tests.server import ServerInfo

# --------------------------------------------------------------------------------------------
# Shared helpers (imported by the other two modules)
# --------------------------------------------------------------------------------------------

WAIT = 10.0
"""Upper bound, in seconds, of every wait for another thread or a notification."""

EMBEDDED_ROOT = {"username": "embedded_admin", "password": "embedded-S3cret-pw"}
"""The root user the tests define on an embedded engine (which starts without users)."""

DEFINE_EMBEDDED_ROOT = (
    "DEFINE USER IF NOT EXISTS embedded_admin ON ROOT PASSWORD 'embedded-S3cret-pw' ROLES OWNER"
)

RECORD_USER_EMAIL = "ada@example.com"
RECORD_USER_PASSWORD = "correct horse battery staple"


def define_record_access_sql(access: str, *, refresh: bool = False) -> str:
    """SurrealQL defining a record access method with SIGNUP/SIGNIN over `email`/`password`.

    The `user` table gets full permissions so that `info()` can read the signed-in user.
    """
    with_refresh = "WITH REFRESH DURATION FOR GRANT 1d," if refresh else "DURATION"
    return f"""
        DEFINE TABLE IF NOT EXISTS user SCHEMALESS PERMISSIONS FULL;
        DEFINE ACCESS {access} ON DATABASE TYPE RECORD
            SIGNUP (CREATE user SET email = $email, password = crypto::argon2::generate($password))
            SIGNIN (SELECT * FROM user WHERE email = $email
                    AND crypto::argon2::compare(password, $password))
            {with_refresh} FOR TOKEN 15m, FOR SESSION 12h;
    """


def record_credentials(
    database: str, access: str, *, password: str = RECORD_USER_PASSWORD
) -> dict[str, str]:
    """Record-access credentials with the friendly names (`namespace`, `database`, `access`)."""
    return {
        "namespace": "test",
        "database": database,
        "access": access,
        "email": RECORD_USER_EMAIL,
        "password": password,
    }


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (no signature check: only to see what the server put in it)."""
    parts = token.split(".")
    assert len(parts) == 3, "a JWT has exactly two dots"
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return claims


def by_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records sorted by their id, so that lists compare regardless of the server's order."""
    return sorted(records, key=lambda record: str(record["id"]))


def without_id(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's fields except `id`."""
    return {key: value for key, value in record.items() if key != "id"}


def assert_is_jwt(token: object) -> str:
    """Assert that a sign-in result is a JWT string and return it."""
    assert isinstance(token, str), f"expected a token string, got {type(token).__name__}"
    assert token.count(".") == 2
    assert jwt_claims(token)["iss"] == "SurrealDB"
    return token


_TEST_UUID = uuid.UUID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
_POINT = GeometryPoint(1.5, -2.25)
_LINE = GeometryLine((GeometryPoint(0, 0), GeometryPoint(1, 1)))
_RING = GeometryLine(
    (GeometryPoint(0, 0), GeometryPoint(0, 1), GeometryPoint(1, 1), GeometryPoint(0, 0))
)
_POLYGON = GeometryPolygon((_RING,))


def every_value_type() -> dict[str, Any]:
    """A record's content with one field per SurrealDB value type the client maps.

    Everything here survives `create` unchanged on both engines. Sets, and ranges other than
    `begin..end` (inclusive begin, exclusive end), do not: see
    `test_rpc_data_rewrites_sets_and_range_bounds`.
    """
    return {
        "id_string": RecordID("kind", "with space ⟨x⟩"),
        "id_int": RecordID("kind", 42),
        "id_negative": RecordID("kind", -7),
        "id_array": RecordID("kind", ["a", 1, [2, 3]]),
        "id_object": RecordID("kind", {"name": "x", "n": 1}),
        "id_uuid": RecordID("kind", _TEST_UUID),
        "datetime_ns": Datetime(1_700_000_000, 123_456_789),
        "datetime_old": Datetime(-2_208_988_800, 1),
        "duration": Duration.parse(3_600, 5),
        "duration_zero": Duration(),
        "decimal": Decimal("12345678901234567890.123456789"),
        "uuid": _TEST_UUID,
        "null": NULL,
        "none": None,
        "point": _POINT,
        "line": _LINE,
        "polygon": _POLYGON,
        "multi_point": GeometryMultiPoint((_POINT, GeometryPoint(3, 4))),
        "multi_line": GeometryMultiLine((_LINE, _RING)),
        "multi_polygon": GeometryMultiPolygon((_POLYGON,)),
        "collection": GeometryCollection((_POINT, _LINE, _POLYGON)),
        "range_int": Range(BoundIncluded(1), BoundExcluded(5)),
        "range_string": Range(BoundIncluded("a"), BoundExcluded("z")),
        "file": File("bucket", "/some/key.txt"),
        "table": Table("person"),
        "bytes": b"\x00\x01\xff",
        "float": 1.5,
        "int": -(2**53),
        "bool": False,
        "string": "héllo 🌍 '); DROP TABLE x; --",
        "empty_string": "",
        "nested": {
            "list": [1, "a", None, Datetime(0, 1)],
            "object": {"deep": Duration.parse(1, 1)},
        },
    }


def expected_record(record_id: RecordID, content: Mapping[str, Any]) -> dict[str, Any]:
    """What the server gives back for `content`: fields set to None (NONE) are absent, fields
    set to NULL are there and read as None."""
    stored = {key: value for key, value in content.items() if value is not None}
    stored.update((key, None) for key, value in content.items() if value is NULL)  # reads as None
    stored["id"] = record_id
    return stored


OTHER_RANGES: dict[str, Range] = {
    "open_begin": Range(None, BoundIncluded(10)),
    "open_end": Range(BoundIncluded(1), None),
    "unbounded": Range(None, None),
    "excluded_included": Range(BoundExcluded(1), BoundIncluded(5)),
}
"""Ranges that round-trip as query variables but not as the data of create/insert/upsert."""


def root_credentials(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str
) -> dict[str, str]:
    """Root credentials for this transport (on the embedded engine, a root user defined now)."""
    if transport == "embedded":
        db.query(DEFINE_EMBEDDED_ROOT)
        return dict(EMBEDDED_ROOT)
    return {"username": server.username, "password": server.password}


def ws_connection(server: ServerInfo, database: str) -> BlockingSurrealConnection:
    """Another blocking WebSocket connection, signed in as root, using `database`."""
    connection = Surreal(url_for(server, "ws"))
    connection.signin({"username": server.username, "password": server.password})
    connection.use("test", database)
    return connection


class ThreadResult:
    """Runs a function in a daemon thread and keeps its exception for the test to re-raise."""

    def __init__(self, target: Callable[[], None]) -> None:
        self.error: BaseException | None = None
        self._target = target
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._target()
        except BaseException as exc:
            self.error = exc

    def join(self, timeout: float = WAIT) -> None:
        """Wait for the thread (bounded); fail if it is still running or raised."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the thread did not finish within {timeout} s"
        if self.error is not None:
            raise self.error


ws_only = pytest.mark.parametrize("transport", ["ws"], indirect=True)
not_ws = pytest.mark.parametrize("transport", ["http", "httpx", "embedded"], indirect=True)
server_only = pytest.mark.parametrize("transport", ["ws", "http", "httpx"], indirect=True)


# --------------------------------------------------------------------------------------------
# ping, version, use
# --------------------------------------------------------------------------------------------


def test_ping(db: BlockingSurrealConnection) -> None:
    db.ping()
    assert db.query("RETURN 1") == 1


def test_version(db: BlockingSurrealConnection) -> None:
    version = db.version()
    assert version.startswith("surrealdb-")
    assert re.fullmatch(r"surrealdb-\d+\.\d+\.\d+\S*", version), version


def test_use_switches_database_back_and_forth(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    other = f"{database_name}_other"
    first = db.create(RecordID("place", "first"), {"in": "first"})
    db.use("test", other)
    assert db.query("RETURN [session::ns(), session::db()]") == ["test", other]
    second = db.create(RecordID("place", "second"), {"in": "second"})
    assert db.select("place") == [second]
    db.use("test", database_name)
    assert db.query("RETURN session::db()") == database_name
    assert db.select("place") == [first]
    db.use("test", other)
    assert db.select("place") == [second]


def test_use_none_keeps_the_current_choice(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.use(None, f"{database_name}_b")
    assert db.query("RETURN [session::ns(), session::db()]") == ["test", f"{database_name}_b"]
    db.use("other_ns")
    assert db.query("RETURN [session::ns(), session::db()]") == [
        "other_ns",
        f"{database_name}_b",
    ]
    db.use("test", database_name)
    assert db.query("RETURN [session::ns(), session::db()]") == ["test", database_name]


# --------------------------------------------------------------------------------------------
# signin, signup, authenticate, refresh, revoke, invalidate, reset, info
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire_names", [False, True], ids=["username-password", "user-pass"])
def test_signin_root_returns_a_jwt(
    db: BlockingSurrealConnection,
    server: ServerInfo,
    transport: str,
    database_name: str,
    wire_names: bool,
) -> None:
    credentials = root_credentials(db, server, transport)
    if wire_names:
        credentials = {"user": credentials["username"], "pass": credentials["password"]}
    token = assert_is_jwt(db.signin(credentials))
    name = credentials.get("username", credentials.get("user"))
    assert jwt_claims(token)["ID"] == name
    db.use("test", database_name)
    assert db.query("RETURN [$token.ID, $token.jti]") == [name, jwt_claims(token)["jti"]]
    assert db.info() is None  # a system user has no record


def test_signin_with_a_bad_password_raises_authentication_error(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    with pytest.raises(AuthenticationError) as caught:
        db.signin({"username": credentials["username"], "password": "not-the-Password-42"})
    assert caught.value.detail_kind == "Auth"
    assert "not-the-Password-42" not in str(caught.value)
    db.use("test", database_name)
    assert db.query("RETURN 1") == 1  # the connection is still usable


def test_signup_and_signin_through_record_access(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.query(define_record_access_sql("account"))
    credentials = record_credentials(database_name, "account")
    # namespace/database/access get their wire names; the access method's own variables
    # (`email`, and `password`, which must not become `pass`) go through unchanged.
    assert generated_requests.signup(credentials).params == [
        {
            "ns": "test",
            "db": database_name,
            "ac": "account",
            "email": RECORD_USER_EMAIL,
            "password": RECORD_USER_PASSWORD,
        }
    ]
    token = assert_is_jwt(db.signup(credentials))
    claims = jwt_claims(token)
    assert (claims["NS"], claims["DB"], claims["AC"]) == ("test", database_name, "account")
    user = db.info()
    assert user is not None
    assert user["email"] == RECORD_USER_EMAIL
    assert str(user["id"]) == claims["ID"]
    assert user["password"].startswith("$argon2")  # $password reached the SIGNUP clause

    again = assert_is_jwt(db.signin(credentials))
    assert jwt_claims(again)["ID"] == claims["ID"]
    wire = {"ns": "test", "db": database_name, "ac": "account"}
    wire |= {"email": RECORD_USER_EMAIL, "password": RECORD_USER_PASSWORD}
    assert jwt_claims(assert_is_jwt(db.signin(wire)))["ID"] == claims["ID"]
    assert db.info() == user


def test_record_signin_with_a_bad_password_fails(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.query(define_record_access_sql("account"))
    db.signup(record_credentials(database_name, "account"))
    # 3.0.2 reports kind `Internal`, 3.2.4 kind `NotFound`; both say no record matched.
    with pytest.raises(ServerError, match="No record was returned"):
        db.signin(record_credentials(database_name, "account", password="wrong"))


def test_authenticate_with_a_token_from_signup(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.query(define_record_access_sql("account"))
    token = assert_is_jwt(db.signup(record_credentials(database_name, "account")))
    user = db.info()
    db.invalidate()
    db.authenticate(token)
    assert db.info() == user
    assert db.query("RETURN $token.jti") == jwt_claims(token)["jti"]
    # Tokens are accepted as well as strings.
    db.authenticate(Tokens(token))
    assert db.info() == user


@server_only
def test_authenticate_a_fresh_connection_with_a_root_token(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    token = assert_is_jwt(db.signin({"username": server.username, "password": server.password}))
    with Surreal(url_for(server, transport)) as fresh:
        fresh.use("test", database_name)
        with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
            fresh.query("RETURN $token")
        fresh.authenticate(token)
        assert fresh.query("RETURN [$token.ID, $token.jti]") == ["root", jwt_claims(token)["jti"]]


@pytest.mark.parametrize(
    ("token", "message"),
    [("garbage", "InvalidToken"), ("a.b.c", "Base64 error")],
    ids=["not-a-jwt", "bad-base64"],
)
def test_authenticate_with_garbage_fails_and_keeps_the_session(
    db: BlockingSurrealConnection,
    server: ServerInfo,
    transport: str,
    database_name: str,
    token: str,
    message: str,
) -> None:
    credentials = root_credentials(db, server, transport)
    db.signin(credentials)
    db.use("test", database_name)
    # Every transport and both engines report these as an `Internal` error, not as `Auth`:
    # the client maps them to a plain ServerError.
    with pytest.raises(ServerError, match=message) as caught:
        db.authenticate(token)
    assert caught.value.kind == "Internal"
    assert db.query("RETURN $token.ID") == credentials["username"]


def test_refresh_issues_new_tokens_once(db: BlockingSurrealConnection, database_name: str) -> None:
    db.query(define_record_access_sql("renewable", refresh=True))
    credentials = record_credentials(database_name, "renewable")
    signed_up = db.signup(credentials)
    assert isinstance(signed_up, Tokens)
    assert signed_up.refresh is not None
    assert_is_jwt(signed_up.access)
    signed_in = db.signin(credentials)
    assert isinstance(signed_in, Tokens)
    assert signed_in.refresh is not None
    renewed = db.refresh(signed_in)
    assert isinstance(renewed, Tokens)
    assert renewed.refresh is not None
    assert renewed.refresh != signed_in.refresh
    assert jwt_claims(renewed)["ID"] == jwt_claims(signed_in)["ID"]
    assert jwt_claims(renewed)["jti"] != jwt_claims(signed_in)["jti"]
    assert "<hidden>" in repr(renewed)
    assert str(renewed) not in repr(renewed)
    with pytest.raises(AuthenticationError):
        db.refresh(signed_in)  # a refresh token is single-use


def test_refresh_authenticates_the_connection_with_the_new_token(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    """Over WebSocket and embedded, `refresh` switches the session to the new access token;
    HTTP keeps the session client-side, so it must adopt the new token too."""
    db.query(define_record_access_sql("renewable", refresh=True))
    signed_up = db.signup(record_credentials(database_name, "renewable"))
    assert isinstance(signed_up, Tokens)
    assert db.query("RETURN $token.jti") == jwt_claims(signed_up)["jti"]
    renewed = db.refresh(signed_up)
    assert db.query("RETURN $token.jti") == jwt_claims(renewed)["jti"]


def test_revoke_makes_the_refresh_token_unusable(
    db: BlockingSurrealConnection, database_name: str
) -> None:
    db.query(define_record_access_sql("renewable", refresh=True))
    tokens = db.signup(record_credentials(database_name, "renewable"))
    assert isinstance(tokens, Tokens)
    db.revoke(tokens)
    with pytest.raises(AuthenticationError):
        db.refresh(tokens)
    assert db.info() is not None  # the access token itself stays valid


def test_refresh_and_revoke_need_a_refresh_token(db: BlockingSurrealConnection) -> None:
    without_refresh = Tokens("header.payload.signature")
    with pytest.raises(ValueError, match="no refresh token"):
        db.refresh(without_refresh)
    with pytest.raises(ValueError, match="no refresh token"):
        db.revoke(without_refresh)
    loose: Any = "header.payload.signature"
    with pytest.raises(TypeError, match="Tokens"):
        db.refresh(loose)


def test_invalidate_signs_out(
    db: BlockingSurrealConnection, transport: str, database_name: str
) -> None:
    db.query(define_record_access_sql("account"))
    db.signup(record_credentials(database_name, "account"))
    user = db.info()
    assert user is not None
    assert user["email"] == RECORD_USER_EMAIL
    db.invalidate()
    with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
        db.info()
    with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
        db.query("RETURN $token")


def test_reset_clears_auth_namespace_and_variables(
    db: BlockingSurrealConnection, server: ServerInfo, transport: str, database_name: str
) -> None:
    credentials = root_credentials(db, server, transport)
    db.let("kept", 1)
    assert db.query("RETURN $kept") == 1
    db.reset()
    with pytest.raises(AuthenticationError, match="Anonymous access not allowed"):
        db.query("RETURN 1")
    db.signin(credentials)
    assert db.query("RETURN [session::ns(), session::db()]") == [NONE, NONE]
    db.use("test", database_name)
    assert db.query("RETURN $kept") is NONE


def test_info_is_none_for_root(db: BlockingSurrealConnection) -> None:
    assert db.info() is None


# --------------------------------------------------------------------------------------------
# let, unset, query, query_all, query_raw
# --------------------------------------------------------------------------------------------


def test_let_and_unset(db: BlockingSurrealConnection) -> None:
    db.let("x", 42)
    db.let("$doc", {"when": Datetime(1, 2), "tags": ["a", "b"]})  # the `$` is optional
    assert db.query("RETURN $x") == 42
    assert db.query("RETURN [$x * 2, $doc.tags[1], $doc.when]") == [84, "b", Datetime(1, 2)]
    assert db.query("RETURN $x", {"x": 7}) == 7  # a query's own variables win
    db.unset("x")
    assert db.query("RETURN $x") is NONE
    assert db.query("RETURN $doc.tags") == ["a", "b"]
    db.unset("$doc")
    assert db.query("RETURN $doc") is NONE


def test_query_returns_the_last_statement(db: BlockingSurrealConnection) -> None:
    assert db.query("RETURN 1; RETURN 'two'") == "two"
    assert db.query("CREATE item:1 SET n = 1; CREATE item:2 SET n = 2; RETURN 3") == 3
    rows = db.query("SELECT * FROM item ORDER BY n")
    assert rows == [{"id": RecordID("item", 1), "n": 1}, {"id": RecordID("item", 2), "n": 2}]
    assert db.query("SELECT VALUE n FROM item WHERE n > $min", {"min": 1}) == [2]
    assert db.query("RETURN [$a + $b, $f]", {"a": 1, "b": 2, "f": 1.0}) == [3, 1.0]
    assert isinstance(db.query("RETURN $f", {"f": 2.0}), float)
    assert db.query("") is None


def test_query_all_returns_one_result_per_statement(db: BlockingSurrealConnection) -> None:
    results = db.query_all(
        "CREATE ONLY item:1 SET n = 1; SELECT VALUE n FROM item; RETURN $v; LET $y = 1",
        {"v": "var"},
    )
    assert results == [{"id": RecordID("item", 1), "n": 1}, [1], "var", NONE]
    assert db.query_all("") == []


def test_query_results_reports_each_statement_without_raising(
    db: BlockingSurrealConnection,
) -> None:
    results = db.query_results("RETURN 1; THROW 'boom'; RETURN $v", {"v": 3})
    assert [type(result) for result in results] == [QueryResult] * 3
    assert [result.status for result in results] == ["OK", "ERR", "OK"]
    assert [result.ok for result in results] == [True, False, True]
    assert results[0].result == 1
    assert results[2].result == 3
    assert "boom" in results[1].result
    assert results[1].kind == "Thrown"
    assert all(result.time for result in results)


FAILING_QUERIES = [
    pytest.param(
        "RETURN 1; CREATE dup:1; CREATE dup:1; RETURN 2",
        2,
        "AlreadyExists",
        "already exists",
        id="duplicate-record",
    ),
    pytest.param("THROW 'custom failure'", 0, "Thrown", "custom failure", id="throw"),
    pytest.param("RETURN 1; RETURN 2; THROW 'third one'", 2, "Thrown", "third one", id="throw-3rd"),
    pytest.param("SELECT * FROM missing_table", 0, "NotFound", "does not exist", id="missing"),
]


@pytest.mark.parametrize(("sql", "index", "kind", "message"), FAILING_QUERIES)
@pytest.mark.parametrize("method", ["query", "query_all"])
def test_failed_statement_raises_query_error(
    db: BlockingSurrealConnection, method: str, sql: str, index: int, kind: str, message: str
) -> None:
    run: Callable[[str], Any] = getattr(db, method)
    with pytest.raises(QueryError) as caught:
        run(sql)
    error = caught.value
    assert error.index == index
    assert error.kind == kind
    assert message in error.message
    assert message in str(error)
    assert f"statement {index}" in str(error)


def test_query_with_a_parse_error_raises_invalid_params(db: BlockingSurrealConnection) -> None:
    with pytest.raises(InvalidParamsError, match="Parse error"):
        db.query("RETURN 1; SELECT * FROM ;")
    with pytest.raises(InvalidParamsError, match="Parse error"):
        db.query_results("SELEC nonsense")


def test_query_raw_returns_the_servers_reply_as_the_official_sdk_does(
    db: BlockingSurrealConnection,
) -> None:
    reply = db.query_raw("RETURN 1; THROW 'boom'; RETURN $v", {"v": 3})
    assert set(reply) == {"id", "result"}
    assert isinstance(reply["id"], str)
    statements = reply["result"]
    assert [statement["status"] for statement in statements] == ["OK", "ERR", "OK"]
    assert [statements[0]["result"], statements[2]["result"]] == [1, 3]
    assert "boom" in statements[1]["result"]
    assert all(statement["time"] for statement in statements)
    # A query the server refuses whole: its error is returned, not raised.
    refused = db.query_raw(query="SELEC nonsense")
    assert set(refused) == {"id", "error"}
    assert refused["id"] != reply["id"]
    assert "Parse error" in refused["error"]["message"]
    assert refused["error"]["kind"] == "Validation"
    with pytest.raises(InvalidParamsError):
        raise parse_rpc_error(refused["error"])


# --------------------------------------------------------------------------------------------
# select, create, insert, insert_relation, update, upsert, merge, patch, delete, relate
# --------------------------------------------------------------------------------------------


def test_select(db: BlockingSurrealConnection) -> None:
    ada = db.create(RecordID("person", "ada"), {"name": "Ada"})
    bob = db.create(RecordID("person", "bob"), {"name": "Bob"})
    assert by_id(db.select("person")) == [ada, bob]
    assert by_id(db.select(Table("person"))) == [ada, bob]
    assert db.select(RecordID("person", "ada")) == {"id": RecordID("person", "ada"), "name": "Ada"}
    assert db.select(RecordID("person", "nobody")) is None
    with pytest.raises(NotFoundError, match="does not exist"):
        db.select("no_such_table")


def test_create(db: BlockingSurrealConnection) -> None:
    generated = db.create("person", {"name": "Ada", "age": 36})
    assert without_id(generated) == {"name": "Ada", "age": 36}
    assert isinstance(generated["id"], RecordID)
    assert generated["id"].table == "person"
    assert isinstance(generated["id"].id, str)
    assert generated["id"].id
    assert db.select(generated["id"]) == generated

    chosen = db.create(RecordID("person", 7), {"name": "Seven"})
    assert chosen == {"id": RecordID("person", 7), "name": "Seven"}
    assert db.create(Table("empty")).keys() == {"id"}
    with pytest.raises(AlreadyExistsError, match="already exists"):
        db.create(RecordID("person", 7), {"name": "again"})
    assert db.select(RecordID("person", 7)) == chosen


def test_insert(db: BlockingSurrealConnection) -> None:
    one = db.insert("person", {"name": "Ada"})
    assert len(one) == 1
    assert without_id(one[0]) == {"name": "Ada"}
    many = db.insert(Table("person"), [{"id": RecordID("person", 1), "name": "B"}, {"name": "C"}])
    assert len(many) == 2
    assert many[0] == {"id": RecordID("person", 1), "name": "B"}
    assert without_id(many[1]) == {"name": "C"}
    assert by_id(db.select("person")) == by_id(one + many)


def test_insert_relation(db: BlockingSurrealConnection) -> None:
    ada, bob = RecordID("person", "ada"), RecordID("person", "bob")
    db.insert("person", [{"id": ada}, {"id": bob}])
    one = db.insert_relation("likes", {"in": ada, "out": bob, "since": 2020})
    assert len(one) == 1
    assert one[0]["in"] == ada
    assert one[0]["out"] == bob
    assert one[0]["since"] == 2020
    assert one[0]["id"].table == "likes"
    many = db.insert_relation(
        None,
        [
            {"id": RecordID("likes", "x"), "in": bob, "out": ada},
            {"id": RecordID("follows", "y"), "in": ada, "out": ada},
        ],
    )
    assert [(edge["id"], edge["in"], edge["out"]) for edge in many] == [
        (RecordID("likes", "x"), bob, ada),
        (RecordID("follows", "y"), ada, ada),
    ]
    assert db.query("SELECT VALUE ->likes->person FROM ONLY $ada", {"ada": ada}) == [bob]


def test_update_replaces_content(db: BlockingSurrealConnection) -> None:
    db.create(RecordID("person", 1), {"name": "Ada", "age": 36})
    db.create(RecordID("person", 2), {"name": "Bob"})
    updated = db.update(RecordID("person", 1), {"name": "Ada L."})
    assert updated == {"id": RecordID("person", 1), "name": "Ada L."}  # `age` is gone
    assert db.update(RecordID("person", "missing"), {"name": "x"}) is None
    assert db.select(RecordID("person", "missing")) is None
    everyone = db.update("person", {"team": "A"})
    assert by_id(everyone) == [
        {"id": RecordID("person", 1), "team": "A"},
        {"id": RecordID("person", 2), "team": "A"},
    ]


def test_upsert(db: BlockingSurrealConnection) -> None:
    created = db.upsert(RecordID("person", "new"), {"name": "New"})
    assert created == {"id": RecordID("person", "new"), "name": "New"}
    replaced = db.upsert(RecordID("person", "new"), {"age": 1})
    assert replaced == {"id": RecordID("person", "new"), "age": 1}
    # On a table, the engine (3.0.2 and 3.2.4) creates ONE new record with a generated id and
    # leaves the existing records alone (`UPSERT person CONTENT ...` without WHERE does the same).
    added = db.upsert(Table("person"), {"flag": True})
    assert len(added) == 1
    assert without_id(added[0]) == {"flag": True}
    assert added[0]["id"].table == "person"
    assert added[0]["id"] != RecordID("person", "new")
    assert by_id(db.select("person")) == by_id([replaced, added[0]])


def test_merge_keeps_other_fields(db: BlockingSurrealConnection) -> None:
    db.create(RecordID("person", 1), {"name": "Ada", "age": 36})
    db.create(RecordID("person", 2), {"name": "Bob"})
    merged = db.merge(RecordID("person", 1), {"age": 37, "city": "London"})
    assert merged == {"id": RecordID("person", 1), "name": "Ada", "age": 37, "city": "London"}
    assert db.merge(RecordID("person", "missing"), {"age": 1}) is None
    everyone = db.merge("person", {"active": True})
    assert by_id(everyone) == [
        {"id": RecordID("person", 1), "name": "Ada", "age": 37, "city": "London", "active": True},
        {"id": RecordID("person", 2), "name": "Bob", "active": True},
    ]


def test_patch(db: BlockingSurrealConnection) -> None:
    db.create(RecordID("person", 1), {"name": "Ada", "tags": ["a"]})
    db.create(RecordID("person", 2), {"name": "Bob", "tags": []})
    patched = db.patch(
        RecordID("person", 1),
        [
            {"op": "replace", "path": "/name", "value": "Ada L."},
            {"op": "add", "path": "/age", "value": 36},
        ],
    )
    assert patched == {"id": RecordID("person", 1), "name": "Ada L.", "age": 36, "tags": ["a"]}
    diff = db.patch(
        RecordID("person", 1), [{"op": "replace", "path": "/age", "value": 37}], diff=True
    )
    assert diff == [{"op": "replace", "path": "/age", "value": 37}]
    assert db.select(RecordID("person", 1)) == {
        "id": RecordID("person", 1),
        "name": "Ada L.",
        "age": 37,
        "tags": ["a"],
    }
    everyone = db.patch("person", [{"op": "add", "path": "/tags/-", "value": "z"}])
    assert [record["tags"] for record in by_id(everyone)] == [["a", "z"], ["z"]]


def test_delete(db: BlockingSurrealConnection) -> None:
    ada = db.create(RecordID("person", "ada"), {"name": "Ada"})
    bob = db.create(RecordID("person", "bob"), {"name": "Bob"})
    carl = db.create(RecordID("person", "carl"), {"name": "Carl"})
    assert db.delete(RecordID("person", "ada")) == ada
    assert db.delete(RecordID("person", "ada")) is None
    assert db.select(RecordID("person", "ada")) is None
    assert by_id(db.delete("person")) == [bob, carl]
    assert db.select("person") == []


def test_relate(db: BlockingSurrealConnection) -> None:
    ada, bob = RecordID("person", "ada"), RecordID("person", "bob")
    db.insert("person", [{"id": ada, "name": "Ada"}, {"id": bob, "name": "Bob"}])
    edge = db.relate(ada, "knows", bob, {"since": Datetime(1_600_000_000)})
    assert edge["in"] == ada
    assert edge["out"] == bob
    assert edge["since"] == Datetime(1_600_000_000)
    assert isinstance(edge["id"], RecordID)
    assert edge["id"].table == "knows"
    bare = db.relate(bob, Table("knows"), ada)
    assert (bare["in"], bare["out"]) == (bob, ada)
    assert db.query("SELECT VALUE ->knows->person.name FROM ONLY $ada", {"ada": ada}) == ["Bob"]


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------


def test_run_builtin_functions(db: BlockingSurrealConnection) -> None:
    before = Datetime.now()
    now = db.run("time::now")
    assert isinstance(now, Datetime)
    assert abs(now.seconds - before.seconds) < 60
    assert db.run("string::uppercase", args=["abc"]) == "ABC"
    assert db.run("math::max", None, [[1, 5, 3]]) == 5


def test_run_a_defined_function(db: BlockingSurrealConnection) -> None:
    db.query(
        "DEFINE FUNCTION fn::greet($name: string, $times: int)"
        " { RETURN string::repeat($name, $times); }"
    )
    db.query("DEFINE FUNCTION fn::answer() { RETURN 42; }")
    assert db.run("fn::answer") == 42
    assert db.run("fn::greet", args=["ab", 3]) == "ababab"
    with pytest.raises(ServerError):
        db.run("fn::does_not_exist")


# --------------------------------------------------------------------------------------------
# live, subscribe_live, kill (WebSocket only)
# --------------------------------------------------------------------------------------------


def _collect(
    db: BlockingSurrealConnection, live_id: uuid.UUID, received: list[LiveNotification]
) -> Callable[[], None]:
    def consume() -> None:
        for notification in db.subscribe_live(live_id):
            received.append(notification)

    return consume


def _wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


ACTION_ORDER = ["CREATE", "UPDATE", "DELETE"]
"""The order of the changes the live-query tests make."""


@ws_only
def test_live_notifications_from_another_connection(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    db.query("DEFINE TABLE person SCHEMALESS")
    live_id = db.live("person")
    assert isinstance(live_id, uuid.UUID)
    received: list[LiveNotification] = []
    consumer = ThreadResult(_collect(db, live_id, received))

    def write() -> None:
        with ws_connection(server, database_name) as other:
            other.create(RecordID("person", "ada"), {"name": "Ada"})
            other.merge(RecordID("person", "ada"), {"age": 36})
            other.delete(RecordID("person", "ada"))

    ThreadResult(write).join()
    assert _wait_for(lambda: len(received) >= 3), received
    db.kill(live_id)
    consumer.join()  # kill ends the iteration
    ada = RecordID("person", "ada")
    # The 3.0.2 engine does not always send notifications in the order of the changes
    # (docs/live-queries.md): compare them in the order of the changes.
    in_order = sorted(received, key=lambda n: ACTION_ORDER.index(n.action))
    assert [(n.action, n.record_id) for n in in_order] == [
        ("CREATE", ada),
        ("UPDATE", ada),
        ("DELETE", ada),
    ]
    assert [n.result for n in in_order] == [
        {"id": ada, "name": "Ada"},
        {"id": ada, "name": "Ada", "age": 36},
        {"id": ada, "name": "Ada", "age": 36},
    ]
    assert {n.live_id for n in received} == {live_id}


@ws_only
def test_live_with_diff_delivers_patches(
    db: BlockingSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    db.query("DEFINE TABLE person SCHEMALESS")
    live_id = db.live(Table("person"), diff=True)
    received: list[LiveNotification] = []
    consumer = ThreadResult(_collect(db, live_id, received))
    with ws_connection(server, database_name) as other:
        other.create(RecordID("person", 1), {"n": 1})
    assert _wait_for(lambda: len(received) >= 1)
    db.kill(live_id)
    consumer.join()
    assert received[0].action == "CREATE"
    assert received[0].record_id == RecordID("person", 1)
    assert received[0].result == [
        {"op": "replace", "path": "", "value": {"id": RecordID("person", 1), "n": 1}}
    ]


@ws_only
def test_kill_of_an_unknown_live_query_fails(db: BlockingSurrealConnection) -> None:
    with pytest.raises(ServerError, match="KILL"):
        db.kill(uuid.uuid4())


@ws_only
def test_reset_ends_live_subscriptions(db: BlockingSurrealConnection) -> None:
    """`reset` stops the connection's live queries on the server (no KILLED notification is
    sent), so their subscriptions must end instead of waiting forever."""
    db.query("DEFINE TABLE person SCHEMALESS")
    live_id = db.live("person")
    received: list[LiveNotification] = []
    consumer = ThreadResult(_collect(db, live_id, received))
    db.reset()
    consumer.thread.join(3)
    assert not consumer.thread.is_alive(), "subscribe_live still waits after reset()"


def test_closing_the_connection_ends_live_subscriptions(
    server: ServerInfo, database_name: str
) -> None:
    connection = ws_connection(server, database_name)
    connection.query("DEFINE TABLE person SCHEMALESS")
    live_id = connection.live("person")
    received: list[LiveNotification] = []
    consumer = ThreadResult(_collect(connection, live_id, received))
    connection.close()
    consumer.join()
    assert received == []


# --------------------------------------------------------------------------------------------
# attach, detach, sessions
# --------------------------------------------------------------------------------------------


def test_attach_detach_sessions(db: BlockingSurrealConnection) -> None:
    before = db.sessions()
    assert all(isinstance(session, uuid.UUID) for session in before)
    fresh = db.attach()
    assert isinstance(fresh, uuid.UUID)
    chosen = uuid.uuid4()
    assert db.attach(chosen) == chosen
    current = db.sessions()
    assert fresh in current
    assert chosen in current
    db.detach(fresh)
    current = db.sessions()
    assert fresh not in current
    assert chosen in current
    db.detach(chosen)
    assert chosen not in db.sessions()
    assert set(db.sessions()) == set(before)


# --------------------------------------------------------------------------------------------
# begin, commit, cancel (WebSocket only)
# --------------------------------------------------------------------------------------------


@ws_only
def test_begin_commit_cancel(db: BlockingSurrealConnection) -> None:
    committed = db.begin()
    assert isinstance(committed, uuid.UUID)
    db.commit(committed)
    cancelled = db.begin()
    assert cancelled != committed
    db.cancel(cancelled)
    with pytest.raises(ServerError, match="Transaction not found"):
        db.commit(cancelled)


@ws_only
def test_cancel_of_an_unknown_transaction_fails(db: BlockingSurrealConnection) -> None:
    with pytest.raises(ServerError, match="Transaction not found"):
        db.cancel(uuid.uuid4())


# --------------------------------------------------------------------------------------------
# Methods a transport does not support
# --------------------------------------------------------------------------------------------

UNSUPPORTED_CALLS = [
    pytest.param(lambda c: c.live("person"), id="live"),
    pytest.param(lambda c: c.live("person", diff=True), id="live-diff"),
    pytest.param(lambda c: c.kill(uuid.uuid4()), id="kill"),
    pytest.param(lambda c: c.begin(), id="begin"),
    pytest.param(lambda c: c.commit(uuid.uuid4()), id="commit"),
    pytest.param(lambda c: c.cancel(uuid.uuid4()), id="cancel"),
    pytest.param(lambda c: c.subscribe_live(uuid.uuid4()), id="subscribe_live"),
]


@not_ws
@pytest.mark.parametrize("call", UNSUPPORTED_CALLS)
def test_ws_only_methods_raise_unsupported_feature(
    db: BlockingSurrealConnection, call: Callable[[Any], object]
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        call(db)
    assert db.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# Injection: strings are names and values, never SurrealQL
# --------------------------------------------------------------------------------------------


def _table_is_absent_or_empty(db: BlockingSurrealConnection, table: str) -> None:
    """A table that was never written to does not exist: SELECT fails with NotFound."""
    with pytest.raises(QueryError) as caught:
        db.query(f"SELECT * FROM {table}")
    assert caught.value.kind == "NotFound"
    assert f"'{table}' does not exist" in caught.value.message


def test_select_with_a_colon_string_is_rejected_before_sending(
    db: BlockingSurrealConnection,
) -> None:
    db.create(RecordID("person", 1), {"name": "Ada"})
    with pytest.raises(ValueError, match="looks like a record id"):
        db.select("person; CREATE x:1")
    _table_is_absent_or_empty(db, "x")
    assert db.select("person") == [{"id": RecordID("person", 1), "name": "Ada"}]


@pytest.mark.parametrize("as_table", [True, False], ids=["Table", "str"])
def test_select_with_an_injected_table_name_creates_nothing(
    db: BlockingSurrealConnection, as_table: bool
) -> None:
    db.create(RecordID("person", 1), {"name": "Ada"})
    name = "person; CREATE injected"
    with pytest.raises(NotFoundError, match="does not exist"):
        db.select(Table(name) if as_table else name)
    _table_is_absent_or_empty(db, "injected")
    assert db.select("person") == [{"id": RecordID("person", 1), "name": "Ada"}]


def test_values_are_stored_verbatim(db: BlockingSurrealConnection) -> None:
    payload = "'); DELETE person; --"
    created = db.create("person", {"name": payload, "other": '"; REMOVE TABLE person; $x'})
    assert created["name"] == payload
    everyone = db.select("person")
    assert everyone == [created]
    assert db.query("SELECT VALUE name FROM person WHERE name = $p", {"p": payload}) == [payload]


# --------------------------------------------------------------------------------------------
# Values through the client
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record_id",
    [
        RecordID("kinds", "text"),
        RecordID("kinds", 12345),
        RecordID("kinds", ["tenant", 7, {"nested": True}]),
        RecordID("kinds", {"tenant": "acme", "n": 1}),
        RecordID("kinds", _TEST_UUID),
    ],
    ids=["str-id", "int-id", "array-id", "object-id", "uuid-id"],
)
def test_every_value_type_round_trips_through_create(
    db: BlockingSurrealConnection, record_id: RecordID
) -> None:
    content = every_value_type()
    created = db.create(record_id, content)
    expected = expected_record(record_id, content)
    assert created == expected
    assert "none" not in created  # NONE means absent ...
    assert "null" in created and created["null"] is None  # ... while NULL is kept
    selected = db.select(record_id)
    assert selected == expected
    assert selected is not None
    for key, value in expected.items():  # same types, not just equal values
        assert type(selected[key]) is type(value), key


def test_sets_and_all_ranges_round_trip_through_query_variables(
    db: BlockingSurrealConnection,
) -> None:
    content: dict[str, Any] = {"set": {1, 2, 3}, "strings": frozenset({"a"}), **OTHER_RANGES}
    stored = db.query("CREATE ONLY kinds:1 CONTENT $content", {"content": content})
    assert stored == {"id": RecordID("kinds", 1), **content, "strings": {"a"}}
    assert db.query("RETURN $value", {"value": content}) == {**content, "strings": {"a"}}


def test_rpc_data_rewrites_sets_and_range_bounds(
    db: BlockingSurrealConnection, transport: str
) -> None:
    """Engine behaviour, not the client's: the same CBOR that round-trips as a query variable
    (previous test) is rewritten when it arrives as the data of create/insert/upsert. Every
    range becomes `Included(begin)..Excluded(end)` (an open bound becomes NONE, `..=10` and
    `1>..=5` change meaning) on both engines, and 3.0.2 turns a set into an array."""
    created = db.create(RecordID("kinds", 1), {"set": {1, 2, 3}, **OTHER_RANGES})
    expected_set: object = {1, 2, 3} if transport == "embedded" else [1, 2, 3]
    assert created["set"] == expected_set
    assert created["open_begin"] == Range(BoundIncluded(NONE), BoundExcluded(10))
    assert created["open_end"] == Range(BoundIncluded(1), BoundExcluded(NONE))
    assert created["unbounded"] == Range(BoundIncluded(NONE), BoundExcluded(NONE))
    assert created["excluded_included"] == Range(BoundIncluded(1), BoundExcluded(5))


@pytest.fixture
def two_threads_db(server: ServerInfo, database_name: str) -> Iterator[BlockingSurrealConnection]:
    """A WebSocket connection for the concurrency test."""
    with ws_connection(server, database_name) as connection:
        yield connection


def test_one_ws_connection_serves_many_threads(two_threads_db: BlockingSurrealConnection) -> None:
    db = two_threads_db
    db.query("DEFINE TABLE counter SCHEMALESS")

    def worker(n: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(10):
                record = db.create(RecordID("counter", [n, i]), {"n": n, "i": i})
                assert record["id"] == RecordID("counter", [n, i])

        return run

    threads = [ThreadResult(worker(n)) for n in range(4)]
    for thread in threads:
        thread.join()
    assert db.query("RETURN count(SELECT * FROM counter)") == 40
