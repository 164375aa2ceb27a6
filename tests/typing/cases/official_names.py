"""Code written the official SDK's way (its names and module paths), checked with `mypy
--strict` by test_typing.py: it must type-check as it is, with no cast and no ignore."""

from surrealdb import (
    TAG_RECORD_ID,
    AsyncSurreal,
    AsyncSurrealSession,
    BlockingSurrealTransaction,
    ConnectionUnavailableError,
    ErrorKind,
    Geometry,
    GeometryPoint,
    NotFoundDetailKind,
    RecordID,
    Surreal,
    ThrownError,
    Value,
)
from surrealdb.connections.async_ws import AsyncWsSurrealConnection
from surrealdb.connections.blocking_http import BlockingHttpSurrealConnection
from surrealdb.data.types.constants import TAG_TABLE_NAME
from surrealdb.data.types.record_id import RecordIdType
from surrealdb.data.types.table import Table
from surrealdb.errors import (
    InvalidRecordIdError,
    NotFoundError,
    ServerError,
    ValidationError,
    parse_rpc_error,
)
from surrealdb.types import Tokens


def blocking(url: str) -> list[Value]:
    with Surreal(url) as db:
        tokens: Tokens | str = db.signin({"username": "root", "password": "root"})
        print(tokens)
        db.use("app", "app")
        rows: list[Value] = []
        try:
            rows.append(db.query("SELECT * FROM person"))
        except ValidationError as error:
            print(error.kind == ErrorKind.VALIDATION)
        except NotFoundError as error:
            print(error.detail_kind == NotFoundDetailKind.TABLE)
        except ThrownError as error:
            print(error.message)
        except ConnectionUnavailableError:
            return []
        return rows


def in_transaction(transaction: BlockingSurrealTransaction, what: RecordIdType) -> None:
    if isinstance(what, RecordID | Table):
        transaction.select(what)


async def with_session(session: AsyncSurrealSession) -> Value:
    result: Value = await session.query("RETURN 1")
    return result


async def asynchronous(url: str) -> None:
    async with AsyncSurreal(url) as db:
        await db.use("app", "app")
        session: AsyncSurrealSession = db.new_session()
        print(await with_session(session))


def typed_connections(ws: AsyncWsSurrealConnection, http: BlockingHttpSurrealConnection) -> None:
    print(ws.url, http.url)


def values() -> None:
    shape: Geometry = GeometryPoint(1.0, 2.0)
    print(shape, TAG_RECORD_ID, TAG_TABLE_NAME)
    try:
        RecordID.parse("not a record id")
    except InvalidRecordIdError as error:
        print(error)
    parsed: ServerError = parse_rpc_error({"message": "boom", "kind": "Internal"})
    print(parsed)
