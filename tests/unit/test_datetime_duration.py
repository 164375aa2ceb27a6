"""Datetime as a datetime.datetime with nanoseconds, OutOfRangeDatetime, and Duration.

Both types in the shapes of our API and of the official SDK's, and through the codec: values
must round-trip exactly, and datetime code must get the datetime behaviour it expects.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from typing import Any

import cbor2
import msgspec
import pydantic
import pytest

import surrealdb
from surrealdb import _into, cbor
from surrealdb.data import cbor as official_cbor
from surrealdb.errors import ConversionError, InvalidDurationError
from surrealdb.values import Datetime, Duration, OutOfRangeDatetime

PLUS_2 = dt.timezone(dt.timedelta(hours=2))
# 2023-11-14T22:13:20.123456789Z
MOMENT = Datetime(1_700_000_000, 123_456_789)
PLAIN = dt.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=dt.UTC)
PY_MIN, PY_MAX = -62_135_596_800, 253_402_300_799  # 0001-01-01, 9999-12-31T23:59:59 (UTC)


def round_trip(value: object) -> Any:
    decoded, undecoded = cbor.decode(cbor.encode(value))
    assert undecoded == []
    return decoded


# -- Datetime: a datetime ------------------------------------------------------------------


def test_datetime_is_a_datetime_with_nanoseconds() -> None:
    assert isinstance(MOMENT, dt.datetime)
    fields = (MOMENT.year, MOMENT.month, MOMENT.day, MOMENT.hour, MOMENT.minute, MOMENT.second)
    assert fields == (2023, 11, 14, 22, 13, 20)
    assert (MOMENT.microsecond, MOMENT.nanosecond) == (123_456, 789)
    assert (MOMENT.seconds, MOMENT.nanoseconds) == (1_700_000_000, 123_456_789)
    assert MOMENT.tzinfo is dt.UTC
    assert MOMENT.strftime("%Y-%m-%d %H:%M:%S.%f") == "2023-11-14 22:13:20.123456"
    assert MOMENT.timestamp() == PLAIN.timestamp()
    assert MOMENT.date() == dt.date(2023, 11, 14)


@pytest.mark.parametrize(
    "made",
    [
        Datetime("2023-11-14T22:13:20.123456789Z"),
        Datetime("2023-11-15T00:13:20.123456789+02:00"),
        Datetime(1_700_000_000, 123_456_789),
        Datetime(seconds=1_700_000_000, nanoseconds=123_456_789),
        Datetime(1_699_999_999, 1_123_456_789),  # nanoseconds carried into seconds
        Datetime(2023, 11, 14, 22, 13, 20, 123456, dt.UTC, nanosecond=789),
        Datetime(
            year=2023,
            month=11,
            day=14,
            hour=22,
            minute=13,
            second=20,
            microsecond=123456,
            tzinfo=dt.UTC,
            nanosecond=789,
        ),
        Datetime.parse("2023-11-14T22:13:20.123456789Z"),
    ],
)
def test_datetime_constructors_agree(made: Datetime) -> None:
    assert made == MOMENT
    assert (made.seconds, made.nanoseconds) == (MOMENT.seconds, MOMENT.nanoseconds)
    assert type(made) is Datetime


def test_datetime_constructor_errors() -> None:
    with pytest.raises(TypeError, match="must be ints"):
        Datetime(1.5)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="invalid datetime"):
        Datetime("yesterday")
    with pytest.raises(ValueError, match="nanosecond must be"):
        Datetime(2024, 1, 1, nanosecond=1_000)
    with pytest.raises(ValueError, match="month must be"):
        Datetime(2024, 13, 1)


def test_datetime_text_forms() -> None:
    assert str(MOMENT) == "2023-11-14 22:13:20.123456789+00:00"
    assert MOMENT.isoformat() == "2023-11-14T22:13:20.123456789+00:00"
    assert MOMENT.isoformat(timespec="milliseconds") == "2023-11-14T22:13:20.123+00:00"
    assert Datetime(0).isoformat(timespec="nanoseconds") == "1970-01-01T00:00:00.000000000+00:00"
    assert MOMENT.dt == "2023-11-14T22:13:20.123456789Z"
    # Without nanoseconds, exactly what a plain datetime writes.
    whole = Datetime.from_datetime(PLAIN)
    assert (str(whole), whole.isoformat()) == (str(PLAIN), PLAIN.isoformat())
    assert repr(whole) == "Datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=datetime.timezone.utc)"
    assert eval(repr(MOMENT), {"Datetime": Datetime, "datetime": dt}) == MOMENT
    local = Datetime(2024, 1, 1, 12, tzinfo=PLUS_2, nanosecond=7)
    assert local.isoformat() == "2024-01-01T12:00:00.000000007+02:00"
    assert local.dt == "2024-01-01T10:00:00.000000007Z"


def test_datetime_compares_and_hashes_with_nanoseconds() -> None:
    assert MOMENT != PLAIN and PLAIN != MOMENT  # 789 ns apart
    assert PLAIN < MOMENT and MOMENT > PLAIN and PLAIN <= MOMENT and MOMENT >= PLAIN
    assert Datetime.from_datetime(PLAIN) == PLAIN == Datetime.from_datetime(PLAIN)
    assert hash(Datetime.from_datetime(PLAIN)) == hash(PLAIN)
    assert Datetime(5, 1) < Datetime(5, 2) < Datetime(6) and Datetime(5, 2) >= Datetime(5, 2)
    assert len({Datetime(5, 1), Datetime(5, 1), Datetime(5, 2), Datetime(5)}) == 3
    assert Datetime(2024, 1, 1, 2, tzinfo=PLUS_2) == Datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert MOMENT != "2023-11-14" and MOMENT != 1_700_000_000
    naive = dt.datetime(2023, 11, 14, 22, 13, 20, 123456)
    assert naive != MOMENT  # naive and aware are never equal, and do not order
    with pytest.raises(TypeError):
        assert naive > MOMENT


def test_datetime_arithmetic_keeps_nanoseconds() -> None:
    later = MOMENT + dt.timedelta(days=1)
    assert type(later) is Datetime and later.nanoseconds == MOMENT.nanoseconds
    assert later.seconds == MOMENT.seconds + 86_400
    assert dt.timedelta(days=1) + MOMENT == later
    assert later - dt.timedelta(days=1) == MOMENT
    assert MOMENT + Duration(211) == Datetime(1_700_000_000, 123_457_000)  # carries into µs
    assert MOMENT - Duration(790) == Datetime(1_699_999_999 + 1, 123_455_999)  # borrows
    assert MOMENT + Duration.parse("1h1ns") == Datetime(1_700_003_600, 123_456_790)
    # datetime - datetime is datetime's: a timedelta of the microsecond fields.
    assert (MOMENT - PLAIN).total_seconds() == 0
    assert later - MOMENT == dt.timedelta(days=1)
    with pytest.raises(TypeError):
        MOMENT + 1  # type: ignore[operator]


def test_datetime_methods_keep_nanoseconds() -> None:
    local = MOMENT.astimezone(PLUS_2)
    assert type(local) is Datetime and local.hour == 0 and local.nanosecond == 789
    assert local == MOMENT and local.seconds == MOMENT.seconds
    assert MOMENT.replace(year=2000).nanosecond == 789
    assert MOMENT.replace(nanosecond=1).nanoseconds == 123_456_001
    assert MOMENT.replace(tzinfo=None).tzinfo is None
    assert MOMENT.replace(tzinfo=None).seconds == MOMENT.seconds  # naive counts as UTC
    for made in (
        Datetime.fromisoformat("2024-01-02T03:04:05.123456+02:00"),
        Datetime.fromtimestamp(1_704_157_445, dt.UTC),
        Datetime.combine(dt.date(2024, 1, 2), dt.time(1, 4, 5), dt.UTC),
        Datetime.strptime("2024-01-02 01:04:05 +0000", "%Y-%m-%d %H:%M:%S %z"),
    ):
        assert type(made) is Datetime and made.seconds == 1_704_157_445


def test_datetime_pickles_and_copies_exactly() -> None:
    for value in (MOMENT, MOMENT.astimezone(PLUS_2), Datetime(2024, 1, 1, nanosecond=3)):
        for twin in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
            assert twin == value and type(twin) is Datetime
            assert (twin.seconds, twin.nanoseconds, twin.tzinfo) == (
                value.seconds,
                value.nanoseconds,
                value.tzinfo,
            )


def test_datetime_now_and_conversions() -> None:
    before = dt.datetime.now(dt.UTC)
    now = Datetime.now()
    assert now.tzinfo is dt.UTC and before - dt.timedelta(seconds=1) < now
    assert Datetime.now(PLUS_2).utcoffset() == dt.timedelta(hours=2)
    assert Datetime.now(None).tzinfo is None
    assert MOMENT.to_datetime() == PLAIN and type(MOMENT.to_datetime()) is dt.datetime
    assert Datetime.from_datetime(MOMENT.astimezone(PLUS_2)) == MOMENT  # keeps nanoseconds
    assert Datetime.from_datetime(dt.datetime(1970, 1, 1, 0, 0, 5)) == Datetime(5)  # naive: UTC


# -- Datetime: years Python does not hold ----------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "nanoseconds"),
    [(PY_MIN, 0), (PY_MAX, 999_999_999), (0, 0), (-1, 999_999_999), (951_825_600, 1)],
)
def test_datetime_round_trips_at_the_edges_of_python_years(seconds: int, nanoseconds: int) -> None:
    value = Datetime(seconds, nanoseconds)
    decoded = round_trip(value)
    assert type(decoded) is Datetime and decoded == value
    assert isinstance(decoded, Datetime)
    assert (decoded.seconds, decoded.nanoseconds) == (seconds, nanoseconds)
    assert decoded.isoformat() == value.isoformat()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (PY_MAX + 1, "+10000-01-01T00:00:00Z"),
        (PY_MIN - 1, "0000-12-31T23:59:59Z"),
        (8_210_266_876_799, "+262142-12-31T23:59:59Z"),  # the engine's last second
        (-8_334_601_228_800, "-262143-01-01T00:00:00Z"),  # and its first
    ],
)
def test_datetimes_outside_python_years_decode_as_out_of_range(seconds: int, text: str) -> None:
    decoded = round_trip(cbor2.CBORTag(12, [seconds, 7]))
    assert decoded == OutOfRangeDatetime(seconds, 7)
    assert str(decoded) == text.replace("Z", ".000000007Z")
    assert round_trip(decoded) == decoded
    assert OutOfRangeDatetime.parse(text) == OutOfRangeDatetime(seconds)
    with pytest.raises(ValueError, match=r"outside the years 1 to 9999.*OutOfRangeDatetime"):
        Datetime(seconds)
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        Datetime(text)


def test_decoded_datetimes_match_constructed_ones_on_every_path() -> None:
    # The fast path ([s, ns]) and the general one ([s], [] and out-of-order checks) agree.
    assert round_trip(cbor2.CBORTag(12, [5])) == Datetime(5)
    assert round_trip(cbor2.CBORTag(12, [])) == Datetime(0)
    for seconds in (PY_MIN, -86_401, -1, 0, 86_399, 86_400, 1_700_000_000, PY_MAX):
        for nanoseconds in (0, 1, 999, 1_000, 999_999_999):
            decoded = round_trip(cbor2.CBORTag(12, [seconds, nanoseconds]))
            made = Datetime(seconds, nanoseconds)
            assert decoded == made and decoded.isoformat() == made.isoformat()
            assert (decoded.seconds, decoded.nanoseconds) == (seconds, nanoseconds)


@pytest.mark.parametrize("content", [[1, 1_000_000_000], [1, -1], [1.5, 0], ["x", 0], [1, 2, 3]])
def test_malformed_datetimes_stay_tags(content: list[Any]) -> None:
    decoded, undecoded = cbor.decode(cbor2.dumps(cbor2.CBORTag(12, content)))
    assert undecoded == [12] and isinstance(decoded, cbor.CBORTag)


def test_plain_datetimes_still_encode() -> None:
    assert round_trip(PLAIN) == PLAIN
    assert type(round_trip(PLAIN)) is Datetime
    naive = dt.datetime(2023, 11, 14, 22, 13, 20, 123456)  # naive is UTC
    assert round_trip(naive) == PLAIN
    assert round_trip(PLAIN.astimezone(PLUS_2)) == PLAIN


# -- Datetime in models ----------------------------------------------------------------------


class Event(msgspec.Struct):
    at: dt.datetime
    exact: Datetime
    when: dt.datetime | None = None


def test_into_model_takes_datetimes_for_datetime_fields() -> None:
    (event,) = _into.records([{"at": MOMENT, "exact": MOMENT, "when": None}], Event)
    assert type(event.at) is dt.datetime and event.at == PLAIN  # msgspec's own type
    assert event.exact is MOMENT  # the original, nanoseconds and all
    nested = _into.value({"rows": [{"at": MOMENT, "exact": MOMENT}]}, dict[str, list[Event]])
    assert nested["rows"][0].exact is MOMENT and nested["rows"][0].at == PLAIN
    with pytest.raises(ConversionError, match=r"Invalid RFC3339 encoded datetime - at `\$.when`"):
        _into.records({"at": MOMENT, "exact": MOMENT, "when": "soon"}, Event)


def test_pydantic_keeps_the_datetime() -> None:
    class Model(pydantic.BaseModel):
        at: dt.datetime

    assert Model.model_validate({"at": MOMENT}).at is MOMENT
    assert _into.records({"at": MOMENT}, Model).at is MOMENT


# -- Duration: the official API ----------------------------------------------------------------

HOUR_ETC = (3_600 + 30 * 60 + 45) * 10**9 + 500 * 10**6 + 100 * 10**3 + 50  # 1h30m45s500ms100µs50ns


def test_duration_counts_nanoseconds() -> None:
    duration = Duration(HOUR_ETC)
    assert duration.elapsed == duration.nanoseconds == duration.total_nanoseconds == HOUR_ETC
    units = (duration.microseconds, duration.milliseconds, duration.seconds, duration.minutes)
    assert units == (HOUR_ETC // 10**3, HOUR_ETC // 10**6, 5_445, 90)
    assert (duration.hours, duration.days, duration.weeks, duration.years) == (1, 0, 0, 0)
    assert Duration.parse("3y").years == 3 and Duration.parse("15d").weeks == 2
    assert duration.get_seconds_and_nano() == (5_445, 500_100_050)
    assert duration.to_compact() == [5_445]
    assert str(duration) == "1h30m45s500ms100µs50ns"
    assert duration.to_string() == "1h"
    assert Duration(elapsed=5) == Duration(5) and Duration() == Duration(0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0ns"), (999, "999ns"), (1_000, "1us"), (10**9 - 1, "999ms"), (86_400 * 10**9, "1d")],
)
def test_duration_to_string_is_the_largest_unit(value: int, expected: str) -> None:
    assert Duration(value).to_string() == expected


def test_duration_parse_text_and_numbers() -> None:
    assert Duration.parse("1y2w3d4h5m6s7ms8us9µs10ns").elapsed == (
        365 * 86_400 * 10**9 + 17 * 86_400 * 10**9 + 4 * 3_600 * 10**9 + 306 * 10**9
    ) + 7 * 10**6 + 17 * 10**3 + 10  # fmt: skip
    assert Duration.parse(5) == Duration(5 * 10**9)
    assert Duration.parse(5, 7) == Duration.parse(5, nanoseconds=7) == Duration(5_000_000_007)
    assert Duration.parse("1s", 5) == Duration(1_000_000_005)
    for bad in ("10x", "", "1h 5m", "-1s", "1.5s", "1H"):
        with pytest.raises(InvalidDurationError, match=f"Invalid duration format: {bad}"):
            Duration.parse(bad)
    with pytest.raises(InvalidDurationError):
        Duration.parse(True)  # a bool is no number of seconds


def test_duration_bounds_and_types() -> None:
    top = Duration.parse(2**64 - 1, 999_999_999)  # the engine's duration::max
    assert top.get_seconds_and_nano() == (2**64 - 1, 999_999_999)
    with pytest.raises(InvalidDurationError, match="at most 2\\*\\*64 - 1 seconds"):
        Duration(top.elapsed + 1)
    with pytest.raises(InvalidDurationError, match="negative"):
        Duration(-1)
    with pytest.raises(InvalidDurationError, match="negative"):
        Duration.parse(0, -1)
    with pytest.raises(TypeError, match="whole nanoseconds"):
        Duration(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Duration(1, 2)  # type: ignore[call-arg]  # our old (seconds, nanoseconds) form
    text: object = "1ns"
    assert Duration(1) != text and Duration(1) < Duration(2)


def test_duration_and_timedelta() -> None:
    delta = dt.timedelta(days=2, hours=3, microseconds=7)
    assert Duration.from_timedelta(delta).to_timedelta() == delta
    assert Duration(1_999).to_timedelta() == dt.timedelta(microseconds=1)  # truncates
    assert not isinstance(Duration(1), dt.timedelta)


@pytest.mark.parametrize(
    "duration",
    [Duration(), Duration(1), Duration(HOUR_ETC), Duration.parse(2**64 - 1, 999_999_999)],
)
def test_duration_round_trips(duration: Duration) -> None:
    assert round_trip(duration) == duration
    seconds, nanoseconds = duration.get_seconds_and_nano()
    assert cbor2.loads(cbor.encode(duration)) == cbor2.CBORTag(14, (seconds, nanoseconds))


def test_duration_decodes_compact_forms() -> None:
    assert round_trip(cbor2.CBORTag(14, [3_600])) == Duration.parse(3_600)
    assert round_trip(cbor2.CBORTag(14, [])) == Duration()
    assert round_trip(cbor2.CBORTag(13, "1h5m")) == Duration.parse(3_900)
    decoded, undecoded = cbor.decode(cbor2.dumps(cbor2.CBORTag(14, [1, 10**9])))
    assert undecoded == [14] and isinstance(decoded, cbor2.CBORTag)


# -- official module paths ---------------------------------------------------------------------


def test_cbor_tag_is_cbor2s() -> None:
    assert cbor.CBORTag is cbor2.CBORTag
    assert "CBORTag" in cbor.__all__


def test_official_tag_decoder() -> None:
    assert official_cbor.tag_decoder(None, cbor.CBORTag(14, [2, 500_000_000])) == Duration(
        2_500_000_000
    )
    assert official_cbor.tag_decoder(None, cbor.CBORTag(12, [5, 6])) == Datetime(5, 6)
    with pytest.raises(BufferError):
        official_cbor.tag_decoder(None, cbor.CBORTag(999, 1))


def test_official_module_paths_are_ours() -> None:
    from surrealdb.data.types.datetime import Datetime as OfficialDatetime
    from surrealdb.data.types.duration import Duration as OfficialDuration

    assert OfficialDatetime is surrealdb.Datetime is Datetime
    assert OfficialDuration is surrealdb.Duration is Duration
    assert surrealdb.OutOfRangeDatetime is OutOfRangeDatetime
