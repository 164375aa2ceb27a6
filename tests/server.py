"""Starting a real SurrealDB server for the tests.

In order of preference: `SURREALDB_URL` (an external server, with `SURREALDB_USER` and
`SURREALDB_PASS`), a `surreal` binary on PATH, or the vendored gateway in tests/server (the real
SurrealDB engine behind the server's network protocol; needs `npm ci` there, which
`make test` does).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

GATEWAY_DIR = Path(__file__).parent / "server"
START_TIMEOUT = 30.0


class GatewayStartError(RuntimeError):
    """The test gateway exited (or printed something else) instead of listening.

    The message and `stderr` carry what the gateway itself wrote to its standard error, such as
    `gateway: listen EADDRINUSE: address already in use 127.0.0.1:8000`.
    """

    def __init__(self, stderr: str, first_line: str) -> None:
        self.stderr = stderr
        said = stderr.strip() or f"no message on stderr; first line of output {first_line!r}"
        super().__init__(f"the test gateway did not start: {said}")

    @property
    def address_in_use(self) -> bool:
        """Whether it failed because another process listens on the port it was given."""
        return "EADDRINUSE" in self.stderr


class _StderrCopy:
    """Keeps what a child process writes to its stderr pipe, passing each line on to ours
    (so pytest still captures it), and reading it from a thread (so the pipe never fills)."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._copy, args=(stream,), daemon=True)
        self._thread.start()

    def _copy(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)
            sys.stderr.write(line)

    def text(self, timeout: float = 5.0) -> str:
        """Everything written so far; once the process has exited, everything it wrote."""
        self._thread.join(timeout)
        return "".join(self.lines)


@dataclass(frozen=True)
class ServerInfo:
    """Where the test server listens and how to sign in as its root user."""

    host: str
    port: int
    username: str
    password: str
    secure: bool = False

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.secure else 'ws'}://{self.host}:{self.port}/rpc"

    @property
    def http_url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.host}:{self.port}"


class RunningServer:
    """A server process the tests started (or None for an external one), stopped at the end."""

    def __init__(self, info: ServerInfo, process: subprocess.Popen[str] | None) -> None:
        self.info = info
        self.process = process

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_server(storage: str = "mem://") -> RunningServer:
    """Use `SURREALDB_URL`, else start a `surreal` binary, else the vendored gateway."""
    username = os.environ.get("SURREALDB_USER", "root")
    password = os.environ.get("SURREALDB_PASS", "root")
    external = os.environ.get("SURREALDB_URL")
    if external:
        parts = urlsplit(external)
        secure = parts.scheme in ("wss", "https")
        port = parts.port or (443 if secure else 8000)
        info = ServerInfo(parts.hostname or "127.0.0.1", port, username, password, secure)
        return RunningServer(info, None)
    if shutil.which("surreal"):
        return _start_surreal_binary(username, password, storage)
    return _start_gateway(username, password, storage)


def start_gateway(
    username: str = "root",
    password: str = "root",
    storage: str = "mem://",
    port: int = 0,
    *,
    unauthenticated: bool = False,
) -> RunningServer:
    """Start the vendored gateway on 127.0.0.1 (port 0: a free one). Like `surreal start`, it
    refuses anonymous sessions unless `unauthenticated` (its `--unauthenticated` option)."""
    return _start_gateway(username, password, storage, port, unauthenticated=unauthenticated)


def _start_gateway(
    username: str, password: str, storage: str, port: int = 0, *, unauthenticated: bool = False
) -> RunningServer:
    if not (GATEWAY_DIR / "node_modules").is_dir():
        raise RuntimeError(
            f"the test server's packages are missing: run `npm ci` in {GATEWAY_DIR}"
            " (or `make test`, which does it)"
        )
    command = [
        "node",
        "gateway.mjs",
        "--bind",
        f"127.0.0.1:{port}",
        "--user",
        username,
        "--pass",
        password,
        "--storage",
        storage,
        *(["--unauthenticated"] if unauthenticated else []),
    ]
    process = subprocess.Popen(
        command, cwd=GATEWAY_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    stderr = _StderrCopy(process.stderr)
    line = process.stdout.readline().strip()
    if not line.startswith("listening "):
        try:  # an empty line: it exited (its message is on stderr); else stop it
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        raise GatewayStartError(stderr.text(), line)
    host, _, bound_port = line.removeprefix("listening ").rpartition(":")
    return RunningServer(ServerInfo(host, int(bound_port), username, password), process)


def _start_surreal_binary(username: str, password: str, storage: str) -> RunningServer:
    port = _free_port()
    process = subprocess.Popen(
        [
            "surreal",
            "start",
            "--bind",
            f"127.0.0.1:{port}",
            "--user",
            username,
            "--pass",
            password,
            "memory" if storage == "mem://" else storage,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return RunningServer(ServerInfo("127.0.0.1", port, username, password), process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the surreal binary did not become healthy in time")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
