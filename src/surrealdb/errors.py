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


class InvalidRecordIdError(SurrealError, ValueError):
    """`RecordID.parse()` was given text that is not a record id; the message says where."""


class InvalidDurationError(SurrealError, ValueError):
    """`Duration.parse()` was given text that is not a duration, or a duration is negative."""


class InvalidGeometryError(SurrealError, ValueError):
    """Geometry data that no geometry type can hold.

    Our geometry types take their parts as given and leave checking rings to the server, so
    this client raises it nowhere yet; it is here for code written for the official SDK.
    """


class InvalidTableError(SurrealError, ValueError):
    """A string given as a table name is empty or looks like a record id (`person:tobie`)."""


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


class NotAllowedError(ServerError):
    """The server does not allow this operation here."""


class AuthenticationError(NotAllowedError):
    """Sign-in, sign-up or a token was refused (the server's kind is `NotAllowed`, its details
    `Auth`)."""


class NotFoundError(ServerError):
    """A table, record, namespace, database or method does not exist."""


class MethodNotFoundError(NotFoundError):
    """The server does not know this RPC method."""


class AlreadyExistsError(ServerError):
    """The record (or other resource) exists already."""


class InvalidParamsError(ServerError):
    """The server rejected the request: its SurrealQL does not parse, or its parameters
    (the server's error kind `Validation`)."""


class ConfigurationError(ServerError):
    """The server is not configured for this (error kind `Configuration`)."""


class SerializationError(ServerError):
    """The server could not serialise or deserialise a value (error kind `Serialization`)."""


class InternalError(ServerError):
    """The server failed in a way it reports as internal (error kind `Internal`)."""


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


# A failed statement raises QueryError, and also the class of its error kind, so that both
# `except QueryError` (which statement failed) and `except AlreadyExistsError` (what went
# wrong, as a record method would raise it) catch it.


class AuthenticationQueryError(QueryError, AuthenticationError):
    """A statement of a query was refused the credentials or token."""


class NotFoundQueryError(QueryError, NotFoundError):
    """A statement of a query named something that does not exist."""


class AlreadyExistsQueryError(QueryError, AlreadyExistsError):
    """A statement of a query created something that exists already."""


class NotAllowedQueryError(QueryError, NotAllowedError):
    """A statement of a query did something the server does not allow."""


class InvalidParamsQueryError(QueryError, InvalidParamsError):
    """A statement of a query was refused as invalid (error kind `Validation`)."""


class ThrownQueryError(QueryError, ThrownError):
    """A statement of a query ran `THROW`."""


class ConfigurationQueryError(QueryError, ConfigurationError):
    """A statement of a query needs what the server is not configured for."""


class SerializationQueryError(QueryError, SerializationError):
    """A statement of a query failed to serialise or deserialise a value."""


class InternalQueryError(QueryError, InternalError):
    """A statement of a query failed inside the server."""


_QUERY_ERROR_BY_CLASS: dict[type[ServerError], type[QueryError]] = {
    AuthenticationError: AuthenticationQueryError,
    NotFoundError: NotFoundQueryError,
    MethodNotFoundError: NotFoundQueryError,
    AlreadyExistsError: AlreadyExistsQueryError,
    NotAllowedError: NotAllowedQueryError,
    InvalidParamsError: InvalidParamsQueryError,
    ThrownError: ThrownQueryError,
    ConfigurationError: ConfigurationQueryError,
    SerializationError: SerializationQueryError,
    InternalError: InternalQueryError,
}


def query_error(message: str, *, index: int, kind: str | None, details: Any) -> QueryError:
    """The error of the statement at `index` that failed: a `QueryError` that is also the
    class its error kind maps to (`ThrownError` for `THROW`, ...)."""
    detail_kind = details.get("kind") if isinstance(details, Mapping) else None
    cls = _QUERY_ERROR_BY_CLASS.get(_error_class(kind, detail_kind), QueryError)
    return cls(message, index=index, kind=kind, details=details)


class LiveQueryNotSupportedError(UnsupportedFeatureError, ConfigurationError):
    """The server does not support live queries here: an `UnsupportedFeatureError`, and the
    `ConfigurationError` the server's error kind maps to."""


def server_error(error: Any) -> ServerError:
    """Map the `error` object of a reply to the matching exception."""
    if not isinstance(error, Mapping):
        return ServerError(f"the server sent an error of an unexpected shape: {error!r}")
    message = str(error.get("message") or "unknown server error")
    code = error.get("code") if isinstance(error.get("code"), int) else None
    kind = error.get("kind") if isinstance(error.get("kind"), str) else None
    details = error.get("details")
    detail_kind = details.get("kind") if isinstance(details, Mapping) else None
    if detail_kind == "LiveQueryNotSupported":
        return LiveQueryNotSupportedError(
            f"live queries are not supported here ({message}): use a ws:// or wss:// URL",
            code=code,
            kind=kind,
            details=details,
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
    "Configuration": ConfigurationError,
    "Serialization": SerializationError,
    "Internal": InternalError,
}


# --------------------------------------------------------------------------------------------
# The official SDK's names (surrealdb 2.0.0), for code written for it: see docs/migrating.md.
# The other official names (connections, values, TAG_*) are in surrealdb/_official.py.
# --------------------------------------------------------------------------------------------

ValidationError = InvalidParamsError
"""The official SDK's name of `InvalidParamsError` (the server's error kind `Validation`)."""

ConnectionUnavailableError = SurrealConnectionError
"""The official SDK's name of `SurrealConnectionError` (no usable connection)."""

UnexpectedResponseError = ProtocolError
"""The official SDK's name of `ProtocolError` (a reply this client cannot read)."""

UnsupportedEngineError = InvalidURLError
"""The official SDK's name of `InvalidURLError` (a URL whose scheme names no engine)."""

SurrealDBMethodError = ServerError
"""The official SDK's old name of `ServerError`, kept there for backward compatibility."""


class ErrorKind:
    """The server's error kinds, to compare with `ServerError.kind` (the official SDK's names)."""

    VALIDATION = "Validation"
    CONFIGURATION = "Configuration"
    THROWN = "Thrown"
    QUERY = "Query"
    SERIALIZATION = "Serialization"
    NOT_ALLOWED = "NotAllowed"
    NOT_FOUND = "NotFound"
    ALREADY_EXISTS = "AlreadyExists"
    CONNECTION = "Connection"
    INTERNAL = "Internal"


class AuthDetailKind:
    """The kinds inside the details of an `Auth` error (`ServerError.details['details']`)."""

    TOKEN_EXPIRED = "TokenExpired"
    SESSION_EXPIRED = "SessionExpired"
    INVALID_AUTH = "InvalidAuth"
    UNEXPECTED_AUTH = "UnexpectedAuth"
    MISSING_USER_OR_PASS = "MissingUserOrPass"
    NO_SIGNIN_TARGET = "NoSigninTarget"
    INVALID_PASS = "InvalidPass"
    TOKEN_MAKING_FAILED = "TokenMakingFailed"
    INVALID_SIGNUP = "InvalidSignup"
    INVALID_ROLE = "InvalidRole"
    NOT_ALLOWED = "NotAllowed"


class ValidationDetailKind:
    """`ServerError.detail_kind` of a `Validation` error."""

    PARSE = "Parse"
    INVALID_REQUEST = "InvalidRequest"
    INVALID_PARAMS = "InvalidParams"
    NAMESPACE_EMPTY = "NamespaceEmpty"
    DATABASE_EMPTY = "DatabaseEmpty"
    INVALID_PARAMETER = "InvalidParameter"
    INVALID_CONTENT = "InvalidContent"
    INVALID_MERGE = "InvalidMerge"


class ConfigurationDetailKind:
    """`ServerError.detail_kind` of a `Configuration` error."""

    LIVE_QUERY_NOT_SUPPORTED = "LiveQueryNotSupported"
    BAD_LIVE_QUERY_CONFIG = "BadLiveQueryConfig"
    BAD_GRAPHQL_CONFIG = "BadGraphqlConfig"


class QueryDetailKind:
    """`ServerError.detail_kind` of a `Query` error."""

    NOT_EXECUTED = "NotExecuted"
    TIMED_OUT = "TimedOut"
    CANCELLED = "Cancelled"


class SerializationDetailKind:
    """`ServerError.detail_kind` of a `Serialization` error."""

    SERIALIZATION = "Serialization"
    DESERIALIZATION = "Deserialization"


class NotAllowedDetailKind:
    """`ServerError.detail_kind` of a `NotAllowed` error."""

    SCRIPTING = "Scripting"
    AUTH = "Auth"
    METHOD = "Method"
    FUNCTION = "Function"
    TARGET = "Target"


class NotFoundDetailKind:
    """`ServerError.detail_kind` of a `NotFound` error."""

    METHOD = "Method"
    SESSION = "Session"
    TABLE = "Table"
    RECORD = "Record"
    NAMESPACE = "Namespace"
    DATABASE = "Database"
    TRANSACTION = "Transaction"


class AlreadyExistsDetailKind:
    """`ServerError.detail_kind` of an `AlreadyExists` error."""

    SESSION = "Session"
    TABLE = "Table"
    RECORD = "Record"
    NAMESPACE = "Namespace"
    DATABASE = "Database"


class ConnectionDetailKind:
    """`ServerError.detail_kind` of a `Connection` error."""

    UNINITIALISED = "Uninitialised"
    ALREADY_CONNECTED = "AlreadyConnected"


def parse_rpc_error(raw: Mapping[str, Any]) -> ServerError:
    """The official SDK's name of `server_error`: the exception for a reply's `error` object."""
    return server_error(raw)


def parse_query_error(raw: Mapping[str, Any]) -> ServerError:
    """The exception for one failed statement of a `query_results` reply (`{status, result, kind,
    details}`), of the class its kind maps to, as the official SDK's function returns it."""
    details = raw.get("details")
    kind = raw.get("kind") if isinstance(raw.get("kind"), str) else None
    detail_kind = details.get("kind") if isinstance(details, Mapping) else None
    cls = _error_class(kind, detail_kind)
    return cls(str(raw.get("result", "")), kind=kind, details=details)
