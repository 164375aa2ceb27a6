"""The official `surrealdb` 2.0.0 SDK's error API on our error classes.

Code written for the official SDK reads what went wrong from properties of the error
(`err.table_name`, `err.is_invalid_auth`, `err.server_cause`, ...) and parses the replies of
`query_raw` with `parse_query_error`. The first part decodes error replies as the engine sent
them (recorded from the test server) and checks each property; the second triggers the same
errors on the real engine, sync and async, over WebSocket, HTTP and the embedded engine, and
reads them the official way.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from surrealdb import (
    AlreadyExistsError,
    AsyncSurreal,
    AuthenticationError,
    ConfigurationError,
    Duration,
    InternalError,
    InvalidURLError,
    NotAllowedError,
    NotFoundError,
    QueryError,
    RecordID,
    SerializationError,
    ServerError,
    Surreal,
    SurrealError,
    ThrownError,
    UnsupportedEngineError,
    ValidationError,
    cbor,
)
from surrealdb._replies import error_reply, query_all
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import parse_query_error, parse_rpc_error
from surrealdb.protocol import ErrorReply, Request, RpcProtocol
from tests.conftest import url_for
from tests.server import ServerInfo

QUERY = Request("query", ["..."])


def decoded(error: dict[str, Any]) -> ServerError:
    """The exception our client raises for an RPC reply carrying `error`, from its bytes."""
    event = RpcProtocol().decode_frame(cbor.encode({"id": 7, "error": error}))
    assert isinstance(event, ErrorReply)
    assert isinstance(event.error, ServerError)
    return event.error


def statement_error(statement: dict[str, Any], index: int = 0) -> QueryError:
    """The exception `query` raises when the statement at `index` failed with `statement`."""
    ok = {"status": "OK", "time": "1µs", "result": None}
    with pytest.raises(QueryError) as caught:
        query_all([ok] * index + [statement], QUERY)
    return caught.value


def check(error: ServerError, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert getattr(error, name) == value, name


# --------------------------------------------------------------------------------------------
# RPC errors as the engine sends them
# --------------------------------------------------------------------------------------------

# name: (the `error` of the reply, as recorded from the test server, the official class, and
# the official properties with their values)
RPC_ERRORS: dict[str, tuple[dict[str, Any], type[ServerError], dict[str, Any]]] = {
    "wrong password": (
        {
            "code": -32002,
            "kind": "NotAllowed",
            "message": "There was a problem with authentication",
            "details": {"kind": "Auth", "details": {"kind": "InvalidAuth"}},
        },
        NotAllowedError,
        {
            "is_invalid_auth": True,
            "is_token_expired": False,
            "is_scripting_blocked": False,
            "method_name": None,
            "function_name": None,
            "target_name": None,
            "server_cause": None,
        },
    ),
    "expired token": (
        {
            "code": -32002,
            "kind": "NotAllowed",
            "message": "The token has expired",
            "details": {"kind": "Auth", "details": {"kind": "TokenExpired"}},
        },
        NotAllowedError,
        {"is_token_expired": True, "is_invalid_auth": False},
    ),
    "missing table": (
        {
            "code": -32000,
            "kind": "NotFound",
            "message": "The table 'nothere' does not exist",
            "details": {"kind": "Table", "details": {"name": "nothere"}},
        },
        NotFoundError,
        {
            "table_name": "nothere",
            "record_id": None,
            "method_name": None,
            "namespace_name": None,
            "database_name": None,
            "session_id": None,
        },
    ),
    "duplicate record": (
        {
            "code": -32000,
            "kind": "AlreadyExists",
            "message": "Database record `c:1` already exists",
            "details": {"kind": "Record", "details": {"id": "c:1"}},
        },
        AlreadyExistsError,
        {"record_id": "c:1", "table_name": None, "session_id": None},
    ),
    "protected variable": (
        {
            "code": -32603,
            "kind": "Validation",
            "message": "Cannot set protected variable: auth",
            "details": {"kind": "InvalidParams"},
        },
        ValidationError,
        {"is_parse_error": False, "parameter_name": None},
    ),
    "parse error": (
        {
            "code": -32000,
            "kind": "Validation",
            "message": "Parse error: Unexpected token `an identifier`, expected Eof",
        },
        ValidationError,
        {"is_parse_error": False, "details": None},  # the 3.0.2 server sends no details
    ),
    "unknown function": (
        {
            "code": -32000,
            "kind": "Internal",
            "message": "Function 'fn::nothere' not found",
        },
        InternalError,
        {"details": None},
    ),
}


@pytest.mark.parametrize("name", RPC_ERRORS, ids=list(RPC_ERRORS))
def test_an_rpc_error_reads_the_official_properties(name: str) -> None:
    reply, official, expected = RPC_ERRORS[name]
    error = decoded(reply)
    assert isinstance(error, official)
    assert (error.kind, error.code, str(error)) == (reply["kind"], reply["code"], reply["message"])
    assert error.details == reply.get("details")
    check(error, expected)
    assert repr(error) == f"{type(error).__name__}(kind={reply['kind']!r}, message={str(error)!r})"


@pytest.mark.parametrize("name", RPC_ERRORS, ids=list(RPC_ERRORS))
def test_parse_rpc_error_gives_what_the_client_raises(name: str) -> None:
    reply, _, expected = RPC_ERRORS[name]
    error = parse_rpc_error(reply)
    assert type(error) is type(decoded(reply))
    check(error, expected)


# Details the test server sends no error for, in the shapes its source gives them.
@pytest.mark.parametrize(
    ("kind", "details", "official", "name", "value"),
    [
        ("NotAllowed", {"kind": "Method", "details": {"name": "begin"}}, NotAllowedError,
         "method_name", "begin"),
        ("NotAllowed", {"kind": "Function", "details": {"name": "fn::x"}}, NotAllowedError,
         "function_name", "fn::x"),
        ("NotAllowed", {"kind": "Scripting"}, NotAllowedError, "is_scripting_blocked", True),
        ("NotFound", {"kind": "Method", "details": {"name": "nope"}}, NotFoundError,
         "method_name", "nope"),
        ("NotFound", {"kind": "Session", "details": {"id": "a1b2"}}, NotFoundError,
         "session_id", "a1b2"),
        ("NotFound", {"kind": "Session", "details": {"id": None}}, NotFoundError,
         "session_id", None),
        ("NotFound", {"kind": "Record", "details": {"id": "person:1"}}, NotFoundError,
         "record_id", "person:1"),
        ("AlreadyExists", {"kind": "Session", "details": {"id": "a1b2"}}, AlreadyExistsError,
         "session_id", "a1b2"),
        ("Validation", {"kind": "Parse"}, ValidationError, "is_parse_error", True),
        ("Validation", {"kind": "InvalidParameter", "details": {"name": "limit"}},
         ValidationError, "parameter_name", "limit"),
        ("Configuration", {"kind": "LiveQueryNotSupported"}, ConfigurationError,
         "is_live_query_not_supported", True),
        ("Serialization", {"kind": "Deserialization"}, SerializationError,
         "is_deserialization", True),
        ("Serialization", {"kind": "Serialization"}, SerializationError,
         "is_deserialization", False),
        ("Query", {"kind": "Cancelled"}, QueryError, "is_cancelled", True),
    ],
)  # fmt: skip
def test_each_detail_property_reads_its_details(
    kind: str, details: dict[str, Any], official: type[ServerError], name: str, value: object
) -> None:
    error = decoded({"code": -32000, "kind": kind, "message": "m", "details": details})
    assert isinstance(error, official)
    assert getattr(error, name) == value


def test_a_detail_property_of_other_details_is_none() -> None:
    error = decoded({"code": -32000, "kind": "NotFound", "message": "m", "details": "odd"})
    assert isinstance(error, NotFoundError)
    assert (error.table_name, error.record_id, error.detail_kind) == (None, None, None)
    auth = decoded({"code": -32002, "kind": "NotAllowed", "message": "m", "details": {}})
    assert isinstance(auth, NotAllowedError)
    assert auth.is_invalid_auth is False


# --------------------------------------------------------------------------------------------
# Errors of servers before 3.0 (a code, no kind)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "official"),
    [
        (-32700, "Validation", ValidationError),
        (-32600, "Validation", ValidationError),
        (-32603, "Validation", ValidationError),
        (-32601, "NotFound", NotFoundError),
        (-32602, "NotAllowed", NotAllowedError),
        (-32002, "NotAllowed", NotAllowedError),
        (-32604, "Configuration", ConfigurationError),
        (-32003, "Query", QueryError),
        (-32004, "Query", QueryError),
        (-32006, "Thrown", ThrownError),
        (-32008, "Serialization", SerializationError),
        (-32000, "Internal", InternalError),
        (-12345, "Internal", InternalError),
    ],
)
def test_an_error_with_only_a_code_gets_the_kind_of_its_code(
    code: int, kind: str, official: type[ServerError]
) -> None:
    error = decoded({"code": code, "message": "There was a problem with the database"})
    assert isinstance(error, official)
    assert (error.kind, error.code, error.details) == (kind, code, None)


def test_a_connection_code_is_a_plain_server_error() -> None:
    error = decoded({"code": -32001, "message": "m"})
    assert type(error) is ServerError
    assert error.kind == "Connection"


def test_an_unknown_kind_keeps_what_the_server_sent() -> None:
    error = decoded({"code": -32000, "kind": "Later", "message": "m", "details": {"a": 1}})
    assert type(error) is ServerError
    assert (error.kind, error.details) == ("Later", {"a": 1})


# --------------------------------------------------------------------------------------------
# The cause chain
# --------------------------------------------------------------------------------------------

CHAINED = {
    "code": -32000,
    "kind": "NotAllowed",
    "message": "top",
    "cause": {
        "code": -32000,
        "kind": "NotFound",
        "message": "middle",
        "details": {"kind": "Table", "details": {"name": "users"}},
        "cause": {"code": -32000, "kind": "Internal", "message": "root"},
    },
}


def test_a_none_cause_is_no_cause() -> None:
    # The engine sends `cause: NONE` on every error; NONE is None, so there is no cause.
    error = decoded({"code": -32000, "kind": "Internal", "message": "boom", "cause": None})
    assert error.server_cause is None and error.__cause__ is None
    assert str(error) == "boom"


def test_the_cause_chain_is_decoded_whole() -> None:
    error = decoded(CHAINED)
    middle = error.server_cause
    assert isinstance(middle, NotFoundError) and middle is error.__cause__
    assert middle.table_name == "users"
    root = middle.server_cause
    assert isinstance(root, InternalError) and str(root) == "root"
    assert root.server_cause is None
    assert error.find_cause("NotAllowed") is error
    assert error.find_cause("NotFound") is middle
    assert error.find_cause("Internal") is root
    assert error.find_cause("Thrown") is None
    assert [error.has_kind(kind) for kind in ("NotFound", "Internal", "Thrown")] == [
        True,
        True,
        False,
    ]


def test_query_raw_returns_the_cause_chain_it_was_sent() -> None:
    request = Request("query", ["SELEC", None], id=3)
    assert error_reply(decoded(CHAINED), request) == {"id": "3", "error": CHAINED}


def test_a_statement_error_with_a_cause() -> None:
    error = parse_query_error(
        {"status": "ERR", "result": "denied", "kind": "NotAllowed", "cause": CHAINED["cause"]}
    )
    assert isinstance(error, NotAllowedError)
    assert isinstance(error.server_cause, NotFoundError)
    assert error.has_kind("Internal")


# --------------------------------------------------------------------------------------------
# Failed statements: what query() raises and what parse_query_error gives
# --------------------------------------------------------------------------------------------

# name: (the statement as recorded from the test server, the official class, its properties)
STATEMENT_ERRORS: dict[str, tuple[dict[str, Any], type[ServerError], dict[str, Any]]] = {
    "THROW": (
        {"status": "ERR", "result": "An error occurred: boom", "kind": "Thrown"},
        ThrownError,
        {"details": None},
    ),
    "duplicate record": (
        {
            "status": "ERR",
            "result": "Database record `d:1` already exists",
            "kind": "AlreadyExists",
            "details": {"kind": "Record", "details": {"id": "d:1"}},
        },
        AlreadyExistsError,
        {"record_id": "d:1"},
    ),
    "schema violation": (
        {
            "status": "ERR",
            "result": "Couldn't coerce value for field `age` of `p:1`: Expected `int`",
            "kind": "Internal",
        },
        InternalError,
        {},
    ),
    "timeout": (
        {
            "status": "ERR",
            "result": "The query was not executed because it exceeded the timeout: 10ms",
            "kind": "Query",
            "details": {"kind": "TimedOut", "details": {"duration": Duration.parse("10ms")}},
        },
        QueryError,
        {"is_timed_out": True, "timeout": Duration.parse("10ms"), "is_not_executed": False},
    ),
    "failed transaction": (
        {
            "status": "ERR",
            "result": "The query was not executed due to a failed transaction",
            "kind": "Query",
            "details": {"kind": "NotExecuted"},
        },
        QueryError,
        {"is_not_executed": True, "is_timed_out": False, "timeout": None},
    ),
    "before 3.0": (
        {"status": "ERR", "result": "There was a problem with the database: boom"},
        InternalError,
        {"kind": "Internal", "details": None},
    ),
}


@pytest.mark.parametrize("name", STATEMENT_ERRORS, ids=list(STATEMENT_ERRORS))
def test_parse_query_error_reads_a_failed_statement(name: str) -> None:
    statement, official, expected = STATEMENT_ERRORS[name]
    error = parse_query_error(statement)
    assert isinstance(error, official)
    assert (str(error), error.code) == (statement["result"], 0)
    assert error.kind == statement.get("kind", "Internal")
    check(error, expected)


@pytest.mark.parametrize("name", STATEMENT_ERRORS, ids=list(STATEMENT_ERRORS))
def test_query_raises_the_same_for_a_failed_statement(name: str) -> None:
    statement, official, expected = STATEMENT_ERRORS[name]
    error = statement_error(statement, index=2)
    assert isinstance(error, official)
    assert (error.index, error.code, error.message) == (2, 0, statement["result"])
    assert str(error) == f"statement 2 of the query failed: {statement['result']}"
    check(error, expected)


def test_details_wrapped_twice_by_surrealdb_3_0_0_are_unwrapped() -> None:
    record = {"kind": "Record", "details": {"id": "person:dup"}}
    statement = {
        "status": "ERR",
        "result": "Database record `person:dup` already exists",
        "kind": "AlreadyExists",
        "details": {"kind": "AlreadyExists", "details": record},
    }
    for error in (parse_query_error(statement), statement_error(statement)):
        assert isinstance(error, AlreadyExistsError)
        assert (error.details, error.record_id) == (record, "person:dup")


def test_an_rpc_error_of_kind_query_is_a_query_error_of_no_statement() -> None:
    error = decoded(
        {"code": -32005, "kind": "Query", "message": "m", "details": {"kind": "Cancelled"}}
    )
    assert isinstance(error, QueryError)
    assert (error.index, str(error), error.is_cancelled) == (None, "m", True)


# --------------------------------------------------------------------------------------------
# Made by hand, as code written for the official SDK does
# --------------------------------------------------------------------------------------------


def test_server_errors_take_the_official_keywords() -> None:
    error = ServerError(kind="NotFound", message="not here")
    assert (error.kind, error.code, error.details, error.server_cause) == (
        "NotFound",
        0,
        None,
        None,
    )
    assert repr(error) == "ServerError(kind='NotFound', message='not here')"
    cause = InternalError(kind="Internal", message="root")
    top = NotFoundError(kind="NotFound", message="top", code=-32000, cause=cause)
    assert top.server_cause is cause and top.__cause__ is cause
    assert isinstance(top, SurrealError)


def test_a_class_without_a_kind_given_takes_its_own() -> None:
    assert NotFoundError("m").kind == "NotFound"
    assert ThrownError("m").kind == "Thrown"
    assert AuthenticationError("m").kind == "NotAllowed"
    assert ValidationError("m").kind == "Validation"
    assert ServerError("m").kind == "Internal"


def test_unsupported_engine_error_is_made_from_the_url() -> None:
    error = UnsupportedEngineError("ftp://localhost")
    assert error.url == "ftp://localhost"
    assert "ftp://localhost" in str(error) and "ws://" in str(error)
    assert isinstance(error, InvalidURLError) and isinstance(error, ValueError)
    assert not isinstance(error, ServerError)


def test_url_errors_name_their_url_but_never_its_credentials() -> None:
    with pytest.raises(UnsupportedEngineError) as unsupported:
        Surreal("ftp://root:secret@localhost:8000")
    assert unsupported.value.url == "ftp://***@localhost:8000"
    assert "secret" not in str(unsupported.value)
    with pytest.raises(InvalidURLError) as malformed:
        Surreal("ws://")
    assert not isinstance(malformed.value, UnsupportedEngineError)
    assert malformed.value.url == "ws://"
    with pytest.raises(InvalidURLError) as credentials:
        Surreal("ws://root:secret@localhost:8000")
    assert credentials.value.url is None


# --------------------------------------------------------------------------------------------
# On the real engine
# --------------------------------------------------------------------------------------------


def expired_token() -> str:
    """A token whose `exp` is long past: the server refuses it as expired before anything."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS512', 'typ': 'JWT'})}.{part({'exp': 1})}.c2lnbmF0dXJl"


# name: (SurrealQL, with {name} for a name no other test uses; the official class; its
# properties, `index` the position of the statement that fails)
QUERY_CASES: dict[str, tuple[str, type[ServerError], dict[str, Any]]] = {
    "missing table": (
        "SELECT * FROM never_defined",
        NotFoundError,
        {"table_name": "never_defined", "record_id": None, "index": 0},
    ),
    "duplicate record": (
        "CREATE dup:1; CREATE dup:1",
        AlreadyExistsError,
        {"record_id": "dup:1", "table_name": None, "index": 1},
    ),
    "duplicate table": (
        "DEFINE TABLE twice; DEFINE TABLE twice",
        AlreadyExistsError,
        {"table_name": "twice", "index": 1},
    ),
    "duplicate database": (
        "DEFINE DATABASE {name}_x; DEFINE DATABASE {name}_x",
        AlreadyExistsError,
        {"database_name": "{name}_x", "index": 1},
    ),
    "missing namespace": (
        "REMOVE NAMESPACE {name}",
        NotFoundError,
        {"namespace_name": "{name}", "index": 0},
    ),
    "missing database": (
        "REMOVE DATABASE {name}_never",
        NotFoundError,
        {"database_name": "{name}_never", "index": 0},
    ),
    "THROW": (
        "THROW 'card declined'",
        ThrownError,
        {"details": None, "index": 0, "thrown_message": "card declined"},
    ),
    "timeout": (
        "SELECT * FROM sleep(50ms) TIMEOUT 1ms",
        QueryError,
        {"is_timed_out": True, "timeout": Duration.parse("1ms"), "index": 0},
    ),
    # The statements before the THROW fail as not executed; the THROW's error is raised.
    "failed transaction": (
        "BEGIN; CREATE a:1; THROW 'no'; COMMIT",
        ThrownError,
        {"thrown_message": "no", "is_not_executed": False, "index": 2},
    ),
    "cancelled transaction": (
        "BEGIN; CREATE a:1; CANCEL",
        QueryError,
        {"is_cancelled": True, "is_not_executed": False, "index": 1},
    ),
}


def expected_for(properties: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        key: value.format(name=name) if isinstance(value, str) else value
        for key, value in properties.items()
    }


def check_query_error(
    error: BaseException, official: type[ServerError], properties: dict[str, Any]
) -> None:
    assert isinstance(error, official) and isinstance(error, QueryError)
    assert error.code == 0  # a failed statement has no code
    assert error.find_cause(error.kind) is error and error.server_cause is None
    check(error, properties)


@pytest.mark.parametrize("case", QUERY_CASES, ids=list(QUERY_CASES))
def test_a_failed_statement_reads_the_official_properties(
    db: BlockingSurrealConnection, database_name: str, case: str
) -> None:
    sql, official, properties = QUERY_CASES[case]
    with pytest.raises(ServerError) as caught:
        db.query(sql.format(name=database_name))
    check_query_error(caught.value, official, expected_for(properties, database_name))


@pytest.mark.parametrize("case", QUERY_CASES, ids=list(QUERY_CASES))
async def test_a_failed_statement_reads_the_official_properties_async(
    adb: AsyncSurrealConnection, database_name: str, case: str
) -> None:
    sql, official, properties = QUERY_CASES[case]
    with pytest.raises(ServerError) as caught:
        await adb.query(sql.format(name=database_name))
    check_query_error(caught.value, official, expected_for(properties, database_name))


@pytest.mark.parametrize("case", ["missing table", "duplicate record", "THROW", "timeout"])
def test_parse_query_error_reads_query_raw(
    db: BlockingSurrealConnection, database_name: str, case: str
) -> None:
    sql, official, properties = QUERY_CASES[case]
    raw = db.query_raw(sql.format(name=database_name))
    failed = [statement for statement in raw["result"] if statement["status"] == "ERR"]
    error = parse_query_error(failed[0])
    assert isinstance(error, official)
    assert (error.code, str(error)) == (0, failed[0]["result"])
    properties = {k: v for k, v in expected_for(properties, database_name).items() if k != "index"}
    check(error, properties)


async def test_parse_errors_read_query_raw_async(adb: AsyncSurrealConnection) -> None:
    raw = await adb.query_raw("RETURN 1; THROW 'fail'; RETURN 3")
    assert [statement["status"] for statement in raw["result"]] == ["OK", "ERR", "OK"]
    thrown = parse_query_error(raw["result"][1])
    assert isinstance(thrown, ThrownError) and "fail" in str(thrown)
    refused = await adb.query_raw("SEL ECT * FORM person")
    error = parse_rpc_error(refused["error"])
    assert isinstance(error, ValidationError)
    assert error.kind == "Validation" and "Parse error" in str(error)


def test_a_record_method_error_reads_the_official_properties(db: BlockingSurrealConnection) -> None:
    with pytest.raises(NotFoundError) as missing:
        db.select("never_defined")
    assert (missing.value.table_name, missing.value.code) == ("never_defined", -32000)
    db.query("DEFINE TABLE invoice SCHEMALESS")
    db.create(RecordID("invoice", 1), {"total": 1})
    with pytest.raises(AlreadyExistsError) as duplicate:
        db.create(RecordID("invoice", 1), {"total": 2})
    assert (duplicate.value.record_id, duplicate.value.code) == ("invoice:1", -32000)
    with pytest.raises(ValidationError) as refused:
        db.let("auth", 1)
    assert refused.value.code == -32603
    assert (refused.value.detail_kind, refused.value.is_parse_error) == ("InvalidParams", False)
    with pytest.raises(ValidationError) as syntax:
        db.query("SEL ECT * FORM person")
    assert syntax.value.kind == "Validation" and "Parse error" in str(syntax.value)


async def test_a_record_method_error_reads_the_official_properties_async(
    adb: AsyncSurrealConnection,
) -> None:
    with pytest.raises(NotFoundError) as missing:
        await adb.select("never_defined")
    assert (missing.value.table_name, missing.value.code) == ("never_defined", -32000)
    with pytest.raises(ValidationError) as refused:
        await adb.let("auth", 1)
    assert refused.value.code == -32603


def test_wrong_credentials_read_is_invalid_auth(server: ServerInfo, transport: str) -> None:
    with Surreal(url_for(server, transport)) as db:
        with pytest.raises(NotAllowedError) as caught:
            db.signin({"username": "invalid", "password": "invalid"})
        error = caught.value
        assert (error.kind, error.code) == ("NotAllowed", -32002)
        assert "authentication" in str(error)
        assert error.details["kind"] == "Auth"
        assert error.details["details"]["kind"] == "InvalidAuth"
        assert (error.is_invalid_auth, error.is_token_expired) == (True, False)
        with pytest.raises(NotAllowedError) as expired:
            db.authenticate(expired_token())
        assert (expired.value.is_token_expired, expired.value.is_invalid_auth) == (True, False)


async def test_wrong_credentials_read_is_invalid_auth_async(
    server: ServerInfo, transport: str
) -> None:
    async with AsyncSurreal(url_for(server, transport)) as db:
        with pytest.raises(NotAllowedError) as caught:
            await db.signin({"username": "invalid", "password": "invalid"})
        assert caught.value.is_invalid_auth and caught.value.code == -32002
        with pytest.raises(NotAllowedError) as expired:
            await db.authenticate(expired_token())
        assert expired.value.is_token_expired


def test_a_network_target_not_allowed_reads_target_name(
    db: BlockingSurrealConnection, transport: str
) -> None:
    if transport == "embedded":
        pytest.skip("the embedded engine has no network functions (an InternalError says so)")
    with pytest.raises(NotAllowedError) as caught:
        db.query("RETURN http::get('http://127.0.0.1:1/')")
    assert caught.value.target_name == "127.0.0.1:1"
    assert caught.value.method_name is None


async def test_a_network_target_not_allowed_reads_target_name_async(
    adb: AsyncSurrealConnection, transport: str
) -> None:
    if transport == "embedded":
        pytest.skip("the embedded engine has no network functions (an InternalError says so)")
    with pytest.raises(NotAllowedError) as caught:
        await adb.query("RETURN http::get('http://127.0.0.1:1/')")
    assert caught.value.target_name == "127.0.0.1:1"


def test_live_select_where_unsupported_reads_is_live_query_not_supported(
    db: BlockingSurrealConnection, transport: str
) -> None:
    if transport != "embedded":
        pytest.skip("the test server takes LIVE SELECT over WebSocket and HTTP")
    db.query("DEFINE TABLE person SCHEMALESS")
    with pytest.raises(ConfigurationError) as caught:
        db.query("LIVE SELECT * FROM person")
    assert caught.value.is_live_query_not_supported


async def test_live_select_where_unsupported_reads_is_live_query_not_supported_async(
    adb: AsyncSurrealConnection, transport: str
) -> None:
    if transport != "embedded":
        pytest.skip("the test server takes LIVE SELECT over WebSocket and HTTP")
    await adb.query("DEFINE TABLE person SCHEMALESS")
    with pytest.raises(ConfigurationError) as caught:
        await adb.query("LIVE SELECT * FROM person")
    assert caught.value.is_live_query_not_supported
