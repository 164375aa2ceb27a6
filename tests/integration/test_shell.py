"""`python -m surrealdb sql`: from a pipe on every kind of URL, and typed at a real terminal.

The terminal tests run the shell in tmux and type into it with `send-keys`, as a person would,
reading the screen with `capture-pane`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import ServerInfo

ROOT = Path(__file__).resolve().parents[2]


def run_sql(
    *args: str, script: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The shell with `script` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "surrealdb", "sql", *args],
        input=script,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


SCRIPT = "CREATE person:ada SET name = 'Ada', tenure = 1h5m; SELECT * FROM person;"
EXPECTED_ROW = "[{ id: person:ada, name: 'Ada', tenure: 1h5m }]"


def test_a_piped_script_on_mem() -> None:
    done = run_sql("mem://", "--ns", "a", "--db", "b", script=SCRIPT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["-- Query 1", EXPECTED_ROW, "-- Query 2", EXPECTED_ROW]


def test_a_failed_statement_exits_1() -> None:
    failed = run_sql("mem://", "--ns", "a", "--db", "b", script="RETURN 1; THROW 'boom';")
    assert failed.returncode == 1
    assert "-- Query 1\n1\n" in failed.stdout
    assert "boom" in failed.stderr
    unparsed = run_sql("mem://", "--ns", "a", "--db", "b", script="SELEC x;")
    assert unparsed.returncode == 1 and "Parse error" in unparsed.stderr


def test_json_output_is_json() -> None:
    done = run_sql("--json", "mem://", "--ns", "a", "--db", "b", script="RETURN {a: 1, b: [t:1]};")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"a": 1, "b": ["t:1"]}


def test_a_surrealkv_file_keeps_its_data(tmp_path: Path) -> None:
    url = f"surrealkv://{tmp_path / 'data'}"
    assert run_sql(url, "--ns", "a", "--db", "b", script=SCRIPT).returncode == 0
    again = run_sql(url, "--ns", "a", "--db", "b", script="SELECT * FROM person;")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == EXPECTED_ROW


@pytest.mark.parametrize("kind", ["ws", "http"])
def test_on_the_test_server(server: ServerInfo, kind: str) -> None:
    url = server.ws_url if kind == "ws" else server.http_url
    database = f"shell_{uuid.uuid4().hex[:8]}"
    credentials = {"SURREALDB_USER": server.username, "SURREALDB_PASS": server.password}
    done = run_sql(url, "--ns", "test", "--db", database, script=SCRIPT, env=credentials)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == EXPECTED_ROW
    # Without signing in, the server refuses: the shell says so and exits 1.
    anonymous = run_sql(url, "--ns", "test", "--db", database, script="SELECT * FROM person;")
    assert anonymous.returncode == 1
    assert "Anonymous access not allowed" in anonymous.stderr


def test_a_server_that_is_down_is_one_clear_line() -> None:
    down = run_sql("ws://127.0.0.1:1/rpc", script="RETURN 1;")
    assert down.returncode == 1
    assert down.stderr.startswith("error: cannot connect to ws://127.0.0.1:1/rpc")
    assert "Traceback" not in down.stderr


def test_password_without_user_is_a_usage_error() -> None:
    assert run_sql("mem://", "--pass", "x", script="").returncode == 2


# --------------------------------------------------------------------------------------------
# Typed at a terminal (tmux)
# --------------------------------------------------------------------------------------------


class Terminal:
    """A tmux session running one command, typed into and read like a screen."""

    def __init__(self, command: list[str], env: dict[str, str], database: str) -> None:
        self.name = f"shell-test-{uuid.uuid4().hex[:8]}"
        self.database = database
        exports = " ".join(f"{key}={value}" for key, value in env.items())
        line = " ".join(command)
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "160", "-y", "50"],
            check=True,
        )
        self.keys(f"env {exports} {line}; echo EXITED-$?", "Enter")

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        """Type a line and press Enter."""
        if text.endswith(";"):  # tmux reads an argument's last ';' as a command separator
            text = text[:-1] + "\\;"
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        self.keys("Enter")

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name, "-S", "-200"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


@pytest.fixture(params=["mem", "surrealkv", "ws", "http"])
def terminal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Terminal]:
    """The shell in a terminal, on an in-memory engine, a database file and the test server."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    env = {"PYTHONPATH": str(ROOT / "src"), "HOME": str(tmp_path)}
    if request.param in ("ws", "http"):
        server: ServerInfo = request.getfixturevalue("server")
        url = server.ws_url if request.param == "ws" else server.http_url
        env |= {"SURREALDB_USER": server.username, "SURREALDB_PASS": server.password}
    else:
        url = "mem://" if request.param == "mem" else f"surrealkv://{tmp_path / 'data'}"
    database = f"main{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "surrealdb", "sql", url, "--ns", "app", "--db", database]
    session = Terminal(command, env, database)
    try:
        session.wait_for("Ctrl-D to leave")
        yield session
    finally:
        session.close()


def test_typing_statements_at_the_prompt(terminal: Terminal) -> None:
    terminal.wait_for(f"app/{terminal.database}>")
    terminal.type("CREATE person:ada SET name = 'Ada';")
    terminal.wait_for("[{ id: person:ada, name: 'Ada' }]")

    # A statement over several lines runs once it ends with ';'.
    terminal.type("SELECT VALUE name")
    terminal.wait_for("\n...")
    terminal.type("FROM person;")
    terminal.wait_for("['Ada']")

    terminal.type(":timing on")
    terminal.type("RETURN 40 + 2;")
    screen = terminal.wait_for(" ms\n")
    assert "42" in screen

    # Ctrl-C drops what is being typed and keeps the shell.
    terminal.keys("-l", "RETURN 'dropped'")
    terminal.keys("C-c")
    terminal.type("RETURN 'kept';")
    screen = terminal.wait_for("'kept'\n")
    assert "'dropped'\n" not in screen.replace("RETURN 'dropped'", "")

    terminal.type(":use other")
    terminal.wait_for(f"other/{terminal.database}>")
    terminal.type(":nonsense")
    terminal.wait_for("unknown command :nonsense")

    terminal.keys("C-d")
    terminal.wait_for("EXITED-0")


def test_ctrl_c_stops_waiting_for_a_running_statement(terminal: Terminal) -> None:
    terminal.type("SLEEP 2s;")
    time.sleep(0.5)
    terminal.keys("C-c")
    terminal.wait_for("cancelled (the server may still finish the statement)")
    terminal.type("RETURN 'still here';")
    terminal.wait_for("'still here'\n")


def test_history_is_kept_between_sessions(tmp_path: Path, terminal: Terminal) -> None:
    terminal.type("RETURN 'remember me';")
    terminal.wait_for("'remember me'\n")
    terminal.keys("C-d")
    terminal.wait_for("EXITED-0")
    assert "RETURN 'remember me';" in (tmp_path / ".surrealdb_typed_history").read_text()
