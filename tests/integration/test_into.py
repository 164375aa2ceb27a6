"""`into=`: results converted into user models, on every transport, blocking and asyncio."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TypedDict

import msgspec
import pytest

from surrealdb import ConversionError, Datetime, Duration, RecordID
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection

ADA = RecordID("person", "ada")


class Person(msgspec.Struct):
    id: RecordID
    name: str
    age: int
    born: Datetime | None = None
    tenure: Duration | None = None
    salary: Decimal | None = None


class NewPerson(msgspec.Struct):
    name: str
    age: int


@dataclasses.dataclass
class PersonRow:
    id: RecordID
    name: str
    age: int


class PersonDict(TypedDict):
    name: str
    age: int


BORN = Datetime(-4_733_481_600, 123_456_789)


def seed(db: BlockingSurrealConnection) -> None:
    db.query("DEFINE TABLE person; DEFINE TABLE knows TYPE RELATION")
    db.create(ADA, {"name": "Ada", "age": 36, "born": BORN, "tenure": Duration.parse(3600, 5)})
    db.create(RecordID("person", "grace"), {"name": "Grace", "age": 45, "salary": Decimal("1.5")})


def test_record_methods_convert_each_record(db: BlockingSurrealConnection) -> None:
    seed(db)
    ada = db.select(ADA, into=Person)
    assert ada == Person(ADA, "Ada", 36, BORN, Duration.parse(3600, 5))
    assert isinstance(ada.born, Datetime) and ada.born.nanoseconds == 123_456_789
    everyone = db.select("person", into=PersonRow)
    assert sorted(p.name for p in everyone) == ["Ada", "Grace"]
    assert db.select(RecordID("person", "nobody"), into=Person) is None
    linus = db.create(RecordID("person", "linus"), NewPerson("Linus", 20), into=Person)
    assert linus == Person(RecordID("person", "linus"), "Linus", 20)
    inserted = db.insert("person", [NewPerson("Ken", 30), {"name": "Rob", "age": 31}], into=Person)
    assert sorted(p.name for p in inserted) == ["Ken", "Rob"]
    merged = db.merge(ADA, {"age": 37}, into=Person)
    assert merged is not None and merged.age == 37
    updated = db.update("person", {"name": "Anon", "age": 1}, into=PersonRow)
    assert {p.name for p in updated} == {"Anon"}
    upserted = db.upsert(RecordID("person", "new"), NewPerson("New", 2), into=Person)
    assert upserted is not None and upserted.id == RecordID("person", "new")
    edge = db.relate(ADA, "knows", RecordID("person", "grace"), {"since": 1843}, into=dict)
    assert edge["in"] == ADA
    removed = db.delete(ADA, into=PersonRow)
    assert removed is not None and removed.id == ADA


def test_query_converts_the_whole_result(db: BlockingSurrealConnection) -> None:
    seed(db)
    rows = db.query(
        "SELECT name, age FROM person WHERE age > $age ORDER BY age",
        {"age": 0},
        into=list[PersonDict],
    )
    assert rows == [{"name": "Ada", "age": 36}, {"name": "Grace", "age": 45}]
    assert db.query("RETURN 42", into=int) == 42


def test_a_mismatch_names_the_record_and_the_field(db: BlockingSurrealConnection) -> None:
    db.query("DEFINE TABLE person")
    db.create(RecordID("person", "odd"), {"name": "Odd", "age": "old"})
    with pytest.raises(ConversionError) as raised:
        db.select("person", into=Person)
    assert "person:odd" in str(raised.value)
    assert "$.age" in str(raised.value)
    assert isinstance(raised.value, TypeError)


async def test_async_record_methods_and_query_convert(adb: AsyncSurrealConnection) -> None:
    await adb.query("DEFINE TABLE person")
    await adb.create(ADA, {"name": "Ada", "age": 36, "born": BORN})
    created = await adb.create(RecordID("person", "b"), NewPerson("B", 2), into=Person)
    assert created == Person(RecordID("person", "b"), "B", 2)
    everyone = await adb.select("person", into=Person)
    assert sorted(p.name for p in everyone) == ["Ada", "B"]
    one = await adb.select(ADA, into=PersonRow)
    assert one == PersonRow(ADA, "Ada", 36)
    rows = await adb.query("SELECT name, age FROM person ORDER BY age", into=list[PersonDict])
    assert rows == [{"name": "B", "age": 2}, {"name": "Ada", "age": 36}]
