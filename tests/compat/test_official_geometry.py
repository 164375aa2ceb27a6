"""Geometries and record ids used the official SDK's way (surrealdb 2.0.0) against the real
engine: sync and async, on every transport the fixtures give (ws, http, embedded).

Geometries built as its users build them (``GeometryPoint(lon, lat)``, ``GeometryLine(a, b)``,
``GeometryPolygon(ring)``, ``parse_coordinates``) must be stored and read back equal, as our
types; a ``RecordID`` pydantic field reads the engine's records; and ``str(RecordID)`` of an id
holding ``⟩`` is what the engine prints.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from surrealdb import RecordID, ValidationError
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.data.types.geometry import (
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
)

# A closed ring of real coordinates (a KML outline), as the official SDK's users write it.
OUTLINE = [
    (-7.9735981, 37.0497115),
    (-7.9758082, 37.0457381),
    (-7.9756148, 37.0383393),
    (-7.9767212, 37.0314215),
    (-7.954491, 37.0309418),
    (-7.9550154, 37.0423815),
    (-7.964371, 37.0471084),
    (-7.9735981, 37.0497115),
]


def official_geometries() -> dict[str, Any]:
    """One of each geometry type, built with the official SDK's call shapes."""
    exterior = GeometryLine(
        GeometryPoint(0.0, 0.0),
        GeometryPoint(10.0, 0.0),
        GeometryPoint(10.0, 10.0),
        GeometryPoint(0.0, 10.0),
        GeometryPoint(0.0, 0.0),
    )
    hole = GeometryLine.parse_coordinates([(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 2.0)])
    line = GeometryLine(GeometryPoint(0.0, 0.0), GeometryPoint(1.0, 1.0), GeometryPoint(2.0, 2.0))
    polygon = GeometryPolygon(exterior, hole)
    return {
        "point": GeometryPoint(longitude=1.23, latitude=4.56),
        "line": line,
        "polygon": polygon,
        "outline": GeometryPolygon.parse_coordinates([OUTLINE]),
        "multipoint": GeometryMultiPoint(GeometryPoint(1.0, 2.0), GeometryPoint(3.0, 4.0)),
        "multiline": GeometryMultiLine(line, GeometryLine.parse_coordinates([(5, 5), (6, 6)])),
        "multipolygon": GeometryMultiPolygon(polygon, GeometryPolygon(exterior)),
        "collection": GeometryCollection(GeometryPoint(1.1, 2.2), line, polygon),
    }


def assert_same_geometries(stored: dict[str, Any], sent: dict[str, Any]) -> None:
    for name, value in sent.items():
        assert stored[name] == value, name
        assert type(stored[name]) is type(value), name


# Typed fields, so the engine checks each value is the geometry kind it says it is.
SCHEMA = """
DEFINE TABLE place SCHEMAFULL;
DEFINE FIELD point ON place TYPE geometry<point>;
DEFINE FIELD line ON place TYPE geometry<line>;
DEFINE FIELD polygon ON place TYPE geometry<polygon>;
DEFINE FIELD outline ON place TYPE geometry<polygon>;
DEFINE FIELD multipoint ON place TYPE geometry<multipoint>;
DEFINE FIELD multiline ON place TYPE geometry<multiline>;
DEFINE FIELD multipolygon ON place TYPE geometry<multipolygon>;
DEFINE FIELD collection ON place TYPE geometry<collection>;
"""


def test_official_geometries_are_stored_and_read_back_equal(
    db: BlockingSurrealConnection,
) -> None:
    db.query(SCHEMA)
    sent = official_geometries()
    assert_same_geometries(db.create(RecordID("place", "home"), sent), sent)
    (selected,) = db.select("place")
    assert_same_geometries(selected, sent)
    (from_query,) = db.query("SELECT * FROM place")
    assert_same_geometries(from_query, sent)


async def test_official_geometries_are_stored_and_read_back_equal_async(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.query(SCHEMA)
    sent = official_geometries()
    assert_same_geometries(await adb.create(RecordID("place", "home"), sent), sent)
    (selected,) = await adb.select("place")
    assert_same_geometries(selected, sent)


def test_official_geometries_as_query_variables(db: BlockingSurrealConnection) -> None:
    sent = official_geometries()
    for name, value in sent.items():
        stored = db.query(
            "CREATE ONLY type::record('geometry_tests', $name) SET geometry = $geo",
            vars={"name": name, "geo": value},
        )
        assert stored["geometry"] == value, name
    ours = GeometryPoint(1.0, 2.0)
    official = GeometryPoint(longitude=4.0, latitude=6.0)
    assert db.query("RETURN geo::distance($a, $b)", {"a": ours, "b": official}) > 0


def polygon_literal(ring: list[tuple[float, float]]) -> str:
    """A GeoJSON polygon as SurrealQL: an object literal the engine reads as a geometry."""
    coordinates = ", ".join(f"[{x!r}, {y!r}]" for x, y in ring)
    return f"{{ type: 'Polygon', coordinates: [[{coordinates}]] }}"


def test_the_engine_closes_an_open_ring_which_is_why_the_client_refuses_one(
    db: BlockingSurrealConnection,
) -> None:
    open_ring = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]
    polygon = db.query(f"RETURN {polygon_literal(open_ring)}")
    assert polygon == GeometryPolygon.parse_coordinates([[*open_ring, (0.0, 0.0)]])


def test_geometries_from_the_engine_read_with_the_official_names(
    db: BlockingSurrealConnection,
) -> None:
    point, polygon = db.query_all(f"RETURN (-0.1276, 51.5072); RETURN {polygon_literal(OUTLINE)}")
    assert (point.longitude, point.latitude) == (-0.1276, 51.5072)
    assert point.get_coordinates() == (-0.1276, 51.5072)
    assert polygon.get_coordinates() == [OUTLINE]
    assert len(polygon.geometry_lines[0].geometry_points) == len(OUTLINE)


# --------------------------------------------------------------------------------------------
# RecordID: its text as the engine prints it, and as a pydantic field
# --------------------------------------------------------------------------------------------


def test_record_id_text_with_a_closing_bracket_is_the_engines(
    db: BlockingSurrealConnection,
) -> None:
    record = RecordID("test", "foo⟩bar")
    assert db.query("RETURN <string> type::record('test', 'foo⟩bar')") == str(record)
    assert db.query(f"RETURN {record}") == record
    # The official SDK's text for it, test:⟨foo\⟩bar⟩, is not SurrealQL the engine reads.
    with pytest.raises(ValidationError, match="escape"):
        db.query("RETURN test:⟨foo\\⟩bar⟩")


class Person(pydantic.BaseModel):
    id: RecordID
    name: str


def test_pydantic_models_with_record_ids_read_and_write_records(
    db: BlockingSurrealConnection,
) -> None:
    ada = Person.model_validate({"id": "person:ada", "name": "Ada"})
    db.create(ada.id, ada.model_dump(exclude={"id"}))
    assert db.select(ada.id, into=Person) == ada
    (from_query,) = db.query("SELECT * FROM person")
    assert Person.model_validate(from_query) == ada
    sent_as_json = Person.model_validate_json(ada.model_dump_json())
    assert db.select(sent_as_json.id) == {"id": RecordID("person", "ada"), "name": "Ada"}


async def test_pydantic_models_with_record_ids_read_and_write_records_async(
    adb: AsyncSurrealConnection,
) -> None:
    ada = Person.model_validate_json('{"id": "person:ada", "name": "Ada"}')
    await adb.create(ada.id, ada.model_dump(exclude={"id"}))
    assert await adb.select(ada.id, into=Person) == ada
    (from_query,) = await adb.query("SELECT * FROM person")
    assert Person.model_validate(from_query) == ada
