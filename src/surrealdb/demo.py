"""The demo behind `python -m surrealdb demo`: the main job of the client, step by step."""

from __future__ import annotations

import msgspec

from surrealdb.errors import SurrealError
from surrealdb.factory import Surreal
from surrealdb.url import parse_url
from surrealdb.values import RecordID


class Person(msgspec.Struct):
    """A typed view of the demo's records."""

    id: RecordID
    name: str
    age: int


def run_demo(url: str, username: str, password: str) -> int:
    """Connect, sign in (servers only), create, select, merge and query; print each result.

    It works in the `demo` namespace and database, and starts by emptying its `person` table:
    a run interrupted before its final delete leaves records there (on a server or a
    `surrealkv://` store), which would make the next run's create fail.
    """
    try:
        with Surreal(url) as db:
            print(f"connected to {db.url} ({type(db).__name__}), server {db.version()}")
            if parse_url(url).kind != "embedded":
                db.signin({"username": username, "password": password})
                print(f"signed in as {username}")
            db.use("demo", "demo")
            db.query("DEFINE TABLE IF NOT EXISTS person SCHEMALESS; DELETE person")
            ada = db.create(RecordID("person", "ada"), {"name": "Ada", "age": 36})
            db.create("person", {"name": "Grace", "age": 45})
            print(f"created {ada['id']}: {ada}")
            people = db.select("person")
            print(f"select('person') -> {len(people)} records")
            merged = db.merge(ada["id"], {"age": 37})
            print(f"merge({ada['id']}, {{'age': 37}}) -> age {merged['age'] if merged else None}")
            rows = db.query("SELECT * FROM person WHERE age > $min ORDER BY age", {"min": 40})
            typed = msgspec.convert(rows, list[Person], from_attributes=False)
            print(f"query with $min = 40 -> {[(p.name, p.age) for p in typed]} (typed: Person)")
            db.delete("person")
            print("deleted the demo's records; done")
    except SurrealError as exc:
        print(f"demo failed: {type(exc).__name__}: {exc}")
        return 1
    return 0
