"""Every Python block of the docs that runs on its own (on `mem://`) is executed and type-checked.

Blocks that need a server are covered by the tests named in their page instead; a page opts in
here by being listed in SELF_CONTAINED_PAGES.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
SELF_CONTAINED_PAGES = ["typing.md"]


def blocks(page: str) -> list[str]:
    """The fenced Python blocks of a docs page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


CASES = [
    pytest.param(page, index, code, id=f"{page}-{index}")
    for page in SELF_CONTAINED_PAGES
    for index, code in enumerate(blocks(page))
]


@pytest.mark.parametrize(("page", "index", "code"), CASES)
def test_block_runs(page: str, index: int, code: str, tmp_path: Path) -> None:
    """The block runs as a script (as a module, so models' annotations resolve)."""
    pytest.importorskip("surrealdb_embedded")
    path = tmp_path / f"block_{index}.py"
    path.write_text(code, encoding="utf-8")
    runpy.run_path(str(path), run_name="docs_example")


@pytest.mark.parametrize(("page", "index", "code"), CASES)
def test_block_type_checks(page: str, index: int, code: str, tmp_path: Path) -> None:
    path = tmp_path / f"block_{index}.py"
    path.write_text(code, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
        check=False,
    )
    assert completed.returncode == 0, completed.stdout
