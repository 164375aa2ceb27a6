"""HTTP hardening: a connection used from a second `asyncio.run()`, replies larger than
`max_reply_size`, and session state the server would refuse, refused when it is set.

The loop and session-state tests run on the real engine; the reply-size tests use fake servers
that announce or stream far more than the client accepts and count what they managed to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import cbor2
import pytest

from surrealdb import AsyncSurreal, InvalidParamsError, InvalidURLError, Surreal
from surrealdb.errors import HeaderValueError
from surrealdb.transports import ws_blocking
from surrealdb.transports.base import PayloadTooLargeError
from surrealdb.transports.http_blocking import BlockingHttpTransport
from surrealdb.transports.http_wire import DEFAULT_MAX_REPLY_SIZE
from tests.conftest import url_for
from tests.server import ServerInfo

pytestmark = pytest.mark.usefixtures("http_engine")  # each test on both HTTP engines

WAIT = 10.0
"""The bound on every wait: a bug fails the test instead of hanging it."""


# --------------------------------------------------------------- a second asyncio.run()


def test_async_http_carries_on_in_a_second_asyncio_run(
    server: ServerInfo, database_name: str
) -> None:
    db = AsyncSurreal(server.http_url)

    async def first() -> None:
        await db.signin({"username": server.username, "password": server.password})
        await db.use("test", database_name)
        await db.query("CREATE item:1 SET n = 1")

    async def second() -> Any:
        return await db.query("RETURN [session::ns(), session::db(), $token.ID, item:1.n]")

    asyncio.run(asyncio.wait_for(first(), WAIT))
    try:
        # the pooled connection belongs to the first, closed, loop
        assert asyncio.run(asyncio.wait_for(second(), WAIT)) == [
            "test",
            database_name,
            server.username,
            1,
        ]
        assert asyncio.run(asyncio.wait_for(second(), WAIT))[2] == server.username
    finally:
        asyncio.run(asyncio.wait_for(db.close(), WAIT))
    assert db.is_closed


def test_async_http_moves_between_open_loops_without_touching_the_other(
    server: ServerInfo, database_name: str
) -> None:
    db = AsyncSurreal(server.http_url)
    first = asyncio.new_event_loop()
    try:
        first.run_until_complete(asyncio.wait_for(db.signin(root(server)), WAIT))
        first.run_until_complete(asyncio.wait_for(db.use("test", database_name), WAIT))
        # another loop takes the pool; the first loop's connection is left to it, untouched
        assert asyncio.run(asyncio.wait_for(db.query("RETURN $token.ID"), WAIT)) == "root"
        assert first.run_until_complete(asyncio.wait_for(db.query("RETURN 1"), WAIT)) == 1
        first.run_until_complete(asyncio.wait_for(db.close(), WAIT))
    finally:
        first.close()


def test_async_http_close_in_another_asyncio_run_is_clean(server: ServerInfo) -> None:
    db = AsyncSurreal(server.http_url)
    assert asyncio.run(asyncio.wait_for(db.version(), WAIT)).startswith("surrealdb-")
    asyncio.run(asyncio.wait_for(db.close(), WAIT))  # no "Event loop is closed"
    assert db.is_closed
    with pytest.raises(ConnectionError):
        asyncio.run(asyncio.wait_for(db.version(), WAIT))


# ------------------------------------------------------------ session state, set or refused

PROTECTED = ["access", "auth", "token", "session"]


def root(server: ServerInfo) -> dict[str, str]:
    return {"username": server.username, "password": server.password}


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_let_of_a_protected_variable_fails_at_once_and_alike(
    server: ServerInfo, transport: str, database_name: str
) -> None:
    with Surreal(url_for(server, transport)) as db:
        db.signin(root(server))
        db.use("test", database_name)
        for name in PROTECTED:
            with pytest.raises(InvalidParamsError) as caught:
                db.let(name, 1)
            assert type(caught.value) is InvalidParamsError
            assert str(caught.value) == f"Cannot set protected variable: {name}"
            assert caught.value.kind == "Validation"
        db.let("Auth", 2)  # the server compares the names exactly
        assert db.query("RETURN [$Auth, 1 + 1]") == [2, 2]  # later calls are not poisoned


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_async_let_of_a_protected_variable_fails_at_once_and_alike(
    server: ServerInfo, transport: str, database_name: str
) -> None:
    async with AsyncSurreal(url_for(server, transport)) as db:
        await db.signin(root(server))
        await db.use("test", database_name)
        for name in PROTECTED:
            with pytest.raises(
                InvalidParamsError, match=f"^Cannot set protected variable: {name}$"
            ):
                await db.let(name, 1)
        assert await db.query("RETURN 1 + 1") == 2


BAD_NAMES = ["bad\r\nX-Evil: 1", "nul\x00", "café", " padded"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_use_over_http_refuses_what_the_header_cannot_carry(
    server: ServerInfo, database_name: str, name: str
) -> None:
    with Surreal(server.http_url) as db:
        db.signin(root(server))
        db.use("test", database_name)
        for namespace, database in ((name, "db"), ("test", name)):
            with pytest.raises(HeaderValueError, match="ws://") as caught:
                db.use(namespace, database)
            assert isinstance(caught.value, InvalidParamsError | ValueError)
        # nothing changed, and the next call works
        assert db.query("RETURN [session::ns(), session::db()]") == ["test", database_name]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_async_use_over_http_refuses_what_the_header_cannot_carry(
    server: ServerInfo, database_name: str, name: str
) -> None:
    async with AsyncSurreal(server.http_url) as db:
        await db.signin(root(server))
        await db.use("test", database_name)
        with pytest.raises(HeaderValueError, match="ws://"):
            await db.use(name, "db")
        assert await db.query("RETURN session::ns()") == "test"


@pytest.mark.parametrize("name", ["café", "名前", "bad\r\nX-Evil: 1"])
def test_over_ws_any_name_is_sent_as_data(server: ServerInfo, name: str) -> None:
    with Surreal(server.ws_url) as db:
        db.signin(root(server))
        db.use(name, name)
        assert db.query("RETURN [session::ns(), session::db()]") == [name, name]


def test_the_gateway_reads_a_non_ascii_header_as_the_server_does(server: ServerInfo) -> None:
    """The server refuses a `Surreal-NS` that is not visible ASCII (HeaderValue::to_str)
    with 401; it never reads the UTF-8 bytes as latin-1 (`cafÃ©`)."""
    authority = server.http_url.removeprefix("http://")
    for name, value in ((b"Surreal-NS", "café".encode()), (b"Surreal-DB", b"caf\xe9")):
        connection = http.client.HTTPConnection(authority, timeout=WAIT)
        try:
            connection.putrequest("POST", "/rpc")
            connection.putheader("Content-Type", "application/cbor")
            connection.putheader("Accept", "application/cbor")
            connection.putheader(name.decode(), value)
            body = cbor2.dumps({"method": "version", "params": []})
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        header = name.decode().lower()
        assert response.status == 401
        assert (
            text
            == f"There was a problem parsing the header {header}: invalid HTTP header ({header})"
        )


# --------------------------------------------------------------------- max_reply_size

MiB = 1024 * 1024


class FloodServer:
    """An HTTP server on 127.0.0.1 that answers every request with a reply head, then body
    bytes in `piece`-sized writes every `pause` seconds, up to `total` bytes (it counts what
    it managed to send; a client that stops reading and closes ends that early)."""

    def __init__(self, head: bytes, *, chunked: bool, total: int, pause: float) -> None:
        self.head, self.chunked, self.total, self.pause = head, chunked, total, pause
        self.sent = 0
        self.done = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            connection, _ = self._listener.accept()
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(65536)
                connection.sendall(self.head)
                piece = b"x" * (64 * 1024)
                if self.chunked:
                    piece = b"%x\r\n%s\r\n" % (len(piece), piece)
                while self.sent < self.total:
                    connection.sendall(piece)
                    self.sent += len(piece)
                    time.sleep(self.pause)
                if self.chunked:
                    connection.sendall(b"0\r\n\r\n")
        self.done.set()

    def stop(self) -> None:
        self._listener.close()


HUGE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: 1073741824\r\n\r\n"
)
CHUNKED_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nTransfer-Encoding: chunked\r\n\r\n"
)


@contextlib.contextmanager
def flooding(head: bytes, *, chunked: bool, total: int, pause: float) -> Iterator[FloodServer]:
    flood = FloodServer(head, chunked=chunked, total=total, pause=pause)
    try:
        yield flood
    finally:
        flood.stop()


def test_a_reply_announcing_more_than_the_cap_fails_before_its_body_is_read() -> None:
    # 16 KiB every 10 ms: 1 GiB would take 11 minutes; the call must not wait for any of it
    with flooding(HUGE_HEAD, chunked=False, total=4 * MiB, pause=0.01) as flood:
        started = time.monotonic()
        with Surreal(flood.url, timeout=WAIT) as db, pytest.raises(PayloadTooLargeError) as caught:
            db.version()
        assert time.monotonic() - started < WAIT / 2  # generous: it fails at the head
        assert flood.done.wait(WAIT)
    message = str(caught.value)
    assert "version()" in message
    assert "1,073,741,824 bytes" in message
    assert f"max_reply_size={128 * MiB:,}" in message
    assert flood.sent < MiB  # the server could send only a little before the client closed


async def test_async_a_reply_announcing_more_than_the_cap_fails_before_its_body_is_read() -> None:
    with flooding(HUGE_HEAD, chunked=False, total=4 * MiB, pause=0.01) as flood:
        async with AsyncSurreal(flood.url, timeout=WAIT) as db:
            with pytest.raises(PayloadTooLargeError, match="1,073,741,824 bytes"):
                await db.version()
        assert await asyncio.to_thread(flood.done.wait, WAIT)
    assert flood.sent < MiB


def test_a_chunked_reply_fails_as_soon_as_it_passes_the_cap() -> None:
    with (
        flooding(CHUNKED_HEAD, chunked=True, total=16 * MiB, pause=0.002) as flood,
        Surreal(flood.url, timeout=WAIT, max_reply_size=MiB) as db,
    ):
        with pytest.raises(PayloadTooLargeError, match=f"max_reply_size={MiB:,} bytes"):
            db.version()
        assert flood.done.wait(WAIT)
    assert flood.sent < 4 * MiB  # the cap, and what the sockets' buffers took meanwhile


async def test_async_a_chunked_reply_fails_as_soon_as_it_passes_the_cap() -> None:
    with flooding(CHUNKED_HEAD, chunked=True, total=16 * MiB, pause=0.002) as flood:
        async with AsyncSurreal(flood.url, timeout=WAIT, max_reply_size=MiB) as db:
            with pytest.raises(PayloadTooLargeError, match=r"max_reply_size=1,048,576 bytes \("):
                await db.version()
            assert await asyncio.to_thread(flood.done.wait, WAIT)
    assert flood.sent < 4 * MiB


def test_a_reply_within_the_cap_is_read_and_the_connection_is_kept(
    server: ServerInfo, database_name: str
) -> None:
    with Surreal(server.http_url, max_reply_size=64 * 1024) as db:
        db.signin(root(server))
        db.use("test", database_name)
        assert db.query("RETURN string::repeat('x', 30000)") == "x" * 30000
        with pytest.raises(PayloadTooLargeError):
            db.query("RETURN string::repeat('x', 70000)")
        assert db.query("RETURN 1") == 1  # a new connection replaces the one given up


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, "max_reply_size must be more than 0 bytes, got 0"),
        (-1, ValueError, "max_reply_size must be more than 0 bytes, got -1"),
        (True, TypeError, "max_reply_size must be a number of bytes"),
        (1.5, TypeError, "max_reply_size must be a number of bytes"),
        ("1", TypeError, "max_reply_size must be a number of bytes"),
        (None, TypeError, "max_reply_size must be a number of bytes"),
    ],
)
@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "ws://127.0.0.1:9", "mem://"])
def test_max_reply_size_is_checked_when_the_connection_is_made(
    url: str, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        Surreal(url, max_reply_size=value)  # type: ignore[arg-type]
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        AsyncSurreal(url, max_reply_size=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["ws://127.0.0.1:9", "mem://"])
def test_max_reply_size_applies_to_http_only(url: str) -> None:
    with pytest.raises(InvalidURLError, match=r"max_reply_size= applies to http:// and https://"):
        Surreal(url, max_reply_size=MiB)
    with pytest.raises(InvalidURLError, match=r"max_reply_size= applies to http:// and https://"):
        AsyncSurreal(url, max_reply_size=MiB)
    Surreal(url, max_reply_size=128 * MiB).close()  # the default is fine everywhere


def test_the_default_cap_is_the_websocket_limit() -> None:
    assert DEFAULT_MAX_REPLY_SIZE == ws_blocking.MAX_MESSAGE_SIZE == 128 * MiB
    assert BlockingHttpTransport("http://127.0.0.1:9")._max_reply_size == DEFAULT_MAX_REPLY_SIZE
