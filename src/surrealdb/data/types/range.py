"""The official module path `surrealdb.data.types.range`.

`Bound` is our union of the two bound types (the official SDK has a base class of that name).
"""

from surrealdb.values import Bound, BoundExcluded, BoundIncluded, Range

__all__ = ["Bound", "BoundExcluded", "BoundIncluded", "Range"]
