"""Datetimes and durations through the real engine, on every transport, blocking and asyncio.

Stored in a SCHEMAFULL table (so the engine checks the types), read back with `select`,
`query` and `into=Model`, and computed by the engine itself (`time::`, `duration::`): every
nanosecond, the edges of Python's years and the engine's own limits must come back exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from surrealdb import ConversionError, Datetime, Duration, OutOfRangeDatetime, RecordID
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection

SCHEMA = (
    "DEFINE TABLE moment SCHEMAFULL;"
    " DEFINE FIELD at ON moment TYPE datetime;"
    " DEFINE FIELD lasted ON moment TYPE duration;"
)

# (record key, datetime, duration): nanoseconds, the edges of Python's years, and beyond.
ROWS: list[tuple[str, Datetime | OutOfRangeDatetime, Duration]] = [
    ("ns", Datetime("2024-02-29T23:59:59.123456789Z"), Duration.parse("1w2d3h4m5s6ms7µs8ns")),
    ("epoch", Datetime(0), Duration()),
    ("before_epoch", Datetime(-1, 999_999_999), Duration(1)),
    ("python_min", Datetime(1, 1, 1, tzinfo=dt.UTC), Duration.parse(1, 999_999_999)),
    ("python_max", Datetime("9999-12-31T23:59:59.999999999Z"), Duration.parse("100y")),
    (
        "offset",
        Datetime(2024, 1, 2, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)), nanosecond=1),
        Duration.parse(2**63),
    ),
    ("year_10000", OutOfRangeDatetime.parse("+10000-01-01T00:00:00Z"), Duration(999)),
    ("year_0", OutOfRangeDatetime.parse("0000-12-31T23:59:59.999999999Z"), Duration(1_000)),
    (
        "engine_max",
        OutOfRangeDatetime.parse("+262142-12-31T23:59:59.999999999Z"),
        Duration.parse(2**64 - 1, 999_999_999),  # duration::max
    ),
    ("engine_min", OutOfRangeDatetime.parse("-262143-01-01T00:00:00Z"), Duration.parse("1ns")),
]


class Moment(msgspec.Struct):
    id: RecordID
    at: Datetime
    lasted: Duration


class PlainMoment(msgspec.Struct):
    id: RecordID
    at: dt.datetime
    lasted: Duration


def check_row(row: dict[str, Any], at: object, lasted: Duration) -> None:
    assert row["at"] == at and type(row["at"]) is type(at)
    assert (row["at"].seconds, row["at"].nanoseconds) == (at.seconds, at.nanoseconds)  # type: ignore[attr-defined]
    assert row["lasted"] == lasted and type(row["lasted"]) is Duration


def check_engine_sees(values: list[Any], rows: list[tuple[str, Any, Duration]]) -> None:
    """What `<string>` gives for each stored value: SurrealDB's own text of the same value."""
    for row, (_, at, lasted) in zip(values, rows, strict=True):
        text_at, text_lasted = row["text"]
        expected_at = at.dt if isinstance(at, Datetime) else str(at)
        assert (text_at, text_lasted) == (expected_at, str(lasted))


TEXT_SQL = "SELECT id, [<string>at, <string>lasted] AS text FROM moment ORDER BY id"


def test_datetimes_and_durations_round_trip(db: BlockingSurrealConnection) -> None:
    db.query(SCHEMA)
    for key, at, lasted in ROWS:
        created = db.create(RecordID("moment", key), {"at": at, "lasted": lasted})
        check_row(created, at, lasted)
    for key, at, lasted in ROWS:
        row = db.select(RecordID("moment", key))
        assert row is not None
        check_row(row, at, lasted)
    check_engine_sees(db.query(TEXT_SQL), sorted(ROWS, key=lambda row: row[0]))
    for key, at, lasted in ROWS:
        if isinstance(at, Datetime):
            model = db.select(RecordID("moment", key), into=Moment)
            assert model == Moment(RecordID("moment", key), at, lasted)
        else:  # a Datetime field cannot take a year Python does not hold: said by field
            with pytest.raises(ConversionError, match=r"Expected `Datetime`.*\$\.at"):
                db.select(RecordID("moment", key), into=Moment)


async def test_datetimes_and_durations_round_trip_async(adb: AsyncSurrealConnection) -> None:
    await adb.query(SCHEMA)
    for key, at, lasted in ROWS:
        check_row(
            await adb.create(RecordID("moment", key), {"at": at, "lasted": lasted}), at, lasted
        )
    for key, at, lasted in ROWS:
        row = await adb.select(RecordID("moment", key))
        assert row is not None
        check_row(row, at, lasted)
    check_engine_sees(await adb.query(TEXT_SQL), sorted(ROWS, key=lambda row: row[0]))


def test_engine_computed_values_keep_nanoseconds(db: BlockingSurrealConnection) -> None:
    at = Datetime("2024-02-29T23:59:59.999999999Z")
    later, gap, now, longest = db.query_all(
        "RETURN $at + 1ns; RETURN $b - $a; RETURN time::now(); RETURN duration::max",
        {"at": at, "a": Datetime(0, 1), "b": Datetime(1, 0)},
    )
    assert later == at + Duration(1) == Datetime("2024-03-01T00:00:00Z")
    assert type(later) is Datetime and isinstance(later, dt.datetime)
    assert gap == Duration(999_999_999)
    assert type(now) is Datetime and abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert longest == Duration.parse(2**64 - 1, 999_999_999)


async def test_engine_computed_values_keep_nanoseconds_async(adb: AsyncSurrealConnection) -> None:
    at = Datetime(1_700_000_000, 999)
    later, gap = await adb.query_all(
        "RETURN $at + 1ms; RETURN $at - d'2023-11-14T22:13:20Z'", {"at": at}
    )
    assert later == at + dt.timedelta(milliseconds=1) and later.nanosecond == 999
    assert gap == Duration(999)


def test_plain_datetimes_and_timedeltas_go_in(db: BlockingSurrealConnection) -> None:
    db.query(SCHEMA)
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
    row = db.create(RecordID("moment", 1), {"at": moment, "lasted": dt.timedelta(hours=1)})
    assert row["at"] == moment and type(row["at"]) is Datetime
    assert row["lasted"] == Duration.parse("1h")
    naive = db.create(RecordID("moment", 2), {"at": dt.datetime(2024, 1, 2), "lasted": Duration()})
    assert naive["at"] == dt.datetime(2024, 1, 2, tzinfo=dt.UTC)  # naive is taken as UTC
    plain = db.select(RecordID("moment", 1), into=PlainMoment)
    assert plain is not None and type(plain.at) is dt.datetime and plain.at == moment


def test_official_datetime_from_iso_text(db: BlockingSurrealConnection) -> None:
    iso = "2025-02-03T12:30:45.123456Z"
    db.query("DEFINE TABLE datetime_tests SCHEMALESS")
    db.query("CREATE datetime_tests:iso SET datetime = $d", {"d": Datetime(iso)})
    (row,) = db.query("SELECT * FROM datetime_tests")
    assert str(row["datetime"]) == str(dt.datetime.fromisoformat(iso))
    assert row["datetime"].isoformat().replace("+00:00", "Z") == iso
