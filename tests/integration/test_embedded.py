"""The embedded engine: persistence, concurrency, clear errors, and the demo.

The shared method suites already run every method on `mem://` (the `db`/`adb` fixtures are
parametrized over it); this module covers what is particular to the embedded transport.
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from types import ModuleType

import pytest

from surrealdb import (
    AsyncSurreal,
    RecordID,
    Surreal,
    SurrealConnectionError,
    UnsupportedFeatureError,
)
from tests.server import ServerInfo

pytest.importorskip("surrealdb_embedded")

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("scheme", ["surrealkv", "file"])
def test_data_survives_closing_and_reopening(tmp_path: Path, scheme: str) -> None:
    url = f"{scheme}://{tmp_path / 'data'}"
    with Surreal(url) as db:
        db.use("app", "app")
        db.query("DEFINE TABLE person")
        db.create(RecordID("person", "ada"), {"name": "Ada"})
        db.insert("person", [{"id": n, "name": f"p{n}"} for n in range(50)])
    with Surreal(url) as db:
        db.use("app", "app")
        assert db.select(RecordID("person", "ada")) == {
            "id": RecordID("person", "ada"),
            "name": "Ada",
        }
        assert len(db.select("person")) == 51


async def test_async_data_survives_closing_and_reopening(tmp_path: Path) -> None:
    url = f"surrealkv://{tmp_path / 'data'}"
    async with AsyncSurreal(url) as db:
        await db.use("app", "app")
        await db.query("DEFINE TABLE person")
        await db.create(RecordID("person", 1), {"name": "Ada"})
    async with AsyncSurreal(url) as db:
        await db.use("app", "app")
        assert await db.select("person") == [{"id": RecordID("person", 1), "name": "Ada"}]


def test_threads_share_one_embedded_connection() -> None:
    """8 threads x 100 creates on one connection: every caller gets its own record back."""
    errors: list[str] = []
    with Surreal("mem://") as db:
        db.use("app", "app")
        db.query("DEFINE TABLE item")

        def work(thread: int) -> None:
            for n in range(100):
                key = thread * 1000 + n
                record = db.create(RecordID("item", key), {"thread": thread, "n": n})
                if record != {"id": RecordID("item", key), "thread": thread, "n": n}:
                    errors.append(f"thread {thread} got {record!r} for item:{key}")

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        assert len(db.select("item")) == 800


async def test_tasks_share_one_embedded_connection() -> None:
    async with AsyncSurreal("mem://") as db:
        await db.use("app", "app")
        await db.query("DEFINE TABLE item")
        records = await asyncio.wait_for(
            asyncio.gather(*(db.create(RecordID("item", n), {"n": n}) for n in range(500))), 60
        )
        assert [record["id"] for record in records] == [RecordID("item", n) for n in range(500)]
        assert len(await db.select("item")) == 500


def test_what_the_engine_cannot_do_raises_a_clear_error() -> None:
    with Surreal("mem://") as db:
        with pytest.raises(UnsupportedFeatureError, match=r"ws://"):
            db.live("person")
        with pytest.raises(UnsupportedFeatureError, match=r"ws://"):
            db.transaction()
        with pytest.raises(UnsupportedFeatureError, match=r"ws://"):
            next(iter(db.subscribe_live(uuid.uuid4())))


def test_live_query_statement_is_refused_clearly() -> None:
    """LIVE SELECT through query() gets the engine's refusal as UnsupportedFeatureError."""
    with Surreal("mem://") as db:
        db.use("app", "app")
        db.query("DEFINE TABLE person")
        with pytest.raises(Exception) as raised:
            db.query("LIVE SELECT * FROM person")
        assert "live" in str(raised.value).lower() or "realtime" in str(raised.value).lower()


def test_missing_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def without_engine(name: str, package: str | None = None) -> ModuleType:
        if name == "surrealdb_embedded":
            raise ImportError("No module named 'surrealdb_embedded'")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", without_engine)
    db = Surreal("mem://")
    with pytest.raises(UnsupportedFeatureError, match=r"pip install 'surrealdb-typed\[embedded\]'"):
        db.ping()
    db.close()


def test_calls_after_close_fail_clearly() -> None:
    db = Surreal("mem://")
    db.ping()
    db.close()
    db.close()
    with pytest.raises(SurrealConnectionError, match="closed"):
        db.ping()


def test_a_datastore_that_cannot_be_created_is_a_connection_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    url = f"surrealkv://{blocker}/db"  # the engine's constructor fails: no directory here
    with pytest.raises(SurrealConnectionError, match="cannot open"):
        Surreal(url).ping()

    async def asynchronous() -> None:
        with pytest.raises(SurrealConnectionError, match="cannot open"):
            await AsyncSurreal(url).ping()

    asyncio.run(asynchronous())


def test_an_async_embedded_connection_carries_on_in_a_second_asyncio_run() -> None:
    db = AsyncSurreal("mem://")

    async def first() -> None:
        await db.use("loops", "one")
        await db.create(RecordID("item", 1), {"n": 1})

    async def second() -> object:
        return await asyncio.wait_for(db.select(RecordID("item", 1)), 5)

    asyncio.run(first())
    try:
        assert asyncio.run(second()) == {"id": RecordID("item", 1), "n": 1}
    finally:
        asyncio.run(db.close())


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "surrealdb", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_demo_runs_on_an_embedded_database() -> None:
    completed = run_demo()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("connected to mem:// (BlockingEmbeddedSurrealConnection)")
    assert "select('person') -> 2 records" in completed.stdout
    assert "merge(person:ada, {'age': 37}) -> age 37" in completed.stdout
    assert "[('Grace', 45)] (typed: Person)" in completed.stdout
    assert "signed in" not in completed.stdout


def test_demo_reruns_after_an_interrupted_run(tmp_path: Path) -> None:
    """Records an interrupted run left behind (here, on disk) do not make the next run fail."""
    url = f"surrealkv://{tmp_path / 'data'}"
    with Surreal(url) as db:  # what a run stopped between its create and its delete leaves
        db.use("demo", "demo")
        db.create(RecordID("person", "ada"), {"name": "Ada", "age": 36})
        db.create("person", {"name": "Grace", "age": 45})
    for _ in range(2):
        completed = run_demo(url)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "select('person') -> 2 records" in completed.stdout


@pytest.mark.parametrize("kind", ["ws", "http"])
def test_demo_runs_against_a_server(server: ServerInfo, kind: str) -> None:
    url = server.ws_url if kind == "ws" else server.http_url
    with Surreal(url) as db:  # left by an interrupted run: the demo starts from an empty table
        db.signin({"username": server.username, "password": server.password})
        db.use("demo", "demo")
        db.upsert(RecordID("person", "ada"), {"name": "Ada", "age": 36})
    completed = run_demo(url, "--username", server.username, "--password", server.password)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"signed in as {server.username}" in completed.stdout
    assert "password" not in completed.stdout.lower()
    assert "[('Grace', 45)] (typed: Person)" in completed.stdout
