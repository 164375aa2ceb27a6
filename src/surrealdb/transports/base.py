"""What every transport provides to the generated connection classes.

A connection is lazy: the first call connects (an explicit `connect()` works too). `close()`
is idempotent, and the classes are context managers.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, Self

from surrealdb.errors import InvalidURLError
from surrealdb.live import AsyncLiveQueries, BlockingLiveQueries
from surrealdb.protocol import Request
from surrealdb.url import ConnectionURL, TransportKind, parse_url

logger = logging.getLogger("surrealdb")

DEFAULT_TIMEOUT = 30.0
"""Seconds a call waits for its reply before raising `SurrealTimeoutError`."""

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds connecting may take."""


_URL_HINTS = {"ws": "ws:// or wss://", "http": "http:// or https://", "embedded": "mem://"}


class _ClientOptions:
    """The URL and timeouts every transport takes."""

    _transport_kind: TransportKind

    def __init__(
        self,
        url: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._url: ConnectionURL = parse_url(url)
        if self._url.kind != self._transport_kind:
            raise InvalidURLError(
                f"{type(self).__name__} needs a {_URL_HINTS[self._transport_kind]} URL,"
                f" got {self._url.display!r}: use Surreal(url) / AsyncSurreal(url) to pick the"
                " class from the URL"
            )
        self._timeout = timeout
        self._connect_timeout = connect_timeout

    @property
    def transport_kind(self) -> TransportKind:
        """The transport: "ws", "http" or "embedded"."""
        return self._url.kind

    @property
    def url(self) -> str:
        """The endpoint this connection talks to (never with credentials)."""
        return self._url.display

    def __repr__(self) -> str:
        return f"<{type(self).__name__} url={self._url.display!r}>"


class BlockingRpcClient(_ClientOptions, BlockingLiveQueries, ABC):
    """The transport side of a blocking connection."""

    @abstractmethod
    def _call(self, request: Request) -> Any:
        """Send one request and return its result, or raise its error."""

    @abstractmethod
    def connect(self) -> Self:
        """Connect now instead of at the first call; returns the connection."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection; safe to call more than once."""

    def __enter__(self) -> Self:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncRpcClient(_ClientOptions, AsyncLiveQueries, ABC):
    """The transport side of an asyncio connection."""

    @abstractmethod
    async def _call(self, request: Request) -> Any:
        """Send one request and return its result, or raise its error."""

    @abstractmethod
    async def connect(self) -> Self:
        """Connect now instead of at the first call; returns the connection."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connection; safe to call more than once."""

    async def __aenter__(self) -> Self:
        return await self.connect()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
