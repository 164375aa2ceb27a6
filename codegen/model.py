"""The schema's typed model: loading `schema/*.toml` and validating it before anything is generated.

Errors name the method and the field, so a typo in the schema is found in seconds.
"""

from __future__ import annotations

import keyword
import tomllib
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

Transport = Literal["ws", "http", "embedded"]
ParamWire = Literal["param", "session"]
ServerErrors = Literal["raise", "return"]
IntoKind = Literal["records", "value"]
HttpMethod = Literal["GET", "POST"]
T = TypeVar("T")

# The converters (surrealdb._params) and reply parsers (surrealdb._replies) the schema may name.
ENCODERS = frozenset(
    {
        "resource",
        "table",
        "insert_table",
        "optional_table",
        "record_id",
        "credentials",
        "access_token",
        "tokens",
        "keep_if_none",
        "variable_name",
        "query_text",
        "true_or_omit",
        "optional_list",
        "new_session_id",
        "variables",
        "record_data",
        "record_data_list",
        "patch_operations",
        "function_name",
        "optional_text",
        "uuid_value",
        "live_id",
    }
)
REPLIES = frozenset(
    {
        "value",
        "text",
        "uuid_list",
        "nothing",
        "optional",
        "token",
        "tokens",
        "uuid",
        "session_id",
        "one_record",
        "record_list",
        "query_last",
        "query_all",
        "query_results",
        "rpc_reply",
    }
)


# What an HTTP endpoint's response becomes (functions of surrealdb._endpoints).
ENDPOINT_REPLIES = frozenset({"nothing", "byte_count"})


class SchemaError(Exception):
    """The schema is invalid; the message names the file, method and field."""


class TypeDef(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A type of the schema's vocabulary and the Python annotation that stands for it."""

    python: str
    doc: str
    typed: str | None = None


class Param(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One parameter of an RPC method."""

    name: str
    type: str
    doc: str
    default: str | None = None
    encode: str | None = None
    wire: ParamWire = "param"
    secret: bool = False
    """A password or token: the generated method drops its reference once the request is built."""
    alias: str | None = None
    """Another keyword name the method accepts for this parameter (the official SDK's name)."""
    sent_when_none: bool = False
    """Sent as NONE when left at None, where the server needs every parameter; else an
    optional parameter left at None at the end of the list is not sent."""


class Overload(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A typed variant: when `param` has type `type`, the method returns `result`."""

    param: str
    type: str
    result: str


class Method(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One RPC method as the client exposes it."""

    doc: str
    transports: list[Transport]
    result: str
    reply: str
    params: list[Param]
    wire: str | None = None
    overloads: list[Overload] = []
    into: IntoKind | None = None
    server_errors: ServerErrors = "raise"
    """`return`: a server error is returned by the reply parser's `error_reply`, not raised."""


class Endpoint(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One HTTP endpoint of the server beyond `/rpc`, as a method of every connection.

    Over WebSocket it goes to the same host's HTTP endpoint; on the embedded engine the
    transport answers it in-process (or the method is not in `transports`).
    """

    doc: str
    http_method: HttpMethod
    path: str
    transports: list[Transport]
    result: str
    reply: str
    params: list[Param] = []
    authenticated: bool = False
    """Sent with the connection's namespace, database and token (as `/rpc` requests are)."""


class Schema(msgspec.Struct, frozen=True):
    """The whole schema: the type vocabulary, the RPC methods and the HTTP endpoints, in file
    order.

    `source` is the folder it came from, as named in the generated files' headers.
    """

    types: dict[str, TypeDef]
    methods: dict[str, Method]
    source: str = "schema"
    endpoints: dict[str, Endpoint] = {}


def load_schema(directory: Path) -> Schema:
    """Read `types.toml`, `rpc.toml` and `http.toml` (optional) from `directory` and validate
    them together."""
    types = _decode_entries(directory / "types.toml", "types", "type", TypeDef)
    methods = _decode_entries(directory / "rpc.toml", "methods", "method", Method)
    endpoints_file = directory / "http.toml"
    endpoints = (
        _decode_entries(endpoints_file, "endpoints", "endpoint", Endpoint)
        if endpoints_file.exists()
        else {}
    )
    schema = Schema(
        types=types, methods=methods, source=_display_path(directory), endpoints=endpoints
    )
    validate(schema)
    return schema


def _display_path(directory: Path) -> str:
    """The schema folder relative to the project root when it is inside it, for headers."""
    root = Path(__file__).resolve().parent.parent
    resolved = directory.resolve()
    return (
        resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(directory)
    )


def _decode_entries(path: Path, table: str, entry: str, kind: type[T]) -> dict[str, T]:
    """The `[table.NAME]` entries of a TOML file, each checked against `kind`.

    Entries are converted one by one so that an error names the entry and the field.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemaError(f"{path}: {exc}") from exc
    unexpected = sorted(set(raw) - {table})
    if unexpected or not isinstance(raw.get(table), dict):
        raise SchemaError(
            f"{path.name}: expected only [{table}.NAME] tables, found"
            f" {', '.join(repr(key) for key in sorted(raw)) or 'nothing'}"
        )
    entries: dict[str, T] = {}
    for name, value in raw[table].items():
        try:
            entries[name] = msgspec.convert(value, kind)
        except msgspec.ValidationError as exc:
            field = str(exc).rsplit(" - at `$", 1)
            where = f", field '{field[1].rstrip('`').lstrip('.')}'" if len(field) == 2 else ""
            raise SchemaError(f"{path.name}: {entry} {name!r}{where}: {field[0]}") from exc
    return entries


def validate(schema: Schema) -> None:
    """Check what msgspec's types cannot: names, references and the order of defaults."""
    for name, method in schema.methods.items():
        where = f"rpc.toml: method {name!r}"
        if not name.isidentifier() or keyword.iskeyword(name):
            raise SchemaError(f"{where}: the name is not a valid Python identifier")
        if not method.doc.strip():
            raise SchemaError(f"{where}, field 'doc': empty docstring")
        if not method.transports:
            raise SchemaError(f"{where}, field 'transports': no transport supports it")
        _check_type(schema, f"{where}, field 'result'", method.result)
        if method.reply not in REPLIES:
            raise SchemaError(
                f"{where}, field 'reply': unknown reply parser {method.reply!r};"
                f" known: {', '.join(sorted(REPLIES))}"
            )
        if method.server_errors == "return" and method.into is not None:
            raise SchemaError(
                f"{where}, field 'server_errors': a method that returns server errors"
                " cannot convert its result with `into`"
            )
        seen_default = False
        names: set[str] = set()
        for param in method.params:
            pwhere = f"{where}, param {param.name!r}"
            _check_param(schema, pwhere, param, names)
            if param.encode is not None and param.encode not in ENCODERS:
                raise SchemaError(
                    f"{pwhere}, field 'encode': unknown converter {param.encode!r};"
                    f" known: {', '.join(sorted(ENCODERS))}"
                )
            if param.alias is not None:
                if not param.alias.isidentifier() or keyword.iskeyword(param.alias):
                    raise SchemaError(f"{pwhere}, field 'alias': not a valid Python identifier")
                taken = {p.name for p in method.params} | {"self", "into"}
                taken |= {p.alias for p in method.params if p is not param and p.alias}
                if param.alias in taken:
                    raise SchemaError(
                        f"{pwhere}, field 'alias': {param.alias!r} is already a parameter's name"
                    )
                if param.default not in (None, "None"):
                    raise SchemaError(
                        f"{pwhere}, field 'alias': an optional parameter with one defaults to None"
                    )
            seen_default = _check_default_order(pwhere, param, seen_default)
        if method.into is not None:
            results = [method.result] if not method.overloads else []
            results += [overload.result for overload in method.overloads]
            for result in results:
                if result in schema.types and schema.types[result].typed is None:
                    raise SchemaError(
                        f"{where}, field 'into': result type {result!r} has no 'typed' form"
                        " in types.toml"
                    )
        for index, overload in enumerate(method.overloads):
            owhere = f"{where}, overloads[{index}]"
            if overload.param not in names:
                raise SchemaError(f"{owhere}, field 'param': no parameter {overload.param!r}")
            _check_type(schema, f"{owhere}, field 'type'", overload.type)
            _check_type(schema, f"{owhere}, field 'result'", overload.result)
    validate_endpoints(schema)


def validate_endpoints(schema: Schema) -> None:
    """Check the HTTP endpoints: names that no RPC method has, paths, replies and parameters."""
    for name, endpoint in schema.endpoints.items():
        where = f"http.toml: endpoint {name!r}"
        if not name.isidentifier() or keyword.iskeyword(name):
            raise SchemaError(f"{where}: the name is not a valid Python identifier")
        if name in schema.methods:
            raise SchemaError(f"{where}: rpc.toml has a method of that name")
        if not endpoint.doc.strip():
            raise SchemaError(f"{where}, field 'doc': empty docstring")
        if not endpoint.transports:
            raise SchemaError(f"{where}, field 'transports': no transport supports it")
        if not endpoint.path.startswith("/") or any(c in endpoint.path for c in " ?#"):
            raise SchemaError(f"{where}, field 'path': {endpoint.path!r} is not an absolute path")
        _check_type(schema, f"{where}, field 'result'", endpoint.result)
        if endpoint.reply not in ENDPOINT_REPLIES:
            raise SchemaError(
                f"{where}, field 'reply': unknown endpoint reply {endpoint.reply!r};"
                f" known: {', '.join(sorted(ENDPOINT_REPLIES))}"
            )
        seen_default = False
        names: set[str] = set()
        for param in endpoint.params:
            pwhere = f"{where}, param {param.name!r}"
            _check_param(schema, pwhere, param, names)
            if param.encode is not None or param.alias is not None or param.secret:
                raise SchemaError(
                    f"{pwhere}: an endpoint's parameters take no 'encode', 'alias' or 'secret'"
                )
            seen_default = _check_default_order(pwhere, param, seen_default)


def _check_param(schema: Schema, where: str, param: Param, names: set[str]) -> None:
    """What every parameter (of a method or an endpoint) needs: a Python identifier not used
    by an earlier one of the list (added to `names`), and a known type."""
    if not param.name.isidentifier() or keyword.iskeyword(param.name):
        raise SchemaError(f"{where}, field 'name': not a valid Python identifier")
    if param.name in names:
        raise SchemaError(f"{where}, field 'name': duplicated")
    names.add(param.name)
    _check_type(schema, f"{where}, field 'type'", param.type)


def _check_default_order(where: str, param: Param, seen_default: bool) -> bool:
    """Refuse a required parameter after an optional one; whether one has been seen now."""
    if param.default is None and seen_default:
        raise SchemaError(f"{where}, field 'default': required after an optional one")
    return seen_default or param.default is not None


def _check_type(schema: Schema, where: str, name: str) -> None:
    if name not in schema.types:
        raise SchemaError(f"{where}: unknown type {name!r}; define it in types.toml")
