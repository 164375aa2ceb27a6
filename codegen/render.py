"""Rendering: the schema's view models through the Jinja templates, formatted with ruff."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import jinja2

from codegen.model import Schema
from codegen.view import (
    FLAVOURS,
    MethodView,
    endpoint_views,
    method_views,
    transport_views,
    wire_transports,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "codegen" / "templates"

# Where each name used in an annotation is imported from.
IMPORTABLE = {
    "Any": "typing",
    "Mapping": "collections.abc",
    "Sequence": "collections.abc",
    "UUID": "uuid",
    "RecordID": "surrealdb.values",
    "Table": "surrealdb.values",
    "Record": "surrealdb.api_types",
    "RecordContent": "surrealdb.api_types",
    "Resource": "surrealdb.api_types",
    "Tokens": "surrealdb.api_types",
    "QueryResult": "surrealdb.api_types",
    "DumpFile": "surrealdb.api_types",
    "ExportOptions": "surrealdb.api_types",
    "Progress": "surrealdb.api_types",
}


def render_all(schema: Schema) -> dict[str, str]:
    """Every generated module, by its path relative to the output package folder."""
    environment = _environment()
    rpc_methods = method_views(schema)
    endpoints = endpoint_views(schema)
    methods = rpc_methods + endpoints
    outputs = {
        "__init__.py": _render(environment, schema, "package.py.jinja"),
        "requests.py": _render(
            environment,
            schema,
            "requests.py.jinja",
            methods=methods,
            imports=[
                *_imports(p.annotation for m in methods for p in m.params),
                *(["from surrealdb import _endpoints"] if endpoints else []),
            ],
        ),
        "registry.py": _render(
            environment,
            schema,
            "registry.py.jinja",
            methods=rpc_methods,
            endpoints=endpoints,
            wire_transports=wire_transports(rpc_methods),
        ),
    }
    annotations = _annotations(methods)
    for module, flavour in FLAVOURS.items():
        transports = transport_views(flavour, methods)
        unsupported = tuple(m for t in transports for m in t.unsupported)
        outputs[f"{flavour.methods_module}.py"] = _render(
            environment,
            schema,
            "methods.py.jinja",
            flavour=flavour,
            methods=methods,
            imports=[
                "from typing import TypeVar, cast, overload"
                if any(m.resolutions for m in methods)
                else "from typing import TypeVar, overload",
                *_imports(annotations),
                *(
                    ["from surrealdb.errors import ServerError"]
                    if any(m.returns_server_errors for m in methods)
                    else []
                ),
            ],
            runtime_modules=_runtime_modules(methods),
            has_endpoints=bool(endpoints),
        )
        outputs[f"{module}.py"] = _render(
            environment,
            schema,
            "client.py.jinja",
            flavour=flavour,
            transports=transports,
            exports=sorted([flavour.base_class, *(t.class_name for t in transports)]),
            imports=_imports_for_overrides(unsupported),
        )
    return {path: format_python(text) for path, text in outputs.items()}


def render_docs(schema: Schema) -> dict[str, str]:
    """The generated pages of the API reference, by path relative to docs/reference."""
    environment = _environment()
    return {
        "methods.md": _render(
            environment,
            schema,
            "methods.md.jinja",
            methods=method_views(schema),
            endpoints=endpoint_views(schema),
        )
    }


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["pyrepr"] = repr
    return environment


def _render(
    environment: jinja2.Environment, schema: Schema, template_name: str, **context: object
) -> str:
    template = environment.get_template(template_name)
    return template.render(template_name=template_name, source=schema.source, **context)


def _annotations(methods: tuple[MethodView, ...]) -> list[str]:
    texts = [m.result for m in methods]
    texts += [p.annotation for m in methods for p in m.params]
    texts += [o.result for m in methods for o in m.overloads]
    texts += [o.parameters for m in methods for o in m.overloads]
    return texts


def _runtime_modules(methods: tuple[MethodView, ...]) -> str:
    """The runtime modules the methods use: `_into` for `into=`, `_params` for aliases,
    `_endpoints` for HTTP endpoints."""
    modules = ["_replies"]
    if any(m.endpoint for m in methods):
        modules.append("_endpoints")
    if any(m.into for m in methods):
        modules.append("_into")
    if any(m.resolutions for m in methods):
        modules.append("_params")
    return ", ".join(sorted(modules))


def _imports_for_overrides(methods: tuple[MethodView, ...]) -> list[str]:
    """The imports of the connection classes: only what their unsupported overrides use."""
    lines = _imports(_annotations(methods))
    if any(m.resolutions for m in methods):
        lines.append("from surrealdb import _params")
    return ["from typing import overload", *lines] if any(m.overloads for m in methods) else lines


def _imports(annotations: Iterable[str]) -> list[str]:
    """The import lines that the names in these annotations need, grouped by module."""
    names: dict[str, set[str]] = {}
    for text in annotations:
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text):
            if word in IMPORTABLE:
                names.setdefault(IMPORTABLE[word], set()).add(word)
    return [
        f"from {module} import {', '.join(sorted(symbols))}"
        for module, symbols in sorted(names.items())
    ]


def format_python(source: str) -> str:
    """Sort imports and format with ruff, so generated code reads like hand-written code."""
    for args in (["check", "--select", "I", "--fix", "--quiet"], ["format", "--quiet"]):
        completed = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--stdin-filename", "generated.py", "-"],
            input=source,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if completed.returncode not in (0, 1) or not completed.stdout:
            raise RuntimeError(f"ruff {args[0]} failed on generated code:\n{completed.stderr}")
        source = completed.stdout
    return source
