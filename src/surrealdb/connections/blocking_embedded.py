"""The official module path `surrealdb.connections.blocking_embedded` (see
surrealdb/_official.py).

The class is importable without the embedded engine installed; connecting needs it.
"""

from surrealdb._generated.blocking import BlockingEmbeddedSurrealConnection

__all__ = ["BlockingEmbeddedSurrealConnection"]
