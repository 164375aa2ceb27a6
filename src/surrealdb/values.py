"""SurrealDB value types that have no exact Python builtin counterpart.

Python builtins cover most SurrealDB values (NONE is ``None``, objects are ``dict`` ...). The
types here cover the rest: ``NULL`` (a value that exists and is null, distinct from NONE),
record ids, tables,
nanosecond datetimes and durations, ranges, files and geometries. They are immutable value
objects (equality and hash by value) so that decoded replies can be compared and used as keys.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, timedelta
from datetime import datetime as _PyDatetime
from datetime import tzinfo as _TzInfo
from decimal import Decimal, InvalidOperation
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    Self,
    SupportsIndex,
    TypeAlias,
    TypeVar,
    get_args,
    overload,
)

import msgspec
from msgspec.structs import force_setattr

from surrealdb.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidDurationError,
    InvalidGeometryError,
    InvalidRecordIdError,
)

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

__all__ = [
    "NONE",
    "NULL",
    "Bound",
    "BoundExcluded",
    "BoundIncluded",
    "Datetime",
    "Duration",
    "File",
    "Geometry",
    "GeometryCollection",
    "GeometryLine",
    "GeometryMultiLine",
    "GeometryMultiPoint",
    "GeometryMultiPolygon",
    "GeometryPoint",
    "GeometryPolygon",
    "OutOfRangeDatetime",
    "Range",
    "RecordID",
    "RecordIdKey",
    "SurrealNull",
    "SurrealSet",
    "Table",
]

_NS_PER_SECOND: Final = 1_000_000_000
_SECONDS_PER_DAY: Final = 86_400


# --------------------------------------------------------------------------------------------
# NONE and NULL
# --------------------------------------------------------------------------------------------


NONE: Final = None
"""SurrealDB's NONE ("no value") is Python ``None``, both ways, as in the official SDKs.

A field set to NONE is absent from a record; an unset variable or a missing field reads as
NONE. The name stays so that code written against ``surrealdb.NONE`` keeps working.
"""


class SurrealNull:
    """Type of ``NULL``: SurrealDB's null, a value that exists and is null.

    Python ``None`` is NONE (absent), so storing a NULL needs its own value: ``NULL`` is sent
    as NULL. A NULL in a reply reads as ``None``, as in the official SDK (see
    ``surrealdb.cbor.decode`` for why). There is exactly one instance; it is falsy like
    ``None``.
    """

    __slots__ = ()
    _instance: SurrealNull | None = None

    def __new__(cls) -> SurrealNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        # Pickle and copy by name so the singleton stays unique.
        return "NULL"


NULL: Final = SurrealNull()


# --------------------------------------------------------------------------------------------
# Simple value types
# --------------------------------------------------------------------------------------------


class Table(msgspec.Struct, frozen=True, gc=False):
    """A table name as a value (CBOR tag 7), e.g. the result of ``type::table('user')``."""

    name: str

    @property
    def table_name(self) -> str:
        """The table name: the official SDK's spelling of ``name``."""
        return self.name

    def __str__(self) -> str:
        return self.name


class File(msgspec.Struct, frozen=True, gc=False):
    """A reference to a file stored in a SurrealDB bucket (CBOR tag 55)."""

    bucket: str
    key: str


class SurrealSet(list[Any]):
    """A SurrealDB set whose elements are not all hashable, so it cannot be a Python ``set``.

    Sets with hashable elements decode to ``set``; this list subclass keeps the others and
    encodes back as a set (CBOR tag 56), so a decoded value round-trips unchanged.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SurrealSet({list.__repr__(self)})"


# --------------------------------------------------------------------------------------------
# Duration and Datetime
# --------------------------------------------------------------------------------------------

_DURATION_UNITS_NS: Final[dict[str, int]] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # MICRO SIGN
    "μs": 1_000,  # GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": _NS_PER_SECOND,
    "m": 60 * _NS_PER_SECOND,
    "h": 3_600 * _NS_PER_SECOND,
    "d": _SECONDS_PER_DAY * _NS_PER_SECOND,
    "w": 7 * _SECONDS_PER_DAY * _NS_PER_SECOND,
    "y": 365 * _SECONDS_PER_DAY * _NS_PER_SECOND,
}
_DURATION_PART: Final = re.compile(r"(\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)")
_DURATION_TEXT: Final = re.compile(r"(?:\d+(?:ns|us|µs|μs|ms|s|m|h|d|w|y))+")

# Units used by str(Duration), largest first, as (suffix, nanoseconds).
_DURATION_STR_UNITS: Final = (
    ("y", _DURATION_UNITS_NS["y"]),
    ("w", _DURATION_UNITS_NS["w"]),
    ("d", _DURATION_UNITS_NS["d"]),
    ("h", _DURATION_UNITS_NS["h"]),
    ("m", _DURATION_UNITS_NS["m"]),
    ("s", _NS_PER_SECOND),
    ("ms", 1_000_000),
    ("µs", 1_000),
    ("ns", 1),
)
# Units of the official SDK's Duration.to_string(), which spells microseconds "us".
_DURATION_LARGEST_UNITS: Final = (*_DURATION_STR_UNITS[:7], ("us", 1_000), ("ns", 1))
# SurrealDB durations are u64 seconds plus nanoseconds.
_DURATION_MAX_NS: Final = (2**64 - 1) * _NS_PER_SECOND + _NS_PER_SECOND - 1


class Duration(msgspec.Struct, frozen=True, order=True, gc=False):
    """A SurrealDB duration: ``elapsed`` nanoseconds, never negative (CBOR tag 14).

    As in the official SDK, ``Duration(n)`` is ``n`` nanoseconds and the unit properties
    (``seconds``, ``minutes``, ... ``nanoseconds``) are the whole duration in that unit,
    rounded down. ``Duration.parse(seconds, nanoseconds)`` builds one from the two parts the
    engine sends. It is not a ``datetime.timedelta``: that type stops at microseconds and
    about 2.7 million years, and its ``seconds`` and ``microseconds`` are parts of the
    value, not totals (see ``to_timedelta`` and ``from_timedelta``).
    """

    elapsed: int = 0

    def __post_init__(self) -> None:
        if type(self.elapsed) is not int:
            raise InvalidArgumentTypeError(
                f"Duration takes whole nanoseconds, got {type(self.elapsed).__name__}"
            )
        if not 0 <= self.elapsed <= _DURATION_MAX_NS:
            if self.elapsed < 0:
                raise InvalidDurationError("SurrealDB durations cannot be negative")
            raise InvalidDurationError(
                "SurrealDB durations hold at most 2**64 - 1 seconds and 999999999 nanoseconds"
            )

    @classmethod
    def parse(cls, value: str | int, nanoseconds: int = 0) -> Duration:
        """Read SurrealQL duration text (``1h5m30s1ms``), or a number of seconds.

        Units: ns us µs ms s m h d w y. ``nanoseconds`` is added to the result, so
        ``Duration.parse(seconds, nanoseconds)`` builds a duration from its two parts.
        """
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value * _NS_PER_SECOND + nanoseconds)
        if not isinstance(value, str) or not _DURATION_TEXT.fullmatch(value):
            raise InvalidDurationError(
                f"Invalid duration format: {value} (expected SurrealQL duration text such as"
                " 1h30m, with the units ns us µs ms s m h d w y, or a number of seconds)"
            )
        total = sum(
            int(amount) * _DURATION_UNITS_NS[unit] for amount, unit in _DURATION_PART.findall(value)
        )
        return cls(total + nanoseconds)

    @classmethod
    def from_nanoseconds(cls, nanoseconds: int) -> Duration:
        """Build a duration from a total number of nanoseconds (the same as ``Duration(n)``)."""
        return cls(nanoseconds)

    @classmethod
    def from_timedelta(cls, delta: timedelta) -> Duration:
        """Convert a (non-negative) ``datetime.timedelta`` exactly."""
        seconds = delta.days * _SECONDS_PER_DAY + delta.seconds
        return cls(seconds * _NS_PER_SECOND + delta.microseconds * 1_000)

    def to_timedelta(self) -> timedelta:
        """Convert to ``datetime.timedelta``, truncating to microseconds."""
        return timedelta(microseconds=self.elapsed // 1_000)

    def get_seconds_and_nano(self) -> tuple[int, int]:
        """The whole seconds and the nanoseconds left over, as the engine encodes them."""
        return divmod(self.elapsed, _NS_PER_SECOND)

    def to_compact(self) -> list[int]:
        """``[seconds]``, the official SDK's compact form (it leaves out the nanoseconds)."""
        return [self.elapsed // _NS_PER_SECOND]

    def to_string(self) -> str:
        """The duration in its largest whole unit, rounded down (``1h30m`` gives ``1h``).

        The official SDK's form; ``str()`` gives the exact SurrealQL text instead.
        """
        for suffix, size in _DURATION_LARGEST_UNITS:
            if self.elapsed >= size:
                return f"{self.elapsed // size}{suffix}"
        return "0ns"

    @property
    def total_nanoseconds(self) -> int:
        """The whole duration in nanoseconds (``elapsed``)."""
        return self.elapsed

    @property
    def nanoseconds(self) -> int:
        """The whole duration in nanoseconds (``elapsed``)."""
        return self.elapsed

    @property
    def microseconds(self) -> int:
        """The whole duration in microseconds, rounded down."""
        return self.elapsed // 1_000

    @property
    def milliseconds(self) -> int:
        """The whole duration in milliseconds, rounded down."""
        return self.elapsed // 1_000_000

    @property
    def seconds(self) -> int:
        """The whole duration in seconds, rounded down."""
        return self.elapsed // _NS_PER_SECOND

    @property
    def minutes(self) -> int:
        """The whole duration in minutes, rounded down."""
        return self.elapsed // _DURATION_UNITS_NS["m"]

    @property
    def hours(self) -> int:
        """The whole duration in hours, rounded down."""
        return self.elapsed // _DURATION_UNITS_NS["h"]

    @property
    def days(self) -> int:
        """The whole duration in days, rounded down."""
        return self.elapsed // _DURATION_UNITS_NS["d"]

    @property
    def weeks(self) -> int:
        """The whole duration in weeks, rounded down."""
        return self.elapsed // _DURATION_UNITS_NS["w"]

    @property
    def years(self) -> int:
        """The whole duration in 365-day years, rounded down."""
        return self.elapsed // _DURATION_UNITS_NS["y"]

    def __str__(self) -> str:
        """The canonical compact SurrealQL form, as SurrealDB prints it (``1h5m``, ``0ns``)."""
        if self.elapsed == 0:
            return "0ns"
        parts: list[str] = []
        rest = self.elapsed
        for suffix, size in _DURATION_STR_UNITS:
            amount, rest = divmod(rest, size)
            if amount:
                parts.append(f"{amount}{suffix}")
        return "".join(parts)


_ISO_DATETIME: Final = re.compile(
    r"(?P<year>[+-]?\d{4,6})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<offset_hours>\d{2}):?(?P<offset_minutes>\d{2}))?"
)
_PY_EPOCH: Final = _PyDatetime(1970, 1, 1, tzinfo=UTC)
_PY_EPOCH_NAIVE: Final = _PyDatetime(1970, 1, 1)
_PY_MIN_SECONDS: Final = -62_135_596_800  # 0001-01-01T00:00:00Z
_PY_MAX_SECONDS: Final = 253_402_300_799  # 9999-12-31T23:59:59Z
_new_datetime: Final = _PyDatetime.__new__
_datetime_state: Final = _PyDatetime.__reduce__


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 for a proleptic Gregorian date (any year)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Inverse of ``_days_from_civil``: (year, month, day) for days since 1970-01-01."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def _parse_iso(text: str) -> tuple[int, int]:
    """(seconds since the epoch, nanoseconds) of ISO 8601 / RFC 3339 text, any year.

    A missing offset means UTC; up to 9 fraction digits are kept, more are truncated.
    """
    match = _ISO_DATETIME.fullmatch(text.strip())
    if match is None:
        raise InvalidArgumentError(f"invalid datetime: {text!r}")
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    second = int(match["second"] or 0)
    days = _days_from_civil(year, month, day)
    if _civil_from_days(days) != (year, month, day) or hour > 23 or minute > 59 or second > 59:
        raise InvalidArgumentError(f"invalid datetime: {text!r}")
    seconds = days * _SECONDS_PER_DAY + hour * 3_600 + minute * 60 + second
    if match["sign"] is not None:
        offset = int(match["offset_hours"]) * 3_600 + int(match["offset_minutes"]) * 60
        seconds += -offset if match["sign"] == "+" else offset
    fraction = match["fraction"] or ""
    return seconds, int(fraction[:9].ljust(9, "0"))


def _format_iso(seconds: int, nanoseconds: int) -> str:
    """RFC 3339 in UTC with ``Z``, as SurrealDB writes it: a 0, 3, 6 or 9 digit fraction."""
    days, second_of_day = divmod(seconds, _SECONDS_PER_DAY)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(second_of_day, 3_600)
    minute, second = divmod(rest, 60)
    # As the engine writes years: a sign outside 0 to 9999, and at least four digits.
    year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{'-' if year < 0 else '+'}{abs(year):04d}"
    text = f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if nanoseconds == 0:
        fraction = ""
    elif nanoseconds % 1_000_000 == 0:
        fraction = f".{nanoseconds // 1_000_000:03d}"
    elif nanoseconds % 1_000 == 0:
        fraction = f".{nanoseconds // 1_000:06d}"
    else:
        fraction = f".{nanoseconds:09d}"
    return f"{text}{fraction}Z"


def _epoch_parts(seconds: int, nanoseconds: int = 0) -> tuple[int, int]:
    """The arguments of ``Datetime(seconds, nanoseconds)``, checked and normalised."""
    if type(seconds) is not int or type(nanoseconds) is not int:
        raise InvalidArgumentTypeError(
            "seconds and nanoseconds must be ints, "
            f"got {type(seconds).__name__} and {type(nanoseconds).__name__}"
        )
    carry, nanoseconds = divmod(nanoseconds, _NS_PER_SECOND)
    return seconds + carry, nanoseconds


def _out_of_range(seconds: int, nanoseconds: int) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"datetime {_format_iso(seconds, nanoseconds)} is outside the years 1 to 9999 that"
        " Python's datetime holds; SurrealDB values outside them decode as"
        " surrealdb.OutOfRangeDatetime, which keeps them exactly"
    )


# Keywords that make Datetime(...) take datetime.datetime's arguments (and nanosecond).
_DATETIME_KEYWORDS: Final = frozenset(
    {"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold"}
    | {"nanosecond"}
)


class Datetime(_PyDatetime):
    """A ``datetime.datetime`` that keeps SurrealDB's nanoseconds (CBOR tag 12).

    SurrealDB datetimes have nanoseconds, Python's stop at microseconds, so decoded datetimes
    are this subclass (as pandas' ``Timestamp`` is): ``isinstance(value, datetime)``,
    arithmetic, ``strftime`` and ``datetime`` fields of models work, and the value still
    round-trips exactly. ``nanosecond`` holds the digits below ``microsecond`` (0 to 999);
    comparisons, hashing, ``isoformat``/``str`` (nine fraction digits when they are not zero)
    and ``+``/``-`` with a ``timedelta`` or a ``Duration`` keep them. ``datetime - datetime``
    is a ``timedelta`` of the microsecond fields, as in Python.

    Built three ways: ``Datetime("2025-02-03T12:30:45.123456789Z")`` (ISO 8601, as in the
    official SDK; a missing offset means UTC), ``Datetime(seconds, nanoseconds)`` (from the
    Unix epoch, in UTC) and ``Datetime(year, month, day, ..., tzinfo, nanosecond=0)`` (as
    ``datetime.datetime``, which its methods use too). Decoded values are in UTC. Python's
    datetimes hold the years 1 to 9999 only; the engine's go about 262,000 years either way,
    and those outside decode as ``OutOfRangeDatetime`` instead of failing the reply.
    """

    __slots__ = ("_nanoseconds", "_seconds")
    _seconds: int
    _nanoseconds: int

    @overload
    def __new__(cls, text: str, /) -> Self: ...
    @overload
    def __new__(cls, seconds: int, nanoseconds: int = 0) -> Self: ...
    @overload
    def __new__(
        cls,
        year: int,
        month: int,
        day: int,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        microsecond: int = 0,
        tzinfo: _TzInfo | None = None,
        *,
        fold: int = 0,
        nanosecond: int = 0,
    ) -> Self: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        if len(args) >= 3 or not _DATETIME_KEYWORDS.isdisjoint(kwargs):
            nanosecond = kwargs.pop("nanosecond", 0)
            return _set_instant(_new_datetime(cls, *args, **kwargs), nanosecond)
        if len(args) == 1 and not kwargs and isinstance(args[0], str):
            return cls._from_epoch(*_parse_iso(args[0]))
        if args and type(args[0]) is bytes:  # datetime's pickled state
            return _set_instant(_new_datetime(cls, *args, **kwargs), 0)
        return cls._from_epoch(*_epoch_parts(*args, **kwargs))

    @classmethod
    def _from_epoch(cls, seconds: int, nanoseconds: int) -> Self:
        """The UTC datetime ``seconds`` and ``nanoseconds`` (in [0, 1e9)) after the epoch."""
        if not _PY_MIN_SECONDS <= seconds <= _PY_MAX_SECONDS:
            raise _out_of_range(seconds, nanoseconds)
        plain = _PY_EPOCH + timedelta(0, seconds, nanoseconds // 1_000)
        moment = _new_datetime(cls, *_datetime_state(plain)[1])
        moment._seconds = seconds
        moment._nanoseconds = nanoseconds
        return moment

    @classmethod
    def now(cls, tz: _TzInfo | None = UTC) -> Self:
        """The current time with the clock's full (nanosecond) resolution, in UTC by default.

        ``tz=None`` gives naive local time, as ``datetime.now()`` does.
        """
        moment = cls._from_epoch(*divmod(time.time_ns(), _NS_PER_SECOND))
        if tz is UTC:
            return moment
        if tz is None:
            return moment.astimezone().replace(tzinfo=None)
        return moment.astimezone(tz)

    @classmethod
    def from_datetime(cls, value: _PyDatetime) -> Datetime:
        """Convert a ``datetime.datetime`` to a UTC ``Datetime``; naive means UTC."""
        if isinstance(value, Datetime):
            return cls._from_epoch(value._seconds, value._nanoseconds)
        delta = value - (_PY_EPOCH_NAIVE if value.tzinfo is None else _PY_EPOCH)
        return cls._from_epoch(
            delta.days * _SECONDS_PER_DAY + delta.seconds, delta.microseconds * 1_000
        )

    def to_datetime(self) -> _PyDatetime:
        """A plain aware UTC ``datetime.datetime``, truncated to microseconds."""
        return _PY_EPOCH + timedelta(0, self._seconds, self._nanoseconds // 1_000)

    @classmethod
    def parse(cls, text: str) -> Datetime:
        """Parse an ISO 8601 / RFC 3339 datetime, keeping up to 9 fraction digits.

        A missing offset means UTC. Digits beyond nanoseconds are truncated. The result is
        in UTC.
        """
        return cls._from_epoch(*_parse_iso(text))

    @property
    def seconds(self) -> int:
        """Whole seconds since the Unix epoch (a naive value counts as UTC)."""
        return self._seconds

    @property
    def nanoseconds(self) -> int:
        """The nanoseconds after ``seconds``, from 0 to 999,999,999."""
        return self._nanoseconds

    @property
    def nanosecond(self) -> int:
        """The nanoseconds after ``microsecond``, from 0 to 999 (as pandas' ``Timestamp``)."""
        return self._nanoseconds % 1_000

    @property
    def dt(self) -> str:
        """RFC 3339 text in UTC, as SurrealDB writes it (the official SDK's attribute)."""
        return _format_iso(self._seconds, self._nanoseconds)

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        """As ``datetime.isoformat``, with nine fraction digits when ``nanosecond`` is set.

        ``timespec="nanoseconds"`` always gives nine digits.
        """
        nanosecond = self._nanoseconds % 1_000
        if timespec == "nanoseconds" or (timespec == "auto" and nanosecond):
            text = _PyDatetime.isoformat(self, sep, "microseconds")
            return f"{text[:26]}{nanosecond:03d}{text[26:]}"  # after the 6 microsecond digits
        return _PyDatetime.isoformat(self, sep, timespec)

    def __str__(self) -> str:
        return self.isoformat(" ")

    def __repr__(self) -> str:
        text = _PyDatetime.__repr__(self)
        nanosecond = self._nanoseconds % 1_000
        return f"{text[:-1]}, nanosecond={nanosecond})" if nanosecond else text

    def replace(  # type: ignore[override]
        self,
        year: int | None = None,
        month: int | None = None,
        day: int | None = None,
        hour: int | None = None,
        minute: int | None = None,
        second: int | None = None,
        microsecond: int | None = None,
        tzinfo: _TzInfo | bool | None = True,
        *,
        fold: int | None = None,
        nanosecond: int | None = None,
    ) -> Self:
        """As ``datetime.replace``, keeping ``nanosecond`` unless it is given."""
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("year", year),
                ("month", month),
                ("day", day),
                ("hour", hour),
                ("minute", minute),
                ("second", second),
                ("microsecond", microsecond),
                ("fold", fold),
            )
            if value is not None
        }
        if tzinfo is not True:
            changes["tzinfo"] = tzinfo
        moment = _PyDatetime.replace(self, **changes)
        keep = self._nanoseconds % 1_000 if nanosecond is None else nanosecond
        return _set_instant(moment, keep)

    def astimezone(self, tz: _TzInfo | None = None) -> Self:
        """As ``datetime.astimezone``, keeping ``nanosecond``."""
        moment = _PyDatetime.astimezone(self, tz)
        return moment if moment is self else _set_instant(moment, self._nanoseconds % 1_000)

    def __add__(self, other: timedelta | Duration) -> Self:
        """Add a ``timedelta`` or a ``Duration`` exactly: the result is a ``Datetime``."""
        moment: Self = self._shift(other, 1)
        return moment

    __radd__ = __add__

    @overload  # type: ignore[override]
    def __sub__(self, other: timedelta | Duration) -> Self: ...
    @overload
    def __sub__(self, other: _PyDatetime) -> timedelta: ...
    def __sub__(self, other: Any) -> Any:
        """Subtract a ``timedelta`` or ``Duration`` exactly (a ``Datetime``), or a datetime.

        ``Datetime - datetime`` is a ``timedelta`` of the microsecond fields, as in Python.
        """
        if isinstance(other, _PyDatetime):
            return _PyDatetime.__sub__(self, other)
        return self._shift(other, -1)

    def _shift(self, other: object, sign: int) -> Any:
        """``self + sign * other`` for a ``timedelta`` or ``Duration``, to the nanosecond."""
        if isinstance(other, Duration):
            microseconds, nanoseconds = divmod(other.elapsed, 1_000)
            other = timedelta(microseconds=microseconds)
        elif isinstance(other, timedelta):
            nanoseconds = 0
        else:
            return NotImplemented
        carry, nanosecond = divmod(self._nanoseconds % 1_000 + sign * nanoseconds, 1_000)
        moment = _PyDatetime.__add__(self, sign * other + timedelta(microseconds=carry))
        return _set_instant(moment, nanosecond)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _PyDatetime):
            return NotImplemented
        nanosecond = self._nanoseconds % 1_000
        return _PyDatetime.__eq__(self, other) and nanosecond == _nanosecond_of(other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _PyDatetime):
            return NotImplemented
        if _PyDatetime.__eq__(self, other):
            return self._nanoseconds % 1_000 < _nanosecond_of(other)
        return _PyDatetime.__lt__(self, other)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, _PyDatetime):
            return NotImplemented
        if _PyDatetime.__eq__(self, other):
            return self._nanoseconds % 1_000 <= _nanosecond_of(other)
        return _PyDatetime.__lt__(self, other)

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, _PyDatetime):
            return NotImplemented
        if _PyDatetime.__eq__(self, other):
            return self._nanoseconds % 1_000 > _nanosecond_of(other)
        return _PyDatetime.__gt__(self, other)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, _PyDatetime):
            return NotImplemented
        if _PyDatetime.__eq__(self, other):
            return self._nanoseconds % 1_000 >= _nanosecond_of(other)
        return _PyDatetime.__gt__(self, other)

    def __hash__(self) -> int:
        nanosecond = self._nanoseconds % 1_000
        plain = _PyDatetime.__hash__(self)
        return hash((plain, nanosecond)) if nanosecond else plain

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        state = _PyDatetime.__reduce_ex__(self, protocol)[1]
        return (_restore_datetime, (type(self), state, self._nanoseconds % 1_000))


def _nanosecond_of(value: _PyDatetime) -> int:
    return value._nanoseconds % 1_000 if isinstance(value, Datetime) else 0


def _set_instant(moment: _Moment, nanosecond: int) -> _Moment:
    """Fill a new ``Datetime``'s slots from its fields and the nanoseconds below them."""
    if type(nanosecond) is not int or not 0 <= nanosecond < 1_000:
        raise InvalidArgumentError(f"nanosecond must be an int from 0 to 999, got {nanosecond!r}")
    epoch = _PY_EPOCH_NAIVE if moment.utcoffset() is None else _PY_EPOCH
    delta = _PyDatetime.__sub__(moment, epoch)
    moment._seconds = delta.days * _SECONDS_PER_DAY + delta.seconds
    moment._nanoseconds = delta.microseconds * 1_000 + nanosecond
    return moment


_Moment = TypeVar("_Moment", bound=Datetime)


def _restore_datetime(kind: type[Datetime], state: tuple[Any, ...], nanosecond: int) -> Datetime:
    """Unpickle a ``Datetime``: ``datetime``'s own state and the nanoseconds below it."""
    return _set_instant(_new_datetime(kind, *state), nanosecond)


class OutOfRangeDatetime(msgspec.Struct, frozen=True, order=True, gc=False):
    """A SurrealDB datetime outside the years 1 to 9999 that ``datetime.datetime`` holds.

    The engine's datetimes span about 262,000 years either way; those Python cannot hold
    decode as this type instead of failing the reply, and are sent back unchanged.
    ``seconds`` counts from the Unix epoch and ``nanoseconds`` is in [0, 1e9).
    """

    seconds: int
    nanoseconds: int = 0

    def __post_init__(self) -> None:
        seconds, nanoseconds = _epoch_parts(self.seconds, self.nanoseconds)
        force_setattr(self, "seconds", seconds)
        force_setattr(self, "nanoseconds", nanoseconds)

    @classmethod
    def parse(cls, text: str) -> OutOfRangeDatetime:
        """Parse ISO 8601 text of any year (``+10000-01-01T00:00:00Z``); no offset means UTC."""
        return cls(*_parse_iso(text))

    def __str__(self) -> str:
        """RFC 3339 in UTC with ``Z``, as the engine writes it (``+10000-01-01T00:00:00Z``)."""
        return _format_iso(self.seconds, self.nanoseconds)


# --------------------------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------------------------


class BoundIncluded(msgspec.Struct, frozen=True):
    """A range bound that includes its value (CBOR tag 50)."""

    value: Any


class BoundExcluded(msgspec.Struct, frozen=True):
    """A range bound that excludes its value (CBOR tag 51)."""

    value: Any


Bound: TypeAlias = BoundIncluded | BoundExcluded


class Range(msgspec.Struct, frozen=True):
    """A range such as ``1..5`` or ``1>..=5`` (CBOR tag 49); a ``None`` bound is unbounded."""

    begin: Bound | None
    end: Bound | None


# --------------------------------------------------------------------------------------------
# Geometries
# --------------------------------------------------------------------------------------------
#
# Each geometry type takes our arguments (`GeometryPoint(x, y)`, `GeometryLine((a, b))`) and
# the official SDK's (`GeometryPoint(longitude=, latitude=)`, `GeometryLine(a, b)`). Their
# metaclasses turn the official form into ours and check the values. The decoder calls
# msgspec's own constructor instead (`msgspec.StructMeta.__call__`), which skips all of that:
# the server's values are taken as they are, at full speed.


class _PointMeta(msgspec.StructMeta):
    """Builds a ``GeometryPoint`` from ``x, y`` or the official ``longitude=, latitude=``."""

    def __call__(
        cls,
        x: Any = None,
        y: Any = None,
        *,
        longitude: Any = None,
        latitude: Any = None,
    ) -> Any:
        x = _coordinate(x, longitude, "x", "longitude")
        y = _coordinate(y, latitude, "y", "latitude")
        return super().__call__(x, y)


def _coordinate(ours: Any, official: Any, name: str, official_name: str) -> float:
    """One coordinate, given by our name or the official one, as a float."""
    if official is not None:
        if ours is not None:
            raise InvalidArgumentTypeError(
                f"GeometryPoint got both {name} and {official_name}: give one"
            )
        ours = official
    elif ours is None:
        raise InvalidArgumentTypeError(f"GeometryPoint needs {name} (or {official_name}=)")
    return ours if type(ours) is float else float(ours)


class _ShapeMeta(msgspec.StructMeta):
    """Builds a geometry from one sequence of its parts, or the parts one by one (official).

    A single argument that is a geometry is one part: ``GeometryLine(a, b)`` and
    ``GeometryPolygon(ring)`` are the official SDK's forms, ``GeometryLine((a, b))`` and
    ``GeometryPolygon((ring,))`` ours. The parts are stored as a tuple, so the geometry stays
    immutable and hashable, and must be of the class's ``_part_types``.
    """

    _part_types: tuple[type, ...]

    def __call__(cls, *parts: Any, **fields: Any) -> Any:
        if fields or (len(parts) == 1 and not isinstance(parts[0], msgspec.Struct)):
            shape = super().__call__(*parts, **fields)  # ours; msgspec checks the arguments
        else:
            shape = super().__call__(parts)
        (name,) = cls.__struct_fields__
        items = getattr(shape, name)
        if type(items) is not tuple:
            items = tuple(items)
            force_setattr(shape, name, items)
        for index, part in enumerate(items):
            if not isinstance(part, cls._part_types):
                kinds = " or ".join(kind.__name__ for kind in cls._part_types)
                raise InvalidArgumentTypeError(
                    f"{cls.__name__} is made of {kinds}, got {type(part).__name__} at "
                    f"{name}[{index}]: pass one tuple of them, or them one by one"
                )
        cls._check_parts(items)
        return shape

    def _check_parts(cls, parts: tuple[Any, ...]) -> None:
        """Raise if the parts do not make a valid geometry of this type (no check by default)."""


class _PolygonMeta(_ShapeMeta):
    def _check_parts(cls, parts: tuple[Any, ...]) -> None:
        """Each ring must be closed and have 4 or more points (as in GeoJSON).

        SurrealDB closes an open ring itself, so the value would not come back equal to the
        one sent; the official SDK raises ``InvalidGeometryError`` here too.
        """
        for index, ring in enumerate(parts):
            where = "exterior ring" if index == 0 else f"interior ring {index} (a hole)"
            points = ring.points
            if len(points) < 4:
                raise InvalidGeometryError(
                    f"Invalid {where} of GeometryPolygon: a ring must have at least 4 points "
                    f"(the last one repeating the first), got {len(points)}"
                )
            if points[0] != points[-1]:
                raise InvalidGeometryError(
                    f"Invalid {where} of GeometryPolygon: its first point "
                    f"{points[0].get_coordinates()} must equal last point "
                    f"{points[-1].get_coordinates()} to close the ring"
                )


class GeometryPoint(msgspec.Struct, frozen=True, gc=False, metaclass=_PointMeta):
    """A point (CBOR tag 88): ``x`` is the longitude, ``y`` the latitude, both floats.

    ``GeometryPoint(x, y)``; the official SDK's ``GeometryPoint(longitude=..., latitude=...)``
    and its ``.longitude``, ``.latitude``, ``get_coordinates()`` work too.
    """

    x: float
    y: float

    if TYPE_CHECKING:

        @overload
        def __init__(self, x: float, y: float) -> None: ...

        @overload
        def __init__(self, *, longitude: float, latitude: float) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @property
    def longitude(self) -> float:
        """The longitude: the official SDK's name of ``x``."""
        return self.x

    @property
    def latitude(self) -> float:
        """The latitude: the official SDK's name of ``y``."""
        return self.y

    def get_coordinates(self) -> tuple[float, float]:
        """``(longitude, latitude)``."""
        return (self.x, self.y)

    @classmethod
    def parse_coordinates(cls, coordinates: Sequence[float]) -> Self:
        """A point from ``(longitude, latitude)``: the inverse of ``get_coordinates``."""
        x, y = coordinates
        return cls(x, y)


def _points(coordinates: Iterable[Sequence[float]]) -> tuple[GeometryPoint, ...]:
    return tuple(GeometryPoint.parse_coordinates(pair) for pair in coordinates)


class GeometryLine(msgspec.Struct, frozen=True, metaclass=_ShapeMeta):
    """A line string (CBOR tag 89): two or more points.

    ``GeometryLine((a, b))``; the official SDK's ``GeometryLine(a, b, ...)`` works too.
    """

    points: tuple[GeometryPoint, ...]
    _part_types: ClassVar[tuple[type, ...]] = (GeometryPoint,)

    if TYPE_CHECKING:

        @overload
        def __init__(self, points: tuple[GeometryPoint, ...]) -> None: ...

        @overload
        def __init__(
            self, point1: GeometryPoint, point2: GeometryPoint, /, *more: GeometryPoint
        ) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @property
    def geometry_points(self) -> tuple[GeometryPoint, ...]:
        """The points: the official SDK's name of ``points`` (a list there)."""
        return self.points

    def get_coordinates(self) -> list[tuple[float, float]]:
        """The points as ``(longitude, latitude)`` pairs."""
        return [point.get_coordinates() for point in self.points]

    @classmethod
    def parse_coordinates(cls, coordinates: Iterable[Sequence[float]]) -> Self:
        """A line from ``(longitude, latitude)`` pairs: the inverse of ``get_coordinates``."""
        return cls(_points(coordinates))


class GeometryPolygon(msgspec.Struct, frozen=True, metaclass=_PolygonMeta):
    """A polygon (CBOR tag 90): an exterior ring then interior rings (holes).

    Each ring is a closed line of 4 or more points, checked when built (``InvalidGeometryError``
    otherwise). ``GeometryPolygon((ring, hole))``; the official SDK's
    ``GeometryPolygon(ring, hole)`` works too.
    """

    lines: tuple[GeometryLine, ...]
    _part_types: ClassVar[tuple[type, ...]] = (GeometryLine,)

    if TYPE_CHECKING:

        @overload
        def __init__(self, lines: tuple[GeometryLine, ...]) -> None: ...

        @overload
        def __init__(self, exterior: GeometryLine, /, *holes: GeometryLine) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @property
    def geometry_lines(self) -> tuple[GeometryLine, ...]:
        """The rings: the official SDK's name of ``lines`` (a list there)."""
        return self.lines

    def get_coordinates(self) -> list[list[tuple[float, float]]]:
        """Each ring as a list of ``(longitude, latitude)`` pairs."""
        return [line.get_coordinates() for line in self.lines]

    @classmethod
    def parse_coordinates(cls, coordinates: Iterable[Iterable[Sequence[float]]]) -> Self:
        """A polygon from its rings' pairs: the inverse of ``get_coordinates``."""
        return cls(tuple(GeometryLine.parse_coordinates(ring) for ring in coordinates))


class GeometryMultiPoint(msgspec.Struct, frozen=True, metaclass=_ShapeMeta):
    """A collection of points (CBOR tag 91).

    ``GeometryMultiPoint((a, b))``; the official SDK's ``GeometryMultiPoint(a, b)`` works too.
    """

    points: tuple[GeometryPoint, ...]
    _part_types: ClassVar[tuple[type, ...]] = (GeometryPoint,)

    if TYPE_CHECKING:

        @overload
        def __init__(self, points: tuple[GeometryPoint, ...]) -> None: ...

        @overload
        def __init__(self, *points: GeometryPoint) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @property
    def geometry_points(self) -> tuple[GeometryPoint, ...]:
        """The points: the official SDK's name of ``points`` (a list there)."""
        return self.points

    def get_coordinates(self) -> list[tuple[float, float]]:
        """The points as ``(longitude, latitude)`` pairs."""
        return [point.get_coordinates() for point in self.points]

    @classmethod
    def parse_coordinates(cls, coordinates: Iterable[Sequence[float]]) -> Self:
        """Points from ``(longitude, latitude)`` pairs: the inverse of ``get_coordinates``."""
        return cls(_points(coordinates))


class GeometryMultiLine(msgspec.Struct, frozen=True, metaclass=_ShapeMeta):
    """A collection of lines (CBOR tag 92).

    ``GeometryMultiLine((a, b))``; the official SDK's ``GeometryMultiLine(a, b)`` works too.
    """

    lines: tuple[GeometryLine, ...]
    _part_types: ClassVar[tuple[type, ...]] = (GeometryLine,)

    if TYPE_CHECKING:

        @overload
        def __init__(self, lines: tuple[GeometryLine, ...]) -> None: ...

        @overload
        def __init__(self, *lines: GeometryLine) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @property
    def geometry_lines(self) -> tuple[GeometryLine, ...]:
        """The lines: the official SDK's name of ``lines`` (a list there)."""
        return self.lines

    def get_coordinates(self) -> list[list[tuple[float, float]]]:
        """Each line as a list of ``(longitude, latitude)`` pairs."""
        return [line.get_coordinates() for line in self.lines]

    @classmethod
    def parse_coordinates(cls, coordinates: Iterable[Iterable[Sequence[float]]]) -> Self:
        """Lines from their pairs: the inverse of ``get_coordinates``."""
        return cls(tuple(GeometryLine.parse_coordinates(line) for line in coordinates))


class GeometryMultiPolygon(msgspec.Struct, frozen=True, metaclass=_ShapeMeta):
    """A collection of polygons (CBOR tag 93).

    ``GeometryMultiPolygon((a, b))``; the official SDK's ``GeometryMultiPolygon(a, b)`` works too.
    """

    polygons: tuple[GeometryPolygon, ...]
    _part_types: ClassVar[tuple[type, ...]] = (GeometryPolygon,)

    if TYPE_CHECKING:

        @overload
        def __init__(self, polygons: tuple[GeometryPolygon, ...]) -> None: ...

        @overload
        def __init__(self, *polygons: GeometryPolygon) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    @property
    def geometry_polygons(self) -> tuple[GeometryPolygon, ...]:
        """The polygons: the official SDK's name of ``polygons`` (a list there)."""
        return self.polygons

    def get_coordinates(self) -> list[list[list[tuple[float, float]]]]:
        """Each polygon's rings as lists of ``(longitude, latitude)`` pairs."""
        return [polygon.get_coordinates() for polygon in self.polygons]

    @classmethod
    def parse_coordinates(cls, coordinates: Iterable[Iterable[Iterable[Sequence[float]]]]) -> Self:
        """Polygons from their rings' pairs: the inverse of ``get_coordinates``."""
        return cls(tuple(GeometryPolygon.parse_coordinates(polygon) for polygon in coordinates))


class GeometryCollection(msgspec.Struct, frozen=True, metaclass=_ShapeMeta):
    """A collection of any geometries (CBOR tag 94).

    ``GeometryCollection((a, b))``; the official SDK's ``GeometryCollection(a, b)`` works too.
    """

    geometries: tuple[Geometry, ...]
    _part_types: ClassVar[tuple[type, ...]]  # every geometry type, set below

    if TYPE_CHECKING:

        @overload
        def __init__(self, geometries: tuple[Geometry, ...]) -> None: ...

        @overload
        def __init__(self, *geometries: Geometry) -> None: ...

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...


Geometry: TypeAlias = (
    GeometryPoint
    | GeometryLine
    | GeometryPolygon
    | GeometryMultiPoint
    | GeometryMultiLine
    | GeometryMultiPolygon
    | GeometryCollection
)
GeometryCollection._part_types = get_args(Geometry)


# --------------------------------------------------------------------------------------------
# Record ids
# --------------------------------------------------------------------------------------------

RecordIdKey: TypeAlias = (
    str | int | list[Any] | tuple[Any, ...] | dict[str, Any] | uuid.UUID | Range
)
"""What may follow ``table:`` in a record id; a ``Range`` id selects a range of records."""

_RECORD_ID_KEY_TYPES: Final = (str, int, list, tuple, dict, uuid.UUID, Range)
_ARRAY_MARKER: Final = object()
_OBJECT_MARKER: Final = object()
_SET_MARKER: Final = object()


def _freeze(value: object) -> object:
    """A hashable stand-in for a (possibly nested) id value, equal exactly when values are.

    Markers keep arrays, objects and sets apart even when their contents would compare equal.
    """
    if isinstance(value, list | tuple):
        return (_ARRAY_MARKER, *map(_freeze, value))
    if isinstance(value, dict):
        return (_OBJECT_MARKER, frozenset((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, set | frozenset):
        return (_SET_MARKER, frozenset(value))
    if isinstance(value, Range):
        return (Range, _freeze_bound(value.begin), _freeze_bound(value.end))
    return value


def _freeze_bound(bound: Bound | None) -> object:
    return None if bound is None else (type(bound), _freeze(bound.value))


class RecordID:
    """A record id ``table:id`` (CBOR tag 8).

    The id may be a string, an int, an array, an object, a UUID or a ``Range`` (nested values
    allowed). Equality and hashing go by value, so ids decoded with lists still hash.
    """

    __slots__ = ("_id", "_table")

    _table: str
    _id: RecordIdKey

    @overload
    def __init__(self, table: str | Table, id: RecordIdKey) -> None: ...

    @overload
    def __init__(self, *, table_name: str | Table, identifier: RecordIdKey) -> None: ...

    def __init__(
        self,
        table: str | Table | None = None,
        id: RecordIdKey | None = None,
        *,
        table_name: str | Table | None = None,
        identifier: RecordIdKey | None = None,
    ) -> None:
        """``RecordID(table, id)``; ``table_name=`` and ``identifier=`` are the official names."""
        if table_name is not None or identifier is not None:
            table, id = _official_record_id_parts(table, id, table_name, identifier)
        if isinstance(table, Table):
            table = table.name
        elif type(table) is not str:
            raise InvalidArgumentTypeError(
                f"record id table must be a str, got {type(table).__name__}"
            )
        if not isinstance(id, _RECORD_ID_KEY_TYPES) or isinstance(id, bool):
            raise InvalidArgumentTypeError(
                "record id must be a str, int, list, tuple, dict, uuid.UUID or Range, "
                f"got {type(id).__name__}"
            )
        self._table = table
        self._id = id

    @classmethod
    def _trusted(cls, table: str, id: RecordIdKey) -> RecordID:
        """Build without checks; for the decoder, which has already checked the parts."""
        record = object.__new__(cls)
        record._table = table
        record._id = id
        return record

    @property
    def table(self) -> str:
        """The table name."""
        return self._table

    @property
    def id(self) -> RecordIdKey:
        """The id within the table."""
        return self._id

    @property
    def table_name(self) -> str:
        """The table name: the official SDK's spelling of ``table``."""
        return self._table

    @property
    def identifier(self) -> RecordIdKey:
        """The id within the table, by the official SDK's constructor argument name."""
        return self._id

    def __reduce__(self) -> tuple[type[RecordID], tuple[str, RecordIdKey]]:
        return (RecordID, (self._table, self._id))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordID):
            return NotImplemented
        if self._table != other._table:
            return False
        if self._id == other._id and type(self._id) is type(other._id):
            return True
        return _freeze(self._id) == _freeze(other._id)

    def __hash__(self) -> int:
        return hash((self._table, _freeze(self._id)))

    def __repr__(self) -> str:
        return f"RecordID({self.table!r}, {self.id!r})"

    def __str__(self) -> str:
        """The SurrealQL form, e.g. ``user:john``, ``user:⟨a b⟩``, ``user:[1, 'a']``."""
        return f"{_format_ident(self.table)}:{_format_id_key(self.id)}"

    @classmethod
    def parse(cls, text: str) -> RecordID:
        """Parse the SurrealQL form produced by ``str()`` (also accepts backtick escaping)."""
        if ":" not in text:  # with the official SDK's words for it
            raise InvalidRecordIdError(
                f"invalid record id {text!r}: invalid string provided for parse, it has no ':' "
                "(the form is table:id, such as 'person:tobie')"
            )
        parser = _Parser(text)
        table = parser.parse_ident()
        parser.expect(":")
        key = parser.parse_id_key_or_range()
        parser.expect_end()
        return cls(table, key)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Pydantic support: a ``RecordID`` field takes a RecordID or its text, ``"person:abc"``.

        The text is read by ``RecordID.parse``; ``model_dump()`` keeps the RecordID and
        ``model_dump(mode="json")`` writes its text. pydantic is imported only here, when a
        model uses the type, so it stays an optional dependency.
        """
        from pydantic_core import core_schema

        from_text = core_schema.no_info_after_validator_function(
            cls.parse, core_schema.str_schema()
        )
        return core_schema.json_or_python_schema(
            json_schema=from_text,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_text]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )


def _official_record_id_parts(
    table: str | Table | None,
    id: RecordIdKey | None,
    table_name: str | Table | None,
    identifier: RecordIdKey | None,
) -> tuple[str | Table | None, RecordIdKey | None]:
    """The parts of ``RecordID(table_name=..., identifier=...)``; each given by one name only."""
    if table is not None and table_name is not None:
        raise InvalidArgumentTypeError("RecordID got both table and table_name: give one of them")
    if id is not None and identifier is not None:
        raise InvalidArgumentTypeError("RecordID got both id and identifier: give one of them")
    return (table if table_name is None else table_name), (id if identifier is None else identifier)


# --------------------------------------------------------------------------------------------
# SurrealQL literal formatting (for RecordID.__str__)
# --------------------------------------------------------------------------------------------

_PLAIN_IDENT: Final = re.compile(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*")
_STRING_ESCAPES: Final = {
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def _format_ident(text: str) -> str:
    """A table name or string id: bare when plain, else in ⟨⟩ (backticks if it holds ⟩)."""
    if _PLAIN_IDENT.fullmatch(text):
        return text
    if "⟩" not in text:
        return "⟨" + text.replace("\\", "\\\\") + "⟩"
    return "`" + text.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _format_string(text: str) -> str:
    quote = '"' if "'" in text and '"' not in text else "'"
    escaped = "".join(_STRING_ESCAPES.get(char, char) for char in text)
    return quote + escaped.replace(quote, "\\" + quote) + quote


def _format_id_key(key: object) -> str:
    if isinstance(key, str):
        return _format_ident(key)
    if isinstance(key, Range):
        return _format_range(key)
    return _format_literal(key)


def _format_range(value: Range) -> str:
    begin = end = ""
    if value.begin is not None:
        begin = _format_id_key(value.begin.value)
        if isinstance(value.begin, BoundExcluded):
            begin += ">"
    if value.end is not None:
        end = _format_id_key(value.end.value)
        if isinstance(value.end, BoundIncluded):
            end = "=" + end
    return f"{begin}..{end}"


def _format_float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value!r}f"


def _format_literal(value: object) -> str:
    """A SurrealQL literal for a value nested in a record id."""
    if value is None:
        return "NONE"
    if value is NULL:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return _format_string(value)
    if isinstance(value, Decimal):
        return f"{value:f}dec"
    if isinstance(value, uuid.UUID):
        return f"u'{value}'"
    if isinstance(value, Datetime | OutOfRangeDatetime):
        return f"d'{_format_iso(value.seconds, value.nanoseconds)}'"
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(_format_literal, value)) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        fields = (
            f"{_format_object_key(key)}: {_format_literal(item)}" for key, item in value.items()
        )
        return "{ " + ", ".join(fields) + " }"
    return repr(value)


def _format_object_key(key: object) -> str:
    text = str(key)
    return text if _PLAIN_IDENT.fullmatch(text) else _format_string(text)


# --------------------------------------------------------------------------------------------
# SurrealQL literal parsing (for RecordID.parse)
# --------------------------------------------------------------------------------------------

_IDENT_CHARS: Final = re.compile(r"[A-Za-z0-9_]+")
_ID_TOKEN: Final = re.compile(r"-?[A-Za-z0-9_]+")
_INTEGER: Final = re.compile(r"-?\d+")
_NUMBER: Final = re.compile(
    r"(?P<number>-?\d+(?P<float_part>\.\d+)?(?P<exponent>[eE][+-]?\d+)?)(?P<suffix>f|dec)?"
    r"(?![A-Za-z0-9_µμ])"
)
_DURATION_TOKEN: Final = re.compile(r"(?:\d+(?:ns|us|µs|μs|ms|s|m|h|d|w|y))+(?![A-Za-z0-9_])")
_KEYWORDS: Final[dict[str, object]] = {
    "true": True,
    "false": False,
    "null": NULL,
    "NULL": NULL,
    "NONE": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
SURREALQL_STRING_ESCAPES: Final = {  # what follows a backslash in a SurrealQL string
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
    "⟩": "⟩",
    "/": "/",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    "0": "\0",
}


class _Parser:
    """A small recursive-descent parser for record ids and the SurrealQL literals inside them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> InvalidRecordIdError:
        return InvalidRecordIdError(
            f"invalid record id {self.text!r}: {what} at position {self.pos}"
        )

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def accept(self, token: str) -> bool:
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.accept(token):
            raise self.fail(f"expected {token!r}")

    def expect_end(self) -> None:
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos :]!r}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    # -- record id parts ---------------------------------------------------------------------

    def parse_ident(self) -> str:
        """A bare identifier, ``⟨escaped⟩`` or ```escaped```."""
        if self.accept("⟨"):
            return self.parse_delimited("⟩")
        if self.accept("`"):
            return self.parse_delimited("`")
        match = _IDENT_CHARS.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected an identifier")
        self.pos = match.end()
        return match.group()

    def parse_delimited(self, closing: str) -> str:
        """Text up to ``closing`` with backslash escapes (after the opening delimiter)."""
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == closing:
                return "".join(chars)
            if char == "\\":
                chars.append(self.parse_escape())
            else:
                chars.append(char)
        raise self.fail(f"missing closing {closing!r}")

    def parse_escape(self) -> str:
        """The character after a backslash (``\\n``, ``\\'``, ``\\u00e9``, ``\\u{1F600}`` ...)."""
        if self.pos >= len(self.text):
            raise self.fail("unfinished escape")
        char = self.text[self.pos]
        self.pos += 1
        if char in SURREALQL_STRING_ESCAPES:
            return SURREALQL_STRING_ESCAPES[char]
        if char == "u":
            if self.accept("{"):
                end = self.text.find("}", self.pos)
                digits = self.text[self.pos : end] if end != -1 else ""
                self.pos = end + 1
            else:
                digits = self.text[self.pos : self.pos + 4]
                self.pos += 4
            try:
                return chr(int(digits, 16))
            except ValueError:
                raise self.fail(f"invalid unicode escape {digits!r}") from None
        raise self.fail(f"invalid escape '\\{char}'")

    def parse_id_key_or_range(self) -> RecordIdKey:
        begin: Bound | None = None
        if not self.peek("..") and not self.peek(">.."):
            key = self.parse_id_key()
            if not self.peek("..") and not self.peek(">.."):
                return key
            begin = BoundExcluded(key) if self.accept(">") else BoundIncluded(key)
        self.expect("..")
        end: Bound | None = None
        if self.accept("="):
            end = BoundIncluded(self.parse_id_key())
        elif self.pos < len(self.text):
            end = BoundExcluded(self.parse_id_key())
        return Range(begin, end)

    def parse_id_key(self) -> RecordIdKey:
        """The part after ``table:``: identifier, int, uuid, array or object."""
        if self.peek("⟨") or self.peek("`"):
            return self.parse_ident()
        if self.accept("["):
            return self.parse_array()
        if self.accept("{"):
            return self.parse_object()
        if self.peek("u'") or self.peek('u"'):
            return self.parse_uuid()
        match = _ID_TOKEN.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected a record id key")
        token = match.group()
        if _INTEGER.fullmatch(token):
            self.pos = match.end()
            return int(token)
        if token.startswith("-"):
            raise self.fail(f"invalid record id key {token!r}")
        self.pos = match.end()
        return token

    def parse_uuid(self) -> uuid.UUID:
        self.pos += 1  # the "u" prefix
        text = self.parse_string()
        try:
            return uuid.UUID(text)
        except ValueError:
            raise self.fail(f"invalid uuid {text!r}") from None

    # -- literals ----------------------------------------------------------------------------

    def parse_string(self) -> str:
        quote = self.text[self.pos : self.pos + 1]
        if quote not in ("'", '"'):
            raise self.fail("expected a string")
        self.pos += 1
        return self.parse_delimited(quote)

    def parse_literal(self) -> object:
        """Any SurrealQL literal allowed inside an array or object id."""
        self.skip_space()
        if self.peek("'") or self.peek('"'):
            return self.parse_string()
        if self.accept("["):
            return self.parse_array()
        if self.accept("{"):
            return self.parse_object()
        if self.peek("u'") or self.peek('u"'):
            return self.parse_uuid()
        if self.peek("d'") or self.peek('d"'):
            self.pos += 1
            text = self.parse_string()
            try:
                return Datetime.parse(text)
            except ValueError:
                raise self.fail(f"invalid datetime {text!r}") from None
        for keyword, value in _KEYWORDS.items():
            end = self.pos + len(keyword)
            if self.peek(keyword) and not _IDENT_CHARS.match(self.text, end):
                self.pos = end
                return value
        return self.parse_number()

    def parse_number(self) -> object:
        duration = _DURATION_TOKEN.match(self.text, self.pos)
        if duration is not None:
            self.pos = duration.end()
            return Duration.parse(duration.group())
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected a value")
        self.pos = match.end()
        number, suffix = match["number"], match["suffix"]
        if suffix == "dec":
            try:
                return Decimal(number)
            except InvalidOperation:
                raise self.fail(f"invalid decimal {number!r}") from None
        if suffix == "f" or match["float_part"] or match["exponent"]:
            return float(number)
        return int(number)

    def parse_array(self) -> list[Any]:
        items: list[Any] = []
        self.skip_space()
        while not self.accept("]"):
            items.append(self.parse_literal())
            self.skip_space()
            if not self.accept(","):
                self.expect("]")
                break
            self.skip_space()
        return items

    def parse_object(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        self.skip_space()
        while not self.accept("}"):
            quoted = self.peek("'") or self.peek('"')
            key = self.parse_string() if quoted else self.parse_ident()
            self.skip_space()
            self.expect(":")
            fields[key] = self.parse_literal()
            self.skip_space()
            if not self.accept(","):
                self.expect("}")
                break
            self.skip_space()
        return fields
