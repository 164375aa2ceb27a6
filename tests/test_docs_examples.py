"""Every ```python block of every page under docs/ is executed by the test suite.

How a page's blocks run (`test_every_page_has_a_way_to_run` keeps this list complete):

- By default, here. Each block is a script of its own, run as a module in a fresh namespace:
  blocks that need no server run on `mem://` (the embedded engine). A block that mentions
  `SURREALDB_URL` or `SURREALDB_HTTP_URL` needs a server: it reads its address from the
  environment, as the docs tell readers to (`os.environ.get("SURREALDB_URL",
  "ws://localhost:8000/rpc")`, `SURREALDB_HTTP_URL`, `SURREALDB_USER`, `SURREALDB_PASS`), and
  this test sets those variables to the test server's (the `server` fixture). All these blocks
  are also type-checked together with `mypy --strict`.
- models.md's usage block imports the module that the page says `python -m surrealdb models`
  writes, and connects to `ws://localhost:8000/rpc`: the test runs the page's SQL on the test
  server, runs the command, checks that its output is the page's module verbatim, then runs the
  block against the test server (its URL and credentials substituted).
- COVERED_ELSEWHERE: pages whose blocks are verbatim excerpts of docs/examples/*.py, whose
  functions an integration test runs against the test server. Checked here: every block is in
  that file, and the named test exists.
- README.md's blocks run here too, once for each URL a block names (the one it connects to
  and those its comments offer instead), pointed at the test server or a temporary directory.
- GENERATED: reference/methods.md shows method signatures rendered from schema/rpc.toml; they
  are not examples. `python -m codegen --check` keeps the page equal to the schema; here each
  signature must be valid Python.
"""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from surrealdb import Datetime, Duration, RecordID, Surreal
from tests.server import ServerInfo

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"

SERVER_VARIABLES = ("SURREALDB_URL", "SURREALDB_HTTP_URL")
"""A block that mentions one of these reads the server's address from the environment."""

COVERED_ELSEWHERE = {
    "live-queries.md": (
        "docs/examples/live_queries.py",
        "tests/integration/test_live_queries.py::test_docs_examples_run",
    ),
    "concurrency.md": (
        "docs/examples/concurrency.py",
        "tests/integration/test_concurrency.py::test_docs_examples_run",
    ),
    "sessions-and-transactions.md": (
        "docs/examples/sessions_and_transactions.py",
        "tests/integration/test_sessions_transactions.py::test_example_runs",
    ),
}
"""Page: (the example file its blocks come from, the test that runs that file's functions)."""

GENERATED = {"reference/methods.md"}
"""Pages rendered by `python -m codegen`, whose Python blocks are signatures, not examples."""

MODELS_PAGE = "models.md"
MODELS_USAGE_MARKER = "from app.models import"
MODELS_URL = "ws://localhost:8000/rpc"
MODELS_CREDENTIALS = '{"username": "root", "password": "root"}'


def pages() -> list[str]:
    """Every Markdown page under docs/, relative to it."""
    return sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<language>[\w+-]*)[^\n]*\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    flags=re.DOTALL | re.MULTILINE,
)
PYTHON = ("python", "py", "python3")


def fenced(page: str, languages: tuple[str, ...]) -> list[str]:
    """The fenced blocks of a page in these languages, in order (indented ones dedented)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if match["language"].lower() in languages:
            indent = len(match["indent"])
            found.append("".join(line[indent:] for line in match["body"].splitlines(True)))
    return found


def blocks(page: str) -> list[str]:
    """The fenced Python blocks of a docs page."""
    return fenced(page, PYTHON)


def slug(page: str, index: int) -> str:
    """A module name for block `index` of `page`."""
    return f"docs_{re.sub(r'[^a-z0-9]+', '_', page.removesuffix('.md'))}_{index}"


def runs_here(page: str) -> bool:
    return page not in COVERED_ELSEWHERE and page not in GENERATED


RUN_HERE = [
    pytest.param(page, index, code, id=f"{page}-{index}")
    for page in pages()
    if runs_here(page)
    for index, code in enumerate(blocks(page))
]


def needs_server(code: str) -> bool:
    return any(name in code for name in SERVER_VARIABLES)


@pytest.fixture
def server_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerInfo]:
    """The test server, with the variables the docs' server examples read set to it."""
    server: ServerInfo = request.getfixturevalue("server")
    monkeypatch.setenv("SURREALDB_URL", server.ws_url)
    monkeypatch.setenv("SURREALDB_HTTP_URL", server.http_url)
    monkeypatch.setenv("SURREALDB_USER", server.username)
    monkeypatch.setenv("SURREALDB_PASS", server.password)
    yield server


def run_block(code: str, path: Path) -> None:
    """Run a block as a script (as a module, so that models' annotations resolve)."""
    path.write_text(code, encoding="utf-8")
    runpy.run_path(str(path), run_name="docs_example")


@pytest.mark.parametrize(("page", "index", "code"), RUN_HERE)
def test_block_runs(
    page: str,
    index: int,
    code: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("surrealdb_embedded")
    path = tmp_path / f"{slug(page, index)}.py"
    if MODELS_USAGE_MARKER in code:
        server: ServerInfo = request.getfixturevalue("server")
        code = prepare_models_usage(code, tmp_path, server, monkeypatch)
        request.addfinalizer(forget_models_package)
    elif needs_server(code):
        request.getfixturevalue("server_environment")
    run_block(code, path)


def test_blocks_type_check(tmp_path: Path) -> None:
    """Every block run here, and README.md's, passes `mypy --strict`, in one mypy run."""
    paths = []
    for param in RUN_HERE:
        page, index, code = param.values
        assert isinstance(page, str) and isinstance(index, int) and isinstance(code, str)
        path = tmp_path / f"{slug(page, index)}.py"
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    for index, code in enumerate(readme_blocks()):
        path = tmp_path / f"readme_{index}.py"
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    write_models_package(tmp_path)  # what models.md's usage block imports
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *paths],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": f"{ROOT / 'src'}{os.pathsep}{tmp_path}"},
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# --------------------------------------------------------------------------------------------
# models.md: the command's output is the page's module, and the usage block runs on it
# --------------------------------------------------------------------------------------------


def models_module() -> str:
    """The module models.md shows as the command's output (its first Python block)."""
    module = blocks(MODELS_PAGE)[0]
    assert module.startswith("# Generated by `python -m surrealdb models`"), module[:80]
    return module


def write_models_package(folder: Path) -> None:
    (folder / "app").mkdir(exist_ok=True)
    (folder / "app" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "app" / "models.py").write_text(models_module(), encoding="utf-8")


def forget_models_package() -> None:
    for name in ("app.models", "app"):
        sys.modules.pop(name, None)


def prepare_models_usage(
    code: str, tmp_path: Path, server: ServerInfo, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Define the page's schema on the test server, generate the models as the page says,
    check them against the page, and return the usage block pointed at the test server."""
    pytest.importorskip("datamodel_code_generator")
    credentials = {"username": server.username, "password": server.password}
    (sql,) = fenced(MODELS_PAGE, ("sql",))
    with Surreal(server.ws_url) as db:
        db.signin(credentials)
        db.use("app", "app")
        db.query("REMOVE DATABASE IF EXISTS app")
        db.use("app", "app")
        db.query(sql)
        ada = {
            "name": "Ada",
            "born": Datetime.parse("1815-12-10T00:00:00.123456789Z"),
            "tenure": Duration.parse("3w"),
            "balance": Decimal("12.50"),
            "labels": {"math"},
            "address": {"city": "London"},
            "pets": [{"name": "Fido"}],
            "status": "active",
        }
        # A query variable keeps the set a set (SurrealDB 3.0 turns one in `create` data into
        # an array, which the SCHEMAFULL `set<string>` field refuses).
        db.query("CREATE $id CONTENT $ada", {"id": RecordID("person", "ada"), "ada": ada})
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "surrealdb",
            "models",
            "--url",
            server.ws_url,
            "--ns",
            "app",
            "--db",
            "app",
            "-o",
            "app/models.py",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # outside the repository: ruff's defaults, as in a user's project
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "SURREALDB_USER": server.username,
            "SURREALDB_PASS": server.password,
        },
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    generated = (tmp_path / "app" / "models.py").read_text(encoding="utf-8")
    assert generated == models_module(), "models.md shows another module than the command writes"
    forget_models_package()  # import this app.models, not one left by an earlier run
    monkeypatch.syspath_prepend(str(tmp_path))
    assert MODELS_URL in code and MODELS_CREDENTIALS in code, "models.md's usage block changed"
    return code.replace(MODELS_URL, server.ws_url).replace(MODELS_CREDENTIALS, repr(credentials))


# --------------------------------------------------------------------------------------------
# Pages whose blocks run elsewhere, and the generated reference
# --------------------------------------------------------------------------------------------


def test_every_page_has_a_way_to_run() -> None:
    """Each page is run here, or named in COVERED_ELSEWHERE / GENERATED, which must exist."""
    for page in [*COVERED_ELSEWHERE, *GENERATED]:
        assert (DOCS / page).is_file(), f"{page} is listed here but does not exist"
    assert [p for p in pages() if not runs_here(p)] == sorted([*COVERED_ELSEWHERE, *GENERATED])


@pytest.mark.parametrize("page", sorted(COVERED_ELSEWHERE))
def test_covered_pages_show_their_example_file(page: str) -> None:
    """The page's blocks are verbatim in its example file, and the test that runs the file's
    functions exists."""
    example, test = COVERED_ELSEWHERE[page]
    source = (ROOT / example).read_text(encoding="utf-8")
    page_blocks = blocks(page)
    assert page_blocks, f"{page} has no Python blocks"
    for block in page_blocks:
        assert block.strip() in source, f"a block of {page} is not in {example}:\n{block}"
    test_file, test_name = test.split("::")
    tree = ast.parse((ROOT / test_file).read_text(encoding="utf-8"))
    functions = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert test_name in functions, f"{test} does not exist"
    assert Path(example).stem in (ROOT / test_file).read_text(encoding="utf-8")


@pytest.mark.parametrize("page", sorted(GENERATED))
def test_generated_signatures_are_python(page: str) -> None:
    signatures = [line for block in blocks(page) for line in block.splitlines() if line]
    assert signatures
    for line in signatures:
        assert line.startswith(("def ", "async def ")), line
        ast.parse(f"{line}: ...")


# --------------------------------------------------------------------------------------------
# README.md: each block works on every URL it names
# --------------------------------------------------------------------------------------------

README = ROOT / "README.md"
CONNECT = re.compile(r'Surreal\("([^"]+)"\)')
"""Where a README block connects."""
NAMED_URL = re.compile(r'"((?:wss?|https?|mem|surrealkv|file)://[^"]*)"')
"""The URLs a README block names: where it connects, and the alternatives its comments offer."""
README_CREDENTIALS = '{"username": "root", "password": "root"}'


def readme_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m["body"] for m in FENCE.finditer(text) if m["language"].lower() in PYTHON]


README_CASES = [
    pytest.param(index, code, url, id=f"README-{index}-{url}")
    for index, code in enumerate(readme_blocks())
    for url in dict.fromkeys(NAMED_URL.findall(code))
]


def test_readme_names_a_server_and_the_embedded_engine() -> None:
    """The README shows both ways in: a server (ws, http) and the embedded engine."""
    named = {url.partition("://")[0] for code in readme_blocks() for url in NAMED_URL.findall(code)}
    assert {"ws", "http", "mem"} <= named


@pytest.mark.parametrize(("index", "code", "url"), README_CASES)
def test_readme_block_runs_on_each_url_it_names(
    index: int, code: str, url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The README's example, as written, on each URL it offers: a server's (ws, http, with its
    sign-in) or the embedded engine's (without)."""
    pytest.importorskip("surrealdb_embedded")
    (connected,) = CONNECT.findall(code)
    scheme = url.partition("://")[0]
    if scheme in ("ws", "http"):
        server: ServerInfo = request.getfixturevalue("server")
        target = server.ws_url if scheme == "ws" else server.http_url
        credentials = {"username": server.username, "password": server.password}
        with Surreal(target) as db:  # a rerun starts from an empty app/app, as a reader would
            db.signin(credentials)
            db.use("app", "app")
            db.query("REMOVE DATABASE IF EXISTS app")
        code = code.replace(README_CREDENTIALS, repr(credentials))
    elif scheme == "mem":
        target = url
    elif scheme in ("surrealkv", "file"):
        target = f"{scheme}://{tmp_path / url.partition('://')[2]}"
    else:
        pytest.fail(f"README block {index} names {url}, which this test cannot provide")
    code = code.replace(f'Surreal("{connected}")', f"Surreal({target!r})")
    path = tmp_path / f"readme_{index}.py"
    path.write_text(code, encoding="utf-8")
    result: dict[str, Any] = runpy.run_path(str(path), run_name="readme_example")
    assert [(p["name"], p["age"]) for p in result["adults"]] == [("Ada", 37)]
