"""Geometries and record ids written the official SDK's way (surrealdb 2.0.0), checked with
`mypy --strict` by test_typing.py: it must type-check as it is, with no cast and no ignore."""

import pydantic

from surrealdb import RecordID, Surreal
from surrealdb.data.types.geometry import (
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
)
from surrealdb.errors import InvalidGeometryError


class Place(pydantic.BaseModel):
    id: RecordID | None = None
    name: str


def shapes() -> GeometryCollection:
    point = GeometryPoint(longitude=-7.97, latitude=37.05)
    longitude: float = point.longitude
    latitude: float = point.latitude
    pair: tuple[float, float] = point.get_coordinates()
    print(longitude, latitude, pair, GeometryPoint.parse_coordinates((1.0, 2.0)))
    line = GeometryLine(GeometryPoint(0.0, 0.0), GeometryPoint(1.0, 1.0), GeometryPoint(2.0, 0.0))
    coordinates: list[tuple[float, float]] = line.get_coordinates()
    print(coordinates, len(line.geometry_points))
    exterior = GeometryLine.parse_coordinates([(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 0.0)])
    hole = GeometryLine.parse_coordinates([(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)])
    polygon = GeometryPolygon(exterior, hole)
    rings: list[list[tuple[float, float]]] = polygon.get_coordinates()
    print(rings, polygon.geometry_lines[0], GeometryPolygon.parse_coordinates(rings))
    try:
        GeometryPolygon(GeometryLine(GeometryPoint(0.0, 0.0), GeometryPoint(1.0, 1.0)))
    except InvalidGeometryError as error:
        print(error)
    points = GeometryMultiPoint(GeometryPoint(1.0, 2.0), GeometryPoint(3.0, 4.0))
    lines = GeometryMultiLine(line, exterior)
    polygons = GeometryMultiPolygon(polygon, GeometryPolygon(exterior))
    nested: list[list[list[tuple[float, float]]]] = polygons.get_coordinates()
    print(points.geometry_points, lines.geometry_lines, polygons.geometry_polygons, nested)
    return GeometryCollection(point, line, polygon, points, lines, polygons)


def stored(url: str) -> None:
    with Surreal(url) as db:
        db.use("app", "app")
        db.query("CREATE place:home SET at = $at", {"at": GeometryPoint(1.0, 2.0)})
        place = Place.model_validate({"id": "place:home", "name": "Home"})
        print(place.id, place.model_dump(mode="json"), shapes().geometries)
