"""CBOR codec for the SurrealDB wire protocol.

``encode`` and ``decode`` map between Python values (builtins plus ``surrealdb.values``) and the
tagged CBOR that SurrealDB speaks. Both lean on cbor2's compiled implementation: our types go
through per-type hooks (``_ENCODERS``) and one per-tag ``tag_hook``. Encoding first walks
the value once in Python, so that plain data (the usual case) can take cbor2's fast path
(see ``encode``); decoding runs Python only for tagged values.
"""

from __future__ import annotations

import array
import dataclasses
import datetime as _dt
import decimal
import fractions
import gc
import ipaddress
import itertools
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar

import cbor2
import msgspec
from cbor2 import CBORTag

from surrealdb.errors import InvalidArgumentTypeError
from surrealdb.values import (
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
    SurrealNull,
    SurrealSet,
    Table,
)

__all__ = ["CBORDecodeFailed", "CBORTag", "UnencodableValueError", "decode", "encode"]

# SurrealDB's CBOR tags.
TAG_DATETIME_ISO: Final = 0
TAG_NONE: Final = 6
TAG_TABLE: Final = 7
TAG_RECORD_ID: Final = 8
TAG_UUID_STRING: Final = 9
TAG_DECIMAL: Final = 10
TAG_DATETIME: Final = 12
TAG_DURATION_STRING: Final = 13
TAG_DURATION: Final = 14
TAG_UUID: Final = 37  # cbor2 encodes and decodes uuid.UUID with this tag itself
TAG_RANGE: Final = 49
TAG_BOUND_INCLUDED: Final = 50
TAG_BOUND_EXCLUDED: Final = 51
TAG_FILE: Final = 55
TAG_SET: Final = 56
TAG_GEOMETRY_POINT: Final = 88
TAG_GEOMETRY_LINE: Final = 89
TAG_GEOMETRY_POLYGON: Final = 90
TAG_GEOMETRY_MULTI_POINT: Final = 91
TAG_GEOMETRY_MULTI_LINE: Final = 92
TAG_GEOMETRY_MULTI_POLYGON: Final = 93
TAG_GEOMETRY_COLLECTION: Final = 94

_SUPPORTED_TYPES: Final = (
    "None (NONE), surrealdb.NULL, bool, int, float, str, bytes, list, tuple, "
    "dict with str keys, set, frozenset, uuid.UUID, decimal.Decimal, datetime.datetime, "
    "datetime.timedelta, the surrealdb.values types (RecordID, Table, Datetime, Duration, "
    "Range, File, geometries, SurrealSet), msgspec Structs and dataclasses"
)


class UnencodableValueError(InvalidArgumentTypeError):
    """A value (somewhere inside what was being encoded) has no SurrealDB representation."""

    def __init__(self, value_type: type, path: str, reason: str | None = None) -> None:
        self.value_type = value_type
        self.path = path
        detail = reason or f"SurrealDB values are {_SUPPORTED_TYPES}"
        super().__init__(
            f"cannot encode value of type {value_type.__qualname__!r} at {path}: {detail}"
        )


class CBORDecodeFailed(ValueError):
    """The bytes are not valid CBOR, so no message could be decoded from them."""


class _Unencodable(Exception):
    """Internal signal from an encoder hook that its value cannot be encoded."""


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------

_EncoderHook = Callable[[cbor2.CBOREncoder, Any], None]
_EPOCH_AWARE: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_EPOCH_NAIVE: Final = _dt.datetime(1970, 1, 1)
_SECONDS_PER_DAY: Final = 86_400


def _tag_header(tag: int, array_length: int | None = None) -> bytes:
    """The CBOR bytes of a tag head, optionally followed by the head of a short array.

    Encoders write these heads directly and then encode the elements one by one: this is
    several times faster in cbor2 than building a ``CBORTag`` around a tuple.
    """
    head = bytes([0xC0 | tag]) if tag < 24 else bytes([0xD8, tag])
    if array_length is not None:
        head += bytes([0x80 | array_length])
    return head


_NONE_CBOR: Final = _tag_header(TAG_NONE) + b"\xf6"  # tag 6 wrapping null
_NULL_CBOR: Final = b"\xf6"
_TABLE_HEAD: Final = _tag_header(TAG_TABLE)
_RECORD_ID_HEAD: Final = _tag_header(TAG_RECORD_ID, 2)
_DECIMAL_HEAD: Final = _tag_header(TAG_DECIMAL)
_DATETIME_HEAD: Final = _tag_header(TAG_DATETIME, 2)
_DURATION_HEAD: Final = _tag_header(TAG_DURATION, 2)
_SET_HEAD: Final = _tag_header(TAG_SET)
_RANGE_HEAD: Final = _tag_header(TAG_RANGE, 2)
_BOUND_INCLUDED_HEAD: Final = _tag_header(TAG_BOUND_INCLUDED)
_BOUND_EXCLUDED_HEAD: Final = _tag_header(TAG_BOUND_EXCLUDED)
_FILE_HEAD: Final = _tag_header(TAG_FILE, 2)
_POINT_HEAD: Final = _tag_header(TAG_GEOMETRY_POINT, 2)
_LINE_HEAD: Final = _tag_header(TAG_GEOMETRY_LINE)
_POLYGON_HEAD: Final = _tag_header(TAG_GEOMETRY_POLYGON)
_MULTI_POINT_HEAD: Final = _tag_header(TAG_GEOMETRY_MULTI_POINT)
_MULTI_LINE_HEAD: Final = _tag_header(TAG_GEOMETRY_MULTI_LINE)
_MULTI_POLYGON_HEAD: Final = _tag_header(TAG_GEOMETRY_MULTI_POLYGON)
_COLLECTION_HEAD: Final = _tag_header(TAG_GEOMETRY_COLLECTION)


def _encode_none(encoder: cbor2.CBOREncoder, value: None) -> None:
    encoder.write(_NONE_CBOR)


def _encode_null(encoder: cbor2.CBOREncoder, value: SurrealNull) -> None:
    encoder.write(_NULL_CBOR)


def _encode_table(encoder: cbor2.CBOREncoder, value: Table) -> None:
    encoder.write(_TABLE_HEAD)
    encoder.encode(value.name)


def _encode_record_id(encoder: cbor2.CBOREncoder, value: RecordID) -> None:
    encoder.write(_RECORD_ID_HEAD)
    encoder.encode(value.table)
    encoder.encode(value.id)


def _encode_datetime(encoder: cbor2.CBOREncoder, value: Datetime | OutOfRangeDatetime) -> None:
    # Always both elements: the engine rejects the short forms [] and [s] for datetimes.
    encoder.write(_DATETIME_HEAD)
    encoder.encode(value.seconds)
    encoder.encode(value.nanoseconds)


def _encode_py_datetime(encoder: cbor2.CBOREncoder, value: _dt.datetime) -> None:
    delta = value - (_EPOCH_NAIVE if value.tzinfo is None else _EPOCH_AWARE)
    encoder.write(_DATETIME_HEAD)
    encoder.encode(delta.days * _SECONDS_PER_DAY + delta.seconds)
    encoder.encode(delta.microseconds * 1_000)


def _encode_duration(encoder: cbor2.CBOREncoder, value: Duration) -> None:
    seconds, nanoseconds = divmod(value.elapsed, 1_000_000_000)
    encoder.write(_DURATION_HEAD)
    encoder.encode(seconds)
    encoder.encode(nanoseconds)


def _encode_timedelta(encoder: cbor2.CBOREncoder, value: _dt.timedelta) -> None:
    _encode_duration(encoder, Duration.from_timedelta(value))


def _encode_decimal(encoder: cbor2.CBOREncoder, value: decimal.Decimal) -> None:
    # Positional notation: the 3.0.2 engine refuses exponents ("1E-7", which str() gives for
    # Decimal("0.0000001")). Non-finite and too large decimals were refused before encoding.
    encoder.write(_DECIMAL_HEAD)
    encoder.encode(format(value, "f"))


def _encode_set(encoder: cbor2.CBOREncoder, value: set[Any] | frozenset[Any]) -> None:
    encoder.write(_SET_HEAD)
    encoder.encode(tuple(value))


def _encode_surreal_set(encoder: cbor2.CBOREncoder, value: SurrealSet) -> None:
    encoder.write(_SET_HEAD)
    encoder.encode(tuple(value))  # a plain tuple, or this hook would run again


def _encode_range(encoder: cbor2.CBOREncoder, value: Range) -> None:
    encoder.write(_RANGE_HEAD)
    for bound in (value.begin, value.end):
        if bound is None:  # unbounded is null: the engine rejects NONE here
            encoder.write(_NULL_CBOR)
        else:
            encoder.encode(bound)


def _encode_bound_included(encoder: cbor2.CBOREncoder, value: BoundIncluded) -> None:
    encoder.write(_BOUND_INCLUDED_HEAD)
    encoder.encode(value.value)


def _encode_bound_excluded(encoder: cbor2.CBOREncoder, value: BoundExcluded) -> None:
    encoder.write(_BOUND_EXCLUDED_HEAD)
    encoder.encode(value.value)


def _encode_file(encoder: cbor2.CBOREncoder, value: File) -> None:
    encoder.write(_FILE_HEAD)
    encoder.encode(value.bucket)
    encoder.encode(value.key)


def _encode_point(encoder: cbor2.CBOREncoder, value: GeometryPoint) -> None:
    encoder.write(_POINT_HEAD)
    encoder.encode(value.x)
    encoder.encode(value.y)


def _encode_line(encoder: cbor2.CBOREncoder, value: GeometryLine) -> None:
    encoder.write(_LINE_HEAD)
    encoder.encode(value.points)


def _encode_polygon(encoder: cbor2.CBOREncoder, value: GeometryPolygon) -> None:
    encoder.write(_POLYGON_HEAD)
    encoder.encode(value.lines)


def _encode_multi_point(encoder: cbor2.CBOREncoder, value: GeometryMultiPoint) -> None:
    encoder.write(_MULTI_POINT_HEAD)
    encoder.encode(value.points)


def _encode_multi_line(encoder: cbor2.CBOREncoder, value: GeometryMultiLine) -> None:
    encoder.write(_MULTI_LINE_HEAD)
    encoder.encode(value.lines)


def _encode_multi_polygon(encoder: cbor2.CBOREncoder, value: GeometryMultiPolygon) -> None:
    encoder.write(_MULTI_POLYGON_HEAD)
    encoder.encode(value.polygons)


def _encode_collection(encoder: cbor2.CBOREncoder, value: GeometryCollection) -> None:
    encoder.write(_COLLECTION_HEAD)
    encoder.encode(value.geometries)


def _reject(encoder: cbor2.CBOREncoder, value: object) -> None:
    """For types cbor2 would encode with tags SurrealDB rejects (the whole request would fail)."""
    raise _Unencodable


def _encode_struct(encoder: cbor2.CBOREncoder, value: msgspec.Struct) -> None:
    """A msgspec Struct as a map of its (renamed) fields, leaving out UNSET ones."""
    fields = _struct_fields(type(value))
    encoder.encode(
        {
            wire_name: field_value
            for name, wire_name in fields
            if (field_value := getattr(value, name)) is not msgspec.UNSET
        }
    )


def _encode_dataclass(encoder: cbor2.CBOREncoder, value: Any) -> None:
    """A dataclass instance as a map of its fields (shallow: values go back through cbor2)."""
    encoder.encode({field.name: getattr(value, field.name) for field in dataclasses.fields(value)})


_STRUCT_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}


def _struct_fields(struct_type: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(attribute name, wire name) of each field of a Struct type, computed once per type."""
    fields = _STRUCT_FIELDS.get(struct_type)
    if fields is None:
        fields = tuple(
            (field.name, field.encode_name) for field in msgspec.structs.fields(struct_type)
        )
        _STRUCT_FIELDS[struct_type] = fields
    return fields


_ENCODERS: Final[dict[type, _EncoderHook]] = {
    type(None): _encode_none,  # only with encoders=: cbor2 itself writes None as null
    SurrealNull: _encode_null,
    Table: _encode_table,
    RecordID: _encode_record_id,
    Datetime: _encode_datetime,
    OutOfRangeDatetime: _encode_datetime,
    _dt.datetime: _encode_py_datetime,
    Duration: _encode_duration,
    _dt.timedelta: _encode_timedelta,
    decimal.Decimal: _encode_decimal,
    set: _encode_set,
    frozenset: _encode_set,
    SurrealSet: _encode_surreal_set,
    Range: _encode_range,
    BoundIncluded: _encode_bound_included,
    BoundExcluded: _encode_bound_excluded,
    File: _encode_file,
    GeometryPoint: _encode_point,
    GeometryLine: _encode_line,
    GeometryPolygon: _encode_polygon,
    GeometryMultiPoint: _encode_multi_point,
    GeometryMultiLine: _encode_multi_line,
    GeometryMultiPolygon: _encode_multi_polygon,
    GeometryCollection: _encode_collection,
    # cbor2 encodes these natively, but with tags SurrealDB does not know.
    _dt.date: _reject,
    _dt.time: _reject,
    fractions.Fraction: _reject,
    re.Pattern: _reject,
    complex: _reject,
    memoryview: _reject,  # cbor2 turns it into an array of ints
    ipaddress.IPv4Address: _reject,
    ipaddress.IPv4Network: _reject,
    ipaddress.IPv4Interface: _reject,
    ipaddress.IPv6Address: _reject,
    ipaddress.IPv6Network: _reject,
    ipaddress.IPv6Interface: _reject,
    cbor2.CBORSimpleValue: _reject,
    type(cbor2.undefined): _reject,
}


def _encode_other(encoder: cbor2.CBOREncoder, value: object) -> None:
    """cbor2's ``default`` hook: our value types, their subclasses, msgspec Structs, dataclasses.

    The hook found for a subclass is remembered for the exact type, so the next value of
    that type takes the dict lookup.
    """
    hook = _ENCODERS.get(type(value))
    if hook is None:
        hook = _find_hook(value)
        _ENCODERS[type(value)] = hook
    hook(encoder, value)


def _find_hook(value: object) -> _EncoderHook:
    for base in type(value).__mro__[1:-1]:  # skip the type itself (already missed) and object
        hook = _ENCODERS.get(base)
        if hook is not None:
            return hook
    if isinstance(value, msgspec.Struct):
        return _encode_struct
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass
    raise _Unencodable


def encode(value: object) -> bytes:
    """Encode a value (typically a whole RPC request) to CBOR bytes.

    Raises ``UnencodableValueError`` naming the path of the first value that SurrealDB cannot
    represent or read, e.g. ``params[1]['tags'][2]``, before anything is sent: types it has
    no form for, integers outside its 64-bit range, NaN and infinite or out-of-range
    decimals, object keys that are not strings, strings that are not valid Unicode, and
    values nested deeper than the server reads (``MAX_NESTING``).

    cbor2 has two speeds. Given ``encoders=``, it looks every value up in that mapping,
    strings and ints included: about 2.5x slower than with only a ``default`` hook, which it
    calls just for the types it does not know. But without ``encoders=`` cbor2 encodes some
    types its own way, with tags SurrealDB does not read (datetime, Decimal, set, date...).
    So a value made only of types whose encoding is the same either way (``_is_plain``, a
    quick walk that also checks the integers' range) takes the fast path; anything else is
    checked by ``_find_problem`` (an iterative walk: cbor2's exact path recurses in C and
    crashes the interpreter on a value about 10,000 levels deep) and takes the exact one.
    """
    try:
        if _is_plain(value, 0):
            return _dumps(value, default=_encode_other)
        problem = _find_problem(value, check_strings=False)
        if problem is not None:
            raise UnencodableValueError(type(problem[1]), problem[0], problem[2])
        return _dumps(value, encoders=_ENCODERS, default=_encode_other)
    except (_Unencodable, cbor2.CBOREncodeError, UnicodeEncodeError) as error:
        raise _describe_failure(value, error) from None


_dumps: Final = cbor2.dumps

# Types cbor2 encodes itself, as SurrealDB reads them, and ours whose hook writes no value
# that cbor2 could encode differently (a Table's name is checked in _is_plain). An int is
# plain only inside the server's range (checked where it is met). None is not plain: cbor2
# writes it as null, but it is NONE, which only the exact path's hook writes.
_PLAIN_LEAF_TYPES: Final = frozenset(
    {str, int, float, bool, bytes, uuid.UUID, SurrealNull}
    | {Datetime, OutOfRangeDatetime, Duration}
)
# Deeper values take the exact path, whose check reports cycles and too deep nesting. Even a
# plain value this deep (a record id counts three levels) stays far below MAX_NESTING.
_PLAIN_MAX_DEPTH: Final = 32


def _is_plain(value: Any, depth: int) -> bool:
    """Whether the value holds only types cbor2 encodes the same with or without ``encoders=``.

    Exact types only: a subclass of dict, str or int (an enum, say) takes the exact path, as
    does a map with a key that is not a string and an int outside the server's range: the
    exact path's check reports them.
    """
    kind = type(value)
    if kind is dict:
        if depth > _PLAIN_MAX_DEPTH:
            return False
        leaf_types = _PLAIN_LEAF_TYPES
        for key in value:
            if type(key) is not str:
                return False
        for item in value.values():
            item_kind = type(item)
            if item_kind is int:  # literals: the server's 64-bit range, cheaper than globals
                if not -0x8000_0000_0000_0000 <= item <= 0x7FFF_FFFF_FFFF_FFFF:
                    return False
            elif item_kind not in leaf_types and not _is_plain(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        if depth > _PLAIN_MAX_DEPTH:
            return False
        leaf_types = _PLAIN_LEAF_TYPES
        for item in value:
            item_kind = type(item)
            if item_kind is int:  # literals: the server's 64-bit range, cheaper than globals
                if not -0x8000_0000_0000_0000 <= item <= 0x7FFF_FFFF_FFFF_FFFF:
                    return False
            elif item_kind not in leaf_types and not _is_plain(item, depth + 1):
                return False
        return True
    if kind in _PLAIN_LEAF_TYPES:
        return kind is not int or _INT_MIN <= value <= _INT_MAX
    if kind is RecordID:
        if depth > _PLAIN_MAX_DEPTH:
            return False
        return type(value.table) is str and _is_plain(value.id, depth + 1)
    if kind is Table:
        return type(value.name) is str
    if kind is cbor2.CBORTag:
        return depth <= _PLAIN_MAX_DEPTH and _is_plain(value.value, depth + 1)
    return False


# -- the check before the exact path, and the failure path -------------------------------------

MAX_NESTING: Final = 256
"""The deepest nesting of arrays, maps and tags (together) that the server reads in a request.

SurrealDB 3.0.2 decodes a request with ``ciborium::from_reader`` (surrealdb/core/src/rpc/
format/cbor/mod.rs), and ciborium 0.2.2 stops at a recursion limit of 256, where every
array, map and tag is one level (a record id is two: its tag and pair). Measured on
the test gateway (the 3.0.2 engine), ws and http alike: 256 levels, the request map around
the value included, are read; 257 get ``Parse error``. Deeper values are refused before
sending. The embedded engine (surrealdb-embedded 3.0.0b10) stops at 100 levels and says so
itself (``RecursionLimitExceeded``).
"""

_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**63 - 1
# The engine reads CBOR integers as i128 and casts them to i64, so a value outside
# [-2**63, 2**63 - 1] is stored wrapped (2**64 - 1 as -1), and bignum tags (2**64 and up,
# below -2**64) fail the whole request: both are refused.
_DECIMAL_MAX: Final = decimal.Decimal(2**96 - 1)
# The engine's decimals (rust_decimal) have a 96-bit mantissa: a larger magnitude fails the
# request; NaN, sNaN and the infinities too (measured on the 3.0.2 engine and embedded).

_INT_REASON: Final = (
    "SurrealDB integers are 64-bit, from -2**63 to 2**63 - 1 (a larger one would be stored "
    "wrapped or refused); pass decimal.Decimal(value) for numbers up to 2**96 - 1"
)
_KEY_REASON: Final = "SurrealDB object keys are strings; convert the key, e.g. with str()"
_DECIMAL_SPECIAL_REASON: Final = (
    "SurrealDB decimals are finite numbers (it reads no NaN or infinity); "
    "use float('nan') or float('inf') for those"
)
_DECIMAL_RANGE_REASON: Final = (
    "SurrealDB decimals hold at most 2**96 - 1 (79228162514264337593543950335) in magnitude"
)
_DEPTH_REASON: Final = (
    f"the value is nested deeper than the {MAX_NESTING} levels the server reads (each array, "
    "object and tagged value such as a record id or datetime counts, the request included)"
)
_CYCLE_REASON: Final = "the value contains itself (a reference cycle)"

# Exact types with nothing to check and no CBOR levels of their own.
_UNCHECKED_LEAF_TYPES: Final = frozenset({str, float, bool, bytes, bytearray})
# How many CBOR levels each of our hooks writes around what it encodes, and for the hooks
# that encode other values, how to get them.
_Children = Callable[[Any], Iterator[Any]]


def _struct_values(value: msgspec.Struct) -> Iterator[Any]:
    for name, _ in _struct_fields(type(value)):
        field_value = getattr(value, name)
        if field_value is not msgspec.UNSET:
            yield field_value


def _dataclass_values(value: Any) -> Iterator[Any]:
    return (getattr(value, field.name) for field in dataclasses.fields(value))


_HOOK_SHAPES: Final[dict[_EncoderHook, tuple[int, _Children | None]]] = {
    _encode_none: (1, None),
    _encode_null: (0, None),
    _encode_table: (1, None),
    _encode_decimal: (1, None),
    _encode_datetime: (2, None),
    _encode_py_datetime: (2, None),
    _encode_duration: (2, None),
    _encode_timedelta: (2, None),
    _encode_file: (2, None),
    _encode_point: (2, None),
    _encode_record_id: (2, lambda value: iter((value.id,))),
    _encode_set: (2, iter),
    _encode_surreal_set: (2, iter),
    _encode_range: (2, lambda value: iter((value.begin, value.end))),
    _encode_bound_included: (1, lambda value: iter((value.value,))),
    _encode_bound_excluded: (1, lambda value: iter((value.value,))),
    _encode_line: (2, lambda value: iter(value.points)),
    _encode_polygon: (2, lambda value: iter(value.lines)),
    _encode_multi_point: (2, lambda value: iter(value.points)),
    _encode_multi_line: (2, lambda value: iter(value.lines)),
    _encode_multi_polygon: (2, lambda value: iter(value.polygons)),
    _encode_collection: (2, lambda value: iter(value.geometries)),
    _encode_struct: (1, _struct_values),
    _encode_dataclass: (1, _dataclass_values),
}

# Exact types that hold no other values but are written with tags: their CBOR levels, from
# their hooks' shapes (and cbor2's own tag 37 for UUIDs).
_TAGGED_LEAF_LEVELS: Final[dict[type, int]] = {
    uuid.UUID: 1,
    **{
        kind: _HOOK_SHAPES[hook][0]
        for kind, hook in _ENCODERS.items()
        if hook in _HOOK_SHAPES and _HOOK_SHAPES[hook][1] is None
    },
}

# One value met by the walk: (value, how many CBOR levels enclose it, the entry it is in,
# and for a container on the walk's stack: its children, and how many levels enclose them).
_Entry = tuple[Any, ...]
# What the walk found: (entry, the offending value, reason or None, last path segment or None).
_Found = tuple[_Entry, object, str | None, str | None]


def _find_problem(value: object, *, check_strings: bool) -> tuple[str, object, str | None] | None:
    """The path, value and reason of the first value the server cannot read, or None.

    An explicit stack instead of recursion, so no depth of nesting can overflow it; the
    walk stops at ``MAX_NESTING``, so a reference cycle ends it too. Paths are worked out
    only for what is found. Strings are checked only on the failure path
    (``check_strings``): cbor2 itself refuses a string that is not valid Unicode.
    """
    found = _walk(value, check_strings)
    if found is None:
        return None
    entry, culprit, reason, last = found
    chain = _chain(entry)
    if reason is _DEPTH_REASON:
        cycle_end = _first_repeat(chain)
        if cycle_end is not None:
            chain, culprit, reason, last = (
                chain[: cycle_end + 1],
                chain[cycle_end][0],
                _CYCLE_REASON,
                None,
            )
    return _format_chain(chain, last), culprit, reason


def _walk(value: object, check_strings: bool) -> _Found | None:
    """The search behind ``_find_problem``: depth first, over an explicit stack.

    Children that hold no other values (scalars, datetimes, decimals...) are checked where
    they are met, and maps and arrays opened inline; only our other types go through
    ``_open``. This walk runs before every exact-path encode, so it is written for speed.
    """
    # Each entry is (value, its level, parent entry, its children, their level): the entry
    # of a container is also the parent of its children. The root is a parent for the
    # value itself, so that it is checked like any child.
    root: _Entry = (None, -1, None, (value,), 0)
    stack: list[_Entry] = [root]
    unchecked = _UNCHECKED_LEAF_TYPES
    tagged_leaves = _TAGGED_LEAF_LEVELS
    decimal_type = decimal.Decimal
    while stack:
        parent = stack.pop()
        level = parent[4]
        for child in parent[3]:
            kind = type(child)
            if kind in unchecked:
                if check_strings and kind is str and _bad_string(child):
                    return (child, level, parent), child, _string_reason(child), None
                continue
            if kind is int:
                if not -0x8000_0000_0000_0000 <= child <= 0x7FFF_FFFF_FFFF_FFFF:
                    return (child, level, parent), child, _INT_REASON, None
                continue
            if kind is dict and level < MAX_NESTING:
                for key in child:
                    if type(key) is not str or check_strings:
                        break
                else:
                    stack.append((child, level, parent, child.values(), level + 1))
                    continue
            elif (kind is list or kind is tuple) and level < MAX_NESTING:
                stack.append((child, level, parent, child, level + 1))
                continue
            if kind is RecordID:  # the commonest of our types: a string or int key inline
                key = child._id
                key_kind = type(key)
                if (key_kind is str and not check_strings) or (
                    key_kind is int and -0x8000_0000_0000_0000 <= key <= 0x7FFF_FFFF_FFFF_FFFF
                ):
                    if level + 2 > MAX_NESTING:
                        return (child, level, parent), child, _DEPTH_REASON, None
                    continue
            extra = tagged_leaves.get(kind)
            if extra is not None:
                if level + extra > MAX_NESTING:
                    return (child, level, parent), child, _DEPTH_REASON, None
                if kind is decimal_type:
                    try:
                        in_range = _NEGATIVE_DECIMAL_MAX <= child <= _DECIMAL_MAX
                    except decimal.InvalidOperation:  # NaN and sNaN do not compare
                        in_range = False
                    if not in_range:
                        reason = _decimal_problem(child)
                        return (child, level, parent), child, reason, None
                continue
            found = _open((child, level, parent), check_strings, stack)
            if found is not None:
                return found
    return None


def _open(entry: _Entry, check_strings: bool, stack: list[Any]) -> _Found | None:
    """Check a value that holds others, and put its children on the stack (or the problem)."""
    item, level, _ = entry
    kind = type(item)
    if kind is dict or (kind not in _ENCODERS and isinstance(item, dict)):
        if level >= MAX_NESTING:
            return entry, item, _DEPTH_REASON, None
        for key in item:
            if type(key) is not str and not isinstance(key, str):
                return entry, key, _KEY_REASON, f"[<key {key!r}>]"
            if check_strings and _bad_string(key):
                return entry, key, _string_reason(key), f"[<key {key!r}>]"
        stack.append((item, level, entry[2], item.values(), level + 1))
        return None
    if (
        kind is list
        or kind is tuple
        or (
            kind not in _ENCODERS
            and isinstance(item, list | tuple)
            and not isinstance(item, SurrealSet)  # a subclass not met yet: a set, below
        )
    ):
        if level >= MAX_NESTING:
            return entry, item, _DEPTH_REASON, None
        stack.append((item, level, entry[2], item, level + 1))
        return None
    if isinstance(item, bool | float | bytes | bytearray):
        return None
    if isinstance(item, int):  # a subclass, an IntEnum say
        return None if _INT_MIN <= item <= _INT_MAX else (entry, item, _INT_REASON, None)
    if isinstance(item, str):
        if check_strings and _bad_string(item):
            return entry, item, _string_reason(item), None
        return None
    if isinstance(item, uuid.UUID | cbor2.CBORTag):
        if level >= MAX_NESTING:
            return entry, item, _DEPTH_REASON, None
        if isinstance(item, cbor2.CBORTag):
            stack.append((item, level, entry[2], (item.value,), level + 1))
        return None
    hook = _ENCODERS.get(kind)
    if hook is None:
        try:
            hook = _find_hook(item)
        except _Unencodable:
            return entry, item, None, None
        _ENCODERS[kind] = hook
    shape = _HOOK_SHAPES.get(hook)
    if shape is None:  # _reject: a type cbor2 would write in a form SurrealDB cannot read
        return entry, item, None, None
    levels, children = shape
    if level + levels > MAX_NESTING:
        return entry, item, _DEPTH_REASON, None
    if hook is _encode_decimal:
        reason = _decimal_problem(item)
        return None if reason is None else (entry, item, reason, None)
    if children is not None:
        stack.append((item, level, entry[2], children(item), level + levels))
    return None


def _decimal_problem(value: decimal.Decimal) -> str | None:
    if not value.is_finite():
        return _DECIMAL_SPECIAL_REASON
    if value.copy_abs() > _DECIMAL_MAX:
        return _DECIMAL_RANGE_REASON
    return None


_NEGATIVE_DECIMAL_MAX: Final = decimal.Decimal(-(2**96 - 1))


def _bad_string(text: str) -> bool:
    """Whether a string has no UTF-8 form (it holds a lone surrogate)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _string_reason(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        char = text[error.start]
        return (
            f"the string is not valid Unicode: it holds a lone surrogate U+{ord(char):04X} at "
            f"index {error.start} (SurrealDB strings are UTF-8)"
        )
    return "the string is not valid Unicode"  # pragma: no cover - only called for bad strings


def _chain(entry: _Entry) -> list[_Entry]:
    """The entries from the value passed to ``encode`` down to this one."""
    chain = []
    current: _Entry | None = entry
    while current is not None and current[1] >= 0:  # up to the walk's root (level -1)
        chain.append(current)
        current = current[2]
    chain.reverse()
    return chain


def _first_repeat(chain: list[_Entry]) -> int | None:
    """The index of the first entry whose value already encloses it (a cycle), if any."""
    seen: set[int] = set()
    for index, entry in enumerate(chain):
        item = entry[0]
        if id(item) in seen:
            return index
        seen.add(id(item))
    return None


_PATH_HEAD: Final = 8  # segments shown before an ellipsis in a long path
_PATH_TAIL: Final = 2  # and after it


def _format_chain(chain: list[_Entry], last: str | None) -> str:
    """``['params'][1]`` -> ``params[1]``: a top-level map key reads as a name.

    Paths longer than ten segments keep their head and tail around ``...``.
    """
    segments = [_segment(parent[0], child[0]) for parent, child in itertools.pairwise(chain)]
    if last is not None:
        segments.append(last)
    if len(segments) > _PATH_HEAD + _PATH_TAIL:
        skipped = len(segments) - _PATH_HEAD - _PATH_TAIL
        segments = [*segments[:_PATH_HEAD], f"...<{skipped} more>...", *segments[-_PATH_TAIL:]]
    if not segments:
        return "value"
    first = segments[0]
    if first.startswith("['") and first.endswith("']"):
        return first[2:-2] + "".join(segments[1:])
    return "value" + "".join(segments)


def _segment(parent: Any, child: object) -> str:
    """How the path names ``child`` inside ``parent`` (found by identity)."""
    if isinstance(parent, dict):
        for key, item in parent.items():
            if item is child:
                return f"[{key!r}]"
    elif isinstance(parent, RecordID):
        return ".id"
    elif isinstance(parent, Range):
        return ".begin" if parent.begin is child else ".end"
    elif isinstance(parent, BoundIncluded | BoundExcluded | cbor2.CBORTag):
        return ".value"
    elif isinstance(parent, msgspec.Struct) and not isinstance(parent, _GEOMETRY_TYPES):
        for name, _ in _struct_fields(type(parent)):
            if getattr(parent, name) is child:
                return f".{name}"
    elif dataclasses.is_dataclass(parent) and not isinstance(parent, type):
        for field in dataclasses.fields(parent):
            if getattr(parent, field.name) is child:
                return f".{field.name}"
    else:
        items = (
            parent
            if isinstance(parent, list | tuple | set | frozenset)
            else _geometry_items(parent)
        )
        for index, item in enumerate(items):
            if item is child:
                return f"[{index}]"
    return "[?]"  # pragma: no cover - every child the walk met is in its parent


_GEOMETRY_TYPES: Final = (
    GeometryLine,
    GeometryPolygon,
    GeometryMultiPoint,
    GeometryMultiLine,
    GeometryMultiPolygon,
    GeometryCollection,
)


def _geometry_items(value: Any) -> tuple[Any, ...]:
    for name in ("points", "lines", "polygons", "geometries"):
        items = getattr(value, name, None)
        if items is not None:
            return tuple(items)
    return ()


def _describe_failure(value: object, error: BaseException) -> UnencodableValueError:
    """Re-walk the input to name the offending value and where it is."""
    found = _find_problem(value, check_strings=True)
    if found is None:  # cbor2 failed for a reason the walk does not model
        return UnencodableValueError(type(value), "value", str(error))
    path, culprit, reason = found
    return UnencodableValueError(type(culprit), path, reason)


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------

_Decoder = Callable[[Any], Any]
_S = TypeVar("_S", bound=msgspec.Struct)
_SemanticDecoder = Callable[[Any, bool], Any]
_PLAIN_RECORD_KEY_TYPES: Final = (str, int, uuid.UUID)


def _thaw(value: Any) -> Any:
    """Mutable copy of a value cbor2 decoded immutably (tuples, frozendicts, frozensets).

    cbor2 hands a ``tag_hook`` the tag's content decoded immutably; record ids made of arrays
    or objects are thawed back so they look like every other decoded array or object.
    """
    if type(value) is tuple:
        return [_thaw(item) for item in value]
    if type(value) is cbor2.frozendict:
        return {key: _thaw(item) for key, item in value.items()}
    if type(value) is frozenset:
        return _decode_set([_thaw(item) for item in value], False)
    if type(value) is Range:
        return Range(_thaw(value.begin), _thaw(value.end))
    if type(value) is BoundIncluded:
        return BoundIncluded(_thaw(value.value))
    if type(value) is BoundExcluded:
        return BoundExcluded(_thaw(value.value))
    return value


def _text(value: Any) -> str:
    """The content of a tag that must be a string (else the tag is kept raw)."""
    if type(value) is not str:
        raise TypeError("expected a string")
    return value


def _decode_record_id(value: Any) -> RecordID:
    table, key = value
    if type(table) is not str:
        raise TypeError("record id table must be a string")
    if not isinstance(key, _PLAIN_RECORD_KEY_TYPES) or isinstance(key, bool):
        return RecordID(table, _thaw(key))  # arrays, objects and ranges: checked build
    return RecordID._trusted(table, key)


def _seconds_and_nanoseconds(value: Any) -> tuple[int, int]:
    """The content of tags 12 and 14: [seconds, nanoseconds], [seconds] or [] (zero)."""
    if len(value) > 2:
        raise ValueError("expected at most [seconds, nanoseconds]")
    seconds, nanoseconds = (*value, 0, 0)[:2]
    if type(seconds) is not int or type(nanoseconds) is not int:
        raise TypeError("seconds and nanoseconds must be ints")
    if not 0 <= nanoseconds < 1_000_000_000:
        raise ValueError("nanoseconds must be in [0, 1e9)")
    return seconds, nanoseconds


def _decode_datetime(value: Any) -> Datetime | OutOfRangeDatetime:
    seconds, nanoseconds = _seconds_and_nanoseconds(value)
    try:
        return Datetime(seconds, nanoseconds)
    except ValueError:  # a year Python's datetime does not hold: keep it exactly
        return OutOfRangeDatetime(seconds, nanoseconds)


def _decode_duration(value: Any) -> Duration:
    seconds, nanoseconds = _seconds_and_nanoseconds(value)
    return Duration(seconds * 1_000_000_000 + nanoseconds)


def _decode_file(value: Any) -> File:
    bucket, key = value
    return File(bucket, key)


def _unchecked(kind: type[_S]) -> Callable[..., _S]:
    """msgspec's own constructor of a geometry type, bound to it (a C method-wrapper).

    It skips what the type's metaclass adds for user code (the official call shapes, float
    conversion and checks): a geometry from the server is taken as it is.
    """
    constructor: Callable[..., _S] = msgspec.StructMeta.__call__.__get__(kind)
    return constructor


_new_point: Final = _unchecked(GeometryPoint)


def _decode_point(value: Any) -> GeometryPoint:
    x, y = value
    if type(x) is float and type(y) is float:
        return _new_point(x, y)
    return GeometryPoint(x, y)  # ints (or malformed content): the checked constructor


def _shape_decoder(kind: type[_S]) -> Callable[[Any], _S]:
    """The decoder of a geometry made of parts (its tag holds an array of them)."""
    new = _unchecked(kind)

    def decode_shape(parts: Any) -> _S:
        if type(parts) is tuple:  # what cbor2 hands a tag_hook for an array
            return new(parts)
        return kind(parts)

    return decode_shape


# Tags whose content is scalars or fixed tuples go through cbor2's tag_hook, which hands over
# the content decoded immutably but is much cheaper per tag than a semantic decoder.
_TAG_DECODERS: Final[dict[int, _Decoder]] = {
    TAG_NONE: lambda value: None,
    TAG_TABLE: lambda value: Table(_text(value)),
    TAG_RECORD_ID: _decode_record_id,
    TAG_UUID_STRING: uuid.UUID,
    TAG_DECIMAL: decimal.Decimal,
    TAG_DATETIME: _decode_datetime,
    TAG_DURATION_STRING: Duration.parse,
    TAG_DURATION: _decode_duration,
    TAG_FILE: _decode_file,
    TAG_GEOMETRY_POINT: _decode_point,
    TAG_GEOMETRY_LINE: _shape_decoder(GeometryLine),
    TAG_GEOMETRY_POLYGON: _shape_decoder(GeometryPolygon),
    TAG_GEOMETRY_MULTI_POINT: _shape_decoder(GeometryMultiPoint),
    TAG_GEOMETRY_MULTI_LINE: _shape_decoder(GeometryMultiLine),
    TAG_GEOMETRY_MULTI_POLYGON: _shape_decoder(GeometryMultiPolygon),
    TAG_GEOMETRY_COLLECTION: _shape_decoder(GeometryCollection),
    TAG_RANGE: lambda value: _decode_range_from_hook(value),
    TAG_BOUND_INCLUDED: lambda value: BoundIncluded(_thaw(value)),
    TAG_BOUND_EXCLUDED: lambda value: BoundExcluded(_thaw(value)),
    TAG_SET: lambda value: _decode_set_from_hook(value),
}


def _decode_set_from_hook(value: Any) -> Any:
    return _decode_set([_thaw(item) for item in value], False)


def _decode_range_from_hook(value: Any) -> Range:
    begin, end = value
    return Range(_thaw(begin), _thaw(end))


def _decode_set(value: Any, immutable: bool) -> Any:
    try:
        return frozenset(value) if immutable else set(value)
    except TypeError:  # some element is unhashable (e.g. an object)
        return SurrealSet(value)


def _decode_range(value: Any, immutable: bool) -> Range:
    begin, end = value
    return Range(begin, end)


# The lenient path (for messages where cbor2 rejected the content of a tag it decodes itself)
# uses semantic decoders for tag 0 and for the tags whose content may be any value.
_SEMANTIC_DECODERS: Final[dict[int, _SemanticDecoder]] = {
    TAG_DATETIME_ISO: lambda value, immutable: Datetime.parse(value),
    TAG_RANGE: _decode_range,
    TAG_BOUND_INCLUDED: lambda value, immutable: BoundIncluded(value),
    TAG_BOUND_EXCLUDED: lambda value, immutable: BoundExcluded(value),
    TAG_SET: _decode_set,
}


def decode(data: bytes) -> tuple[Any, list[int]]:
    """Decode one CBOR message; return it with the tags that could not be decoded.

    A tag we do not know, or a known tag with malformed content, does not fail the message:
    it stays in place as a ``cbor2.CBORTag`` and its number is listed, so the caller can still
    read the reply's ``id`` and fail just that call. The list is empty on the normal path.
    Raises ``CBORDecodeFailed`` when the bytes are not valid CBOR.

    Every tag goes through one module-level ``tag_hook`` (``_decode_tag``), with inline fast
    paths for the commonest (record ids and datetimes): passing cbor2 any ``semantic_decoders``
    mapping slows down the whole message by about 30%. So tag 0 (a standard CBOR ISO
    datetime, which SurrealDB never sends; it uses tag 12) is left to cbor2 and decodes as
    ``datetime.datetime``. Large messages are decoded with the cyclic GC paused (see
    ``_GcPause``).

    NONE (tag 6) and NULL (CBOR null) both decode as ``None``, as in the official SDK. cbor2
    decodes null as ``None`` itself, with no hook, so telling the two apart takes a second
    pass over the message: measured on a 2,000-row reply, +18 % decode time, and the pass
    would be needed on nearly every large reply (a 0xF6 byte in any number's payload looks
    like a null to a byte scan). Sending keeps them apart: ``None`` is NONE, ``NULL`` is NULL.
    """
    undecoded: list[int] = []
    _decoding.undecoded = undecoded
    try:
        if len(data) < GC_PAUSE_MIN_BYTES:
            result = _loads(data, tag_hook=_decode_tag)
        else:
            with _gc_pause:
                result = _loads(data, tag_hook=_decode_tag)
    except cbor2.CBORDecodeError as error:
        if error.__cause__ is None or isinstance(error.__cause__, cbor2.CBORDecodeError):
            raise CBORDecodeFailed(f"invalid CBOR message: {error}") from error
        # cbor2 rejected the content of a tag it decodes itself (such as a malformed tag 0):
        # decode again, keeping such tags raw.
        return _decode_leniently(data)
    return result, undecoded


_loads: Final = cbor2.loads
_new_object: Final = object.__new__

# Tag 12's fast path builds a Datetime from the 10 bytes datetime pickles itself as (year in 2
# bytes, month, day, hour, minute, second, microsecond in 3), made as one int: the date's
# bits by day (cached) and the time of day's from a table. A third of the cost of computing
# the fields, and datetime.__new__ takes the state without checking them again.
_new_datetime: Final[Callable[..., Datetime]] = _dt.datetime.__new__
_UTC: Final = _dt.UTC
# The bits of each second of the day, filled by the first _date_bits call (a few ms, so not
# at import); the fast path reads it only after a cache hit, so always filled.
_TIME_OF_DAY_BITS: Final = array.array("Q")
_time_of_day_lock: Final = threading.Lock()
_date_bits_by_day: Final[dict[int, int]] = {}
_DATE_CACHE_SIZE: Final = 100_000
_EPOCH_ORDINAL: Final = _dt.date(1970, 1, 1).toordinal()


def _fill_time_of_day_bits() -> None:
    with _time_of_day_lock:
        if _TIME_OF_DAY_BITS:
            return
        seconds = [second << 24 for second in range(60)]
        for hour in range(24):
            for minute in range(60):
                base = (hour << 16 | minute << 8) << 24
                _TIME_OF_DAY_BITS.extend([base | second for second in seconds])


def _date_bits(days: int) -> int:
    """The year, month and day bits of the datetime state of a day counted from the epoch,
    cached; 0 outside Python's years 1 to 9999."""
    if not _TIME_OF_DAY_BITS:
        _fill_time_of_day_bits()
    try:
        date = _dt.date.fromordinal(days + _EPOCH_ORDINAL)
    except (ValueError, OverflowError):
        return 0
    if len(_date_bits_by_day) >= _DATE_CACHE_SIZE:
        _date_bits_by_day.clear()
    bits = date.year << 64 | date.month << 56 | date.day << 48
    _date_bits_by_day[days] = bits
    return bits


class _DecodingState(threading.local):
    """Per thread: where ``_decode_tag`` lists the tags it could not decode.

    A module-level hook with a per-thread list costs less per message than a closure built
    for each ``decode`` call, and a hook never runs in another thread than its ``decode``.
    """

    undecoded: list[int]


_decoding: Final = _DecodingState()


def _decode_tag(tag: cbor2.CBORTag, immutable: bool) -> Any:
    """cbor2's ``tag_hook``: the value of one SurrealDB tag, or the tag itself (listed)."""
    number = tag.tag
    # Literal tag numbers on the fast paths: a global lookup per tag shows in the profile.
    if number == 8:  # TAG_RECORD_ID
        value = tag.value
        if type(value) is tuple:
            try:
                table, key = value
            except ValueError:  # not a pair: malformed, and listed below
                table = key = None
            if type(table) is str and (type(key) is str or type(key) is int):
                # What RecordID._trusted does, inline: one call less per row.
                record = _new_object(RecordID)
                record._table = table
                record._id = key
                return record
    elif number == 6:  # TAG_NONE: every statement of a query reply has a NONE "type"
        return None
    elif number == 12:  # TAG_DATETIME
        value = tag.value
        if type(value) is tuple and len(value) == 2:
            seconds, nanoseconds = value
            if type(seconds) is int and type(nanoseconds) is int and 0 <= nanoseconds < 10**9:
                days, second_of_day = divmod(seconds, 86_400)
                date_bits = _date_bits_by_day.get(days) or _date_bits(days)
                if date_bits:  # else a year Python cannot hold: see _decode_datetime
                    state = date_bits | _TIME_OF_DAY_BITS[second_of_day] | nanoseconds // 1000
                    moment = _new_datetime(Datetime, state.to_bytes(10), _UTC)
                    moment._seconds = seconds
                    moment._nanoseconds = nanoseconds
                    return moment
    decoder = _TAG_DECODERS.get(number)
    if decoder is not None:
        try:
            return decoder(tag.value)
        except Exception:  # malformed content: keep the tag as it is
            pass
    _decoding.undecoded.append(number)
    return tag


GC_PAUSE_MIN_BYTES: Final = 64 * 1024
"""Messages at least this large are decoded with the cyclic garbage collector paused."""


class _GcPause:
    """Pauses the cyclic GC while a large message is decoded, safely across threads.

    A decoded message is a tree of new containers with no reference cycles, so a collection
    during decoding finds nothing to free; yet decoding 2,000 rows allocates enough objects
    to trigger a dozen collections, 15-25% of the decode time. The first decoder to enter
    disables the GC and the last to leave re-enables it, and only if it was enabled before:
    an application that disabled it keeps it disabled. Entering costs a lock, so small
    messages skip it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decoders = 0
        self._reenable = False

    def __enter__(self) -> None:
        with self._lock:
            if self._decoders == 0:
                self._reenable = gc.isenabled()
                gc.disable()
            self._decoders += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._decoders -= 1
            if self._decoders == 0 and self._reenable:
                gc.enable()


_gc_pause: Final = _GcPause()


def _decode_leniently(data: bytes) -> tuple[Any, list[int]]:
    """Slow path of ``decode``: semantic tags whose content does not fit stay as ``CBORTag``."""
    undecoded: list[int] = []

    def decode_tag(tag: cbor2.CBORTag, immutable: bool) -> Any:
        decoder = _TAG_DECODERS.get(tag.tag)
        if decoder is not None:
            try:
                return decoder(tag.value)
            except Exception:
                pass
        undecoded.append(tag.tag)
        return tag

    def lenient(tag: int, decoder: _SemanticDecoder) -> _SemanticDecoder:
        def decode_or_keep(value: Any, immutable: bool) -> Any:
            try:
                return decoder(value, immutable)
            except Exception:
                undecoded.append(tag)
                return cbor2.CBORTag(tag, value)

        return decode_or_keep

    decoders = {tag: lenient(tag, decoder) for tag, decoder in _SEMANTIC_DECODERS.items()}
    try:
        result = cbor2.loads(data, semantic_decoders=decoders, tag_hook=decode_tag)
    except cbor2.CBORDecodeError as error:
        raise CBORDecodeFailed(f"invalid CBOR message: {error}") from error
    return result, undecoded
