"""A real forward proxy (proxy.py, from PyPI) on 127.0.0.1, and its access log."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_WAIT = 30.0
LOG_WAIT = 10.0


@dataclass
class ForwardProxy:
    """A running proxy.py and its access log."""

    url: str
    log: Path

    def requests_to(self, port: int, method: str = "POST") -> list[str]:
        """The access-log lines of the `method` requests the proxy forwarded to `port`
        (CONNECT: the tunnels it opened to it)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        target = f"{method} 127.0.0.1:{port}"
        return [line for line in text.splitlines() if "access_log" in line and target in line]

    def new_requests(self, port: int, before: int, method: str = "POST") -> list[str]:
        """The lines after the first `before`, waited for: the proxy writes one as each
        proxied connection ends, a moment after the client closed it."""
        deadline = time.monotonic() + LOG_WAIT
        while (
            len(lines := self.requests_to(port, method)) <= before and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        return lines[before:]


@contextlib.contextmanager
def forward_proxy_in(directory: Path) -> Iterator[ForwardProxy]:
    """proxy.py on a free port of 127.0.0.1 (plain HTTP forwarding and CONNECT tunnels),
    logging to a file in `directory`; stopped at the end."""
    port_file, log = directory / "port", directory / "proxy.log"
    command = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"]
    command += ["--port-file", str(port_file), "--log-file", str(log)]
    command += ["--num-workers", "1", "--num-acceptors", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_WAIT
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None, "proxy.py exited at start"
            assert time.monotonic() < deadline, "proxy.py did not start"
            time.sleep(0.05)
        yield ForwardProxy(f"http://127.0.0.1:{port_file.read_text().strip()}", log)
    finally:
        process.terminate()
        process.wait(10)
