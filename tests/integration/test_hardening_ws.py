"""Hardening of the WebSocket transports against servers that end links at awkward moments,
id-less error replies, connections carried into another event loop, and servers that accept
and drop at once.

The faults come from `RawServer`, a TCP server on 127.0.0.1 that makes the WebSocket opening
handshake by hand and then sends whatever bytes a test asks for (a close frame, a frame header
announcing 200 MB, nothing), and counts the TCP connections it accepted. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import cbor2
import pytest

from surrealdb import AsyncSurreal, ReconnectPolicy, Surreal
from surrealdb.connections import AsyncSurrealConnection
from surrealdb.errors import (
    InvalidParamsError,
    ServerError,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.protocol import Request
from surrealdb.reconnect import RESTORED_LINK_SETTLES, restored_link_failed
from tests.integration.test_resilience import until
from tests.integration.test_ws_faults import (
    ECHO,
    Behaviour,
    FakeConnection,
    FakeServer,
    echo_argument,
    in_thread,
)
from tests.server import ServerInfo
from tests.unit.test_protocol import UNREADABLE

WAIT = 10.0
"""The bound on every wait: a bug fails the test instead of hanging it."""

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CLOSE_1011 = b"\x88\x02\x03\xf3"
"""A close frame from the server, code 1011 (internal error), with no reason."""

HUGE_FRAME_HEADER = b"\x82\x7f" + (200 * 1024 * 1024).to_bytes(8, "big")
"""The header of a binary frame that announces 200 MB, more than the client accepts."""


class RawServer:
    """A WebSocket server by hand: after each opening handshake it sends `after_handshake`
    (in the same write as the handshake's response when `same_write`, else `pause` seconds
    later), then, if `drop`, ends the TCP connection; otherwise it holds the connection,
    reading and ignoring. With `first_reads`, the first connection waits for the client's
    first frame before it does any of that (so that the client's first link opens)."""

    def __init__(
        self,
        after_handshake: bytes = b"",
        *,
        drop: bool = False,
        same_write: bool = True,
        pause: float = 0.0,
        first_reads: bool = False,
    ) -> None:
        self.after_handshake = after_handshake
        self.drop = drop
        self.same_write = same_write
        self.pause = pause
        self.first_reads = first_reads
        self.accepted = 0  # TCP connections accepted
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/rpc"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._sockets.append(client)
            first = self.accepted == 1
            thread = threading.Thread(target=self._serve, args=(client, first), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket, first: bool) -> None:
        try:
            client.settimeout(WAIT)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                request += chunk
            key = ""
            for line in request.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "sec-websocket-key":
                    key = value.strip()
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            response = (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
                "Sec-WebSocket-Protocol: cbor\r\n\r\n"
            ).encode()
            if first and self.first_reads:
                client.sendall(response)
                client.recv(65536)
                client.sendall(self.after_handshake)
            elif self.same_write:
                client.sendall(response + self.after_handshake)
            else:
                client.sendall(response)
                time.sleep(self.pause)
                client.sendall(self.after_handshake)
            if self.drop:
                client.shutdown(socket.SHUT_RDWR)
                client.close()
                return
            client.settimeout(0.1)
            while not self._stop.is_set():  # hold it: read and ignore until the client leaves
                try:
                    if not client.recv(65536):
                        return
                except TimeoutError:
                    continue
        except OSError:
            return
        finally:
            client.close()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(WAIT)
        for thread in self._threads:
            thread.join(WAIT)


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(*args: object, **kwargs: object) -> RawServer:
        server = RawServer(*args, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --------------------------------------------------------------------------------------------
# A server that ends the link right after the handshake: the call fails in time, no spinning
# --------------------------------------------------------------------------------------------

ENDINGS = {"close frame": CLOSE_1011, "200 MB frame header": HUGE_FRAME_HEADER}


@pytest.mark.parametrize("same_write", [True, False], ids=["same write", "next write"])
@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_async_a_link_that_ends_during_the_open_fails_the_call_without_spinning(
    raw_server: Callable[..., RawServer], ending: str, same_write: bool
) -> None:
    server = raw_server(ENDINGS[ending], same_write=same_write, pause=0.05)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    db = AsyncSurreal(server.url, timeout=2)
    started = time.monotonic()
    try:
        with pytest.raises((SurrealConnectionError, SurrealTimeoutError)):
            await asyncio.wait_for(db.query("RETURN 1"), WAIT)
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"the call took {elapsed:.1f} s"
        before = ticks
        await asyncio.sleep(0.2)
        assert ticks > before, "the event loop did not run the ticker"
        # The loop kept running other tasks all along: about one tick per 10 ms.
        assert ticks >= elapsed / 0.01 / 10, (ticks, elapsed)
    finally:
        ticking.cancel()
        await asyncio.wait_for(db.close(), WAIT)


@pytest.mark.parametrize("same_write", [True, False], ids=["same write", "next write"])
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_link_that_ends_during_the_open_fails_the_call(
    raw_server: Callable[..., RawServer], ending: str, same_write: bool
) -> None:
    server = raw_server(ENDINGS[ending], same_write=same_write, pause=0.05)
    db = Surreal(server.url, timeout=2)
    started = time.monotonic()
    try:
        with pytest.raises((SurrealConnectionError, SurrealTimeoutError)):
            db.query("RETURN 1")
        assert time.monotonic() - started < 5
    finally:
        db.close()


# --------------------------------------------------------------------------------------------
# A server that accepts, then drops: every such link is a failed attempt; max_attempts ends it
# --------------------------------------------------------------------------------------------

GIVE_UP_AFTER_3 = ReconnectPolicy(initial_delay=0.01, max_delay=0.05, max_attempts=3)


def accepting_then_dropping(raw_server: Callable[..., RawServer]) -> RawServer:
    """Drops each connection 50 ms after its handshake; the first one once a frame came."""
    return raw_server(drop=True, same_write=False, pause=0.05, first_reads=True)


def test_reconnect_gives_up_on_a_server_that_accepts_then_drops(
    raw_server: Callable[..., RawServer],
) -> None:
    server = accepting_then_dropping(raw_server)
    db = Surreal(server.url, timeout=2, reconnect=GIVE_UP_AFTER_3)
    try:
        with pytest.raises(SurrealConnectionError):
            db.query("RETURN 1")  # sent on the first link, which the server then drops
        assert until(lambda: db.is_closed), f"still not closed, {server.accepted} connections"
        with pytest.raises(SurrealConnectionError) as caught:
            db.query("RETURN 1")
        message = str(caught.value)
        assert "3 attempts to reconnect failed" in message, message
        assert "dropped right after it was restored" in message, message
        time.sleep(0.3)  # nothing tries again behind the scenes
        assert server.accepted == 1 + 3  # the first link, then three attempts
    finally:
        db.close()


async def test_async_reconnect_gives_up_on_a_server_that_accepts_then_drops(
    raw_server: Callable[..., RawServer],
) -> None:
    server = accepting_then_dropping(raw_server)
    db = AsyncSurreal(server.url, timeout=2, reconnect=GIVE_UP_AFTER_3)
    try:
        with pytest.raises(SurrealConnectionError):
            await asyncio.wait_for(db.query("RETURN 1"), WAIT)
        deadline = time.monotonic() + WAIT
        while not db.is_closed and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert db.is_closed, f"still not closed, {server.accepted} connections"
        with pytest.raises(SurrealConnectionError) as caught:
            await asyncio.wait_for(db.query("RETURN 1"), WAIT)
        message = str(caught.value)
        assert "3 attempts to reconnect failed" in message, message
        assert "dropped right after it was restored" in message or "right after the" in message
        await asyncio.sleep(0.3)
        assert server.accepted == 1 + 3
    finally:
        await asyncio.wait_for(db.close(), WAIT)


def test_a_restored_link_fails_when_nothing_came_on_it_soon() -> None:
    assert restored_link_failed(messages=0, seconds_up=0.05)
    assert not restored_link_failed(messages=1, seconds_up=0.05)  # a reply got through
    assert not restored_link_failed(messages=0, seconds_up=RESTORED_LINK_SETTLES)  # it lasted


# --------------------------------------------------------------------------------------------
# An error the server sends without a request id (it could not read the request)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fake_servers() -> Iterator[Callable[[Behaviour], FakeServer]]:
    """Start `test_ws_faults.FakeServer`s with a behaviour; all are stopped after the test."""
    started: list[FakeServer] = []

    def start(behaviour: Behaviour) -> FakeServer:
        started.append(FakeServer(behaviour))
        return started[-1]

    yield start
    for server in started:
        server.stop()


UNREADABLE_ERROR = cbor2.dumps(UNREADABLE)  # the shape the 3.0.2 engine's gateway sends


def unreadable_unless_plain(connection: FakeConnection, request: dict[str, Any]) -> None:
    """`run(ECHO, ["unreadable"])` gets the id-less parse error; the others their answer."""
    if echo_argument(request) == "unreadable":
        connection.send(UNREADABLE_ERROR)
    else:
        connection.answer(request)


def test_an_id_less_error_fails_the_only_call_in_flight_at_once(
    fake_servers: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_servers(unreadable_unless_plain)
    with Surreal(server.url, timeout=30) as db:
        started = time.monotonic()
        with pytest.raises(InvalidParamsError, match="could not read the request") as caught:
            db.run(ECHO, args=["unreadable"])
        assert time.monotonic() - started < 5
        assert caught.value.code == -32700
        assert db.run(ECHO, args=["after"]) == "after"  # the connection is still usable
        assert db.reconnects == 0


async def test_async_an_id_less_error_fails_the_only_call_in_flight_at_once(
    fake_servers: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake_servers(unreadable_unless_plain)
    async with AsyncSurreal(server.url, timeout=30) as db:
        started = time.monotonic()
        with pytest.raises(InvalidParamsError, match="could not read the request") as caught:
            await asyncio.wait_for(db.run(ECHO, args=["unreadable"]), WAIT)
        assert time.monotonic() - started < 5
        assert caught.value.code == -32700
        assert await db.run(ECHO, args=["after"]) == "after"
        assert db.reconnects == 0


async def test_async_an_id_less_error_with_several_calls_in_flight_is_dropped(
    fake_servers: Callable[[Behaviour], FakeServer], caplog: pytest.LogCaptureFixture
) -> None:
    """Which call it is about is unknown: none is failed with it (the others get their
    replies; the unreadable one runs out its own timeout)."""
    server = fake_servers(unreadable_unless_plain)
    async with AsyncSurreal(server.url, timeout=0.5) as db:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                db.run(ECHO, args=[1]),
                db.run(ECHO, args=["unreadable"]),
                db.run(ECHO, args=[3]),
                return_exceptions=True,
            ),
            WAIT,
        )
    assert outcomes[0] == 1 and outcomes[2] == 3
    assert isinstance(outcomes[1], SurrealTimeoutError)
    assert any("which one is unknown" in record.getMessage() for record in caplog.records)


def test_an_id_less_error_with_several_calls_in_flight_is_dropped(
    fake_servers: Callable[[Behaviour], FakeServer], caplog: pytest.LogCaptureFixture
) -> None:
    held = threading.Event()

    def hold_one(connection: FakeConnection, request: dict[str, Any]) -> None:
        if echo_argument(request) == "held":
            held.set()  # answered only after the id-less error
        elif echo_argument(request) == "unreadable":
            assert held.wait(WAIT)
            connection.send(UNREADABLE_ERROR)
            held_request = next(r for r in server.requests if echo_argument(r) == "held")
            connection.answer(held_request)
        else:
            connection.answer(request)

    server = fake_servers(hold_one)
    with Surreal(server.url, timeout=0.5) as db:
        db.connect()
        holder, held_outcome = in_thread(lambda: db.run(ECHO, args=["held"]))
        assert held.wait(WAIT)
        with pytest.raises(SurrealTimeoutError):
            db.run(ECHO, args=["unreadable"])
        holder.join(WAIT)
        assert held_outcome == ["held"]
    assert any("which one is unknown" in record.getMessage() for record in caplog.records)


def bad_value_frame(value: bytes) -> Callable[[int], bytes]:
    """A `query("RETURN $x", {"x": <value>})` frame with the value's raw CBOR bytes, built by
    hand: the client's own encoder is not asked to encode what it may refuse."""

    def build(request_id: int) -> bytes:
        return (
            b"\\xa3"
            + cbor2.dumps("id")
            + cbor2.dumps(request_id)
            + cbor2.dumps("method")
            + cbor2.dumps("query")
            + cbor2.dumps("params")
            + b"\\x82"
            + cbor2.dumps("RETURN $x")
            + b"\\xa1"
            + cbor2.dumps("x")
            + value
        )

    return build


BAD_VALUES = {
    "int above 2**64": b"\\xc2\\x49\\x01" + b"\\x00" * 8,  # tag 2: a bignum, 2**64
    "list 1,000 deep": b"\\x81" * 1000 + b"\\x80",
    "non-string map key": b"\\xa1\\x01\\x02",  # {1: 2}
}


def send_raw_for(transport: Any, marker: str, build: Callable[[int], bytes]) -> None:
    """Make the connection send `build(id)` instead of its own frame for `query(marker)`."""
    protocol = transport._protocol
    encode_request = protocol.encode_request

    def encode(request: Request) -> tuple[int, bytes]:
        request_id, frame = encode_request(request)
        if request.method == "query" and request.params[:1] == [marker]:
            return request_id, build(request_id)
        return request_id, frame

    protocol.encode_request = encode


@pytest.mark.parametrize("bad", list(BAD_VALUES))
def test_a_value_the_engine_cannot_read_fails_its_call_at_once(
    server: ServerInfo, bad: str
) -> None:
    with Surreal(server.ws_url, timeout=30) as db:
        db.signin({"username": server.username, "password": server.password})
        send_raw_for(db, "BAD", bad_value_frame(BAD_VALUES[bad]))
        started = time.monotonic()
        with pytest.raises(ServerError, match="could not read the request") as caught:
            db.query("BAD")
        assert time.monotonic() - started < 5  # was 30 s: the call's whole timeout
        assert caught.value.code == -32700
        assert db.query("RETURN 1") == 1


@pytest.mark.parametrize("bad", list(BAD_VALUES))
async def test_async_a_value_the_engine_cannot_read_fails_its_call_at_once(
    server: ServerInfo, bad: str
) -> None:
    async with AsyncSurreal(server.ws_url, timeout=30) as db:
        await db.signin({"username": server.username, "password": server.password})
        send_raw_for(db, "BAD", bad_value_frame(BAD_VALUES[bad]))
        started = time.monotonic()
        with pytest.raises(ServerError, match="could not read the request") as caught:
            await asyncio.wait_for(db.query("BAD"), WAIT)
        assert time.monotonic() - started < 5
        assert caught.value.code == -32700
        assert await db.query("RETURN 1") == 1


# --------------------------------------------------------------------------------------------
# An AsyncSurreal connection used in a second asyncio.run()
# --------------------------------------------------------------------------------------------


def test_a_connection_moves_to_a_new_event_loop_when_its_own_is_closed(
    server: ServerInfo,
) -> None:
    """Its session (sign-in, use, let) and its live query are restored in the new loop."""
    db = AsyncSurreal(server.ws_url, timeout=2, reconnect=ReconnectPolicy(initial_delay=0.01))

    async def first() -> Any:
        await db.signin({"username": server.username, "password": server.password})
        await db.use("test", "hardening_loops")
        await db.query("DEFINE TABLE IF NOT EXISTS reading SCHEMALESS")
        await db.let("kept", 5)
        return await db.live("reading")

    async def second(live_id: Any) -> tuple[Any, Any]:
        subscription = db.subscribe_live(live_id)
        kept = await db.query("RETURN $kept")
        await db.query("CREATE reading:one SET celsius = 21")
        notification = await asyncio.wait_for(anext(subscription), WAIT)
        return kept, notification

    try:
        live_id = asyncio.run(asyncio.wait_for(first(), WAIT))
        started = time.monotonic()
        kept, notification = asyncio.run(asyncio.wait_for(second(live_id), WAIT))
        assert time.monotonic() - started < 5
        assert kept == 5
        assert notification.live_id == live_id and notification.action == "CREATE"
        assert db.reconnects == 1
    finally:
        asyncio.run(asyncio.wait_for(db.close(), WAIT))


async def signed_in_query(db: AsyncSurrealConnection, server: ServerInfo, sql: str) -> Any:
    """Signs `db` in as the server's root user (anonymous sessions may not query), then runs
    `sql`: the first call of a connection, in whichever event loop runs it."""
    await db.signin({"username": server.username, "password": server.password})
    return await db.query(sql)


def test_without_reconnect_a_closed_event_loop_ends_the_connection_clearly(
    server: ServerInfo,
) -> None:
    db = AsyncSurreal(server.ws_url, timeout=2, reconnect=False)
    try:
        assert asyncio.run(asyncio.wait_for(signed_in_query(db, server, "RETURN 1"), WAIT)) == 1
        started = time.monotonic()
        with pytest.raises(SurrealConnectionError, match=r"event loop .* is closed"):
            asyncio.run(asyncio.wait_for(db.query("RETURN 1"), WAIT))
        assert time.monotonic() - started < 5
        assert db.is_closed
    finally:
        asyncio.run(asyncio.wait_for(db.close(), WAIT))


def test_a_connection_whose_event_loop_is_still_open_is_refused_in_another(
    server: ServerInfo,
) -> None:
    own = asyncio.new_event_loop()
    db = AsyncSurreal(server.ws_url, timeout=2)
    try:
        first = signed_in_query(db, server, "RETURN 1")
        assert own.run_until_complete(asyncio.wait_for(first, WAIT)) == 1
        started = time.monotonic()
        with pytest.raises(SurrealConnectionError, match="belongs to another event loop"):
            asyncio.run(asyncio.wait_for(db.query("RETURN 1"), WAIT))
        assert time.monotonic() - started < 5
        # Its own loop still has it, unharmed.
        assert own.run_until_complete(asyncio.wait_for(db.query("RETURN 2"), WAIT)) == 2
    finally:
        own.run_until_complete(asyncio.wait_for(db.close(), WAIT))
        own.close()


def test_a_connection_closes_in_another_event_loop_without_waiting(
    raw_server: Callable[..., RawServer],
) -> None:
    server = raw_server()  # holds the connection, never answers
    db = AsyncSurreal(server.url, timeout=2)
    asyncio.run(asyncio.wait_for(db.connect(), WAIT))
    started = time.monotonic()
    asyncio.run(asyncio.wait_for(db.close(), WAIT))
    assert time.monotonic() - started < 2
    assert db.is_closed
