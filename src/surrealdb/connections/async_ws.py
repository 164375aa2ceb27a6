"""The official module path `surrealdb.connections.async_ws` (see surrealdb/_official.py)."""

from surrealdb._generated.asyncio import AsyncWsSurrealConnection
from surrealdb._official import AsyncSurrealSession, AsyncSurrealTransaction

__all__ = ["AsyncSurrealSession", "AsyncSurrealTransaction", "AsyncWsSurrealConnection"]
