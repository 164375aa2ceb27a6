"""The official module path `surrealdb.data.types.duration`."""

from surrealdb.values import Duration

__all__ = ["Duration"]
