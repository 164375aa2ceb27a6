"""The server's HTTP endpoints beyond `/rpc` (schema/http.toml): their requests and transfer.

The generated methods build an `EndpointRequest` and hand it to the connection's `_endpoint`.
HTTP and WebSocket connections send it to the server's HTTP endpoint with `send` (a WebSocket
connection to the same host's: `ws://host:port/rpc` -> `http://host:port`), using the standard
library's `http.client` on its own connection, so the transports' `/rpc` traffic and their
HTTP engine are left alone. The asyncio connections run `send` in a worker thread.

`export()` and `import_()` stream the dump: it goes between the socket and the file or stream
in `CHUNK_SIZE` pieces, so a transfer holds about one chunk in memory whatever the dump's size.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import socket
import ssl as ssl_module
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import urlsplit, urlunsplit

from surrealdb import cbor
from surrealdb.api_types import DumpFile, Progress
from surrealdb.errors import (
    AuthenticationError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ServerError,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.transports.http_state import session_headers
from surrealdb.url import ConnectionURL

ERROR_TEXT_LIMIT = 500
"""Characters of an error response's message quoted in the exception."""

ERROR_BODY_LIMIT = 64 * 1024
"""Bytes of an error response read to find its message."""

CHUNK_SIZE = 1024 * 1024
"""Bytes read from, or written to, a dump at a time: what a transfer holds in memory."""


@dataclass(frozen=True)
class EndpointRequest:
    """One call of an HTTP endpoint: which endpoint, and the method's arguments."""

    name: str
    """The client method, for error messages."""
    http_method: str
    path: str
    authenticated: bool = False
    """Sent with the connection's namespace, database and token."""
    arguments: dict[str, Any] = field(default_factory=dict)


class EndpointTarget:
    """Where and how to send endpoint requests: the server's HTTP base URL, TLS, timeouts,
    and the connection's namespace, database and token (never in the repr)."""

    __slots__ = ("_token", "base", "connect_timeout", "database", "namespace", "ssl", "timeout")

    def __init__(
        self,
        base: str,
        *,
        ssl: ssl_module.SSLContext | None,
        connect_timeout: float,
        timeout: float | None,
        namespace: str | None = None,
        database: str | None = None,
        token: str | None = None,
    ) -> None:
        self.base = base
        self.ssl = ssl
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.namespace = namespace
        self.database = database
        self._token = token

    def __repr__(self) -> str:
        return f"<EndpointTarget {self.base!r} signed_in={self._token is not None}>"

    def headers(self, request: EndpointRequest) -> dict[str, str]:
        """The request's headers: the session's, for an authenticated endpoint."""
        if not request.authenticated:
            return {}
        return session_headers(self.namespace, self.database, self._token)


def http_base(url: ConnectionURL) -> str:
    """The server's HTTP base URL for a ws:// or http:// connection URL.

    A WebSocket URL `ws://host:port/prefix/rpc` gives `http://host:port/prefix` (`wss` gives
    `https`): the same server's HTTP endpoints.
    """
    parts = urlsplit(url.endpoint)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/").removesuffix("/rpc")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def send(
    target: EndpointTarget,
    request: EndpointRequest,
    opened: Callable[[http.client.HTTPConnection], None] | None = None,
) -> Any:
    """Make the request on a new HTTP connection; return its result, or raise its error.

    With a `src` argument the body is streamed from it; with `dest` the response is streamed
    into it (both in `CHUNK_SIZE` pieces, with `progress` told the running total), and the
    result is the number of bytes moved. `opened` is given the HTTP connection, so that a
    cancelled asyncio call can `abort` it from its own thread.
    """
    args = request.arguments
    progress: Progress | None = args.get("progress")
    headers = target.headers(request)
    body: bytes | _Upload | None = None
    with contextlib.ExitStack() as cleanup:
        if "src" in args:
            upload = _Upload(_readable(args["src"], cleanup), progress)
            body = upload
            headers["Accept"] = "application/octet-stream"  # the server then sends no results
            if upload.length is not None:
                headers["Content-Length"] = str(upload.length)
        elif "options" in args:
            body = cbor.encode(dict(args["options"] or {}))
            headers["Content-Type"] = "application/cbor"
        response = _exchange(target, request, headers, body, cleanup, opened)
        if "dest" in args:
            return _download(response, args["dest"], progress, target, request)
        response.read()
        return upload.sent if isinstance(body, _Upload) else None


def _exchange(
    target: EndpointTarget,
    request: EndpointRequest,
    headers: dict[str, str],
    body: bytes | _Upload | None,
    cleanup: contextlib.ExitStack,
    opened: Callable[[http.client.HTTPConnection], None] | None,
) -> http.client.HTTPResponse:
    """Send the request and read the response's head; raise unless it is HTTP 200."""
    parts = urlsplit(target.base)
    display = f"{target.base}{request.path}"
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.netloc, timeout=target.connect_timeout, context=target.ssl, blocksize=CHUNK_SIZE
        )
    else:
        connection = http.client.HTTPConnection(
            parts.netloc, timeout=target.connect_timeout, blocksize=CHUNK_SIZE
        )
    cleanup.callback(connection.close)
    if opened is not None:
        opened(connection)
    try:
        connection.connect()
    except OSError as exc:
        raise SurrealConnectionError(f"cannot connect to {display}: {exc}") from None
    if connection.sock is not None:
        connection.sock.settimeout(target.timeout)
    with _failures(target, request):
        connection.request(request.http_method, parts.path + request.path, body, headers)
        response = connection.getresponse()
        if response.status != 200:
            raise_for_status(response.status, response.read(ERROR_TEXT_LIMIT), display)
    return response


@contextlib.contextmanager
def _failures(target: EndpointTarget, request: EndpointRequest) -> Iterator[None]:
    """Turn a timeout or a broken connection into the client's errors."""
    display = f"{target.base}{request.path}"
    try:
        yield
    except TimeoutError:
        raise SurrealTimeoutError(
            f"{request.name}() got no answer from {display} within {target.timeout} s"
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise SurrealConnectionError(f"{request.name}() failed at {display}: {exc}") from None


def _download(
    response: http.client.HTTPResponse,
    dest: DumpFile,
    progress: Progress | None,
    target: EndpointTarget,
    request: EndpointRequest,
) -> int:
    """Copy the response body into `dest` chunk by chunk; a file made here is removed again
    when the transfer fails."""
    if isinstance(dest, str | os.PathLike):
        path = os.fspath(dest)
        try:
            with open(path, "wb") as file:
                return _copy(response, file, progress, target, request)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(path)
            raise
    if isinstance(dest, io.TextIOBase) or not callable(getattr(dest, "write", None)):
        raise InvalidArgumentTypeError(
            f"{request.name}() writes to a file path or a binary stream, got {type(dest).__name__}"
        )
    return _copy(response, dest, progress, target, request)


def _copy(
    response: http.client.HTTPResponse,
    sink: BinaryIO,
    progress: Progress | None,
    target: EndpointTarget,
    request: EndpointRequest,
) -> int:
    total = 0
    while True:
        with _failures(target, request):
            chunk = response.read(CHUNK_SIZE)
        if not chunk:
            return total
        sink.write(chunk)
        total += len(chunk)
        if progress is not None:
            progress(total)


def _readable(src: DumpFile, cleanup: contextlib.ExitStack) -> BinaryIO:
    """The binary stream to upload: the file at a path (closed by `cleanup`), or `src`."""
    if isinstance(src, str | os.PathLike):
        try:
            return cleanup.enter_context(open(os.fspath(src), "rb"))
        except OSError as exc:
            raise InvalidArgumentError(f"import_() cannot read {os.fspath(src)!r}: {exc}") from None
    if isinstance(src, io.TextIOBase) or not callable(getattr(src, "read", None)):
        raise InvalidArgumentTypeError(
            f"import_() reads a file path or a binary stream, got {type(src).__name__}"
        )
    return src


class _Upload:
    """A request body read from a binary stream in chunks, counting what was sent.

    `length` is known for a regular file (sent as Content-Length); otherwise the body goes
    with chunked transfer encoding.
    """

    def __init__(self, stream: BinaryIO, progress: Progress | None) -> None:
        self._stream = stream
        self._progress = progress
        self.sent = 0
        self.length: int | None = None
        try:
            info = os.fstat(stream.fileno())
            if stat.S_ISREG(info.st_mode):
                self.length = info.st_size - stream.tell()
        except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
            pass

    def read(self, size: int = CHUNK_SIZE) -> bytes:
        """The next chunk (what http.client calls to send the body)."""
        chunk = self._stream.read(size)
        if chunk:
            self.sent += len(chunk)
            if self._progress is not None:
                self._progress(self.sent)
        return chunk


def abort(connection: http.client.HTTPConnection) -> None:
    """Break off a transfer from another thread: its reads and writes fail at once."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def raise_for_status(status: int, body: bytes, display: str) -> None:
    """Raise the error of an endpoint's answer other than HTTP 200.

    The server's JSON error body gives its `information` (the engine's message, such as a
    script's parse error); any other body is quoted as it is.
    """
    text = body.decode("utf-8", "replace").strip()
    try:
        information = json.loads(text).get("information")
    except (ValueError, AttributeError):
        information = None
    if isinstance(information, str) and information:
        text = information.strip()
    text = text[:ERROR_TEXT_LIMIT]
    if status in (401, 403):
        raise AuthenticationError(f"{display} refused the credentials (HTTP {status}): {text}")
    raise ServerError(f"{display} answered HTTP {status}: {text}", code=status)


def nothing(result: Any) -> None:
    """An endpoint answered for its effect: its reply carries nothing."""
    del result


def byte_count(result: Any) -> int:
    """The number of bytes a transfer moved."""
    assert isinstance(result, int)
    return result
