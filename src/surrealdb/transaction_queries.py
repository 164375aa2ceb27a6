"""Keeping every method inside an interactive transaction (sans-I/O).

SurrealDB 3.0's RPC handlers of `update`, `patch`, `relate` and `run` ignore the request's
`txn`: their writes would survive `cancel`. (`info` ignores it too, but only reads, and inside a
transaction `$auth` is NONE, so it is sent as it is.) Inside a transaction those calls are sent
as the equivalent SurrealQL `query` (which does honour `txn`), with the values passed as
variables, never spliced into the text; the query's result is then shaped like the RPC's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from surrealdb import _replies
from surrealdb.errors import InvalidArgumentError
from surrealdb.protocol import Request
from surrealdb.values import RecordID

_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)+")
_MODEL_VERSION = re.compile(r"[A-Za-z0-9_.\-]+")

ResultShaper = Callable[[Any], Any]


def in_transaction(request: Request, txn: UUID) -> tuple[Request, ResultShaper | None]:
    """The request to send inside transaction `txn`, and how to shape its result (or None)."""
    rewrite = _REWRITES.get(request.method)
    if rewrite is None:
        return Request(request.method, request.params, request.session, txn), None
    sql, variables, single = rewrite(request.params)
    query = Request("query", [sql, variables], request.session, txn)

    def shape(result: Any) -> Any:
        value = _replies.query_last(result, query)
        if single and isinstance(value, list):
            return value[0] if value else None
        return value

    return query, shape


def _update(params: list[Any]) -> tuple[str, dict[str, Any], bool]:
    what, data = params[0], _optional(params, 1)
    content = "" if data is None else " CONTENT $data"
    return f"UPDATE $what{content} RETURN AFTER", {"what": what, "data": data}, _is_record(what)


def _patch(params: list[Any]) -> tuple[str, dict[str, Any], bool]:
    what, patches, diff = params[0], params[1], _optional(params, 2)
    output = "DIFF" if diff else "AFTER"
    sql = f"UPDATE $what PATCH $patches RETURN {output}"
    return sql, {"what": what, "patches": patches}, _is_record(what)


def _relate(params: list[Any]) -> tuple[str, dict[str, Any], bool]:
    data = _optional(params, 3)
    content = "" if data is None else " CONTENT $data"
    sql = f"RELATE $from->(type::table($relation))->$to{content} RETURN AFTER"
    variables = {"from": params[0], "relation": str(params[1]), "to": params[2], "data": data}
    return sql, variables, True


def _run(params: list[Any]) -> tuple[str, dict[str, Any], bool]:
    name, version, args = params[0], _optional(params, 1), _optional(params, 2) or []
    if not isinstance(name, str) or not _FUNCTION_NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"not a function name: {name!r} (expected e.g. fn::name or time::now)"
        )
    if version is not None:
        if not isinstance(version, str) or not _MODEL_VERSION.fullmatch(version):
            raise InvalidArgumentError(f"not a model version: {version!r}")
        name = f"{name}<{version}>"
    variables = {f"arg{index}": value for index, value in enumerate(args)}
    call_args = ", ".join(f"$arg{index}" for index in range(len(args)))
    return f"RETURN {name}({call_args})", variables, False


def _optional(params: list[Any], index: int) -> Any:
    return params[index] if len(params) > index else None


def _is_record(what: Any) -> bool:
    return isinstance(what, RecordID)


_REWRITES: dict[str, Callable[[list[Any]], tuple[str, dict[str, Any], bool]]] = {
    "update": _update,
    "patch": _patch,
    "relate": _relate,
    "run": _run,
}
