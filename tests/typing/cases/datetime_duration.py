"""Datetime and Duration as datetime code and official-SDK code use them, annotated.

Checked with `mypy --strict` by test_typing.py: each assignment states the type the
overloads must infer, with no error, no cast and no ignore.
"""

from datetime import UTC, datetime, timedelta

from surrealdb import Datetime, Duration, OutOfRangeDatetime
from surrealdb.data.types.datetime import Datetime as OfficialDatetime
from surrealdb.data.types.duration import Duration as OfficialDuration


def datetimes() -> None:
    official: OfficialDatetime = OfficialDatetime("2025-02-03T12:30:45.123456Z")
    epoch: Datetime = Datetime(1_700_000_000, 123_456_789)
    fields: Datetime = Datetime(2025, 2, 3, 12, 30, 45, 123456, UTC, nanosecond=789)
    plain: datetime = epoch  # a Datetime is a datetime
    later: Datetime = epoch + timedelta(days=1)
    exact: Datetime = epoch - Duration(5)
    gap: timedelta = later - plain
    local: Datetime = epoch.astimezone(UTC).replace(nanosecond=1)
    parts: tuple[int, int, int] = (epoch.seconds, epoch.nanoseconds, epoch.nanosecond)
    text: str = official.dt + epoch.isoformat(timespec="nanoseconds") + fields.strftime("%Y")
    far: OutOfRangeDatetime = OutOfRangeDatetime.parse("+10000-01-01T00:00:00Z")
    print(later, exact, gap, local, parts, text, far.seconds, epoch < plain, Datetime.now(UTC))


def durations() -> None:
    elapsed: OfficialDuration = OfficialDuration(1_000)
    parsed: Duration = Duration.parse("1h30m") if elapsed.elapsed else Duration.parse(5, 7)
    seconds, nanoseconds = parsed.get_seconds_and_nano()
    units: list[int] = [parsed.nanoseconds, parsed.seconds, parsed.hours, parsed.years]
    compact: list[int] = parsed.to_compact()
    text: str = parsed.to_string() + str(parsed)
    delta: timedelta = parsed.to_timedelta()
    print(seconds + nanoseconds, units, compact, text, delta, Duration.from_timedelta(delta))
