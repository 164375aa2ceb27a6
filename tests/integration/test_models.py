"""`python -m surrealdb models` against the real engine: a SCHEMAFULL schema with every kind of
field, the CLI run in a subprocess, the generated file checked with mypy --strict (and ruff),
real rows converted into the models, then a schema change and reruns."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import msgspec
import pytest

from surrealdb import Datetime, Duration, GeometryPoint, RecordID, Surreal
from surrealdb.connections import BlockingSurrealConnection
from tests.server import ServerInfo

pytest.importorskip("datamodel_code_generator", reason="needs the `models` extra")

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "test"
USER, PASSWORD = "modeler", "s3cr3t-m0dels-pass"  # a database user, so the password is unique

SCHEMA = """
DEFINE USER modeler ON DATABASE PASSWORD 's3cr3t-m0dels-pass' ROLES VIEWER;
DEFINE TABLE person SCHEMAFULL COMMENT 'People we know';
DEFINE FIELD name ON person TYPE string;
DEFINE FIELD age ON person TYPE int;
DEFINE FIELD score ON person TYPE float;
DEFINE FIELD balance ON person TYPE decimal;
DEFINE FIELD active ON person TYPE bool;
DEFINE FIELD born ON person TYPE datetime;
DEFINE FIELD tenure ON person TYPE duration;
DEFINE FIELD token ON person TYPE uuid;
DEFINE FIELD nick ON person TYPE option<string>;
DEFINE FIELD tags ON person TYPE array<string>;
DEFINE FIELD scores ON person TYPE array<int, 3>;
DEFINE FIELD labels ON person TYPE set<string>;
DEFINE FIELD address ON person TYPE object;
DEFINE FIELD address.city ON person TYPE string;
DEFINE FIELD address.zip ON person TYPE option<string>;
DEFINE FIELD pets ON person TYPE array<object>;
DEFINE FIELD pets[*].name ON person TYPE string;
DEFINE FIELD pets[*].born ON person TYPE option<datetime>;
DEFINE FIELD friend ON person TYPE option<record<person>>;
DEFINE FIELD owner ON person TYPE record<person | company>;
DEFINE FIELD status ON person TYPE 'active' | 'inactive';
DEFINE FIELD level ON person TYPE 1 | 2 | 3;
DEFINE FIELD mixed ON person TYPE string | int;
DEFINE FIELD nullable ON person TYPE null | string;
DEFINE FIELD meta ON person TYPE any;
DEFINE FIELD extra ON person TYPE object FLEXIBLE;
DEFINE FIELD lit ON person TYPE { a: string, b: option<int> };
DEFINE FIELD geo ON person TYPE option<geometry<point>>;
DEFINE FIELD amount ON person TYPE number;
DEFINE FIELD `first-name` ON person TYPE option<string>;
DEFINE TABLE company SCHEMAFULL;
DEFINE FIELD name ON company TYPE string;
DEFINE FIELD founded ON company TYPE option<datetime>;
DEFINE TABLE works_at TYPE RELATION IN person OUT company SCHEMAFULL;
DEFINE FIELD since ON works_at TYPE datetime;
DEFINE FIELD period ON works_at TYPE option<duration>;
DEFINE TABLE scratch SCHEMALESS;
"""

ROWS = """
CREATE company:acme SET name = 'Acme', founded = d'1999-12-31T23:59:59.123456789Z';
CREATE person:ada CONTENT {
    name: 'Ada', age: 36, score: 1.5, balance: 12.50dec, active: true,
    born: d'2020-01-01T00:00:00.123456789Z', tenure: 1h5m3ns,
    token: u'0190d6a8-0000-7000-8000-000000000000', tags: ['a', 'b'], scores: [1, 2, 3],
    labels: <set>['x', 'y'], address: { city: 'Paris' },
    pets: [{ name: 'Rex', born: d'2019-05-05T00:00:00Z' }, { name: 'Tom' }],
    owner: company:acme, status: 'active', level: 2, mixed: 5, nullable: NULL,
    meta: { any: ['thing', 1] }, extra: { free: 'form' }, lit: { a: 'x' },
    geo: (1.5, 2.5), amount: 3.25dec, `first-name`: 'Augusta'
};
CREATE person:bob CONTENT {
    name: 'Bob', age: 1, score: 2, balance: 0dec, active: false, born: time::now(),
    tenure: 0ns, token: rand::uuid::v7(), tags: [], scores: [4, 5, 6], labels: <set>[],
    address: { city: 'Oslo', zip: '0150' }, pets: [], friend: person:ada, owner: person:ada,
    status: 'inactive', level: 3, mixed: 'five', nullable: 'set', extra: {},
    lit: { a: 'y', b: 2 }, amount: 7
};
RELATE person:ada->works_at->company:acme SET since = d'2021-01-01T00:00:00Z', period = 2w;
"""

_M = TypeVar("_M", bound=msgspec.Struct)


def rows_into(rows: list[dict[str, Any]], model: type[_M]) -> list[_M]:
    """Rows as models; switch to `db.select(table, into=model)` once `into=` exists."""
    return msgspec.convert(rows, list[model], strict=False)  # type: ignore[valid-type]


@pytest.fixture
def schema_db(server: ServerInfo, database_name: str) -> Iterator[BlockingSurrealConnection]:
    """A root connection to a fresh database holding SCHEMA."""
    with Surreal(server.ws_url) as db:
        db.signin({"username": server.username, "password": server.password})
        db.use(NAMESPACE, database_name)
        db.query(SCHEMA)
        yield db


def run_cli(
    url: str, database: str, *extra: str, user: str = USER, password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    """`python -m surrealdb models` in a subprocess; credentials come from the environment."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "SURREALDB_USER": user,
        "SURREALDB_PASS": password,
    }
    command = [sys.executable, "-m", "surrealdb", "models", "--url", url]
    return subprocess.run(
        [*command, "--ns", NAMESPACE, "--db", database, *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load(path: Path) -> ModuleType:
    """Import a generated file under a unique module name."""
    name = f"generated_models_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def check_tools(path: Path) -> None:
    """mypy --strict passes on the generated file, and ruff finds nothing to change (run
    from the directory the command ran in, whose ruff settings it formatted with)."""
    cache = ["--cache-dir", str(path.parent / ".mypy_cache")]
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *cache, str(path)],
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    if importlib.util.find_spec("ruff") is not None:
        for args in (["format", "--check"], ["check"]):
            ruff = subprocess.run(
                [sys.executable, "-m", "ruff", *args, str(path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_models_from_a_real_schema(
    server: ServerInfo,
    schema_db: BlockingSurrealConnection,
    database_name: str,
    tmp_path: Path,
) -> None:
    output = tmp_path / "models.py"
    result = run_cli(server.ws_url, database_name, "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert result.stderr.strip() == f"wrote {output} (tables: company, person, works_at)"
    text = output.read_text(encoding="utf-8")
    assert text.splitlines()[0] == (
        "# Generated by `python -m surrealdb models` from namespace 'test',"
        f" database '{database_name}'."
    )
    lines = text.splitlines()
    for line in [
        "class Person(msgspec.Struct, kw_only=True):",
        "class PersonAddress(msgspec.Struct, kw_only=True):",
        "class PersonPetsItem(msgspec.Struct, kw_only=True):",
        "class PersonLit(msgspec.Struct, kw_only=True):",
        "class WorksAt(msgspec.Struct, kw_only=True):",
        "    id: RecordID",
        "    born: Datetime",
        "    tenure: Duration",
        "    balance: Decimal",
        "    token: UUID",
        "    nick: str | None = None",
        "    labels: set[str]",
        "    address: PersonAddress",
        "    pets: list[PersonPetsItem]",
        "    friend: RecordID | None = None",
        "    owner: RecordID",
        '    status: Literal["active", "inactive"]',
        "    level: Literal[1, 2, 3]",
        "    mixed: str | int",
        "    nullable: str | None",
        "    meta: Any = None",
        "    extra: dict[str, Any]",
        "    geo: GeometryPoint | None = None",
        "    amount: int | float | Decimal",
        '    first_name: str | None = msgspec.field(name="first-name", default=None)',
        '    in_: RecordID = msgspec.field(name="in")',
        "    period: Duration | None = None",
    ]:
        assert line in lines, line
    assert "class Scratch" not in text  # SCHEMALESS tables are left out
    check_tools(output)

    # The same file over HTTP (and with a root user instead of the database user).
    over_http = run_cli(
        server.http_url, database_name, user=server.username, password=server.password
    )
    assert over_http.returncode == 0, over_http.stderr
    assert over_http.stdout == text

    # Real rows into the models.
    models = load(output)
    schema_db.query(ROWS)
    people = {person.name: person for person in schema_db.select("person", into=models.Person)}
    ada, bob = people["Ada"], people["Bob"]
    assert isinstance(ada, models.Person)
    assert ada.id == RecordID("person", "ada") and type(ada.id) is RecordID
    assert ada.born == Datetime.parse("2020-01-01T00:00:00.123456789Z")
    assert type(ada.born) is Datetime and ada.born.nanoseconds == 123_456_789
    assert ada.tenure == Duration.parse("1h5m3ns") and type(ada.tenure) is Duration
    assert ada.balance == Decimal("12.50") and type(ada.balance) is Decimal
    assert ada.token == uuid.UUID("0190d6a8-0000-7000-8000-000000000000")
    assert ada.labels == {"x", "y"} and ada.tags == ["a", "b"] and ada.scores == [1, 2, 3]
    assert ada.address == models.PersonAddress(city="Paris", zip=None)
    assert [pet.name for pet in ada.pets] == ["Rex", "Tom"]
    assert type(ada.pets[0].born) is Datetime and ada.pets[1].born is None
    assert ada.owner == RecordID("company", "acme") and ada.friend is None and ada.nick is None
    assert (ada.status, ada.level, ada.mixed, ada.nullable) == ("active", 2, 5, None)
    assert ada.meta == {"any": ["thing", 1]} and ada.extra == {"free": "form"}
    assert ada.lit == models.PersonLit(a="x", b=None)
    assert ada.geo == GeometryPoint(1.5, 2.5) and ada.amount == Decimal("3.25")
    assert ada.first_name == "Augusta"
    assert bob.friend == RecordID("person", "ada") and type(bob.friend) is RecordID
    assert (bob.mixed, bob.nullable, bob.score, bob.meta) == ("five", "set", 2.0, None)
    assert bob.address.zip == "0150" and bob.lit.b == 2 and bob.amount == 7

    # msgspec.convert passes our instances through unchanged (not copies, not strings).
    row = schema_db.select(RecordID("person", "ada"))
    assert row is not None
    converted = rows_into([row], models.Person)[0]
    for name in ("id", "born", "tenure", "balance", "token", "owner", "geo"):
        assert getattr(converted, name) is row[name], name

    [company] = rows_into(schema_db.select("company"), models.Company)
    assert company.founded == Datetime.parse("1999-12-31T23:59:59.123456789Z")
    [edge] = rows_into(schema_db.select("works_at"), models.WorksAt)
    assert (edge.in_, edge.out) == (RecordID("person", "ada"), RecordID("company", "acme"))
    assert edge.period == Duration.parse("2w") and type(edge.since) is Datetime


def test_rerun_after_a_schema_change(
    server: ServerInfo,
    schema_db: BlockingSurrealConnection,
    database_name: str,
    tmp_path: Path,
) -> None:
    output = tmp_path / "models.py"
    assert run_cli(server.ws_url, database_name, "-o", str(output)).returncode == 0
    before = output.read_bytes()
    fresh = run_cli(server.ws_url, database_name, "-o", str(output), "--check")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout == ""
    assert fresh.stderr.strip() == f"up to date: {output} (tables: company, person, works_at)"

    schema_db.query(
        "DEFINE FIELD email ON person TYPE option<string>;"
        "DEFINE FIELD rating ON company TYPE int DEFAULT 0;"
        "DEFINE FIELD OVERWRITE age ON person TYPE float;"
        "DEFINE TABLE tag SCHEMAFULL; DEFINE FIELD label ON tag TYPE string;"
    )
    # --check (what a project's CI runs) fails, prints the diff and writes nothing.
    stale = run_cli(server.ws_url, database_name, "-o", str(output), "--check")
    assert stale.returncode == 1, stale.stderr
    assert "out of date" in stale.stderr and "rerun without --check" in stale.stderr
    assert f"--- {output} (committed)" in stale.stdout
    assert "\n-    age: int\n" in stale.stdout and "\n+    age: float\n" in stale.stdout
    assert "\n+class Tag(msgspec.Struct, kw_only=True):\n" in stale.stdout
    assert output.read_bytes() == before

    changed = run_cli(server.ws_url, database_name, "-o", str(output))
    assert changed.returncode == 0, changed.stderr
    assert changed.stderr.strip() == f"wrote {output} (tables: company, person, tag, works_at)"
    after = output.read_bytes()
    old_lines, new_lines = before.decode().splitlines(), after.decode().splitlines()
    added = [line for line in new_lines if line not in old_lines]
    removed = [line for line in old_lines if line not in new_lines]
    assert removed == ["    age: int"]
    assert added == [
        "    rating: int",
        "    age: float",
        "    email: str | None = None",
        "class Tag(msgspec.Struct, kw_only=True):",
        '    """A record of the ``tag`` table."""',
        "    label: str",
    ]
    check_tools(output)
    models = load(output)
    schema_db.query("CREATE tag:t SET label = 'x'; CREATE company:c SET name = 'C'")
    assert rows_into(schema_db.select("tag"), models.Tag) == [
        models.Tag(id=RecordID("tag", "t"), label="x")
    ]
    assert rows_into(schema_db.select("company"), models.Company)[0].rating == 0

    # No change: the file stays byte-identical (and is not even rewritten).
    modified = output.stat().st_mtime_ns
    again = run_cli(server.ws_url, database_name, "-o", str(output))
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip() == f"unchanged: {output} (tables: company, person, tag, works_at)"
    assert output.read_bytes() == after
    assert output.stat().st_mtime_ns == modified
    assert run_cli(server.ws_url, database_name, "-o", str(output), "--check").returncode == 0

    # --check without a file to compare with is a usage error; a missing file is out of date.
    assert run_cli(server.ws_url, database_name, "--check").returncode == 2
    missing = run_cli(server.ws_url, database_name, "-o", str(tmp_path / "no.py"), "--check")
    assert missing.returncode == 1 and "+class Tag(" in missing.stdout
    assert not (tmp_path / "no.py").exists()


def test_only_some_tables_to_stdout(
    server: ServerInfo, schema_db: BlockingSurrealConnection, database_name: str
) -> None:
    result = run_cli(server.ws_url, database_name, "--table", "company", "--table", "scratch")
    assert result.returncode == 0, result.stderr
    classes = [line for line in result.stdout.splitlines() if line.startswith("class ")]
    assert classes == [
        "class Company(msgspec.Struct, kw_only=True):",
        "class Scratch(msgspec.Struct, kw_only=True):",
    ]
    missing = run_cli(server.ws_url, database_name, "--table", "nope")
    assert missing.returncode == 1
    assert "no such table: nope" in missing.stderr


def test_failures_are_reported_without_the_password(
    server: ServerInfo, schema_db: BlockingSurrealConnection, database_name: str
) -> None:
    wrong = run_cli(server.ws_url, database_name, password="not-the-password-xyz")
    assert wrong.returncode == 1
    assert "AuthenticationError" in wrong.stderr
    assert "not-the-password-xyz" not in wrong.stdout + wrong.stderr
    if importlib.util.find_spec("surrealdb_embedded") is not None:
        empty = run_cli("mem://", database_name)  # a fresh in-memory engine: no tables
        assert empty.returncode == 1
        assert "no SCHEMAFULL tables" in empty.stderr
