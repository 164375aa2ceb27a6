"""The official module path `surrealdb.types`: `Tokens` (ours, from `surrealdb.api_types`) and
`Value` (an alias defined in surrealdb/_official.py)."""

from surrealdb._official import Value
from surrealdb.api_types import Tokens

__all__ = ["Tokens", "Value"]
