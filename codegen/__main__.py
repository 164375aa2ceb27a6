"""`python -m codegen` writes the generated modules; `--check` fails when they are stale."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from codegen.model import SchemaError, load_schema
from codegen.render import render_all, render_docs

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
OUTPUT = ROOT / "src" / "surrealdb" / "_generated"
DOCS = ROOT / "docs" / "reference"


def main(argv: list[str] | None = None) -> int:
    """Generate (or check) the client from the schema; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--schema", type=Path, default=SCHEMA, help="the schema folder")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the generated package")
    parser.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="where the generated reference pages go (default: docs/reference, but only when"
        " neither --schema nor --output is given)",
    )
    args = parser.parse_args(argv)
    docs: Path | None = args.docs
    if docs is None and args.schema == SCHEMA and args.output == OUTPUT:
        docs = DOCS
    try:
        schema = load_schema(args.schema)
    except SchemaError as exc:
        print(f"schema error: {exc}", file=sys.stderr)
        return 2
    outputs = [(render_all(schema), args.output, "*.py")]
    if docs is not None:
        outputs.append((render_docs(schema), docs, "*.md"))
    if args.check:
        return max(check(rendered, folder, pattern) for rendered, folder, pattern in outputs)
    for rendered, folder, pattern in outputs:
        write(rendered, folder, pattern)
    return 0


def write(rendered: dict[str, str], output: Path, pattern: str) -> None:
    """Write every generated file and remove stale ones (files matching `pattern`)."""
    output.mkdir(parents=True, exist_ok=True)
    for stale in set(p.name for p in output.glob(pattern)) - set(rendered):
        (output / stale).unlink()
    for name, text in rendered.items():
        target = output / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")


def check(rendered: dict[str, str], output: Path, pattern: str) -> int:
    """Report every generated file that differs from what the schema gives."""
    stale = 0
    for name in sorted(set(rendered) | set(p.name for p in output.glob(pattern))):
        target = output / name
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        expected = rendered.get(name, "")
        if current != expected:
            stale += 1
            diff = difflib.unified_diff(
                current.splitlines(), expected.splitlines(), str(target), "generated", lineterm=""
            )
            print("\n".join(list(diff)[:40]), file=sys.stderr)
    if stale:
        print(
            f"{stale} generated module(s) differ from schema/ and codegen/templates/:"
            " run `make generate` and commit the result.",
            file=sys.stderr,
        )
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
