"""Faults a real server rarely produces, injected by a small fake WebSocket server.

The fake (`FakeServer`, websockets' sync server on 127.0.0.1, subprotocol "cbor") is used only
here, to send what the real engine does not on demand: garbage frames, replies for unknown ids,
undecodable CBOR, unknown CBOR tags, notifications in the middle of a request, text frames,
closing or dropping the connection mid-call, and never answering. Each fault is checked on the
blocking client (reader thread) and the asyncio client (reader task): the caller it concerns
gets the right outcome, and every other caller and live subscription is undisturbed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cbor2
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

import surrealdb.live
from surrealdb import AsyncSurreal, LiveNotification, RecordID, Surreal
from surrealdb import cbor as surreal_cbor
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import ProtocolError, SurrealConnectionError, SurrealTimeoutError
from surrealdb.live import AsyncLiveSubscription, LiveSubscription
from surrealdb.values import NONE

WAIT = 5.0
"""The bound on every wait: a bug fails the test instead of hanging it."""

LIVE_ID = uuid.UUID("a3f8e0a1-0000-4000-8000-000000000001")
"""The id the fake server gives every live query."""

ECHO = "fn::echo"
"""`run(ECHO, args=[x])` returns x from the fake server (unless a fault says otherwise)."""


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class FakeConnection:
    """One client connection, seen from the fake server's side."""

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        self._send_lock = threading.Lock()
        self.timers: list[threading.Timer] = []  # of `later`

    def send(self, frame: bytes | str) -> None:
        with self._send_lock:
            self.connection.send(frame)

    def reply(self, request: dict[str, Any], result: Any) -> None:
        self.send(surreal_cbor.encode({"id": request["id"], "result": result}))

    def notify(self, action: str = "CREATE", number: int = 1, live_id: uuid.UUID = LIVE_ID) -> None:
        record = RecordID("person", number)
        self.send(
            surreal_cbor.encode(
                {
                    "result": {
                        "action": action,
                        "id": live_id,
                        "record": record if action != "KILLED" else NONE,
                        "result": {"id": record, "n": number} if action != "KILLED" else NONE,
                        "session": NONE,
                    }
                }
            )
        )

    def answer(self, request: dict[str, Any]) -> None:
        """What a well-behaved server would reply."""
        method, params = request["method"], request["params"]
        if method == "run":
            self.reply(request, params[2][0] if len(params) > 2 else None)
        elif method == "live":
            self.reply(request, LIVE_ID)
        elif method == "kill":
            self.notify("KILLED")
            self.reply(request, NONE)
        elif method == "version":
            self.reply(request, "surrealdb-fake")
        else:
            self.reply(request, NONE)

    def later(self, delay: float, send: Callable[..., None], *args: Any) -> None:
        """Call `send(*args)` (`self.answer`, `self.reply`...) in `delay` seconds, from a
        timer thread. The client may be gone by then (it timed out and closed): the reply
        then goes nowhere, quietly, as a server's would, instead of failing the thread with
        ConnectionClosedOK."""

        def send_if_still_there() -> None:
            with contextlib.suppress(ConnectionClosed, OSError):
                send(*args)

        timer = threading.Timer(delay, send_if_still_there)
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def drop(self) -> None:
        """Vanish without a closing handshake, as a crashed server or a cut cable."""
        self.connection.socket.shutdown(socket.SHUT_RDWR)
        self.connection.socket.close()


Behaviour = Callable[[FakeConnection, dict[str, Any]], None]


def well_behaved(connection: FakeConnection, request: dict[str, Any]) -> None:
    connection.answer(request)


def echo_argument(request: dict[str, Any]) -> Any:
    """The argument of `run(ECHO, args=[x])`, or None for other requests."""
    params = request["params"]
    if request["method"] == "run" and len(params) > 2:
        return params[2][0]
    return None


class FakeServer:
    """A WebSocket server on 127.0.0.1 that lets `behaviour` answer each request."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[dict[str, Any]] = []
        self.connections: list[FakeConnection] = []
        self._server: Server = serve(
            self._handle,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol("cbor")],
            compression=None,
            ping_interval=None,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/rpc"

    def _handle(self, connection: ServerConnection) -> None:
        fake = FakeConnection(connection)
        self.connections.append(fake)
        try:
            for frame in connection:
                assert isinstance(frame, bytes)
                request, _ = surreal_cbor.decode(frame)
                self.requests.append(request)
                self.behaviour(fake, request)
        except (ConnectionClosed, OSError):
            pass

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(WAIT)


@pytest.fixture
def fake_server() -> Iterator[Callable[[Behaviour], FakeServer]]:
    """Start fake servers with a behaviour; all are stopped after the test."""
    started: list[FakeServer] = []

    def start(behaviour: Behaviour) -> FakeServer:
        server = FakeServer(behaviour)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def warnings_logged(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The warnings the client logged so far."""
    caplog.set_level(logging.DEBUG, logger="surrealdb")

    def messages() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == "surrealdb" and record.levelno >= logging.WARNING
        ]

    return messages


@pytest.fixture
def debug_logged(
    caplog: pytest.LogCaptureFixture, warnings_logged: Callable[[], list[str]]
) -> Callable[[], list[str]]:
    """The debug messages the client logged so far."""

    def messages() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == "surrealdb" and record.levelno == logging.DEBUG
        ]

    return messages


def in_thread(function: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run `function` in a daemon thread; the list gets its result or its exception."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(function())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def blocking(url: str, timeout: float | None = WAIT) -> BlockingSurrealConnection:
    return Surreal(url, timeout=timeout)


def asynchronous(url: str, timeout: float | None = WAIT) -> AsyncSurrealConnection:
    return AsyncSurreal(url, timeout=timeout)


def until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


GARBAGE_FRAMES = [
    b"\x1c",  # a reserved CBOR initial byte: undecodable
    b"\xa2\x62id\x01",  # a map cut short: undecodable
    b"",  # empty
    cbor2.dumps([1, 2, 3]),  # valid CBOR, not a map
    cbor2.dumps({"result": "no id and not a notification"}),
    # An error for no request, of a kind the server never sends so (its id-less "Parse error"
    # is about the only call in flight: tests/integration/test_hardening_ws.py).
    cbor2.dumps({"error": {"code": -32000, "message": "an error for no request"}}),
    cbor2.dumps({"id": 10**9, "result": "a reply for an id never sent"}),
    cbor2.dumps({"id": 10**9 + 1, "error": {"code": -32000, "message": "an error, unknown id"}}),
    cbor2.dumps({"id": "7", "result": "a string id this client never sends"}),
    cbor2.dumps({"id": True, "result": "a boolean id"}),
    cbor2.dumps({"id": -1, "result": "a negative id"}),
]


def garbage_then_answer(connection: FakeConnection, request: dict[str, Any]) -> None:
    for frame in GARBAGE_FRAMES:
        connection.send(frame)
    connection.send("a text frame")
    connection.answer(request)


# --------------------------------------------------------------------------------------------
# Garbage, unknown ids, undecodable CBOR, text frames: logged, dropped, nobody disturbed
# --------------------------------------------------------------------------------------------


def test_garbage_and_stray_replies_are_logged_and_dropped(
    fake_server: Callable[[Behaviour], FakeServer], warnings_logged: Callable[[], list[str]]
) -> None:
    server = fake_server(garbage_then_answer)
    with blocking(server.url) as db:
        assert db.run(ECHO, args=["first"]) == "first"
        assert db.run(ECHO, args=[{"n": 2}]) == {"n": 2}
    logged = warnings_logged()
    # Every bad frame of both calls was logged once, and nothing else went wrong.
    assert len(logged) == 2 * (len(GARBAGE_FRAMES) + 1), logged
    assert sum("undecodable frame" in message for message in logged) == 2 * 3
    assert sum("unknown request id" in message for message in logged) == 2 * 3
    assert sum("text frame" in message for message in logged) == 2
    assert not any("reader failed" in message for message in logged)


async def test_async_garbage_and_stray_replies_are_logged_and_dropped(
    fake_server: Callable[[Behaviour], FakeServer], warnings_logged: Callable[[], list[str]]
) -> None:
    server = fake_server(garbage_then_answer)
    async with asynchronous(server.url) as db:
        assert await db.run(ECHO, args=["first"]) == "first"
        assert await db.run(ECHO, args=[{"n": 2}]) == {"n": 2}
    logged = warnings_logged()
    assert len(logged) == 2 * (len(GARBAGE_FRAMES) + 1), logged
    assert sum("undecodable frame" in message for message in logged) == 2 * 3
    assert sum("unknown request id" in message for message in logged) == 2 * 3
    assert sum("text frame" in message for message in logged) == 2


def shuffled_replies(batch: int) -> Behaviour:
    """Hold `batch` requests, then answer them in reverse order with garbage in between."""
    held: list[dict[str, Any]] = []
    lock = threading.Lock()

    def behave(connection: FakeConnection, request: dict[str, Any]) -> None:
        if request["method"] != "run":
            connection.answer(request)
            return
        with lock:
            held.append(request)
            if len(held) < batch:
                return
            ready, held[:] = list(reversed(held)), []
        for index, waiting in enumerate(ready):
            connection.send(GARBAGE_FRAMES[index % len(GARBAGE_FRAMES)])
            connection.notify("UPDATE", index)
            connection.answer(waiting)

    return behave


def test_out_of_order_replies_reach_their_own_callers(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    threads, calls = 16, 5
    server = fake_server(shuffled_replies(threads))
    with blocking(server.url) as db:
        db.connect()

        def worker(number: int) -> list[Any]:
            return [db.run(ECHO, args=[[number, call]]) for call in range(calls)]

        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(worker, number) for number in range(threads)]
            results = [future.result(WAIT) for future in futures]
        subscription = db.subscribe_live(LIVE_ID)
    assert results == [[[number, call] for call in range(calls)] for number in range(threads)]
    # The notifications sent in between went to the live query's buffer, none to a caller.
    assert [n.action for n in subscription] == ["UPDATE"] * (threads * calls)


async def test_async_out_of_order_replies_reach_their_own_callers(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    calls = 200
    server = fake_server(shuffled_replies(calls))
    async with asynchronous(server.url) as db:
        results = await asyncio.wait_for(
            asyncio.gather(*(db.run(ECHO, args=[number]) for number in range(calls))), WAIT
        )
        subscription = db.subscribe_live(LIVE_ID)
    assert results == list(range(calls))
    assert [n.action async for n in subscription] == ["UPDATE"] * calls


# --------------------------------------------------------------------------------------------
# Unknown CBOR tags: the reply's caller gets ProtocolError; a notification is dropped
# --------------------------------------------------------------------------------------------


def tagged_reply(connection: FakeConnection, request: dict[str, Any]) -> None:
    if echo_argument(request) == "tagged":
        body = {"id": request["id"], "result": {"value": cbor2.CBORTag(4242, "?")}}
        connection.send(cbor2.dumps(body))
    elif echo_argument(request) == "tagged-notification":
        notification = {
            "result": {
                "action": "CREATE",
                "id": LIVE_ID,
                "record": cbor2.CBORTag(4243, "?"),
                "result": {},
                "session": None,
            }
        }
        connection.send(cbor2.dumps(notification))
        connection.notify("CREATE", 2)
        connection.answer(request)
    else:
        connection.answer(request)


def test_unknown_cbor_tag_fails_only_its_call(
    fake_server: Callable[[Behaviour], FakeServer], warnings_logged: Callable[[], list[str]]
) -> None:
    server = fake_server(tagged_reply)
    with blocking(server.url) as db:
        with pytest.raises(ProtocolError, match="4242"):
            db.run(ECHO, args=["tagged"])
        assert db.run(ECHO, args=["after"]) == "after"  # the connection is still usable
        live_id = db.live("person")
        assert db.run(ECHO, args=["tagged-notification"]) == "tagged-notification"
        subscription = db.subscribe_live(live_id)
        first = next(subscription)
    assert first.record_id == RecordID("person", 2)  # the tagged one was dropped
    assert any("4243" in message for message in warnings_logged())


async def test_async_unknown_cbor_tag_fails_only_its_call(
    fake_server: Callable[[Behaviour], FakeServer], warnings_logged: Callable[[], list[str]]
) -> None:
    server = fake_server(tagged_reply)
    async with asynchronous(server.url) as db:
        results = await asyncio.gather(
            db.run(ECHO, args=["tagged"]),
            *(db.run(ECHO, args=[number]) for number in range(20)),
            return_exceptions=True,
        )
        assert isinstance(results[0], ProtocolError)
        assert results[1:] == list(range(20))
        live_id = await db.live("person")
        assert await db.run(ECHO, args=["tagged-notification"]) == "tagged-notification"
        first = await asyncio.wait_for(anext(db.subscribe_live(live_id)), WAIT)
    assert first.record_id == RecordID("person", 2)
    assert any("4243" in message for message in warnings_logged())


# --------------------------------------------------------------------------------------------
# A notification in the middle of a request is never taken as its reply
# --------------------------------------------------------------------------------------------


def notify_before_answer(connection: FakeConnection, request: dict[str, Any]) -> None:
    if request["method"] == "run":
        number = echo_argument(request)
        connection.notify("CREATE", number)
        connection.notify("UPDATE", number)
    connection.answer(request)


def test_notification_during_a_request_is_not_its_reply(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_server(notify_before_answer)
    with blocking(server.url) as db:
        live_id = db.live("person")
        assert [db.run(ECHO, args=[number]) for number in range(3)] == [0, 1, 2]
        subscription = db.subscribe_live(live_id)
        received = [next(subscription) for _ in range(6)]
        db.kill(live_id)
        assert list(subscription) == []  # KILLED ended it, after the six
    assert [(n.action, n.record_id) for n in received] == [
        (action, RecordID("person", number))
        for number in range(3)
        for action in ("CREATE", "UPDATE")
    ]
    assert all(n.live_id == LIVE_ID for n in received)
    assert received[0].result == {"id": RecordID("person", 0), "n": 0}


async def test_async_notification_during_a_request_is_not_its_reply(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_server(notify_before_answer)
    async with asynchronous(server.url) as db:
        live_id = await db.live("person")
        results = await asyncio.gather(*(db.run(ECHO, args=[number]) for number in range(50)))
        assert results == list(range(50))
        subscription = db.subscribe_live(live_id)
        received = [await asyncio.wait_for(anext(subscription), WAIT) for _ in range(100)]
        await db.kill(live_id)
        assert [n async for n in subscription] == []
    assert sorted(n.record_id.id for n in received if n.action == "CREATE") == list(range(50))
    assert sum(n.action == "UPDATE" for n in received) == 50


# --------------------------------------------------------------------------------------------
# A consumer that falls behind: oldest dropped, counted, logged once
# --------------------------------------------------------------------------------------------


def flood(count: int) -> Behaviour:
    def behave(connection: FakeConnection, request: dict[str, Any]) -> None:
        if echo_argument(request) == "flood":
            for number in range(count):
                connection.notify("CREATE", number)
        connection.answer(request)

    return behave


def test_overflow_drops_the_oldest_and_the_consumer_can_tell(
    fake_server: Callable[[Behaviour], FakeServer],
    warnings_logged: Callable[[], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(surrealdb.live, "LIVE_BUFFER_SIZE", 5)
    server = fake_server(flood(12))
    with blocking(server.url) as db:
        live_id = db.live("person")
        db.run(ECHO, args=["flood"])
        db.run(ECHO, args=["flood"])  # replies come after the notifications: all are queued
        subscription = db.subscribe_live(live_id)
        assert isinstance(subscription, LiveSubscription)
        assert subscription.dropped == 19
        received = [next(subscription).record_id.id for _ in range(5)]
        db.kill(live_id)
        assert list(subscription) == []
    assert received == [7, 8, 9, 10, 11]
    assert sum("fell 5 notifications behind" in message for message in warnings_logged()) == 1


async def test_async_overflow_drops_the_oldest_and_the_consumer_can_tell(
    fake_server: Callable[[Behaviour], FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surrealdb.live, "LIVE_BUFFER_SIZE", 5)
    server = fake_server(flood(12))
    async with asynchronous(server.url) as db:
        live_id = await db.live("person")
        await db.run(ECHO, args=["flood"])
        subscription = db.subscribe_live(live_id)
        assert isinstance(subscription, AsyncLiveSubscription)
        assert subscription.dropped == 7
        await db.kill(live_id)
        received = [n.record_id.id async for n in subscription]
    assert received == [7, 8, 9, 10, 11]


# --------------------------------------------------------------------------------------------
# The server closes or vanishes mid-call: every pending call fails at once, iterators end
# --------------------------------------------------------------------------------------------


def end_after(pending: int, how: str) -> Behaviour:
    """Hold `pending` echo requests unanswered, then close (or drop) the connection."""
    held: list[dict[str, Any]] = []
    lock = threading.Lock()

    def behave(connection: FakeConnection, request: dict[str, Any]) -> None:
        if request["method"] != "run":
            connection.answer(request)
            return
        with lock:
            held.append(request)
            if len(held) < pending:
                return
        if how == "close":
            connection.connection.close(1011, "going away mid-call")
        else:
            connection.drop()

    return behave


@pytest.mark.parametrize("how", ["close", "drop"])
def test_server_ending_mid_call_fails_every_pending_call(
    fake_server: Callable[[Behaviour], FakeServer], how: str
) -> None:
    callers = 8
    server = fake_server(end_after(callers, how))
    # No timeout: only the ending can free the callers; no reconnect: the ending is for good
    # (tests/integration/test_resilience.py covers reconnecting).
    db = Surreal(server.url, timeout=None, reconnect=False)
    try:
        live_id = db.live("person")
        subscription = db.subscribe_live(live_id)
        consumer, consumed = in_thread(lambda: list(subscription))
        with ThreadPoolExecutor(callers) as pool:
            futures = [pool.submit(db.run, ECHO, None, [number]) for number in range(callers)]
            outcomes = []
            for future in futures:
                with pytest.raises(SurrealConnectionError) as caught:
                    future.result(WAIT)
                outcomes.append(caught.value)
        consumer.join(WAIT)
        assert not consumer.is_alive(), "the live iterator did not end"
        assert consumed == [[]]
        assert len({id(error) for error in outcomes}) == callers  # one error per caller
        started = time.monotonic()
        with pytest.raises(SurrealConnectionError):
            db.run(ECHO, args=["later"])
        with pytest.raises(SurrealConnectionError):
            db.ping()
        assert time.monotonic() - started < 1
        assert list(db.subscribe_live(uuid.uuid4())) == []  # a new subscription ends at once
    finally:
        db.close()


@pytest.mark.parametrize("how", ["close", "drop"])
async def test_async_server_ending_mid_call_fails_every_pending_call(
    fake_server: Callable[[Behaviour], FakeServer], how: str
) -> None:
    callers = 50
    server = fake_server(end_after(callers, how))
    db = AsyncSurreal(server.url, timeout=None, reconnect=False)
    try:
        live_id = await db.live("person")
        consumer = asyncio.create_task(_collect(db.subscribe_live(live_id)))
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(db.run(ECHO, args=[number]) for number in range(callers)),
                return_exceptions=True,
            ),
            WAIT,
        )
        assert all(isinstance(outcome, SurrealConnectionError) for outcome in outcomes), outcomes
        assert await asyncio.wait_for(consumer, WAIT) == []
        with pytest.raises(SurrealConnectionError):
            await asyncio.wait_for(db.run(ECHO, args=["later"]), 1)
        assert await _collect(db.subscribe_live(uuid.uuid4())) == []
    finally:
        await db.close()


async def _collect(subscription: Any) -> list[LiveNotification]:
    return [notification async for notification in subscription]


# --------------------------------------------------------------------------------------------
# The client closes while calls wait: they fail at once, iterators end, nothing hangs
# --------------------------------------------------------------------------------------------


def never_answer_echo(connection: FakeConnection, request: dict[str, Any]) -> None:
    if request["method"] != "run" or echo_argument(request) != "never":
        connection.answer(request)


def test_close_fails_pending_calls_and_ends_live_iterators(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    callers = 8
    server = fake_server(never_answer_echo)
    db = blocking(server.url, timeout=None)
    live_id = db.live("person")
    consumer, consumed = in_thread(lambda: list(db.subscribe_live(live_id)))
    pool = ThreadPoolExecutor(callers)
    futures = [pool.submit(db.run, ECHO, None, ["never"]) for _ in range(callers)]
    assert until(lambda: len(server.requests) == callers + 1)
    time.sleep(0.05)
    assert not any(future.done() for future in futures)
    started = time.monotonic()
    db.close()
    for future in futures:
        with pytest.raises(SurrealConnectionError, match="closed"):
            future.result(WAIT)
    consumer.join(WAIT)
    assert time.monotonic() - started < 2
    assert not consumer.is_alive()
    assert consumed == [[]]
    pool.shutdown()
    with pytest.raises(SurrealConnectionError, match="closed"):
        db.ping()
    db.close()  # idempotent


async def test_async_close_fails_pending_calls_and_ends_live_iterators(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_server(never_answer_echo)
    db = asynchronous(server.url, timeout=None)
    live_id = await db.live("person")
    consumer = asyncio.create_task(_collect(db.subscribe_live(live_id)))
    calls = [asyncio.create_task(db.run(ECHO, args=["never"])) for _ in range(100)]
    await asyncio.sleep(0.1)
    assert not any(call.done() for call in calls)
    started = time.monotonic()
    await asyncio.wait_for(db.close(), WAIT)
    outcomes = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), WAIT)
    assert all(isinstance(outcome, SurrealConnectionError) for outcome in outcomes)
    assert await asyncio.wait_for(consumer, WAIT) == []
    assert time.monotonic() - started < 2
    with pytest.raises(SurrealConnectionError, match="closed"):
        await db.ping()


# --------------------------------------------------------------------------------------------
# A server that never answers: the caller's timeout, and the connection stays usable
# --------------------------------------------------------------------------------------------


def answer_late(connection: FakeConnection, request: dict[str, Any]) -> None:
    argument = echo_argument(request)
    if argument == "never":
        return
    if argument == "late":
        connection.later(0.4, connection.answer, request)
        return
    connection.answer(request)


def test_a_call_without_reply_times_out_and_the_connection_stays_usable(
    fake_server: Callable[[Behaviour], FakeServer],
    warnings_logged: Callable[[], list[str]],
    debug_logged: Callable[[], list[str]],
) -> None:
    server = fake_server(answer_late)
    with blocking(server.url, timeout=0.2) as db:
        for argument in ("never", "late"):
            started = time.monotonic()
            with pytest.raises(SurrealTimeoutError, match=r"no reply within 0\.2 s"):
                db.run(ECHO, args=[argument])
            assert 0.15 < time.monotonic() - started < 1.5
        assert db.run(ECHO, args=["still usable"]) == "still usable"
        # The late reply arrives after its caller gave up: dropped, logged as expected (debug).
        assert until(lambda: any("after its caller gave up" in m for m in debug_logged()), 2)
        assert db.run(ECHO, args=[1]) == 1
    assert warnings_logged() == []


async def test_async_call_without_reply_times_out_and_the_connection_stays_usable(
    fake_server: Callable[[Behaviour], FakeServer],
    warnings_logged: Callable[[], list[str]],
    debug_logged: Callable[[], list[str]],
) -> None:
    server = fake_server(answer_late)
    async with asynchronous(server.url, timeout=0.2) as db:
        started = time.monotonic()
        outcomes = await asyncio.gather(
            db.run(ECHO, args=["never"]),
            db.run(ECHO, args=["late"]),
            db.run(ECHO, args=[3]),
            return_exceptions=True,
        )
        assert 0.15 < time.monotonic() - started < 1.5
        assert isinstance(outcomes[0], SurrealTimeoutError)
        assert isinstance(outcomes[1], SurrealTimeoutError)
        assert outcomes[2] == 3
        await asyncio.sleep(0.4)
        assert await db.run(ECHO, args=["still usable"]) == "still usable"
        assert sum("after its caller gave up" in m for m in debug_logged()) == 1
    assert warnings_logged() == []


async def test_a_cancelled_call_leaves_the_connection_usable(
    fake_server: Callable[[Behaviour], FakeServer],
    warnings_logged: Callable[[], list[str]],
    debug_logged: Callable[[], list[str]],
) -> None:
    server = fake_server(answer_late)
    async with asynchronous(server.url, timeout=None) as db:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(db.run(ECHO, args=["late"]), 0.1)
        assert await db.run(ECHO, args=[2]) == 2
        await asyncio.sleep(0.4)  # the cancelled call's reply arrives and is dropped
        assert await db.run(ECHO, args=[3]) == 3
    assert sum("after its caller gave up" in m for m in debug_logged()) == 1
    assert warnings_logged() == []


@pytest.mark.parametrize("flavour", ["blocking", "asyncio"])
def test_a_late_reply_to_a_client_that_left_ends_the_fake_servers_thread_quietly(
    fake_server: Callable[[Behaviour], FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    flavour: str,
) -> None:
    """The client times out and closes (1000) before the fake's delayed reply is due: the
    timer thread that sends it must end quietly, not with ConnectionClosedOK (which pytest
    reported as PytestUnhandledThreadExceptionWarning in about one run in seven)."""
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    server = fake_server(answer_late)
    if flavour == "blocking":
        with blocking(server.url, timeout=0.05) as db, pytest.raises(SurrealTimeoutError):
            db.run(ECHO, args=["late"])
    else:

        async def call_and_leave() -> None:
            async with asynchronous(server.url, timeout=0.05) as adb:
                with pytest.raises(SurrealTimeoutError):
                    await adb.run(ECHO, args=["late"])

        asyncio.run(asyncio.wait_for(call_and_leave(), WAIT))
    (connection,) = server.connections
    for timer in connection.timers:
        timer.join(WAIT)
        assert not timer.is_alive()
    assert failures == []


def test_a_blocking_timeout_does_not_swallow_the_next_reply(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    """After a timeout, the late reply must not be taken by the next caller."""
    server = fake_server(answer_late)
    with blocking(server.url, timeout=0.3) as db:
        with pytest.raises(SurrealTimeoutError):
            db.run(ECHO, args=["late"])
        thread, outcome = in_thread(lambda: db.run(ECHO, args=["never"]))
        thread.join(WAIT)
        # The "late" reply arrived while the second call waited: it must not be its answer.
        assert len(outcome) == 1 and isinstance(outcome[0], SurrealTimeoutError), outcome


def test_fake_server_is_what_the_client_expects(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    """The fake speaks the protocol well enough that faults, not the fake, fail the tests."""
    server = fake_server(well_behaved)
    with blocking(server.url) as db:
        assert db.version() == "surrealdb-fake"
        assert db.run(ECHO, args=[{"a": [1, 2]}]) == {"a": [1, 2]}
    assert [request["method"] for request in server.requests] == ["version", "run"]
    assert all(isinstance(request["id"], int) for request in server.requests)


def kill_without_killed(connection: FakeConnection, request: dict[str, Any]) -> None:
    if request["method"] == "kill":
        connection.reply(request, NONE)  # a server that sends no KILLED notification
    else:
        connection.answer(request)


def test_kill_ends_the_subscription_without_a_killed_notification(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_server(kill_without_killed)
    with blocking(server.url) as db:
        live_id = db.live("person")
        consumer, consumed = in_thread(lambda: list(db.subscribe_live(live_id)))
        time.sleep(0.05)
        db.kill(live_id)
        consumer.join(WAIT)
        assert not consumer.is_alive(), "kill() did not end the subscription"
        assert consumed == [[]]
        assert db.run(ECHO, args=[1]) == 1


async def test_async_kill_ends_the_subscription_without_a_killed_notification(
    fake_server: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_server(kill_without_killed)
    async with asynchronous(server.url) as db:
        live_id = await db.live("person")
        consumer = asyncio.create_task(_collect(db.subscribe_live(live_id)))
        await asyncio.sleep(0.05)
        await db.kill(live_id)
        assert await asyncio.wait_for(consumer, WAIT) == []


def broken_deliver(self: Any, notification: LiveNotification) -> None:
    raise RuntimeError("a bug while routing a notification")


def test_a_failing_reader_fails_every_call_instead_of_hanging(
    fake_server: Callable[[Behaviour], FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Should routing ever raise (a bug), the reader must not die silently: the pending call
    and later ones fail with SurrealConnectionError, and the error is logged."""
    monkeypatch.setattr(surrealdb.live.LiveRouter, "deliver", broken_deliver)
    server = fake_server(notify_before_answer)
    db = blocking(server.url, timeout=None)
    try:
        with pytest.raises(SurrealConnectionError, match="reader failed"):
            db.run(ECHO, args=[1])
        with pytest.raises(SurrealConnectionError, match="reader failed"):
            db.run(ECHO, args=[2])
    finally:
        db.close()
    assert any("reader failed" in record.getMessage() for record in caplog.records)


async def test_async_failing_reader_fails_every_call_instead_of_hanging(
    fake_server: Callable[[Behaviour], FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surrealdb.live.LiveRouter, "deliver", broken_deliver)
    server = fake_server(notify_before_answer)
    db = asynchronous(server.url, timeout=None)
    try:
        with pytest.raises(SurrealConnectionError, match="reader failed"):
            await asyncio.wait_for(db.run(ECHO, args=[1]), WAIT)
        with pytest.raises(SurrealConnectionError, match="reader failed"):
            await asyncio.wait_for(db.run(ECHO, args=[2]), WAIT)
    finally:
        await db.close()
