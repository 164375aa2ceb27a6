"""The official SDK's (surrealdb 2.0.0) public names and module paths work with ours.

Each name of its `surrealdb.__all__` must import from `surrealdb` and be the object of ours it
aliases; each module path user code imports must import and export its names; and each of its
error classes must catch, in an `except`, what our client raises against the real engine where
the official SDK raises it (see docs/migrating.md). The official package is not imported: the
lists below were written out from its source.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Iterator
from typing import Any

import pytest

import surrealdb
from surrealdb import _official, cbor, errors, scopes, values
from surrealdb._generated import asyncio as generated_async
from surrealdb._generated import blocking as generated_blocking
from surrealdb.api_types import Tokens
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from tests.conftest import url_for
from tests.server import ServerInfo

# The official `surrealdb.__all__` at v2.0.0, each with the object of ours it must be.
OFFICIAL_ALL: dict[str, object] = {
    "AsyncSurreal": surrealdb.factory.AsyncSurreal,
    "Surreal": surrealdb.factory.Surreal,
    "AsyncEmbeddedSurrealConnection": generated_async.AsyncEmbeddedSurrealConnection,
    "AsyncHttpSurrealConnection": generated_async.AsyncHttpSurrealConnection,
    "AsyncSurrealSession": scopes.AsyncSession,
    "AsyncSurrealTransaction": scopes.AsyncTransaction,
    "AsyncWsSurrealConnection": generated_async.AsyncWsSurrealConnection,
    "BlockingEmbeddedSurrealConnection": generated_blocking.BlockingEmbeddedSurrealConnection,
    "BlockingHttpSurrealConnection": generated_blocking.BlockingHttpSurrealConnection,
    "BlockingSurrealSession": scopes.BlockingSession,
    "BlockingSurrealTransaction": scopes.BlockingTransaction,
    "BlockingWsSurrealConnection": generated_blocking.BlockingWsSurrealConnection,
    "Table": values.Table,
    "Duration": values.Duration,
    "Geometry": values.Geometry,
    "Range": values.Range,
    "RecordID": values.RecordID,
    "Datetime": values.Datetime,
    "Tokens": Tokens,
    "Value": _official.Value,
    "SurrealError": errors.SurrealError,
    "ServerError": errors.ServerError,
    "ValidationError": errors.InvalidParamsError,
    "ConfigurationError": errors.ConfigurationError,
    "ThrownError": errors.ThrownError,
    "QueryError": errors.QueryError,
    "SerializationError": errors.SerializationError,
    "NotAllowedError": errors.NotAllowedError,
    "NotFoundError": errors.NotFoundError,
    "AlreadyExistsError": errors.AlreadyExistsError,
    "InternalError": errors.InternalError,
    "ErrorKind": errors.ErrorKind,
    "AuthDetailKind": errors.AuthDetailKind,
    "ValidationDetailKind": errors.ValidationDetailKind,
    "ConfigurationDetailKind": errors.ConfigurationDetailKind,
    "QueryDetailKind": errors.QueryDetailKind,
    "SerializationDetailKind": errors.SerializationDetailKind,
    "NotAllowedDetailKind": errors.NotAllowedDetailKind,
    "NotFoundDetailKind": errors.NotFoundDetailKind,
    "AlreadyExistsDetailKind": errors.AlreadyExistsDetailKind,
    "ConnectionDetailKind": errors.ConnectionDetailKind,
    "ConnectionUnavailableError": errors.SurrealConnectionError,
    "UnsupportedEngineError": errors.UnsupportedEngineError,
    "UnsupportedFeatureError": errors.UnsupportedFeatureError,
    "UnexpectedResponseError": errors.ProtocolError,
    "InvalidRecordIdError": errors.InvalidRecordIdError,
    "InvalidDurationError": errors.InvalidDurationError,
    "InvalidGeometryError": errors.InvalidGeometryError,
    "InvalidTableError": errors.InvalidTableError,
    "SurrealDBMethodError": errors.ServerError,
    "TAG_BOUND_EXCLUDED": 51,
    "TAG_BOUND_INCLUDED": 50,
    "TAG_DATETIME": 0,
    "TAG_DATETIME_COMPACT": 12,
    "TAG_DECIMAL_STRING": 10,
    "TAG_DURATION": 13,
    "TAG_DURATION_COMPACT": 14,
    "TAG_GEOMETRY_COLLECTION": 94,
    "TAG_GEOMETRY_LINE": 89,
    "TAG_GEOMETRY_MULTI_LINE": 92,
    "TAG_GEOMETRY_MULTI_POINT": 91,
    "TAG_GEOMETRY_MULTI_POLYGON": 93,
    "TAG_GEOMETRY_POINT": 88,
    "TAG_GEOMETRY_POLYGON": 90,
    "TAG_NONE": 6,
    "TAG_RANGE": 49,
    "TAG_RECORD_ID": 8,
    "TAG_TABLE_NAME": 7,
    "TAG_UUID_STRING": 9,
}

# The official module paths and the names each exports.
MODULE_PATHS: dict[str, list[str]] = {
    "surrealdb.connections.async_ws": [
        "AsyncWsSurrealConnection",
        "AsyncSurrealSession",
        "AsyncSurrealTransaction",
    ],
    "surrealdb.connections.blocking_ws": [
        "BlockingWsSurrealConnection",
        "BlockingSurrealSession",
        "BlockingSurrealTransaction",
    ],
    "surrealdb.connections.async_http": ["AsyncHttpSurrealConnection"],
    "surrealdb.connections.blocking_http": ["BlockingHttpSurrealConnection"],
    "surrealdb.connections.async_embedded": ["AsyncEmbeddedSurrealConnection"],
    "surrealdb.connections.blocking_embedded": ["BlockingEmbeddedSurrealConnection"],
    "surrealdb.data": [
        "GeometryPoint",
        "GeometryLine",
        "GeometryPolygon",
        "GeometryMultiPoint",
        "GeometryMultiLine",
        "GeometryMultiPolygon",
        "GeometryCollection",
        "Table",
        "RecordID",
    ],
    "surrealdb.data.cbor": ["encode", "decode"],
    "surrealdb.data.types.record_id": ["RecordID", "RecordIdType"],
    "surrealdb.data.types.table": ["Table", "TableType"],
    "surrealdb.data.types.duration": ["Duration"],
    "surrealdb.data.types.datetime": ["Datetime"],
    "surrealdb.data.types.geometry": [
        "Geometry",
        "GeometryPoint",
        "GeometryLine",
        "GeometryPolygon",
        "GeometryMultiPoint",
        "GeometryMultiLine",
        "GeometryMultiPolygon",
        "GeometryCollection",
    ],
    "surrealdb.data.types.range": ["Range", "Bound", "BoundIncluded", "BoundExcluded"],
    "surrealdb.data.types.constants": [name for name in OFFICIAL_ALL if name.startswith("TAG_")],
    "surrealdb.types": ["Tokens", "Value"],
    "surrealdb.errors": [
        *(name for name, obj in OFFICIAL_ALL.items() if name.endswith(("Error", "Kind"))),
        "parse_rpc_error",
        "parse_query_error",
    ],
}

# The official *DetailKind / ErrorKind constant holders: classes with string attributes.
KIND_CONSTANTS: dict[str, dict[str, str]] = {
    "ErrorKind": {
        "VALIDATION": "Validation",
        "CONFIGURATION": "Configuration",
        "THROWN": "Thrown",
        "QUERY": "Query",
        "SERIALIZATION": "Serialization",
        "NOT_ALLOWED": "NotAllowed",
        "NOT_FOUND": "NotFound",
        "ALREADY_EXISTS": "AlreadyExists",
        "CONNECTION": "Connection",
        "INTERNAL": "Internal",
    },
    "AuthDetailKind": {
        "TOKEN_EXPIRED": "TokenExpired",
        "SESSION_EXPIRED": "SessionExpired",
        "INVALID_AUTH": "InvalidAuth",
        "UNEXPECTED_AUTH": "UnexpectedAuth",
        "MISSING_USER_OR_PASS": "MissingUserOrPass",
        "NO_SIGNIN_TARGET": "NoSigninTarget",
        "INVALID_PASS": "InvalidPass",
        "TOKEN_MAKING_FAILED": "TokenMakingFailed",
        "INVALID_SIGNUP": "InvalidSignup",
        "INVALID_ROLE": "InvalidRole",
        "NOT_ALLOWED": "NotAllowed",
    },
    "ValidationDetailKind": {
        "PARSE": "Parse",
        "INVALID_REQUEST": "InvalidRequest",
        "INVALID_PARAMS": "InvalidParams",
        "NAMESPACE_EMPTY": "NamespaceEmpty",
        "DATABASE_EMPTY": "DatabaseEmpty",
        "INVALID_PARAMETER": "InvalidParameter",
        "INVALID_CONTENT": "InvalidContent",
        "INVALID_MERGE": "InvalidMerge",
    },
    "ConfigurationDetailKind": {
        "LIVE_QUERY_NOT_SUPPORTED": "LiveQueryNotSupported",
        "BAD_LIVE_QUERY_CONFIG": "BadLiveQueryConfig",
        "BAD_GRAPHQL_CONFIG": "BadGraphqlConfig",
    },
    "QueryDetailKind": {
        "NOT_EXECUTED": "NotExecuted",
        "TIMED_OUT": "TimedOut",
        "CANCELLED": "Cancelled",
    },
    "SerializationDetailKind": {
        "SERIALIZATION": "Serialization",
        "DESERIALIZATION": "Deserialization",
    },
    "NotAllowedDetailKind": {
        "SCRIPTING": "Scripting",
        "AUTH": "Auth",
        "METHOD": "Method",
        "FUNCTION": "Function",
        "TARGET": "Target",
    },
    "NotFoundDetailKind": {
        "METHOD": "Method",
        "SESSION": "Session",
        "TABLE": "Table",
        "RECORD": "Record",
        "NAMESPACE": "Namespace",
        "DATABASE": "Database",
        "TRANSACTION": "Transaction",
    },
    "AlreadyExistsDetailKind": {
        "SESSION": "Session",
        "TABLE": "Table",
        "RECORD": "Record",
        "NAMESPACE": "Namespace",
        "DATABASE": "Database",
    },
    "ConnectionDetailKind": {
        "UNINITIALISED": "Uninitialised",
        "ALREADY_CONNECTED": "AlreadyConnected",
    },
}


# --------------------------------------------------------------------------------------------
# Names and module paths
# --------------------------------------------------------------------------------------------


def test_the_official_all_has_69_names() -> None:
    assert len(OFFICIAL_ALL) == 69


@pytest.mark.parametrize(("name", "ours"), OFFICIAL_ALL.items(), ids=list(OFFICIAL_ALL))
def test_each_official_name_is_ours(name: str, ours: object) -> None:
    assert name in surrealdb.__all__
    assert getattr(surrealdb, name) is ours or getattr(surrealdb, name) == ours


def test_our_names_stay_in_all() -> None:
    for name in ("AsyncSession", "InvalidParamsError", "SurrealConnectionError", "NONE"):
        assert name in surrealdb.__all__


@pytest.mark.parametrize(("path", "names"), MODULE_PATHS.items(), ids=list(MODULE_PATHS))
def test_each_module_path_exports_its_names(path: str, names: list[str]) -> None:
    module = importlib.import_module(path)
    for name in names:
        exported = getattr(module, name)
        if hasattr(surrealdb, name):
            assert exported is getattr(surrealdb, name), f"{path}.{name}"
    assert set(getattr(module, "__all__", names)) >= {
        name for name in names if not name.startswith("parse_")
    }


def test_the_connections_package_keeps_its_exports() -> None:
    from surrealdb import connections

    assert connections.AsyncSurrealConnection is generated_async.AsyncSurrealConnection
    assert connections.BlockingSurrealConnection is generated_blocking.BlockingSurrealConnection
    assert len(connections.__all__) == 8


def test_tag_constants_alias_the_codec_tags() -> None:
    assert surrealdb.TAG_DATETIME == cbor.TAG_DATETIME_ISO
    assert surrealdb.TAG_DATETIME_COMPACT == cbor.TAG_DATETIME
    assert surrealdb.TAG_DURATION == cbor.TAG_DURATION_STRING
    assert surrealdb.TAG_DURATION_COMPACT == cbor.TAG_DURATION
    assert surrealdb.TAG_TABLE_NAME == cbor.TAG_TABLE
    assert surrealdb.TAG_DECIMAL_STRING == cbor.TAG_DECIMAL


@pytest.mark.parametrize(("holder", "constants"), KIND_CONSTANTS.items(), ids=list(KIND_CONSTANTS))
def test_kind_constants_have_the_official_values(holder: str, constants: dict[str, str]) -> None:
    cls = getattr(surrealdb, holder)
    assert isinstance(cls, type)
    found = {name: value for name, value in vars(cls).items() if name.isupper()}
    assert found == constants


def test_geometry_and_value_are_our_unions() -> None:
    point = values.GeometryPoint(1.0, 2.0)
    assert isinstance(point, surrealdb.Geometry)
    members = typing.get_args(surrealdb.Value)  # a type alias, as the official one is
    assert {values.Table, values.RecordID, values.Datetime, type(None)} <= set(members)


def test_data_cbor_round_trips_through_our_codec() -> None:
    from surrealdb.data import cbor as official_cbor

    assert official_cbor.encode is cbor.encode
    value = {"id": values.RecordID("person", 1), "at": values.Duration(5)}
    assert official_cbor.decode(official_cbor.encode(value)) == value


def test_parse_rpc_and_query_error_give_our_classes() -> None:
    from surrealdb.errors import parse_query_error, parse_rpc_error

    error = parse_rpc_error({"code": -32000, "message": "boom", "kind": "Validation"})
    assert isinstance(error, errors.ValidationError)
    assert str(error) == "boom"
    statement = {"status": "ERR", "result": "An error occurred: x", "kind": "Thrown"}
    thrown = parse_query_error(statement)
    assert isinstance(thrown, errors.ThrownError)
    assert thrown.message == "An error occurred: x"


def test_client_side_errors_keep_their_builtin_bases() -> None:
    for cls in (
        errors.InvalidRecordIdError,
        errors.InvalidDurationError,
        errors.InvalidTableError,
        errors.InvalidGeometryError,
    ):
        assert issubclass(cls, errors.SurrealError)
        assert issubclass(cls, ValueError)


# --------------------------------------------------------------------------------------------
# The official error classes catch what our client raises, against the real engine
# --------------------------------------------------------------------------------------------

# (official class, what to run) for a blocking connection; the async tests run the same.
SERVER_CASES: dict[str, tuple[type[BaseException], str]] = {
    "parse error": (surrealdb.ValidationError, "SELECT * FROM ;"),
    "THROW": (surrealdb.ThrownError, "THROW 'card declined'"),
    "missing table": (surrealdb.NotFoundError, "SELECT * FROM never_defined"),
    "duplicate record": (surrealdb.AlreadyExistsError, "CREATE dup:1; CREATE dup:1"),
    "failed cast": (surrealdb.InternalError, "RETURN <int> 'a'"),
}


@pytest.mark.parametrize("case", SERVER_CASES, ids=list(SERVER_CASES))
def test_official_class_catches_a_query_error(db: BlockingSurrealConnection, case: str) -> None:
    official, sql = SERVER_CASES[case]
    with pytest.raises(official) as caught:
        db.query(sql)
    assert isinstance(caught.value, surrealdb.ServerError)
    if case != "parse error":  # a statement failed: still our QueryError, with its index
        assert isinstance(caught.value, surrealdb.QueryError)


@pytest.mark.parametrize("case", SERVER_CASES, ids=list(SERVER_CASES))
async def test_official_class_catches_a_query_error_async(
    adb: AsyncSurrealConnection, case: str
) -> None:
    official, sql = SERVER_CASES[case]
    with pytest.raises(official):
        await adb.query(sql)


def test_record_methods_raise_the_official_classes(db: BlockingSurrealConnection) -> None:
    with pytest.raises(surrealdb.NotFoundError):
        db.select("never_defined")
    db.create(surrealdb.RecordID("invoice", 1), {"total": 1})
    with pytest.raises(surrealdb.AlreadyExistsError):
        db.create(surrealdb.RecordID("invoice", 1), {"total": 2})
    db.query("DEFINE FUNCTION fn::charge() { THROW 'card declined'; }")
    with pytest.raises(surrealdb.ThrownError, match="card declined"):
        db.run("fn::charge")


async def test_record_methods_raise_the_official_classes_async(
    adb: AsyncSurrealConnection,
) -> None:
    with pytest.raises(surrealdb.NotFoundError):
        await adb.select("never_defined")
    await adb.query("DEFINE FUNCTION fn::charge() { THROW 'card declined'; }")
    with pytest.raises(surrealdb.ThrownError, match="card declined"):
        await adb.run("fn::charge")


def test_live_select_where_unsupported_is_a_configuration_error(
    db: BlockingSurrealConnection, transport: str
) -> None:
    if transport != "embedded":
        pytest.skip("the test server takes LIVE SELECT over WebSocket and HTTP")
    db.query("DEFINE TABLE person SCHEMALESS")
    with pytest.raises(surrealdb.ConfigurationError) as caught:
        db.query("LIVE SELECT * FROM person")
    assert caught.value.detail_kind == surrealdb.ConfigurationDetailKind.LIVE_QUERY_NOT_SUPPORTED


def test_wrong_password_is_not_allowed(server: ServerInfo, transport: str) -> None:
    with (
        surrealdb.Surreal(url_for(server, transport)) as db,
        pytest.raises(surrealdb.NotAllowedError) as caught,
    ):
        db.signin({"username": server.username, "password": "wrong"})
    assert caught.value.kind == surrealdb.ErrorKind.NOT_ALLOWED
    assert caught.value.detail_kind == surrealdb.NotAllowedDetailKind.AUTH
    assert isinstance(caught.value, surrealdb.AuthenticationError)


@pytest.fixture
def closed_db(server: ServerInfo, transport: str) -> Iterator[BlockingSurrealConnection]:
    connection = surrealdb.Surreal(url_for(server, transport))
    connection.connect()
    connection.close()
    yield connection


def test_a_closed_connection_is_unavailable(closed_db: BlockingSurrealConnection) -> None:
    with pytest.raises(surrealdb.ConnectionUnavailableError):
        closed_db.query("RETURN 1")


async def test_a_closed_connection_is_unavailable_async(server: ServerInfo, transport: str) -> None:
    connection = surrealdb.AsyncSurreal(url_for(server, transport))
    await connection.connect()
    await connection.close()
    with pytest.raises(surrealdb.ConnectionUnavailableError):
        await connection.query("RETURN 1")


def test_client_side_errors_have_the_official_classes(db: BlockingSurrealConnection) -> None:
    with pytest.raises(surrealdb.InvalidTableError, match=r"RecordID\.parse"):
        db.select("person:tobie")
    with pytest.raises(surrealdb.InvalidRecordIdError):
        surrealdb.RecordID.parse("no colon")
    with pytest.raises(surrealdb.InvalidDurationError):
        surrealdb.Duration.parse("ten minutes")
    with pytest.raises(surrealdb.UnsupportedEngineError):
        surrealdb.Surreal("ftp://localhost:8000")


async def test_client_side_errors_have_the_official_classes_async(
    adb: AsyncSurrealConnection,
) -> None:
    with pytest.raises(surrealdb.InvalidTableError):
        await adb.select("person:tobie")
    with pytest.raises(surrealdb.UnsupportedEngineError):
        surrealdb.AsyncSurreal("ftp://localhost:8000")


def test_errors_stay_catchable_by_our_names(db: BlockingSurrealConnection) -> None:
    caught: list[Any] = []
    for sql in ("SELECT * FROM ;", "CREATE dup:1; CREATE dup:1"):
        try:
            db.query(sql)
        except surrealdb.InvalidParamsError as error:
            caught.append(error)
        except surrealdb.QueryError as error:
            caught.append(error.index)
    assert isinstance(caught[0], surrealdb.ValidationError)
    assert caught[1] == 1
