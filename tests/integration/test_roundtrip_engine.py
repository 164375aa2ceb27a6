"""Round trip of every SurrealDB value type through the real (embedded) engine.

Each value is sent as a query variable with our encoder, comes back through the engine and is
decoded with our decoder; it must be equal and of the same Python type. SurrealQL checks
(``type::of``) confirm the engine saw the intended SurrealDB type, not a look-alike.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from surrealdb.cbor import decode, encode
from surrealdb.values import (
    NONE,
    NULL,
    BoundExcluded,
    BoundIncluded,
    Datetime,
    Duration,
    File,
    GeometryCollection,
    GeometryLine,
    GeometryMultiLine,
    GeometryMultiPoint,
    GeometryMultiPolygon,
    GeometryPoint,
    GeometryPolygon,
    OutOfRangeDatetime,
    Range,
    RecordID,
    SurrealSet,
    Table,
)

embedded = pytest.importorskip(
    "surrealdb_embedded",
    reason="the embedded SurrealDB engine (surrealdb-embedded) is not installed",
)

P1, P2, P3 = GeometryPoint(0, 0), GeometryPoint(1, 0), GeometryPoint(1, 1)
LINE = GeometryLine((P1, P2))
RING = GeometryLine((P1, P2, P3, P1))
POLYGON = GeometryPolygon((RING,))
UUID = uuid.UUID("0190d1e4-1b1e-7c4a-8f3e-1234567890ab")

# (test id, value, what type::of says in SurrealQL)
VALUES: list[tuple[str, object, str]] = [
    ("none", None, "none"),
    ("none_by_name", NONE, "none"),
    ("null", NULL, "null"),
    ("bool", True, "bool"),
    ("int", 42, "int"),
    ("int_min", -(2**63), "int"),
    ("int_max", 2**63 - 1, "int"),
    ("float", 1.5, "float"),
    ("string", "héllo ✓", "string"),
    ("bytes", b"\x00\x01\xff", "bytes"),
    ("array_none_null", [None, NULL, 1, [None]], "array"),
    ("object_none_null", {"a": None, "b": NULL, "c": {"d": None}}, "object"),
    ("uuid", UUID, "uuid"),
    ("decimal", Decimal("1.234567890123456789012345678"), "decimal"),
    ("decimal_negative", Decimal("-98765432109876543210.12345678"), "decimal"),
    ("datetime_ns", Datetime(1704164645, 123456789), "datetime"),
    ("datetime_epoch", Datetime(0), "datetime"),
    ("datetime_before_epoch", Datetime(-1, 500_000_000), "datetime"),
    ("datetime_min", Datetime(1, 1, 1, tzinfo=dt.UTC), "datetime"),
    ("datetime_max", Datetime("9999-12-31T23:59:59.999999999Z"), "datetime"),
    (
        "datetime_offset",
        Datetime(2024, 1, 2, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "datetime",
    ),
    ("datetime_year_10000", OutOfRangeDatetime.parse("+10000-01-01T00:00:00Z"), "datetime"),
    ("datetime_year_0", OutOfRangeDatetime.parse("0000-12-31T23:59:59.999999999Z"), "datetime"),
    (
        "datetime_engine_max",
        OutOfRangeDatetime.parse("+262142-12-31T23:59:59.999999999Z"),
        "datetime",
    ),
    ("datetime_engine_min", OutOfRangeDatetime.parse("-262143-01-01T00:00:00Z"), "datetime"),
    ("duration", Duration.parse(3900), "duration"),
    ("duration_ns", Duration.parse(694861, 1001001), "duration"),
    ("duration_zero", Duration(), "duration"),
    ("duration_max", Duration.parse(2**64 - 1, 999_999_999), "duration"),
    ("table", Table("user"), "table"),
    ("record_str", RecordID("user", "john"), "record"),
    ("record_escaped", RecordID("user", "a b⟩c"), "record"),
    ("record_int", RecordID("user", 1), "record"),
    ("record_array", RecordID("user", [1, "a", Datetime(5, 6), [UUID]]), "record"),
    ("record_object", RecordID("user", {"a": 1, "b": ["x", {"c": None}]}), "record"),
    ("record_uuid", RecordID("user", UUID), "record"),
    ("record_range", RecordID("user", Range(BoundIncluded(1), BoundExcluded(5))), "record"),
    ("set", {1, 2, 3}, "set"),
    ("set_mixed", {NONE, None, 1, "a"}, "set"),
    ("set_unhashable", SurrealSet([3, "x", [1], {"a": 1}, {"b": 2}]), "set"),
    ("range_incl_excl", Range(BoundIncluded(1), BoundExcluded(5)), "range"),
    ("range_excl_incl", Range(BoundExcluded(1), BoundIncluded(5)), "range"),
    ("range_excl_excl", Range(BoundExcluded(1), BoundExcluded(5)), "range"),
    ("range_open_begin", Range(None, BoundExcluded(5)), "range"),
    ("range_open_end", Range(BoundIncluded(1), None), "range"),
    ("range_unbounded", Range(None, None), "range"),
    ("range_datetimes", Range(BoundIncluded(Datetime(5, 1)), BoundIncluded(Datetime(7))), "range"),
    ("file", File("bucket", "/some/key.txt"), "file"),
    ("point", GeometryPoint(1.5, -2.25), "geometry<point>"),
    ("line", LINE, "geometry<line>"),
    ("polygon", POLYGON, "geometry<polygon>"),
    ("multipoint", GeometryMultiPoint((P1, P2)), "geometry<multipoint>"),
    ("multiline", GeometryMultiLine((LINE, GeometryLine((P2, P3)))), "geometry<multiline>"),
    ("multipolygon", GeometryMultiPolygon((POLYGON, POLYGON)), "geometry<multipolygon>"),
    ("collection", GeometryCollection((P1, LINE, POLYGON)), "geometry<collection>"),
]


class Engine:
    """A connection to an in-memory engine speaking the CBOR RPC protocol."""

    def __init__(self) -> None:
        self.db = embedded.SyncEmbeddedDB("mem://")
        self.db.connect()
        self.ids = itertools.count(1)

    def rpc(self, method: str, params: list[Any]) -> Any:
        request_id = next(self.ids)
        reply, undecoded = decode(
            self.db.execute(encode({"id": request_id, "method": method, "params": params}))
        )
        assert undecoded == [], f"reply held tags we could not decode: {undecoded}"
        assert reply["id"] == request_id
        assert "error" not in reply, reply.get("error")
        return reply["result"]

    def query(self, sql: str, variables: dict[str, Any] | None = None) -> list[Any]:
        """Run SurrealQL; return each statement's result, failing on any statement error."""
        statements = self.rpc("query", [sql, variables or {}])
        for statement in statements:
            assert statement["status"] == "OK", statement["result"]
        return [statement["result"] for statement in statements]

    def close(self) -> None:
        self.db.close()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    connection = Engine()
    connection.rpc("use", ["test", "test"])
    yield connection
    connection.close()


def read_back(value: object) -> object:
    """The value as a reply brings it back: a NULL reads as None, as in the official SDK."""
    if value is NULL:
        return None
    if type(value) is list:
        return [read_back(item) for item in value]
    if type(value) is dict:
        return {key: read_back(item) for key, item in value.items()}
    if type(value) is RecordID:
        return RecordID(value.table, read_back(value.id))  # type: ignore[call-overload]
    return value


def assert_same(actual: object, expected: object) -> None:
    """Equal, and of the same type all the way down (``1 == 1.0`` would hide a bug)."""
    assert actual == expected
    assert type(actual) is type(expected), f"{type(actual)} != {type(expected)}"
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        for actual_item, expected_item in zip(actual, expected, strict=True):
            assert_same(actual_item, expected_item)
    elif isinstance(expected, dict) and isinstance(actual, dict):
        for key, expected_item in expected.items():
            assert_same(actual[key], expected_item)
    elif isinstance(expected, RecordID) and isinstance(actual, RecordID):
        assert_same(actual.id, expected.id)


@pytest.mark.parametrize(
    ("value", "surreal_type"), [v[1:] for v in VALUES], ids=[v[0] for v in VALUES]
)
def test_value_round_trips(engine: Engine, value: object, surreal_type: str) -> None:
    returned, type_name = engine.query("RETURN $v; RETURN type::of($v)", {"v": value})
    assert_same(returned, read_back(value))
    assert type_name == surreal_type


def test_python_builtins_come_back_as_surreal_types(engine: Engine) -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
    (returned,) = engine.query(
        "RETURN $v",
        {"v": [moment, dt.datetime(2024, 1, 2), dt.timedelta(hours=1, minutes=5), (1, 2)]},
    )
    assert_same(
        returned,
        [Datetime.from_datetime(moment), Datetime(1704153600), Duration.parse(3900), [1, 2]],
    )
    assert returned[0].to_datetime() == moment


def test_engine_sees_none_and_null_apart(engine: Engine) -> None:
    checks = engine.query(
        "RETURN [type::is_none($n), type::is_null($n), type::is_none($l), type::is_null($l)];"
        "RETURN [type::of($a[0]), type::of($a[1]), type::of($o.n), type::of($o.l)]",
        {"n": None, "l": NULL, "a": [None, NULL], "o": {"n": None, "l": NULL}},
    )
    assert checks == [[True, False, False, True], ["none", "null", "none", "null"]]


def test_engine_checks_record_ids(engine: Engine) -> None:
    record = RecordID("user", [1, "a"])
    table, key, is_record, text = engine.query(
        "RETURN record::tb($r); RETURN record::id($r); RETURN type::is_record($r);"
        " RETURN <string>$r",
        {"r": record},
    )
    assert table == "user"
    assert_same(key, [1, "a"])
    assert is_record is True
    # SurrealDB escapes with backticks; our parser reads its form too.
    assert RecordID.parse(text) == record


@pytest.mark.parametrize(
    "record",
    [
        RecordID("user", "john"),
        RecordID("user", "a b"),
        RecordID("user", "123"),
        RecordID("odd table", "x⟩y"),
        RecordID("user", -7),
        RecordID("user", UUID),
        RecordID("user", [1, "a", {"b c": 1.5, "d": "x'y\n"}, Decimal("2.5"), NULL, None]),
        RecordID("user", {"k": [Datetime(1, 2), Duration.parse(3)]}),
    ],
    ids=str,
)
def test_record_id_text_is_understood_both_ways(engine: Engine, record: RecordID) -> None:
    parsed_by_engine, engine_text = engine.query(
        "RETURN <record>$text; RETURN <string>$record", {"text": str(record), "record": record}
    )
    assert_same(parsed_by_engine, read_back(record))
    assert RecordID.parse(engine_text) == record


def test_datetime_text_matches_engine(engine: Engine) -> None:
    for value in [Datetime(1704164645, 123456789), Datetime(1704164645, 120_000_000), Datetime(0)]:
        (text,) = engine.query("RETURN <string>$v", {"v": value})
        assert text == value.dt
        assert Datetime.parse(text) == Datetime(text) == value


def test_duration_text_matches_engine(engine: Engine) -> None:
    for value in [
        Duration.parse(3900),
        Duration.parse(694861, 1001001),
        Duration(),
        Duration.parse(400 * 86400),
    ]:
        (text,) = engine.query("RETURN <string>$v", {"v": value})
        assert text == str(value)
        assert Duration.parse(text) == value


def test_create_and_select_a_record_with_every_value(engine: Engine) -> None:
    content = {name: value for name, value, _ in VALUES}
    record_id = RecordID("everything", [1, "all"])
    (created,) = engine.query(
        "CREATE ONLY $id CONTENT $content", {"id": record_id, "content": content}
    )
    (selected,) = engine.query("SELECT * FROM ONLY $id", {"id": record_id})

    # A field set to NONE does not exist on a stored record; NONE inside arrays is kept.
    expected = {name: value for name, value in content.items() if value is not None}
    expected["object_none_null"] = {"b": None, "c": {}}
    expected["id"] = record_id
    for stored in (created, selected):
        assert set(stored) == set(expected)
        for name, value in expected.items():
            assert_same(stored[name], read_back(value))

    (types,) = engine.query(
        "RETURN [type::of($id.datetime_ns), type::of($id.record_array), type::of($id.set),"
        " type::of($id.range_open_end), type::of($id.file), type::of($id.collection)]",
        {"id": record_id},
    )
    assert types == ["datetime", "record", "set", "range", "file", "geometry<collection>"]
