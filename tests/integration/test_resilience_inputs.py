"""Bad input gets a clear error naming the problem, before anything is sent, and leaves the
connection usable: invalid URLs and options, wrong argument types, empty or invalid table
names, values that cannot be encoded, and requests larger than the server accepts. Also the
per-call timeout override (`db.timeout(seconds)`) and the connect timeout.

Each bad call runs against a fake server that records what it receives, so "nothing was
sent" is checked, not assumed.
"""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import surrealdb.transports.ws_blocking
from surrealdb import (
    AsyncSurreal,
    AsyncSurrealPool,
    InvalidURLError,
    PayloadTooLargeError,
    ReconnectPolicy,
    RecordID,
    Surreal,
    SurrealConnectionError,
    SurrealPool,
    SurrealTimeoutError,
    UnencodableValueError,
)
from tests.integration.test_ws_faults import (
    ECHO,
    FakeServer,
    answer_late,
    well_behaved,
)
from tests.server import ServerInfo

WAIT = 5.0


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer(answer_late)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# URLs and options: refused when the connection object is made, nothing touches the network
# --------------------------------------------------------------------------------------------

BAD_URLS: list[tuple[object, str]] = [
    ("", "no scheme"),
    ("localhost:8000", "no scheme"),
    ("ftp://localhost/rpc", "scheme 'ftp'"),
    ("postgres://localhost", "scheme 'postgres'"),
    ("wss//localhost", "no scheme"),
    ("ws://", "names no host"),
    ("http:///rpc", "names no host"),
    ("ws://localhost:99999/rpc", "host or port cannot be parsed"),
    ("ws://localhost:port/rpc", "host or port cannot be parsed"),
    ("ws://root:hunter2@localhost/rpc", "put credentials in signin"),
    # A password holding "/" must not be read as host "root", port 2024.
    ("ws://root:2024/hunter2@127.0.0.1:8000/rpc", "put credentials in signin"),
    ("http://root:hunter2?x@127.0.0.1:8000", "put credentials in signin"),
    ("ws://" + "a" * 64 + ".example.com/rpc", "label empty or too long"),
    ("ws://a..b/rpc", "label empty or too long"),
    ("ws://h\x00st/rpc", "control character"),
    ("http://local host:8000", "control character"),
    ("wss://\ud800/rpc", "host name"),
    ("surrealkv://data\x00/db", "control character"),
    ("surrealkv://", "names no path"),
    (None, "must be a string"),
    (8000, "must be a string"),
    (b"ws://localhost", "must be a string"),
]


@pytest.mark.parametrize(("url", "message"), BAD_URLS)
def test_bad_urls_are_refused_with_what_is_wrong(url: object, message: str) -> None:
    for make in (Surreal, AsyncSurreal, SurrealPool, AsyncSurrealPool):
        with pytest.raises(InvalidURLError, match=message) as caught:
            make(url)  # type: ignore[arg-type]
        assert "hunter2" not in str(caught.value)


BAD_OPTIONS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("ws://h/rpc", {"timeout": "5"}, TypeError, "timeout must be a number of seconds or None"),
    ("ws://h/rpc", {"timeout": 0}, ValueError, "timeout must be more than 0"),
    ("ws://h/rpc", {"timeout": -1}, ValueError, "timeout must be more than 0"),
    ("ws://h/rpc", {"timeout": math.nan}, ValueError, "timeout must be more than 0"),
    ("ws://h/rpc", {"timeout": True}, TypeError, "timeout must be a number"),
    ("ws://h/rpc", {"connect_timeout": None}, TypeError, "connect_timeout must be a number"),
    ("ws://h/rpc", {"connect_timeout": math.inf}, ValueError, "connect_timeout must be more"),
    ("ws://h/rpc", {"keepalive_interval": -2}, ValueError, "keepalive_interval must be more"),
    ("ws://h/rpc", {"keepalive_interval": "20"}, TypeError, "keepalive_interval must be"),
    ("ws://h/rpc", {"reconnect": "yes"}, TypeError, "reconnect must be True, False or a"),
    ("ws://h/rpc", {"reconnect": 3}, TypeError, "reconnect must be True, False or a"),
    ("ws://h/rpc", {"ssl": "/nowhere/ca.pem"}, InvalidURLError, "wss:// and https:// URLs only"),
    ("http://h", {"ssl": "/nowhere/ca.pem"}, InvalidURLError, "wss:// and https:// URLs only"),
    ("mem://", {"ssl": "/nowhere/ca.pem"}, InvalidURLError, "wss:// and https:// URLs only"),
    ("wss://h/rpc", {"ssl": "/nowhere/ca.pem"}, ValueError, "cannot load the CA file"),
    ("https://h", {"ssl": 443}, TypeError, "ssl must be an ssl.SSLContext, the path of a CA"),
    ("wss://h/rpc", {"ssl": True}, TypeError, "ssl must be an ssl.SSLContext"),
]


@pytest.mark.parametrize(("url", "options", "error", "message"), BAD_OPTIONS)
def test_bad_options_are_refused_with_what_is_wrong(
    url: str, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    for make in (Surreal, AsyncSurreal, SurrealPool, AsyncSurrealPool):
        with pytest.raises(error, match=message):
            make(url, **options)


BAD_POLICIES: list[tuple[dict[str, Any], str]] = [
    ({"initial_delay": -1}, "initial_delay must be 0 or more"),
    ({"max_delay": "5"}, "max_delay must be a number"),
    ({"multiplier": 0.5}, "multiplier must be 1 or more"),
    ({"jitter": 1.5}, "jitter must be between 0 and 1"),
    ({"max_attempts": 0}, "max_attempts must be a positive int or None"),
    ({"max_attempts": 2.5}, "max_attempts must be a positive int or None"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_POLICIES)
def test_bad_reconnect_policies_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        ReconnectPolicy(**fields)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": 0}, "size must be a positive int"),
        ({"size": "4"}, "size must be a positive int"),
        ({"signin": "root:root"}, "signin must be a mapping"),
        ({"namespace": 1}, "namespace must be a string"),
        ({"acquire_timeout": -1}, "acquire_timeout must be more than 0"),
        ({"drain_timeout": None}, "drain_timeout must be a number"),
    ],
)
def test_bad_pool_options_are_refused(options: dict[str, Any], message: str) -> None:
    for make in (SurrealPool, AsyncSurrealPool):
        with pytest.raises((TypeError, ValueError), match=message):
            make("ws://localhost/rpc", **options)


# --------------------------------------------------------------------------------------------
# Bad arguments: refused before sending; the connection stays usable
# --------------------------------------------------------------------------------------------

Call = Callable[[Any], Any]  # Any: these calls are wrong on purpose

BAD_CALLS: list[tuple[str, Call, type[Exception], str]] = [
    ("select(int)", lambda db: db.select(123), TypeError, "expected a table name"),
    ("select('')", lambda db: db.select(""), ValueError, "the table name is empty"),
    ("select('  ')", lambda db: db.select("   "), ValueError, "the table name is empty"),
    ("select('a:b')", lambda db: db.select("person:ada"), ValueError, "looks like a record id"),
    ("create('')", lambda db: db.create("", {}), ValueError, "the table name is empty"),
    ("insert('')", lambda db: db.insert("", [{}]), ValueError, "the table name is empty"),
    ("create(None)", lambda db: db.create(None, {}), TypeError, "expected a table name"),
    ("create(str data)", lambda db: db.create("t", "x"), TypeError, "content as a mapping"),
    ("merge(list)", lambda db: db.merge("t", [1]), TypeError, "content as a mapping"),
    ("patch(dict)", lambda db: db.patch("t", {"op": "x"}), TypeError, "list of patch operations"),
    ("insert([1])", lambda db: db.insert("t", [1]), TypeError, "item 0 is int"),
    ("query(bytes)", lambda db: db.query(b"RETURN 1"), TypeError, "query as a string"),
    ("query(vars list)", lambda db: db.query("RETURN 1", [1]), TypeError, "mapping of names"),
    ("query(vars int key)", lambda db: db.query("RETURN 1", {1: 2}), TypeError, "must be strings"),
    ("use(int)", lambda db: db.use(1), TypeError, "expected a string or None"),
    ("let('')", lambda db: db.let("", 1), ValueError, "the variable name is empty"),
    ("let('$')", lambda db: db.let("$", 1), ValueError, "the variable name is empty"),
    ("let(int)", lambda db: db.let(5, 1), TypeError, "expected a variable name"),
    ("signin(str)", lambda db: db.signin("root:root"), TypeError, "expected a mapping"),
    ("authenticate('')", lambda db: db.authenticate(""), TypeError, "token string"),
    ("run('')", lambda db: db.run(""), TypeError, "expected a function name"),
    ("run(args str)", lambda db: db.run("f", None, "abc"), TypeError, "list of arguments"),
    ("kill(int)", lambda db: db.kill(5), TypeError, "expected a UUID"),
    ("kill('abc')", lambda db: db.kill("abc"), ValueError, "not a live query id"),
    (
        "select(str record)",
        lambda db: db.update(RecordID("t", 1), 5),
        TypeError,
        "content as a mapping",
    ),
    (
        "object()",
        lambda db: db.create("t", {"x": object()}),
        UnencodableValueError,
        r"type 'object' at params\[1\]\['x'\]",
    ),
    (
        "nested lambda",
        lambda db: db.query("RETURN $v", {"v": {"a": [1, lambda: 1]}}),
        UnencodableValueError,
        r"'function' at params\[1\]\['v'\]\['a'\]\[1\]",
    ),
    (
        "let(object)",
        lambda db: db.let("x", threading.Lock()),
        UnencodableValueError,
        "cannot encode value of type",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [pytest.param(call, error, message, id=name) for name, call, error, message in BAD_CALLS],
)
def test_bad_calls_fail_before_anything_is_sent(
    fake: FakeServer, call: Call, error: type[Exception], message: str
) -> None:
    with Surreal(fake.url, timeout=WAIT) as db:
        assert db.run(ECHO, args=["before"]) == "before"
        sent = len(fake.requests)
        with pytest.raises(error, match=message):
            call(db)
        assert len(fake.requests) == sent, "something was sent"
        assert db.run(ECHO, args=["after"]) == "after"


def test_decimal_and_big_values_that_are_fine_are_sent(fake: FakeServer) -> None:
    """The checks refuse what cannot be sent, not what merely looks unusual."""
    with Surreal(fake.url, timeout=WAIT) as db:
        value = {"d": Decimal("1.5"), "n": 2**63 - 1, "s": {1, 2}, "u": "é" * 10}
        assert db.run(ECHO, args=[value]) == value


# --------------------------------------------------------------------------------------------
# Requests larger than the server accepts: refused whole, nothing half-written
# --------------------------------------------------------------------------------------------


def test_a_request_over_the_websocket_limit_is_not_sent(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surrealdb.transports.ws_blocking, "MAX_MESSAGE_SIZE", 1024 * 1024)
    with Surreal(fake.url, timeout=WAIT) as db:
        db.ping()
        sent = len(fake.requests)
        with pytest.raises(PayloadTooLargeError, match=r"run\(\) was not sent: its request is"):
            db.run(ECHO, args=["x" * (1024 * 1024)])
        assert len(fake.requests) == sent
        assert db.run(ECHO, args=["x" * 1000]) == "x" * 1000


async def test_async_a_request_over_the_websocket_limit_is_not_sent(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surrealdb.transports.ws_blocking, "MAX_MESSAGE_SIZE", 1024 * 1024)
    async with AsyncSurreal(fake.url, timeout=WAIT) as db:
        await db.ping()
        sent = len(fake.requests)
        with pytest.raises(PayloadTooLargeError, match="more than the 1,048,576 bytes"):
            await db.create("t", {"blob": b"\0" * (1024 * 1024)})
        assert len(fake.requests) == sent
        assert await db.run(ECHO, args=[1]) == 1


def test_a_request_over_the_real_128_mib_limit_is_not_sent(fake: FakeServer) -> None:
    with Surreal(fake.url, timeout=WAIT) as db:
        db.ping()
        sent = len(fake.requests)
        with pytest.raises(PayloadTooLargeError, match="134,217,728 bytes"):
            db.query("RETURN $b", {"b": bytes(128 * 1024 * 1024)})
        assert len(fake.requests) == sent
        assert db.run(ECHO, args=[1]) == 1


def test_an_http_request_over_the_server_limit_is_refused_whole(
    server: ServerInfo, database_name: str
) -> None:
    with Surreal(server.http_url, timeout=WAIT) as db:
        db.signin({"username": server.username, "password": server.password})
        db.use("test", database_name)
        db.query("DEFINE TABLE blob SCHEMALESS")
        with pytest.raises(PayloadTooLargeError, match="HTTP 413"):
            db.create(RecordID("blob", 1), {"data": "x" * (5 * 1024 * 1024)})
        assert db.select(RecordID("blob", 1)) is None  # nothing half-written
        assert db.create(RecordID("blob", 2), {"data": "small"})["data"] == "small"


# --------------------------------------------------------------------------------------------
# The per-call timeout override and the connect timeout
# --------------------------------------------------------------------------------------------


def test_a_timeout_block_overrides_the_default_for_its_calls(fake: FakeServer) -> None:
    with Surreal(fake.url, timeout=WAIT) as db:
        assert db.run(ECHO, args=["late"]) == "late"  # answered after 0.4 s: within 5 s
        with db.timeout(0.1):
            started = time.monotonic()
            with pytest.raises(SurrealTimeoutError, match=r"no reply within 0\.1 s"):
                db.run(ECHO, args=["late"])
            assert time.monotonic() - started < 0.35
            with db.timeout(None):  # blocks nest; None: no limit
                assert db.run(ECHO, args=["late"]) == "late"
            with pytest.raises(SurrealTimeoutError):
                db.run(ECHO, args=["late"])
        assert db.run(ECHO, args=["late"]) == "late"  # the default again
        with pytest.raises(ValueError, match="timeout must be more than 0"), db.timeout(0):
            pass


def test_a_timeout_block_holds_for_its_own_thread_only(fake: FakeServer) -> None:
    with Surreal(fake.url, timeout=WAIT) as db:
        outcome: list[Any] = []
        with db.timeout(0.1):
            other = threading.Thread(
                target=lambda: outcome.append(db.run(ECHO, args=["late"])), daemon=True
            )
            other.start()
            with pytest.raises(SurrealTimeoutError):
                db.run(ECHO, args=["late"])
            other.join(WAIT)
        assert outcome == ["late"]  # the other thread kept the connection's 5 s


async def test_async_a_timeout_block_holds_for_its_own_task_only(fake: FakeServer) -> None:
    async with AsyncSurreal(fake.url, timeout=WAIT) as db:

        async def short() -> Any:
            with db.timeout(0.1):
                return await db.run(ECHO, args=["late"])

        outcomes = await asyncio.gather(
            short(), db.run(ECHO, args=["late"]), return_exceptions=True
        )
        assert isinstance(outcomes[0], SurrealTimeoutError)
        assert outcomes[1] == "late"
        assert await db.run(ECHO, args=["after"]) == "after"  # still usable


def test_a_timeout_block_applies_over_http(server: ServerInfo) -> None:
    with Surreal(server.http_url, timeout=WAIT) as db:
        db.signin({"username": server.username, "password": server.password})
        with db.timeout(0.2), pytest.raises(SurrealTimeoutError, match=r"within 0\.2 s"):
            db.query("SLEEP 1s")
        assert db.query("RETURN 1") == 1


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(WAIT)
        listener.close()
        for connection in accepted:
            connection.close()


def test_connect_timeout_bounds_a_handshake_that_never_ends(silent_port: int) -> None:
    db = Surreal(f"ws://127.0.0.1:{silent_port}/rpc", connect_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SurrealConnectionError, match=r"no connection within 0\.3 s"):
        db.connect()
    assert time.monotonic() - started < 1.5
    db.close()


async def test_async_connect_timeout_bounds_a_handshake_that_never_ends(silent_port: int) -> None:
    db = AsyncSurreal(f"ws://127.0.0.1:{silent_port}/rpc", connect_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SurrealConnectionError, match=r"0\.3 s"):
        await db.ping()
    assert time.monotonic() - started < 1.5
    await db.close()


def test_the_first_connection_is_not_retried(tmp_path: Path) -> None:
    """Reconnecting restores a connection that worked; a wrong address fails at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        dead_port = probe.getsockname()[1]
    db = Surreal(f"ws://127.0.0.1:{dead_port}/rpc", connect_timeout=WAIT)
    started = time.monotonic()
    with pytest.raises(SurrealConnectionError, match=str(dead_port)):
        db.ping()
    assert time.monotonic() - started < 1
    db.close()


def test_fake_server_answers_well(fake: FakeServer) -> None:
    """The fake server behaves, so a failure above is the client's."""
    server = FakeServer(well_behaved)
    try:
        with Surreal(server.url, timeout=WAIT) as db:
            assert db.run(ECHO, args=[[1, "two"]]) == [1, "two"]
    finally:
        server.stop()


INPUTS_TRIED = (
    len(BAD_URLS) * 4 + len(BAD_OPTIONS) * 4 + len(BAD_POLICIES) + 6 * 2 + len(BAD_CALLS) + 5
)
"""How many bad inputs this file tries (for docs/reliability.md)."""
