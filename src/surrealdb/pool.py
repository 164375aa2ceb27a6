"""Pools of connections: `SurrealPool` (blocking) and `AsyncSurrealPool` (asyncio).

A pool makes up to `size` connections, on demand, each set up once when it is made (sign-in,
`use`, and an optional `setup` function), and lends them out with `acquire()`:

    with SurrealPool(url, size=8, signin=ROOT, namespace="app", database="app") as pool:
        with pool.acquire() as db:
            db.query("SELECT * FROM user")

A connection that is closed or lost for good (`is_closed`) is dropped and a new one is made in
its place. `close()` stops lending, waits for the borrowed connections to come back (up to
`drain_timeout`), then closes them all.

One WebSocket connection already carries any number of concurrent calls (docs/concurrency.md);
a pool is for HTTP, for spreading load over sockets, or for code written around one
connection per task. Do not change a pooled connection's sign-in, namespace or database: the
next borrower would inherit them; use `db.new_session()` for that.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    SurrealConnectionError,
    SurrealError,
    SurrealTimeoutError,
)
from surrealdb.factory import AsyncSurreal, Surreal
from surrealdb.reconnect import ReconnectPolicy, Secret
from surrealdb.transports.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KEEPALIVE_INTERVAL,
    DEFAULT_TIMEOUT,
    SSLOption,
    check_seconds,
    logger,
)
from surrealdb.url import parse_url

if TYPE_CHECKING:
    import httpx

DEFAULT_POOL_SIZE = 4
"""Connections a pool makes at most, unless told otherwise."""

DEFAULT_ACQUIRE_TIMEOUT = 30.0
"""Seconds `acquire()` waits for a free connection before raising `SurrealTimeoutError`."""

DEFAULT_DRAIN_TIMEOUT = 10.0
"""Seconds `close()` waits for borrowed connections to come back before closing anyway."""


class _PoolDefault:
    def __repr__(self) -> str:
        return "the pool's acquire_timeout"


POOL_DEFAULT = _PoolDefault()
"""`acquire(timeout=POOL_DEFAULT)`: wait as long as the pool's `acquire_timeout`."""


class _PoolSettings:
    """What both pools check and keep: the URL, the size, the set-up, the connection options."""

    def __init__(
        self,
        url: str,
        size: int,
        signin: Mapping[str, Any] | None,
        namespace: str | None,
        database: str | None,
        acquire_timeout: float | None,
        drain_timeout: float,
    ) -> None:
        self._url = parse_url(url)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidArgumentError(f"size must be a positive int, got {size!r}")
        if signin is not None and not isinstance(signin, Mapping):
            raise InvalidArgumentTypeError(
                "signin must be a mapping such as {'username': ..., 'password': ...},"
                f" got {type(signin).__name__}"
            )
        for name, value in (("namespace", namespace), ("database", database)):
            if value is not None and not isinstance(value, str):
                raise InvalidArgumentTypeError(
                    f"{name} must be a string or None, got {type(value).__name__}"
                )
        self._size = size
        self._signin: Secret[dict[str, Any]] | None = (
            None if signin is None else Secret(dict(signin))
        )
        self._namespace = namespace
        self._database = database
        self._acquire_timeout = check_seconds("acquire_timeout", acquire_timeout, allow_none=True)
        drain = check_seconds("drain_timeout", drain_timeout, allow_none=False)
        assert drain is not None
        self._drain_timeout: float = drain
        self._closed = False
        self._made = 0  # connections that exist: lent out, idle, or being made

    @property
    def size(self) -> int:
        """The most connections this pool makes."""
        return self._size

    @property
    def url(self) -> str:
        """The endpoint the connections talk to (never with credentials)."""
        return self._url.display

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed

    def _acquire_limit(self, timeout: float | _PoolDefault | None) -> float | None:
        if isinstance(timeout, _PoolDefault):
            return self._acquire_timeout
        return check_seconds("timeout", timeout, allow_none=True)

    def _timeout_error(self, timeout: float | None) -> SurrealTimeoutError:
        return SurrealTimeoutError(
            f"no connection of the pool for {self.url} came free within {timeout} s"
            f" (all {self._size} are in use): raise size=, or release connections sooner"
        )

    def _closed_error(self) -> SurrealConnectionError:
        return SurrealConnectionError(f"the pool for {self.url} is closed")


class SurrealPool(_PoolSettings):
    """A pool of blocking connections, shared by threads.

    Args:
        url: where to connect (any URL `Surreal` takes).
        size: the most connections made; they are made when needed.
        signin: credentials each new connection signs in with (kept hidden).
        namespace, database: what each new connection `use`s.
        setup: called with each new connection after sign-in and `use` (e.g. to `let`).
        acquire_timeout: seconds `acquire()` waits for a free connection (None: no limit).
        drain_timeout: seconds `close()` waits for borrowed connections to come back.
        timeout, connect_timeout, reconnect, keepalive_interval, ssl, http_client, http2:
            each connection's options, as for `Surreal` (the connections share one
            `http_client`, which stays the caller's: closing the pool leaves it open).
    """

    def __init__(
        self,
        url: str,
        *,
        size: int = DEFAULT_POOL_SIZE,
        signin: Mapping[str, Any] | None = None,
        namespace: str | None = None,
        database: str | None = None,
        setup: Callable[[BlockingSurrealConnection], None] | None = None,
        acquire_timeout: float | None = DEFAULT_ACQUIRE_TIMEOUT,
        drain_timeout: float = DEFAULT_DRAIN_TIMEOUT,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect: bool | ReconnectPolicy = True,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
        ssl: SSLOption = None,
        http_client: httpx.Client | None = None,
        http2: bool = False,
    ) -> None:
        super().__init__(url, size, signin, namespace, database, acquire_timeout, drain_timeout)
        self._setup = setup
        self._connect: Callable[[], BlockingSurrealConnection] = lambda: Surreal(
            url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            keepalive_interval=keepalive_interval,
            ssl=ssl,
            http_client=http_client,
            http2=http2,
        )
        self._connect()  # the options are checked now, not at the first acquire
        self._idle: deque[BlockingSurrealConnection] = deque()
        self._condition = threading.Condition()

    def __repr__(self) -> str:
        return (
            f"<SurrealPool url={self.url!r} size={self._size} in_use={self.in_use}"
            f" idle={len(self._idle)}{' closed' if self._closed else ''}>"
        )

    @property
    def in_use(self) -> int:
        """How many connections are lent out (or being made) now."""
        return self._made - len(self._idle)

    @property
    def idle(self) -> int:
        """How many connections wait in the pool now."""
        return len(self._idle)

    @contextmanager
    def acquire(
        self, timeout: float | _PoolDefault | None = POOL_DEFAULT
    ) -> Iterator[BlockingSurrealConnection]:
        """Borrow a connection for the `with` block; it goes back to the pool after it.

        Waits up to `timeout` seconds (default: the pool's `acquire_timeout`; None: no
        limit) for one to come free, then raises `SurrealTimeoutError`.
        """
        connection = self._take(self._acquire_limit(timeout))
        try:
            yield connection
        finally:
            self._give_back(connection)

    def _take(self, timeout: float | None) -> BlockingSurrealConnection:
        deadline = None if timeout is None else time.monotonic() + timeout
        broken: list[BlockingSurrealConnection] = []
        try:
            with self._condition:
                while True:
                    if self._closed:
                        raise self._closed_error()
                    if self._idle:
                        connection = self._idle.pop()
                        if not connection.is_closed:
                            return connection
                        broken.append(connection)  # lost for good: make another instead
                        self._made -= 1
                        continue
                    if self._made < self._size:
                        self._made += 1  # this slot is ours while the connection is made
                        break
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise self._timeout_error(timeout)
                    self._condition.wait(remaining)
        finally:
            for connection in broken:
                logger.info("replacing a broken connection of the pool for %s", self.url)
                _close_quietly(connection)
        try:
            return self._make()
        except BaseException:
            with self._condition:
                self._made -= 1
                self._condition.notify()
            raise

    def _make(self) -> BlockingSurrealConnection:
        connection = self._connect()
        try:
            if self._signin is not None:
                connection.signin(self._signin.reveal())
            if self._namespace is not None or self._database is not None:
                connection.use(self._namespace, self._database)
            if self._setup is not None:
                self._setup(connection)
        except BaseException:
            _close_quietly(connection)
            raise
        return connection

    def _give_back(self, connection: BlockingSurrealConnection) -> None:
        with self._condition:
            keep = not self._closed and not connection.is_closed
            if keep:
                self._idle.append(connection)
            else:
                self._made -= 1
            self._condition.notify_all()
        if not keep:
            _close_quietly(connection)

    def close(self) -> None:
        """Stop lending; wait for borrowed connections (up to `drain_timeout`); close all.

        Idempotent. A connection still borrowed after the wait is closed when it comes back.
        """
        deadline = time.monotonic() + self._drain_timeout
        with self._condition:
            self._closed = True
            self._condition.notify_all()  # waiting borrowers give up
            while self._made > len(self._idle):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.warning(
                        "closing the pool for %s with %d connections still borrowed",
                        self.url,
                        self._made - len(self._idle),
                    )
                    break
                self._condition.wait(remaining)
            idle = list(self._idle)
            self._idle.clear()
            self._made -= len(idle)
        for connection in idle:
            _close_quietly(connection)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncSurrealPool(_PoolSettings):
    """A pool of asyncio connections, shared by tasks of one event loop.

    Takes the arguments of `SurrealPool`; `setup` may be a coroutine function.
    """

    def __init__(
        self,
        url: str,
        *,
        size: int = DEFAULT_POOL_SIZE,
        signin: Mapping[str, Any] | None = None,
        namespace: str | None = None,
        database: str | None = None,
        setup: Callable[[AsyncSurrealConnection], Awaitable[None]] | None = None,
        acquire_timeout: float | None = DEFAULT_ACQUIRE_TIMEOUT,
        drain_timeout: float = DEFAULT_DRAIN_TIMEOUT,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect: bool | ReconnectPolicy = True,
        keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
        ssl: SSLOption = None,
        http_client: httpx.AsyncClient | None = None,
        http2: bool = False,
    ) -> None:
        super().__init__(url, size, signin, namespace, database, acquire_timeout, drain_timeout)
        self._setup = setup
        self._connect: Callable[[], AsyncSurrealConnection] = lambda: AsyncSurreal(
            url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            keepalive_interval=keepalive_interval,
            ssl=ssl,
            http_client=http_client,
            http2=http2,
        )
        self._connect()  # the options are checked now, not at the first acquire
        self._idle: deque[AsyncSurrealConnection] = deque()
        self._condition: asyncio.Condition | None = None

    def __repr__(self) -> str:
        return (
            f"<AsyncSurrealPool url={self.url!r} size={self._size} in_use={self.in_use}"
            f" idle={len(self._idle)}{' closed' if self._closed else ''}>"
        )

    @property
    def in_use(self) -> int:
        """How many connections are lent out (or being made) now."""
        return self._made - len(self._idle)

    @property
    def idle(self) -> int:
        """How many connections wait in the pool now."""
        return len(self._idle)

    def _cond(self) -> asyncio.Condition:
        if self._condition is None:
            self._condition = asyncio.Condition()
        return self._condition

    @asynccontextmanager
    async def acquire(
        self, timeout: float | _PoolDefault | None = POOL_DEFAULT
    ) -> AsyncIterator[AsyncSurrealConnection]:
        """Borrow a connection for the `async with` block; it goes back to the pool after it.

        Waits up to `timeout` seconds (default: the pool's `acquire_timeout`; None: no
        limit) for one to come free, then raises `SurrealTimeoutError`.
        """
        connection = await self._take(self._acquire_limit(timeout))
        try:
            yield connection
        finally:
            await self._give_back(connection)

    async def _take(self, timeout: float | None) -> AsyncSurrealConnection:
        condition = self._cond()
        broken: list[AsyncSurrealConnection] = []
        try:
            async with asyncio.timeout(timeout):
                async with condition:
                    while True:
                        if self._closed:
                            raise self._closed_error()
                        if self._idle:
                            connection = self._idle.pop()
                            if not connection.is_closed:
                                return connection
                            broken.append(connection)
                            self._made -= 1
                            continue
                        if self._made < self._size:
                            self._made += 1
                            break
                        await condition.wait()
        except TimeoutError:
            raise self._timeout_error(timeout) from None
        finally:
            for connection in broken:
                logger.info("replacing a broken connection of the pool for %s", self.url)
                await _close_quietly_async(connection)
        try:
            return await self._make()
        except BaseException:
            self._made -= 1
            async with condition:
                condition.notify()
            raise

    async def _make(self) -> AsyncSurrealConnection:
        connection = self._connect()
        try:
            if self._signin is not None:
                await connection.signin(self._signin.reveal())
            if self._namespace is not None or self._database is not None:
                await connection.use(self._namespace, self._database)
            if self._setup is not None:
                await self._setup(connection)
        except BaseException:
            await _close_quietly_async(connection)
            raise
        return connection

    async def _give_back(self, connection: AsyncSurrealConnection) -> None:
        keep = not self._closed and not connection.is_closed
        if keep:
            self._idle.append(connection)
        else:
            self._made -= 1
            await _close_quietly_async(connection)
        condition = self._cond()
        async with condition:
            condition.notify_all()

    async def close(self) -> None:
        """Stop lending; wait for borrowed connections (up to `drain_timeout`); close all.

        Idempotent. A connection still borrowed after the wait is closed when it comes back.
        """
        self._closed = True
        condition = self._cond()
        try:
            async with asyncio.timeout(self._drain_timeout):
                async with condition:
                    condition.notify_all()  # waiting borrowers give up
                    while self._made > len(self._idle):
                        await condition.wait()
        except TimeoutError:
            logger.warning(
                "closing the pool for %s with %d connections still borrowed",
                self.url,
                self._made - len(self._idle),
            )
        idle = list(self._idle)
        self._idle.clear()
        self._made -= len(idle)
        for connection in idle:
            await _close_quietly_async(connection)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _close_quietly(connection: BlockingSurrealConnection) -> None:
    with suppress(SurrealError, OSError):
        connection.close()


async def _close_quietly_async(connection: AsyncSurrealConnection) -> None:
    with suppress(SurrealError, OSError):
        await connection.close()
