"""surrealdb-typed: a typed SurrealDB client, generated from the RPC schema.

from surrealdb import Surreal, AsyncSurreal

with Surreal("ws://localhost:8000/rpc") as db:
    db.signin({"username": "root", "password": "root"})
    db.use("app", "app")
    db.create("user", {"name": "Ada"})
"""

from surrealdb.api_types import LiveNotification, QueryResult, Record, Resource, Token, Tokens
from surrealdb.cbor import UnencodableValueError
from surrealdb.connections import (
    AsyncEmbeddedSurrealConnection,
    AsyncHttpSurrealConnection,
    AsyncSurrealConnection,
    AsyncWsSurrealConnection,
    BlockingEmbeddedSurrealConnection,
    BlockingHttpSurrealConnection,
    BlockingSurrealConnection,
    BlockingWsSurrealConnection,
)
from surrealdb.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidParamsError,
    InvalidURLError,
    MethodNotFoundError,
    NotAllowedError,
    NotFoundError,
    ProtocolError,
    QueryError,
    ServerError,
    SurrealConnectionError,
    SurrealError,
    SurrealTimeoutError,
    ThrownError,
    UnsupportedFeatureError,
)
from surrealdb.factory import AsyncSurreal, Surreal
from surrealdb.values import (
    NONE,
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
    Range,
    RecordID,
    Table,
)

__all__ = [
    "NONE",
    "AlreadyExistsError",
    "AsyncEmbeddedSurrealConnection",
    "AsyncHttpSurrealConnection",
    "AsyncSurreal",
    "AsyncSurrealConnection",
    "AsyncWsSurrealConnection",
    "AuthenticationError",
    "BlockingEmbeddedSurrealConnection",
    "BlockingHttpSurrealConnection",
    "BlockingSurrealConnection",
    "BlockingWsSurrealConnection",
    "BoundExcluded",
    "BoundIncluded",
    "Datetime",
    "Duration",
    "File",
    "GeometryCollection",
    "GeometryLine",
    "GeometryMultiLine",
    "GeometryMultiPoint",
    "GeometryMultiPolygon",
    "GeometryPoint",
    "GeometryPolygon",
    "InvalidParamsError",
    "InvalidURLError",
    "LiveNotification",
    "MethodNotFoundError",
    "NotAllowedError",
    "NotFoundError",
    "ProtocolError",
    "QueryError",
    "QueryResult",
    "Range",
    "Record",
    "RecordID",
    "Resource",
    "ServerError",
    "Surreal",
    "SurrealConnectionError",
    "SurrealError",
    "SurrealTimeoutError",
    "Table",
    "ThrownError",
    "Token",
    "Tokens",
    "UnencodableValueError",
    "UnsupportedFeatureError",
]
