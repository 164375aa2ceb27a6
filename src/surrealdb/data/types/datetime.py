"""The official module path `surrealdb.data.types.datetime`."""

from surrealdb.values import Datetime

__all__ = ["Datetime"]
