"""The official module path `surrealdb.data`: the geometry types, `Table` and `RecordID`.

Our value types live in `surrealdb.values` (and are importable from `surrealdb`); this package
and `surrealdb.data.types.*` re-export them for code written for the official SDK.
"""

from surrealdb.values import (
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
    RecordID,
    Table,
)

__all__ = [
    "GeometryCollection",
    "GeometryLine",
    "GeometryMultiLine",
    "GeometryMultiPoint",
    "GeometryMultiPolygon",
    "GeometryPoint",
    "GeometryPolygon",
    "RecordID",
    "Table",
]
