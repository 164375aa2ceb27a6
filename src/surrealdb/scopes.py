"""Sessions and transactions: a connection's scopes, each with every generated method.

A session (`db.new_session()`) is an extra server-side session on the same connection, with its
own namespace, database, sign-in and variables; its requests carry its id. A transaction
(`db.transaction()`, or `session.transaction()`) stamps its id on every request until it is
committed or cancelled. Both send through their connection's transport.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

from surrealdb._endpoints import EndpointRequest
from surrealdb._generated.asyncio_methods import AsyncSurrealMethods
from surrealdb._generated.blocking_methods import BlockingSurrealMethods
from surrealdb._generated.registry import TRANSPORTS_BY_WIRE
from surrealdb.errors import (
    SessionClosedError,
    SurrealError,
    TransactionEndedError,
    UnsupportedFeatureError,
)
from surrealdb.live import AsyncLiveQueries, BlockingLiveQueries, LiveRouter
from surrealdb.protocol import Request
from surrealdb.transaction_queries import in_transaction
from surrealdb.url import TransportKind

logger = logging.getLogger("surrealdb")


def check_supported(request: Request, transport: TransportKind) -> None:
    """Raise `UnsupportedFeatureError` when the transport cannot carry this request."""
    if transport not in TRANSPORTS_BY_WIRE.get(request.method, (transport,)):
        raise UnsupportedFeatureError.for_method(request.method, transport)


def scope_endpoint(request: EndpointRequest, scope: str) -> None:
    """Refuse, in a session or transaction, an HTTP endpoint that runs as the connection's own
    session (with its namespace, database and token)."""
    if request.authenticated:
        raise UnsupportedFeatureError(
            f"{request.name}() runs as the connection's own session, not in a {scope}:"
            f" call it on the connection (db.{request.name}(...))"
        )


def _stamp_session(request: Request, session: UUID | None) -> Request:
    if session is None or request.session is not None:
        return request
    return Request(request.method, request.params, session, request.txn)


class _TransactionState:
    """The lifecycle of one transaction: not begun, open, then committed or cancelled."""

    def __init__(self) -> None:
        self.id: UUID | None = None
        self.ended: str | None = None

    def require_open(self) -> UUID:
        if self.ended is not None:
            raise TransactionEndedError(
                f"this transaction was {self.ended}: start a new one with transaction()"
            )
        if self.id is None:
            raise TransactionEndedError(
                "this transaction has not begun: use `async with db.transaction() as tx`"
                " or `tx = await db.transaction()`"
            )
        return self.id


# ------------------------------------------------------------------------------------------
# Blocking


class BlockingScopes(ABC):
    """`new_session()` and `transaction()` for blocking connections."""

    @abstractmethod
    def _call(self, request: Request) -> Any: ...

    @abstractmethod
    def _endpoint(self, request: EndpointRequest) -> Any: ...

    @property
    @abstractmethod
    def transport_kind(self) -> TransportKind: ...

    @abstractmethod
    def _live_router(self) -> LiveRouter: ...

    def new_session(self) -> BlockingSession:
        """Attach a new server-side session; close it (or leave its `with` block) to detach."""
        return BlockingSession(self)

    def transaction(self) -> BlockingTransaction:
        """Begin an interactive transaction (WebSocket only).

        As a context manager it commits when the block succeeds and cancels on an exception.
        """
        return BlockingTransaction(self, session=None)


class BlockingSession(BlockingSurrealMethods, BlockingLiveQueries):
    """A server-side session on a blocking connection, with every method."""

    def __init__(self, connection: BlockingScopes) -> None:
        self._connection = connection
        check_supported(Request("attach", []), connection.transport_kind)
        self.id: UUID = uuid4()
        connection._call(Request("attach", [], session=self.id))
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<BlockingSession {self.id} {state}>"

    def _endpoint(self, request: EndpointRequest) -> Any:
        """The connection's HTTP endpoints (those that need no session of their own)."""
        scope_endpoint(request, "session")
        return self._connection._endpoint(request)

    def _call(self, request: Request) -> Any:
        if self._closed:
            raise SessionClosedError(f"session {self.id} is closed: start a new one")
        check_supported(request, self._connection.transport_kind)
        return self._connection._call(_stamp_session(request, self.id))

    def _live_router(self) -> LiveRouter:
        return self._connection._live_router()

    def transaction(self) -> BlockingTransaction:
        """Begin an interactive transaction in this session (WebSocket only)."""
        if self._closed:
            raise SessionClosedError(f"session {self.id} is closed: start a new one")
        return BlockingTransaction(self._connection, session=self.id)

    def close(self) -> None:
        """Detach the session from the server. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._connection._call(Request("detach", [], session=self.id))
        except SurrealError as exc:
            logger.debug("detaching session %s failed: %s", self.id, exc)

    def close_session(self) -> None:
        """Detach the session from the server: the official SDK's name for `close()`."""
        self.close()

    def begin_transaction(self) -> BlockingTransaction:
        """Begin a transaction in this session: the official SDK's name for `transaction()`."""
        return self.transaction()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class BlockingTransaction(BlockingSurrealMethods):
    """An interactive transaction on a blocking connection, with every method."""

    def __init__(self, connection: BlockingScopes, session: UUID | None) -> None:
        self._connection = connection
        self._session = session
        self._state = _TransactionState()
        begin = Request("begin", [], session=session)
        check_supported(begin, connection.transport_kind)
        result = connection._call(begin)
        if not isinstance(result, UUID):
            raise SurrealError(f"begin returned {result!r} instead of a transaction id")
        self._state.id = result

    @property
    def id(self) -> UUID:
        """The transaction's id on the server."""
        return self._state.require_open()

    def __repr__(self) -> str:
        return f"<BlockingTransaction {self._state.id} {self._state.ended or 'open'}>"

    def _endpoint(self, request: EndpointRequest) -> Any:
        """The connection's HTTP endpoints (those that need no session of their own)."""
        scope_endpoint(request, "transaction")
        return self._connection._endpoint(request)

    def _call(self, request: Request) -> Any:
        txn = self._state.require_open()
        check_supported(request, self._connection.transport_kind)
        prepared, shape = in_transaction(_stamp_session(request, self._session), txn)
        result = self._connection._call(prepared)
        return result if shape is None else shape(result)

    def begin(self) -> UUID:
        """Not available: transactions do not nest."""
        raise SurrealError("a transaction cannot begin another one: transactions do not nest")

    def commit(self, transaction_id: UUID | None = None, *, txn_id: UUID | None = None) -> None:
        """Commit this transaction's writes."""
        self._end("commit", "committed")

    def cancel(self, transaction_id: UUID | None = None, *, txn_id: UUID | None = None) -> None:
        """Cancel this transaction, discarding its writes."""
        self._end("cancel", "cancelled")

    def _end(self, method: str, ended: str) -> None:
        txn = self._state.require_open()
        try:
            self._connection._call(_stamp_session(Request(method, [txn]), self._session))
        except BaseException:
            self._state.ended = f"ended by a failed {method}"
            raise
        self._state.ended = ended

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._state.ended is not None:
            return
        if exc is None:
            self.commit()
            return
        try:
            self.cancel()
        except SurrealError as cancel_error:
            logger.warning("cancelling the transaction after an error failed: %s", cancel_error)


# ------------------------------------------------------------------------------------------
# Asyncio


class AsyncScopes(ABC):
    """`new_session()` and `transaction()` for asyncio connections."""

    @abstractmethod
    async def _call(self, request: Request) -> Any: ...

    @abstractmethod
    async def _endpoint(self, request: EndpointRequest) -> Any: ...

    @property
    @abstractmethod
    def transport_kind(self) -> TransportKind: ...

    @abstractmethod
    def _live_router(self) -> LiveRouter: ...

    def new_session(self) -> AsyncSession:
        """A new server-side session: `await` it, or use `async with`, to attach it."""
        return AsyncSession(self)

    def transaction(self) -> AsyncTransaction:
        """An interactive transaction (WebSocket only): `await` it or use `async with`.

        As a context manager it commits when the block succeeds and cancels on an exception.
        """
        return AsyncTransaction(self, session=None)


class AsyncSession(AsyncSurrealMethods, AsyncLiveQueries):
    """A server-side session on an asyncio connection, with every method."""

    def __init__(self, connection: AsyncScopes) -> None:
        self._connection = connection
        self.id: UUID = uuid4()
        self._attached = False
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._attached else "not attached"
        return f"<AsyncSession {self.id} {state}>"

    async def attach(self, session_id: UUID | None = None) -> UUID:
        """Attach this session on the server (done by `await` / `async with`); returns its id."""
        if session_id is not None and session_id != self.id:
            return await super().attach(session_id)
        if not self._attached:
            check_supported(Request("attach", []), self._connection.transport_kind)
            await self._connection._call(Request("attach", [], session=self.id))
            self._attached = True
        return self.id

    async def _endpoint(self, request: EndpointRequest) -> Any:
        """The connection's HTTP endpoints (those that need no session of their own)."""
        scope_endpoint(request, "session")
        return await self._connection._endpoint(request)

    async def _call(self, request: Request) -> Any:
        if self._closed:
            raise SessionClosedError(f"session {self.id} is closed: start a new one")
        if not self._attached:
            await self.attach()
        check_supported(request, self._connection.transport_kind)
        return await self._connection._call(_stamp_session(request, self.id))

    def _live_router(self) -> LiveRouter:
        return self._connection._live_router()

    def transaction(self) -> AsyncTransaction:
        """An interactive transaction in this session: `await` it or use `async with`."""
        if self._closed:
            raise SessionClosedError(f"session {self.id} is closed: start a new one")
        return AsyncTransaction(self._connection, session=self.id, attach=self.attach)

    async def close(self) -> None:
        """Detach the session from the server. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if not self._attached:
            return
        try:
            await self._connection._call(Request("detach", [], session=self.id))
        except SurrealError as exc:
            logger.debug("detaching session %s failed: %s", self.id, exc)

    async def close_session(self) -> None:
        """Detach the session from the server: the official SDK's name for `close()`."""
        await self.close()

    async def begin_transaction(self) -> AsyncTransaction:
        """Begin a transaction in this session: the official SDK's `await begin_transaction()`
        for our `await transaction()`."""
        return await self.transaction()

    def __await__(self) -> Generator[Any, None, Self]:
        return self._attached_self().__await__()

    async def _attached_self(self) -> Self:
        await self.attach()
        return self

    async def __aenter__(self) -> Self:
        return await self._attached_self()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncTransaction(AsyncSurrealMethods):
    """An interactive transaction on an asyncio connection, with every method."""

    def __init__(
        self,
        connection: AsyncScopes,
        session: UUID | None,
        attach: Callable[[], Awaitable[UUID]] | None = None,
    ) -> None:
        self._connection = connection
        self._session = session
        self._attach_session = attach
        self._state = _TransactionState()

    @property
    def id(self) -> UUID:
        """The transaction's id on the server."""
        return self._state.require_open()

    def __repr__(self) -> str:
        state = self._state.ended or ("open" if self._state.id else "not begun")
        return f"<AsyncTransaction {self._state.id} {state}>"

    async def _begin(self) -> Self:
        if self._state.id is None:
            if self._attach_session is not None:
                await self._attach_session()  # a session not attached yet is attached first
            begin = Request("begin", [], session=self._session)
            check_supported(begin, self._connection.transport_kind)
            result = await self._connection._call(begin)
            if not isinstance(result, UUID):
                raise SurrealError(f"begin returned {result!r} instead of a transaction id")
            self._state.id = result
        return self

    async def _endpoint(self, request: EndpointRequest) -> Any:
        """The connection's HTTP endpoints (those that need no session of their own)."""
        scope_endpoint(request, "transaction")
        return await self._connection._endpoint(request)

    async def _call(self, request: Request) -> Any:
        txn = self._state.require_open()
        check_supported(request, self._connection.transport_kind)
        prepared, shape = in_transaction(_stamp_session(request, self._session), txn)
        result = await self._connection._call(prepared)
        return result if shape is None else shape(result)

    async def begin(self) -> UUID:
        """Not available: transactions do not nest."""
        raise SurrealError("a transaction cannot begin another one: transactions do not nest")

    async def commit(
        self, transaction_id: UUID | None = None, *, txn_id: UUID | None = None
    ) -> None:
        """Commit this transaction's writes."""
        await self._end("commit", "committed")

    async def cancel(
        self, transaction_id: UUID | None = None, *, txn_id: UUID | None = None
    ) -> None:
        """Cancel this transaction, discarding its writes."""
        await self._end("cancel", "cancelled")

    async def _end(self, method: str, ended: str) -> None:
        txn = self._state.require_open()
        try:
            await self._connection._call(_stamp_session(Request(method, [txn]), self._session))
        except BaseException:
            self._state.ended = f"ended by a failed {method}"
            raise
        self._state.ended = ended

    def __await__(self) -> Generator[Any, None, Self]:
        return self._begin().__await__()

    async def __aenter__(self) -> Self:
        return await self._begin()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._state.ended is not None or self._state.id is None:
            return
        if exc is None:
            await self.commit()
            return
        try:
            await self.cancel()
        except SurrealError as cancel_error:
            logger.warning("cancelling the transaction after an error failed: %s", cancel_error)
