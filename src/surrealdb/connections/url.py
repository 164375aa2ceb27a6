"""The official module path `surrealdb.connections.url`: `UrlScheme` and `Url`.

Both are thin views over our URL checks in `surrealdb.url` (`parse_url`), which every
connection runs on its URL: a URL that `Url` accepts is one a connection accepts.
"""

from __future__ import annotations

from enum import Enum
from urllib.parse import urlsplit

from surrealdb.url import parse_url

__all__ = ["Url", "UrlScheme"]


class UrlScheme(Enum):
    """The URL schemes, by the official SDK's names (`UrlScheme("ws")`, `UrlScheme.WS.value`).

    `surrealkv+versioned` is the official SDK's too; our embedded engine does not take it.
    """

    HTTP = "http"
    HTTPS = "https"
    WS = "ws"
    WSS = "wss"
    MEM = "mem"
    FILE = "file"
    MEMORY = "memory"
    SURREALKV = "surrealkv"
    SURREALKV_VERSIONED = "surrealkv+versioned"


class Url:
    """A connection URL split as the official SDK's `Url` has it.

    Attributes:
        raw_url: the URL as given, without a trailing `/rpc`.
        scheme: its `UrlScheme`.
        hostname: the host (None for embedded URLs).
        port: the port, or None when the URL names none.

    Raises `InvalidURLError` (a `ValueError`) for a URL no connection would take.
    """

    __slots__ = ("hostname", "port", "raw_url", "scheme")

    def __init__(self, url: str) -> None:
        parse_url(url)
        text = url.strip()
        scheme = text.split("://", 1)[0].lower() if "://" in text else text.lower()
        parts = urlsplit(text)
        self.raw_url: str = text.removesuffix("/rpc")
        self.scheme: UrlScheme = UrlScheme(scheme)
        self.hostname: str | None = parts.hostname
        self.port: int | None = parts.port

    def __repr__(self) -> str:
        return f"Url({self.raw_url!r})"
