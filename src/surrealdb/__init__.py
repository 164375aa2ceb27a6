"""surrealdb-typed: a typed SurrealDB client, generated from the RPC schema.

from surrealdb import Surreal, AsyncSurreal

with Surreal("ws://localhost:8000/rpc") as db:
    db.signin({"username": "root", "password": "root"})
    db.use("app", "app")
    db.create("user", {"name": "Ada"})
"""

from surrealdb.api_types import (
    LiveNotification,
    QueryResult,
    Record,
    RecordContent,
    Resource,
    Token,
    Tokens,
)
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
    ConversionError,
    HeaderValueError,
    InvalidParamsError,
    InvalidURLError,
    MethodNotFoundError,
    NotAllowedError,
    NotFoundError,
    ProtocolError,
    QueryError,
    ServerError,
    SessionClosedError,
    SurrealConnectionError,
    SurrealError,
    SurrealTimeoutError,
    ThrownError,
    TransactionEndedError,
    UnsupportedFeatureError,
)
from surrealdb.factory import AsyncSurreal, Surreal
from surrealdb.live import AsyncLiveSubscription, LiveSubscription
from surrealdb.pool import AsyncSurrealPool, SurrealPool
from surrealdb.reconnect import ReconnectPolicy
from surrealdb.scopes import AsyncSession, AsyncTransaction, BlockingSession, BlockingTransaction
from surrealdb.transports.base import PayloadTooLargeError
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
    "AsyncLiveSubscription",
    "AsyncSession",
    "AsyncSurreal",
    "AsyncSurrealConnection",
    "AsyncSurrealPool",
    "AsyncTransaction",
    "AsyncWsSurrealConnection",
    "AuthenticationError",
    "BlockingEmbeddedSurrealConnection",
    "BlockingHttpSurrealConnection",
    "BlockingSession",
    "BlockingSurrealConnection",
    "BlockingTransaction",
    "BlockingWsSurrealConnection",
    "BoundExcluded",
    "BoundIncluded",
    "ConversionError",
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
    "HeaderValueError",
    "InvalidParamsError",
    "InvalidURLError",
    "LiveNotification",
    "LiveSubscription",
    "MethodNotFoundError",
    "NotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ProtocolError",
    "QueryError",
    "QueryResult",
    "Range",
    "ReconnectPolicy",
    "Record",
    "RecordContent",
    "RecordID",
    "Resource",
    "ServerError",
    "SessionClosedError",
    "Surreal",
    "SurrealConnectionError",
    "SurrealError",
    "SurrealPool",
    "SurrealTimeoutError",
    "Table",
    "ThrownError",
    "Token",
    "Tokens",
    "TransactionEndedError",
    "UnencodableValueError",
    "UnsupportedFeatureError",
]
