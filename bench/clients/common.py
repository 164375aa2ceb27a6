"""What every client module shares: the worker's arguments and the timing loops.

A client times itself: `time.process_time()` (CPU of the whole process, every thread) and
`time.perf_counter()` (wall) around the timed loop, after an untimed warm-up.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorkerArgs:
    """What the runner tells a worker."""

    client: str
    case: str
    n: int
    warmup: int
    url: str
    user: str
    password: str
    namespace: str
    database: str

    @property
    def transport(self) -> str:
        return self.case.split("-")[0]

    @property
    def flavour(self) -> str:
        return self.case.split("-")[1]

    @property
    def op(self) -> str:
        return self.case.split("-")[2]


@dataclass(frozen=True)
class Measurement:
    """The timed loop's client CPU and wall time, in seconds, for `n` operations."""

    n: int
    cpu_s: float
    wall_s: float
    extra: dict[str, Any] | None = None


class Clock:
    """Reads both clocks at the start and the end of a timed section."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0
        self.times = os.times()

    def start(self) -> None:
        gc.collect()
        self.times = os.times()
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self, n: int) -> Measurement:
        cpu = time.process_time() - self.cpu
        wall = time.perf_counter() - self.wall
        times = os.times()
        split = {  # os.times() ticks are coarse (10 ms): only for the user/system split
            "user_s": times.user - self.times.user,
            "system_s": times.system - self.times.system,
        }
        return Measurement(n, cpu, wall, split)


def measure(op: Callable[[int], object], n: int, warmup: int) -> Measurement:
    """Run `op(i)` `warmup` times untimed, then `n` times timed."""
    for i in range(warmup):
        op(i)
    clock = Clock()
    clock.start()
    for i in range(n):
        op(i)
    return clock.stop(n)


async def measure_async(op: Callable[[int], Awaitable[object]], n: int, warmup: int) -> Measurement:
    """Await `op(i)` `warmup` times untimed, then `n` times timed."""
    for i in range(warmup):
        await op(i)
    clock = Clock()
    clock.start()
    for i in range(n):
        await op(i)
    return clock.stop(n)


def check_rows(rows: object, expected: int) -> None:
    """Fail loudly when a select did not return the seeded rows (a broken case, not a slow one)."""
    if not isinstance(rows, list | tuple) or len(rows) != expected:
        size = len(rows) if isinstance(rows, list | tuple) else type(rows).__name__
        raise RuntimeError(f"select returned {size}, expected {expected} rows")


# -- the codec case's input, fetched with the standard library only -------------------------


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + length.to_bytes(2, "big")


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    return _cbor_head(3, len(data)) + data


def select_request_body(table: str) -> bytes:
    """The CBOR of `{method: "select", params: [Table(table)]}` (tag 7), without cbor2."""
    return (
        _cbor_head(5, 2)
        + _cbor_text("method")
        + _cbor_text("select")
        + _cbor_text("params")
        + _cbor_head(4, 1)
        + bytes([0xC7])
        + _cbor_text(table)
    )


def fetch_select_body(args: WorkerArgs, table: str) -> bytes:
    """The HTTP `/rpc` reply body of selecting a whole table: the codec case's input."""
    import base64
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(args.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    credentials = base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    connection.request(
        "POST",
        "/rpc",
        select_request_body(table),
        {
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            "Surreal-NS": args.namespace,
            "Surreal-DB": args.database,
            "Authorization": f"Basic {credentials}",
        },
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"select over HTTP failed: {response.status} {body[:200]!r}")
    return body
