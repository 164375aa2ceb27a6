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
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

GATEWAY_DIR = Path(__file__).parent / "server"
START_TIMEOUT = 30.0


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
        command, cwd=GATEWAY_DIR, stdout=subprocess.PIPE, stderr=None, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"the test gateway did not start: {line!r}")
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
