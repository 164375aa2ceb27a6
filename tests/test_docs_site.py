"""The documentation site builds in strict mode: no warning, no broken link, no page left out.

`make docs` runs the same build into site/. mkdocs.yml turns every validation (links, anchors,
nav entries, pages missing from the nav) into a warning, and strict mode fails on any warning.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The site built from docs/ into a temporary folder, and the build's log."""
    pytest.importorskip(
        "mkdocs", reason="mkdocs is not installed: it is in the dev extra (pip install -e '.[dev]')"
    )
    pytest.importorskip("material", reason="mkdocs-material is not installed (dev extra)")
    pytest.importorskip("mkdocstrings_handlers.python", reason="mkdocstrings[python] (dev extra)")
    output = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(output),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    return output, log


def test_the_site_builds_without_warnings(site: tuple[Path, str]) -> None:
    _, log = site
    warnings = [line for line in log.splitlines() if re.match(r"(WARNING|ERROR)\b", line)]
    assert warnings == []


def test_every_page_is_in_the_site(site: tuple[Path, str]) -> None:
    output, _ = site
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).with_suffix("")
        built = output / ("index.html" if relative.name == "index" else relative / "index.html")
        assert built.is_file(), f"{page.relative_to(ROOT)} was not built"


def test_the_reference_pages_are_rendered(site: tuple[Path, str]) -> None:
    """The generated method table and the mkdocstrings pages made it into the site."""
    output, _ = site
    methods = (output / "reference" / "methods" / "index.html").read_text(encoding="utf-8")
    assert "query_all" in methods and "Transports: WebSocket." in methods
    runtime = (output / "runtime" / "index.html").read_text(encoding="utf-8")
    for name in (
        "factory.Surreal",
        "connections.BlockingSurrealConnection.connect",
        "scopes.BlockingTransaction.commit",
        "live.LiveSubscription",
        "api_types.Tokens",
        "values.RecordID.parse",
        "values.Datetime",
        "errors.QueryError",
    ):
        assert f'id="surrealdb.{name}"' in runtime, name
