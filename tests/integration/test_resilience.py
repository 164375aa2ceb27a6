"""Faults against the real engine: the server killed mid-load and restarted on the same port
(on surrealkv:// storage, counting every acknowledged write), a link that goes dead (the
keepalive notices), a server that stops answering, and very large messages.

`FaultProxy`, a TCP proxy on 127.0.0.1 that stalls or cuts connections on demand and can
terminate TLS, stands in front of the gateway where the engine cannot misbehave on demand
(test_tls.py uses it too). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from surrealdb import (
    AsyncSurreal,
    ReconnectPolicy,
    RecordID,
    Surreal,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from tests.integration.test_live_queries import Consumer
from tests.server import RunningServer, ServerInfo, start_gateway

WAIT = 10.0
"""The bound on every wait: a bug fails the test instead of hanging it."""

FAST = ReconnectPolicy(initial_delay=0.02, max_delay=0.2)
"""Reconnect quickly, so the tests stay short."""

ROOT = {"username": "root", "password": "root"}


# --------------------------------------------------------------------------------------------
# The fault-injecting proxy
# --------------------------------------------------------------------------------------------


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of a server on 127.0.0.1, with faults on demand.

    - `stall()`: stop forwarding either way while keeping every connection open (a link that
      went dead, or a server that stopped answering); `resume()` forwards what was held.
    - `cut()`: abort every open connection at once, with no closing handshake.
    - `tls=`: a server `ssl.SSLContext`; the client then speaks wss:// or https:// to the
      proxy, which speaks plain TCP to the server.

    It runs its own event loop in a daemon thread.
    """

    def __init__(self, upstream_port: int, *, tls: ssl.SSLContext | None = None) -> None:
        self.upstream_port = upstream_port
        self.connections = 0
        self._transports: set[asyncio.Transport] = set()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda loop, context: None)  # refused TLS handshakes
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=tls), self._loop
        ).result(WAIT)
        self.port: int = self._server.sockets[0].getsockname()[1]

    def url(self, scheme: str) -> str:
        """The proxy's URL for ws, wss, http or https."""
        return f"{scheme}://127.0.0.1:{self.port}{'/rpc' if scheme.startswith('ws') else ''}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.upstream_port
            )
        except OSError:
            cast(asyncio.Transport, writer.transport).abort()
            return
        for stream in (writer, upstream_writer):
            self._transports.add(cast(asyncio.Transport, stream.transport))
        await asyncio.gather(
            self._pump(reader, upstream_writer), self._pump(upstream_reader, writer)
        )

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while True:
                await self._flowing.wait()  # stalled: TCP flow control holds the rest
                data = await source.read(65536)
                if not data:
                    break
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            self._transports.discard(cast(asyncio.Transport, sink.transport))
            with contextlib.suppress(Exception):
                sink.close()

    def _run(self, function: Callable[[], None]) -> None:
        done = threading.Event()

        def call() -> None:
            try:
                function()
            finally:
                done.set()

        self._loop.call_soon_threadsafe(call)
        assert done.wait(WAIT)

    def stall(self) -> None:
        """Forward nothing from now on; the connections stay open."""
        self._run(self._flowing.clear)

    def resume(self) -> None:
        """Forward again, starting with what was held."""
        self._run(self._flowing.set)

    def cut(self) -> None:
        """Abort every open connection (as a crash or a cut cable would)."""

        def abort_all() -> None:
            for transport in list(self._transports):
                transport.abort()
            self._transports.clear()

        self._run(abort_all)

    def close(self) -> None:
        self._run(self._server.close)
        self.resume()
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)


@pytest.fixture
def gateway() -> Iterator[RunningServer]:
    """A gateway of this test's own (it may be killed), in memory."""
    running = start_gateway()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def proxy(gateway: RunningServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(gateway.info.port)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()


class Restartable:
    """A gateway on surrealkv:// storage that can be killed and started again on its port."""

    def __init__(self, path: Path) -> None:
        self.storage = f"surrealkv://{path}"
        self.running = start_gateway(storage=self.storage)
        self.port = self.running.info.port

    @property
    def info(self) -> ServerInfo:
        return self.running.info

    def kill(self, how: str = "kill") -> None:
        process = self.running.process
        assert process is not None
        getattr(process, how)()
        process.wait(WAIT)

    def start(self) -> None:
        deadline = time.monotonic() + WAIT
        while True:  # the port may take a moment to be free again
            try:
                self.running = start_gateway(storage=self.storage, port=self.port)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.running.stop()


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Restartable]:
    server = Restartable(tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


def until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def blocking_db(info: ServerInfo | str, **options: Any) -> BlockingSurrealConnection:
    url = info if isinstance(info, str) else info.ws_url
    db = Surreal(url, **{"timeout": WAIT, "reconnect": FAST, **options})
    db.signin(ROOT)
    db.use("test", "resilience")
    return db


async def async_db(info: ServerInfo | str, **options: Any) -> AsyncSurrealConnection:
    url = info if isinstance(info, str) else info.ws_url
    db = AsyncSurreal(url, **{"timeout": WAIT, "reconnect": FAST, **options})
    await db.signin(ROOT)
    await db.use("test", "resilience")
    return db


# --------------------------------------------------------------------------------------------
# The server killed mid-load, then back on the same port: no acknowledged write lost
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["kill", "terminate"])
def test_server_killed_mid_load_then_back(restartable: Restartable, how: str) -> None:
    """16 threads write while the server dies (SIGKILL, or SIGTERM: a 1001 close) and comes
    back on the same port and storage. Every call in flight when it died fails within a
    second; calls made while it is away wait for it; the connection reconnects by itself,
    with its session and live query; every acknowledged write is there."""
    db = blocking_db(restartable.info, timeout=None)  # only the ending may free the callers
    db.let("tag", "restored")
    db.query("DEFINE TABLE item SCHEMALESS")
    live_id = db.live("item")
    subscription = db.subscribe_live(live_id)
    consumer = Consumer(subscription)
    acknowledged: list[RecordID] = []
    failures: list[tuple[BaseException, float]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def write(thread: int) -> None:
        number = 0
        while not stop.is_set():
            record_id = RecordID("item", [thread, number])
            number += 1
            try:
                db.create(record_id, {})
            except BaseException as exc:  # in flight when the server died: not re-sent
                with lock:
                    failures.append((exc, time.monotonic()))
                continue  # the next call waits for the server to come back
            with lock:
                acknowledged.append(record_id)

    writers = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(16)]
    for writer in writers:
        writer.start()
    assert until(lambda: len(acknowledged) >= 300)
    gone = time.monotonic()
    restartable.kill(how)
    assert until(lambda: len(failures) >= 1)
    before_restart = len(acknowledged)
    time.sleep(0.5)  # the writers now wait for the server
    assert len(acknowledged) == before_restart
    restartable.start()
    assert until(lambda: len(acknowledged) >= before_restart + 300)  # back to work
    stop.set()
    for writer in writers:
        writer.join(WAIT)
    assert not any(writer.is_alive() for writer in writers), "a call still hangs"
    assert 1 <= len(failures) <= 16
    for error, failed_at in failures:
        assert isinstance(error, SurrealConnectionError), repr(error)
        assert failed_at - gone < 1, f"a pending call failed {failed_at - gone:.2f} s late"
    assert db.reconnects == 1
    assert db.query("RETURN $tag") == "restored"  # the session came back

    present = set(db.query("SELECT VALUE id FROM item"))
    lost = [record_id for record_id in acknowledged if record_id not in present]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged writes were lost"
    # A write whose reply was lost may or may not have landed; none was sent twice.
    assert len(present) - len(acknowledged) <= len(failures)
    # The live query was started again: the subscriber kept receiving, and can tell.
    db.create(RecordID("item", "after"), {})
    assert until(lambda: RecordID("item", "after") in {n.record_id for n in consumer.received})
    assert {n.live_id for n in consumer.received} == {live_id}  # the id the caller knows
    assert subscription.reconnects == 1
    db.kill(live_id)
    consumer.join()
    db.close()
    print("RESULT", "blocking", how, len(acknowledged), len(failures), len(present))


async def test_async_server_killed_mid_load_then_back(restartable: Restartable) -> None:
    db = await async_db(restartable.info, timeout=None)
    await db.query("DEFINE TABLE item SCHEMALESS")
    live_id = await db.live("item")
    subscription = db.subscribe_live(live_id)
    acknowledged: list[RecordID] = []
    failed_at: list[float] = []
    stop = False

    async def write(task: int) -> None:
        number = 0
        while not stop:
            record_id = RecordID("item", [task, number])
            number += 1
            try:
                await db.create(record_id, {})
            except SurrealConnectionError:  # in flight when the server died: not re-sent
                failed_at.append(time.monotonic())
                continue  # the next call waits for the server to come back
            acknowledged.append(record_id)

    async def reach(count: int) -> None:
        while len(acknowledged) < count:
            await asyncio.sleep(0.01)

    writers = [asyncio.create_task(write(n)) for n in range(100)]
    await asyncio.wait_for(reach(300), WAIT)
    gone = time.monotonic()
    restartable.kill()
    while not failed_at:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    before_restart = len(acknowledged)
    restartable.start()
    await asyncio.wait_for(reach(before_restart + 300), WAIT)
    stop = True
    await asyncio.wait_for(asyncio.gather(*writers), WAIT)
    assert 1 <= len(failed_at) <= 100
    assert max(failed_at) - gone < 1, "pending calls did not fail within 1 s"
    present = set(await db.query("SELECT VALUE id FROM item"))
    assert [r for r in acknowledged if r not in present] == []
    assert len(present) - len(acknowledged) <= len(failed_at)
    await db.create(RecordID("item", "after"), {})

    async def next_after() -> Any:
        async for notification in subscription:
            if notification.record_id == RecordID("item", "after"):
                return notification
        return None

    notification = await asyncio.wait_for(next_after(), WAIT)
    assert notification is not None and notification.live_id == live_id
    assert subscription.reconnects == 1 and db.reconnects == 1
    await db.close()
    print("RESULT", "asyncio", "kill", len(acknowledged), len(failed_at), len(present))


def test_calls_made_during_an_outage_wait_for_the_reconnect(restartable: Restartable) -> None:
    db = blocking_db(restartable.info, timeout=WAIT)
    db.query("DEFINE TABLE item SCHEMALESS")
    restartable.kill()
    # While the server is away, a call with a short timeout gives up, unsent.
    started = time.monotonic()
    with db.timeout(0.3), pytest.raises(SurrealConnectionError, match="was not sent"):
        db.create(RecordID("item", "short"), {})
    assert time.monotonic() - started < 1.5
    # A call made now waits for the server to come back, then runs once.
    waiting: list[Any] = []
    thread = threading.Thread(
        target=lambda: waiting.append(db.create(RecordID("item", "waited"), {})), daemon=True
    )
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()
    restartable.start()
    thread.join(WAIT)
    assert waiting == [{"id": RecordID("item", "waited")}]
    assert db.select(RecordID("item", "short")) is None  # the unsent call never ran
    db.close()


def test_close_during_an_outage_ends_everything_at_once(restartable: Restartable) -> None:
    db = blocking_db(restartable.info, timeout=None)
    db.query("DEFINE TABLE item SCHEMALESS")
    consumer = Consumer(db.subscribe_live(db.live("item")))
    restartable.kill()
    waiting: list[BaseException] = []

    def call() -> None:
        try:
            db.ping()
        except BaseException as exc:
            waiting.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    db.close()
    thread.join(WAIT)
    consumer.join(2)
    assert time.monotonic() - started < 2
    assert len(waiting) == 1 and isinstance(waiting[0], SurrealConnectionError)
    assert "closed" in str(waiting[0])
    assert db.is_closed


# --------------------------------------------------------------------------------------------
# A dead link (the keepalive notices) and a server that stops answering
# --------------------------------------------------------------------------------------------

KEEPALIVE = 0.3


def test_keepalive_notices_a_dead_link(proxy: FaultProxy) -> None:
    db = blocking_db(proxy.url("ws"), timeout=None, keepalive_interval=KEEPALIVE)
    db.let("answer", 42)
    proxy.stall()
    started = time.monotonic()
    with pytest.raises(SurrealConnectionError, match="keepalive"):
        db.query("RETURN 1")  # no timeout: only the keepalive can free it
    noticed = time.monotonic() - started
    assert noticed < 2 * KEEPALIVE + 1.5, f"the dead link was noticed after {noticed:.2f} s"
    proxy.resume()
    with db.timeout(WAIT):
        assert db.query("RETURN $answer") == 42  # reconnected, with the session
    assert db.reconnects == 1
    db.close()
    print("RESULT", "blocking", "dead link noticed (ms)", round(noticed * 1000), 1, 0)


async def test_async_keepalive_notices_a_dead_link(proxy: FaultProxy) -> None:
    db = await async_db(proxy.url("ws"), timeout=None, keepalive_interval=KEEPALIVE)
    await db.let("answer", 42)
    proxy.stall()
    started = time.monotonic()
    with pytest.raises(SurrealConnectionError, match="keepalive"):
        await asyncio.wait_for(db.query("RETURN 1"), WAIT)
    noticed = time.monotonic() - started
    assert noticed < 2 * KEEPALIVE + 1.5, f"the dead link was noticed after {noticed:.2f} s"
    proxy.resume()
    with db.timeout(WAIT):
        assert await db.query("RETURN $answer") == 42
    await db.close()


def test_a_server_that_stops_answering_times_calls_out(proxy: FaultProxy) -> None:
    """Without keepalive, a stalled link is seen only through timeouts; once the server
    answers again, the late replies are dropped and the connection carries on."""
    db = blocking_db(proxy.url("ws"), timeout=0.3, keepalive_interval=None)
    proxy.stall()
    for number in range(3):
        started = time.monotonic()
        with pytest.raises(SurrealTimeoutError):
            db.query("RETURN $n", {"n": number})
        assert time.monotonic() - started < 1
    proxy.resume()
    with db.timeout(WAIT):
        assert db.query("RETURN 'back'") == "back"
    assert db.reconnects == 0  # the same link all along
    db.close()


def test_a_cut_link_reconnects_through_the_proxy(proxy: FaultProxy) -> None:
    db = blocking_db(proxy.url("ws"))
    db.let("answer", 7)
    for cut in range(1, 4):
        proxy.cut()
        assert until(lambda: db.reconnects == cut)  # noqa: B023 (noticed, reconnected, restored)
        assert db.query("RETURN $answer") == 7
    assert proxy.connections == 4
    db.close()


# --------------------------------------------------------------------------------------------
# Very large messages
# --------------------------------------------------------------------------------------------


def test_a_32_mib_value_round_trips(server: ServerInfo) -> None:
    big = "x" * (32 * 1024 * 1024)
    with Surreal(server.ws_url, timeout=60) as db:
        db.signin(ROOT)
        assert db.query("RETURN string::len($big)", {"big": big}) == len(big)
        assert db.query("RETURN $big", {"big": big}) == big
        assert db.query("RETURN 1") == 1
