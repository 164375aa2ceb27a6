"""The official SDK's names (surrealdb 2.0.0) for our objects, so code written for it runs.

Every name here is an alias of one of ours, never a second implementation; each says which.
Our own names stay the primary API (docs/migrating.md has the table). The official module
paths (`surrealdb.connections.async_ws`, `surrealdb.data.types.record_id`, `surrealdb.types`,
...) are small modules that re-export from here and from where our objects live; the error
names are in `surrealdb.errors`, with the classes they alias.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Final, TypeAlias

from surrealdb import cbor
from surrealdb.scopes import AsyncSession, AsyncTransaction, BlockingSession, BlockingTransaction
from surrealdb.values import (
    Datetime,
    Duration,
    File,
    Geometry,
    Range,
    RecordID,
    SurrealNull,
    SurrealSet,
    Table,
)

AsyncSurrealSession = AsyncSession
"""The official name of `AsyncSession` (what `db.new_session()` returns)."""

AsyncSurrealTransaction = AsyncTransaction
"""The official name of `AsyncTransaction` (what `db.transaction()` returns)."""

BlockingSurrealSession = BlockingSession
"""The official name of `BlockingSession` (what `db.new_session()` returns)."""

BlockingSurrealTransaction = BlockingTransaction
"""The official name of `BlockingTransaction` (what `db.transaction()` returns)."""

__all__ = [
    "TAG_BOUND_EXCLUDED",
    "TAG_BOUND_INCLUDED",
    "TAG_DATETIME",
    "TAG_DATETIME_COMPACT",
    "TAG_DECIMAL_STRING",
    "TAG_DURATION",
    "TAG_DURATION_COMPACT",
    "TAG_GEOMETRY_COLLECTION",
    "TAG_GEOMETRY_LINE",
    "TAG_GEOMETRY_MULTI_LINE",
    "TAG_GEOMETRY_MULTI_POINT",
    "TAG_GEOMETRY_MULTI_POLYGON",
    "TAG_GEOMETRY_POINT",
    "TAG_GEOMETRY_POLYGON",
    "TAG_NONE",
    "TAG_RANGE",
    "TAG_RECORD_ID",
    "TAG_TABLE_NAME",
    "TAG_UUID_STRING",
    "AsyncSurrealSession",
    "AsyncSurrealTransaction",
    "BlockingSurrealSession",
    "BlockingSurrealTransaction",
    "Geometry",
    "RecordIdType",
    "TableType",
    "Value",
]

# `Geometry` is our union of the seven geometry types (`surrealdb.values.Geometry`); the
# official SDK has a base class of that name instead. `isinstance(x, Geometry)` works with both.

Value: TypeAlias = (
    str
    | int
    | float
    | bool
    | bytes
    | uuid.UUID
    | Decimal
    | datetime.datetime
    | SurrealNull
    | Table
    | File
    | Range
    | RecordID
    | Duration
    | Datetime
    | Geometry
    | SurrealSet
    | dict[str, "Value"]
    | list["Value"]
    | None
)
"""Any value a query can take or return; ours has no single name for it (see docs/values.md)."""

RecordIdType: TypeAlias = str | RecordID | Table
"""The official name of what names records: a table name, a `Table` or a `RecordID`."""

TableType: TypeAlias = str | Table
"""The official name of what names a table: a string or a `Table`."""

# The CBOR tags by their official names. Three of them mean another tag than ours of the same
# spelling in surrealdb/cbor.py: the official TAG_DATETIME is our TAG_DATETIME_ISO (0), its
# TAG_DATETIME_COMPACT our TAG_DATETIME (12), its TAG_DURATION our TAG_DURATION_STRING (13).
TAG_DATETIME: Final = cbor.TAG_DATETIME_ISO
TAG_NONE: Final = cbor.TAG_NONE
TAG_TABLE_NAME: Final = cbor.TAG_TABLE
TAG_RECORD_ID: Final = cbor.TAG_RECORD_ID
TAG_UUID_STRING: Final = cbor.TAG_UUID_STRING
TAG_DECIMAL_STRING: Final = cbor.TAG_DECIMAL
TAG_RANGE: Final = cbor.TAG_RANGE
TAG_BOUND_INCLUDED: Final = cbor.TAG_BOUND_INCLUDED
TAG_BOUND_EXCLUDED: Final = cbor.TAG_BOUND_EXCLUDED
TAG_DATETIME_COMPACT: Final = cbor.TAG_DATETIME
TAG_DURATION: Final = cbor.TAG_DURATION_STRING
TAG_DURATION_COMPACT: Final = cbor.TAG_DURATION
TAG_GEOMETRY_POINT: Final = cbor.TAG_GEOMETRY_POINT
TAG_GEOMETRY_LINE: Final = cbor.TAG_GEOMETRY_LINE
TAG_GEOMETRY_POLYGON: Final = cbor.TAG_GEOMETRY_POLYGON
TAG_GEOMETRY_MULTI_POINT: Final = cbor.TAG_GEOMETRY_MULTI_POINT
TAG_GEOMETRY_MULTI_LINE: Final = cbor.TAG_GEOMETRY_MULTI_LINE
TAG_GEOMETRY_MULTI_POLYGON: Final = cbor.TAG_GEOMETRY_MULTI_POLYGON
TAG_GEOMETRY_COLLECTION: Final = cbor.TAG_GEOMETRY_COLLECTION
