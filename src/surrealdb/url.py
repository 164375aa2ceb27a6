"""Connection URLs: which transport a URL asks for, and the endpoint that transport uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from surrealdb.errors import InvalidURLError, UnsupportedEngineError

TransportKind = Literal["ws", "http", "embedded"]

SUPPORTED_SCHEMES = (
    "ws://",
    "wss://",
    "http://",
    "https://",
    "mem://",
    "memory",
    "surrealkv://PATH",
    "file://PATH",
)

_KINDS: dict[str, TransportKind] = {
    "ws": "ws",
    "wss": "ws",
    "http": "http",
    "https": "http",
    "mem": "embedded",
    "memory": "embedded",
    "surrealkv": "embedded",
    "file": "embedded",
}


@dataclass(frozen=True)
class ConnectionURL:
    """A parsed connection URL.

    Attributes:
        kind: the transport the URL asks for.
        endpoint: what the transport connects to: the `/rpc` WebSocket URL, the HTTP base URL
            (no trailing slash), or the embedded engine's URL.
        display: the URL with any user name and password removed, safe to show in reprs.
    """

    kind: TransportKind
    endpoint: str
    display: str


def parse_url(url: object) -> ConnectionURL:
    """Check a connection URL and work out its transport; raises `InvalidURLError`."""
    if not isinstance(url, str):
        raise InvalidURLError(f"the URL must be a string, got {type(url).__name__}")
    text = url.strip()
    if text in ("memory", "mem://", "mem:"):
        return ConnectionURL("embedded", "mem://", "mem://")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    kind = _KINDS.get(scheme)
    if kind is None:
        raise UnsupportedEngineError(without_credentials(text))
    if kind == "embedded":
        return _embedded(text, scheme)
    return _network(text, kind)


def _embedded(text: str, scheme: str) -> ConnectionURL:
    if scheme == "mem" or scheme == "memory":
        return ConnectionURL("embedded", "mem://", "mem://")
    path = text.split("://", 1)[1]
    if not path:
        raise InvalidURLError(
            f"{text!r} names no path: use {scheme}://PATH (for example ./data)", url=text
        )
    _check_characters(text, allow_space=True)  # a path may hold spaces
    endpoint = f"{scheme}://{path}"
    return ConnectionURL("embedded", endpoint, endpoint)


def _network(text: str, kind: TransportKind) -> ConnectionURL:
    if "@" in text:
        # Anything with an "@" may be user:password@, and a password may itself hold "/", "?"
        # or "#" (`ws://root:2024/Spring@host/rpc` would parse as host "root", port 2024):
        # refused whole, and the URL is not echoed.
        raise InvalidURLError(
            "the URL holds an '@' (user:password@ credentials?): put credentials in signin(),"
            " not in the URL: URLs end up in logs"
        )
    _check_characters(text, allow_space=False)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidURLError(
            f"invalid URL {text!r}: its host or port cannot be parsed", url=text
        ) from None
    if not parts.hostname:
        raise InvalidURLError(f"the URL {text!r} names no host", url=text)
    _check_host(parts.hostname, text)
    netloc = parts.netloc
    path = parts.path.rstrip("/")
    if kind == "ws":
        if not path.endswith("/rpc"):
            path = f"{path}/rpc"
    else:
        path = path.removesuffix("/rpc")
    endpoint = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))
    del port  # parsed only to validate it
    return ConnectionURL(kind, endpoint, endpoint)


def _check_characters(text: str, *, allow_space: bool) -> None:
    """Refuse control characters (a NUL fails deep in the resolver or the file system)."""
    for position, character in enumerate(text):
        if character < " " or character == "\x7f" or (character == " " and not allow_space):
            raise InvalidURLError(
                f"invalid URL {text!r}: it holds a space or control character"
                f" ({character!r} at position {position})",
                url=text,
            )


def _check_host(host: str, text: str) -> None:
    """Refuse a host name that name resolution would reject on the first call.

    The same IDNA encoding the socket module applies: every label 1 to 63 characters long
    (non-ASCII labels count in their punycode form). IPv6 literals are left to the resolver.
    """
    if ":" in host:
        return
    try:
        host.encode("idna")
    except UnicodeError as error:
        reason = error.__cause__ or error  # the codec's own words: "label empty or too long"
        raise InvalidURLError(
            f"invalid URL {text!r}: the host name {host!r} is not valid ({reason});"
            " each dot-separated label must be 1 to 63 characters",
            url=text,
        ) from None


def without_credentials(text: str) -> str:
    """The URL with anything that may be `user:password@` hidden, for error messages.

    Everything before the last `@` is hidden: a password may itself contain `/`, `?` or `#`.
    """
    if "@" not in text:
        return text
    scheme, separator, _ = text.partition("://")
    after_credentials = text.rsplit("@", 1)[1]
    return f"{scheme}://***@{after_credentials}" if separator else f"***@{after_credentials}"
