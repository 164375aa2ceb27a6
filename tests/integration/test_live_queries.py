"""Live queries on the real engine: `live`, `LIVE SELECT` through `query`, `subscribe_live`,
`kill`, and how subscriptions end; blocking (a `for` loop in a thread) and asyncio.

Notifications come from the SurrealDB 3.0.2 engine behind the test gateway, for changes made
on another connection unless the test says otherwise. The examples of docs/live-queries.md run
here too (`test_docs_examples_run`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest

import surrealdb.live
from surrealdb import (
    AsyncSurreal,
    LiveNotification,
    RecordID,
    ServerError,
    Surreal,
    Table,
    UnsupportedFeatureError,
)
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.live import AsyncLiveSubscription, LiveSubscription
from surrealdb.protocol import Request
from surrealdb.values import NONE
from tests.server import ServerInfo

WAIT = 10.0
"""The bound on every wait: a bug fails the test instead of hanging it."""

DOCS = Path(__file__).parent.parent.parent / "docs"


# --------------------------------------------------------------------------------------------
# Helpers (test_concurrency.py uses them too)
# --------------------------------------------------------------------------------------------


def ws_connection(
    server: ServerInfo, database: str, timeout: float | None = WAIT
) -> BlockingSurrealConnection:
    """A blocking WebSocket connection, signed in as root, using `database` (a context)."""
    db = Surreal(server.ws_url, timeout=timeout)
    db.signin({"username": server.username, "password": server.password})
    db.use("test", database)
    return db


async def async_ws_connection(
    server: ServerInfo, database: str, timeout: float | None = WAIT
) -> AsyncSurrealConnection:
    db = AsyncSurreal(server.ws_url, timeout=timeout)
    await db.signin({"username": server.username, "password": server.password})
    await db.use("test", database)
    return db


class Consumer:
    """Iterates a blocking subscription in a daemon thread, keeping what it yields."""

    def __init__(self, subscription: Iterable[LiveNotification]) -> None:
        self.received: list[LiveNotification] = []
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._subscription = subscription
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for notification in self._subscription:
                with self._changed:
                    self.received.append(notification)
                    self._changed.notify_all()
        except BaseException as exc:
            self.error = exc

    def wait_for(self, count: int, timeout: float = WAIT) -> list[LiveNotification]:
        """Wait (bounded) until `count` notifications arrived; return them all."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.received) >= count, timeout)
            assert arrived, f"got {len(self.received)} of {count} notifications: {self.received}"
            return list(self.received)

    def join(self, timeout: float = WAIT) -> list[LiveNotification]:
        """Wait (bounded) until the iteration ends; fail if it does not or it raised."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the live iterator did not end within {timeout} s"
        if self.error is not None:
            raise self.error
        return self.received


async def take(subscription: AsyncIterator[LiveNotification], count: int) -> list[Any]:
    """The next `count` notifications (bounded by WAIT)."""

    async def collect() -> list[LiveNotification]:
        return [await anext(subscription) for _ in range(count)]

    return await asyncio.wait_for(collect(), WAIT)


async def drain(subscription: AsyncIterator[LiveNotification]) -> list[LiveNotification]:
    """Everything until the iteration ends (bounded by WAIT)."""

    async def collect() -> list[LiveNotification]:
        return [notification async for notification in subscription]

    return await asyncio.wait_for(collect(), WAIT)


ACTIONS = ("CREATE", "UPDATE", "DELETE")


def summary(notifications: Iterable[LiveNotification]) -> list[tuple[str, Any]]:
    """(action, record id) of each notification, in a canonical order: the 3.0.2 engine does
    not always send notifications in the order of the changes (see docs/live-queries.md)."""
    pairs = [(n.action, n.record_id) for n in notifications]
    return sorted(pairs, key=lambda pair: (ACTIONS.index(pair[0]), str(pair[1])))


def results(notifications: Iterable[LiveNotification]) -> dict[str, Any]:
    """Each action's result (for notifications about one record)."""
    by_action = {n.action: n.result for n in notifications}
    return {action: by_action[action] for action in ACTIONS if action in by_action}


@pytest.fixture
def ws_db(server: ServerInfo, database_name: str) -> Iterator[BlockingSurrealConnection]:
    """A blocking WebSocket connection with tables `person` and `pet` defined."""
    with ws_connection(server, database_name) as db:
        db.query("DEFINE TABLE person SCHEMALESS; DEFINE TABLE pet SCHEMALESS")
        yield db


@pytest.fixture
def writer(server: ServerInfo, database_name: str) -> Iterator[BlockingSurrealConnection]:
    """Another blocking connection to the same database, to make the changes."""
    with ws_connection(server, database_name) as db:
        yield db


@pytest.fixture
async def ws_adb(server: ServerInfo, database_name: str) -> AsyncIterator[AsyncSurrealConnection]:
    """An asyncio WebSocket connection with tables `person` and `pet` defined."""
    db = await async_ws_connection(server, database_name)
    try:
        await db.query("DEFINE TABLE person SCHEMALESS; DEFINE TABLE pet SCHEMALESS")
        yield db
    finally:
        await db.close()


@pytest.fixture
async def async_writer(
    server: ServerInfo, database_name: str
) -> AsyncIterator[AsyncSurrealConnection]:
    db = await async_ws_connection(server, database_name)
    try:
        yield db
    finally:
        await db.close()


ADA = RecordID("person", "ada")


# --------------------------------------------------------------------------------------------
# create / update / delete from another connection
# --------------------------------------------------------------------------------------------


def test_create_update_delete_from_another_connection(
    ws_db: BlockingSurrealConnection, writer: BlockingSurrealConnection
) -> None:
    live_id = ws_db.live("person")
    assert isinstance(live_id, uuid.UUID)
    consumer = Consumer(ws_db.subscribe_live(live_id))
    writer.create(ADA, {"name": "Ada"})
    writer.merge(ADA, {"born": 1815})
    writer.delete(ADA)
    writer.create("pet", {"name": "not a person"})  # another table: no notification
    received = consumer.wait_for(3)
    ws_db.kill(live_id)
    assert consumer.join() == received  # kill ended the iteration, nothing else came
    assert summary(received) == [("CREATE", ADA), ("UPDATE", ADA), ("DELETE", ADA)]
    assert results(received) == {
        "CREATE": {"id": ADA, "name": "Ada"},
        "UPDATE": {"id": ADA, "name": "Ada", "born": 1815},
        "DELETE": {"id": ADA, "name": "Ada", "born": 1815},  # the record before it went
    }
    assert all(isinstance(n, LiveNotification) and n.live_id == live_id for n in received)


async def test_async_create_update_delete_from_another_connection(
    ws_adb: AsyncSurrealConnection, async_writer: AsyncSurrealConnection
) -> None:
    live_id = await ws_adb.live(Table("person"))
    subscription = ws_adb.subscribe_live(live_id)
    await async_writer.create(ADA, {"name": "Ada"})
    await async_writer.update(ADA, {"name": "Ada L."})
    await async_writer.delete(ADA)
    received = await take(subscription, 3)
    await ws_adb.kill(live_id)
    assert await drain(subscription) == []
    assert summary(received) == [("CREATE", ADA), ("UPDATE", ADA), ("DELETE", ADA)]
    assert results(received) == {
        "CREATE": {"id": ADA, "name": "Ada"},
        "UPDATE": {"id": ADA, "name": "Ada L."},
        "DELETE": {"id": ADA, "name": "Ada L."},
    }
    assert {n.live_id for n in received} == {live_id}


async def test_diff_delivers_the_servers_patches(
    ws_adb: AsyncSurrealConnection, async_writer: AsyncSurrealConnection
) -> None:
    live_id = await ws_adb.live("person", diff=True)
    subscription = ws_adb.subscribe_live(live_id)
    await async_writer.create(ADA, {"name": "Ada"})
    await async_writer.merge(ADA, {"born": 1815})
    await async_writer.delete(ADA)
    received = await take(subscription, 3)
    await ws_adb.kill(live_id)
    assert summary(received) == [("CREATE", ADA), ("UPDATE", ADA), ("DELETE", ADA)]
    assert results(received) == {
        "CREATE": [{"op": "replace", "path": "", "value": {"id": ADA, "name": "Ada"}}],
        "UPDATE": [{"op": "add", "path": "/born", "value": 1815}],
        "DELETE": [{"op": "replace", "path": "", "value": NONE}],
    }


# --------------------------------------------------------------------------------------------
# Several live queries on one connection; LIVE SELECT through query()
# --------------------------------------------------------------------------------------------


def test_several_live_queries_on_one_connection(
    ws_db: BlockingSurrealConnection, writer: BlockingSurrealConnection
) -> None:
    people = ws_db.live("person")
    pets = ws_db.live("pet")
    people_diff = ws_db.live("person", diff=True)
    adults = ws_db.query("LIVE SELECT * FROM person WHERE age >= 18")
    assert isinstance(adults, uuid.UUID)
    assert len({people, pets, people_diff, adults}) == 4
    consumers = {
        name: Consumer(ws_db.subscribe_live(live_id))
        for name, live_id in [
            ("people", people),
            ("pets", pets),
            ("people_diff", people_diff),
            ("adults", adults),
        ]
    }
    writer.create(RecordID("person", "kid"), {"age": 7})
    writer.create(RecordID("pet", "rex"), {"kind": "dog"})
    writer.create(RecordID("person", "ada"), {"age": 36})
    writer.create(RecordID("pet", "tom"), {"kind": "cat"})
    got = {
        "people": consumers["people"].wait_for(2),
        "pets": consumers["pets"].wait_for(2),
        "people_diff": consumers["people_diff"].wait_for(2),
        "adults": consumers["adults"].wait_for(1),
    }
    for live_id in (people, pets, people_diff, adults):
        ws_db.kill(live_id)
    for name, consumer in consumers.items():
        assert consumer.join() == got[name], name  # nothing more came before the end
    kid, ada = RecordID("person", "kid"), RecordID("person", "ada")
    assert summary(got["people"]) == [("CREATE", ada), ("CREATE", kid)]
    assert summary(got["pets"]) == [
        ("CREATE", RecordID("pet", "rex")),
        ("CREATE", RecordID("pet", "tom")),
    ]
    assert summary(got["people_diff"]) == [("CREATE", ada), ("CREATE", kid)]
    assert isinstance(got["people_diff"][0].result, list)  # patches, not records
    assert summary(got["adults"]) == [("CREATE", ada)]
    assert {n.live_id for n in got["adults"]} == {adults}


async def test_live_select_through_query_and_kill_through_query(
    ws_adb: AsyncSurrealConnection, async_writer: AsyncSurrealConnection
) -> None:
    live_id = await ws_adb.query("LIVE SELECT name FROM person WHERE id = $who", {"who": ADA})
    assert isinstance(live_id, uuid.UUID)
    subscription = ws_adb.subscribe_live(live_id)
    await async_writer.create(RecordID("person", "bob"), {"name": "Bob"})
    await async_writer.create(ADA, {"name": "Ada", "born": 1815})
    [created] = await take(subscription, 1)
    assert (created.action, created.record_id, created.result) == ("CREATE", ADA, {"name": "Ada"})
    await ws_adb.query("KILL $id", {"id": live_id})  # the server's KILLED notification ends it
    assert await drain(subscription) == []


def test_a_live_rpc_on_one_record_is_refused_by_the_server(
    ws_db: BlockingSurrealConnection,
) -> None:
    """What SurrealDB 3.0.2 does with a record id in the `live` RPC (raw protocol): it refuses
    it. Watching one record takes `LIVE SELECT ... WHERE id = $record` (previous test)."""
    with pytest.raises(ServerError, match="Cannot execute LIVE statement using value: person:ada"):
        ws_db._call(Request("live", [ADA]))
    with pytest.raises(ServerError, match="LIVE statement"):
        ws_db.query("LIVE SELECT * FROM person:ada")
    assert ws_db.query("RETURN 1") == 1  # the connection is fine afterwards


# --------------------------------------------------------------------------------------------
# Kept before subscribing; bounded, and the consumer can tell what it lost
# --------------------------------------------------------------------------------------------


def test_notifications_before_subscribing_are_kept(
    ws_db: BlockingSurrealConnection, writer: BlockingSurrealConnection
) -> None:
    unread = ws_db.live("person")
    sentinel = ws_db.live("person")  # read as it comes: tells when the server has sent them
    sentinel_consumer = Consumer(ws_db.subscribe_live(sentinel))
    for number in range(3):
        writer.create(RecordID("person", number), {"n": number})
    sentinel_consumer.wait_for(3)
    ws_db.ping()  # a round trip: anything sent before its reply has been routed
    consumer = Consumer(ws_db.subscribe_live(unread))
    received = consumer.wait_for(3)
    ws_db.kill(unread)
    ws_db.kill(sentinel)
    consumer.join()
    sentinel_consumer.join()
    assert summary(received) == [("CREATE", RecordID("person", n)) for n in range(3)]


def test_a_slow_consumer_loses_the_oldest_and_can_tell(
    ws_db: BlockingSurrealConnection,
    writer: BlockingSurrealConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sentinel = ws_db.live("person")
    sentinel_consumer = Consumer(ws_db.subscribe_live(sentinel))  # made with the default bound
    monkeypatch.setattr(surrealdb.live, "LIVE_BUFFER_SIZE", 10)
    slow = ws_db.live("person")
    writer.insert("person", [{"id": RecordID("person", n), "n": n} for n in range(25)])
    everything = sentinel_consumer.wait_for(25)
    ws_db.ping()
    subscription = ws_db.subscribe_live(slow)
    assert isinstance(subscription, LiveSubscription)
    assert subscription.dropped == 15
    ws_db.kill(slow)
    kept = list(subscription)  # the kill ends it after the kept ones
    assert len(kept) == 10  # the newest ten (which ten: see the fake-server test of the order)
    assert set(summary(kept)) < set(summary(everything))
    assert subscription.dropped == 15
    ws_db.kill(sentinel)
    sentinel_consumer.join()


async def test_async_slow_consumer_loses_the_oldest_and_can_tell(
    ws_adb: AsyncSurrealConnection,
    async_writer: AsyncSurrealConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(surrealdb.live, "LIVE_BUFFER_SIZE", 4)
    live_id = await ws_adb.live("person")
    subscription = ws_adb.subscribe_live(live_id)
    assert isinstance(subscription, AsyncLiveSubscription)
    assert subscription.dropped == 0
    await async_writer.insert("person", [{"id": RecordID("person", n)} for n in range(10)])

    async def all_dropped() -> None:
        while subscription.dropped < 6:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(all_dropped(), WAIT)
    await ws_adb.kill(live_id)
    kept = await drain(subscription)
    assert len(kept) == 4
    assert subscription.dropped == 6
    assert all(n.action == "CREATE" for n in kept)


# --------------------------------------------------------------------------------------------
# Endings: kill, KILLED, close, reset; subscribing after the end
# --------------------------------------------------------------------------------------------


def test_close_ends_every_live_iterator(server: ServerInfo, database_name: str) -> None:
    db = ws_connection(server, database_name)
    db.query("DEFINE TABLE person SCHEMALESS")
    consumers = [Consumer(db.subscribe_live(db.live("person"))) for _ in range(3)]
    waiting_on_unknown = Consumer(db.subscribe_live(uuid.uuid4()))
    time.sleep(0.05)
    assert all(consumer.thread.is_alive() for consumer in consumers)
    started = time.monotonic()
    db.close()
    for consumer in [*consumers, waiting_on_unknown]:
        assert consumer.join(2) == []
    assert time.monotonic() - started < 2
    assert list(db.subscribe_live(uuid.uuid4())) == []  # after close: ends at once


async def test_async_close_ends_every_live_iterator(server: ServerInfo, database_name: str) -> None:
    db = await async_ws_connection(server, database_name)
    await db.query("DEFINE TABLE person SCHEMALESS")
    live_ids = [await db.live("person") for _ in range(3)]
    tasks = [asyncio.create_task(drain(db.subscribe_live(live_id))) for live_id in live_ids]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in tasks)
    await asyncio.wait_for(db.close(), WAIT)
    assert await asyncio.wait_for(asyncio.gather(*tasks), 2) == [[], [], []]
    assert await drain(db.subscribe_live(uuid.uuid4())) == []


def test_subscribing_after_the_end_ends_at_once(
    ws_db: BlockingSurrealConnection, writer: BlockingSurrealConnection
) -> None:
    live_id = ws_db.live("person")
    writer.create(ADA, {})
    first = Consumer(ws_db.subscribe_live(live_id))
    first.wait_for(1)
    ws_db.kill(live_id)
    assert summary(first.join()) == [("CREATE", ADA)]
    again = Consumer(ws_db.subscribe_live(live_id))
    assert again.join(2) == []
    assert ws_db.query("RETURN 2") == 2


async def test_reset_ends_the_subscriptions_of_its_session(
    ws_adb: AsyncSurrealConnection, server: ServerInfo, database_name: str
) -> None:
    """The server stops the live queries of a reset session without a KILLED notification."""
    by_live = await ws_adb.live("person")
    by_query = await ws_adb.query("LIVE SELECT * FROM pet")
    tasks = [asyncio.create_task(drain(ws_adb.subscribe_live(i))) for i in (by_live, by_query)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in tasks)
    await ws_adb.reset()
    assert await asyncio.wait_for(asyncio.gather(*tasks), 2) == [[], []]
    await ws_adb.signin({"username": server.username, "password": server.password})
    await ws_adb.use("test", database_name)
    restarted = await ws_adb.live("person")  # a new live query after the reset works
    subscription = ws_adb.subscribe_live(restarted)
    await ws_adb.create(ADA, {})
    assert summary(await take(subscription, 1)) == [("CREATE", ADA)]


def test_two_subscriptions_to_one_live_query_share_its_notifications(
    ws_db: BlockingSurrealConnection, writer: BlockingSurrealConnection
) -> None:
    """Each notification goes to one of them (documented: use one consumer per live query);
    the end reaches both."""
    live_id = ws_db.live("person")
    consumers = [Consumer(ws_db.subscribe_live(live_id)) for _ in range(2)]
    for number in range(10):
        writer.create(RecordID("person", number), {})
    assert until(lambda: sum(len(c.received) for c in consumers) == 10)
    ws_db.kill(live_id)
    together = [n.record_id for c in consumers for n in c.join()]
    assert sorted(together, key=lambda record: record.id) == [
        RecordID("person", n) for n in range(10)
    ]


def until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --------------------------------------------------------------------------------------------
# HTTP and the embedded engine: a clear error naming ws://
# --------------------------------------------------------------------------------------------

not_ws = pytest.mark.parametrize("transport", ["http", "httpx", "embedded"], indirect=True)


@not_ws
def test_live_kill_subscribe_are_unsupported_off_websocket(db: BlockingSurrealConnection) -> None:
    for call in (
        lambda: db.live("person"),
        lambda: db.kill(uuid.uuid4()),
        lambda: db.subscribe_live(uuid.uuid4()),
    ):
        with pytest.raises(UnsupportedFeatureError, match="ws://"):
            call()
    assert db.query("RETURN 1") == 1


@not_ws
async def test_async_live_kill_subscribe_are_unsupported_off_websocket(
    adb: AsyncSurrealConnection,
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        await adb.live("person")
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        await adb.kill(uuid.uuid4())
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        adb.subscribe_live(uuid.uuid4())
    assert await adb.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# docs/live-queries.md: every example is in docs/examples/live_queries.py, and runs
# --------------------------------------------------------------------------------------------


def load_example(name: str) -> ModuleType:
    """Import docs/examples/<name>.py (the docs are not a package)."""
    path = DOCS / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_examples_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_doc_blocks_come_from(doc: str, example: str) -> list[str]:
    """Every Python block of the doc is verbatim in the example file (so the doc shows what
    the test runs); returns the names of the example's functions."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    source = (DOCS / "examples" / f"{example}.py").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, f"{doc} has no Python examples"
    for block in blocks:
        assert block.strip() in source, f"this block of {doc} is not in {example}.py:\n{block}"
    return re.findall(r"^(?:async )?def (\w+)\(", source, flags=re.MULTILINE)


def bounded(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking or async) example, failing instead of hanging past WAIT."""
    if inspect.iscoroutinefunction(function):
        return asyncio.run(asyncio.wait_for(function(*args, **kwargs), WAIT))
    outcome: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(function(*args, **kwargs))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), f"{function.__name__} did not finish within {WAIT} s"
    if errors:
        raise errors[0]
    return outcome[0]


def test_docs_examples_run(server: ServerInfo) -> None:
    names = check_doc_blocks_come_from("live-queries.md", "live_queries")
    examples = load_example("live_queries")
    credentials = {"username": server.username, "password": server.password}
    assert bounded(examples.watch_a_table, server.ws_url, **credentials) == {
        "CREATE": 20.5,
        "UPDATE": 21.0,
        "DELETE": 21.0,
    }
    assert bounded(examples.watch_with_a_query, server.ws_url, **credentials) == ["CREATE"]
    assert bounded(examples.keep_up, server.ws_url, **credentials) == (3, 0)
    watched = bounded(examples.watch_in_asyncio, server.ws_url, **credentials)
    assert sorted(watched, key=str) == [
        ("CREATE", RecordID("reading", "a")),
        ("CREATE", RecordID("reading", "b")),
    ]
    ran = {"watch_a_table", "watch_with_a_query", "keep_up", "watch_in_asyncio"}
    assert set(names) == ran | {"make_changes"}, "an example that this test does not run"


def test_closing_a_session_ends_the_subscriptions_of_its_live_queries(
    ws_db: BlockingSurrealConnection,
    writer: BlockingSurrealConnection,
    server: ServerInfo,
    database_name: str,
) -> None:
    """`detach` (closing a `new_session()`) stops the session's live queries on the server,
    without KILLED; the connection's own live queries go on."""
    session = ws_db.new_session()
    session.signin({"username": server.username, "password": server.password})
    session.use("test", database_name)
    in_session = session.live("person")
    in_session_by_query = session.query("LIVE SELECT * FROM person")
    on_connection = ws_db.live("person")
    session_consumers = [
        Consumer(ws_db.subscribe_live(in_session)),
        Consumer(ws_db.subscribe_live(in_session_by_query)),
    ]
    connection_consumer = Consumer(ws_db.subscribe_live(on_connection))
    writer.create(ADA, {})
    for consumer in session_consumers:
        assert summary(consumer.wait_for(1)) == [("CREATE", ADA)]
    session.close()
    for consumer in session_consumers:
        assert summary(consumer.join(2)) == [("CREATE", ADA)]
    writer.create(RecordID("person", "bob"), {})
    assert summary(connection_consumer.wait_for(2)) == [
        ("CREATE", ADA),
        ("CREATE", RecordID("person", "bob")),
    ]
    ws_db.kill(on_connection)
    connection_consumer.join()


class LivePerson(msgspec.Struct):
    """A model for notifications' records (`subscribe_live(..., into=LivePerson)`)."""

    id: RecordID
    name: str


async def test_notifications_convert_into_a_model(
    ws_adb: AsyncSurrealConnection, async_writer: AsyncSurrealConnection
) -> None:
    live_id = await ws_adb.live("person")
    subscription = ws_adb.subscribe_live(live_id, into=LivePerson)
    await async_writer.create(ADA, {"name": "Ada"})
    received = await take(subscription, 1)
    await ws_adb.kill(live_id)
    assert received[0].result == LivePerson(id=ADA, name="Ada")
    assert isinstance(received[0].result.id, RecordID)


def test_blocking_notifications_convert_into_a_model(
    ws_db: BlockingSurrealConnection, writer: BlockingSurrealConnection
) -> None:
    live_id = ws_db.live("person")
    consumer = Consumer(ws_db.subscribe_live(live_id, into=LivePerson))
    writer.create(ADA, {"name": "Ada"})
    received = consumer.wait_for(1)
    ws_db.kill(live_id)
    consumer.join()
    assert [n.result for n in received] == [LivePerson(id=ADA, name="Ada")]
