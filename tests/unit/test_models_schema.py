"""`python -m surrealdb models` without a server: the SurrealQL type parser, the models built
from (recorded) INFO ... STRUCTURE output, the JSON Schema, and the post-processing."""

from __future__ import annotations

import ast
import importlib.util
import sys
import typing
import uuid
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import msgspec
import pytest

from surrealdb import Datetime, Duration, GeometryPoint, GeometryPolygon, RecordID
from surrealdb.__main__ import main
from surrealdb.models import (
    INSTALL_HINT,
    ArrayKind,
    BasicKind,
    DictAny,
    FieldModel,
    FieldSchema,
    GeometryKind,
    Kind,
    KindSyntaxError,
    ListOf,
    LiteralKind,
    LiteralOf,
    ModelGenerationError,
    ObjectLiteralKind,
    PyType,
    RecordKind,
    Scalar,
    StructModel,
    StructRef,
    TableSchema,
    TupleLiteralKind,
    UnionKind,
    UnionOf,
    build_json_schema,
    build_models,
    generate_source,
    parse_field_path,
    parse_kind,
    postprocess,
    run_datamodel_codegen,
    tables_from_structure,
)

STRING = BasicKind("string")
INT = BasicKind("int")
NONE = BasicKind("none")

# --------------------------------------------------------------------------------------------
# The kind parser
# --------------------------------------------------------------------------------------------

PARSED: list[tuple[str, Kind]] = [
    ("string", STRING),
    ("  int ", INT),
    ("none | string", UnionKind((NONE, STRING))),
    ("option<string>", UnionKind((NONE, STRING))),
    ("option<none | string>", UnionKind((NONE, STRING))),
    ("array", ArrayKind()),
    ("array<string>", ArrayKind(STRING)),
    ("array<int, 3>", ArrayKind(INT, 3)),
    ("set<string>", ArrayKind(STRING, unique=True)),
    ("set<int, 5>", ArrayKind(INT, 5, unique=True)),
    ("array<none | string>", ArrayKind(UnionKind((NONE, STRING)))),
    ("array<array<int>>", ArrayKind(ArrayKind(INT))),
    ("record", RecordKind()),
    ("record<person>", RecordKind(("person",))),
    ("record<person | company>", RecordKind(("person", "company"))),
    ("record<`weird-table`>", RecordKind(("weird-table",))),
    ("none | array<record<t>>", UnionKind((NONE, ArrayKind(RecordKind(("t",)))))),
    ("geometry", GeometryKind()),
    ("geometry<point | Polygon>", GeometryKind(("point", "polygon"))),
    ("either<string, int>", UnionKind((STRING, INT))),
    ("(string | int)", UnionKind((STRING, INT))),
    (
        "'active' | 'inactive'",
        UnionKind((LiteralKind("active", "string"), LiteralKind("inactive", "string"))),
    ),
    (
        "\"it's\" | 'a\"b' | 'x\\\\y' | '\\u00e9'",
        UnionKind(
            (
                LiteralKind("it's", "string"),
                LiteralKind('a"b', "string"),
                LiteralKind("x\\y", "string"),
                LiteralKind("é", "string"),
            )
        ),
    ),
    (
        "-1 |  2.5f |  3dec | true | 1e3",
        UnionKind(
            (
                LiteralKind(-1, "int"),
                LiteralKind("2.5", "float"),
                LiteralKind("3", "decimal"),
                LiteralKind(True, "bool"),
                LiteralKind("1e3", "float"),
            )
        ),
    ),
    ("1d | 'x'", UnionKind((LiteralKind("1d", "duration"), LiteralKind("x", "string")))),
    ("1h30m", LiteralKind("1h30m", "duration")),
    ("d'2024-01-01T00:00:00Z'", LiteralKind("2024-01-01T00:00:00Z", "datetime")),
    ("{}", ObjectLiteralKind(())),
    (
        '{ "x-y": string, z: none | int, }',
        ObjectLiteralKind((("x-y", STRING), ("z", UnionKind((NONE, INT))))),
    ),
    (
        "{ a: { b: string }, c: array<int> } | { d: bool }",
        UnionKind(
            (
                ObjectLiteralKind(
                    (("a", ObjectLiteralKind((("b", STRING),))), ("c", ArrayKind(INT)))
                ),
                ObjectLiteralKind((("d", BasicKind("bool")),)),
            )
        ),
    ),
    ("[string, int]", TupleLiteralKind((STRING, INT))),
    ("array<{ name: string }>", ArrayKind(ObjectLiteralKind((("name", STRING),)))),
    ("future<int>", BasicKind("future")),  # unknown types are kept by name (then typed Any)
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[text for text, _ in PARSED])
def test_parse_kind(text: str, expected: Kind) -> None:
    assert parse_kind(text) == expected


@pytest.mark.parametrize(
    "text", ["", "array<", "record<>", "'unterminated", "string |", "array<int, x>", "{ a }", "%"]
)
def test_parse_kind_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(KindSyntaxError, match="invalid SurrealQL type"):
        parse_kind(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name", ("name",)),
        ("address.city", ("address", "city")),
        ("pets.*.name", ("pets", "*", "name")),
        ("tags[*]", ("tags", "*")),
        ("pets[*].name", ("pets", "*", "name")),
        ("`first-name`", ("first-name",)),
        ("`a b`.c", ("a b", "c")),
        ("⟨a b⟩.*", ("a b", "*")),
    ],
)
def test_parse_field_path(text: str, expected: tuple[str, ...]) -> None:
    assert parse_field_path(text) == expected


def test_parse_field_path_rejects_indexes() -> None:
    with pytest.raises(KindSyntaxError):
        parse_field_path("tags[0]")


# --------------------------------------------------------------------------------------------
# Reading INFO ... STRUCTURE (recorded from SurrealDB 3.0.2, permissions trimmed)
# --------------------------------------------------------------------------------------------

DB_INFO: dict[str, Any] = {
    "accesses": [],
    "analyzers": [],
    "functions": [],
    "params": [],
    "users": [],
    "tables": [
        {
            "drop": False,
            "id": 1,
            "kind": {"kind": "NORMAL"},
            "name": "company",
            "permissions": {"create": False, "delete": False, "select": False, "update": False},
            "schemafull": True,
        },
        {"drop": False, "id": 3, "kind": {"kind": "ANY"}, "name": "loose", "schemafull": False},
        {
            "comment": "People we know",
            "drop": False,
            "id": 0,
            "kind": {"kind": "NORMAL"},
            "name": "person",
            "schemafull": True,
        },
        {
            "drop": False,
            "id": 2,
            "kind": {"enforced": False, "in": ["person"], "kind": "RELATION", "out": ["company"]},
            "name": "works_at",
            "schemafull": True,
        },
    ],
}


def _fields(*items: tuple[str, str | None]) -> dict[str, Any]:
    fields: list[dict[str, Any]] = []
    for name, kind in items:
        entry: dict[str, Any] = {
            "name": name,
            "permissions": {"create": True, "select": True, "update": True},
            "readonly": False,
        }
        if kind is not None:
            entry["kind"] = kind
        fields.append(entry)
    return {"events": [], "fields": fields, "indexes": [], "lives": [], "tables": []}


TABLE_INFOS: dict[str, dict[str, Any]] = {
    "company": _fields(("name", "string")),
    "loose": _fields(("x", "int")),
    "person": _fields(
        ("`first-name`", "none | string"),
        ("active", "bool"),
        ("address", "object"),
        ("address.city", "string"),
        ("address.zip", "none | string"),
        ("age", "int"),
        ("balance", "decimal"),
        ("born", "datetime"),
        ("friend", "none | record<person>"),
        ("geo", "none | geometry<point>"),
        ("labels", "set<string>"),
        ("labels.*", "string"),
        ("level", "1 | 2 | 3"),
        ("lit", "{ a: string, b: none | int }"),
        ("meta", "any"),
        ("mixed", "string | int"),
        ("n", "number"),
        ("name", "string"),
        ("nick", "none | string"),
        ("obj", "object"),
        ("owner", "record<person | company>"),
        ("pets", "array<object>"),
        ("pets.*", "object"),
        ("pets.*.name", "string"),
        ("score", "float"),
        ("scores", "array<int, 3>"),
        ("scores.*", "int"),
        ("status", "'active' | 'inactive'"),
        ("tags", "array<string>"),
        ("tags.*", "string"),
        ("tenure", "duration"),
        ("token", "uuid"),
        ("untyped", None),
        ("weird", "\"it's\" | 'a\"b' | 'x\\\\y'"),
    ),
    "works_at": _fields(
        ("in", "record<person>"), ("out", "record<company>"), ("since", "datetime")
    ),
}
TABLE_INFOS["person"]["fields"][19]["flexible"] = True  # obj: TYPE object FLEXIBLE


def test_tables_from_structure_keeps_schemafull_tables() -> None:
    read = tables_from_structure(DB_INFO, TABLE_INFOS)
    assert [table.name for table in read.tables] == ["company", "person", "works_at"]
    assert read.problems == ()
    person = read.tables[1]
    assert person.schemafull and person.comment == "People we know" and person.relation is None
    assert person.fields[0] == FieldSchema(("active",), BasicKind("bool"))
    by_path = {item.path: item for item in person.fields}
    assert by_path[("first-name",)].kind == UnionKind((NONE, STRING))
    assert by_path[("pets", "*", "name")].kind == STRING
    assert by_path[("obj",)].flexible
    assert by_path[("untyped",)].kind is None
    assert read.tables[2].relation == (("person",), ("company",))


def test_tables_from_structure_with_only() -> None:
    read = tables_from_structure(DB_INFO, TABLE_INFOS, only=["loose", "company"])
    assert [(table.name, table.schemafull) for table in read.tables] == [
        ("company", True),
        ("loose", False),
    ]
    with pytest.raises(ModelGenerationError, match="no such table: nope"):
        tables_from_structure(DB_INFO, TABLE_INFOS, only=["nope"])


def test_unreadable_definitions_become_problems() -> None:
    infos = {"company": _fields(("name", "string<<"), ("tags[0]", "string"))}
    read = tables_from_structure(DB_INFO, infos, only=["company"])
    assert read.tables[0].fields == (FieldSchema(("name",), BasicKind("any")),)
    assert len(read.problems) == 2
    assert "company.name: typed as Any" in read.problems[0]
    assert "company.tags[0]: skipped" in read.problems[1]


# --------------------------------------------------------------------------------------------
# Models: Python types that msgspec can decode
# --------------------------------------------------------------------------------------------

ANY = Scalar("Any")


def _models() -> dict[str, StructModel]:
    return {
        model.name: model
        for model in build_models(tables_from_structure(DB_INFO, TABLE_INFOS).tables)
    }


def _field(model: StructModel, name: str) -> FieldModel:
    return next(item for item in model.fields if item.name == name)


def test_build_models_names_and_order() -> None:
    models = build_models(tables_from_structure(DB_INFO, TABLE_INFOS).tables)
    assert [model.name for model in models] == [
        "Company",
        "PersonAddress",
        "PersonLit",
        "PersonPetsItem",
        "Person",
        "WorksAt",
    ]
    person = models[4]
    assert person.key == ("person",)
    assert person.doc == "A record of the ``person`` table.\n\nPeople we know"
    assert [item.name for item in person.fields][:3] == ["id", "active", "address"]
    assert [item.name for item in models[5].fields] == ["id", "in", "out", "since"]
    assert models[5].doc == "A record of the ``works_at`` relation (person -> company)."


def test_build_models_types() -> None:
    models = _models()
    person = models["Person"]
    expected: dict[str, tuple[PyType, bool]] = {
        "id": (Scalar("RecordID"), False),
        "first-name": (Scalar("str"), True),
        "active": (Scalar("bool"), False),
        "address": (StructRef(models["PersonAddress"]), False),
        "balance": (Scalar("Decimal"), False),
        "born": (Scalar("Datetime"), False),
        "friend": (Scalar("RecordID"), True),
        "geo": (Scalar("GeometryPoint"), True),
        "labels": (ListOf(Scalar("str"), unique=True), False),
        "level": (LiteralOf((1, 2, 3)), False),
        "lit": (StructRef(models["PersonLit"]), False),
        "meta": (ANY, True),
        "mixed": (UnionOf((Scalar("str"), Scalar("int"))), False),
        "n": (UnionOf((Scalar("int"), Scalar("float"), Scalar("Decimal"))), False),
        "obj": (DictAny(), False),
        "owner": (Scalar("RecordID"), False),
        "pets": (ListOf(StructRef(models["PersonPetsItem"])), False),
        "score": (Scalar("float"), False),
        "scores": (ListOf(Scalar("int")), False),
        "status": (LiteralOf(("active", "inactive")), False),
        "tenure": (Scalar("Duration"), False),
        "token": (Scalar("UUID"), False),
        "untyped": (ANY, True),
        "weird": (LiteralOf(("it's", 'a"b', "x\\y")), False),
    }
    for name, (python_type, optional) in expected.items():
        assert (_field(person, name).type, _field(person, name).optional) == (
            python_type,
            optional,
        ), name
    assert models["PersonAddress"].fields == (
        FieldModel("city", Scalar("str")),
        FieldModel("zip", Scalar("str"), optional=True),
    )
    assert models["PersonLit"].fields == (
        FieldModel("a", Scalar("str")),
        FieldModel("b", Scalar("int"), optional=True),
    )


def _type_of(kind: str) -> tuple[PyType, bool]:
    table = TableSchema("t", True, (FieldSchema(("f",), parse_kind(kind)),))
    model = build_models([table])[-1]
    return model.fields[1].type, model.fields[1].optional


STR, INT_T, NONE_T = Scalar("str"), Scalar("int"), Scalar("None")

RESOLVED: list[tuple[str, PyType, bool]] = [
    ("string | int", UnionOf((STR, INT_T)), False),
    ("'a' | 'b' | string", STR, False),
    ("1 | 2 | int", INT_T, False),
    ("'a' | 1", LiteralOf(("a", 1)), False),
    ("true | false", LiteralOf((True, False)), False),
    ("bool | true", Scalar("bool"), False),
    ("array<string> | array<int>", ListOf(UnionOf((STR, INT_T))), False),
    ("set<object>", ListOf(DictAny()), False),
    ("set<record<a>>", ListOf(Scalar("RecordID"), unique=True), False),
    ("none | record<a>", Scalar("RecordID"), True),
    ("null | record<a>", UnionOf((NONE_T, Scalar("RecordID"))), False),
    ("2.5f | 3dec", UnionOf((Scalar("float"), Scalar("Decimal"))), False),
    ("1d | 'x'", UnionOf((Scalar("Duration"), LiteralOf(("x",)))), False),
    ("geometry<polygon>", Scalar("GeometryPolygon"), False),
    ("object | string", UnionOf((DictAny(), STR)), False),
    ("array<none | string>", ListOf(UnionOf((STR, NONE_T))), False),
    ("[string, int]", ListOf(UnionOf((STR, INT_T))), False),
    ("array", ListOf(ANY), False),
    ("any", ANY, True),
    ("none | any", ANY, True),
    ("regex", ANY, True),
    # Unions msgspec cannot decode become Any (see test_degraded_unions_are_invalid_in_msgspec)
    ("record<a> | string", ANY, True),
    ("datetime | duration", ANY, True),
    ("string | uuid", ANY, True),
    ("string | decimal", ANY, True),
    ("geometry", ANY, True),
    ("{ a: string } | { b: int }", ANY, True),
]


@pytest.mark.parametrize(
    ("kind", "python_type", "optional"), RESOLVED, ids=[kind for kind, *_ in RESOLVED]
)
def test_kind_to_python_type(kind: str, python_type: PyType, optional: bool) -> None:
    assert _type_of(kind) == (python_type, optional)


_REAL_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "bytes": bytes,
    "None": None,
    "Any": Any,
    "Decimal": Decimal,
    "UUID": uuid.UUID,
    "RecordID": RecordID,
    "Datetime": Datetime,
    "Duration": Duration,
    "GeometryPoint": GeometryPoint,
    "GeometryPolygon": GeometryPolygon,
}


def _real_type(python_type: PyType) -> Any:
    """The Python type a PyType stands for, to ask msgspec itself whether it accepts it."""
    if isinstance(python_type, Scalar):
        return _REAL_TYPES[python_type.name]
    if isinstance(python_type, LiteralOf):
        return Literal.__getitem__(python_type.values)
    if isinstance(python_type, ListOf):
        item = _real_type(python_type.item)
        return set[item] if python_type.unique else list[item]  # type: ignore[valid-type]
    if isinstance(python_type, DictAny):
        return dict[str, Any]
    if isinstance(python_type, StructRef):
        return msgspec.defstruct(python_type.model.name or "Nested", [])
    if isinstance(python_type, UnionOf):
        return typing.Union.__getitem__(tuple(map(_real_type, python_type.members)))
    raise AssertionError(python_type)


def _msgspec_accepts(python_type: Any) -> bool:
    try:
        msgspec.convert(object(), python_type, strict=False)
    except TypeError:
        return False
    except msgspec.ValidationError:
        return True
    return True


@pytest.mark.parametrize(
    "kind", [kind for kind, *_ in RESOLVED] + [text for text, _ in PARSED if "future" not in text]
)
def test_every_resolved_type_is_valid_for_msgspec(kind: str) -> None:
    python_type, _ = _type_of(kind)
    assert _msgspec_accepts(_real_type(python_type))


@pytest.mark.parametrize(
    "union",
    [
        RecordID | str,
        Datetime | Duration,
        str | uuid.UUID,
        str | Decimal,
        GeometryPoint | GeometryPolygon,
        msgspec.defstruct("A", [("a", str)]) | msgspec.defstruct("B", [("b", int)]),
    ],
)
def test_degraded_unions_are_invalid_in_msgspec(union: Any) -> None:
    assert not _msgspec_accepts(union)


def test_class_names_avoid_collisions_and_reserved_names() -> None:
    tables = [
        TableSchema("person_address", True),
        TableSchema("person", True, (FieldSchema(("address",), parse_kind("{ city: string }")),)),
        TableSchema("datetime", True),
        TableSchema("1st", True),
        TableSchema("any", True),
    ]
    names = [model.name for model in build_models(tables)]
    assert names == [
        "T1st",
        "AnyModel",
        "DatetimeModel",
        "PersonAddress2",
        "Person",
        "PersonAddress",
    ]


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------


def test_build_json_schema() -> None:
    models = build_models(tables_from_structure(DB_INFO, TABLE_INFOS).tables)
    schema = build_json_schema(models)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(schema["$defs"]) == [model.name for model in models]
    person = schema["$defs"]["Person"]
    properties = person["properties"]
    assert properties["id"] == {"customTypePath": "surrealdb.RecordID"}
    assert properties["born"] == {"customTypePath": "surrealdb.Datetime"}
    assert properties["tenure"] == {"customTypePath": "surrealdb.Duration"}
    assert properties["balance"] == {"customTypePath": "decimal.Decimal"}
    assert properties["token"] == {"customTypePath": "uuid.UUID"}
    assert properties["friend"] == {
        "anyOf": [{"customTypePath": "surrealdb.RecordID"}, {"type": "null"}]
    }
    assert properties["labels"] == {
        "type": "array",
        "items": {"type": "string"},
        "uniqueItems": True,
    }
    assert properties["pets"] == {"type": "array", "items": {"$ref": "#/$defs/PersonPetsItem"}}
    assert properties["status"] == {"enum": ["active", "inactive"]}
    assert properties["meta"] == {}
    assert properties["obj"] == {"type": "object"}
    assert "friend" not in person["required"] and "meta" not in person["required"]
    assert "id" in person["required"] and "address" in person["required"]


# --------------------------------------------------------------------------------------------
# Post-processing the generator's output
# --------------------------------------------------------------------------------------------

# What datamodel-code-generator writes, in the styles of its different versions.
GENERATED = """\
# generated by datamodel-codegen:
#   filename:  schema.json

from __future__ import annotations

from typing import Annotated, Any, Optional, TypeAlias, Union

from msgspec import UNSET, Meta, Struct, UnsetType, field
from surrealdb import Datetime, RecordID

Model: TypeAlias = Any


class Thing(Struct):
    id: RecordID
    in_: RecordID = field(name="in")
    tags: list
    meta: dict
    size: Annotated[int, Meta(ge=0)]
    when: Optional[Datetime] = None
    part: ThingPart | UnsetType = UNSET
    alias_: Union[str, int, None] | UnsetType = field(name="alias", default=UNSET)
    anything: Any | UnsetType = UNSET


class ThingPart(Struct):
    x: int | None | UnsetType = UNSET
"""

POSTPROCESSED = '''\
# Generated by `python -m surrealdb models` from namespace 'app', database 'main'.
# Do not edit: rerun the command after a schema change to update this file.

from typing import Any

import msgspec
from surrealdb import Datetime, RecordID


class ThingPart(msgspec.Struct, kw_only=True):
    """The ``part`` object of a ``thing`` record."""

    x: int | None = None


class Thing(msgspec.Struct, kw_only=True):
    """A record of the ``thing`` table.

    Say \\"hi\\" \\\\o/
    """

    id: RecordID
    in_: RecordID = msgspec.field(name='in')
    tags: list[Any]
    meta: dict[str, Any]
    size: int
    when: Datetime | None
    part: ThingPart | None = None
    alias_: str | int | None = msgspec.field(name='alias', default=None)
    anything: Any = None
'''


def _thing_models() -> list[StructModel]:
    part = StructModel(
        ("thing", "part"),
        "The ``part`` object of a ``thing`` record.",
        (FieldModel("x", Scalar("int"), optional=True),),
        name="ThingPart",
    )
    thing = StructModel(
        ("thing",),
        'A record of the ``thing`` table.\n\nSay "hi" \\o/',
        (
            FieldModel("id", Scalar("RecordID")),
            FieldModel("in", Scalar("RecordID")),
            FieldModel("tags", ListOf(ANY)),
            FieldModel("meta", DictAny()),
            FieldModel("size", Scalar("int")),
            FieldModel("when", UnionOf((Scalar("Datetime"), NONE_T))),
            FieldModel("part", StructRef(part), optional=True),
            FieldModel("alias", UnionOf((STR, INT_T, NONE_T)), optional=True),
            FieldModel("anything", ANY, optional=True),
        ),
        name="Thing",
    )
    return [part, thing]


def test_postprocess() -> None:
    text = postprocess(GENERATED, _thing_models(), namespace="app", database="main")
    assert text == POSTPROCESSED
    module = ast.parse(text)
    docstring = ast.get_docstring(
        next(n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "Thing")
    )
    assert docstring == 'A record of the ``thing`` table.\n\nSay "hi" \\o/'


def test_postprocess_keeps_database_text_out_of_the_code() -> None:
    models = _thing_models()
    models[1].doc = '"""\nimport os\nos.system("boom")\n"""\\'
    text = postprocess(GENERATED, models, namespace="a'\nimport os", database="b")
    module = ast.parse(text)
    statements = [type(node).__name__ for node in module.body]
    assert statements == ["ImportFrom", "Import", "ImportFrom", "ClassDef", "ClassDef"]
    thing = module.body[-1]
    assert isinstance(thing, ast.ClassDef)
    assert ast.get_docstring(thing, clean=False) is not None
    assert "os.system" in (ast.get_docstring(thing) or "")


def test_postprocess_undoes_import_aliases_and_renames_shadowing_fields() -> None:
    generated = """\
from builtins import str as str_aliased
from typing import Any as Any_aliased
from msgspec import Struct, UnsetType, UNSET
from surrealdb import RecordID as RecordID_aliased


class Shadow(Struct):
    id: RecordID_aliased
    str: str_aliased
    msgspec: str_aliased | None | UnsetType = UNSET
    Shadow: Any_aliased | UnsetType = UNSET
"""
    model = StructModel(
        ("shadow",),
        "A record of the ``shadow`` table.",
        (
            FieldModel("id", Scalar("RecordID")),
            FieldModel("str", STR),
            FieldModel("msgspec", STR, optional=True),
            FieldModel("Shadow", ANY, optional=True),
        ),
        name="Shadow",
    )
    text = postprocess(generated, [model], namespace="a", database="b")
    assert text.split("\n\n\n")[1].splitlines()[3:] == [
        "    id: RecordID",
        "    str_: str = msgspec.field(name='str')",
        "    msgspec_: str | None = msgspec.field(name='msgspec', default=None)",
        "    Shadow_: Any = msgspec.field(name='Shadow', default=None)",
    ]


def test_postprocess_rejects_unexpected_generator_output() -> None:
    models = _thing_models()
    with pytest.raises(ModelGenerationError, match="did not generate a class ThingPart"):
        postprocess(
            GENERATED.replace("class ThingPart", "class Other"), models, namespace="a", database="b"
        )
    with pytest.raises(ModelGenerationError, match=r"left out Thing\.size"):
        postprocess(
            GENERATED.replace("    size:", "    sighs:"), models, namespace="a", database="b"
        )
    with pytest.raises(ModelGenerationError, match=r"unexpected 'os\.PathLike'"):
        postprocess(
            GENERATED.replace("tags: list", "tags: list[os.PathLike]"),
            models,
            namespace="a",
            database="b",
        )
    with pytest.raises(ModelGenerationError, match="unexpected name 'Callable'"):
        postprocess(
            GENERATED.replace("meta: dict", "meta: Callable"), models, namespace="a", database="b"
        )


# --------------------------------------------------------------------------------------------
# The whole pipeline (needs datamodel-code-generator)
# --------------------------------------------------------------------------------------------


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_generate_source_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("datamodel_code_generator")
    tables = tables_from_structure(DB_INFO, TABLE_INFOS).tables
    text = generate_source(tables, namespace="app", database="main")
    assert text == generate_source(tables, namespace="app", database="main")  # deterministic
    assert text.startswith(
        "# Generated by `python -m surrealdb models` from namespace 'app', database 'main'.\n"
    )
    for line in [
        "class Person(msgspec.Struct, kw_only=True):",
        "    id: RecordID",
        '    first_name: str | None = msgspec.field(name="first-name", default=None)',
        "    friend: RecordID | None = None",
        "    born: Datetime",
        "    tenure: Duration",
        "    balance: Decimal",
        "    token: UUID",
        "    labels: set[str]",
        "    address: PersonAddress",
        "    pets: list[PersonPetsItem]",
        '    status: Literal["active", "inactive"]',
        "    meta: Any = None",
        "    untyped: Any = None",
        '    in_: RecordID = msgspec.field(name="in")',
    ]:
        assert line in text.splitlines(), line
    path = tmp_path / "generated_models.py"
    path.write_text(text, encoding="utf-8")
    module = _load(path, "generated_models_unit")
    record, when = RecordID("person", "ada"), Datetime(1_700_000_000, 123_456_789)
    row = {
        "id": record,
        "first-name": "Ada",
        "active": True,
        "address": {"city": "Paris"},
        "age": 36,
        "balance": Decimal("1.50"),
        "born": when,
        "labels": {"x"},
        "level": 2,
        "lit": {"a": "x"},
        "mixed": "m",
        "n": 1,
        "name": "Ada",
        "obj": {},
        "owner": RecordID("company", 1),
        "pets": [{"name": "Rex"}],
        "score": 1.5,
        "scores": [1, 2, 3],
        "status": "active",
        "tags": [],
        "tenure": Duration.parse(5, 1),
        "token": uuid.UUID(int=1),
        "weird": "x\\y",
    }
    person = msgspec.convert(row, module.Person, strict=False)
    assert person.id is record and person.born is when and person.tenure is row["tenure"]
    assert person.balance is row["balance"] and person.token is row["token"]
    assert person.first_name == "Ada" and person.nick is None and person.friend is None
    assert person.address == module.PersonAddress(city="Paris")
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**row, "status": "gone"}, module.Person, strict=False)


def test_generator_errors_become_model_generation_errors() -> None:
    pytest.importorskip("datamodel_code_generator")
    with pytest.raises(ModelGenerationError, match="datamodel-code-generator failed"):
        run_datamodel_codegen({"$defs": {"Bad": {"$ref": "no-such-file.json#/x"}}})


# --------------------------------------------------------------------------------------------
# The command line (no server needed for these)
# --------------------------------------------------------------------------------------------


def test_models_command_without_the_generator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("surrealdb.models.codegen_available", lambda: False)
    code = main(["models", "--url", "ws://127.0.0.1:9/rpc", "--ns", "a", "--db", "b"])
    assert code == 2
    assert INSTALL_HINT == "pip install 'surrealdb-typed[models]'"
    assert INSTALL_HINT in capsys.readouterr().err


def test_models_command_needs_username_and_password_together(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("surrealdb.models.codegen_available", lambda: True)
    monkeypatch.delenv("SURREALDB_USER", raising=False)
    monkeypatch.delenv("SURREALDB_PASS", raising=False)
    argv = ["models", "--url", "ws://127.0.0.1:9/rpc", "--ns", "a", "--db", "b"]
    assert main([*argv, "--username", "u"]) == 2
    assert "give both --username and --password" in capsys.readouterr().err
    monkeypatch.setenv("SURREALDB_PASS", "hunter2-secret")  # read when the parser is built
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "give both" in captured.err and "hunter2-secret" not in captured.err + captured.out
