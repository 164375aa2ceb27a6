"""The official module path `surrealdb.data.cbor`: `encode` and `decode` over our codec.

`encode` is `surrealdb.cbor.encode`. `decode` is `surrealdb.cbor.decode` without its second
result (the tags it could not decode, which it leaves in the value as it found them).
"""

from typing import Any

from surrealdb import cbor
from surrealdb.cbor import encode

__all__ = ["decode", "encode"]


def decode(data: bytes) -> Any:
    """Decode one CBOR message to our values (`surrealdb.cbor.decode` without the unknown tags)."""
    value, _ = cbor.decode(data)
    return value
