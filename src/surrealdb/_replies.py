"""Parsers from RPC results to the values methods return, named by `reply` in schema/rpc.toml.

Each takes the server's result and the request it answers; none does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from surrealdb.api_types import QueryResult, Record, Tokens
from surrealdb.errors import ProtocolError, ServerError, query_error
from surrealdb.protocol import Request


def value(result: Any, request: Request) -> Any:
    """The result as the server sent it."""
    return result


def nothing(result: Any, request: Request) -> None:
    """Nothing: the call was made for its effect."""
    return None


def text(result: Any, request: Request) -> str:
    """A string result."""
    if not isinstance(result, str):
        raise ProtocolError(f"{request.method} returned {type(result).__name__}, not a string")
    return result


def optional(result: Any, request: Request) -> Record | None:
    """A record, or None when there is none (NONE or NULL)."""
    if result is None:
        return None
    if not isinstance(result, dict):
        raise ProtocolError(f"{request.method} returned {type(result).__name__}, not a record")
    return result


def one_record(result: Any, request: Request) -> Record:
    """One record, also when the server wraps it in a one-element list."""
    if isinstance(result, list) and len(result) == 1:
        result = result[0]
    if not isinstance(result, dict):
        raise ProtocolError(f"{request.method} returned {type(result).__name__}, not a record")
    return result


def record_list(result: Any, request: Request) -> list[Record]:
    """A list of records, whatever the shape the server chose."""
    if result is None:
        return []
    if isinstance(result, dict):
        return [result]
    if not isinstance(result, list):
        raise ProtocolError(f"{request.method} returned {type(result).__name__}, not records")
    return result


def uuid(result: Any, request: Request) -> UUID:
    """A UUID result (a live query's or a transaction's id)."""
    if not isinstance(result, UUID):
        raise ProtocolError(f"{request.method} returned {type(result).__name__}, not a UUID")
    return result


def uuid_list(result: Any, request: Request) -> list[UUID]:
    """A list of UUIDs (the attached sessions)."""
    if not isinstance(result, list) or not all(isinstance(item, UUID) for item in result):
        raise ProtocolError(f"{request.method} returned {result!r}, not a list of UUIDs")
    return result


def session_id(result: Any, request: Request) -> UUID:
    """The id of the session the request attached."""
    assert request.session is not None, "attach requests always carry a session id"
    return request.session


def token(result: Any, request: Request) -> Tokens:
    """What sign-in returned, as `Tokens`: the server sends the access token (a string), or a
    map with `access` and, when the access method issues one, `refresh`."""
    if isinstance(result, str):
        return Tokens(result)
    if isinstance(result, Mapping):
        return tokens(result, request)
    raise ProtocolError(f"{request.method} returned {type(result).__name__}, not a token")


def tokens(result: Any, request: Request) -> Tokens:
    """An access token with its refresh token."""
    if isinstance(result, Mapping):
        access = result.get("access", result.get("token"))
        refresh = result.get("refresh")
        if isinstance(access, str) and (refresh is None or isinstance(refresh, str)):
            return Tokens(access, refresh)
    raise ProtocolError(f"{request.method} returned no tokens")


def query_results(result: Any, request: Request) -> list[QueryResult]:
    """The server's reply for each statement, failed ones included."""
    if not isinstance(result, list):
        raise ProtocolError(f"query returned {type(result).__name__}, not a list of statements")
    return [_statement(item) for item in result]


def rpc_reply(result: Any, request: Request) -> dict[str, Any]:
    """The reply as the server sent it, `{'id': ..., 'result': ...}` (the official SDK's
    `query_raw`)."""
    return {"id": _reply_id(request), "result": result}


def error_reply(error: ServerError, request: Request) -> dict[str, Any]:
    """A refused request as the server sent it, `{'id': ..., 'error': {...}}`, for the methods
    that return server errors instead of raising them (`server_errors = "return"`)."""
    return {"id": _reply_id(request), "error": _error_fields(error)}


def _error_fields(error: ServerError) -> dict[str, Any]:
    """The server's error object, `cause` included (recursively)."""
    fields: dict[str, Any] = {"code": error.code, "message": error.message, "kind": error.kind}
    if error.details is not None:
        fields["details"] = error.details
    if error.server_cause is not None:
        fields["cause"] = _error_fields(error.server_cause)
    return fields


def _reply_id(request: Request) -> str:
    """The request's id as text: its frame's on WebSocket, a new unique one on the transports
    whose requests carry none (HTTP) or a fixed one (embedded). The official SDK's ids are text."""
    return str(request.id) if request.id is not None else uuid4().hex


def query_all(result: Any, request: Request) -> list[Any]:
    """Each statement's result; raises `QueryError` for the first statement that failed.

    A failed transaction fails all its statements, those that did not run with the error
    `NotExecuted` or `Cancelled`: the error raised is the one of the statement that made it
    fail (a `THROW`, a duplicate record, ...), unless every failed statement is one of those.
    """
    results = _results_when_all_ok(result)
    if results is not None:
        return results
    statements = query_results(result, request)
    errors = [
        query_error(
            str(statement.result), index=index, kind=statement.kind, details=statement.details
        )
        for index, statement in enumerate(statements)
        if not statement.ok
    ]
    if errors:
        causes = (error for error in errors if not (error.is_not_executed or error.is_cancelled))
        raise next(causes, errors[0])
    return [statement.result for statement in statements]


def query_last(result: Any, request: Request) -> Any:
    """The last statement's result; raises `QueryError` if any statement failed."""
    results = query_all(result, request)
    return results[-1] if results else None


def _results_when_all_ok(result: Any) -> list[Any] | None:
    """Each statement's result when every statement is a map with status OK, else None.

    The common case, without building a `QueryResult` per statement; anything else (a failed
    statement, an odd shape) returns None and takes the checked path of `query_raw`.
    """
    if type(result) is not list:
        return None
    results = []
    for item in result:
        if type(item) is not dict or item.get("status") != "OK":
            return None
        results.append(item.get("result"))
    return results


def _statement(item: Any) -> QueryResult:
    if type(item) is not dict and not isinstance(item, Mapping):
        raise ProtocolError(f"a statement's reply is {type(item).__name__}, not a map")
    kind = item.get("kind")
    return QueryResult(
        status=str(item.get("status")),
        time=str(item.get("time", "")),
        result=item.get("result"),
        kind=kind if isinstance(kind, str) else None,
        details=item.get("details"),
    )
