"""Loading the optional `surrealdb_embedded` engine, with a clear error when it is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from surrealdb.errors import UnsupportedFeatureError


def load_engine_module() -> ModuleType:
    """The `surrealdb_embedded` module; raises with the install command when it is missing."""
    try:
        return importlib.import_module("surrealdb_embedded")
    except ImportError:
        raise UnsupportedFeatureError(
            "embedded URLs (mem://, surrealkv://, file://) need the embedded engine:"
            " pip install 'surrealdb-typed[embedded]'"
        ) from None
