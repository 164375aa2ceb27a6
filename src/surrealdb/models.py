"""Typed models from a database's schema: the engine behind `python -m surrealdb models`.

The pipeline, one function per step (all pure except `read_schema` and the generator call)::

    INFO FOR DB STRUCTURE, INFO FOR TABLE t STRUCTURE   read_schema / tables_from_structure
            │   tables, and each field's path and SurrealQL type text
            ▼
    parse_kind("option<array<record<a | b>>>")           the SurrealQL type as a `Kind` tree
            ▼
    build_models(tables)                                 one `StructModel` per table and nested
            │   object, with msgspec-compatible Python types (`PyType`)
            ▼
    build_json_schema(models)                            JSON Schema with a $defs entry per model
            ▼
    run_datamodel_codegen(schema)                        msgspec.Struct source from
            │   datamodel-code-generator (the optional extra `models`)
            ▼
    postprocess(source, models, ...)                     our header and imports, `RecordID`,
            │   `Datetime`, `Duration`, `Decimal`, `UUID`, `T | None = None` for option<T>
            ▼
    format_source(text)                                  ruff (or black) formatting

The generated module is deterministic: tables and fields are sorted, and the header names the
namespace and database but has no timestamp, so rerunning only changes the file when the
schema changed.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from surrealdb.connections import BlockingSurrealConnection
from surrealdb.errors import AuthenticationError, SurrealError
from surrealdb.factory import Surreal
from surrealdb.url import parse_url
from surrealdb.values import SURREALQL_STRING_ESCAPES

__all__ = [
    "INSTALL_HINT",
    "ArrayKind",
    "BasicKind",
    "DictAny",
    "FieldModel",
    "FieldSchema",
    "FileKind",
    "GeometryKind",
    "Kind",
    "KindSyntaxError",
    "ListOf",
    "LiteralKind",
    "LiteralOf",
    "ModelGenerationError",
    "ObjectLiteralKind",
    "PyType",
    "RecordKind",
    "Scalar",
    "SchemaRead",
    "StructModel",
    "StructRef",
    "TableSchema",
    "TupleLiteralKind",
    "UnionKind",
    "UnionOf",
    "build_json_schema",
    "build_models",
    "codegen_available",
    "format_source",
    "generate_source",
    "parse_field_path",
    "parse_kind",
    "postprocess",
    "read_schema",
    "run_datamodel_codegen",
    "run_models_command",
    "tables_from_structure",
]

INSTALL_HINT: Final = "pip install 'surrealdb-typed[models]'"
"""What to install for `python -m surrealdb models` (it needs datamodel-code-generator)."""


class ModelGenerationError(Exception):
    """The schema could not be turned into models (the message says why)."""


class KindSyntaxError(ValueError):
    """A SurrealQL type the parser does not understand."""


# --------------------------------------------------------------------------------------------
# SurrealQL types ("kinds") and their parser
# --------------------------------------------------------------------------------------------


class Kind:
    """A parsed SurrealQL type, such as ``option<array<record<user>>>``."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class BasicKind(Kind):
    """A type named by one word: ``string``, ``int``, ``object``, ``any``, ``none``..."""

    name: str


@dataclass(frozen=True, slots=True)
class RecordKind(Kind):
    """``record`` or ``record<a | b>``: a link to a record of those tables (any if empty)."""

    tables: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GeometryKind(Kind):
    """``geometry`` or ``geometry<point | polygon>``."""

    shapes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileKind(Kind):
    """``file`` or ``file<bucket>``."""

    buckets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArrayKind(Kind):
    """``array``, ``array<T>``, ``array<T, N>``; ``set...`` when ``unique``."""

    item: Kind | None = None
    size: int | None = None
    unique: bool = False


@dataclass(frozen=True, slots=True)
class LiteralKind(Kind):
    """A literal type: ``'a'``, ``1``, ``2.5f``, ``3dec``, ``true``, ``1d``, ``d'...'``...

    ``type`` is the SurrealQL type of the value: string, int, float, decimal, bool, duration,
    datetime, uuid or record; ``value`` is a Python value for string, int and bool and the
    literal's text for the others.
    """

    value: str | int | bool
    type: str


@dataclass(frozen=True, slots=True)
class ObjectLiteralKind(Kind):
    """An object type literal: ``{ name: string, age: option<int> }``."""

    fields: tuple[tuple[str, Kind], ...]


@dataclass(frozen=True, slots=True)
class TupleLiteralKind(Kind):
    """An array type literal: ``[string, int]``."""

    items: tuple[Kind, ...]


@dataclass(frozen=True, slots=True)
class UnionKind(Kind):
    """``A | B | ...`` (``option<T>`` is ``none | T``); members are flat and distinct."""

    members: tuple[Kind, ...]


NONE_KIND: Final = BasicKind("none")
ANY_KIND: Final = BasicKind("any")


def _union_kind(members: Iterable[Kind]) -> Kind:
    """The union of some kinds: nested unions flattened, duplicates dropped, order kept."""
    flat: list[Kind] = []
    for member in members:
        for item in member.members if isinstance(member, UnionKind) else (member,):
            if item not in flat:
                flat.append(item)
    return flat[0] if len(flat) == 1 else UnionKind(tuple(flat))


_IDENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INTEGER: Final = re.compile(r"\d+")
_DURATION: Final = re.compile(r"(?:\d+(?:ns|us|µs|μs|ms|s|m|h|d|w|y))+(?![A-Za-z0-9_])")
_NUMBER: Final = re.compile(
    r"(?P<number>[-+]?\d+(?P<fraction>\.\d+)?(?P<exponent>[eE][-+]?\d+)?)(?P<suffix>f|dec)?"
    r"(?![A-Za-z0-9_])"
)
_PREFIXED_LITERALS: Final = {"d": "datetime", "u": "uuid", "r": "record"}


class _KindParser:
    """Recursive descent over SurrealQL type syntax, as written or as INFO prints it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> KindSyntaxError:
        return KindSyntaxError(f"invalid SurrealQL type {self.text!r}: {what} at {self.pos}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def accept(self, token: str) -> bool:
        self.skip_space()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.accept(token):
            raise self.error(f"expected {token!r}")

    def parse(self) -> Kind:
        kind = self.parse_union()
        self.skip_space()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos :]!r}")
        return kind

    def parse_union(self) -> Kind:
        members = [self.parse_primary()]
        while self.accept("|"):
            members.append(self.parse_primary())
        return _union_kind(members)

    def parse_primary(self) -> Kind:
        self.skip_space()
        if self.pos >= len(self.text):
            raise self.error("expected a type")
        char = self.text[self.pos]
        if char in "'\"":
            return LiteralKind(self.parse_string(), "string")
        if char == "{":
            return self.parse_object_literal()
        if char == "[":
            return self.parse_tuple_literal()
        if char == "(":
            self.pos += 1
            kind = self.parse_union()
            self.expect(")")
            return kind
        quote = self.text[self.pos + 1 : self.pos + 2]
        if char in _PREFIXED_LITERALS and quote in ("'", '"'):
            self.pos += 1
            return LiteralKind(self.parse_string(), _PREFIXED_LITERALS[char])
        duration = _DURATION.match(self.text, self.pos)
        if duration is not None:
            self.pos = duration.end()
            return LiteralKind(duration.group(), "duration")
        number = _NUMBER.match(self.text, self.pos)
        if number is not None:
            self.pos = number.end()
            if number["suffix"] == "dec":
                return LiteralKind(number["number"], "decimal")
            if number["suffix"] == "f" or number["fraction"] or number["exponent"]:
                return LiteralKind(number["number"], "float")
            return LiteralKind(int(number["number"]), "int")
        word = _IDENT.match(self.text, self.pos)
        if word is None:
            raise self.error("expected a type")
        self.pos = word.end()
        return self.parse_named(word.group().lower())

    def parse_named(self, name: str) -> Kind:
        if name in ("true", "false"):
            return LiteralKind(name == "true", "bool")
        if name == "option":
            self.expect("<")
            inner = self.parse_union()
            self.expect(">")
            return _union_kind([NONE_KIND, inner])
        if name == "either":
            self.expect("<")
            members = [self.parse_union()]
            while self.accept(","):
                members.append(self.parse_union())
            self.expect(">")
            return _union_kind(members)
        if name in ("array", "set"):
            item: Kind | None = None
            size: int | None = None
            if self.accept("<"):
                item = self.parse_union()
                if self.accept(","):
                    self.skip_space()
                    digits = _INTEGER.match(self.text, self.pos)
                    if digits is None:
                        raise self.error("expected a size")
                    self.pos = digits.end()
                    size = int(digits.group())
                self.expect(">")
            return ArrayKind(item, size, unique=name == "set")
        if name in ("record", "geometry", "file", "references"):
            names: tuple[str, ...] = ()
            if self.accept("<"):
                names = self.parse_names()
                self.expect(">")
            if name == "record":
                return RecordKind(names)
            if name == "geometry":
                return GeometryKind(tuple(shape.lower() for shape in names))
            if name == "file":
                return FileKind(names)
            return ArrayKind(RecordKind(names))  # references<t> (SurrealDB 2.x): record links
        if self.accept("<"):  # a parametrised type this parser does not know: skip it
            depth = 1
            while depth and self.pos < len(self.text):
                depth += {"<": 1, ">": -1}.get(self.text[self.pos], 0)
                self.pos += 1
            if depth:
                raise self.error("missing '>'")
        return BasicKind(name)

    def parse_names(self) -> tuple[str, ...]:
        names = [self.parse_name()]
        while self.accept("|") or self.accept(","):
            names.append(self.parse_name())
        return tuple(names)

    def parse_name(self) -> str:
        self.skip_space()
        if self.accept("`"):
            return self.parse_delimited("`")
        if self.accept("⟨"):
            return self.parse_delimited("⟩")
        word = _IDENT.match(self.text, self.pos)
        if word is None:
            raise self.error("expected a name")
        self.pos = word.end()
        return word.group()

    def parse_string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        return self.parse_delimited(quote)

    def parse_delimited(self, closing: str) -> str:
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == closing:
                return "".join(chars)
            if char != "\\":
                chars.append(char)
                continue
            escaped = self.text[self.pos : self.pos + 1]
            self.pos += 1
            if escaped in SURREALQL_STRING_ESCAPES:
                chars.append(SURREALQL_STRING_ESCAPES[escaped])
            elif escaped == "u":
                chars.append(self.parse_unicode_escape())
            else:
                raise self.error(f"invalid escape '\\{escaped}'")
        raise self.error(f"missing closing {closing!r}")

    def parse_unicode_escape(self) -> str:
        if self.text.startswith("{", self.pos):
            end = self.text.find("}", self.pos)
            digits = self.text[self.pos + 1 : end] if end != -1 else ""
            self.pos = end + 1 if end != -1 else len(self.text)
        else:
            digits = self.text[self.pos : self.pos + 4]
            self.pos += 4
        try:
            return chr(int(digits, 16))
        except ValueError:
            raise self.error(f"invalid unicode escape {digits!r}") from None

    def parse_object_literal(self) -> Kind:
        self.pos += 1  # "{"
        fields: list[tuple[str, Kind]] = []
        while not self.accept("}"):
            self.skip_space()
            if self.text[self.pos : self.pos + 1] in ("'", '"'):
                key = self.parse_string()
            else:
                key = self.parse_name()
            self.expect(":")
            fields.append((key, self.parse_union()))
            if not self.accept(","):
                self.expect("}")
                break
        return ObjectLiteralKind(tuple(fields))

    def parse_tuple_literal(self) -> Kind:
        self.pos += 1  # "["
        items: list[Kind] = []
        while not self.accept("]"):
            items.append(self.parse_union())
            if not self.accept(","):
                self.expect("]")
                break
        return TupleLiteralKind(tuple(items))


def parse_kind(text: str) -> Kind:
    """Parse a SurrealQL type as written in ``DEFINE FIELD ... TYPE`` or printed by INFO.

    ``option<T>`` becomes ``UnionKind((BasicKind("none"), T))``, as SurrealDB 3 prints it
    (``none | T``). Raises `KindSyntaxError` for text it cannot read.
    """
    return _KindParser(text).parse()


_PATH_WORD: Final = re.compile(r"[^.\[`⟨*\s]+")


def parse_field_path(text: str) -> tuple[str, ...]:
    """Split a field name (an idiom) into parts: ``pets[*].name`` → ``("pets", "*", "name")``.

    Understands ``a.b``, ``a.*``, ``a[*]`` and escaped parts (```a b```, ``⟨a b⟩``); raises
    `KindSyntaxError` for other idioms (such as ``a[0]``).
    """
    parser = _KindParser(text)
    parts: list[str] = []
    while parser.pos < len(text):
        char = text[parser.pos]
        if char.isspace() or char == ".":
            parser.pos += 1
        elif char == "*":
            parts.append("*")
            parser.pos += 1
        elif char == "[":
            end = text.find("]", parser.pos)
            if end == -1 or text[parser.pos + 1 : end].strip() != "*":
                raise KindSyntaxError(f"unsupported field name {text!r}")
            parts.append("*")
            parser.pos = end + 1
        elif char == "`":
            parser.pos += 1
            parts.append(parser.parse_delimited("`"))
        elif char == "⟨":
            parser.pos += 1
            parts.append(parser.parse_delimited("⟩"))
        else:
            word = _PATH_WORD.match(text, parser.pos)
            assert word is not None  # the branches above cover every other first character
            parts.append(word.group())
            parser.pos = word.end()
    if not parts:
        raise KindSyntaxError(f"empty field name {text!r}")
    return tuple(parts)


# --------------------------------------------------------------------------------------------
# The schema as read from INFO ... STRUCTURE
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSchema:
    """One ``DEFINE FIELD``: its path, its type (None: no TYPE clause) and its comment."""

    path: tuple[str, ...]
    kind: Kind | None
    flexible: bool = False
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class TableSchema:
    """One ``DEFINE TABLE`` and its fields; ``relation`` is (in tables, out tables)."""

    name: str
    schemafull: bool
    fields: tuple[FieldSchema, ...] = ()
    relation: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class SchemaRead:
    """The tables to model, and any definitions that could not be read (as messages)."""

    tables: tuple[TableSchema, ...]
    problems: tuple[str, ...] = ()


def _escape_ident(name: str) -> str:
    """A table name as a SurrealQL identifier (backticks unless it is plain)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def tables_from_structure(
    db_info: Mapping[str, Any],
    table_infos: Mapping[str, Mapping[str, Any]],
    only: Sequence[str] | None = None,
) -> SchemaRead:
    """The tables to model, from ``INFO FOR DB STRUCTURE`` and ``INFO FOR TABLE t STRUCTURE``.

    Without ``only``, the SCHEMAFULL tables; with it, exactly those tables (SCHEMALESS ones
    too, with the fields they define). A table missing from ``table_infos`` has no fields.
    """
    problems: list[str] = []
    by_name: dict[str, Mapping[str, Any]] = {}
    for entry in db_info.get("tables") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            by_name[entry["name"]] = entry
    if only is not None:
        missing = [name for name in only if name not in by_name]
        if missing:
            raise ModelGenerationError(f"no such table: {', '.join(missing)}")
        names = sorted(set(only))
    else:
        names = sorted(name for name, entry in by_name.items() if entry.get("schemafull") is True)
    tables: list[TableSchema] = []
    for name in names:
        entry = by_name[name]
        relation: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        table_kind = entry.get("kind")
        if isinstance(table_kind, Mapping) and table_kind.get("kind") == "RELATION":
            relation = (
                tuple(str(item) for item in table_kind.get("in") or ()),
                tuple(str(item) for item in table_kind.get("out") or ()),
            )
        fields: list[FieldSchema] = []
        for definition in (table_infos.get(name) or {}).get("fields") or ():
            field_schema = _field_from_structure(name, definition, problems)
            if field_schema is not None:
                fields.append(field_schema)
        fields.sort(key=lambda item: item.path)
        tables.append(
            TableSchema(
                name=name,
                schemafull=entry.get("schemafull") is True,
                fields=tuple(fields),
                relation=relation,
                comment=_text(entry.get("comment")),
            )
        )
    return SchemaRead(tuple(tables), tuple(problems))


def _field_from_structure(
    table: str, definition: object, problems: list[str]
) -> FieldSchema | None:
    if not isinstance(definition, Mapping) or not isinstance(definition.get("name"), str):
        problems.append(f"{table}: skipped a field definition without a name: {definition!r}")
        return None
    name: str = definition["name"]
    try:
        path = parse_field_path(name)
    except KindSyntaxError as exc:
        problems.append(f"{table}.{name}: skipped ({exc})")
        return None
    kind_text = definition.get("kind")
    kind: Kind | None = None
    if isinstance(kind_text, str) and kind_text.strip():
        try:
            kind = parse_kind(kind_text)
        except KindSyntaxError as exc:
            problems.append(f"{table}.{name}: typed as Any ({exc})")
            kind = ANY_KIND
    return FieldSchema(
        path=path,
        kind=kind,
        flexible=definition.get("flexible") is True,
        comment=_text(definition.get("comment")),
    )


def read_schema(
    connection: BlockingSurrealConnection, only: Sequence[str] | None = None
) -> SchemaRead:
    """Read the tables to model through a connection that already chose its database.

    One query reads the database, one more reads all its tables.
    """
    db_info = connection.query("INFO FOR DB STRUCTURE")
    if not isinstance(db_info, Mapping):
        raise ModelGenerationError(f"unexpected INFO FOR DB STRUCTURE result: {db_info!r}")
    names = [
        entry["name"]
        for entry in db_info.get("tables") or ()
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)
    ]
    table_infos: dict[str, Mapping[str, Any]] = {}
    if names:
        results = connection.query_all(
            "; ".join(f"INFO FOR TABLE {_escape_ident(name)} STRUCTURE" for name in names)
        )
        for name, result in zip(names, results, strict=True):
            if isinstance(result, Mapping):
                table_infos[name] = result
    return tables_from_structure(db_info, table_infos, only)


# --------------------------------------------------------------------------------------------
# Python types for the models (msgspec-compatible)
# --------------------------------------------------------------------------------------------


class PyType:
    """A Python type for a model field, before it becomes JSON Schema and then code."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Scalar(PyType):
    """A named type: ``str``, ``int``, ``None``, ``Any``, ``RecordID``, ``Decimal``..."""

    name: str


@dataclass(frozen=True, slots=True)
class LiteralOf(PyType):
    """``Literal[...]`` of strings, ints and bools."""

    values: tuple[str | int | bool, ...]


@dataclass(frozen=True, slots=True)
class ListOf(PyType):
    """``list[item]``, or ``set[item]`` when ``unique``."""

    item: PyType
    unique: bool = False


@dataclass(frozen=True, slots=True)
class DictAny(PyType):
    """``dict[str, Any]``: an object whose fields the schema does not define."""


@dataclass(frozen=True, slots=True)
class StructRef(PyType):
    """A nested model."""

    model: StructModel


@dataclass(frozen=True, slots=True)
class UnionOf(PyType):
    """``A | B``; built by `_union_type`, which keeps it valid for msgspec."""

    members: tuple[PyType, ...]


ANY: Final = Scalar("Any")
NONE_TYPE: Final = Scalar("None")


@dataclass(frozen=True, slots=True)
class FieldModel:
    """A model field: its name in the database, its type, and whether it may be absent."""

    name: str
    type: PyType
    optional: bool = False


@dataclass(eq=False)
class StructModel:
    """A model class: a table (``key == (table,)``) or a nested object of one."""

    key: tuple[str, ...]
    doc: str
    fields: tuple[FieldModel, ...] = ()
    name: str = ""


# JSON Schema for the builtin types, and the module each of our other types comes from.
_SCALAR_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "bytes": {"type": "string", "format": "binary"},
    "None": {"type": "null"},
    "Any": {},
}
_CUSTOM_TYPES: Final[dict[str, str]] = {
    "Decimal": "decimal",
    "UUID": "uuid",
    "Datetime": "surrealdb",
    "Duration": "surrealdb",
    "RecordID": "surrealdb",
    "Range": "surrealdb",
    "File": "surrealdb",
    "GeometryPoint": "surrealdb",
    "GeometryLine": "surrealdb",
    "GeometryPolygon": "surrealdb",
    "GeometryMultiPoint": "surrealdb",
    "GeometryMultiLine": "surrealdb",
    "GeometryMultiPolygon": "surrealdb",
    "GeometryCollection": "surrealdb",
}
_BASIC_TYPES: Final[dict[str, PyType]] = {
    "string": Scalar("str"),
    "int": Scalar("int"),
    "float": Scalar("float"),
    "bool": Scalar("bool"),
    "bytes": Scalar("bytes"),
    "decimal": Scalar("Decimal"),
    "uuid": Scalar("UUID"),
    "datetime": Scalar("Datetime"),
    "duration": Scalar("Duration"),
    "range": Scalar("Range"),
    "null": NONE_TYPE,
    "point": Scalar("GeometryPoint"),
}
_GEOMETRIES: Final[dict[str, str]] = {
    "point": "GeometryPoint",
    "line": "GeometryLine",
    "polygon": "GeometryPolygon",
    "multipoint": "GeometryMultiPoint",
    "multiline": "GeometryMultiLine",
    "multipolygon": "GeometryMultiPolygon",
    "collection": "GeometryCollection",
}
_LITERAL_TYPES: Final[dict[str, PyType]] = {
    "float": Scalar("float"),
    "decimal": Scalar("Decimal"),
    "duration": Scalar("Duration"),
    "datetime": Scalar("Datetime"),
    "uuid": Scalar("UUID"),
    "record": Scalar("RecordID"),
}
# msgspec allows at most one of each of these kinds of type in a union.
_OBJECT_LIKE: Final = frozenset({"Duration", "Range", "File", *_GEOMETRIES.values()})
# Classes msgspec takes as custom types, which a union may only pair with None.
_CUSTOM_CLASSES: Final = frozenset({"RecordID", "Datetime"})
_STR_LIKE: Final = frozenset({"str", "bytes", "Decimal", "UUID"})
_HASHABLE: Final = frozenset(
    {"str", "int", "float", "bool", "bytes", "None", "Decimal", "UUID"}
    | {"Datetime", "Duration", "RecordID"}
)


def _union_type(types: Iterable[PyType]) -> PyType:
    """The union of some types, simplified, or ``Any`` when msgspec could not decode it.

    msgspec accepts at most one str-like, one object-like (Struct, dict) and one array-like
    type in a union, and a custom class (``RecordID``, ``Datetime``) only with ``None``.
    """
    flat: list[PyType] = []
    for item in types:
        for member in item.members if isinstance(item, UnionOf) else (item,):
            if member not in flat:
                flat.append(member)
    if ANY in flat:
        return ANY
    literals = [
        value for member in flat if isinstance(member, LiteralOf) for value in member.values
    ]
    if literals:
        absorbed = {
            str: Scalar("str") in flat,
            int: Scalar("int") in flat,
            bool: Scalar("bool") in flat,
        }
        kept = tuple(dict.fromkeys(v for v in literals if not absorbed[type(v)]))
        first = next(index for index, member in enumerate(flat) if isinstance(member, LiteralOf))
        rest = [member for member in flat if not isinstance(member, LiteralOf)]
        flat = rest[:first] + ([LiteralOf(kept)] if kept else []) + rest[first:]
    lists = [member for member in flat if isinstance(member, ListOf)]
    if len(lists) > 1:
        merged_item = _union_type(member.item for member in lists)
        unique = all(member.unique for member in lists) and _hashable(merged_item)
        first = flat.index(lists[0])
        rest = [member for member in flat if not isinstance(member, ListOf)]
        flat = [*rest[:first], ListOf(merged_item, unique), *rest[first:]]
    if len(flat) == 1:
        return flat[0]
    values = [member for member in flat if member != NONE_TYPE]
    names = [member.name for member in values if isinstance(member, Scalar)]
    objects = sum(name in _OBJECT_LIKE for name in names) + sum(
        isinstance(member, DictAny | StructRef) for member in values
    )
    strings = sum(name in _STR_LIKE for name in names) + sum(
        isinstance(member, LiteralOf) and any(isinstance(value, str) for value in member.values)
        for member in values
    )
    if (not _CUSTOM_CLASSES.isdisjoint(names) and len(values) > 1) or objects > 1 or strings > 1:
        return ANY
    return UnionOf(tuple(flat))


def _hashable(item: PyType) -> bool:
    """Whether set elements of this type are hashable (so they decode to a Python set)."""
    if isinstance(item, LiteralOf):
        return True
    if isinstance(item, Scalar):
        return item.name in _HASHABLE
    if isinstance(item, UnionOf):
        return all(map(_hashable, item.members))
    return False


@dataclass
class _Node:
    """A field and the fields defined under it (``*`` for array items)."""

    kind: Kind | None = None
    children: dict[str, _Node] = field(default_factory=dict)


def _field_tree(fields: Iterable[FieldSchema]) -> _Node:
    root = _Node()
    for definition in fields:
        node = root
        for part in definition.path:
            node = node.children.setdefault(part, _Node())
        node.kind = definition.kind
    return root


def _path_text(path: Sequence[str]) -> str:
    return ".".join(path).replace(".*", "[*]")


class _Builder:
    """Turns one table's field tree into models (nested objects become their own models)."""

    def __init__(self, table: TableSchema) -> None:
        self.table = table

    def resolve(
        self, kind: Kind | None, node: _Node | None, path: tuple[str, ...]
    ) -> tuple[PyType, bool]:
        """The Python type of a field and whether it may be absent (NONE)."""
        if kind is None:
            # No TYPE clause: an object if fields are defined under it, else any value.
            if node is not None and any(key != "*" for key in node.children):
                return StructRef(self.struct(node, path)), False
            return ANY, True
        members = kind.members if isinstance(kind, UnionKind) else (kind,)
        optional = NONE_KIND in members
        python_type = _union_type(
            self.resolve_one(member, node, path) for member in members if member != NONE_KIND
        )
        return python_type, optional or python_type == ANY

    def resolve_one(self, kind: Kind, node: _Node | None, path: tuple[str, ...]) -> PyType:
        if isinstance(kind, BasicKind):
            if kind.name == "object":
                if node is not None and any(key != "*" for key in node.children):
                    return StructRef(self.struct(node, path))
                return DictAny()
            if kind.name == "number":
                return _union_type([Scalar("int"), Scalar("float"), Scalar("Decimal")])
            return _BASIC_TYPES.get(kind.name, ANY)
        if isinstance(kind, RecordKind):
            return Scalar("RecordID")
        if isinstance(kind, GeometryKind):
            shapes = {_GEOMETRIES.get(shape) for shape in kind.shapes}
            if len(shapes) == 1 and None not in shapes:
                return Scalar(shapes.pop() or "Any")
            return ANY  # several geometry classes: msgspec cannot tell them apart in a union
        if isinstance(kind, FileKind):
            return Scalar("File")
        if isinstance(kind, ArrayKind):
            child = node.children.get("*") if node is not None else None
            item_kind = kind.item if kind.item is not None else (child.kind if child else None)
            item: PyType = ANY
            if item_kind is not None or child is not None:
                item, item_optional = self.resolve(item_kind, child, (*path, "*"))
                if item_optional:
                    item = _union_type([item, NONE_TYPE])
            return ListOf(item, unique=kind.unique and _hashable(item))
        if isinstance(kind, LiteralKind):
            literal_type = _LITERAL_TYPES.get(kind.type)
            return literal_type if literal_type is not None else LiteralOf((kind.value,))
        if isinstance(kind, ObjectLiteralKind):
            if not kind.fields:
                return DictAny()
            fields = []
            for name, field_kind in kind.fields:
                field_type, optional = self.resolve(field_kind, None, (*path, name))
                fields.append(FieldModel(name, field_type, optional))
            return StructRef(self.new_struct(path, tuple(fields)))
        if isinstance(kind, TupleLiteralKind):
            items = [self.resolve(item, None, (*path, "*")) for item in kind.items]
            return ListOf(
                _union_type(
                    _union_type([item, NONE_TYPE]) if optional else item for item, optional in items
                )
            )
        if isinstance(kind, UnionKind):
            python_type, optional = self.resolve(kind, node, path)
            return _union_type([python_type, NONE_TYPE]) if optional else python_type
        return ANY

    def struct(self, node: _Node, path: tuple[str, ...]) -> StructModel:
        fields = []
        for name in sorted(key for key in node.children if key != "*"):
            child = node.children[name]
            field_type, optional = self.resolve(child.kind, child, (*path, name))
            fields.append(FieldModel(name, field_type, optional))
        return self.new_struct(path, tuple(fields))

    def new_struct(self, path: tuple[str, ...], fields: tuple[FieldModel, ...]) -> StructModel:
        doc = f"The ``{_path_text(path)}`` object of a ``{self.table.name}`` record."
        return StructModel(key=(self.table.name, *path), doc=doc, fields=fields)

    def table_model(self) -> StructModel:
        table = self.table
        root = _field_tree(table.fields)
        fields = [FieldModel("id", Scalar("RecordID"))]
        special = ["id"]
        if table.relation is not None:
            special += ["in", "out"]
            for name in ("in", "out"):
                node = root.children.get(name)
                field_type, optional = (
                    self.resolve(node.kind, node, (name,)) if node else (Scalar("RecordID"), False)
                )
                fields.append(FieldModel(name, field_type, optional))
        for name in sorted(key for key in root.children if key not in special and key != "*"):
            node = root.children[name]
            field_type, optional = self.resolve(node.kind, node, (name,))
            fields.append(FieldModel(name, field_type, optional))
        kind = "relation" if table.relation is not None else "table"
        doc = f"A record of the ``{table.name}`` {kind}"
        if table.relation is not None:
            ins, outs = table.relation
            doc += f" ({' | '.join(ins) or 'any'} -> {' | '.join(outs) or 'any'})"
        doc += "."
        if table.comment:
            doc += "\n\n" + table.comment
        return StructModel(key=(table.name,), doc=doc, fields=tuple(fields))


_ROOT_TITLE: Final = "SurrealDBModelsRoot"
# Class names that the generated module (or datamodel-code-generator's) imports or that
# Python reserves: a table with such a name gets a "Model" suffix.
_RESERVED_NAMES: Final = frozenset(
    {"Any", "Literal", "Annotated", "Optional", "Union", "TypeAlias", "Struct", "Meta"}
    | {"UnsetType", "UNSET", "msgspec", "None", "True", "False", _ROOT_TITLE, *_CUSTOM_TYPES}
)


def _pascal(text: str) -> str:
    if text == "*":
        return "Item"
    parts = [part for part in re.split(r"[\W_]+", text) if part]
    return "".join(part[0].upper() + part[1:] for part in parts)


def _class_name(table: str, path: Sequence[str], taken: set[str]) -> str:
    base = _pascal(table) + "".join(map(_pascal, path))
    if not base or not base.isidentifier() or base[0].isdigit():
        base = "T" + base
    name = base
    if name in _RESERVED_NAMES or keyword.iskeyword(name):
        name = base + "Model"
    number = 2
    while name in taken or name in _RESERVED_NAMES:
        name = f"{base}{number}"
        number += 1
    taken.add(name)
    return name


def _nested_models(model: StructModel, seen: set[int]) -> list[StructModel]:
    """The models a model refers to, innermost first (each once), then the model itself."""
    ordered: list[StructModel] = []

    def visit(python_type: PyType) -> None:
        if isinstance(python_type, StructRef):
            if id(python_type.model) not in seen:
                ordered.extend(_nested_models(python_type.model, seen))
        elif isinstance(python_type, ListOf):
            visit(python_type.item)
        elif isinstance(python_type, UnionOf):
            for member in python_type.members:
                visit(member)

    seen.add(id(model))
    for model_field in model.fields:
        visit(model_field.type)
    ordered.append(model)
    return ordered


def build_models(tables: Iterable[TableSchema]) -> list[StructModel]:
    """One model per table and per nested object, in dependency order, with class names.

    Tables are sorted by name; each table's nested models come right before it. Table class
    names are the PascalCase table name (``works_at`` → ``WorksAt``); nested ones add the
    field path (``PersonAddress``, ``PersonPetsItem`` for ``pets[*]``).
    """
    table_models = [_Builder(table).table_model() for table in sorted(tables, key=_table_name)]
    taken: set[str] = set()
    for model in table_models:
        model.name = _class_name(model.key[0], (), taken)
    ordered: list[StructModel] = []
    seen: set[int] = set()
    for model in table_models:
        ordered.extend(_nested_models(model, seen))
    for model in ordered:
        if not model.name:
            model.name = _class_name(model.key[0], model.key[1:], taken)
    return ordered


def _table_name(table: TableSchema) -> str:
    return table.name


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------


def _type_schema(python_type: PyType) -> dict[str, Any]:
    if isinstance(python_type, Scalar):
        if python_type.name in _SCALAR_SCHEMAS:
            return dict(_SCALAR_SCHEMAS[python_type.name])
        module = _CUSTOM_TYPES[python_type.name]
        return {"customTypePath": f"{module}.{python_type.name}"}
    if isinstance(python_type, LiteralOf):
        return {"enum": list(python_type.values)}
    if isinstance(python_type, ListOf):
        schema: dict[str, Any] = {"type": "array", "items": _type_schema(python_type.item)}
        if python_type.unique:
            schema["uniqueItems"] = True
        return schema
    if isinstance(python_type, DictAny):
        return {"type": "object"}
    if isinstance(python_type, StructRef):
        return {"$ref": f"#/$defs/{python_type.model.name}"}
    if isinstance(python_type, UnionOf):
        return {"anyOf": [_type_schema(member) for member in python_type.members]}
    raise TypeError(f"unexpected type {python_type!r}")


def build_json_schema(models: Sequence[StructModel]) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) with one ``$defs`` entry per model.

    Our own types are named with ``customTypePath`` (``surrealdb.RecordID``,
    ``decimal.Decimal``...); a field that may be absent (``option<T>``) is not required and
    also accepts null.
    """
    definitions: dict[str, Any] = {}
    for model in models:
        properties: dict[str, Any] = {}
        for model_field in model.fields:
            python_type = model_field.type
            if model_field.optional and python_type != ANY:
                python_type = _union_type([python_type, NONE_TYPE])
            properties[model_field.name] = _type_schema(python_type)
        definitions[model.name] = {
            "type": "object",
            "properties": properties,
            "required": [item.name for item in model.fields if not item.optional],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": _ROOT_TITLE,
        "$defs": definitions,
    }


# --------------------------------------------------------------------------------------------
# datamodel-code-generator
# --------------------------------------------------------------------------------------------


def codegen_available() -> bool:
    """Whether datamodel-code-generator is installed (the `models` extra)."""
    return importlib.util.find_spec("datamodel_code_generator") is not None


def run_datamodel_codegen(schema: Mapping[str, Any]) -> str:
    """msgspec.Struct source for a JSON Schema, from datamodel-code-generator's Python API."""
    if not codegen_available():
        raise ModelGenerationError(f"datamodel-code-generator is not installed: {INSTALL_HINT}")
    codegen = importlib.import_module("datamodel_code_generator")
    with tempfile.TemporaryDirectory(prefix="surrealdb-models-") as directory:
        output = Path(directory) / "models.py"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                codegen.generate(
                    json.dumps(schema, ensure_ascii=False),
                    input_file_type=codegen.InputFileType.JsonSchema,
                    input_filename="schema.json",
                    output=output,
                    output_model_type=codegen.DataModelType.MsgspecStruct,
                    target_python_version=codegen.PythonVersion.PY_311,
                    disable_timestamp=True,
                    use_standard_collections=True,
                    use_union_operator=True,
                    use_double_quotes=True,
                    use_unique_items_as_set=True,
                    enum_field_as_literal=codegen.LiteralType.All,
                    keep_model_order=True,
                )
            except Exception as exc:  # the generator's own errors, whatever their class
                raise ModelGenerationError(f"datamodel-code-generator failed: {exc}") from exc
        return output.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Post-processing
# --------------------------------------------------------------------------------------------

_BUILTIN_NAMES: Final = frozenset({"str", "int", "float", "bool", "bytes", "list", "set", "dict"})
_TYPING_NAMES: Final = frozenset({"Any", "Literal"})
_BARE_GENERICS: Final = {"list": 1, "set": 1, "frozenset": 1, "dict": 2}


def _name(node: ast.expr) -> str | None:
    """``Name`` or dotted ``Attribute`` text, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _name(node.value)
        return f"{owner}.{node.attr}" if owner else None
    return None


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    if isinstance(node, ast.Subscript):
        base = (_name(node.value) or "").rsplit(".", 1)[-1]
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "Optional":
            return [*_union_members(items[0]), ast.Constant(None)]
        if base == "Union":
            return [member for item in items for member in _union_members(item)]
    return [node]


def _join_union(members: Sequence[ast.expr]) -> ast.expr:
    result = members[0]
    for member in members[1:]:
        result = ast.BinOp(left=result, op=ast.BitOr(), right=member)
    return result


def _clean_annotation(node: ast.expr, extra_none: bool = False) -> ast.expr:
    """The generator's annotation in our style: ``X | None`` unions without ``UnsetType``,
    no ``Annotated``/``Optional``, parametrised ``list``/``dict``, our types by plain name."""
    members: list[ast.expr] = []
    seen: set[str] = set()
    for member in _union_members(node):
        cleaned = _clean_member(member)
        if cleaned is None:
            continue
        dumped = ast.dump(cleaned)
        if dumped not in seen:
            seen.add(dumped)
            members.append(cleaned)
    if any(_name(member) == "Any" for member in members):
        return ast.Name("Any")
    is_none = [isinstance(member, ast.Constant) and member.value is None for member in members]
    if extra_none and not any(is_none):
        members.append(ast.Constant(None))
    if not members:
        return ast.Name("Any")
    return _join_union(members)


def _clean_member(node: ast.expr) -> ast.expr | None:
    name = _name(node)
    if name is not None:
        short = name.rsplit(".", 1)[-1]
        if short == "UnsetType":
            return None
        if short in _BARE_GENERICS:
            args: list[ast.expr] = [ast.Name("Any")]
            if _BARE_GENERICS[short] == 2:
                args = [ast.Name("str"), ast.Name("Any")]
            return ast.Subscript(ast.Name(short), _slice(args))
        return ast.Name(short) if short in _CUSTOM_TYPES or short in _TYPING_NAMES else node
    if isinstance(node, ast.Subscript):
        base = (_name(node.value) or "").rsplit(".", 1)[-1]
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "Annotated":
            return _clean_member(items[0])
        if base == "Literal":
            return ast.Subscript(ast.Name("Literal"), node.slice)
        if base in _BARE_GENERICS:
            args = [_clean_annotation(item) for item in items]
            return ast.Subscript(ast.Name(base), _slice(args))
    return node


def _slice(items: Sequence[ast.expr]) -> ast.expr:
    return items[0] if len(items) == 1 else ast.Tuple(list(items))


def _check_names(annotation: ast.expr, allowed: set[str], where: str) -> set[str]:
    """The names an annotation uses; each must be known (a safety net for generator changes)."""
    used: set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Attribute):
            raise ModelGenerationError(f"{where}: unexpected {ast.unparse(node)!r} in annotation")
        if isinstance(node, ast.Name):
            if node.id not in allowed:
                raise ModelGenerationError(f"{where}: unexpected name {node.id!r} in annotation")
            used.add(node.id)
    return used


class _Unalias(ast.NodeTransformer):
    """Replace imported aliases (``str_aliased``) by the names they stand for."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = aliases

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.aliases.get(node.id, node.id))


def _wire_name(statement: ast.AnnAssign) -> str:
    """The field's name in the data: ``field(name="in")``'s name, else the attribute."""
    assert isinstance(statement.target, ast.Name)
    value = statement.value
    if isinstance(value, ast.Call):
        for argument in value.keywords:
            if argument.arg == "name" and isinstance(argument.value, ast.Constant):
                return str(argument.value.value)
    return statement.target.id


def _docstring(text: str, indent: str) -> str:
    """A safe docstring for text from the database (escaped, never closing early)."""
    escaped: list[str] = []
    for char in text.strip():
        if char == "\\":
            escaped.append("\\\\")
        elif char == '"':
            escaped.append('\\"')
        elif char == "\n":
            escaped.append("\n")
        elif not char.isprintable():
            escaped.append(char.encode("unicode_escape").decode("ascii"))
        else:
            escaped.append(char)
    body = "".join(escaped)
    lines = [line.rstrip() for line in body.split("\n")]
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    inner = "\n".join(f"{indent}{line}" if line else "" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{inner}\n{indent}"""'


def header_lines(namespace: str, database: str) -> list[str]:
    """The first lines of a generated module (no timestamp: reruns are byte-identical)."""
    return [
        f"# Generated by `python -m surrealdb models` from namespace {namespace!r},"
        f" database {database!r}.",
        "# Do not edit: rerun the command after a schema change to update this file.",
    ]


def postprocess(
    generated: str, models: Sequence[StructModel], *, namespace: str, database: str
) -> str:
    """Rewrite the generator's module into ours: one class per model, in ``models`` order.

    Keeps each field's attribute name (``in_`` with ``msgspec.field(name="in")``) and type
    from the generated code, with our header and imports, ``kw_only`` Structs, plain
    ``X | None`` unions and ``= None`` defaults exactly for the fields that may be absent.
    """
    try:
        tree = ast.parse(generated)
    except SyntaxError as exc:
        raise ModelGenerationError(
            f"datamodel-code-generator produced invalid code: {exc}"
        ) from exc
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    # Newer generators import `str as str_aliased` when a field is named `str`: undo that.
    aliases = {
        alias.asname: alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname
    }
    model_names = {model.name for model in models}
    allowed = set(_BUILTIN_NAMES | _TYPING_NAMES | set(_CUSTOM_TYPES) | model_names)
    used: set[str] = set()
    blocks: list[str] = []
    for model in models:
        generated_class = classes.get(model.name)
        if generated_class is None:
            raise ModelGenerationError(
                f"datamodel-code-generator did not generate a class {model.name}"
            )
        generated_fields: dict[str, tuple[str, ast.expr]] = {}
        for statement in generated_class.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                generated_fields[_wire_name(statement)] = (
                    statement.target.id,
                    statement.annotation,
                )
        lines = [
            f"class {model.name}(msgspec.Struct, kw_only=True):",
            _docstring(model.doc, "    "),
            "",
        ]
        attributes: set[str] = set()
        for model_field in model.fields:
            where = f"{model.name}.{model_field.name}"
            if model_field.name not in generated_fields:
                raise ModelGenerationError(f"datamodel-code-generator left out {where}")
            attribute, annotation = generated_fields[model_field.name]
            if not attribute.isidentifier() or keyword.iskeyword(attribute):
                raise ModelGenerationError(f"{where}: invalid attribute name {attribute!r}")
            # A field named like a type (or msgspec) would hide it in the class body.
            while attribute in allowed or attribute == "msgspec" or attribute in attributes:
                attribute += "_"
            attributes.add(attribute)
            cleaned = _clean_annotation(
                _Unalias(aliases).visit(annotation), extra_none=model_field.optional
            )
            used |= _check_names(cleaned, allowed, where)
            line = f"    {attribute}: {ast.unparse(cleaned)}"
            if attribute != model_field.name:
                default = ", default=None" if model_field.optional else ""
                line += f" = msgspec.field(name={model_field.name!r}{default})"
            elif model_field.optional:
                line += " = None"
            lines.append(line)
        blocks.append("\n".join(lines))
    return (
        "\n".join(
            [*header_lines(namespace, database), "", *_imports(used), "", "", "\n\n\n".join(blocks)]
        )
        + "\n"
    )


def _imports(used: set[str]) -> list[str]:
    """Import lines for the names the annotations use, grouped and sorted like isort."""
    stdlib: dict[str, list[str]] = {}
    surreal: list[str] = []
    for name in sorted(used):
        if name in _TYPING_NAMES:
            stdlib.setdefault("typing", []).append(name)
        elif _CUSTOM_TYPES.get(name) == "surrealdb":
            surreal.append(name)
        elif name in _CUSTOM_TYPES:
            stdlib.setdefault(_CUSTOM_TYPES[name], []).append(name)
    lines = [f"from {module} import {', '.join(names)}" for module, names in sorted(stdlib.items())]
    if lines:
        lines.append("")
    lines.append("import msgspec")
    if surreal:
        lines.append(f"from surrealdb import {', '.join(surreal)}")
    return lines


# --------------------------------------------------------------------------------------------
# Formatting and the whole pipeline
# --------------------------------------------------------------------------------------------


def _ruff_command() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    path = shutil.which("ruff")
    return [path] if path else None


def _run_filter(command: list[str], text: str) -> str:
    """Pipe text through a formatter; on any failure keep the text as it was."""
    try:
        completed = subprocess.run(
            command, input=text, capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return text
    if completed.returncode != 0 or not completed.stdout.strip():
        return text
    return completed.stdout


def format_source(text: str, filename: str | None = None) -> str:
    """Sort imports and format with ruff (with the settings that apply to ``filename``), or
    with black (a dependency of datamodel-code-generator) when ruff is not installed."""
    ruff = _ruff_command()
    if ruff is not None:
        stdin_name = filename or "models.py"
        stdin = ["--stdin-filename", stdin_name, "-"]
        text = _run_filter(
            [*ruff, "check", "--fix", "--select", "I", "--exit-zero", "--quiet", *stdin], text
        )
        return _run_filter([*ruff, "format", "--quiet", *stdin], text)
    if importlib.util.find_spec("black") is not None:
        black = importlib.import_module("black")
        formatted: str = black.format_str(text, mode=black.Mode())
        return formatted
    return text


def generate_source(
    tables: Iterable[TableSchema],
    *,
    namespace: str,
    database: str,
    filename: str | None = None,
) -> str:
    """The whole pipeline after reading: tables → the text of the models module."""
    models = build_models(tables)
    if not models:
        raise ModelGenerationError("no tables to generate models for")
    generated = run_datamodel_codegen(build_json_schema(models))
    text = postprocess(generated, models, namespace=namespace, database=database)
    return format_source(text, filename)


# --------------------------------------------------------------------------------------------
# The command: python -m surrealdb models
# --------------------------------------------------------------------------------------------


def _sign_in(
    connection: BlockingSurrealConnection,
    username: str,
    password: str,
    namespace: str,
    database: str,
) -> None:
    """Sign in as a root user, else a namespace user, else a database user."""
    scopes: list[dict[str, str]] = [
        {},
        {"namespace": namespace},
        {"namespace": namespace, "database": database},
    ]
    for index, scope in enumerate(scopes):
        try:
            connection.signin({"username": username, "password": password, **scope})
            return
        except AuthenticationError:
            if index == len(scopes) - 1:
                raise


def _write_if_changed(path: Path, text: str) -> bool:
    """Write text to path (atomically) unless it already holds exactly that; True if written."""
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(text.encode("utf-8"))
    os.replace(temporary, path)
    return True


def run_models_command(
    *,
    url: str,
    namespace: str,
    database: str,
    output: str | None = None,
    check: bool = False,
    username: str | None = None,
    password: str | None = None,
    tables: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """`python -m surrealdb models`: read the schema, generate, write. Returns the exit code.

    0: done (with `check`: the file is up to date); 1: the database or the generation failed
    (with `check`: the file differs, and the diff is printed); 2: bad usage, or
    datamodel-code-generator is not installed. The password is never printed.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if check and output is None:
        print("--check compares with a file: give it with -o FILE", file=err)
        return 2
    if not codegen_available():
        print(
            "python -m surrealdb models needs datamodel-code-generator; install it with:\n"
            f"    {INSTALL_HINT}",
            file=err,
        )
        return 2
    if (username is None) != (password is None):
        print(
            "give both --username and --password (or SURREALDB_USER and SURREALDB_PASS)",
            file=err,
        )
        return 2
    try:
        embedded = parse_url(url).kind == "embedded"
        with Surreal(url) as connection:
            if username is not None and password is not None and not embedded:
                _sign_in(connection, username, password, namespace, database)
            connection.use(namespace, database)
            read = read_schema(connection, tables)
    except (SurrealError, ModelGenerationError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=err)
        return 1
    for problem in read.problems:
        print(f"warning: {problem}", file=err)
    if not read.tables:
        hint = "" if username is not None or embedded else " (not signed in: see --username)"
        print(
            f"error: no SCHEMAFULL tables in namespace {namespace!r}, database {database!r}"
            f"{hint}; nothing to generate",
            file=err,
        )
        return 1
    try:
        text = generate_source(read.tables, namespace=namespace, database=database, filename=output)
    except ModelGenerationError as exc:
        print(f"error: {exc}", file=err)
        return 1
    names = ", ".join(table.name for table in read.tables)
    if check and output is not None:
        return _check_models(Path(output), text, names, out, err)
    if output is None:
        out.write(text)
        return 0
    try:
        written = _write_if_changed(Path(output), text)
    except OSError as exc:
        print(f"error: cannot write {output}: {exc}", file=err)
        return 1
    state = "wrote" if written else "unchanged:"
    print(f"{state} {output} (tables: {names})", file=err)
    return 0


def _check_models(path: Path, text: str, names: str, out: TextIO, err: TextIO) -> int:
    """`--check`: 0 when the file holds exactly `text`; else print the diff and return 1."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    except OSError as exc:
        print(f"error: cannot read {path}: {exc}", file=err)
        return 1
    if current == text:
        print(f"up to date: {path} (tables: {names})", file=err)
        return 0
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        text.splitlines(keepends=True),
        fromfile=f"{path} (committed)",
        tofile=f"{path} (from the schema)",
    )
    out.writelines(diff)
    print(
        f"out of date: {path} does not match the database's schema (tables: {names}); "
        "rerun without --check to update it",
        file=err,
    )
    return 1
