"""The official module path `surrealdb.data.cbor`: `encode` and `decode` over our codec.

`encode` is `surrealdb.cbor.encode`. `decode` is `surrealdb.cbor.decode` without its second
result (the tags it could not decode, which it leaves in the value as it found them).
`tag_decoder` is the official name of the per-tag hook.
"""

from typing import Any

from surrealdb import cbor
from surrealdb.cbor import CBORTag, encode

__all__ = ["decode", "encode", "tag_decoder"]


def decode(data: bytes) -> Any:
    """Decode one CBOR message to our values (`surrealdb.cbor.decode` without the unknown tags)."""
    value, _ = cbor.decode(data)
    return value


def tag_decoder(decoder: object, tag: CBORTag, shareable_index: int | None = None) -> Any:
    """The value of one tag whose content is already decoded (the official hook's shape).

    It goes through our codec (encoded, then decoded), so it gives exactly what `decode`
    gives for that tag; `decoder` and `shareable_index` are not used. An unknown tag or
    malformed content raises `BufferError`, as in the official SDK.
    """
    value, undecoded = cbor.decode(encode(tag))
    if undecoded:
        raise BufferError("no decoder for tag", tag.tag)
    return value
