"""The value types take the official SDK's (surrealdb 2.0.0) call shapes besides ours.

Geometries built the official way (``GeometryPoint(longitude=, latitude=)``,
``GeometryLine(a, b, c)``, ``GeometryPolygon(ring, hole)``, ``parse_coordinates``) must be the
very values our own form builds, read with the official attribute names, and stay immutable and
hashable; the decoder keeps taking the server's geometries as they are. ``RecordID`` works as a
pydantic field. The engine round trips are in tests/compat/test_official_geometry.py.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from typing import Any

import cbor2
import msgspec
import pydantic
import pytest

from surrealdb import (
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
    InvalidGeometryError,
    InvalidRecordIdError,
    RecordID,
    cbor,
)

A, B, C = GeometryPoint(0.0, 0.0), GeometryPoint(4.0, 0.0), GeometryPoint(4.0, 4.0)
RING = GeometryLine((A, B, C, A))
HOLE = GeometryLine.parse_coordinates([(1, 1), (2, 1), (2, 2), (1, 1)])


# -- GeometryPoint ---------------------------------------------------------------------------


def test_point_official_keywords_build_our_point() -> None:
    point = GeometryPoint(longitude=-7.97, latitude=37.05)
    assert point == GeometryPoint(-7.97, 37.05)
    assert hash(point) == hash(GeometryPoint(-7.97, 37.05))
    assert (point.longitude, point.latitude) == (point.x, point.y) == (-7.97, 37.05)
    mixed = GeometryPoint(1.5, latitude=2.5)  # type: ignore[call-overload]  # untyped, but works
    assert mixed == GeometryPoint(x=1.5, y=2.5)


def test_point_coordinates_both_ways() -> None:
    point = GeometryPoint.parse_coordinates((10, -20))
    assert point == GeometryPoint(10.0, -20.0)
    assert type(point.x) is float and type(point.latitude) is float
    assert point.get_coordinates() == (10.0, -20.0)
    assert GeometryPoint.parse_coordinates(point.get_coordinates()) == point
    assert GeometryPoint.parse_coordinates([1.0, 2.0]) == GeometryPoint(1.0, 2.0)


def test_point_refuses_a_coordinate_given_twice_or_missing() -> None:
    with pytest.raises(TypeError, match="both x and longitude"):
        GeometryPoint(1.0, 2.0, longitude=1.0)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"needs y \(or latitude=\)"):
        GeometryPoint(longitude=1.0)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="could not convert"):
        GeometryPoint("east", 1.0)  # type: ignore[call-overload]


# -- shapes made of parts --------------------------------------------------------------------

LINE = GeometryLine((A, B, C))
POLYGON = GeometryPolygon((RING, HOLE))


@pytest.mark.parametrize(
    ("official", "ours"),
    [
        (lambda: GeometryLine(A, B, C), LINE),
        (lambda: GeometryLine(*[A, B, C]), LINE),
        (lambda: GeometryPolygon(RING), GeometryPolygon((RING,))),
        (lambda: GeometryPolygon(RING, HOLE), POLYGON),
        (lambda: GeometryMultiPoint(A, B), GeometryMultiPoint((A, B))),
        (lambda: GeometryMultiPoint(A), GeometryMultiPoint((A,))),
        (lambda: GeometryMultiPoint(), GeometryMultiPoint(())),
        (lambda: GeometryMultiLine(LINE, RING), GeometryMultiLine((LINE, RING))),
        (lambda: GeometryMultiPolygon(POLYGON), GeometryMultiPolygon((POLYGON,))),
        (lambda: GeometryCollection(A, LINE, POLYGON), GeometryCollection((A, LINE, POLYGON))),
        (
            lambda: GeometryCollection(GeometryCollection(A)),
            GeometryCollection((GeometryCollection((A,)),)),
        ),
    ],
)
def test_parts_one_by_one_build_the_same_value(official: Any, ours: Any) -> None:
    value = official()
    assert type(value) is type(ours)
    assert value == ours
    assert hash(value) == hash(ours)
    assert cbor.encode(value) == cbor.encode(ours)


def test_our_forms_still_work_and_store_tuples() -> None:
    assert GeometryLine(points=[A, B]).points == (A, B)  # type: ignore[call-overload]
    assert GeometryLine(iter([A, B])).points == (A, B)  # type: ignore[call-overload]
    assert GeometryPolygon(lines=(RING,)).lines == (RING,)
    assert type(GeometryMultiPoint(A, B).points) is tuple


@pytest.mark.parametrize(
    ("value", "attribute", "parts"),
    [
        (LINE, "geometry_points", (A, B, C)),
        (GeometryMultiPoint((A, B)), "geometry_points", (A, B)),
        (POLYGON, "geometry_lines", (RING, HOLE)),
        (GeometryMultiLine((LINE,)), "geometry_lines", (LINE,)),
        (GeometryMultiPolygon((POLYGON,)), "geometry_polygons", (POLYGON,)),
        (GeometryCollection((A, LINE)), "geometries", (A, LINE)),
    ],
)
def test_official_attribute_names_read_the_parts(value: Any, attribute: str, parts: Any) -> None:
    assert getattr(value, attribute) == parts
    with pytest.raises(AttributeError):
        setattr(value, attribute, ())


@pytest.mark.parametrize(
    ("kind", "coordinates"),
    [
        (GeometryLine, [(0.0, 0.0), (1.0, 1.0), (2.0, 0.5)]),
        (GeometryMultiPoint, [(1.0, 2.0), (3.0, 4.0)]),
        (GeometryPolygon, [[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 0.0)]]),
        (GeometryMultiLine, [[(0.0, 0.0), (1.0, 1.0)], [(2.0, 2.0), (3.0, 3.0)]]),
        (
            GeometryMultiPolygon,
            [
                [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]],
                [[(5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)]],
            ],
        ),
    ],
)
def test_parse_coordinates_is_the_inverse_of_get_coordinates(
    kind: Any, coordinates: list[Any]
) -> None:
    value = kind.parse_coordinates(coordinates)
    assert type(value) is kind
    assert value.get_coordinates() == coordinates
    assert kind.parse_coordinates(value.get_coordinates()) == value


def test_get_coordinates_nests_as_the_official_sdk() -> None:
    assert POLYGON.get_coordinates() == [
        [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 0.0)],
        [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)],
    ]
    assert GeometryMultiPolygon((POLYGON,)).get_coordinates() == [POLYGON.get_coordinates()]


def test_a_part_of_the_wrong_type_is_named() -> None:
    with pytest.raises(TypeError, match=r"GeometryLine is made of GeometryPoint, got tuple"):
        GeometryLine((A, B), (C, A))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"got GeometryPoint at lines\[0\]"):
        GeometryPolygon(A)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"got int at geometries\[1\]"):
        GeometryCollection((A, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Unexpected keyword argument"):
        GeometryLine(dots=(A, B))  # type: ignore[call-overload]


def test_geometries_stay_immutable_and_copy_by_value() -> None:
    point = GeometryPoint(longitude=1.0, latitude=2.0)
    with pytest.raises(AttributeError):
        point.x = 3.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        point.longitude = 3.0  # type: ignore[misc]
    collection = GeometryCollection(point, POLYGON)
    assert pickle.loads(pickle.dumps(collection)) == collection
    assert copy.deepcopy(collection) == collection
    assert {collection: 1}[GeometryCollection((point, POLYGON))] == 1
    other_type: object = GeometryMultiPoint(A, B)
    assert GeometryLine(A, B) != other_type  # the same parts in another type


def test_models_still_convert_geometries() -> None:
    point = msgspec.convert({"x": 1, "y": 2}, GeometryPoint)
    assert point == GeometryPoint(1.0, 2.0) and type(point.x) is float
    assert msgspec.convert({"points": [{"x": 0, "y": 0}]}, GeometryLine) == GeometryLine((A,))


# -- polygon rings ---------------------------------------------------------------------------


def test_an_open_ring_is_refused_in_both_forms() -> None:
    open_ring = GeometryLine(A, B, C, GeometryPoint(0.0, 4.0))
    message = r"exterior ring .*first point \(0.0, 0.0\) must equal last point \(0.0, 4.0\)"
    with pytest.raises(InvalidGeometryError, match=message):
        GeometryPolygon(open_ring)
    with pytest.raises(InvalidGeometryError, match=message):
        GeometryPolygon((open_ring,))


def test_a_ring_needs_four_points_and_the_hole_is_named() -> None:
    short = GeometryLine(A, B, A)
    with pytest.raises(InvalidGeometryError, match=r"exterior ring .*at least 4 points.*got 3"):
        GeometryPolygon(short)
    with pytest.raises(InvalidGeometryError, match=r"interior ring 2 \(a hole\).*got 3"):
        GeometryPolygon(RING, HOLE, short)
    with pytest.raises(InvalidGeometryError):
        GeometryPolygon.parse_coordinates([[(0, 0), (1, 0), (1, 1), (0, 1)]])
    assert isinstance(InvalidGeometryError("x"), ValueError)


# -- decoding --------------------------------------------------------------------------------


def test_decoded_geometries_equal_the_official_forms() -> None:
    values = [
        GeometryPoint(longitude=1.23, latitude=4.56),
        GeometryLine(A, B, C),
        GeometryPolygon(RING, HOLE),
        GeometryMultiPoint(A, B),
        GeometryMultiLine(LINE, RING),
        GeometryMultiPolygon(POLYGON, POLYGON),
        GeometryCollection(A, LINE, GeometryCollection(POLYGON)),
    ]
    decoded, undecoded = cbor.decode(cbor.encode(values))
    assert undecoded == []
    assert decoded == values
    assert [type(value) for value in decoded] == [type(value) for value in values]
    assert type(decoded[1].points) is tuple


def test_decoding_takes_the_servers_geometries_as_they_are() -> None:
    # SurrealDB accepts a closed 3-point ring (and sends ints only from old versions): the
    # decoder builds such values without the constructors' checks, and converts ints.
    ring = [cbor2.CBORTag(88, [0, 0]), cbor2.CBORTag(88, [1.0, 1.0]), cbor2.CBORTag(88, [0, 0])]
    data = cbor2.dumps(cbor2.CBORTag(90, [cbor2.CBORTag(89, ring)]))
    (polygon, undecoded) = cbor.decode(data)
    assert undecoded == []
    assert type(polygon) is GeometryPolygon
    assert polygon.get_coordinates() == [[(0.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]
    assert type(polygon.lines[0].points[0].x) is float
    assert cbor.decode(cbor.encode(polygon))[0] == polygon


# -- RecordID --------------------------------------------------------------------------------


def test_record_id_with_a_closing_bracket_prints_as_the_server_does() -> None:
    # SurrealDB 3 prints `test:`foo⟩bar``; the official SDK's `test:⟨foo\⟩bar⟩` does not parse
    # there (tests/compat checks both against the engine), but RecordID.parse reads it.
    record = RecordID("test", "foo⟩bar")
    assert str(record) == "test:`foo⟩bar`"
    assert RecordID.parse(str(record)) == record
    assert RecordID.parse("test:⟨foo\\⟩bar⟩") == record


def test_record_id_parse_without_a_colon_says_what_to_write() -> None:
    with pytest.raises(InvalidRecordIdError, match="invalid string provided for parse") as error:
        RecordID.parse("person")
    assert "invalid record id 'person'" in str(error.value)
    assert "it has no ':' (the form is table:id" in str(error.value)


class Person(pydantic.BaseModel):
    id: RecordID | None = None
    name: str


def test_pydantic_field_takes_a_record_id_or_its_text() -> None:
    assert Person.model_validate({"id": "person:abc", "name": "Ada"}).id == RecordID(
        "person", "abc"
    )
    assert Person.model_validate({"id": RecordID("person", 1), "name": "Ada"}).id == RecordID(
        "person", 1
    )
    from_json = Person.model_validate_json('{"id": "person:⟨a b⟩", "name": "Ada"}')
    assert from_json.id == RecordID("person", "a b")
    assert Person(name="Ada").id is None


def test_pydantic_dump_keeps_the_record_id_or_writes_its_text() -> None:
    person = Person(id=RecordID("person", "a b"), name="Ada")
    assert person.model_dump() == {"id": RecordID("person", "a b"), "name": "Ada"}
    assert type(person.model_dump()["id"]) is RecordID
    assert person.model_dump(mode="json") == {"id": "person:⟨a b⟩", "name": "Ada"}
    assert json.loads(person.model_dump_json()) == {"id": "person:⟨a b⟩", "name": "Ada"}
    assert Person.model_validate_json(person.model_dump_json()) == person


def test_pydantic_refuses_other_values_with_the_reason() -> None:
    with pytest.raises(pydantic.ValidationError, match="it has no ':'"):
        Person.model_validate({"id": "person", "name": "Ada"})
    with pytest.raises(pydantic.ValidationError, match="valid string"):
        Person.model_validate({"id": 5, "name": "Ada"})
    with pytest.raises(pydantic.ValidationError, match="valid string"):
        Person.model_validate_json('{"id": {"tb": "person"}, "name": "Ada"}')


def test_pydantic_json_schema_is_a_string() -> None:
    schema = Person.model_json_schema()
    assert schema["properties"]["id"]["anyOf"][0] == {"type": "string"}


def test_importing_surrealdb_does_not_import_pydantic() -> None:
    code = "import sys, surrealdb; print('pydantic' in sys.modules, 'pydantic_core' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
