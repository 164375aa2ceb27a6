"""Typing tests: mypy must infer the documented type for every public method and factory.

`reveal_template.txt` lists each method with its expected type (`# T: ...`); it is rendered for
every connection class and for what the factories return, then checked by running mypy
--strict once over all of them. The files of `cases/` (the seed page's examples with
annotations, code written the official SDK's way) must pass with no error, no cast and no
ignore.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
TEMPLATE = HERE / "reveal_template.txt"
SEED = HERE / "cases" / "seed_annotated.py"
CASES = sorted(path for path in (HERE / "cases").glob("*.py") if path.name != "__init__.py")
"""Code that must type-check as it is: the seed's examples and code written the official way."""


@dataclass(frozen=True)
class Variant:
    """One rendering of the template: a connection class (or factory result) and its flavour."""

    module: str
    connection: str
    is_async: bool

    @property
    def import_line(self) -> str:
        return f"from surrealdb.connections import {self.connection}"

    def render(self, template: str) -> str:
        flavour = "Async" if self.is_async else "Blocking"
        defining_module = "_generated.asyncio" if self.is_async else "_generated.blocking"
        replacements = {
            "IMPORT_LINE": self.import_line,
            "ASYNC_": "async " if self.is_async else "",
            "AWAIT_": "await " if self.is_async else "",
            "MODULE": self.module,
            "SUBSCRIPTION": "AsyncLiveSubscription" if self.is_async else "LiveSubscription",
            "SESSION": f"{flavour}Session",
            "TRANSACTION": f"{flavour}Transaction",
            "CONNECTION_TYPE": f"surrealdb.{defining_module}.{self.connection}",
            "CONNECTION": self.connection,
        }
        for placeholder, text in replacements.items():
            template = template.replace(placeholder, text)
        return template


VARIANTS = [
    Variant(f"reveal_{flavour.lower()}_{transport.lower() or 'factory'}", name, flavour == "Async")
    for flavour in ("Blocking", "Async")
    for transport, name in (
        ("Ws", f"{flavour}WsSurrealConnection"),
        ("Http", f"{flavour}HttpSurrealConnection"),
        ("Embedded", f"{flavour}EmbeddedSurrealConnection"),
        ("", f"{flavour}SurrealConnection"),
    )
]

FACTORIES = HERE / "reveal_factories.txt"


def expectations(source: str) -> dict[int, str]:
    """The expected type of each line that has a `# T:` comment, by line number."""
    found = {}
    for number, line in enumerate(source.splitlines(), 1):
        if "# T: " in line:
            found[number] = line.split("# T: ", 1)[1].strip()
    return found


def run_mypy(paths: list[Path]) -> str:
    environment = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--show-error-codes",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        check=False,
    )
    return completed.stdout + completed.stderr


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[Path, str], str]:
    """Every rendered file with its source, and mypy's output over all of them at once."""
    folder = tmp_path_factory.mktemp("typing")
    template = TEMPLATE.read_text(encoding="utf-8")
    sources: dict[Path, str] = {}
    for variant in VARIANTS:
        sources[folder / f"{variant.module}.py"] = variant.render(template)
    sources[folder / "reveal_factories.py"] = FACTORIES.read_text(encoding="utf-8")
    for path, source in sources.items():
        path.write_text(source, encoding="utf-8")
    return sources, run_mypy([*sources, *CASES])


def revealed(output: str, path: Path) -> dict[int, str]:
    """What mypy revealed in one file, by line number."""
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+): note: Revealed type is \"(.*)\"$")
    found = {}
    for line in output.splitlines():
        match = pattern.match(line)
        if match:
            found[int(match.group(1))] = match.group(2)
    return found


def test_no_type_errors(mypy_report: tuple[dict[Path, str], str]) -> None:
    """Idiomatic code, the seed's examples included, type-checks with no error."""
    _, output = mypy_report
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("name", [variant.module for variant in VARIANTS] + ["reveal_factories"])
def test_revealed_types(mypy_report: tuple[dict[Path, str], str], name: str) -> None:
    """Each public method returns the documented type on this class."""
    sources, output = mypy_report
    path = next(path for path in sources if path.stem == name)
    expected = expectations(sources[path])
    actual = revealed(output, path)
    assert expected, "the template lost its expectations"
    mismatches = [
        f"line {number}: expected {want!r}, mypy says {actual.get(number)!r}"
        for number, want in expected.items()
        if actual.get(number) != want
    ]
    assert mismatches == [], "\n".join(mismatches)


def test_every_public_method_is_covered() -> None:
    """The template checks every generated method, so a new one needs an expectation."""
    from surrealdb._generated.registry import METHODS

    template = TEMPLATE.read_text(encoding="utf-8")
    missing = [name for name in METHODS if f"db.{name}(" not in template]
    assert missing == []
