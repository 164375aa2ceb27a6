"""Reconnecting, seen from a fake server that records every request on every connection.

What a reconnect replays, and in which order (authenticate with the last token, or sign in
again when the token is refused; `use`; each `let`; each live query); that a write whose link
dropped is never sent again; what does not survive (sessions, transactions); giving up; and a
matrix of faults (garbage, truncated and oversized frames, unknown tags, text frames, closes,
drops), each followed by a working call and a live query that keeps receiving.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import cbor2
import pytest

import surrealdb.transports.ws_blocking
from surrealdb import (
    AsyncSurreal,
    ReconnectPolicy,
    RecordID,
    SessionClosedError,
    Surreal,
    SurrealConnectionError,
    TransactionEndedError,
)
from surrealdb import cbor as surreal_cbor
from surrealdb.errors import ProtocolError
from surrealdb.values import NONE, Table
from tests.integration.test_ws_faults import (
    ECHO,
    GARBAGE_FRAMES,
    FakeConnection,
    FakeServer,
)

WAIT = 5.0
FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


class Recorder:
    """A fake server's behaviour: answers like a server, records requests per connection.

    Each connection gets its own live-query ids and sign-in tokens, as a real server would.
    `faults` maps an echo argument to a fault to inject instead of answering.
    """

    def __init__(self) -> None:
        self.by_connection: dict[int, list[dict[str, Any]]] = {}
        self.order: list[FakeConnection] = []
        self.valid_tokens: set[str] = set()
        self.refuse_tokens = False
        self.faults: dict[str, Callable[[FakeConnection, dict[str, Any]], None]] = {}
        self.lives: dict[int, list[uuid.UUID]] = {}
        self.lock = threading.Lock()

    def number(self, connection: FakeConnection) -> int:
        with self.lock:
            if connection not in self.order:
                self.order.append(connection)
                self.by_connection[len(self.order) - 1] = []
            return self.order.index(connection)

    def new_live_id(self, connection: FakeConnection) -> uuid.UUID:
        """A new live query's id: each connection numbers its own."""
        lives = self.lives.setdefault(self.number(connection), [])
        lives.append(uuid.uuid5(uuid.NAMESPACE_OID, f"{self.number(connection)}-{len(lives)}"))
        return lives[-1]

    def live_id(self, connection: FakeConnection, index: int = 0) -> uuid.UUID:
        """The id of the `index`-th live query started on a connection."""
        return self.lives[self.number(connection)][index]

    def requests(self, connection_number: int) -> list[tuple[str, list[Any]]]:
        return [(r["method"], r["params"]) for r in self.by_connection.get(connection_number, [])]

    def __call__(self, connection: FakeConnection, request: dict[str, Any]) -> None:
        number = self.number(connection)
        self.by_connection[number].append(request)
        method, params = request["method"], request["params"]
        argument = params[2][0] if method == "run" and len(params) > 2 else None
        if isinstance(argument, str) and argument in self.faults:
            self.faults[argument](connection, request)
        elif method == "signin":
            token = f"token-{number}-{len(self.valid_tokens)}"
            self.valid_tokens.add(token)
            connection.reply(request, token)
        elif method == "authenticate":
            if self.refuse_tokens or params[0] not in self.valid_tokens:
                error = {
                    "code": -32000,
                    "message": "There was a problem with authentication",
                    "kind": "NotAllowed",
                    "details": {"kind": "Auth", "details": "InvalidAuth"},
                }
                connection.send(surreal_cbor.encode({"id": request["id"], "error": error}))
            else:
                connection.reply(request, NONE)
        elif method == "live":
            connection.reply(request, self.new_live_id(connection))
        elif method == "query" and str(params[0]).startswith("LIVE SELECT"):
            statements = str(params[0]).count("LIVE SELECT")
            ids = [self.new_live_id(connection) for _ in range(statements)]
            result = [{"status": "OK", "time": "1µs", "type": "live", "result": i} for i in ids]
            connection.reply(request, result)
        elif method == "query":
            connection.reply(request, [{"status": "OK", "time": "1µs", "result": NONE}])
        elif method == "begin":
            connection.reply(request, uuid.uuid4())
        elif method == "create":
            connection.reply(request, {"id": params[0]})
        else:
            connection.answer(request)


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, FakeServer]]:
    behaviour = Recorder()
    server = FakeServer(behaviour)
    try:
        yield behaviour, server
    finally:
        server.stop()


def until(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def drop(connection: FakeConnection, request: dict[str, Any]) -> None:
    """Vanish without answering (the request was received: it may have run)."""
    connection.drop()


def notify(recorder: Recorder, connection: FakeConnection, number: int) -> None:
    """A CREATE notification for the connection's (first) live query."""
    connection.notify("CREATE", number, recorder.live_id(connection))


# --------------------------------------------------------------------------------------------
# What a reconnect replays
# --------------------------------------------------------------------------------------------


def test_reconnect_replays_the_session_and_never_resends_a_write(
    recorder: tuple[Recorder, FakeServer],
) -> None:
    behaviour, server = recorder
    behaviour.faults["drop"] = drop
    db = Surreal(server.url, timeout=WAIT, reconnect=FAST)
    db.signin({"username": "root", "password": "secret"})
    db.use("shop", "main")
    db.let("currency", "EUR")
    db.let("gone", 1)
    db.unset("gone")
    live_id = db.live("person", diff=True)
    query_live = db.query("LIVE SELECT * FROM person WHERE n > 1")
    subscription = db.subscribe_live(live_id)
    db.create(RecordID("person", 1), {"n": 1})
    with pytest.raises(SurrealConnectionError, match="while the call waited for its reply"):
        db.run(ECHO, args=["drop"])  # the server got it, then the link dropped
    assert db.run(ECHO, args=["after"]) == "after"  # waits for the reconnect
    assert db.reconnects == 1

    first, second = behaviour.requests(0), behaviour.requests(1)
    assert [m for m, _ in first].count("run") == 1
    assert [m for m, _ in second] == [
        "authenticate",
        "use",
        "let",
        "live",
        "query",
        "run",
    ]
    assert second[0] == ("authenticate", ["token-0-0"])  # the token, not the password
    assert second[1] == ("use", ["shop", "main"])
    assert second[2] == ("let", ["currency", "EUR"])
    assert second[3] == ("live", [Table("person"), True])
    assert second[4][1][0] == "LIVE SELECT * FROM person WHERE n > 1"
    assert second[5][1][2] == ["after"]  # the dropped call was not sent again
    assert sum(m == "create" for c in (first, second) for m, _ in c) == 1

    # The subscription keeps receiving, under the id the caller knows, and can tell.
    new_connection = behaviour.order[1]
    notify(behaviour, new_connection, 7)
    notification = next(subscription)
    assert notification.live_id == live_id and notification.record_id == RecordID("person", 7)
    assert subscription.reconnects == 1
    # kill() with the original id stops the live query the server now knows.
    db.kill(live_id)
    assert behaviour.requests(1)[-1] == ("kill", [behaviour.live_id(new_connection, 0)])
    assert list(subscription) == []
    # KILL in SurrealQL with the original id as a variable works too.
    db.query("KILL $id", {"id": query_live})
    assert behaviour.requests(1)[-1][1][1] == {"id": behaviour.live_id(new_connection, 1)}
    db.close()


async def test_async_reconnect_replays_the_session_and_never_resends_a_write(
    recorder: tuple[Recorder, FakeServer],
) -> None:
    behaviour, server = recorder
    behaviour.faults["drop"] = drop
    db = AsyncSurreal(server.url, timeout=WAIT, reconnect=FAST)
    await db.signin({"username": "root", "password": "secret"})
    await db.use("shop", "main")
    await db.let("currency", "EUR")
    live_id = await db.live("person")
    subscription = db.subscribe_live(live_id)
    with pytest.raises(SurrealConnectionError):
        await db.run(ECHO, args=["drop"])
    assert await db.run(ECHO, args=["after"]) == "after"
    assert [m for m, _ in behaviour.requests(1)] == [
        "authenticate",
        "use",
        "let",
        "live",
        "run",
    ]
    notify(behaviour, behaviour.order[1], 3)
    notification = await asyncio.wait_for(anext(subscription), WAIT)
    assert notification.live_id == live_id
    assert subscription.reconnects == 1 and db.reconnects == 1
    await db.kill(live_id)
    assert [n async for n in subscription] == []
    await db.close()


def test_notifications_that_race_the_restart_reply_are_kept(
    recorder: tuple[Recorder, FakeServer],
) -> None:
    """The server may send the restarted live query's first notifications right behind the
    reply that gives its new id: none may be lost."""
    behaviour, server = recorder

    def live_then_notify(connection: FakeConnection, request: dict[str, Any]) -> None:
        connection.reply(request, behaviour.new_live_id(connection))
        for number in range(20):
            notify(behaviour, connection, number)

    db = Surreal(server.url, timeout=WAIT, reconnect=FAST)
    live_id = db.live("person")
    subscription = db.subscribe_live(live_id)
    behaviour.faults["drop"] = drop
    original = Recorder.__call__

    def patched(self: Recorder, connection: FakeConnection, request: dict[str, Any]) -> None:
        if request["method"] == "live" and self.number(connection) > 0:
            self.by_connection[self.number(connection)].append(request)
            live_then_notify(connection, request)
        else:
            original(self, connection, request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Recorder, "__call__", patched)
        with pytest.raises(SurrealConnectionError):
            db.run(ECHO, args=["drop"])
        received = [next(subscription).record_id.id for _ in range(20)]
    assert sorted(received) == list(range(20))
    db.close()


def test_a_refused_token_signs_in_again_with_the_kept_credentials(
    recorder: tuple[Recorder, FakeServer],
) -> None:
    behaviour, server = recorder
    behaviour.faults["drop"] = drop
    db = Surreal(server.url, timeout=WAIT, reconnect=FAST)
    db.signin({"username": "root", "password": "secret"})
    behaviour.refuse_tokens = True  # as after a restart with new keys, or once it expired
    with pytest.raises(SurrealConnectionError):
        db.run(ECHO, args=["drop"])
    assert db.run(ECHO, args=["after"]) == "after"
    second = behaviour.requests(1)
    assert [m for m, _ in second] == ["authenticate", "signin", "run"]
    assert second[1] == ("signin", [{"user": "root", "pass": "secret"}])
    db.close()


def test_without_kept_credentials_a_refused_token_ends_the_connection(
    recorder: tuple[Recorder, FakeServer],
) -> None:
    behaviour, server = recorder
    behaviour.faults["drop"] = drop
    policy = ReconnectPolicy(initial_delay=0.01, keep_credentials=False)
    db = Surreal(server.url, timeout=WAIT, reconnect=policy)
    db.signin({"username": "root", "password": "secret"})
    behaviour.refuse_tokens = True
    with pytest.raises(SurrealConnectionError):
        db.run(ECHO, args=["drop"])
    with pytest.raises(SurrealConnectionError, match="restoring the session on it failed"):
        db.run(ECHO, args=["after"])
    assert db.is_closed
    assert [m for m, _ in behaviour.requests(1)] == ["authenticate"]  # never the password
    db.close()


def test_sessions_and_transactions_do_not_survive_a_reconnect(
    recorder: tuple[Recorder, FakeServer],
) -> None:
    behaviour, server = recorder
    behaviour.faults["drop"] = drop
    db = Surreal(server.url, timeout=WAIT, reconnect=FAST)
    session = db.new_session()
    session_live = session.live("person")
    session_subscription = session.subscribe_live(session_live)
    transaction = db.transaction()
    with pytest.raises(SurrealConnectionError):
        db.run(ECHO, args=["drop"])
    assert db.run(ECHO, args=["after"]) == "after"
    sent = len(behaviour.requests(1))
    with pytest.raises(SessionClosedError, match="lost when the connection"):
        session.query("RETURN 1")
    with pytest.raises(TransactionEndedError, match="none of its writes were committed"):
        transaction.commit()
    assert len(behaviour.requests(1)) == sent  # refused before anything was sent
    assert list(session_subscription) == []  # its live query ended with the session
    session.close()  # still fine to close
    db.close()


def test_reconnect_gives_up_after_max_attempts(recorder: tuple[Recorder, FakeServer]) -> None:
    _, server = recorder
    policy = ReconnectPolicy(initial_delay=0.01, max_delay=0.02, max_attempts=3)
    db = Surreal(server.url, timeout=None, reconnect=policy)
    live_id = db.live("person")
    subscription = db.subscribe_live(live_id)
    server.stop()  # closes the connection and listens no more: every attempt is refused
    with pytest.raises(SurrealConnectionError, match="3 attempts to reconnect failed"):
        db.ping()  # waited for the attempts, then failed
    assert db.is_closed
    assert list(subscription) == []
    db.close()


# --------------------------------------------------------------------------------------------
# A matrix of faults: each is survived, the next call works, the live query keeps receiving
# --------------------------------------------------------------------------------------------


def send_garbage(connection: FakeConnection, request: dict[str, Any]) -> None:
    for frame in GARBAGE_FRAMES:
        connection.send(frame)
    connection.reply(request, "survived")


def send_text(connection: FakeConnection, request: dict[str, Any]) -> None:
    connection.send("not CBOR")
    connection.reply(request, "survived")


def send_unknown_tag(connection: FakeConnection, request: dict[str, Any]) -> None:
    connection.send(cbor2.dumps({"id": request["id"], "result": cbor2.CBORTag(4242, "?")}))


def send_truncated_frame(connection: FakeConnection, request: dict[str, Any]) -> None:
    """Half a WebSocket frame (the header announces 1,000 bytes, 10 come), then vanish."""
    raw = connection.connection.socket
    raw.sendall(b"\x82\x7e" + struct.pack("!H", 1000) + b"\xa1" * 10)
    raw.shutdown(socket.SHUT_RDWR)
    raw.close()


def send_truncated_cbor(connection: FakeConnection, request: dict[str, Any]) -> None:
    frame = surreal_cbor.encode({"id": request["id"], "result": "x" * 100})
    connection.send(frame[: len(frame) // 2])  # undecodable: logged and dropped
    connection.reply(request, "survived")


def send_oversized(connection: FakeConnection, request: dict[str, Any]) -> None:
    connection.reply(request, "x" * (2 * 1024 * 1024))  # more than the client's limit here


def close_1011(connection: FakeConnection, request: dict[str, Any]) -> None:
    connection.connection.close(1011, "internal error")


def close_1001(connection: FakeConnection, request: dict[str, Any]) -> None:
    connection.connection.close(1001, "going away")


# fault -> what the faulty call gets: a value, or the exception class it raises
FAULTS: dict[str, tuple[Callable[[FakeConnection, dict[str, Any]], None], Any]] = {
    "garbage frames": (send_garbage, "survived"),
    "text frame": (send_text, "survived"),
    "unknown CBOR tag": (send_unknown_tag, ProtocolError),
    "truncated CBOR": (send_truncated_cbor, "survived"),
    "truncated WebSocket frame": (send_truncated_frame, SurrealConnectionError),
    "oversized message": (send_oversized, SurrealConnectionError),
    "close 1011": (close_1011, SurrealConnectionError),
    "close 1001": (close_1001, SurrealConnectionError),
    "dropped TCP": (drop, SurrealConnectionError),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(
    recorder: tuple[Recorder, FakeServer], fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surrealdb.transports.ws_blocking, "MAX_MESSAGE_SIZE", 1024 * 1024)
    behaviour, server = recorder
    inject, outcome = FAULTS[fault]
    behaviour.faults["fault"] = inject
    db = Surreal(server.url, timeout=WAIT, reconnect=FAST)
    db.let("kept", 1)
    live_id = db.live("person")
    subscription = db.subscribe_live(live_id)
    for _ in range(3):  # the same fault again and again
        if isinstance(outcome, type):
            with pytest.raises(outcome):
                db.run(ECHO, args=["fault"])
        else:
            assert db.run(ECHO, args=["fault"]) == outcome
        assert db.run(ECHO, args=["next"]) == "next"
        connection = behaviour.order[-1]
        notify(behaviour, connection, 1)
        assert next(subscription).live_id == live_id
    reconnects = 3 if outcome is SurrealConnectionError else 0
    assert db.reconnects == reconnects
    assert subscription.reconnects == reconnects
    if reconnects:  # each new connection got the variable and the live query first
        assert [m for m, _ in behaviour.requests(len(behaviour.order) - 1)][:2] == ["let", "live"]
    db.close()


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_async_fault_matrix(
    recorder: tuple[Recorder, FakeServer], fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surrealdb.transports.ws_blocking, "MAX_MESSAGE_SIZE", 1024 * 1024)
    behaviour, server = recorder
    inject, outcome = FAULTS[fault]
    behaviour.faults["fault"] = inject
    db = AsyncSurreal(server.url, timeout=WAIT, reconnect=FAST)
    live_id = await db.live("person")
    subscription = db.subscribe_live(live_id)
    for _ in range(3):
        if isinstance(outcome, type):
            with pytest.raises(outcome):
                await db.run(ECHO, args=["fault"])
        else:
            assert await db.run(ECHO, args=["fault"]) == outcome
        assert await db.run(ECHO, args=["next"]) == "next"
        notify(behaviour, behaviour.order[-1], 1)
        notification = await asyncio.wait_for(anext(subscription), WAIT)
        assert notification.live_id == live_id
    assert db.reconnects == (3 if outcome is SurrealConnectionError else 0)
    await db.close()
