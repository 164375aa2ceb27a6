"""The official module path `surrealdb.data.types.geometry`.

`Geometry` is our union of the seven types (the official SDK has a base class of that name).
"""

from surrealdb.values import (
    Geometry,
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
)

__all__ = [
    "Geometry",
    "GeometryCollection",
    "GeometryLine",
    "GeometryMultiLine",
    "GeometryMultiPoint",
    "GeometryMultiPolygon",
    "GeometryPoint",
    "GeometryPolygon",
]
