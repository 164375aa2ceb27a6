"""Call shapes of the official `surrealdb` 2.0.0 SDK, used the official way against the real
engine (sync and async; WebSocket, HTTP and embedded where the fixtures give them).

Each test writes the code as a user of the official SDK would; our own spellings are tested
elsewhere and stay the primary API.
"""

from __future__ import annotations

import pickle

import pytest

from surrealdb import RecordID, Table
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection

# --------------------------------------------------------------------------------------------
# RecordID(table_name=..., identifier=...), .table_name, .identifier, Table.table_name
# --------------------------------------------------------------------------------------------


def test_record_id_official_keywords_build_the_same_value() -> None:
    official = RecordID(table_name="user", identifier="tobie")
    assert official == RecordID("user", "tobie")
    assert hash(official) == hash(RecordID("user", "tobie"))
    assert repr(official) == "RecordID('user', 'tobie')"
    assert str(official) == "user:tobie"
    assert official.table_name == official.table == "user"
    assert official.identifier == official.id == "tobie"
    assert pickle.loads(pickle.dumps(official)) == official
    assert RecordID(table_name=Table("user"), identifier=1) == RecordID("user", 1)
    assert RecordID(table="user", id=[1, "a"]) == RecordID("user", [1, "a"])


def test_record_id_official_properties_are_read_only() -> None:
    record = RecordID("user", 1)
    with pytest.raises(AttributeError):
        record.table_name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.identifier = 2  # type: ignore[misc]


def test_record_id_refuses_a_part_given_twice_or_missing() -> None:
    with pytest.raises(TypeError, match="both table and table_name"):
        RecordID("user", table_name="user", identifier=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="both id and identifier"):
        RecordID(table_name="user", id=1, identifier=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="record id must be"):
        RecordID(table_name="user")  # type: ignore[call-overload]


def test_table_official_table_name() -> None:
    assert Table("user").table_name == "user"


def test_record_ids_from_the_engine_have_the_official_attributes(
    db: BlockingSurrealConnection,
) -> None:
    created = db.create(RecordID(table_name="user", identifier="tobie"), {"name": "Tobie"})
    assert created["id"].table_name == "user"
    assert created["id"].identifier == "tobie"
    assert db.select(RecordID(table_name="user", identifier="tobie")) == created


async def test_record_ids_from_the_engine_have_the_official_attributes_async(
    adb: AsyncSurrealConnection,
) -> None:
    created = await adb.create(RecordID(table_name="user", identifier=7), {"n": 1})
    assert created["id"].table_name == "user"
    assert created["id"].identifier == 7
    assert await adb.select(RecordID(table_name="user", identifier=7)) == created
