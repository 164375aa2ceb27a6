"""One exception hierarchy for everything the client raises.

Server errors are mapped from the reply's `kind` and `details.kind`; transport failures become
`SurrealConnectionError` or `SurrealTimeoutError`. No exception of `websockets`, `h11` or
`cbor2` reaches the caller. Messages never include passwords or tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SurrealError(Exception):
    """Base class of every error raised by this client."""


class InvalidURLError(SurrealError, ValueError):
    """The URL is malformed or its scheme is not supported."""


class SurrealConnectionError(SurrealError, ConnectionError):
    """The connection could not be made, or was lost while a call was in flight."""


class SurrealTimeoutError(SurrealError, TimeoutError):
    """The server did not answer in time; the connection stays usable."""


class UnsupportedFeatureError(SurrealError):
    """The method is not available on this transport (the message says which one to use)."""

    @classmethod
    def for_method(cls, method: str, transport: str) -> UnsupportedFeatureError:
        """The error of a generated method that the server does not support on `transport`."""
        from surrealdb._generated.registry import METHODS

        title = _TRANSPORT_TITLES[transport]
        supported = [t for t in _TRANSPORT_TITLES if t in METHODS[method].transports]
        urls = " or ".join(_TRANSPORT_URLS[t] for t in supported)
        return cls(f"{method}() is not available over {title}: use a {urls} URL")


_TRANSPORT_TITLES = {"ws": "WebSocket", "http": "HTTP", "embedded": "the embedded engine"}
_TRANSPORT_URLS = {
    "ws": "ws:// (or wss://)",
    "http": "http:// (or https://)",
    "embedded": "mem:// (or surrealkv://, file://)",
}


class ConversionError(SurrealError, TypeError):
    """A result does not fit the model given as `into=`; the message names record and field."""


class TransactionEndedError(SurrealError):
    """The transaction was committed or cancelled (or never begun): start a new one."""


class SessionClosedError(SurrealError):
    """The session was closed (detached): start a new one."""


class ProtocolError(SurrealError):
    """The server sent something this client cannot understand (bad frame, unknown CBOR tag)."""


class ServerError(SurrealError):
    """The server refused or failed the request.

    Attributes:
        code: the JSON-RPC style error code (for example -32000).
        kind: the server's error kind (`NotFound`, `AlreadyExists`, `NotAllowed`, ...).
        details: the server's structured details (`{'kind': ..., 'details': ...}`), if any.
    """

    def __init__(
        self, message: str, *, code: int | None = None, kind: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.details = details

    @property
    def detail_kind(self) -> str | None:
        """The `details.kind` of the server's error, for example `Auth`, `Table` or `Record`."""
        if isinstance(self.details, Mapping):
            kind = self.details.get("kind")
            return kind if isinstance(kind, str) else None
        return None


class AuthenticationError(ServerError):
    """Sign-in, sign-up or a token was refused."""


class NotAllowedError(ServerError):
    """The server does not allow this operation here."""


class NotFoundError(ServerError):
    """A table, record, namespace, database or method does not exist."""


class MethodNotFoundError(NotFoundError):
    """The server does not know this RPC method."""


class AlreadyExistsError(ServerError):
    """The record (or other resource) exists already."""


class InvalidParamsError(ServerError):
    """The server rejected the request's parameters."""


class HeaderValueError(InvalidParamsError, ValueError):
    """A namespace or database name (or a token) that an HTTP header cannot carry to the
    server as it is.

    Raised by `use()` over HTTP, or by the call after a sign-in whose details name one,
    before anything is sent; a ws:// URL sends names as data and takes any name.
    """


class ThrownError(ServerError):
    """A `THROW` statement or a function raised this error."""


class QueryError(ServerError):
    """A statement of a query failed.

    Attributes:
        index: the position of the failed statement in the query, from 0.
    """

    def __init__(
        self, message: str, *, index: int, kind: str | None = None, details: Any = None
    ) -> None:
        super().__init__(
            f"statement {index} of the query failed: {message}", kind=kind, details=details
        )
        self.message = message
        self.index = index


def server_error(error: Any) -> ServerError | UnsupportedFeatureError:
    """Map the `error` object of a reply to the matching exception."""
    if not isinstance(error, Mapping):
        return ServerError(f"the server sent an error of an unexpected shape: {error!r}")
    message = str(error.get("message") or "unknown server error")
    code = error.get("code") if isinstance(error.get("code"), int) else None
    kind = error.get("kind") if isinstance(error.get("kind"), str) else None
    details = error.get("details")
    detail_kind = details.get("kind") if isinstance(details, Mapping) else None
    if detail_kind == "LiveQueryNotSupported":
        return UnsupportedFeatureError(
            f"live queries are not supported here ({message}): use a ws:// or wss:// URL"
        )
    cls = _error_class(kind, detail_kind)
    return cls(message, code=code, kind=kind, details=details)


def _error_class(kind: str | None, detail_kind: Any) -> type[ServerError]:
    if detail_kind == "Auth":
        return AuthenticationError
    if kind == "NotFound":
        return MethodNotFoundError if detail_kind == "Method" else NotFoundError
    return _BY_KIND.get(kind or "", ServerError)


_BY_KIND: dict[str, type[ServerError]] = {
    "NotAllowed": NotAllowedError,
    "AlreadyExists": AlreadyExistsError,
    "Validation": InvalidParamsError,
    "Thrown": ThrownError,
}
