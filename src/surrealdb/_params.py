"""Converters from Python arguments to RPC parameters, named by `encode` in schema/rpc.toml.

Each one checks its argument and raises a clear error before anything is sent.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final, NoReturn

import msgspec

from surrealdb.api_types import Tokens
from surrealdb.errors import InvalidArgumentError, InvalidArgumentTypeError, InvalidTableError
from surrealdb.values import RecordID, Table

# The names a caller may use in signin/signup, and the names the server expects.
_CREDENTIAL_NAMES = {
    "username": "user",
    "password": "pass",
    "namespace": "ns",
    "database": "db",
    "access": "ac",
}
_RECORD_ACCESS_NAMES = {"namespace": "ns", "database": "db", "access": "ac"}


def resource(what: object) -> Table | RecordID:
    """A table or a record: strings are table names, never SurrealQL."""
    if type(what) is str:
        return table(what)
    if isinstance(what, Table | RecordID):
        return what
    if isinstance(what, str):
        return table(what)
    raise InvalidArgumentTypeError(
        f"expected a table name (str or Table) or a RecordID, got {type(what).__name__}: {what!r}"
    )


def table(name: object) -> Table:
    """A table name, given as a `Table` or a non-empty string without `:`."""
    if isinstance(name, Table):
        return name
    if not isinstance(name, str):
        raise InvalidArgumentTypeError(
            f"expected a table name (str or Table), got {type(name).__name__}"
        )
    if not name.strip():
        raise InvalidTableError("the table name is empty")
    if ":" in name:
        table, _, key = name.partition(":")
        raise InvalidTableError(
            f"{name!r} looks like a record id, but a string is a table name here:"
            f" pass RecordID.parse({name!r}) or RecordID({table!r}, {key!r}) for the record,"
            f" or Table({name!r}) for a table whose name contains ':'"
        )
    return Table(name)


def insert_table(name: object) -> Table | RecordID:
    """The table `insert` writes to; a `RecordID` is sent as it is, for the server to refuse.

    The server cannot INSERT into a record id; it answers with its own error (as it does to
    the official SDK, which sends it), so the caller sees the server's reason.
    """
    if isinstance(name, RecordID):
        return name
    return table(name)


def optional_table(name: object) -> Table | None:
    """A table name, or None (sent as NONE) when each record names its own table."""
    return None if name is None else table(name)


def record_id(value: object) -> RecordID:
    """A `RecordID`; a string gets a hint, since it would be ambiguous."""
    if isinstance(value, RecordID):
        return value
    if isinstance(value, str):
        raise InvalidArgumentTypeError(
            f"expected a RecordID, got the string {value!r}: use RecordID.parse()"
        )
    raise InvalidArgumentTypeError(f"expected a RecordID, got {type(value).__name__}")


def credentials(values: object) -> dict[str, Any]:
    """Sign-in details with the friendly names (`username`, ...) turned into the wire names.

    For record access (`access`/`ac` given), only namespace, database and access are renamed:
    the other keys are the access method's own variables, such as `$password`. Those may also
    come nested under `variables` (the official SDK's form): they are sent as top-level keys,
    unrenamed, as the server expects them.
    """
    if type(values) is not dict and not isinstance(values, Mapping):
        raise InvalidArgumentTypeError(
            f"expected a mapping such as {{'username': ..., 'password': ...}},"
            f" got {type(values).__name__}"
        )
    names = _RECORD_ACCESS_NAMES if ("access" in values or "ac" in values) else _CREDENTIAL_NAMES
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            raise InvalidArgumentTypeError(
                f"credential names must be strings, got {type(key).__name__}"
            )
        if key == "variables" and isinstance(value, Mapping):
            continue
        converted[names.get(key, key)] = value
    nested = values.get("variables")
    if isinstance(nested, Mapping):
        for key, value in nested.items():
            if not isinstance(key, str):
                raise InvalidArgumentTypeError(
                    f"variable names must be strings, got {type(key).__name__}"
                )
            if key in converted:
                raise InvalidArgumentError(
                    f"{key!r} is given both at the top level and in 'variables': give it once"
                )
            converted[key] = value
    return converted


def access_token(token: object) -> str:
    """The access token of a token string or `Tokens`."""
    if isinstance(token, Tokens):
        if token.access is None:
            raise InvalidArgumentError(
                "these Tokens have no access token: pass the Tokens sign-in returned"
            )
        return token.access
    if isinstance(token, str) and token:
        return token
    raise InvalidArgumentTypeError(f"expected a token string or Tokens, got {type(token).__name__}")


def tokens(value: object) -> dict[str, Any]:
    """`Tokens` as the server's `{access, refresh}` map."""
    if not isinstance(value, Tokens):
        raise InvalidArgumentTypeError(
            f"expected Tokens (what signin returned), got {type(value).__name__}"
        )
    if value.refresh is None:
        raise InvalidArgumentError("these Tokens have no refresh token")
    if value.access is None:
        return {"refresh": value.refresh}
    return {"access": value.access, "refresh": value.refresh}


def keep_if_none(value: str | None) -> str | None:
    """None (sent as NONE), which the server reads as 'leave unchanged', or a string."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentTypeError(f"expected a string or None, got {type(value).__name__}")
    return value


def variable_name(name: object) -> str:
    """A variable's name, accepted with or without its leading `$`."""
    if not isinstance(name, str):
        raise InvalidArgumentTypeError(f"expected a variable name (str), got {type(name).__name__}")
    bare = name.removeprefix("$")
    if not bare:
        raise InvalidArgumentError("the variable name is empty")
    return bare


def query_text(sql: object) -> str:
    """The SurrealQL text of a query."""
    if not isinstance(sql, str):
        raise InvalidArgumentTypeError(f"expected the query as a string, got {type(sql).__name__}")
    return sql


def true_or_omit(flag: bool) -> bool | None:
    """A flag that is sent only when set."""
    return True if flag else None


def optional_list(values: Sequence[Any] | None) -> list[Any] | None:
    """A sequence of arguments as a list, or None when there are none."""
    if values is None:
        return None
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidArgumentTypeError(f"expected a list of arguments, got {type(values).__name__}")
    return list(values)


def new_session_id(session_id: uuid.UUID | None) -> uuid.UUID:
    """The given session id, or a fresh random one."""
    if session_id is None:
        return uuid.uuid4()
    if not isinstance(session_id, uuid.UUID):
        raise InvalidArgumentTypeError(f"expected a UUID, got {type(session_id).__name__}")
    return session_id


def variables(values: object) -> dict[str, Any] | None:
    """Query variables: a mapping of names to values, or None."""
    if values is None:
        return None
    if type(values) is not dict and not isinstance(values, Mapping):
        raise InvalidArgumentTypeError(
            f"expected the variables as a mapping of names, got {type(values).__name__}"
        )
    for name in values:
        if not isinstance(name, str):
            raise InvalidArgumentTypeError(
                f"variable names must be strings, got {type(name).__name__}"
            )
    return dict(values)


def record_data(data: object) -> object:
    """A record's content: a mapping (or a msgspec Struct / dataclass instance), or None."""
    if data is None or type(data) is dict or isinstance(data, Mapping) or _is_model(data):
        return data
    raise InvalidArgumentTypeError(
        f"expected the record's content as a mapping, got {type(data).__name__}"
    )


def record_data_list(data: object) -> object:
    """One record's content, or a list of them."""
    if type(data) is dict or isinstance(data, Mapping) or _is_model(data):
        return data
    if type(data) is list or (isinstance(data, Sequence) and not isinstance(data, str | bytes)):
        for index, item in enumerate(data):
            if not (type(item) is dict or isinstance(item, Mapping) or _is_model(item)):
                raise InvalidArgumentTypeError(
                    f"expected a list of records' contents, but item {index} is"
                    f" {type(item).__name__}"
                )
        return list(data)
    raise InvalidArgumentTypeError(
        f"expected a record's content or a list of them, got {type(data).__name__}"
    )


def patch_operations(patches: object) -> list[Any]:
    """JSON-Patch operations: a list of mappings, each with an `op`."""
    if isinstance(patches, Sequence) and not isinstance(patches, str | bytes):
        for index, operation in enumerate(patches):
            if not isinstance(operation, Mapping) or "op" not in operation:
                raise InvalidArgumentTypeError(
                    f"patch {index} is not an operation like {{'op': 'replace', ...}}"
                )
        return list(patches)
    raise InvalidArgumentTypeError(
        f"expected a list of patch operations, got {type(patches).__name__}"
    )


def function_name(name: object) -> str:
    """A function's name, such as `fn::greet` or `time::now`."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentTypeError(f"expected a function name (str), got {name!r}")
    return name


def optional_text(text: object) -> str | None:
    """A string, or None."""
    if text is None or isinstance(text, str):
        return text
    raise InvalidArgumentTypeError(f"expected a string or None, got {type(text).__name__}")


def uuid_value(value: object) -> uuid.UUID:
    """A UUID (a live query's, a session's or a transaction's id)."""
    if not isinstance(value, uuid.UUID):
        raise InvalidArgumentTypeError(f"expected a UUID, got {type(value).__name__}: {value!r}")
    return value


def live_id(value: object) -> uuid.UUID:
    """A live query's id: the UUID `live` returned, or its text (the official SDK's form)."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise InvalidArgumentError(f"not a live query id (a UUID): {value!r}") from None
    return uuid_value(value)


def _is_model(value: object) -> bool:
    """Whether the value is a typed model instance the codec encodes as a map."""
    return isinstance(value, msgspec.Struct) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def without_trailing_none(params: list[Any]) -> list[Any]:
    """The parameters without the trailing ones left at None, which the server defaults."""
    while params and params[-1] is None:
        params.pop()
    return params


# --------------------------------------------------------------------------------------------
# Parameters given under another name (the `alias` of a parameter in schema/rpc.toml)
# --------------------------------------------------------------------------------------------


class Missing(enum.Enum):
    """The type of `MISSING`: a parameter that was not given, under any of its names."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing.MISSING


def aliased(method: str, name: str, value: object, alias: str, alias_value: object) -> object:
    """The argument given as `name` or as its alias `alias` (exactly one of them).

    The method's overloads type what the caller gives; the generated body casts the result.
    """
    if value is MISSING:
        if alias_value is MISSING:
            raise InvalidArgumentTypeError(
                f"{method}() missing required argument: {name!r} (or {alias!r})"
            )
        return alias_value
    if alias_value is not MISSING:
        raise InvalidArgumentTypeError(
            f"{method}() got {name!r} and its alias {alias!r}: give one of them"
        )
    return value


def aliased_optional(
    method: str, name: str, value: object, alias: str, alias_value: object
) -> object:
    """An optional argument given under its alias `alias`; refused when `name` came too."""
    if value is not None:
        raise InvalidArgumentTypeError(
            f"{method}() got {name!r} and its alias {alias!r}: give one of them"
        )
    return alias_value


def given(method: str, name: str) -> NoReturn:
    """A required argument left out (it follows an aliased one, so its signature allows that)."""
    raise InvalidArgumentTypeError(f"{method}() missing required argument: {name!r}")
