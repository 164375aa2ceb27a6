"""The official module path `surrealdb.connections.blocking_http` (see surrealdb/_official.py)."""

from surrealdb._generated.blocking import BlockingHttpSurrealConnection

__all__ = ["BlockingHttpSurrealConnection"]
