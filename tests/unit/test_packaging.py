"""What a user installing the package sees: its licence, metadata, command line and install docs."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent.parent


def project() -> dict[str, Any]:
    table: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return table


def test_license_file_is_the_apache_license() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[:3] == [
        "Apache License",
        "Version 2.0, January 2004",
        "http://www.apache.org/licenses/",
    ]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert project()["license"] == "Apache-2.0"  # an SPDX expression, matching the file
    assert project()["license-files"] == ["LICENSE"]


def test_pyproject_metadata() -> None:
    classifiers = project()["classifiers"]
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX field says it
    assert all(url.startswith("https://") for url in project()["urls"].values())


def test_built_metadata_has_the_license_and_no_deprecation_warning(tmp_path: Path) -> None:
    """pip builds the package's metadata as an install would, with no setuptools warning."""
    report = tmp_path / "report.json"
    dry_run = ["--dry-run", "--no-deps", "--ignore-installed", "--report", str(report)]
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-v", *dry_run, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "deprecated" not in (completed.stdout + completed.stderr).lower()
    (installed,) = json.loads(report.read_text(encoding="utf-8"))["install"]
    metadata = installed["metadata"]
    assert metadata["license_expression"] == "Apache-2.0"
    assert metadata["license_file"] == ["LICENSE"]
    assert "Typing :: Typed" in metadata["classifier"]
    assert metadata["project_url"]


def test_command_line_help_describes_itself() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "surrealdb", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = completed.stdout
    assert "surrealdb-typed, a typed Python client for SurrealDB 3.x" in out
    assert "demo" in out and "models" in out
    assert "python -m surrealdb demo ws://localhost:8000/rpc" in out


def test_docs_say_how_to_install_from_a_clone() -> None:
    """Until there is a release, `pip install surrealdb-typed` finds nothing: the docs say so."""
    for page in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        text = page.read_text(encoding="utf-8")
        assert "no release on PyPI yet" in text, page
        assert "pip install '.[embedded]'" in text, page
