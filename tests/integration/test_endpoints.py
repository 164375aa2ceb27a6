"""The server's HTTP endpoints beyond /rpc (schema/http.toml) on the real test server."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from surrealdb import AsyncSurreal, RecordID, Surreal
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import (
    AuthenticationError,
    ServerError,
    SurrealConnectionError,
    UnsupportedFeatureError,
)
from tests.server import ServerInfo, start_gateway


def test_health_and_status_answer_on_every_transport(db: BlockingSurrealConnection) -> None:
    db.health()
    db.status()


async def test_async_health_and_status_answer_on_every_transport(
    adb: AsyncSurrealConnection,
) -> None:
    await adb.health()
    await adb.status()


def test_health_works_in_a_session(db: BlockingSurrealConnection) -> None:
    with db.new_session() as session:
        session.health()


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_health_of_a_stopped_server_is_a_connection_error(transport: str) -> None:
    """Over WebSocket too, health() asks the server's HTTP endpoint, which must be answering:
    once the server is gone, the call fails (it would pass if it were answered locally)."""
    running = start_gateway()
    info: ServerInfo = running.info
    url = info.ws_url if transport == "ws" else info.http_url
    try:
        db = Surreal(url)
        db.connect()
        db.health()
    finally:
        running.stop()
    with pytest.raises(SurrealConnectionError, match="/health"):
        db.health()
    db.close()


async def test_async_status_of_a_stopped_server_is_a_connection_error() -> None:
    running = start_gateway()
    try:
        db = AsyncSurreal(running.info.ws_url)
        await db.connect()
        await db.status()
    finally:
        running.stop()
    with pytest.raises(SurrealConnectionError, match="/status"):
        await db.status()
    await db.close()


def test_health_of_a_closed_connection_is_refused(server: ServerInfo) -> None:
    db = Surreal(server.http_url)
    db.close()
    with pytest.raises(SurrealConnectionError, match="closed"):
        db.health()


# ------------------------------------------------------------------------- export / import


def _fill(db: BlockingSurrealConnection, count: int, pad: int) -> None:
    db.query(
        "FOR $i IN 0..$count { CREATE type::record('item', $i) SET n = $i,"
        " pad = string::repeat('x', $pad), tags = ['a', 'b'] }",
        {"count": count, "pad": pad},
    )


def _digest(db: BlockingSurrealConnection) -> object:
    """The records of `item` (and their count), hashed by the server: equal data, equal digest."""
    return db.query(
        "RETURN [count(SELECT * FROM item),"
        " crypto::sha256(<string> (SELECT * FROM item ORDER BY id))]"
    )


@pytest.fixture
def remote(server: ServerInfo, database_name: str) -> str:
    """A database name for the re-import (the export's source is `database_name`)."""
    return f"{database_name}_copy"


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_export_then_import_gives_the_same_data(
    db: BlockingSurrealConnection, transport: str, remote: str, tmp_path: Path
) -> None:
    _fill(db, 200, 10)
    dump = tmp_path / "dump.surql"
    reports: list[int] = []
    written = db.export(dump, progress=reports.append)
    assert written == dump.stat().st_size > 0
    assert reports and reports[-1] == written
    assert "INSERT" in dump.read_text()
    original = _digest(db)
    db.use(None, remote)
    assert db.query("INFO FOR DB")["tables"] == {}  # an empty database
    assert db.import_(dump) == written
    assert _digest(db) == original


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_export_options_and_streams(db: BlockingSurrealConnection, remote: str) -> None:
    _fill(db, 5, 1)
    schema_only = io.BytesIO()
    db.export(schema_only, {"records": False})
    assert b"DEFINE TABLE item" in schema_only.getvalue()
    assert b"INSERT" not in schema_only.getvalue()
    full = io.BytesIO()
    db.export(full)
    original = _digest(db)
    db.use(None, remote)
    full.seek(0)
    db.import_(full)  # a stream of unknown length: sent chunked
    assert _digest(db) == original


async def test_async_export_and_import(
    adb: AsyncSurrealConnection, transport: str, remote: str
) -> None:
    if transport == "embedded":
        with pytest.raises(UnsupportedFeatureError, match="export"):
            await adb.export(io.BytesIO())
        return
    await adb.query("CREATE item:1 SET n = 1")
    dump = io.BytesIO()
    assert await adb.export(dump) == len(dump.getvalue())
    await adb.use(None, remote)
    dump.seek(0)
    await adb.import_(dump)
    assert await adb.select(RecordID("item", 1)) == {"id": RecordID("item", 1), "n": 1}


def test_export_is_refused_on_embedded_in_sessions_and_anonymously(
    db: BlockingSurrealConnection, transport: str, server: ServerInfo
) -> None:
    if transport == "embedded":
        with pytest.raises(UnsupportedFeatureError, match="not available over the embedded"):
            db.export(io.BytesIO())
        with pytest.raises(UnsupportedFeatureError):
            db.import_(io.BytesIO())
        return
    with db.new_session() as session, pytest.raises(UnsupportedFeatureError, match="session"):
        session.export(io.BytesIO())
    with Surreal(db.url) as anonymous:
        anonymous.use("test", "anything")
        with pytest.raises(AuthenticationError, match="403"):
            anonymous.export(io.BytesIO())
        with pytest.raises(AuthenticationError, match="403"):
            anonymous.import_(io.BytesIO(b"CREATE item:1"))


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_a_script_that_does_not_parse_is_the_servers_error(db: BlockingSurrealConnection) -> None:
    with pytest.raises(ServerError, match="HTTP 400: Parse error") as caught:
        db.import_(io.BytesIO(b"CREATE ((( nonsense"))
    assert caught.value.code == 400


def test_a_failed_export_leaves_no_file(server: ServerInfo, tmp_path: Path) -> None:
    with Surreal(server.http_url) as db:
        db.signin({"username": server.username, "password": server.password})
        dump = tmp_path / "dump.surql"
        with pytest.raises(ServerError, match="namespace"):
            db.export(dump)  # no namespace chosen: the server refuses
        assert not dump.exists()


LARGE_DUMP = 50 * 1024 * 1024
"""The size of the large export, in bytes (the issue's 50 MB)."""


def _rss_kib(field: str) -> int | None:
    """`VmRSS` (now) or `VmHWM` (the peak) of this process in KiB; None off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next(line for line in status.splitlines() if line.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak_rss() -> bool:
    """Start the peak RSS (`VmHWM`) again from the current RSS (Linux's clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@pytest.mark.timeout(600)
@pytest.mark.parametrize("transport", ["http"])
def test_a_50_mb_export_and_import_stream_and_keep_the_data(
    db: BlockingSurrealConnection, remote: str, tmp_path: Path
) -> None:
    """The dump goes through the client in chunks: the Python heap's peak during the transfer
    stays far below the dump's size (it would be above it if the dump were held whole)."""
    count = 25_000
    _fill(db, count, LARGE_DUMP // count)
    original = _digest(db)
    dump = tmp_path / "large.surql"
    rss_measured = _reset_peak_rss()
    rss_before = _rss_kib("VmRSS")
    tracemalloc.start()
    try:
        written = db.export(dump)
        export_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        db.use(None, remote)
        assert db.import_(dump) == written
        import_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_peak = _rss_kib("VmHWM")
    assert written >= LARGE_DUMP
    assert export_peak < 8 * 1024 * 1024, export_peak
    assert import_peak < 8 * 1024 * 1024, import_peak
    if rss_measured and rss_before is not None and rss_peak is not None:
        # the process's peak RSS grew by far less than the dump (tracemalloc's own records
        # included)
        assert (rss_peak - rss_before) * 1024 < written // 2, (rss_before, rss_peak)
    assert _digest(db) == original


async def test_cancelling_an_async_export_breaks_off_the_transfer(
    adb: AsyncSurrealConnection, transport: str, tmp_path: Path
) -> None:
    """The worker thread cannot be cancelled; its connection is cut, so the transfer fails and
    the partial file is removed (it would be completed if the thread went on)."""
    if transport == "embedded":
        return
    await adb.query(
        "FOR $i IN 0..200 { CREATE type::record('item', $i) SET pad = string::repeat('x', 50000) }"
    )
    dump = tmp_path / "dump.surql"
    started = threading.Event()

    def slowly(done: int) -> None:
        started.set()
        time.sleep(0.2)

    task = asyncio.ensure_future(adb.export(dump, progress=slowly))
    while not started.is_set():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not dump.exists():
            break
        await asyncio.sleep(0.05)
    assert not dump.exists()
