"""Values the server cannot read are refused before sending, on the real engine.

Before, each of these killed the interpreter (a list 10,000 deep), stored a different value
(2**64 - 1 as -1), or failed the whole request on the server, which over WebSocket answers
with an error that names no request. Now `cbor.encode` raises `UnencodableValueError`
naming the path, nothing reaches the server (a fake server counts the frames; on the real
engine no record is stored), and the connection stays usable. Values at the edge of what
the server reads still round-trip unchanged.
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal
from typing import Any

import pytest

from surrealdb import ProtocolError, RecordID, Surreal, UnencodableValueError
from surrealdb.cbor import MAX_NESTING
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from tests.integration.test_ws_faults import ECHO, FakeServer, well_behaved

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
PERSON = RecordID("person", "p")


def nested_lists(levels: int, leaf: object = 1) -> Any:
    value: Any = leaf
    for _ in range(levels):
        value = [value]
    return value


# (name, record content, path in the error, words of the reason)
REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("2**64 - 1", {"balance": 2**64 - 1}, "params[1]['balance']", "decimal.Decimal"),
    ("2**63", {"limit": 2**63}, "params[1]['limit']", "decimal.Decimal"),
    ("-2**63 - 1", {"debt": -(2**63) - 1}, "params[1]['debt']", "decimal.Decimal"),
    ("2**64 (a bignum)", {"n": [1, 2**64]}, "params[1]['n'][1]", "64-bit"),
    ("-2**64 - 1 (a bignum)", {"n": {"m": -(2**64) - 1}}, "params[1]['n']['m']", "64-bit"),
    ("Decimal NaN", {"d": Decimal("NaN")}, "params[1]['d']", "finite"),
    ("Decimal sNaN", {"d": Decimal("sNaN")}, "params[1]['d']", "finite"),
    ("Decimal Infinity", {"d": Decimal("Infinity")}, "params[1]['d']", "finite"),
    ("Decimal -Infinity", {"d": [Decimal("-Infinity")]}, "params[1]['d'][0]", "finite"),
    ("Decimal 2**96", {"d": Decimal(2**96)}, "params[1]['d']", "2**96 - 1"),
    ("int key", {"m": {1: "x"}}, "params[1]['m'][<key 1>]", "keys are strings"),
    ("tuple key", {"m": {(1, 2): "x"}}, "params[1]['m'][<key (1, 2)>]", "keys are strings"),
    ("bool key", {"m": [{True: "x"}]}, "params[1]['m'][0][<key True>]", "keys are strings"),
    ("lone surrogate", {"s": "\ud800"}, "params[1]['s']", "lone surrogate U+D800"),
    ("surrogate in a key", {"m": {"a\udc00": 1}}, "params[1]['m'][<key 'a\\udc00'>]", "U+DC00"),
    ("257 levels", {"v": nested_lists(MAX_NESTING - 2)}, "params[1]['v'][0][0]", "nested"),
    ("1000 levels", {"v": nested_lists(1_000)}, "params[1]['v'][0][0]", "nested deeper"),
    ("10000 levels", {"v": nested_lists(10_000)}, "params[1]['v'][0][0]", "nested deeper"),
]
REFUSED_IDS = [name for name, *_ in REFUSED]


@pytest.fixture
def people(db: BlockingSurrealConnection) -> BlockingSurrealConnection:
    db.query("DEFINE TABLE person SCHEMALESS")
    return db


@pytest.mark.parametrize(("content", "path", "reason"), [c[1:] for c in REFUSED], ids=REFUSED_IDS)
def test_unreadable_values_are_refused_and_nothing_is_stored(
    people: BlockingSurrealConnection, content: dict[str, Any], path: str, reason: str
) -> None:
    with pytest.raises(UnencodableValueError) as caught:
        people.create(PERSON, content)
    assert caught.value.path.startswith(path)
    assert reason in str(caught.value)
    assert people.select("person") == []  # nothing was stored (2**64 - 1 used to be, as -1)
    assert people.create(PERSON, {"ok": 1}) == {"id": PERSON, "ok": 1}  # still usable
    assert people.select("person") == [{"id": PERSON, "ok": 1}]


def test_a_query_variable_10000_levels_deep_is_refused(db: BlockingSurrealConnection) -> None:
    # The issue's own example: this killed the interpreter (exit 139) on every transport.
    with pytest.raises(UnencodableValueError, match=r"at params\[1\]\['v'\]\[0\]\[0\]"):
        db.query("RETURN $v", {"v": nested_lists(10_000)})
    assert db.query("RETURN 1") == 1


@pytest.mark.parametrize(("content", "path", "reason"), [c[1:] for c in REFUSED], ids=REFUSED_IDS)
def test_nothing_is_sent_for_an_unreadable_value(
    content: dict[str, Any], path: str, reason: str
) -> None:
    fake = FakeServer(well_behaved)
    try:
        with Surreal(fake.url, timeout=5.0) as db:
            assert db.run(ECHO, args=["before"]) == "before"
            sent = len(fake.requests)
            with pytest.raises(UnencodableValueError):
                db.create(PERSON, content)
            assert len(fake.requests) == sent, "something was sent"
            assert db.run(ECHO, args=["after"]) == "after"
    finally:
        fake.stop()


async def test_unreadable_values_are_refused_on_asyncio_connections(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.query("DEFINE TABLE person SCHEMALESS")
    for _, content, path, reason in REFUSED:
        with pytest.raises(UnencodableValueError) as caught:
            await adb.create(PERSON, content)
        assert caught.value.path.startswith(path)
        assert reason in str(caught.value)
    assert await adb.select("person") == []
    with pytest.raises(UnencodableValueError):
        await adb.query("RETURN $v", {"v": nested_lists(10_000)})
    assert await adb.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# What the server reads still goes through, unchanged
# --------------------------------------------------------------------------------------------


class Field(enum.StrEnum):
    NAME = "name"


ACCEPTED: list[tuple[str, Any]] = [
    ("i64 max", I64_MAX),
    ("i64 min", I64_MIN),
    ("true", True),
    ("false", False),
    ("Decimal 2**96 - 1", Decimal(2**96 - 1)),
    ("Decimal -(2**96 - 1)", Decimal(-(2**96 - 1))),
    ("Decimal 0.0000001", Decimal("0.0000001")),  # str() gives "1E-7", which 3.0.2 refused
    ("Decimal 1E+28", Decimal("1E+28")),
    ("Decimal 1.50", Decimal("1.50")),
    ("string with emoji", "snow ☃ and 🎉"),
    ("str enum key", {Field.NAME: 1}),
    ("-0.0", -0.0),
    ("infinity", math.inf),
    ("-infinity", -math.inf),
]


@pytest.mark.parametrize("value", [v for _, v in ACCEPTED], ids=[n for n, _ in ACCEPTED])
def test_values_at_the_edge_of_what_the_server_reads_round_trip(
    db: BlockingSurrealConnection, value: Any
) -> None:
    returned = db.query("RETURN $v", {"v": value})
    assert returned == value
    if isinstance(value, float):  # -0.0 stays negative
        assert math.copysign(1.0, returned) == math.copysign(1.0, value)
    assert type(returned) is (dict if isinstance(value, dict) else type(value))
    stored = db.create(PERSON, {"v": value})
    assert stored is not None
    assert stored["v"] == value


def test_float_nan_still_round_trips(db: BlockingSurrealConnection) -> None:
    assert math.isnan(db.query("RETURN $v", {"v": math.nan}))


@pytest.fixture
def networked(transport: str, db: BlockingSurrealConnection) -> BlockingSurrealConnection:
    if transport == "embedded":
        pytest.skip("the embedded engine reads 100 levels (see the test below)")
    return db


def test_the_deepest_value_the_server_reads_round_trips(
    networked: BlockingSurrealConnection,
) -> None:
    # A query request puts its variables three levels deep (request map, params, variables
    # map): 253 lists more make the MAX_NESTING (256) levels the server reads.
    value = nested_lists(MAX_NESTING - 3, "leaf")
    assert networked.query("RETURN $v", {"v": value}) == value
    with pytest.raises(UnencodableValueError):
        networked.query("RETURN $v", {"v": [value]})
    assert networked.query("RETURN 1") == 1


def test_the_embedded_engine_reads_fewer_levels_and_says_so() -> None:
    # surrealdb-embedded stops at 100 levels: deeper (up to MAX_NESTING) fails cleanly.
    with Surreal("mem://") as db:
        db.use("test", "test")
        assert db.query("RETURN $v", {"v": nested_lists(97)}) == nested_lists(97)
        with pytest.raises(ProtocolError, match="RecursionLimitExceeded"):
            db.query("RETURN $v", {"v": nested_lists(98)})
        assert db.query("RETURN 1") == 1
