"""The README's two commands: `make demo` installs only what the demo needs, and says so first;
`make test` still installs the development tools after it (each has its own stamp file).

Checked with `make -n` (print the commands, run none) on a virtualenv path in a temporary
directory, so nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned(target: str, venv: Path) -> list[str]:
    """The commands `make TARGET` would run with this virtualenv."""
    # Run under `make test` itself, make would pass its flags down and print directory lines.
    outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    completed = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"VENV={venv}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={name: value for name, value in os.environ.items() if name not in outer},
        timeout=60,
        check=True,
    )
    return completed.stdout.splitlines()


def installs(commands: list[str]) -> list[str]:
    return [line for line in commands if "pip install" in line and "-e" in line.split()]


def test_demo_installs_the_runtime_and_embedded_engine_only(tmp_path: Path) -> None:
    commands = planned("demo", tmp_path / ".venv")
    assert installs(commands) == [
        f"{tmp_path}/.venv/bin/python -m pip install --quiet -e '.[embedded]'"
    ]
    assert not any("[dev]" in line for line in commands)
    first_install = commands.index(installs(commands)[0])
    assert any(line.startswith("echo ") for line in commands[:first_install]), commands
    assert commands[-1] == f"{tmp_path}/.venv/bin/python -m surrealdb demo mem://"


def test_demo_runs_without_installing_once_installed(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed-demo").touch()
    assert installs(planned("demo", tmp_path / ".venv")) == []


def test_test_installs_the_dev_tools_after_a_demo(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed-demo").touch()  # `make demo` ran first
    commands = planned("test", tmp_path / ".venv")
    assert installs(commands) == [f"{tmp_path}/.venv/bin/python -m pip install --quiet -e '.[dev]'"]
    assert commands[-1] == f"{tmp_path}/.venv/bin/python -m pytest -q"


def test_readme_and_ci_use_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    two_commands = readme.split("## Two commands", 1)[1]
    commands = [line.split()[:2] for line in two_commands.splitlines() if line.startswith("make ")]
    assert commands[:2] == [["make", "demo"], ["make", "test"]]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
