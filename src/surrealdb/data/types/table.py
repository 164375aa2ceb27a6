"""The official module path `surrealdb.data.types.table`."""

from surrealdb._official import TableType
from surrealdb.values import Table

__all__ = ["Table", "TableType"]
