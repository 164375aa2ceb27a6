"""Unit tests for surrealdb.cbor: exact wire bytes, decoding of server shapes, errors."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as _dt
import datetime as dt
import enum
import fractions
import gc
import ipaddress
import math
import subprocess
import sys
import textwrap
import threading
import uuid
from decimal import Decimal
from typing import Any

import cbor2
import msgspec
import pytest
from cbor2 import CBORTag

from surrealdb import cbor as cbor_module
from surrealdb.cbor import CBORDecodeFailed, UnencodableValueError, decode, encode
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
    Range,
    RecordID,
    SurrealSet,
    Table,
)

P1, P2, P3 = GeometryPoint(0, 0), GeometryPoint(1, 0), GeometryPoint(1, 1)
LINE = GeometryLine((P1, P2))
RING = GeometryLine((P1, P2, P3, P1))
POLYGON = GeometryPolygon((RING,))
UUID = uuid.UUID("0190d1e4-1b1e-7c4a-8f3e-1234567890ab")


def wire(value: object) -> Any:
    """What cbor2 itself decodes our bytes to: raw tags, for building expected shapes."""
    return cbor2.loads(encode(value))


def assert_encodes_as(value: object, expected: object) -> None:
    """Our bytes must be exactly what cbor2 produces for the hand-tagged expected value."""
    assert encode(value) == cbor2.dumps(expected)


def only(data: bytes) -> Any:
    """Decode and insist that every tag was understood."""
    value, undecoded = decode(data)
    assert undecoded == []
    return value


# -- encoding: exact wire shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, CBORTag(6, None)),
        (NULL, None),
        (Table("user"), CBORTag(7, "user")),
        (RecordID("user", "john"), CBORTag(8, ["user", "john"])),
        (RecordID("user", 1), CBORTag(8, ["user", 1])),
        (RecordID("user", [1, "a"]), CBORTag(8, ["user", [1, "a"]])),
        (RecordID("user", {"a": 1}), CBORTag(8, ["user", {"a": 1}])),
        (RecordID("user", UUID), CBORTag(8, ["user", UUID])),
        (UUID, UUID),
        (Decimal("1.50"), CBORTag(10, "1.50")),
        (Datetime(1704164645, 123456789), CBORTag(12, [1704164645, 123456789])),
        (Datetime(0), CBORTag(12, [0, 0])),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 6), CBORTag(12, [1704164645, 6000])),
        (
            dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            CBORTag(12, [1704164645, 0]),
        ),
        (Duration.parse(3900), CBORTag(14, [3900, 0])),
        (dt.timedelta(hours=1, microseconds=5), CBORTag(14, [3600, 5000])),
        ({1, 2}, CBORTag(56, [1, 2])),
        (frozenset({"a"}), CBORTag(56, ["a"])),
        (SurrealSet([{"a": 1}]), CBORTag(56, [{"a": 1}])),
        (
            Range(BoundIncluded(1), BoundExcluded(5)),
            CBORTag(49, [CBORTag(50, 1), CBORTag(51, 5)]),
        ),
        (Range(None, BoundIncluded("z")), CBORTag(49, [None, CBORTag(50, "z")])),
        (File("bucket", "/a/b"), CBORTag(55, ["bucket", "/a/b"])),
        (P2, CBORTag(88, [1.0, 0.0])),
        (LINE, CBORTag(89, [CBORTag(88, [0.0, 0.0]), CBORTag(88, [1.0, 0.0])])),
        (POLYGON, CBORTag(90, [CBORTag(89, [CBORTag(88, [p.x, p.y]) for p in RING.points])])),
        (GeometryMultiPoint((P1,)), CBORTag(91, [CBORTag(88, [0.0, 0.0])])),
        (GeometryMultiLine((LINE,)), CBORTag(92, [wire(LINE)])),
        (GeometryMultiPolygon((POLYGON,)), CBORTag(93, [wire(POLYGON)])),
        (GeometryCollection((P1, LINE)), CBORTag(94, [wire(P1), wire(LINE)])),
        (
            [None, NULL, {"a": None, "b": NULL}],
            [CBORTag(6, None), None, {"a": CBORTag(6, None), "b": None}],
        ),
        ((1, "x", b"\x00"), [1, "x", b"\x00"]),
    ],
)
def test_encode_wire_shape(value: object, expected: object) -> None:
    assert_encodes_as(value, expected)


def test_encode_bytes_match_cbor2_for_tags() -> None:
    # Raw tag heads are written by hand: they must be byte-identical to cbor2's own output.
    value = [RecordID("user", "x"), Datetime(5, 6), Duration.parse(7), NONE, Decimal(1), P1]
    expected = [
        CBORTag(8, ("user", "x")),
        CBORTag(12, (5, 6)),
        CBORTag(14, (7, 0)),
        CBORTag(6, None),
        CBORTag(10, "1"),
        CBORTag(88, (0.0, 0.0)),
    ]
    assert encode(value) == cbor2.dumps(expected)


def test_encode_floats_including_nan_and_infinity() -> None:
    decoded = only(encode([1.5, math.inf, -math.inf, math.nan]))
    assert decoded[:3] == [1.5, math.inf, -math.inf]
    assert math.isnan(decoded[3])


def test_encode_msgspec_structs_and_dataclasses_as_maps() -> None:
    class Person(msgspec.Struct, rename="camel"):
        first_name: str
        born: Datetime
        nick: str | msgspec.UnsetType = msgspec.UNSET

    @dataclasses.dataclass
    class Pet:
        name: str
        owner: RecordID
        person: Person

    pet = Pet("rex", RecordID("person", 1), Person("ann", Datetime(5)))
    expected = {
        "name": "rex",
        "owner": CBORTag(8, ["person", 1]),
        "person": {"firstName": "ann", "born": CBORTag(12, [5, 0])},
    }
    assert_encodes_as(pet, expected)
    assert_encodes_as(pet, expected)  # second time through the cached hook


def test_encode_subclasses_of_known_types() -> None:
    class MyRecordID(RecordID):
        pass

    class MyDecimal(Decimal):
        pass

    expected = [CBORTag(8, ["a", 1]), CBORTag(10, "2.5")]
    assert_encodes_as([MyRecordID("a", 1), MyDecimal("2.5")], expected)


# -- encoding: the fast path for plain data --------------------------------------------------


def exact_path(value: object) -> bytes:
    """What the exact (slower) path writes: cbor2 with every type looked up in our encoders."""
    return cbor2.dumps(value, encoders=cbor_module._ENCODERS, default=cbor_module._encode_other)


class Colour(enum.IntEnum):
    RED = 1


class Tags(dict[str, Any]):
    pass


def test_plain_requests_take_the_fast_path() -> None:
    rows = [{"i": i, "name": f"u{i}", "tags": ["a", "b"], "at": Datetime(i)} for i in range(3)]
    request = {"id": 1, "method": "insert", "params": [Table("t"), rows]}
    assert cbor_module._is_plain(request, 0)
    assert cbor_module._is_plain([RecordID("t", "x"), RecordID("t", [1, UUID]), NULL], 0)
    assert cbor_module._is_plain(CBORTag(7, "t"), 0)
    assert encode(request) == exact_path(request)


def test_none_takes_the_exact_path_as_none() -> None:
    # cbor2's fast path writes None as null; None is NONE, which only the exact path writes.
    assert not cbor_module._is_plain({"a": None}, 0)
    assert not cbor_module._is_plain([1, [None]], 0)
    assert encode({"a": None}) == cbor2.dumps({"a": CBORTag(6, None)})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2024, 1, 2, 3, 4, 5, 6), CBORTag(12, [1704164645, 6000])),
        (Decimal("1.50"), CBORTag(10, "1.50")),
        (Decimal("1E-7"), CBORTag(10, "0.0000001")),
        (Decimal("1E+3"), CBORTag(10, "1000")),
        ({1, 2}, CBORTag(56, [1, 2])),
        (frozenset({"a"}), CBORTag(56, ["a"])),
        (SurrealSet([{"a": 1}]), CBORTag(56, [{"a": 1}])),
        (dt.timedelta(hours=1), CBORTag(14, [3600, 0])),
        (Range(BoundIncluded(1), None), CBORTag(49, [CBORTag(50, 1), None])),
        (
            RecordID("t", [dt.datetime(1970, 1, 1, 0, 0, 1)]),
            CBORTag(8, ["t", [CBORTag(12, [1, 0])]]),
        ),
        (CBORTag(99, [Decimal(1)]), CBORTag(99, [CBORTag(10, "1")])),
        (Colour.RED, 1),
        (Tags(a=Decimal(2)), {"a": CBORTag(10, "2")}),
    ],
)
def test_values_cbor2_encodes_its_own_way_keep_surreal_tags_deep_inside_plain_data(
    value: object, expected: object
) -> None:
    # cbor2's fast path would write a datetime as tag 0, a Decimal as tag 4, a set as tag 258:
    # such values, wherever they sit, take the exact path (where a Decimal is written in
    # positional notation: the server refuses "1E-7").
    request = {"id": 1, "method": "create", "params": [Table("t"), {"rows": [{"v": value}]}]}
    assert not cbor_module._is_plain(request, 0)
    expected_request = {
        "id": 1,
        "method": "create",
        "params": [CBORTag(7, "t"), {"rows": [{"v": expected}]}],
    }
    assert encode(request) == cbor2.dumps(expected_request)


def test_deeply_nested_plain_data_is_encoded_exactly() -> None:
    value: Any = "leaf"
    for _ in range(200):
        value = [value, {"k": Datetime(1)}]
    assert not cbor_module._is_plain(value, 0)  # too deep to check: the exact path
    assert encode(value) == exact_path(value)
    assert only(encode(value)) == value


class Key(enum.StrEnum):
    NAME = "name"


def test_string_subclass_keys_take_the_exact_path() -> None:
    value = {Key.NAME: 1, "s": [2]}
    assert not cbor_module._is_plain(value, 0)
    assert encode(value) == exact_path(value) == cbor2.dumps({"name": 1, "s": [2]})


# -- encoding: errors ------------------------------------------------------------------------


def test_unencodable_value_reports_type_and_path() -> None:
    request = {"id": 1, "method": "query", "params": ["RETURN $x", {"tags": [1, 2, object()]}]}
    with pytest.raises(UnencodableValueError) as caught:
        encode(request)
    error = caught.value
    assert isinstance(error, TypeError)
    assert error.path == "params[1]['tags'][2]"
    assert error.value_type is object
    assert str(error).startswith(
        "cannot encode value of type 'object' at params[1]['tags'][2]: SurrealDB values are"
    )


@pytest.mark.parametrize(
    ("value", "path", "value_type"),
    [
        (object(), "value", object),
        ([1, dt.date(2024, 1, 1)], "value[1]", dt.date),
        ([dt.time(1, 2)], "value[0]", dt.time),
        ({"a": fractions.Fraction(1, 3)}, "a", fractions.Fraction),
        ({"ip": ipaddress.ip_address("127.0.0.1")}, "ip", ipaddress.IPv4Address),
        ({"c": [1j]}, "c[0]", complex),
        ({"m": memoryview(b"ab")}, "m", memoryview),
        ({(1, object()): 1}, "value[<key (1, <object>)>]", tuple),
        ([RecordID("a", [object()])], "value[0].id[0]", object),
        ([Range(BoundIncluded(object()), None)], "value[0].begin.value", object),
    ],
)
def test_unencodable_paths(value: object, path: str, value_type: type) -> None:
    with pytest.raises(UnencodableValueError) as caught:
        encode(value)
    if "<object>" in path:  # the key's repr holds an address; compare its shape only
        assert caught.value.path.startswith("value[<key (1, <object object at ")
    else:
        assert caught.value.path == path
        assert caught.value.value_type is value_type


def test_cyclic_value_is_reported() -> None:
    items: list[Any] = [1]
    items.append(items)
    with pytest.raises(UnencodableValueError, match=r"at x\[1\]: the value contains itself"):
        encode({"x": items})


# -- decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (CBORTag(6, None), NONE),
        (CBORTag(7, "user"), Table("user")),
        (CBORTag(8, ["user", "john"]), RecordID("user", "john")),
        (CBORTag(8, ["user", 1]), RecordID("user", 1)),
        (CBORTag(8, ["user", UUID]), RecordID("user", UUID)),
        (CBORTag(8, ["user", CBORTag(9, str(UUID))]), RecordID("user", UUID)),
        (CBORTag(9, str(UUID)), UUID),
        (CBORTag(37, UUID.bytes), UUID),
        (CBORTag(10, "1.2345678901234567890123456789"), Decimal("1.2345678901234567890123456789")),
        (CBORTag(12, [1704164645, 123456789]), Datetime(1704164645, 123456789)),
        (CBORTag(12, [5]), Datetime(5)),
        (CBORTag(12, []), Datetime(0)),
        (CBORTag(12, [-1, 500000000]), Datetime(-1, 500000000)),
        (CBORTag(13, "1h5m"), Duration.parse(3900)),
        (CBORTag(14, [3900]), Duration.parse(3900)),
        (CBORTag(14, []), Duration.parse(0)),
        (CBORTag(14, [0, 1]), Duration.parse(0, 1)),
        (CBORTag(49, [CBORTag(50, 1), CBORTag(51, 5)]), Range(BoundIncluded(1), BoundExcluded(5))),
        (CBORTag(49, [None, None]), Range(None, None)),
        (CBORTag(49, [CBORTag(6, None), CBORTag(50, [1])]), Range(None, BoundIncluded([1]))),
        (CBORTag(55, ["bucket", "/k"]), File("bucket", "/k")),
        (CBORTag(56, [1, 2]), {1, 2}),
        (CBORTag(88, [1.5, 2.0]), GeometryPoint(1.5, 2.0)),
        (CBORTag(89, [CBORTag(88, [0, 0]), CBORTag(88, [1, 0])]), LINE),
        (CBORTag(94, [CBORTag(88, [0, 0]), wire(LINE)]), GeometryCollection((P1, LINE))),
    ],
)
def test_decode_server_shapes(tag: CBORTag, expected: object) -> None:
    decoded = only(cbor2.dumps(tag))
    assert decoded == expected
    assert type(decoded) is type(expected)


def test_decode_nested_record_ids_use_lists_and_dicts() -> None:
    decoded = only(cbor2.dumps(CBORTag(8, ["t", [1, {"a": [2, CBORTag(56, [[3]])]}]])))
    assert isinstance(decoded, RecordID)
    assert decoded.id == [1, {"a": [2, SurrealSet([[3]])]}]
    assert type(decoded.id) is list
    assert type(decoded.id[1]) is dict
    assert type(decoded.id[1]["a"]) is list
    assert type(decoded.id[1]["a"][1]) is SurrealSet
    assert hash(decoded) == hash(RecordID("t", [1, {"a": [2, SurrealSet([[3]])]}]))


def test_decode_record_range_id() -> None:
    data = cbor2.dumps(CBORTag(8, ["t", CBORTag(49, [CBORTag(50, [1]), None])]))
    decoded = only(data)
    assert decoded == RecordID("t", Range(BoundIncluded([1]), None))
    assert isinstance(decoded.id, Range) and decoded.id.begin is not None
    assert type(decoded.id.begin.value) is list


def test_decode_set_with_unhashable_elements_keeps_a_list() -> None:
    decoded = only(cbor2.dumps(CBORTag(56, [{"a": 1}, [2]])))
    assert type(decoded) is SurrealSet
    assert decoded == [{"a": 1}, [2]]
    assert encode(decoded) == cbor2.dumps(CBORTag(56, [{"a": 1}, [2]]))


def test_decode_reads_none_and_null_as_none() -> None:
    # As the official SDK does: telling them apart would cost a second pass (see decode).
    data = cbor2.dumps([CBORTag(6, None), None, {"a": CBORTag(6, None), "b": None}])
    assert only(data) == [None, None, {"a": None, "b": None}]
    record = only(cbor2.dumps(CBORTag(8, ["t", [1, None, CBORTag(6, None)]])))
    assert record == RecordID("t", [1, None, None])


def test_decode_unknown_tag_keeps_the_message() -> None:
    data = cbor2.dumps({"id": 7, "result": [1, CBORTag(999, [1, {"a": 2}]), RecordID_TAG]})
    message, undecoded = decode(data)
    assert message["id"] == 7
    assert undecoded == [999]
    assert message["result"][1] == CBORTag(999, (1, cbor2.frozendict({"a": 2})))
    assert message["result"][2] == RecordID("a", 1)


RecordID_TAG = CBORTag(8, ["a", 1])


@pytest.mark.parametrize(
    "bad",
    [
        CBORTag(12, "not a pair"),
        CBORTag(14, [1, 2, 3]),
        CBORTag(8, ["only table"]),
        CBORTag(8, [1, 2]),
        CBORTag(10, "not a number"),
        CBORTag(9, "not a uuid"),
        CBORTag(49, [1]),
        CBORTag(0, "yesterday"),
    ],
)
def test_decode_malformed_known_tag_keeps_the_message(bad: CBORTag) -> None:
    message, undecoded = decode(cbor2.dumps({"id": 3, "result": [bad, CBORTag(6, None)]}))
    assert message["id"] == 3
    assert undecoded == [bad.tag]
    assert isinstance(message["result"][0], CBORTag)
    assert message["result"][0].tag == bad.tag
    assert message["result"][1] is NONE


@pytest.mark.parametrize("data", [b"", b"\xff", b"\x82\x01", b"\xa1\x01", b"\x7f\x61"])
def test_decode_invalid_cbor_raises(data: bytes) -> None:
    with pytest.raises(CBORDecodeFailed, match="invalid CBOR message"):
        decode(data)
    assert issubclass(CBORDecodeFailed, ValueError)


# -- round trip ------------------------------------------------------------------------------

ROUND_TRIP_VALUES: list[object] = [
    None,
    NONE,
    True,
    0,
    -(2**63),
    2**63 - 1,
    1.5,
    "text ✓",
    b"\x00\xff",
    [1, [2, [3]]],
    {"a": {"b": [None, 1]}},
    UUID,
    Decimal("-1.2345678901234567890123456789"),
    Datetime(1704164645, 123456789),
    Datetime(-62135596800),
    Duration.parse(3900, 1),
    Table("user"),
    RecordID("user", "john"),
    RecordID("user", 1),
    RecordID("user", [1, "a", {"b": [Datetime(1), UUID]}]),
    RecordID("user", {"a": 1}),
    RecordID("user", UUID),
    RecordID("user", Range(BoundExcluded(1), BoundIncluded(9))),
    {1, "a", None},
    SurrealSet([{"a": 1}, {"b": 2}]),
    Range(BoundIncluded(Datetime(5)), BoundExcluded(Datetime(7))),
    Range(None, None),
    File("bucket", "/x/y"),
    P1,
    LINE,
    POLYGON,
    GeometryMultiPoint((P1, P2)),
    GeometryMultiLine((LINE, LINE)),
    GeometryMultiPolygon((POLYGON,)),
    GeometryCollection((P1, LINE, POLYGON, GeometryCollection((P2,)))),
]


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES, ids=repr)
def test_round_trip(value: object) -> None:
    decoded = only(encode(value))
    assert decoded == value
    assert type(decoded) is type(value)


def test_python_builtins_decode_to_surreal_types() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    decoded = only(encode([moment, dt.timedelta(minutes=65), (1, 2), frozenset({3})]))
    assert decoded == [Datetime.from_datetime(moment), Duration.parse(3900), [1, 2], {3}]
    assert decoded[0].to_datetime() == moment


def test_decode_tag_0_the_standard_cbor_way() -> None:
    """SurrealDB sends datetimes as tag 12; a standard tag 0 decodes as datetime.datetime
    (microseconds), leaving the fast path free of cbor2 semantic decoders."""
    message, undecoded = decode(cbor2.dumps(CBORTag(0, "2024-01-02T03:04:05.123456Z")))
    assert message == _dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=_dt.UTC)
    assert undecoded == []


# -- decoding: large messages, threads -------------------------------------------------------


def large_message(extra: object = None) -> bytes:
    """A reply of more than GC_PAUSE_MIN_BYTES: rows with record ids, like a big select."""
    rows = [{"id": CBORTag(8, ["t", i]), "name": "x" * 40, "extra": extra} for i in range(2000)]
    data = cbor2.dumps({"id": 1, "result": rows})
    assert len(data) >= cbor_module.GC_PAUSE_MIN_BYTES
    return data


def test_large_message_is_decoded_with_the_gc_paused_and_then_resumed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def spy(value: Any) -> Any:
        seen.append(gc.isenabled())
        return Decimal(value)

    monkeypatch.setitem(cbor_module._TAG_DECODERS, 10, spy)
    assert gc.isenabled()
    message = only(large_message(CBORTag(10, "1.5")))
    assert message["result"][1999] == {"id": RecordID("t", 1999), "name": "x" * 40, "extra": 1.5}
    assert seen and not any(seen)  # paused while decoding
    assert gc.isenabled()  # and resumed
    seen.clear()
    only(cbor2.dumps([CBORTag(10, "1")]))
    assert seen == [True]  # a small message leaves the GC alone


def test_gc_stays_disabled_when_the_application_disabled_it() -> None:
    gc.disable()
    try:
        only(large_message())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_is_resumed_when_a_large_message_is_invalid() -> None:
    with pytest.raises(CBORDecodeFailed):
        decode(large_message()[:-1])
    assert gc.isenabled()


def test_gc_pause_resumes_only_when_the_last_decoder_leaves() -> None:
    pause = cbor_module._GcPause()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer decoder is still decoding
    assert gc.isenabled()


def test_concurrent_decoders_in_threads() -> None:
    """Each thread gets its own undecoded tags, and the GC is on again once all are done."""
    good, unknown = large_message(), large_message(CBORTag(999, 1))
    start = threading.Barrier(8)

    def work(index: int) -> list[int]:
        start.wait()
        found: list[int] = []
        for _ in range(5):
            message, undecoded = decode(unknown if index % 2 else good)
            assert message["result"][5]["id"] == RecordID("t", 5)
            found.extend(undecoded)
        return found

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for index, found in enumerate(results):
        assert found == ([999] * 2000 * 5 if index % 2 else [])
    assert gc.isenabled()


def test_undecoded_tags_do_not_carry_over_to_the_next_message() -> None:
    assert decode(cbor2.dumps(CBORTag(999, 1)))[1] == [999]
    assert decode(cbor2.dumps(CBORTag(7, "t")))[1] == []


def test_decoded_datetimes_are_independent_and_behave_like_constructed_ones() -> None:
    first, second = only(cbor2.dumps([CBORTag(12, [5, 6]), CBORTag(12, [-7, 999_999_999])]))
    assert (first, second) == (Datetime(5, 6), Datetime(-7, 999_999_999))
    assert hash(first) == hash(Datetime(5, 6)) and second < first
    assert type(first) is Datetime and first is not second
    assert (first.seconds, first.nanoseconds, first.nanosecond) == (5, 6, 6)
    assert first.isoformat() == Datetime(5, 6).isoformat() == "1970-01-01T00:00:05.000000006+00:00"
    assert only(cbor2.dumps(CBORTag(12, [0, 0]))) == Datetime(0)


# -- encoding: values the server cannot read are refused before sending ----------------------

I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def query_request(value: object) -> dict[str, Any]:
    return {"id": 1, "method": "query", "params": ["RETURN $v", {"v": value}]}


def refused(value: object) -> UnencodableValueError:
    with pytest.raises(UnencodableValueError) as caught:
        encode(value)
    return caught.value


@pytest.mark.parametrize(
    "number", [I64_MAX + 1, 2**64 - 1, I64_MIN - 1, 2**64, -(2**64) - 1, 2**200]
)
@pytest.mark.parametrize(
    ("wrap", "path"),
    [
        (lambda n: n, "value"),
        (lambda n: query_request({"balance": n}), "params[1]['v']['balance']"),
        (lambda n: query_request([1, [2, n]]), "params[1]['v'][1][1]"),
        (lambda n: query_request({"at": Datetime(0), "n": n}), "params[1]['v']['n']"),
        (lambda n: [RecordID("t", n)], "value[0].id"),
        (lambda n: {"s": {n}}, "s[0]"),
    ],
    ids=["alone", "fast path", "in a list", "exact path", "record id", "set"],
)
def test_integers_outside_the_servers_64_bit_range_are_refused(
    number: int, wrap: Any, path: str
) -> None:
    # The engine casts CBOR integers to i64: 2**64 - 1 would be stored as -1.
    error = refused(wrap(number))
    assert error.path == path
    assert error.value_type is int
    assert "from -2**63 to 2**63 - 1" in str(error)
    assert "decimal.Decimal" in str(error)


class Big(enum.IntEnum):
    HUGE = 2**64


def test_integer_subclasses_are_range_checked_too() -> None:
    assert refused({"e": Big.HUGE}).path == "e"


@pytest.mark.parametrize("number", [I64_MIN, I64_MAX, 0, -1, True, False])
def test_integers_at_the_bounds_and_bools_still_encode(number: int) -> None:
    for value in ({"n": number}, {"n": number, "at": Datetime(0)}):
        assert encode(value) == cbor2.dumps(
            {key: CBORTag(12, [0, 0]) if key == "at" else item for key, item in value.items()}
        )
        assert only(encode(value)) == value
    assert type(only(encode([True]))[0]) is bool


@pytest.mark.parametrize("text", ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_decimals_are_refused(text: str) -> None:
    error = refused(query_request({"price": Decimal(text)}))
    assert error.path == "params[1]['v']['price']"
    assert error.value_type is Decimal
    assert "finite" in str(error)


@pytest.mark.parametrize("number", [Decimal(2**96), -Decimal(2**96), Decimal("1E+29")])
def test_decimals_beyond_the_servers_range_are_refused(number: Decimal) -> None:
    assert "2**96 - 1" in str(refused({"d": [number]}))


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal(2**96 - 1), "79228162514264337593543950335"),
        (Decimal(-(2**96 - 1)), "-79228162514264337593543950335"),
        (Decimal("1E+28"), "10000000000000000000000000000"),
        (Decimal("0.0000001"), "0.0000001"),
        (Decimal("-0"), "-0"),
        (Decimal("1.50"), "1.50"),
    ],
)
def test_decimals_are_written_in_positional_notation(number: Decimal, text: str) -> None:
    assert encode({"d": number}) == cbor2.dumps({"d": CBORTag(10, text)})


@pytest.mark.parametrize(
    "key", [1, -1, True, None, 1.5, (1, 2), b"k", UUID, Table("t"), RecordID("t", 1)]
)
def test_map_keys_that_are_not_strings_are_refused(key: object) -> None:
    # The engine reads an object key only as a string ("Expected object key to be a string").
    error = refused(query_request([{"ok": 1}, {"a": 1, key: 2}]))
    assert error.path == f"params[1]['v'][1][<key {key!r}>]"
    assert error.value_type is type(key)
    assert "keys are strings" in str(error)


def test_map_keys_are_checked_inside_our_types_and_dict_subclasses() -> None:
    assert refused([RecordID("t", [{1: "a"}])]).path == "value[0].id[0][<key 1>]"
    assert refused(Tags({"a": {2: 1}})).path == "a[<key 2>]"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("\ud800", "value"),
        ({"name": "ok \udfff"}, "name"),
        ({"at": Datetime(0), "tags": ["a", "\udc00b"]}, "tags[1]"),
        ({"m": {"\ud800": 1}}, "m[<key '\\ud800'>]"),
        ([RecordID("t", "\ud800")], "value[0].id"),
    ],
)
def test_strings_that_are_not_valid_unicode_are_refused(value: object, path: str) -> None:
    error = refused(value)
    assert error.path == path
    assert error.value_type is str
    assert "lone surrogate U+D" in str(error)


def nested_lists(levels: int, leaf: object = 1) -> Any:
    value: Any = leaf
    for _ in range(levels):
        value = [value]
    return value


# A query request puts its variables three levels deep: the request map, params, the map.
REQUEST_LEVELS = 3


def test_nesting_up_to_the_servers_limit_is_encoded() -> None:
    value = query_request(nested_lists(cbor_module.MAX_NESTING - REQUEST_LEVELS))
    assert cbor2.loads(encode(value)) == value


@pytest.mark.parametrize(
    ("levels", "leaf"),
    [
        (cbor_module.MAX_NESTING - REQUEST_LEVELS + 1, 1),
        (cbor_module.MAX_NESTING - REQUEST_LEVELS, Decimal(1)),  # a tag is a level
        (cbor_module.MAX_NESTING - REQUEST_LEVELS - 1, Datetime(0)),  # a tag and an array
        (cbor_module.MAX_NESTING - REQUEST_LEVELS, NONE),
        (cbor_module.MAX_NESTING - REQUEST_LEVELS - 1, RecordID("t", 1)),
        (cbor_module.MAX_NESTING - REQUEST_LEVELS - 2, RecordID("t", [1])),
        (1_000, "x"),
    ],
)
def test_nesting_beyond_the_servers_limit_is_refused(levels: int, leaf: object) -> None:
    error = refused(query_request(nested_lists(levels, leaf)))
    assert f"deeper than the {cbor_module.MAX_NESTING} levels" in str(error)
    assert error.path.startswith("params[1]['v'][0][0][0][0][0]...<")  # abbreviated
    assert " more>...[0]" in error.path
    # The first value past the limit: the leaf if its own tag is, else an enclosing list.
    assert error.value_type in (type(leaf), list)


@pytest.mark.parametrize("leaf", [1, Decimal(1), Datetime(0), NONE, RecordID("t", 1)])
def test_the_deepest_accepted_nesting_holds_for_every_kind_of_leaf(leaf: object) -> None:
    levels = {Datetime: 2, RecordID: 2}.get(type(leaf), 1 if type(leaf) is not int else 0)
    value = query_request(nested_lists(cbor_module.MAX_NESTING - REQUEST_LEVELS - levels, leaf))
    assert only(encode(value)) == value


def test_tags_and_record_ids_count_towards_the_limit() -> None:
    rid: Any = 1
    for _ in range(84):  # 3 levels each: 3 + 3 * 84 = 255
        rid = RecordID("t", [rid])
    encode(query_request(rid))
    assert "deeper than" in str(refused(query_request(RecordID("t", [rid]))))
    tagged: Any = 1
    for _ in range(126):  # a set is a tag around an array: 3 + 2 * 126 = 255
        tagged = CBORTag(56, [tagged])
    encode(query_request(tagged))
    assert "deeper than" in str(refused(query_request(CBORTag(56, [tagged]))))
    assert "deeper than" in str(refused(query_request({"s": {frozenset([1])}, "t": [tagged]})))


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter: a crash (a segfault) fails the test, not pytest."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("levels", [10_000, 1_000_000])
def test_very_deep_values_are_refused_without_crashing_the_interpreter(levels: int) -> None:
    # cbor2's exact path recursed in C: about 10,000 levels killed the process (exit 139).
    result = run_python(
        f"""
        import datetime
        from cbor2 import CBORTag
        from surrealdb.cbor import UnencodableValueError, encode
        from surrealdb.values import RecordID
        for kind in ("list", "dict", "tag", "record id", "with a datetime"):
            value = 1
            # cbor2 itself crashes freeing a CBORTag chain 100,000 deep: keep that one shorter.
            for _ in range(10_000 if kind == "tag" else {levels}):
                if kind == "list":
                    value = [value]
                elif kind == "dict":
                    value = {{"k": value}}
                elif kind == "tag":
                    value = CBORTag(99, value)
                elif kind == "record id":
                    value = RecordID("t", [value])
                else:
                    value = [value, datetime.datetime(2024, 1, 1)]
            try:
                encode({{"id": 1, "method": "query", "params": ["RETURN $v", {{"v": value}}]}})
            except UnencodableValueError as error:
                assert "deeper than" in str(error), error
                print(kind, error.path)
            else:
                raise AssertionError(kind + " was encoded")
        print(encode({{"id": 2}}).hex())
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("list params[1]['v'][0][0]")
    assert lines[1].startswith("dict params[1]['v']['k']['k']")
    assert lines[-1] == cbor2.dumps({"id": 2}).hex()
