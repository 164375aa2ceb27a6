"""Who reads the blocking WebSocket: the calling threads themselves (leader/follower).

A caller reads its own reply when nobody else is reading, routing whatever else comes on the
way; a caller that stops waiting (timeout, interrupt) hands the reading to one still waiting;
the link's background thread reads only while no caller does (notifications, pings, the end
of the link) and sends the keepalive pings. These tests check each of those paths, against
the real engine where the path runs against it (sequential calls, TLS, a dead link), and
against the fake server of test_ws_faults.py where a fault or a timing must be forced.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from surrealdb import ReconnectPolicy, Surreal, SurrealTimeoutError
from surrealdb import cbor as surreal_cbor
from surrealdb.protocol import Event, Reply
from surrealdb.transports import ws_blocking
from surrealdb.transports.ws_blocking import BlockingWsTransport
from tests.integration.test_live_queries import Consumer, ws_connection
from tests.integration.test_resilience import FaultProxy, until
from tests.integration.test_tls import make_authority
from tests.integration.test_ws_faults import (
    ECHO,
    WAIT,
    Behaviour,
    FakeConnection,
    FakeServer,
    blocking,
    echo_argument,
)
from tests.server import ServerInfo

Readers = list[tuple[str, Any]]
"""(name of the thread that routed a reply, the reply's result), in routing order."""


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Callable[[Behaviour], FakeServer]:
    """Starts fake servers (test_ws_faults.py) with a behaviour; stopped after the test."""

    def start(behaviour: Behaviour) -> FakeServer:
        started = FakeServer(behaviour)
        request.addfinalizer(started.stop)
        return started

    return start


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Callable[[int], list[str]]:
    """The messages the client logged at a level so far."""
    caplog.set_level(logging.DEBUG, logger="surrealdb")

    def messages(level: int) -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == "surrealdb" and record.levelno == level
        ]

    return messages


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> Readers:
    """Records which thread routes each reply of every blocking WebSocket connection."""
    routed: Readers = []
    original = BlockingWsTransport._route

    def route(self: BlockingWsTransport, link: Any, event: Event) -> None:
        if isinstance(event, Reply):
            routed.append((threading.current_thread().name, event.result))
        original(self, link, event)

    monkeypatch.setattr(BlockingWsTransport, "_route", route)
    return routed


def delayed(connection: FakeConnection, request: dict[str, Any]) -> None:
    """Answers `run(ECHO, args=[{"after": s, "value": v}])` with v after s seconds, never
    answers `run(ECHO, args=["never"])`, and everything else at once."""
    argument = echo_argument(request)
    if argument == "never":
        return
    if isinstance(argument, dict) and "after" in argument:
        connection.later(argument["after"], connection.reply, request, argument["value"])
        return
    connection.answer(request)


def in_named_thread(name: str, function: Callable[[], Any], start_after: float) -> list[Any]:
    """Run `function` in a daemon thread called `name`, `start_after` seconds from now; the
    list gets its result or its exception, then the thread itself."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(function())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    timer = threading.Timer(start_after, thread.start)
    timer.daemon = True
    timer.start()
    outcome.append(thread)
    return outcome


def finished(outcome: list[Any]) -> Any:
    """The result (or exception) of `in_named_thread`, once its thread ended (bounded)."""
    thread = outcome.pop(0)
    assert until(lambda: not thread.is_alive() and thread.ident is not None, WAIT)
    assert len(outcome) == 1, outcome
    return outcome[0]


# --------------------------------------------------------------------------------------------
# One thread alone reads its own replies: no hand-off between threads
# --------------------------------------------------------------------------------------------


def test_a_thread_calling_alone_reads_its_own_replies(
    server: ServerInfo, database_name: str, readers: Readers
) -> None:
    with ws_connection(server, database_name) as db:
        readers.clear()
        for number in range(100):
            assert db.query("RETURN $n", {"n": number}) == number
    me = threading.current_thread().name
    mine = sum(name == me for name, _ in readers)
    # The background thread may step in after a pause of the whole process (GC, a busy CI
    # machine), never as a rule.
    assert mine >= 90, f"only {mine} of 100 replies were read by the calling thread: {readers}"


# --------------------------------------------------------------------------------------------
# A caller that stops waiting hands the reading to one still waiting
# --------------------------------------------------------------------------------------------


def test_a_caller_that_times_out_hands_the_reading_to_a_waiting_one(
    fake: Callable[[Behaviour], FakeServer], readers: Readers
) -> None:
    server = fake(delayed)
    with blocking(server.url) as db:
        db.ping()
        # This thread reads, waiting for a reply that never comes; meanwhile "late-caller"
        # calls and waits too. When this thread gives up, the other one must take over the
        # reading and read its own reply.
        late = in_named_thread(
            "late-caller", lambda: db.run(ECHO, args=[{"after": 0.6, "value": "late"}]), 0.1
        )
        started = time.monotonic()
        with db.timeout(0.3), pytest.raises(SurrealTimeoutError):
            db.run(ECHO, args=["never"])
        assert time.monotonic() - started < 1.0
        assert finished(late) == "late"
        assert ("late-caller", "late") in readers
        assert db.run(ECHO, args=["after"]) == "after"


def test_an_interrupted_caller_hands_the_reading_to_a_waiting_one(
    fake: Callable[[Behaviour], FakeServer],
    readers: Readers,
    logged: Callable[[int], list[str]],
) -> None:
    server = fake(delayed)
    with blocking(server.url) as db:
        db.ping()
        late = in_named_thread(
            "late-caller", lambda: db.run(ECHO, args=[{"after": 0.5, "value": "late"}]), 0.1
        )
        main = threading.main_thread().ident
        assert main == threading.get_ident()
        assert main is not None
        interrupt = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
        interrupt.start()
        with pytest.raises(KeyboardInterrupt):  # Ctrl-C while this thread reads
            db.run(ECHO, args=[{"after": 0.8, "value": "interrupted"}])
        interrupt.join()
        assert finished(late) == "late"
        assert ("late-caller", "late") in readers
        assert db.run(ECHO, args=["after"]) == "after"
        # The interrupted call's reply still comes; it is dropped quietly.
        assert until(lambda: any("caller gave up" in m for m in logged(logging.DEBUG)))


def test_many_threads_with_timeouts_each_get_their_own_outcome(
    fake: Callable[[Behaviour], FakeServer],
) -> None:
    """Callers come and go (answered at once, late, or never: then they time out) while
    the reading passes between them: each gets its own reply or its own timeout."""
    server = fake(delayed)
    rng = random.Random(9)
    plans = [[rng.choice(["now", "late", "never"]) for _ in range(12)] for _ in range(12)]
    with blocking(server.url, timeout=0.25) as db:
        db.ping()

        def work(thread: int) -> list[bool]:
            checks = []
            for call, plan in enumerate(plans[thread]):
                value = f"{thread}-{call}"
                if plan == "never":
                    try:
                        db.run(ECHO, args=["never"])
                        checks.append(False)
                    except SurrealTimeoutError:
                        checks.append(True)
                else:
                    delay = 0.0 if plan == "now" else rng.uniform(0.0, 0.1)
                    got = db.run(ECHO, args=[{"after": delay, "value": value}])
                    checks.append(got == value)
            return checks

        outcomes = [
            in_named_thread(f"worker-{n}", functools.partial(work, n), 0) for n in range(12)
        ]
        results = [finished(outcome) for outcome in outcomes]
        assert results == [[True] * 12] * 12
        assert db.run(ECHO, args=["after"]) == "after"


# --------------------------------------------------------------------------------------------
# The background thread: reads while nobody calls, answers pings
# --------------------------------------------------------------------------------------------


def test_notifications_come_promptly_with_no_call_in_flight(
    fake: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake(delayed)
    with blocking(server.url) as db:
        subscription = db.subscribe_live(db.live("person"))
        connection = server.connections[0]
        for pause in (0.0, 0.2):  # right after a call, then after a quiet moment
            db.ping()
            time.sleep(pause)
            started = time.monotonic()
            connection.notify("CREATE", 1)
            assert next(subscription).action == "CREATE"
            assert time.monotonic() - started < 0.5


def test_the_servers_pings_are_answered_while_idle_and_during_calls(
    fake: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake(delayed)
    with blocking(server.url) as db:
        db.ping()
        connection = server.connections[0].connection
        assert connection.ping().wait(WAIT)  # idle: the background thread reads it
        late = in_named_thread(
            "late-caller", lambda: db.run(ECHO, args=[{"after": 0.4, "value": "late"}]), 0
        )
        time.sleep(0.1)
        assert connection.ping().wait(WAIT)  # a caller reads it while it waits
        assert finished(late) == "late"


def test_close_makes_the_closing_handshake_quickly(
    fake: Callable[[Behaviour], FakeServer],
) -> None:
    server = fake(delayed)
    before = set(threading.enumerate())
    db = blocking(server.url)
    db.ping()
    started = time.monotonic()
    db.close()
    assert time.monotonic() - started < ws_blocking.CLOSE_TIMEOUT
    assert until(lambda: server.connections[0].connection.close_code == 1000)
    assert until(
        lambda: not [t for t in threading.enumerate() if t not in before]
    )  # no thread left


# --------------------------------------------------------------------------------------------
# Messages in several frames
# --------------------------------------------------------------------------------------------


def fragments(connection: FakeConnection, request: dict[str, Any]) -> None:
    """Answers in three frames, after a text message in three frames."""
    if echo_argument(request) != "fragmented":
        connection.answer(request)
        return
    frame = surreal_cbor.encode({"id": request["id"], "result": "x" * 5000})
    connection.connection.send(["not ", "CBOR ", "at all"])
    connection.connection.send([frame[:10], frame[10:3000], frame[3000:]])


def test_a_message_in_several_frames_is_put_together(
    fake: Callable[[Behaviour], FakeServer], logged: Callable[[int], list[str]]
) -> None:
    server = fake(fragments)
    with blocking(server.url) as db:
        assert db.run(ECHO, args=["fragmented"]) == "x" * 5000
        assert db.run(ECHO, args=["next"]) == "next"
    assert logged(logging.WARNING) == ["dropped a text frame: this client speaks CBOR only"]


# --------------------------------------------------------------------------------------------
# Against the real engine: a dead link while idle, and TLS shared by threads
# --------------------------------------------------------------------------------------------


@pytest.fixture
def proxy(server: ServerInfo) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(server.port)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()


def test_an_idle_link_that_goes_dead_is_noticed_and_restored(
    proxy: FaultProxy, server: ServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    fast = ReconnectPolicy(initial_delay=0.02, max_delay=0.2)
    with Surreal(
        proxy.url("ws"), timeout=WAIT, keepalive_interval=0.3, connect_timeout=1, reconnect=fast
    ) as db:
        db.signin({"username": server.username, "password": server.password})
        db.let("answer", 42)
        proxy.stall()  # no call in flight: only the background thread can notice
        assert until(lambda: any("keepalive" in r.getMessage() for r in caplog.records), 3)
        proxy.resume()
        assert until(lambda: db.reconnects == 1)
        assert db.query("RETURN $answer") == 42


def test_threads_and_a_live_query_share_one_wss_connection(
    server: ServerInfo, database_name: str, tmp_path: Any
) -> None:
    authority = make_authority(tmp_path, "shared", ["127.0.0.1"])
    proxy = FaultProxy(server.port, tls=authority.server_context)
    try:
        with Surreal(proxy.url("wss"), timeout=WAIT, ssl=authority.ca_file) as db:
            db.signin({"username": server.username, "password": server.password})
            db.use("test", database_name)
            db.query("DEFINE TABLE item SCHEMALESS")
            consumer = Consumer(db.subscribe_live(db.live("item")))

            def work(thread: int) -> bool:
                ok = True
                for call in range(30):
                    if call % 6 == 0:
                        db.create("item", {"t": thread, "c": call})
                    ok &= db.query("RETURN $v", {"v": [thread, call]}) == [thread, call]
                return ok

            outcomes = [
                in_named_thread(f"tls-{n}", functools.partial(work, n), 0) for n in range(8)
            ]
            assert [finished(outcome) for outcome in outcomes] == [True] * 8
            assert len(consumer.wait_for(8 * 5)) == 8 * 5
    finally:
        proxy.close()


# --------------------------------------------------------------------------------------------
# Through the proxy the environment names, as websockets' own client
# --------------------------------------------------------------------------------------------


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on 127.0.0.1 that notes the target of each tunnel."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        head, rest = head.split(b"\r\n\r\n", 1)
        target = head.split()[1].decode()
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self._sockets.append(upstream)
        self.targets.append(target)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        upstream.sendall(rest)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


def test_the_proxy_the_environment_names_is_used(
    server: ServerInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv("ws_proxy", f"http://127.0.0.1:{proxy.port}")
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        with Surreal(server.ws_url, timeout=WAIT) as db:
            db.signin({"username": server.username, "password": server.password})
            assert db.query("RETURN 'through the proxy'") == "through the proxy"
        assert proxy.targets == [f"127.0.0.1:{server.port}"]
    finally:
        proxy.close()
