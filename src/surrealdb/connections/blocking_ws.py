"""The official module path `surrealdb.connections.blocking_ws` (see surrealdb/_official.py)."""

from surrealdb._generated.blocking import BlockingWsSurrealConnection
from surrealdb._official import BlockingSurrealSession, BlockingSurrealTransaction

__all__ = ["BlockingSurrealSession", "BlockingSurrealTransaction", "BlockingWsSurrealConnection"]
