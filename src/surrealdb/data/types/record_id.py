"""The official module path `surrealdb.data.types.record_id`."""

from surrealdb._official import RecordIdType
from surrealdb.values import RecordID

__all__ = ["RecordID", "RecordIdType"]
