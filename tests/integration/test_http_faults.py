"""The HTTP transports' keep-alive connections under faults, blocking and asyncio.

`ScriptedServer` answers each request as the test says (close an idle keep-alive connection,
answer half and close, `Connection: close`, HTTP/1.0, chunked, garbage, late), which the real
engine will not do on demand; the last tests run against the real engine, whose gateway closes
keep-alive connections idle for 5 s. A reused connection found closed before any byte of its
response is retried once on a new one; nothing else is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import cbor2
import pytest

from surrealdb import (
    AsyncSurreal,
    AuthenticationError,
    ServerError,
    Surreal,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.transports.base import PayloadTooLargeError
from tests.server import ServerInfo

pytestmark = pytest.mark.usefixtures("http_engine")  # each test on both HTTP engines

WAIT = 5.0
"""The bound on every wait: a bug fails the test instead of hanging it."""


class Reply(NamedTuple):
    """What the server does with one request: wait, send `data`, then maybe close."""

    data: bytes
    close: bool = False
    delay: float = 0.0


def cbor_reply(result: Any, *extra_headers: bytes, version: bytes = b"1.1") -> bytes:
    body = cbor2.dumps({"result": result})
    head = b"HTTP/%s 200 OK\r\nContent-Type: application/cbor\r\n" % version
    head += b"".join(header + b"\r\n" for header in extra_headers)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def answered(number: int) -> Reply:
    return Reply(cbor_reply(f"answer {number}"))


Script = Callable[[int], Reply]
"""The reply to the server's request `number` (counted from 1, over all connections)."""


class ScriptedServer:
    """An HTTP/1.1 server on 127.0.0.1 answering as its script says, one thread per connection.

    It counts the connections it accepted and the requests it read.
    """

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._sockets.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        buffer = b""
        with contextlib.suppress(OSError), connection:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = connection.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += connection.recv(65536)
                buffer = buffer[length:]
                with self._lock:
                    self.requests += 1
                    number = self.requests
                reply = self.script(number)
                time.sleep(reply.delay)
                connection.sendall(reply.data)
                if reply.close:
                    connection.shutdown(socket.SHUT_RDWR)
                    return

    def stop(self) -> None:
        self._listener.close()
        with self._lock:
            for connection in self._sockets:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def scripted(script: Script) -> Iterator[ScriptedServer]:
    server = ScriptedServer(script)
    try:
        yield server
    finally:
        server.stop()


def until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --------------------------------------------------------------------------------------------
# Keep-alive, and the one retry
# --------------------------------------------------------------------------------------------


def closes_after_answering(number: int) -> Reply:
    """A server that closes each keep-alive connection once it is idle (here: at once)."""
    return Reply(cbor_reply(f"answer {number}"), close=True)


def test_a_connection_is_kept_alive_and_reused() -> None:
    with scripted(answered) as server, Surreal(server.url, timeout=WAIT) as db:
        assert [db.version() for _ in range(5)] == [f"answer {n}" for n in range(1, 6)]
        assert server.connections == 1


async def test_async_a_connection_is_kept_alive_and_reused() -> None:
    with scripted(answered) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            assert [await db.version() for _ in range(5)] == [f"answer {n}" for n in range(1, 6)]
        assert server.connections == 1


@pytest.mark.fast_path_only(
    "httpx never resends: a request sent on a connection the server has just closed fails"
)
def test_a_reused_connection_closed_while_idle_is_retried_once_on_a_new_one() -> None:
    with scripted(closes_after_answering) as server, Surreal(server.url, timeout=WAIT) as db:
        assert db.version() == "answer 1"
        assert until(lambda: server.connections == 1)
        time.sleep(0.05)  # the server has closed it: the client does not know yet
        assert db.version() == "answer 2"
        assert db.version() == "answer 3"
        assert server.requests == 3  # each request reached the server once
        assert server.connections == 3


@pytest.mark.fast_path_only(
    "httpx never resends: a request sent on a connection the server has just closed fails"
)
async def test_async_a_reused_connection_closed_while_idle_is_retried_once() -> None:
    with scripted(closes_after_answering) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            assert await db.version() == "answer 1"
            await asyncio.sleep(0.05)
            assert await db.version() == "answer 2"
            assert await db.version() == "answer 3"
        assert server.requests == 3
        assert server.connections == 3


def silent_close_on_second_and_third(number: int) -> Reply:
    """Requests 2 and 3 reach the server, which closes the connection without a word."""
    return Reply(b"", close=True) if number in (2, 3) else answered(number)


@pytest.mark.fast_path_only("httpx reports a reply cut inside its head as no reply at all")
def test_a_request_the_server_read_is_not_retried_when_the_reply_is_cut() -> None:
    def half_a_reply_on_second(number: int) -> Reply:
        return Reply(cbor_reply("x")[:20], close=True) if number == 2 else answered(number)

    with scripted(half_a_reply_on_second) as server, Surreal(server.url, timeout=WAIT) as db:
        assert db.version() == "answer 1"
        with pytest.raises(SurrealConnectionError, match="before its response was whole"):
            db.version()
        assert server.requests == 2  # not sent again
        assert db.version() == "answer 3"  # and the next call takes a new connection


@pytest.mark.fast_path_only("httpx reports a reply cut inside its head as no reply at all")
async def test_async_a_request_is_not_retried_when_the_reply_is_cut() -> None:
    def half_a_reply_on_second(number: int) -> Reply:
        return Reply(cbor_reply("x")[:20], close=True) if number == 2 else answered(number)

    with scripted(half_a_reply_on_second) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            assert await db.version() == "answer 1"
            with pytest.raises(SurrealConnectionError, match="before its response was whole"):
                await db.version()
            assert server.requests == 2
            assert await db.version() == "answer 3"


def test_a_new_connection_closed_without_a_reply_is_not_retried() -> None:
    with (
        scripted(lambda number: Reply(b"", close=True)) as server,
        Surreal(server.url, timeout=WAIT) as db,
    ):
        with pytest.raises(SurrealConnectionError, match="closed the connection without"):
            db.version()
        assert server.requests == 1


async def test_async_a_new_connection_closed_without_a_reply_is_not_retried() -> None:
    with scripted(lambda number: Reply(b"", close=True)) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            with pytest.raises(SurrealConnectionError, match="closed the connection without"):
                await db.version()
        assert server.requests == 1


@pytest.mark.fast_path_only(
    "httpx cannot tell no reply from a cut one, so never sends a request again"
)
def test_the_retry_is_once_only() -> None:
    """The kept connection closes with no reply (retried), and so does the new one (not)."""
    with (
        scripted(silent_close_on_second_and_third) as server,
        Surreal(server.url, timeout=WAIT) as db,
    ):
        assert db.version() == "answer 1"
        with pytest.raises(SurrealConnectionError, match="closed the connection without"):
            db.version()
        assert server.requests == 3
        assert db.version() == "answer 4"


@pytest.mark.fast_path_only(
    "httpx cannot tell no reply from a cut one, so never sends a request again"
)
async def test_async_the_retry_is_once_only() -> None:
    with scripted(silent_close_on_second_and_third) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            assert await db.version() == "answer 1"
            with pytest.raises(SurrealConnectionError, match="closed the connection without"):
                await db.version()
            assert server.requests == 3
            assert await db.version() == "answer 4"


# --------------------------------------------------------------------------------------------
# What the server answers
# --------------------------------------------------------------------------------------------


OK_CHUNKS = [cbor2.dumps({"result": "ok"})[:3], cbor2.dumps({"result": "ok"})[3:]]

REPLIES: dict[str, tuple[bytes, object]] = {
    "connection close": (cbor_reply("closing", b"Connection: close"), "closing"),
    "HTTP/1.0": (cbor_reply("old", version=b"1.0"), "old"),
    "chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in OK_CHUNKS)
        + b"0\r\n\r\n",
        "ok",
    ),
    "413": (
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 21\r\n\r\nlength limit exceeded",
        PayloadTooLargeError,
    ),
    "401": (b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope", AuthenticationError),
    "not CBOR": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>",
        ServerError,
    ),
    "garbage": (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", SurrealConnectionError),
}


@pytest.mark.parametrize("case", REPLIES)
def test_what_the_server_answers(case: str) -> None:
    data, expected = REPLIES[case]
    with scripted(lambda number: Reply(data)) as server, Surreal(server.url, timeout=WAIT) as db:
        if isinstance(expected, type):
            with pytest.raises(expected):
                db.version()
        else:
            assert db.version() == expected
            assert db.version() == expected  # on the same connection or a new one
            closes = case in ("connection close", "HTTP/1.0")
            assert server.connections == (2 if closes else 1)


@pytest.mark.parametrize("case", REPLIES)
async def test_async_what_the_server_answers(case: str) -> None:
    data, expected = REPLIES[case]
    with scripted(lambda number: Reply(data)) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            if isinstance(expected, type):
                with pytest.raises(expected):
                    await db.version()
            else:
                assert await db.version() == expected
                assert await db.version() == expected
                closes = case in ("connection close", "HTTP/1.0")
                assert server.connections == (2 if closes else 1)


@pytest.mark.fast_path_only("the words of h11's own error (httpx says 'not HTTP')")
def test_garbage_is_reported_as_not_http() -> None:
    with (
        scripted(lambda number: Reply(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")) as server,
        Surreal(server.url, timeout=WAIT) as db,
        pytest.raises(SurrealConnectionError, match=r"cannot reach .*not HTTP/1\.1"),
    ):
        db.version()


# --------------------------------------------------------------------------------------------
# Timeouts, close(), many threads and tasks
# --------------------------------------------------------------------------------------------


def late_first(number: int) -> Reply:
    return Reply(cbor_reply(f"answer {number}"), delay=0.5 if number == 1 else 0.0)


def test_a_timed_out_connection_is_not_reused() -> None:
    """The late reply to the timed-out call must never be taken for the next call's."""
    with scripted(late_first) as server, Surreal(server.url, timeout=WAIT) as db:
        with db.timeout(0.1), pytest.raises(SurrealTimeoutError, match=r"within 0\.1 s"):
            db.version()
        time.sleep(0.5)  # the late reply has arrived on the old connection by now
        assert db.version() == "answer 2"
        assert server.connections == 2


async def test_async_a_timed_out_connection_is_not_reused() -> None:
    with scripted(late_first) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            with db.timeout(0.1):
                started = time.monotonic()
                with pytest.raises(SurrealTimeoutError, match=r"within 0\.1 s"):
                    await db.version()
                assert time.monotonic() - started < 0.4
            await asyncio.sleep(0.5)
            assert await db.version() == "answer 2"
        assert server.connections == 2


async def test_async_a_cancelled_call_does_not_leave_its_reply_behind() -> None:
    with scripted(late_first) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            call = asyncio.ensure_future(db.version())
            await asyncio.sleep(0.1)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await asyncio.sleep(0.5)
            assert await db.version() == "answer 2"


@pytest.mark.fast_path_only("close() does not interrupt a call in flight in httpx")
def test_close_ends_a_waiting_call_at_once_and_later_calls_fail_clearly() -> None:
    with scripted(lambda number: Reply(cbor_reply("late"), delay=3.0)) as server:
        db = Surreal(server.url, timeout=WAIT)
        outcome: list[BaseException] = []

        def call() -> None:
            try:
                db.version()
            except BaseException as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        assert until(lambda: server.requests == 1)
        started = time.monotonic()
        db.close()
        caller.join(WAIT)
        assert time.monotonic() - started < 1.0
        assert isinstance(outcome[0], SurrealConnectionError)
        assert "closed" in str(outcome[0])
        db.close()  # idempotent
        assert db.is_closed
        with pytest.raises(SurrealConnectionError, match="is closed"):
            db.version()


async def test_async_close_ends_a_waiting_call_and_later_calls_fail_clearly() -> None:
    with scripted(lambda number: Reply(cbor_reply("late"), delay=3.0)) as server:
        db = AsyncSurreal(server.url, timeout=WAIT)
        call = asyncio.ensure_future(db.version())
        while server.requests == 0:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await db.close()
        with pytest.raises(SurrealConnectionError, match="closed"):
            await asyncio.wait_for(call, WAIT)
        assert time.monotonic() - started < 1.0
        await db.close()
        with pytest.raises(SurrealConnectionError, match="is closed"):
            await db.version()


def test_threads_each_get_their_own_connection() -> None:
    with (
        scripted(lambda number: Reply(cbor_reply("slow"), delay=0.3)) as server,
        Surreal(server.url, timeout=WAIT) as db,
    ):
        threads = [threading.Thread(target=db.version) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert time.monotonic() - started < 0.9  # side by side, not one after another (1.2 s)
        assert server.connections == 4
        for _ in range(4):
            db.version()
        assert server.connections == 4  # then kept and reused


async def test_tasks_each_get_their_own_connection() -> None:
    with scripted(lambda number: Reply(cbor_reply("slow"), delay=0.3)) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            started = time.monotonic()
            assert await asyncio.gather(*(db.version() for _ in range(4))) == ["slow"] * 4
            assert time.monotonic() - started < 0.9
            assert server.connections == 4
            for _ in range(4):
                await db.version()
            assert server.connections == 4


# --------------------------------------------------------------------------------------------
# The real engine: its gateway closes keep-alive connections idle for 5 s
# --------------------------------------------------------------------------------------------


async def test_calls_after_the_server_closed_idle_connections(server: ServerInfo) -> None:
    credentials = {"username": server.username, "password": server.password}
    with Surreal(server.http_url, timeout=WAIT) as db:
        async with AsyncSurreal(server.http_url, timeout=WAIT) as adb:
            db.signin(credentials)
            await adb.signin(credentials)
            assert db.query("RETURN 1") == 1
            assert await adb.query("RETURN 1") == 1
            await asyncio.sleep(5.6)  # past the server's `Keep-Alive: timeout=5`
            assert db.query("RETURN 2") == 2
            assert await adb.query("RETURN 2") == 2


# --------------------------------------------------------------------------------------------
# Redirects: refused, naming the target, never followed (a call must not run twice unseen)
# --------------------------------------------------------------------------------------------


def redirects(status: int, location: bytes | None) -> Script:
    header = b"" if location is None else b"Location: " + location + b"\r\n"

    def reply(number: int) -> Reply:
        head = b"HTTP/1.1 %d Moved\r\n%sContent-Length: 0\r\n\r\n" % (status, header)
        return Reply(head)

    return reply


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_refused_naming_its_target(status: int) -> None:
    with scripted(redirects(status, b"http://other.example:8000/rpc")) as server:
        with Surreal(server.url, timeout=WAIT) as db, pytest.raises(ServerError) as caught:
            db.create("person", {"name": "Ada"})
        assert server.requests == 1  # sent once, not again to the target
    message = str(caught.value)
    assert f"HTTP {status}" in message and "http://other.example:8000/rpc" in message
    assert "create()" in message and "not follow redirects" in message
    assert caught.value.code == status


async def test_async_a_redirect_is_refused_naming_its_target() -> None:
    with scripted(redirects(307, b"https://user:secret@other.example/rpc")) as server:
        async with AsyncSurreal(server.url, timeout=WAIT) as db:
            with pytest.raises(ServerError) as caught:
                await db.create("person", {"name": "Ada"})
        assert server.requests == 1
    message = str(caught.value)
    assert "https://***@other.example/rpc" in message
    assert "secret" not in message and "user" not in message.split("redirected")[1]


def test_a_redirect_without_location_says_so() -> None:
    with (
        scripted(redirects(308, None)) as server,
        Surreal(server.url, timeout=WAIT) as db,
        pytest.raises(ServerError, match="no Location given"),
    ):
        db.version()
