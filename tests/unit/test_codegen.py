"""The code generator: golden output, drift check, schema validation and the generated classes.

The golden test renders tests/golden/fixture_schema and compares it with tests/golden/expected;
after an intended change to codegen/ regenerate the expected files with
`python -m codegen --schema tests/golden/fixture_schema --output tests/golden/expected`.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from codegen.__main__ import main as codegen_main
from codegen.model import Schema, SchemaError, load_schema
from codegen.render import render_all
from surrealdb import connections
from surrealdb._generated.registry import METHODS
from surrealdb.errors import UnsupportedFeatureError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_SCHEMA = ROOT / "tests" / "golden" / "fixture_schema"
EXPECTED = ROOT / "tests" / "golden" / "expected"
GENERATED = ROOT / "src" / "surrealdb" / "_generated"
REGENERATE = "python -m codegen --schema tests/golden/fixture_schema --output tests/golden/expected"

ASYNC_CLASSES: list[type[Any]] = [
    connections.AsyncSurrealConnection,
    connections.AsyncWsSurrealConnection,
    connections.AsyncHttpSurrealConnection,
    connections.AsyncEmbeddedSurrealConnection,
]
BLOCKING_CLASSES: list[type[Any]] = [
    connections.BlockingSurrealConnection,
    connections.BlockingWsSurrealConnection,
    connections.BlockingHttpSurrealConnection,
    connections.BlockingEmbeddedSurrealConnection,
]
CONCRETE: list[tuple[str, type[Any], str]] = [
    ("ws", connections.BlockingWsSurrealConnection, "ws://127.0.0.1:1"),
    ("http", connections.BlockingHttpSurrealConnection, "http://127.0.0.1:1"),
    ("embedded", connections.BlockingEmbeddedSurrealConnection, "mem://"),
    ("ws", connections.AsyncWsSurrealConnection, "ws://127.0.0.1:1"),
    ("http", connections.AsyncHttpSurrealConnection, "http://127.0.0.1:1"),
    ("embedded", connections.AsyncEmbeddedSurrealConnection, "mem://"),
]


def run_codegen(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m codegen ARGS` from the project root."""
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def fixture_rendered() -> dict[str, str]:
    """The fixture schema, rendered in memory."""
    return render_all(load_schema(FIXTURE_SCHEMA))


# --------------------------------------------------------------------------------------------
# Golden output
# --------------------------------------------------------------------------------------------


def test_golden_files_are_the_same_set(fixture_rendered: dict[str, str]) -> None:
    committed = sorted(path.name for path in EXPECTED.glob("*.py"))
    assert sorted(fixture_rendered) == committed, (
        f"the generator's modules differ from tests/golden/expected: regenerate with `{REGENERATE}`"
    )


@pytest.mark.parametrize(
    "name", ["__init__.py", "requests.py", "registry.py", "blocking.py", "asyncio.py"]
)
def test_golden_output(fixture_rendered: dict[str, str], name: str) -> None:
    expected = (EXPECTED / name).read_text(encoding="utf-8")
    assert fixture_rendered[name] == expected, (
        f"rendering tests/golden/fixture_schema gives a different {name} than"
        f" tests/golden/expected/{name}; if the change is intended, regenerate with `{REGENERATE}`"
        " and review the diff"
    )


def test_golden_output_covers_every_shape(fixture_rendered: dict[str, str]) -> None:
    """The fixture exercises what the templates branch on (guards against a shrunken fixture)."""
    requests = fixture_rendered["requests.py"]
    blocking = fixture_rendered["blocking_methods.py"]
    assert 'return Request("ping", [])' in requests
    assert "_params.without_trailing_none([_params.table(table), _params.true_or_omit(diff)])" in (
        requests
    )
    assert 'Request("attach", [], session=_params.new_session_id(session_id))' in requests
    assert blocking.count("@overload") == 4
    assert "def select(self, what: RecordID) -> Record | None: ..." in blocking
    assert "def select(self, what: Table | str) -> list[Record]: ..." in blocking
    assert "def select(self, *, record: RecordID) -> Record | None: ..." in blocking
    assert "if record is not _params.MISSING or what is _params.MISSING:" in blocking
    assert (
        "async def live(self, table: Table | str, diff: bool = False) -> UUID:"
        in (fixture_rendered["asyncio.py"])
    )
    assert "await self._call(request)" in fixture_rendered["asyncio_methods.py"]
    assert "await" not in blocking
    assert (
        'return _endpoints.EndpointRequest("health", "GET", "/health", authenticated=False)'
        in requests
    )
    assert 'arguments={"dest": dest, "options": options, "progress": progress}' in requests
    assert "return _endpoints.byte_count(self._endpoint(request))" in blocking
    assert '"export": MethodInfo(' in fixture_rendered["registry.py"]
    assert (
        'raise UnsupportedFeatureError.for_method("export", "embedded")'
        in (fixture_rendered["blocking.py"])
    )


def test_golden_expected_passes_mypy_strict() -> None:
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(EXPECTED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_write_creates_the_expected_files_and_removes_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "stale.py").write_text("# left over from a removed template\n", encoding="utf-8")
    code = codegen_main(["--schema", str(FIXTURE_SCHEMA), "--output", str(tmp_path)])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in EXPECTED.iterdir())
    for path in EXPECTED.glob("*.py"):
        assert (tmp_path / path.name).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"
        )


# --------------------------------------------------------------------------------------------
# Drift check of the committed generated package
# --------------------------------------------------------------------------------------------


def test_committed_generated_code_is_up_to_date() -> None:
    completed = run_codegen("--check")
    assert completed.returncode == 0, (
        "src/surrealdb/_generated differs from schema/: run `make generate`\n" + completed.stderr
    )
    assert "up to date" in completed.stdout


def test_check_of_an_unchanged_copy_passes(tmp_path: Path) -> None:
    shutil.copytree(GENERATED, tmp_path / "out", ignore=shutil.ignore_patterns("__pycache__"))
    completed = run_codegen("--check", "--output", str(tmp_path / "out"))
    assert completed.returncode == 0, completed.stderr


def test_check_fails_when_a_generated_file_was_edited(tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(GENERATED, out, ignore=shutil.ignore_patterns("__pycache__"))
    target = out / "blocking_methods.py"
    target.write_text(
        target.read_text(encoding="utf-8").replace("def ping(", "def pong(", 1), encoding="utf-8"
    )
    completed = run_codegen("--check", "--output", str(out))
    assert completed.returncode == 1
    assert "make generate" in completed.stderr
    assert "1 generated module(s) differ" in completed.stderr
    assert "blocking_methods.py" in completed.stderr
    assert "-    def pong(self) -> None:" in completed.stderr
    assert "+    def ping(self) -> None:" in completed.stderr
    assert target.read_text(encoding="utf-8").count("def pong(") == 1, "--check must not write"


def test_check_fails_for_a_missing_and_an_extra_module(tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(GENERATED, out, ignore=shutil.ignore_patterns("__pycache__"))
    (out / "registry.py").unlink()
    (out / "extra.py").write_text("x = 1\n", encoding="utf-8")
    completed = run_codegen("--check", "--output", str(out))
    assert completed.returncode == 1
    assert "2 generated module(s) differ" in completed.stderr
    assert "make generate" in completed.stderr


# --------------------------------------------------------------------------------------------
# Schema validation
# --------------------------------------------------------------------------------------------

TYPES = """
[types.Any]
python = "Any"
doc = "Anything."

[types.None]
python = "None"
doc = "Nothing."

[types.str]
python = "str"
doc = "A string."

[types.Resource]
python = "Resource"
doc = "A table or a record."

[types.RecordID]
python = "RecordID"
doc = "A record id."
"""

VALID_SELECT = """
[methods.select]
doc = "Select records."
transports = ["ws", "http"]
result = "Any"
reply = "value"
params = [
    { name = "what", type = "Resource", encode = "resource", doc = "The table or record." },
]
overloads = [{ param = "what", type = "RecordID", result = "Any" }]
"""


def write_schema(directory: Path, rpc: str, types: str = TYPES) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "types.toml").write_text(types, encoding="utf-8")
    (directory / "rpc.toml").write_text(rpc, encoding="utf-8")
    return directory


def schema_error(tmp_path: Path, rpc: str, types: str = TYPES) -> str:
    """The message of the SchemaError, with the temporary folder's path replaced by `<tmp>`."""
    with pytest.raises(SchemaError) as caught:
        load_schema(write_schema(tmp_path / "schema", rpc, types))
    return str(caught.value).replace(str(tmp_path), "<tmp>")


def test_the_base_of_the_broken_schemas_is_valid(tmp_path: Path) -> None:
    schema: Schema = load_schema(write_schema(tmp_path, VALID_SELECT))
    assert list(schema.methods) == ["select"]
    assert schema.methods["select"].params[0].encode == "resource"


@pytest.mark.parametrize(
    ("old", "new", "field", "mentions"),
    [
        pytest.param(
            'type = "Resource"', 'type = "Resorce"', "'type'", "'Resorce'", id="unknown-param-type"
        ),
        pytest.param(
            'result = "Any"\nreply',
            'result = "Anything"\nreply',
            "'result'",
            "",
            id="unknown-result",
        ),
        pytest.param(
            'reply = "value"', 'reply = "records"', "'reply'", "'records'", id="unknown-reply"
        ),
        pytest.param(
            'encode = "resource"', 'encode = "resourze"', "'encode'", "'resourze'", id="encode"
        ),
        pytest.param(
            'param = "what"', 'param = "which"', "'param'", "'which'", id="overload-missing-param"
        ),
        pytest.param(
            'type = "RecordID", result',
            'type = "Recordid", result',
            "'type'",
            "'Recordid'",
            id="overload-unknown-type",
        ),
        pytest.param('doc = "Select records."', 'doc = "  "', "'doc'", "", id="empty-doc"),
        pytest.param(
            'transports = ["ws", "http"]', "transports = []", "'transports'", "", id="no-transports"
        ),
    ],
)
def test_invalid_reference_names_method_and_field(
    tmp_path: Path, old: str, new: str, field: str, mentions: str
) -> None:
    assert old in VALID_SELECT
    message = schema_error(tmp_path, VALID_SELECT.replace(old, new, 1))
    assert "'select'" in message
    assert field in message
    assert mentions in message
    assert message.startswith("rpc.toml")


def test_unknown_type_error_lists_where_to_define_it(tmp_path: Path) -> None:
    message = schema_error(tmp_path, VALID_SELECT.replace('"Resource"', '"Nope"', 1))
    assert "param 'what'" in message
    assert "define it in types.toml" in message


def test_unknown_converter_error_lists_the_known_ones(tmp_path: Path) -> None:
    message = schema_error(tmp_path, VALID_SELECT.replace('"resource"', '"nope"', 1))
    assert "known: " in message
    assert "record_id" in message and "variable_name" in message


def test_required_param_after_an_optional_one(tmp_path: Path) -> None:
    rpc = VALID_SELECT.replace(
        '{ name = "what", type = "Resource", encode = "resource", doc = "The table or record." },',
        '{ name = "first", type = "str", default = "None", doc = "Optional." },\n'
        '    { name = "what", type = "Resource", encode = "resource", doc = "Required." },',
    )
    message = schema_error(tmp_path, rpc)
    assert "'select'" in message
    assert "param 'what'" in message
    assert "'default'" in message
    assert "required after an optional one" in message


def test_duplicated_param_and_bad_names(tmp_path: Path) -> None:
    rpc = VALID_SELECT.replace(
        '{ name = "what", type = "Resource", encode = "resource", doc = "The table or record." },',
        '{ name = "what", type = "Resource", doc = "One." },\n'
        '    { name = "what", type = "Resource", doc = "Two." },',
    )
    message = schema_error(tmp_path, rpc)
    assert "'select'" in message and "'name'" in message and "duplicated" in message

    keyword_param = VALID_SELECT.replace('name = "what"', 'name = "class"').replace(
        'param = "what"', 'param = "class"'
    )
    message = schema_error(tmp_path / "kw", keyword_param)
    assert "'select'" in message and "'name'" in message

    bad_method = VALID_SELECT.replace("[methods.select]", '[methods."not-a-name"]')
    message = schema_error(tmp_path / "method", bad_method)
    assert "'not-a-name'" in message and "identifier" in message


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        pytest.param("what", "already a parameter's name", id="its-own-name"),
        pytest.param("into", "already a parameter's name", id="into"),
        pytest.param("class", "not a valid Python identifier", id="keyword"),
    ],
)
def test_bad_alias_names_method_param_and_field(tmp_path: Path, alias: str, expected: str) -> None:
    rpc = VALID_SELECT.replace(
        'encode = "resource", doc = "The table or record." },',
        f'encode = "resource", alias = "{alias}", doc = "The table or record." }},',
    )
    assert rpc != VALID_SELECT
    message = schema_error(tmp_path, rpc)
    assert "'select'" in message and "param 'what'" in message and "'alias'" in message
    assert expected in message


def test_alias_on_an_optional_param_needs_a_none_default(tmp_path: Path) -> None:
    rpc = VALID_SELECT.replace(
        'encode = "resource", doc = "The table or record." },',
        'encode = "resource", default = "1", alias = "record", doc = "The table or record." },',
    )
    assert "an optional parameter with one defaults to None" in schema_error(tmp_path, rpc)


def test_an_optional_params_alias_is_keyword_only_in_every_signature() -> None:
    """query_raw's `vars` also comes as `params=` (the official name), next to `sql`/`query`."""
    for flavour in ("blocking", "asyncio"):
        source = (ROOT / "src" / "surrealdb" / "_generated" / f"{flavour}_methods.py").read_text()
        start = source.index("def query_raw(")
        signatures = source[start : source.index("def select(", start)].split("def query_raw(")[1:]
        *overloads, implementation = signatures
        assert len(overloads) == 2
        for overload in overloads:
            assert (
                "params: Mapping[str, Any] | None = None,\n    ) -> dict[str, Any]: ..." in overload
            )
        assert "params: Mapping[str, Any] | _params.Missing | None = _params.MISSING" in (
            implementation
        )
        assert '_params.aliased_optional("query_raw", "vars", vars, "params", params)' in (
            implementation
        )


def test_returning_server_errors_with_into_is_refused(tmp_path: Path) -> None:
    rpc = VALID_SELECT.replace('reply = "value"', 'reply = "value"\nserver_errors = "return"')
    rpc = rpc.replace('doc = "Select records."', 'doc = "Select records."\ninto = "records"')
    message = schema_error(tmp_path, rpc)
    assert "'select'" in message and "'server_errors'" in message and "into" in message


def test_a_method_that_returns_server_errors_catches_them_in_its_body() -> None:
    for flavour in ("blocking", "asyncio"):
        source = (ROOT / "src" / "surrealdb" / "_generated" / f"{flavour}_methods.py").read_text()
        body = source[source.rindex("def query_raw(") :].split("\n    @", 1)[0]
        assert "except ServerError as error:" in body
        assert "return _replies.error_reply(error, request)" in body
        query = source[source.rindex("def query_results(") :].split("\n    @", 1)[0]
        assert "except" not in query


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        pytest.param('doc = "Select records."', "doc = 5", "doc", id="method-doc-int"),
        pytest.param('type = "Resource"', "type = 3", "type", id="param-type-int"),
        pytest.param(
            'transports = ["ws", "http"]', 'transports = "ws"', "transports", id="transports-str"
        ),
        pytest.param(
            'transports = ["ws", "http"]', 'transports = ["ftp"]', "transports", id="transport-enum"
        ),
        pytest.param('wire = "session"', 'wire = "header"', "wire", id="param-wire"),
    ],
)
def test_wrong_toml_type_names_method_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    base = VALID_SELECT.replace('encode = "resource",', 'encode = "resource", wire = "session",')
    assert old in base
    message = schema_error(tmp_path, base.replace(old, new, 1))
    assert "rpc.toml" in message
    assert field in message
    assert "select" in message, f"the message does not name the method: {message}"


def test_unknown_field_names_method_and_field(tmp_path: Path) -> None:
    message = schema_error(tmp_path, VALID_SELECT + 'colour = "red"\n')
    assert "colour" in message
    assert "select" in message, f"the message does not name the method: {message}"


def test_unknown_field_of_a_param_names_the_field(tmp_path: Path) -> None:
    rpc = VALID_SELECT.replace('encode = "resource"', 'encoder = "resource"', 1)
    message = schema_error(tmp_path, rpc)
    assert "encoder" in message
    assert "select" in message, f"the message does not name the method: {message}"


def test_unknown_field_of_a_type_names_the_type(tmp_path: Path) -> None:
    types = TYPES.replace('doc = "A string."', 'doc = "A string."\npython_type = "str"')
    message = schema_error(tmp_path, VALID_SELECT, types)
    assert "types.toml" in message
    assert "python_type" in message
    assert "'str'" in message, f"the message does not name the type: {message}"


def test_invalid_toml_is_a_schema_error(tmp_path: Path) -> None:
    message = schema_error(tmp_path, VALID_SELECT + "[methods.broken\n")
    assert "rpc.toml" in message


def test_misspelled_top_level_table_is_a_schema_error(tmp_path: Path) -> None:
    message = schema_error(tmp_path, VALID_SELECT.replace("[methods.select]", "[method.select]"))
    assert "rpc.toml" in message
    assert "methods" in message


def test_missing_schema_folder_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"types\.toml"):
        load_schema(tmp_path / "nowhere")


def test_cli_reports_schema_errors_with_exit_code_2(tmp_path: Path) -> None:
    bad = write_schema(
        tmp_path / "bad", VALID_SELECT.replace('reply = "value"', 'reply = "records"')
    )
    completed = run_codegen("--check", "--schema", str(bad))
    assert completed.returncode == 2
    assert completed.stderr.startswith("schema error: ")
    assert "'select'" in completed.stderr and "'reply'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_cli_reports_a_misspelled_top_level_table_with_exit_code_2(tmp_path: Path) -> None:
    bad = write_schema(tmp_path / "bad", VALID_SELECT.replace("[methods.", "[method."))
    completed = run_codegen("--check", "--schema", str(bad), "--output", str(tmp_path / "out"))
    assert completed.returncode == 2, completed.stderr
    assert "schema error" in completed.stderr
    assert "Traceback" not in completed.stderr


# --------------------------------------------------------------------------------------------
# What the generator produces for shapes the fixture does not cover
# --------------------------------------------------------------------------------------------

TWO_TRANSPORT_TYPES = """
[types.None]
python = "None"
doc = "Nothing."

[types.OptionalUUID]
python = "UUID | None"
doc = "A UUID or None."

[types.UUID]
python = "UUID"
doc = "A UUID."
"""

TWO_TRANSPORT_RPC = """
[methods.attach]
doc = "Open an extra session."
transports = ["ws", "http"]
result = "UUID"
reply = "session_id"

[[methods.attach.params]]
name = "session_id"
type = "OptionalUUID"
default = "None"
encode = "new_session_id"
wire = "session"
doc = "The session's id."
"""


def test_generated_lines_fit_the_project_line_length(tmp_path: Path) -> None:
    """A method unsupported on one transport but available on two others still renders within
    the 100 columns `ruff check` allows (the generated package is linted with the project)."""
    rendered = render_all(
        load_schema(write_schema(tmp_path, TWO_TRANSPORT_RPC, TWO_TRANSPORT_TYPES))
    )
    assert "class BlockingEmbeddedSurrealConnection" in rendered["blocking.py"]
    too_long = [
        f"{name}:{number}: {len(line)} columns"
        for name, text in rendered.items()
        for number, line in enumerate(text.splitlines(), 1)
        if len(line) > 100
    ]
    assert too_long == []


def test_generated_lines_of_the_real_package_fit_the_line_length() -> None:
    for path in GENERATED.glob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert len(line) <= 100, f"{path.name}:{number}"


def test_docstrings_do_not_break_words_at_hyphens() -> None:
    """`Surreal-NS` (in the schema's doc of `use`) stays whole when the docstring is wrapped."""
    doc = connections.BlockingSurrealConnection.use.__doc__
    assert doc is not None
    assert "`Surreal-NS`" in doc, doc


# --------------------------------------------------------------------------------------------
# The registry and the generated classes
# --------------------------------------------------------------------------------------------


def schema_methods() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "schema" / "rpc.toml").read_text(encoding="utf-8"))
    methods: dict[str, Any] = data["methods"]
    return methods


def test_registry_lists_every_method_of_the_schema_in_order() -> None:
    methods = schema_methods()
    assert list(METHODS) == list(methods)
    for name, spec in methods.items():
        info = METHODS[name]
        assert info.name == name
        assert info.wire == spec.get("wire", name)
        assert info.transports == frozenset(spec["transports"])
        assert info.params == tuple(param["name"] for param in spec["params"])


def test_registry_knows_the_wire_names() -> None:
    assert METHODS["query_all"].wire == "query"
    assert METHODS["query_raw"].wire == "query"
    assert METHODS["live"].transports == frozenset({"ws"})
    assert METHODS["attach"].params == ("session_id",)


@pytest.mark.parametrize("cls", ASYNC_CLASSES, ids=lambda cls: cls.__name__)
def test_async_classes_have_every_method_as_coroutine(cls: type[Any]) -> None:
    for name, info in METHODS.items():
        method = getattr(cls, name, None)
        assert method is not None, f"{cls.__name__} has no {name}()"
        assert inspect.iscoroutinefunction(method), f"{cls.__name__}.{name} is not async"
        assert method.__doc__ and method.__doc__.strip(), f"{cls.__name__}.{name} has no doc"
        params = list(inspect.signature(method).parameters)
        into = ["into"] if info.into is not None else []
        aliases = list(info.aliases.values())
        assert params == ["self", *info.params, *aliases, *into], f"{cls.__name__}.{name}{params}"


@pytest.mark.parametrize("cls", BLOCKING_CLASSES, ids=lambda cls: cls.__name__)
def test_blocking_classes_have_every_method_as_plain_function(cls: type[Any]) -> None:
    for name, info in METHODS.items():
        method = getattr(cls, name, None)
        assert method is not None, f"{cls.__name__} has no {name}()"
        assert inspect.isfunction(method), f"{cls.__name__}.{name} is not a function"
        assert not inspect.iscoroutinefunction(method), f"{cls.__name__}.{name} is async"
        assert method.__doc__ and method.__doc__.strip(), f"{cls.__name__}.{name} has no doc"
        params = list(inspect.signature(method).parameters)
        into = ["into"] if info.into is not None else []
        aliases = list(info.aliases.values())
        assert params == ["self", *info.params, *aliases, *into], f"{cls.__name__}.{name}{params}"


def test_connections_module_exports_every_class() -> None:
    assert sorted(connections.__all__) == sorted(
        cls.__name__ for cls in ASYNC_CLASSES + BLOCKING_CLASSES
    )


def test_supported_methods_document_their_transports() -> None:
    doc = connections.BlockingSurrealConnection.live.__doc__
    assert doc is not None and "Transports: WebSocket." in doc
    doc = connections.AsyncSurrealConnection.select.__doc__
    assert doc is not None and "Transports: WebSocket, HTTP, embedded." in doc
    assert "Args:\n" in doc and "what: " in doc


# --------------------------------------------------------------------------------------------
# Methods a transport cannot do
# --------------------------------------------------------------------------------------------


def no_io(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError("an unsupported method must raise before any I/O")


def test_http_live_raises_without_io(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = connections.BlockingHttpSurrealConnection("http://127.0.0.1:1")
    monkeypatch.setattr(connection, "_call", no_io)
    monkeypatch.setattr(connection, "_new_connection", no_io)
    with pytest.raises(UnsupportedFeatureError, match="ws://") as caught:
        connection.live("t")
    assert "live()" in str(caught.value) and "HTTP" in str(caught.value)


async def test_async_http_live_raises_without_io(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = connections.AsyncHttpSurrealConnection("http://127.0.0.1:1")
    monkeypatch.setattr(connection, "_call", no_io)
    monkeypatch.setattr(connection, "_new_connection", no_io)
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        await connection.live("t")


def unsupported_cases() -> list[tuple[str, type[Any], str, str]]:
    return [
        (kind, cls, url, name)
        for kind, cls, url in CONCRETE
        for name, info in METHODS.items()
        if kind not in info.transports
    ]


def test_some_methods_are_unsupported_somewhere() -> None:
    names = {(cls.__name__, name) for _, cls, _, name in unsupported_cases()}
    assert ("BlockingHttpSurrealConnection", "live") in names
    assert ("AsyncEmbeddedSurrealConnection", "begin") in names
    assert not any(kind == "ws" for kind, _, _, _ in unsupported_cases())


@pytest.mark.parametrize(
    ("kind", "cls", "url", "name"),
    unsupported_cases(),
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value),
)
async def test_unsupported_methods_raise_without_io(
    monkeypatch: pytest.MonkeyPatch, kind: str, cls: type[Any], url: str, name: str
) -> None:
    connection = cls(url)
    monkeypatch.setattr(connection, "_call", no_io)
    method: Callable[..., Any] = getattr(connection, name)
    args = [None] * len(METHODS[name].params)
    with pytest.raises(UnsupportedFeatureError) as caught:
        result = method(*args)
        if inspect.isawaitable(result):
            await result
    message = str(caught.value)
    assert f"{name}()" in message
    assert "ws://" in message
    doc = getattr(cls, name).__doc__
    assert doc is not None and doc.startswith("Not available over")


def test_subscribe_live_is_unsupported_over_http() -> None:
    connection = connections.BlockingHttpSurrealConnection("http://127.0.0.1:1")
    with pytest.raises(UnsupportedFeatureError, match="ws://"):
        connection.subscribe_live(uuid.uuid4())


VALID_HEALTH = """
[endpoints.health]
doc = "Check the server."
http_method = "GET"
path = "/health"
transports = ["ws", "http"]
result = "None"
reply = "nothing"
"""


def endpoint_error(tmp_path: Path, http: str) -> str:
    """The SchemaError of an http.toml next to a valid rpc.toml."""
    directory = write_schema(tmp_path / "schema", VALID_SELECT)
    (directory / "http.toml").write_text(http, encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_schema(directory)
    return str(caught.value)


def test_endpoints_are_read_from_http_toml(tmp_path: Path) -> None:
    directory = write_schema(tmp_path, VALID_SELECT)
    (directory / "http.toml").write_text(VALID_HEALTH, encoding="utf-8")
    schema = load_schema(directory)
    assert schema.endpoints["health"].path == "/health"
    rendered = render_all(schema)
    assert "def health(self) -> None:" in rendered["blocking_methods.py"]
    assert "async def _endpoint(self" in rendered["asyncio_methods.py"]
    assert '"health": MethodInfo(' in rendered["registry.py"]


@pytest.mark.parametrize(
    ("old", "new", "mentions"),
    [
        pytest.param("[endpoints.health]", "[endpoints.select]", "rpc.toml has", id="clash"),
        pytest.param('path = "/health"', 'path = "health"', "'path'", id="relative-path"),
        pytest.param('reply = "nothing"', 'reply = "text"', "'reply'", id="unknown-reply"),
        pytest.param('"GET"', '"PUT"', "'http_method'", id="http-method"),
        pytest.param('result = "None"', 'result = "Nope"', "'result'", id="unknown-result"),
        pytest.param('doc = "Check the server."', 'doc = " "', "'doc'", id="empty-doc"),
    ],
)
def test_invalid_endpoint_names_endpoint_and_field(
    tmp_path: Path, old: str, new: str, mentions: str
) -> None:
    assert old in VALID_HEALTH
    message = endpoint_error(tmp_path, VALID_HEALTH.replace(old, new, 1))
    assert message.startswith("http.toml")
    assert mentions in message
