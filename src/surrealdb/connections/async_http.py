"""The official module path `surrealdb.connections.async_http` (see surrealdb/_official.py)."""

from surrealdb._generated.asyncio import AsyncHttpSurrealConnection

__all__ = ["AsyncHttpSurrealConnection"]
