"""Client-side session state for HTTP, where every request is stateless on the server.

`use`, `let`, `unset`, `invalidate` and `reset` are answered here without a round trip;
`signin`, `signup` and `authenticate` go to the server and their token is kept. Every request
then carries the state the way the server expects it: `Surreal-NS`, `Surreal-DB` and
`Authorization: Bearer` headers, and the variables merged into each query's own.

What the server would refuse later is refused when it is set, as a WebSocket session hears it
from the server at once: `let` of a protected variable, with the server's own error, and a
namespace or database name that the server cannot read back from its header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from surrealdb import cbor
from surrealdb.api_types import Tokens
from surrealdb.errors import HeaderValueError, SurrealError, server_error
from surrealdb.protocol import Request

BASE_HEADERS = {"Content-Type": "application/cbor", "Accept": "application/cbor"}


def session_headers(
    namespace: str | None, database: str | None, token: str | None
) -> dict[str, str]:
    """The headers the server builds a request's session from: namespace, database, token."""
    headers: dict[str, str] = {}
    if namespace is not None:
        headers["Surreal-NS"] = namespace
    if database is not None:
        headers["Surreal-DB"] = database
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


PROTECTED_VARIABLES = frozenset({"access", "auth", "token", "session"})
"""The variables `let` may not set: `PROTECTED_PARAM_NAMES` of the SurrealDB 3.0.2 server
(surrealdb/core/src/cnf/mod.rs), checked by its `let` (`check_protected_param`, core/src/rpc)."""

_HEADER_SAFE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")
"""Names the server reads back from a header as they were sent: visible ASCII, inner spaces."""


def protected_variable(name: str) -> SurrealError:
    """The error the server answers `let` of a protected variable with, over WebSocket."""
    return server_error(
        {
            "code": -32603,
            "kind": "Validation",
            "message": f"Cannot set protected variable: {name}",
            "details": {"kind": "InvalidParams"},
        }
    )


def check_header_name(what: str, header: str, name: str) -> None:
    """Refuse a name that the server would not read back from its header as it is.

    The SurrealDB 3.x server reads `Surreal-NS` / `Surreal-DB` with `HeaderValue::to_str()`,
    which refuses any byte that is not visible ASCII (so any UTF-8 name), and its HTTP parser
    drops the spaces around a header value; control characters (CR, LF, ...) cannot be in a
    header at all.
    """
    if _HEADER_SAFE.fullmatch(name):
        return
    odd = next((c for c in name if not " " <= c <= "~"), None)
    if odd is None:
        reason = "it starts or ends with a space, which the server drops from a header value"
    elif odd < " " or odd == "\x7f":
        reason = f"it contains the control character {odd!r}, which a header cannot carry"
    else:
        reason = (
            f"it contains {odd!r}, and the SurrealDB server reads only visible ASCII from"
            f" the {header} header (it refuses the request)"
        )
    raise HeaderValueError(
        f"the {what} {name!r} cannot be sent over HTTP: {reason}; use a ws:// (or wss://)"
        " URL, which sends names as data, for this name"
    )


class LocalResult:
    """A request answered by the client-side state, with no round trip."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result


class HttpSessionState:
    """What a WebSocket session keeps on the server, kept by the client for HTTP."""

    def __init__(self) -> None:
        self.namespace: str | None = None
        self.database: str | None = None
        self._token: str | None = None
        self.variables: dict[str, Any] = {}

    def __repr__(self) -> str:
        signed_in = self._token is not None
        return (
            f"HttpSessionState(namespace={self.namespace!r}, database={self.database!r},"
            f" signed_in={signed_in}, variables={sorted(self.variables)})"
        )

    @property
    def token(self) -> str | None:
        """The token sent as `Authorization: Bearer` (None: signed out)."""
        return self._token

    def prepare(self, request: Request) -> Request | LocalResult:
        """The request to send for this call, or its result when the state answers it."""
        method, params = request.method, request.params
        if request.session is not None:
            return request  # an attached session keeps its own state on the server
        if method == "use":
            self._use(params)
            return LocalResult({"namespace": self.namespace, "database": self.database})
        if method == "let":
            name, value = params[0], params[1] if len(params) > 1 else None
            if value is None:  # as the server's `let`: NONE removes the variable
                self.variables.pop(name, None)
                return LocalResult(None)
            if name in PROTECTED_VARIABLES:
                raise protected_variable(name)
            cbor.encode(value)  # fail now, not at every later query that would carry it
            self.variables[name] = value
            return LocalResult(None)
        if method == "unset":
            self.variables.pop(params[0], None)
            return LocalResult(None)
        if method == "invalidate":
            self._token = None
            return LocalResult(None)
        if method == "reset":
            self.__init__()  # type: ignore[misc]
            return LocalResult(None)
        if method == "query" and self.variables:
            own = params[1] if len(params) > 1 and isinstance(params[1], Mapping) else {}
            return Request(method, [params[0], {**self.variables, **own}], request.session)
        return request

    def check_names(self) -> None:
        """Refuse a namespace or database that the headers cannot carry as it is (`use()`
        refuses one at once; one from a sign-in's details is refused here, before sending)."""
        if self.namespace is not None:
            check_header_name("namespace", "Surreal-NS", self.namespace)
        if self.database is not None:
            check_header_name("database", "Surreal-DB", self.database)

    def header_key(self) -> tuple[str | None, ...]:
        """What `headers()` depends on: equal keys, equal headers (to build them once)."""
        return (self.namespace, self.database, self._token)

    def headers(self) -> dict[str, str]:
        """The headers that carry this state."""
        return BASE_HEADERS | session_headers(self.namespace, self.database, self._token)

    def record(self, request: Request, result: Any) -> None:
        """Keep what a successful request changed: the token of signin, signup, authenticate."""
        if request.session is not None:
            return  # an attached session's sign-in belongs to that session, on the server
        if request.method in ("signin", "signup"):
            token = result.access if isinstance(result, Tokens) else result
            if isinstance(result, Mapping):
                token = result.get("access", result.get("token"))
            self._token = token if isinstance(token, str) else None
            credentials = request.params[0] if request.params else {}
            if isinstance(credentials, Mapping):
                self.namespace = credentials.get("ns", self.namespace)
                self.database = credentials.get("db", self.database)
        elif request.method == "authenticate":
            self._token = request.params[0]
        elif request.method == "refresh" and isinstance(result, Mapping | Tokens):
            access = result.access if isinstance(result, Tokens) else result.get("access")
            self._token = access if isinstance(access, str) else self._token

    def _use(self, params: list[Any]) -> None:
        namespace = params[0] if params else None
        database = params[1] if len(params) > 1 else None
        if isinstance(namespace, str):
            check_header_name("namespace", "Surreal-NS", namespace)
        if isinstance(database, str):
            check_header_name("database", "Surreal-DB", database)
        if isinstance(namespace, str):
            self.namespace = namespace
        if isinstance(database, str):
            self.database = database
