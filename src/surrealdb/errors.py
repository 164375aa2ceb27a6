"""One exception hierarchy for everything the client raises.

Server errors are mapped from the reply's `kind` and `details.kind`; transport failures become
`SurrealConnectionError` or `SurrealTimeoutError`. No exception of `websockets`, `h11` or
`cbor2` reaches the caller. Messages never include passwords or tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from surrealdb.values import Duration


class SurrealError(Exception):
    """Base class of every error raised by this client."""


class InvalidArgumentError(SurrealError, ValueError):
    """An argument this client refuses before sending anything: a bug in the calling code.

    Raised for a value that cannot be used (an empty variable name, `size=0`); its subclass
    `InvalidArgumentTypeError` for a value of the wrong type. `except InvalidArgumentError`
    catches both, `except ValueError` too, and `except SurrealError` every error of the client.
    """


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of a type the method does not take (`select(123)`, a list as a record's
    content); a `TypeError`, and an `InvalidArgumentError` like every refused argument."""


class InvalidURLError(InvalidArgumentError):
    """The URL is malformed or its scheme is not supported.

    Attributes:
        url: the URL the error is about, never with a `user:password@` part; None when the
            error names none (a URL that is not a string, or one holding credentials).
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class UnsupportedEngineError(InvalidURLError):
    """The URL's scheme names no engine this client has (`ftp://...`).

    Made from the URL alone, as the official SDK's class is (`UnsupportedEngineError(url)`);
    the message lists the schemes that work.
    """

    def __init__(self, url: str) -> None:
        from surrealdb.url import SUPPORTED_SCHEMES

        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        # The official SDK's words end the message: code written for it may match them.
        official = f"; {scheme!r} is not a valid UrlScheme" if scheme else ""
        super().__init__(
            f"unsupported URL {url!r} ({shown}); supported: {', '.join(SUPPORTED_SCHEMES)}"
            f"{official}",
            url=url,
        )


class SurrealConnectionError(SurrealError, ConnectionError):
    """The connection could not be made, or was lost while a call was in flight."""


class SurrealTimeoutError(SurrealError, TimeoutError):
    """The server did not answer in time; the connection stays usable."""


class UnsupportedFeatureError(SurrealError):
    """The method is not available on this transport (the message says which one to use)."""

    @classmethod
    def for_method(cls, method: str, transport: str) -> UnsupportedFeatureError:
        """The error of a generated method that the server does not support on `transport`."""
        from surrealdb._generated.registry import ENDPOINTS, METHODS

        title = _TRANSPORT_TITLES[transport]
        info = METHODS[method] if method in METHODS else ENDPOINTS[method]
        supported = [t for t in _TRANSPORT_TITLES if t in info.transports]
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


class InvalidRecordIdError(InvalidArgumentError):
    """`RecordID.parse()` was given text that is not a record id; the message says where."""


class InvalidDurationError(InvalidArgumentError):
    """`Duration.parse()` was given text that is not a duration, or a duration is negative."""


class InvalidGeometryError(InvalidArgumentError):
    """Geometry data that no geometry type can hold: a polygon ring that is not closed or has
    fewer than 4 points (checked when the polygon is built, never when one is decoded)."""


class InvalidTableError(InvalidArgumentError):
    """A string given as a table name is empty or looks like a record id (`person:tobie`)."""


class ServerError(SurrealError):
    """The server refused or failed the request.

    Attributes:
        message: the server's message (also `str(error)`).
        code: the JSON-RPC style error code (for example -32000); 0 when there is none, as for
            a failed statement of a query.
        kind: the server's error kind (`NotFound`, `AlreadyExists`, `NotAllowed`, ...); from a
            server that sends only a code, the kind that code stands for; else the kind of
            the class (`Internal` for `ServerError` itself).
        details: the server's structured details (`{'kind': ..., 'details': ...}`), if any.

    The server's cause of the error, when it sends one, is `server_cause` (and `__cause__`).
    The subclasses read the details as properties (`NotFoundError.table_name`, ...).
    """

    _default_kind: ClassVar[str] = "Internal"

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        kind: str | None = None,
        details: Any = None,
        cause: ServerError | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind: str = kind or self._default_kind
        self.details = details
        if cause is not None:
            self.__cause__ = cause

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, message={self.message!r})"

    @property
    def detail_kind(self) -> str | None:
        """The `details.kind` of the server's error, for example `Auth`, `Table` or `Record`."""
        return _kind_of(self.details)

    @property
    def server_cause(self) -> ServerError | None:
        """The server error that caused this one, when the server sent a `cause`."""
        cause = self.__cause__
        return cause if isinstance(cause, ServerError) else None

    def find_cause(self, kind: str) -> ServerError | None:
        """The first error of `kind` in the chain of causes, this error included, or None."""
        error: ServerError | None = self
        while error is not None:
            if error.kind == kind:
                return error
            error = error.server_cause
        return None

    def has_kind(self, kind: str) -> bool:
        """Whether this error, or one of its causes, is of `kind`."""
        return self.find_cause(kind) is not None

    def _detail(self, detail_kind: str, field: str) -> str | None:
        """The `field` of the inner details when the details are of `detail_kind`, as text."""
        if self.detail_kind != detail_kind:
            return None
        inner = self.details.get("details")
        value = inner.get(field) if isinstance(inner, Mapping) else None
        return None if value is None else str(value)


def _kind_of(details: Any) -> str | None:
    """The `kind` of a `{kind, details}` map, or None."""
    if isinstance(details, Mapping):
        kind = details.get("kind")
        return kind if isinstance(kind, str) else None
    return None


class NotAllowedError(ServerError):
    """The server does not allow this operation here."""

    _default_kind = "NotAllowed"

    @property
    def is_token_expired(self) -> bool:
        """The token (or the session it signed in) has expired: sign in again."""
        return self._auth_kind() == "TokenExpired"

    @property
    def is_invalid_auth(self) -> bool:
        """The credentials or the token were refused."""
        return self._auth_kind() == "InvalidAuth"

    @property
    def is_scripting_blocked(self) -> bool:
        """Embedded scripting functions are not allowed on this server."""
        return self.detail_kind == "Scripting"

    @property
    def method_name(self) -> str | None:
        """The RPC method that is not allowed, when the details name one."""
        return self._detail("Method", "name")

    @property
    def function_name(self) -> str | None:
        """The function that is not allowed, when the details name one."""
        return self._detail("Function", "name")

    @property
    def target_name(self) -> str | None:
        """The network target that is not allowed, when the details name one."""
        return self._detail("Target", "name")

    def _auth_kind(self) -> str | None:
        return _kind_of(self.details.get("details")) if self.detail_kind == "Auth" else None


class AuthenticationError(NotAllowedError):
    """Sign-in, sign-up or a token was refused (the server's kind is `NotAllowed`, its details
    `Auth`)."""


class _ResourceDetails(ServerError):
    """The resource a `NotFound` or `AlreadyExists` error names in its details."""

    @property
    def table_name(self) -> str | None:
        """The table, when the details are of kind `Table`."""
        return self._detail("Table", "name")

    @property
    def record_id(self) -> str | None:
        """The record id as text (`person:tobie`), when the details are of kind `Record`."""
        return self._detail("Record", "id")

    @property
    def namespace_name(self) -> str | None:
        """The namespace, when the details are of kind `Namespace`."""
        return self._detail("Namespace", "name")

    @property
    def database_name(self) -> str | None:
        """The database, when the details are of kind `Database`."""
        return self._detail("Database", "name")

    @property
    def session_id(self) -> str | None:
        """The session id as text, when the details are of kind `Session`."""
        return self._detail("Session", "id")


class NotFoundError(_ResourceDetails):
    """A table, record, namespace, database or method does not exist."""

    _default_kind = "NotFound"

    @property
    def method_name(self) -> str | None:
        """The RPC method the server does not know, when the details name one."""
        return self._detail("Method", "name")


class MethodNotFoundError(NotFoundError):
    """The server does not know this RPC method."""


class AlreadyExistsError(_ResourceDetails):
    """The record (or other resource) exists already."""

    _default_kind = "AlreadyExists"


class InvalidParamsError(ServerError):
    """The server rejected the request: its SurrealQL does not parse, or its parameters
    (the server's error kind `Validation`)."""

    _default_kind = "Validation"

    @property
    def is_parse_error(self) -> bool:
        """The SurrealQL did not parse (details of kind `Parse`)."""
        return self.detail_kind == "Parse"

    @property
    def parameter_name(self) -> str | None:
        """The parameter that was refused, when the details name one."""
        return self._detail("InvalidParameter", "name")


class ConfigurationError(ServerError):
    """The server is not configured for this (error kind `Configuration`)."""

    _default_kind = "Configuration"

    @property
    def is_live_query_not_supported(self) -> bool:
        """Live queries are not supported here (over HTTP, or by this server)."""
        return self.detail_kind == "LiveQueryNotSupported"


class SerializationError(ServerError):
    """The server could not serialise or deserialise a value (error kind `Serialization`)."""

    _default_kind = "Serialization"

    @property
    def is_deserialization(self) -> bool:
        """The server could not read a value it was sent (rather than write one)."""
        return self.detail_kind == "Deserialization"


class InternalError(ServerError):
    """The server failed in a way it reports as internal (error kind `Internal`)."""


class HeaderValueError(InvalidParamsError, InvalidArgumentError):
    """A namespace or database name (or a token) that an HTTP header cannot carry to the
    server as it is.

    Raised by `use()` over HTTP, or by the call after a sign-in whose details name one,
    before anything is sent; a ws:// URL sends names as data and takes any name.
    """


class ThrownError(ServerError):
    """A `THROW` statement raised this error, in a query or in a function called with `run()`.

    `thrown_message` is what was thrown (`'card declined'`); `message` keeps the server's
    whole text (`'An error occurred: card declined'`).
    """

    _default_kind = "Thrown"

    @property
    def thrown_message(self) -> str:
        """The text of the thrown value, without the engine's `An error occurred: ` prefix."""
        return self.message.removeprefix(_THROWN_PREFIX)


_THROWN_PREFIX = "An error occurred: "
"""What SurrealDB puts before the value a `THROW` statement threw, in the error's message."""


class QueryError(ServerError):
    """A statement of a query failed, or the server did not run a query (its error kind
    `Query`: not executed, timed out or cancelled).

    Attributes:
        index: the position of the failed statement in the query, from 0; None for an error
            that is not one statement's (an RPC error of kind `Query`).
    """

    def __init__(
        self,
        message: str,
        *,
        index: int | None = None,
        code: int = 0,
        kind: str | None = None,
        details: Any = None,
        cause: ServerError | None = None,
    ) -> None:
        text = message if index is None else f"statement {index} of the query failed: {message}"
        super().__init__(text, code=code, kind=kind, details=details, cause=cause)
        self.message = message
        self.index = index

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, message={self.message!r},"
            f" index={self.index!r})"
        )

    @property
    def is_not_executed(self) -> bool:
        """The statement was not run, because an earlier one of its transaction failed."""
        return self.detail_kind == "NotExecuted"

    @property
    def is_timed_out(self) -> bool:
        """The statement ran longer than its `TIMEOUT`."""
        return self.detail_kind == "TimedOut"

    @property
    def is_cancelled(self) -> bool:
        """The statement was cancelled."""
        return self.detail_kind == "Cancelled"

    @property
    def timeout(self) -> Duration | dict[str, Any] | None:
        """The `TIMEOUT` a timed-out statement exceeded, as the server sent it: a `Duration`
        (`{'secs': ..., 'nanos': ...}` in the JSON format), else None."""
        from surrealdb.values import Duration

        if self.detail_kind != "TimedOut":
            return None
        inner = self.details.get("details")
        duration = inner.get("duration") if isinstance(inner, Mapping) else None
        return duration if isinstance(duration, Duration | dict) else None


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
    kind = _resolved_kind(kind, None)
    details = _unwrapped_details(kind, details)
    cls = _QUERY_ERROR_BY_CLASS.get(_error_class(kind, _kind_of(details)), QueryError)
    return cls(message, index=index, kind=kind, details=details)


class LiveQueryNotSupportedError(UnsupportedFeatureError, ConfigurationError):
    """The server does not support live queries here: an `UnsupportedFeatureError`, and the
    `ConfigurationError` the server's error kind maps to."""


def server_error(error: Any) -> ServerError:
    """Map the `error` object of a reply to the matching exception (its `cause`s too)."""
    if not isinstance(error, Mapping):
        return ServerError(f"the server sent an error of an unexpected shape: {error!r}")
    message = str(error.get("message") or "unknown server error")
    code = error.get("code")
    code = code if isinstance(code, int) else 0
    kind = _resolved_kind(error.get("kind"), code)
    details = error.get("details")
    detail_kind = _kind_of(details)
    cause = _cause(error.get("cause"))
    if detail_kind == "LiveQueryNotSupported":
        return LiveQueryNotSupportedError(
            f"live queries are not supported here ({message}): use a ws:// or wss:// URL",
            code=code,
            kind=kind,
            details=details,
            cause=cause,
        )
    cls = _error_class(kind, detail_kind)
    return cls(message, code=code, kind=kind, details=details, cause=cause)


def _cause(cause: Any) -> ServerError | None:
    """The exception for the `cause` of a server error, if it has one."""
    return None if cause is None else server_error(cause)


def _resolved_kind(kind: Any, code: int | None) -> str:
    """The error's kind: the one the server sent, else the one its code stands for (servers
    before 3.0 send only a code), else `Internal`."""
    if isinstance(kind, str) and kind:
        return kind
    return _KIND_BY_CODE.get(code, "Internal") if code is not None else "Internal"


def _unwrapped_details(kind: str, details: Any) -> Any:
    """The details of a failed statement; SurrealDB 3.0.0 wrapped them once more in a map of
    the error's own kind (`{'kind': 'AlreadyExists', 'details': {'kind': 'Record', ...}}`)."""
    if _kind_of(details) == kind and isinstance(details.get("details"), Mapping):
        return details["details"]
    return details


def _error_class(kind: str, detail_kind: str | None) -> type[ServerError]:
    if detail_kind == "Auth":
        return AuthenticationError
    if kind == "NotFound":
        return MethodNotFoundError if detail_kind == "Method" else NotFoundError
    return _BY_KIND.get(kind, ServerError)


_BY_KIND: dict[str, type[ServerError]] = {
    "NotAllowed": NotAllowedError,
    "AlreadyExists": AlreadyExistsError,
    "Validation": InvalidParamsError,
    "Thrown": ThrownError,
    "Query": QueryError,
    "Configuration": ConfigurationError,
    "Serialization": SerializationError,
    "Internal": InternalError,
}

_KIND_BY_CODE: dict[int, str] = {
    -32700: "Validation",  # parse error
    -32600: "Validation",  # invalid request
    -32603: "Validation",  # invalid params
    -32601: "NotFound",  # method not found
    -32602: "NotAllowed",  # method not allowed
    -32002: "NotAllowed",  # authentication failed
    -32604: "Configuration",  # live queries not supported
    -32605: "Configuration",  # bad live query config
    -32606: "Configuration",  # bad GraphQL config
    -32000: "Internal",
    -32001: "Connection",
    -32003: "Query",  # not executed
    -32004: "Query",  # timed out
    -32005: "Query",  # cancelled
    -32006: "Thrown",
    -32007: "Serialization",
    -32008: "Serialization",  # deserialization
}
"""The kind each JSON-RPC error code of the SurrealDB server stands for, for the errors of
servers that send no kind (the same table as the official SDK's `CODE_TO_KIND`)."""


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
    """The exception for an RPC reply's `error` object, as the official SDK's function gives
    it: its class from the kind (or, from older servers, the code), its `cause`s chained.
    Our client raises the same when a call fails; this is for code that reads replies itself."""
    return server_error(raw)


def parse_query_error(raw: Mapping[str, Any]) -> ServerError:
    """The exception for one failed statement of a `query_raw` reply (`{status, result, kind,
    details}`), of the class its kind maps to (no `QueryError`: the statement's position is
    unknown here), with code 0, as the official SDK's function gives it."""
    kind = _resolved_kind(raw.get("kind"), None)
    details = _unwrapped_details(kind, raw.get("details"))
    cls = _error_class(kind, _kind_of(details))
    message = str(raw.get("result", ""))
    return cls(message, kind=kind, details=details, cause=_cause(raw.get("cause")))
