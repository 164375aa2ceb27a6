"""Every code example of the user-facing spec page runs as written and does what the page says.

The page (tests/seed/connection_types_overview.md, "Connection Types Overview") hard-codes
`localhost:8000`, so these tests start the real-engine gateway on 127.0.0.1:8000 and execute
each fenced Python block verbatim. When something else already listens on 8000 (a developer's
own `surreal start`, say), the gateway runs on a free port instead and the examples run with
only their URLs' port rewritten, which a warning in the test output says. Only the data the
examples expect to find (tables, users) is prepared beforehand, from a separate connection.
"""

from __future__ import annotations

import ast
import os
import re
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from surrealdb import RecordID, Surreal
from surrealdb.connections import (
    AsyncHttpSurrealConnection,
    AsyncWsSurrealConnection,
    BlockingHttpSurrealConnection,
    BlockingSurrealConnection,
    BlockingWsSurrealConnection,
)
from tests.server import GatewayStartError, RunningServer, start_gateway

SEED_PAGE = Path(__file__).parent.parent / "seed" / "connection_types_overview.md"
SEED_PORT = 8000
SEED_ADDRESS = re.compile(rf"(?<=://localhost:){SEED_PORT}\b")
"""The port in the page's URLs (`ws://localhost:8000/rpc`, `http://localhost:8000`)."""
FACTORY_MARKER = "# Automatically chooses connection type based on URL\ndb = Surreal("


def python_blocks() -> list[str]:
    """The page's fenced Python blocks, in order."""
    text = SEED_PAGE.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def block_with(marker: str) -> str:
    """The one block containing `marker` (so a changed page fails loudly, not silently)."""
    matches = [block for block in python_blocks() if marker in block]
    assert len(matches) == 1, f"expected one example containing {marker!r}, got {len(matches)}"
    return matches[0]


class Printed:
    """Stands in for `print` inside an example, keeping what it printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def __call__(self, *args: object) -> None:
        with self.changed:
            self.lines.append(" ".join(str(arg) for arg in args))
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.lines), timeout)


def with_port(code: str, port: int) -> str:
    """The example with the port of its `localhost:8000` URLs replaced, and nothing else."""
    return SEED_ADDRESS.sub(str(port), code)


def run_example(code: str, printed: Printed | None = None, port: int = SEED_PORT) -> dict[str, Any]:
    """Execute an example as a module (its server URLs on `port`) and return its globals."""
    namespace: dict[str, Any] = {"__name__": "seed_example", "print": printed or Printed()}
    exec(compile(with_port(code, port), str(SEED_PAGE), "exec"), namespace)
    return namespace


class SeedPortWarning(UserWarning):
    """The page's examples ran on another port than the 8000 they name."""


def start_seed_gateway() -> RunningServer:
    """The gateway on 127.0.0.1:8000, or on a free port (with a warning) when 8000 is taken."""
    try:
        return start_gateway(port=SEED_PORT)
    except GatewayStartError as error:
        if not error.address_in_use:
            raise
    running = start_gateway()
    warnings.warn(
        SeedPortWarning(
            f"port {SEED_PORT} is in use by another process: the seed page's examples run"
            f" against a test gateway on port {running.info.port}, with only their URLs' port"
            f" rewritten ({SEED_PORT} -> {running.info.port})"
        ),
        stacklevel=1,
    )
    return running


@pytest.fixture(scope="module")
def seed_server() -> Iterator[RunningServer]:
    """The gateway where the page's examples connect: localhost:8000 unless that is taken."""
    if os.environ.get("SURREALDB_URL"):
        pytest.skip("the page's examples need a server on localhost:8000, not SURREALDB_URL")
    running = start_seed_gateway()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def port(seed_server: RunningServer) -> int:
    """The port the page's examples reach the gateway on (8000 unless that was taken)."""
    return seed_server.info.port


@pytest.fixture
def admin(seed_server: RunningServer) -> Iterator[BlockingSurrealConnection]:
    """A separate connection that prepares data and checks the examples' effects."""
    with Surreal(seed_server.info.ws_url) as db:
        db.signin({"username": "root", "password": "root"})
        yield db


def prepare(db: BlockingSurrealConnection, namespace: str, database: str, *rows: str) -> None:
    """Define the `user` table in a namespace/database and add named users to it."""
    db.use(namespace, database)
    db.query("DEFINE TABLE IF NOT EXISTS user SCHEMALESS; DELETE user")
    for name in rows:
        db.create("user", {"name": name})


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (FACTORY_MARKER, BlockingHttpSurrealConnection),
        ("db = BlockingWsSurrealConnection(", BlockingWsSurrealConnection),
        ("db = BlockingHttpSurrealConnection(", BlockingHttpSurrealConnection),
        ('db = AsyncSurreal("http', AsyncHttpSurrealConnection),
        ("db = AsyncWsSurrealConnection(", AsyncWsSurrealConnection),
        ("db = AsyncHttpSurrealConnection(", AsyncHttpSurrealConnection),
        ("# Basic connection", BlockingWsSurrealConnection),
    ],
)
def test_constructing_each_class(marker: str, expected: type) -> None:
    """The class examples construct the advertised class from just the URL, without connecting."""
    namespace = run_example(block_with(marker))
    assert type(namespace["db"]) is expected


def test_factory_picks_websocket_then_http() -> None:
    code = block_with(FACTORY_MARKER)
    first_line = next(line for line in code.splitlines() if line.startswith("db = "))
    namespace = run_example("from surrealdb import Surreal\n" + first_line)
    assert type(namespace["db"]) is BlockingWsSurrealConnection


def test_url_examples_pick_the_right_transport() -> None:
    """Each URL in the "URL Examples" block is accepted and mapped to the right class."""
    code = block_with('"wss://cloud.surrealdb.com/rpc"')
    run_example(code)
    urls = [
        node.value
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert len(urls) == 7
    for url in urls:
        ws = url.startswith("ws")
        expected = BlockingWsSurrealConnection if ws else BlockingHttpSurrealConnection
        connection = Surreal(url)
        assert type(connection) is expected, url
        connection.close()


def test_realtime_websocket_example(admin: BlockingSurrealConnection, port: int) -> None:
    """The live-query example prints each change to `metrics` as it happens."""
    admin.use("realtime", "dashboard")
    admin.query("DEFINE TABLE IF NOT EXISTS metrics SCHEMALESS")
    printed = Printed()
    code = block_with("live_id = db.live(")
    example = threading.Thread(target=run_example, args=(code, printed, port), daemon=True)
    example.start()
    deadline = time.monotonic() + 10
    while not printed.lines and time.monotonic() < deadline:
        admin.create("metrics", {"cpu": 0.5})
        printed.wait_for(bool, timeout=0.2)
    assert printed.lines, "the example printed no real-time update"
    assert printed.lines[0].startswith("Real-time update: ")
    assert "action='CREATE'" in printed.lines[0]
    assert "cpu" in printed.lines[0]
    # End the example's endless loop the way an operator would: kill its live query.
    admin.query("KILL $id", {"id": _live_id_from(printed.lines[0])})
    example.join(timeout=10)
    assert not example.is_alive(), "subscribe_live did not end when its live query was killed"


def _live_id_from(line: str) -> uuid.UUID:
    """The live query's id, as the example printed it."""
    match = re.search(r"live_id=UUID\('([0-9a-f-]+)'\)", line)
    assert match, f"no live query id in {line!r}"
    return uuid.UUID(match.group(1))


def test_http_crud_example(admin: BlockingSurrealConnection, port: int) -> None:
    """The HTTP example signs in, creates John and selects the users."""
    prepare(admin, "api", "users")
    namespace = run_example(block_with('Surreal("http://localhost:8000") as db'), port=port)
    assert namespace["user"]["name"] == "John"
    assert isinstance(namespace["user"]["id"], RecordID)
    assert namespace["user"] in namespace["users"]
    assert admin.select(namespace["user"]["id"]) == namespace["user"]


def test_synchronous_example(admin: BlockingSurrealConnection, port: int) -> None:
    """process_users() marks every user as seen, one after another."""
    prepare(admin, "app", "users", "Ada", "Grace")
    printed = Printed()
    namespace = run_example(block_with("def process_users():"), printed, port)
    namespace["process_users"]()
    assert len(printed.lines) == 2
    assert all(line.startswith("Updated user: ") for line in printed.lines)
    assert {user["last_seen"] for user in admin.select("user")} == {"now"}


def test_asynchronous_example(admin: BlockingSurrealConnection, port: int) -> None:
    """process_users_async() merges every user concurrently on one connection."""
    prepare(admin, "app", "users", *(f"user{n}" for n in range(20)))
    printed = Printed()
    run_example(block_with("async def process_users_async():"), printed, port)
    assert printed.lines == ["Updated 20 users concurrently"]
    assert {user["last_seen"] for user in admin.select("user")} == {"now"}


@pytest.mark.parametrize(
    "marker",
    [
        "# Manual connection management",
        "# Automatic connection management",
        "# Automatic async connection management",
    ],
)
def test_lifecycle_examples(admin: BlockingSurrealConnection, port: int, marker: str) -> None:
    """The manual, context-manager and async examples query the users, then close."""
    prepare(admin, "myapp", "production", "Ada")
    namespace = run_example(block_with(marker), port=port)
    if "result" in namespace:  # the async example keeps its result inside main()
        assert [user["name"] for user in namespace["result"]] == ["Ada"]
    db = namespace.get("db")
    if db is not None:
        with pytest.raises(Exception, match="closed"):
            db.ping()


def test_environment_configuration_example(
    admin: BlockingSurrealConnection, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no SURREALDB_* variables set, the defaults reach the server on localhost:8000."""
    for suffix in ("URL", "USER", "PASS", "NS", "DB"):
        monkeypatch.delenv(f"SURREALDB_{suffix}", raising=False)
    namespace = run_example(block_with("# Environment-based configuration"), port=port)
    assert namespace["config"]["namespace"] == "production"
    with pytest.raises(Exception, match="closed"):
        namespace["db"].ping()


def test_connection_pool_example(admin: BlockingSurrealConnection, port: int) -> None:
    """The hand-rolled pool pre-creates ten signed-in connections and serves a query."""
    prepare(admin, "myapp", "production", "Ada", "Grace")
    namespace = run_example(block_with("class ConnectionPool:"), port=port)
    pool = namespace["pool"]
    try:
        assert sorted(user["name"] for user in namespace["result"]) == ["Ada", "Grace"]
        assert pool.pool.qsize() == 10
    finally:
        while not pool.pool.empty():
            pool.pool.get().close()


def test_connection_reuse_example(admin: BlockingSurrealConnection, port: int) -> None:
    """DatabaseService reuses one connection for a select and a create, then closes it."""
    prepare(admin, "myapp", "production", "Ada")
    namespace = run_example(block_with("class DatabaseService:"), port=port)
    assert [user["name"] for user in namespace["users"]] == ["Ada"]
    assert namespace["new_user"]["name"] == "John"
    with pytest.raises(Exception, match="closed"):
        namespace["service"].db.ping()


def test_every_example_is_covered() -> None:
    """The page has exactly the examples these tests run; a new one must get a test."""
    assert len(python_blocks()) == 18


def test_with_port_rewrites_only_the_port() -> None:
    """On another port, each example differs from the page only in its URLs' port numbers."""
    for block in python_blocks():
        moved = with_port(block, 18123)
        assert "localhost:8000" not in moved
        assert moved.replace("localhost:18123", "localhost:8000") == block
    assert with_port('Surreal("ws://localhost:8000/rpc")', 18123) == (
        'Surreal("ws://localhost:18123/rpc")'
    )
    assert with_port('"http://localhost:80001"', 18123) == '"http://localhost:80001"'


@pytest.fixture
def port_8000_taken() -> Iterator[None]:
    """Something listening on 127.0.0.1:8000, as a developer's own `surreal start` would."""
    with socket.socket() as listener:
        # As a server would: a port whose old connections linger in TIME_WAIT is still free.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", SEED_PORT))
            listener.listen()
        except OSError:
            pass  # already taken (by the seed gateway of this module, or by someone else)
        yield


def test_examples_run_on_a_free_port_when_8000_is_taken(port_8000_taken: None) -> None:
    """With 8000 taken, the gateway starts elsewhere, says so, and the examples still run."""
    with pytest.warns(SeedPortWarning, match=r"port 8000 is in use .* \(8000 -> \d+\)"):
        running = start_seed_gateway()
    try:
        assert running.info.port != SEED_PORT
        with Surreal(running.info.ws_url) as db:
            db.signin({"username": "root", "password": "root"})
            prepare(db, "myapp", "production", "Ada")
        namespace = run_example(
            block_with("# Manual connection management"), port=running.info.port
        )
        assert [user["name"] for user in namespace["result"]] == ["Ada"]
    finally:
        running.stop()
