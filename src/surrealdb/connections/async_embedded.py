"""The official module path `surrealdb.connections.async_embedded` (see surrealdb/_official.py).

The class is importable without the embedded engine installed; connecting needs it.
"""

from surrealdb._generated.asyncio import AsyncEmbeddedSurrealConnection

__all__ = ["AsyncEmbeddedSurrealConnection"]
