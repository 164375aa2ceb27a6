"""Unit tests for surrealdb.values: value semantics, text forms and parsing."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import uuid
from decimal import Decimal

import pytest

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
    GeometryPoint,
    GeometryPolygon,
    OutOfRangeDatetime,
    Range,
    RecordID,
    RecordIdKey,
    SurrealNull,
    SurrealSet,
    Table,
)

# -- NONE and NULL ---------------------------------------------------------------------------


def test_none_is_python_none() -> None:
    assert NONE is None


def test_null_is_a_falsy_singleton_distinct_from_python_none() -> None:
    assert SurrealNull() is NULL
    assert repr(NULL) == "NULL"
    assert not NULL
    assert NULL is not None
    assert NULL != None  # noqa: E711 - the point is that NULL is not NONE
    assert copy.deepcopy(NULL) is NULL
    assert pickle.loads(pickle.dumps(NULL)) is NULL


# -- Table, File -----------------------------------------------------------------------------


def test_table_is_a_hashable_name() -> None:
    assert str(Table("user")) == "user"
    assert Table("user") == Table("user")
    assert Table("user") != Table("post")
    name_as_text: object = "user"
    assert Table("user") != name_as_text
    assert len({Table("user"), Table("user")}) == 1
    with pytest.raises(AttributeError):
        Table("user").name = "post"  # type: ignore[misc]


def test_file_equality_and_hash() -> None:
    assert File("bucket", "/a/b") == File("bucket", "/a/b")
    assert File("bucket", "/a/b") != File("bucket", "/a/c")
    assert hash(File("bucket", "/a")) == hash(File("bucket", "/a"))


# -- RecordID --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "text"),
    [
        (RecordID("user", "john"), "user:john"),
        (RecordID("user", "john_2"), "user:john_2"),
        (RecordID("user", "a b"), "user:⟨a b⟩"),
        (RecordID("user", "123"), "user:⟨123⟩"),
        (RecordID("user", "_"), "user:⟨_⟩"),
        (RecordID("user", ""), "user:⟨⟩"),
        (RecordID("user", "é"), "user:⟨é⟩"),
        (RecordID("user", "a\\b"), "user:⟨a\\\\b⟩"),
        (RecordID("user", "x⟩y"), "user:`x⟩y`"),
        (RecordID("user", 1), "user:1"),
        (RecordID("user", -5), "user:-5"),
        (RecordID("my table", "x"), "⟨my table⟩:x"),
        (RecordID("user", uuid.UUID(int=5)), "user:u'00000000-0000-0000-0000-000000000005'"),
        (RecordID("user", [1, "a"]), "user:[1, 'a']"),
        (RecordID("user", {"b c": 1, "d": "x'y"}), "user:{ 'b c': 1, d: \"x'y\" }"),
        (RecordID("user", []), "user:[]"),
        (RecordID("user", {}), "user:{}"),
        (RecordID("user", Range(BoundIncluded(1), BoundExcluded(5))), "user:1..5"),
        (RecordID("user", Range(BoundExcluded(1), BoundIncluded(5))), "user:1>..=5"),
        (RecordID("user", Range(None, None)), "user:.."),
        (RecordID("user", Range(BoundIncluded("a"), None)), "user:a.."),
    ],
)
def test_record_id_str_and_parse_round_trip(record: RecordID, text: str) -> None:
    assert str(record) == text
    parsed = RecordID.parse(text)
    assert parsed == record
    assert hash(parsed) == hash(record)


@pytest.mark.parametrize(
    "key",
    [
        [1, "a", 1.5, -2.25, True, False, None, NULL],
        [Decimal("1.50"), uuid.UUID(int=3), Datetime(5, 7), Duration.parse(3900)],
        {"nested": [{"deep": ["x", 'quote "double"', "quote 'single'", "both ' \""]}]},
        ["tab\tnew\nline back\\slash", "ünïcödé", ""],
        [float("inf"), float("-inf"), 1e300, 1e-7],
        "with space",
        Range(BoundIncluded([1, "a"]), BoundExcluded([2, "b"])),
    ],
)
def test_record_id_round_trips_through_text(key: RecordIdKey) -> None:
    record = RecordID("t", key)
    assert RecordID.parse(str(record)) == record


def test_record_id_parse_accepts_other_spellings() -> None:
    assert RecordID.parse("`us er`:`a\\`b`") == RecordID("us er", "a`b")
    assert RecordID.parse("user:⟨a b⟩") == RecordID("user", "a b")
    assert RecordID.parse('user:u"00000000-0000-0000-0000-000000000001"') == RecordID(
        "user", uuid.UUID(int=1)
    )
    assert RecordID.parse('user:[ 1 ,"x",{"k":2, other: 1.5e3} ]') == RecordID(
        "user", [1, "x", {"k": 2, "other": 1500.0}]
    )
    assert RecordID.parse("user:[1dec, 2f, 3.5, NULL, null, '\\u00e9\\u{1F600}']") == RecordID(
        "user", [Decimal(1), 2.0, 3.5, NULL, NULL, "é😀"]
    )
    # 1e5 is an identifier, not a number, at the top level (as in SurrealQL).
    assert RecordID.parse("user:1e5") == RecordID("user", "1e5")


@pytest.mark.parametrize(
    "text",
    ["", "user", "user:", ":x", "user:a b", "user:⟨open", "user:[1, 2", "user:{a 1}", "user:-x",
     "user:u'not-a-uuid'", "user:[1]x", "user:['\\q']"],
)  # fmt: skip
def test_record_id_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid record id"):
        RecordID.parse(text)


def test_record_id_error_names_the_text() -> None:
    with pytest.raises(ValueError, match=r"'user:a b'"):
        RecordID.parse("user:a b")


def test_record_id_equality_and_hash_by_value() -> None:
    assert RecordID("user", 1) == RecordID("user", 1)
    assert RecordID("user", 1) != RecordID("user", "1")
    assert RecordID("user", 1) != RecordID("post", 1)
    assert RecordID("user", [1, {"a": [2]}]) == RecordID("user", (1, {"a": (2,)}))
    assert hash(RecordID("user", [1, {"a": [2]}])) == hash(RecordID("user", (1, {"a": (2,)})))
    # Arrays and objects stay apart even with look-alike contents.
    assert RecordID("user", [["a", 1]]) != RecordID("user", {"a": 1})
    assert RecordID("user", {"a": 1, "b": 2}) == RecordID("user", {"b": 2, "a": 1})
    assert {RecordID("user", [1, 2]): "x"}[RecordID("user", [1, 2])] == "x"
    assert RecordID(Table("user"), "x") == RecordID("user", "x")
    assert RecordID("user", 1) != ("user", 1)


def test_record_id_repr_and_immutability() -> None:
    record = RecordID("user", "john")
    assert repr(record) == "RecordID('user', 'john')"
    assert (record.table, record.id) == ("user", "john")
    with pytest.raises(AttributeError):
        record.table = "post"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(record)) == record
    assert copy.copy(record) == record


def test_record_id_rejects_invalid_parts() -> None:
    with pytest.raises(TypeError):
        RecordID(1, "x")  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        RecordID("user", 1.5)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        RecordID("user", True)
    with pytest.raises(TypeError):
        RecordID("user", None)  # type: ignore[call-overload]


# -- Duration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "nanoseconds", "canonical"),
    [
        ("1h5m", 3900, 0, "1h5m"),
        ("1h5m30s1ms", 3930, 1_000_000, "1h5m30s1ms"),
        ("0s", 0, 0, "0ns"),
        ("1ns", 0, 1, "1ns"),
        ("1500ms", 1, 500_000_000, "1s500ms"),
        ("1001001ns", 0, 1_001_001, "1ms1µs1ns"),
        ("2us3µs4μs", 0, 9_000, "9µs"),
        ("8d", 8 * 86400, 0, "1w1d"),
        ("365d", 365 * 86400, 0, "1y"),
        ("1y5w", 400 * 86400, 0, "1y5w"),
        ("90m", 5400, 0, "1h30m"),
    ],
)
def test_duration_parse_and_str(text: str, seconds: int, nanoseconds: int, canonical: str) -> None:
    duration = Duration.parse(text)
    assert duration.get_seconds_and_nano() == (seconds, nanoseconds)
    assert duration.elapsed == seconds * 1_000_000_000 + nanoseconds
    assert str(duration) == canonical
    assert Duration.parse(str(duration)) == duration


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "1h 5m", "-1s", "1.5s"])
def test_duration_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="Invalid duration format"):
        Duration.parse(text)


def test_duration_parts_and_order() -> None:
    assert Duration.parse(0, 2_500_000_000) == Duration.parse(2, 500_000_000)
    assert Duration.parse(3, -1) == Duration(2_999_999_999)
    assert hash(Duration.parse(0, 1_000_000_000)) == hash(Duration.parse(1))
    assert Duration.parse(1) < Duration.parse(1, 1) < Duration.parse(2)
    assert sorted([Duration.parse(5), Duration(5), Duration.parse(1)]) == [
        Duration(5),
        Duration.parse(1),
        Duration.parse(5),
    ]
    assert Duration.parse(2, 5).total_nanoseconds == 2_000_000_005
    assert Duration.from_nanoseconds(2_000_000_005) == Duration.parse(2, 5)


def test_duration_rejects_negative_and_non_int() -> None:
    with pytest.raises(ValueError, match="negative"):
        Duration(-1)
    with pytest.raises(TypeError):
        Duration(1.5)  # type: ignore[arg-type]


def test_duration_timedelta_conversion() -> None:
    delta = dt.timedelta(days=2, hours=3, microseconds=7)
    duration = Duration.from_timedelta(delta)
    assert duration == Duration.parse(2 * 86400 + 3 * 3600, 7_000)
    assert duration.to_timedelta() == delta
    assert Duration(1_999).to_timedelta() == dt.timedelta(microseconds=1)  # truncates


# -- Datetime --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "nanoseconds", "canonical"),
    [
        ("2024-01-02T03:04:05.123456789Z", 1704164645, 123456789, "2024-01-02T03:04:05.123456789Z"),
        ("2024-01-02T03:04:05Z", 1704164645, 0, "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.12Z", 1704164645, 120_000_000, "2024-01-02T03:04:05.120Z"),
        ("2024-01-02T03:04:05.000001Z", 1704164645, 1_000, "2024-01-02T03:04:05.000001Z"),
        ("2024-01-02T05:04:05+02:00", 1704164645, 0, "2024-01-02T03:04:05Z"),
        ("2024-01-02T01:04:05-0200", 1704164645, 0, "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05", 1704164645, 0, "2024-01-02T03:04:05Z"),
        ("2024-01-02", 1704153600, 0, "2024-01-02T00:00:00Z"),
        ("1970-01-01T00:00:00Z", 0, 0, "1970-01-01T00:00:00Z"),
        ("1969-12-31T23:59:59.5Z", -1, 500_000_000, "1969-12-31T23:59:59.500Z"),
        ("0001-01-01T00:00:00Z", -62135596800, 0, "0001-01-01T00:00:00Z"),
        ("2000-02-29T12:00:00Z", 951825600, 0, "2000-02-29T12:00:00Z"),
        ("2024-01-02T03:04:05.1234567891234Z", 1704164645, 123456789, None),
    ],
)
def test_datetime_parse_and_str(
    text: str, seconds: int, nanoseconds: int, canonical: str | None
) -> None:
    value = Datetime.parse(text)
    assert (value.seconds, value.nanoseconds) == (seconds, nanoseconds)
    assert value.dt == (canonical or value.dt)
    assert Datetime.parse(value.dt) == value
    assert Datetime.parse(str(value)) == value


@pytest.mark.parametrize(
    "text", ["", "2024", "2024-13-01", "2023-02-29", "2024-01-02T24:00:00Z", "2024-01-02X", "nope"]
)
def test_datetime_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid datetime"):
        Datetime.parse(text)


def test_datetime_agrees_with_python_datetime() -> None:
    moments = [
        dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
        dt.datetime(1900, 3, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    ]
    for moment in moments:
        value = Datetime.from_datetime(moment)
        assert value.to_datetime() == moment
        assert value.dt == moment.isoformat().replace("+00:00", "Z")
        assert str(value) == str(moment)
        assert Datetime.parse(moment.isoformat()) == value


def test_datetime_from_naive_is_utc_and_aware_is_converted() -> None:
    naive = dt.datetime(2024, 1, 2, 3, 4, 5)
    aware = dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert Datetime.from_datetime(naive) == Datetime(1704164645)
    assert Datetime.from_datetime(aware) == Datetime(1704164645)
    assert Datetime(1704164645, 999).to_datetime() == dt.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC
    )


def test_datetime_normalises_orders_and_hashes() -> None:
    assert Datetime(0, -1) == Datetime(-1, 999_999_999)
    assert Datetime(-1, 5) < Datetime(0) < Datetime(0, 1)
    assert len({Datetime(1, 1_000_000_000), Datetime(2)}) == 1
    assert Datetime.now() > Datetime.parse("2024-01-01")
    with pytest.raises(TypeError):
        Datetime(1.5)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="invalid datetime"):
        Datetime("1")


def test_datetime_outside_python_range_is_out_of_range_datetime() -> None:
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        Datetime.parse("+10000-01-01T00:00:00Z")
    far = OutOfRangeDatetime.parse("+10000-01-01T00:00:00Z")
    assert str(far) == "+10000-01-01T00:00:00Z"
    assert OutOfRangeDatetime.parse(str(far)) == far


# -- Range, sets, geometries -----------------------------------------------------------------


def test_range_and_bounds() -> None:
    value = Range(BoundIncluded(1), BoundExcluded(5))
    assert value == Range(BoundIncluded(1), BoundExcluded(5))
    assert value != Range(BoundExcluded(1), BoundExcluded(5))
    excluded: object = BoundExcluded(1)
    assert BoundIncluded(1) != excluded
    assert hash(value) == hash(Range(BoundIncluded(1), BoundExcluded(5)))
    assert Range(None, None).begin is None


def test_surreal_set_is_a_list_with_its_own_repr() -> None:
    value = SurrealSet([{"a": 1}])
    assert isinstance(value, list)
    assert value == [{"a": 1}]
    assert repr(value) == "SurrealSet([{'a': 1}])"


def test_geometries_store_tuples_and_floats() -> None:
    a, b = GeometryPoint(1, 2), GeometryPoint(3.5, 4)
    assert (a.x, a.y) == (1.0, 2.0)
    assert type(a.x) is float
    line = GeometryLine([a, b])  # type: ignore[call-overload]  # a list is accepted at runtime
    assert line.points == (a, b)
    assert line == GeometryLine((a, b))
    polygon = GeometryPolygon((GeometryLine((a, b, GeometryPoint(5, 6), a)),))
    collection = GeometryCollection((a, line, polygon))
    assert hash(collection) == hash(GeometryCollection((a, line, polygon)))
    assert collection != GeometryCollection((a, line))
