"""The connection classes, one per transport and flavour (generated from schema/rpc.toml)."""

from surrealdb._generated.asyncio import (
    AsyncEmbeddedSurrealConnection,
    AsyncHttpSurrealConnection,
    AsyncSurrealConnection,
    AsyncWsSurrealConnection,
)
from surrealdb._generated.blocking import (
    BlockingEmbeddedSurrealConnection,
    BlockingHttpSurrealConnection,
    BlockingSurrealConnection,
    BlockingWsSurrealConnection,
)

__all__ = [
    "AsyncEmbeddedSurrealConnection",
    "AsyncHttpSurrealConnection",
    "AsyncSurrealConnection",
    "AsyncWsSurrealConnection",
    "BlockingEmbeddedSurrealConnection",
    "BlockingHttpSurrealConnection",
    "BlockingSurrealConnection",
    "BlockingWsSurrealConnection",
]
