"""One WebSocket on a plain socket, framed by websockets' sans-I/O `ClientProtocol`.

The blocking transport reads in whichever thread waits for a reply (see `ws_blocking`), so a
link has no thread of its own: `receive()` reads once, within a timeout, and returns the
complete messages that came; `send()` may be called from any thread meanwhile. Only one
thread at a time may call `receive()`; the transport makes sure of that.

The socket is non-blocking and every wait is a `poll` with a timeout, so a reader is back by
its deadline even when only part of a TLS record has arrived.
"""

from __future__ import annotations

import os
import select
import socket
import ssl as ssl_module
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Self, cast

from websockets.client import ClientProtocol
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import USER_AGENT
from websockets.protocol import CLOSED, CONNECTING, OPEN
from websockets.proxy import get_proxy, parse_proxy
from websockets.sync.client import connect_http_proxy, connect_socks_proxy
from websockets.sync.utils import Deadline
from websockets.typing import LoggerLike, Subprotocol
from websockets.uri import WebSocketURI, parse_uri

RECEIVE_SIZE = 64 * 1024
"""The most bytes one `recv` takes from the socket.

Kept under glibc's mmap threshold (128 KiB): a larger buffer is mapped and unmapped for every
`recv`, which costs some 30 µs each time, more than the rest of a small call's reading."""

_BINARY, _TEXT, _CONT, _PONG = Opcode.BINARY, Opcode.TEXT, Opcode.CONT, Opcode.PONG


class LinkClosed(ConnectionError):
    """The WebSocket has ended (or is ending); the message says how, e.g. with the close code."""


class MessageAssembler:
    """Whole messages from the data frames websockets' sans-I/O protocol parses (sans-I/O).

    The protocol yields frames, fragments included; joining them into messages is left to the
    I/O layer. Both WebSocket transports use this one. The protocol has already checked the
    order of the frames (no continuation without a start), so no check is repeated here.
    """

    __slots__ = ("_fragments", "_text")

    def __init__(self) -> None:
        self._fragments: list[bytes] = []  # the frames so far of a message that is not whole
        self._text = False  # whether that message is text

    def message(self, frame: Frame) -> bytes | str | None:
        """The message `frame` completes (binary as bytes, text as str), or None: a fragment
        of one not whole yet, or a control frame (the caller looks at pongs itself)."""
        opcode = frame.opcode
        # A bytearray from the protocol: taken as it is, as bytes are (no copy).
        data = cast(bytes, frame.data)
        if opcode is _BINARY or opcode is _TEXT:
            if not frame.fin:
                self._fragments = [data]
                self._text = opcode is _TEXT
                return None
            return data if opcode is _BINARY else data.decode(errors="replace")
        if opcode is _CONT:
            self._fragments.append(data)
            if not frame.fin:
                return None
            message, self._fragments = b"".join(self._fragments), []
            return message.decode(errors="replace") if self._text else message
        return None


def _waiter(sock: socket.socket, *, writing: bool) -> Callable[[float | None], bool]:
    """A function that waits until `sock` is readable (or writable) or `timeout` passes.

    Errors and hang-ups count as ready: the next `recv` or `send` reports them.
    """
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLOUT if writing else select.POLLIN)

        def wait_poll(timeout: float | None) -> bool:
            if timeout is None:
                return bool(poller.poll())
            # Milliseconds, rounded up by poll(); never negative (that would wait forever).
            return bool(poller.poll(timeout * 1000 if timeout > 0 else 0))

        return wait_poll

    def wait_select(timeout: float | None) -> bool:  # where poll is missing (Windows)
        if writing:
            return bool(select.select([], [sock], [sock], timeout)[1])
        return bool(select.select([sock], [], [sock], timeout)[0])

    return wait_select


def _through_proxy(proxy_url: str, uri: WebSocketURI, timeout: float) -> socket.socket:
    """A socket to the server through the proxy the environment names (`wss_proxy`,
    `https_proxy`, a SOCKS proxy...), as websockets' own client connects."""
    proxy = parse_proxy(proxy_url)
    deadline = Deadline(timeout)
    if proxy.scheme.startswith("socks"):
        return connect_socks_proxy(proxy, uri, deadline)
    return connect_http_proxy(proxy, uri, deadline, user_agent_header=USER_AGENT)


def _left(deadline: float) -> float:
    """Seconds until `deadline`; raises TimeoutError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


class WsLink:
    """One client WebSocket: the socket, its sans-I/O protocol, and the locks that share them.

    Three locks, always taken in this order: `_write_lock` keeps whole frames from mixing on
    the wire, `_protocol_lock` guards the protocol's state (framing out, parsing in), and, for
    TLS only, `_ssl_lock` lets one OpenSSL call run at a time (a non-blocking call, so it is
    held only for an instant).
    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: ClientProtocol,
        close_timeout: float,
        early: list[Frame] | None = None,
    ) -> None:
        self._sock = sock
        self._protocol = protocol
        self._close_timeout = close_timeout
        self._tls = sock if isinstance(sock, ssl_module.SSLSocket) else None  # None: plain TCP
        self._write_lock = threading.Lock()
        self._protocol_lock = threading.Lock()
        self._ssl_lock = threading.Lock()
        # One poll object per use: poll objects refuse concurrent calls.
        self._readable = _waiter(sock, writing=False)  # for the reader
        self._writable = _waiter(sock, writing=True)  # for the writer
        self._peek = _waiter(sock, writing=False)  # for `readable_now()`
        self._assembler = MessageAssembler()
        self._closing_deadline: float | None = None  # when to stop waiting for the server's EOF
        self._early = early or []  # frames that came with the handshake's response
        self._ping_payload = b""
        self.ping_sent_at: float | None = None
        """When the keepalive ping that has no pong yet was sent (None: none is unanswered)."""

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        url: str,
        *,
        ssl: ssl_module.SSLContext | None,
        timeout: float,
        max_size: int,
        close_timeout: float,
        logger: LoggerLike,
    ) -> Self:
        """Connect to a ws:// or wss:// URL and make the opening handshake, within `timeout` s.

        Raises TimeoutError, OSError (`ssl.SSLError` included), or websockets' `InvalidURI` or
        `InvalidHandshake`.
        """
        uri = parse_uri(url)
        deadline = time.monotonic() + timeout
        proxy = get_proxy(uri)
        if proxy is None:
            sock = socket.create_connection((uri.host, uri.port), timeout)
        else:
            sock = _through_proxy(proxy, uri, timeout)
        try:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if uri.secure:
                context = ssl if ssl is not None else ssl_module.create_default_context()
                sock.settimeout(_left(deadline))
                sock = context.wrap_socket(sock, server_hostname=uri.host)
            protocol = ClientProtocol(
                uri, subprotocols=[Subprotocol("cbor")], max_size=max_size, logger=logger
            )
            request = protocol.connect()
            request.headers["User-Agent"] = USER_AGENT
            protocol.send_request(request)
            sock.settimeout(_left(deadline))
            sock.sendall(b"".join(protocol.data_to_send()))
            while protocol.state is CONNECTING and protocol.handshake_exc is None:
                sock.settimeout(_left(deadline))
                data = sock.recv(RECEIVE_SIZE)
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
            if protocol.handshake_exc is not None:
                raise protocol.handshake_exc
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        early = [event for event in protocol.events_received() if isinstance(event, Frame)]
        return cls(sock, protocol, close_timeout, early)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server chose."""
        return self._protocol.subprotocol

    # ------------------------------------------------------------------ sending

    def send(self, message: bytes) -> None:
        """Send one binary message (from any thread).

        Raises `LinkClosed` once the closing handshake has started, OSError when the socket
        fails; either way the message was not sent whole, so it never runs on the server.
        """
        with self._write_lock:
            with self._protocol_lock:
                if self._protocol.state is not OPEN:
                    raise LinkClosed("the connection is closing")
                self._protocol.send_binary(message)
                chunks = self._protocol.data_to_send()
            for chunk in chunks:
                self._send_all(chunk)

    def ping(self) -> bool:
        """Send a keepalive ping, unless a message is being sent now; whether it was sent."""
        if not self._write_lock.acquire(blocking=False):
            return False
        try:
            with self._protocol_lock:
                if self._protocol.state is not OPEN:
                    return False
                payload = os.urandom(4)
                self._protocol.send_ping(payload)
                chunks = self._protocol.data_to_send()
                self._ping_payload = payload
                self.ping_sent_at = time.monotonic()
            for chunk in chunks:
                self._send_all(chunk)
        except OSError:
            return False  # the link is failing: the reader will see it
        finally:
            self._write_lock.release()
        return True

    def start_close(self) -> None:
        """Send a close frame (code 1000), without waiting; the server answers with its own
        and ends the TCP connection, which `receive()` then reports. Best effort: skipped
        when the link is already closing, or while a message takes too long to send."""
        if not self._write_lock.acquire(timeout=self._close_timeout):
            return
        try:
            with self._protocol_lock:
                if self._protocol.state is not OPEN:
                    return
                self._protocol.send_close(CloseCode.NORMAL_CLOSURE)
                chunks = self._protocol.data_to_send()
                self._closing_deadline = time.monotonic() + self._close_timeout
            for chunk in chunks:
                self._send_all(chunk, patient=False)
        except OSError:
            pass  # the link is failing anyway
        finally:
            self._write_lock.release()

    def _send_all(self, data: bytes, *, patient: bool = True) -> None:
        """Write all of `data` (hold `_write_lock`); wait for room in the socket's buffer
        unless not `patient`. A `shutdown()` from another thread ends the wait with an error."""
        if not data:  # the protocol asks to half-close the TCP connection: it ends anyway
            return
        view = memoryview(data)
        while True:
            try:
                if self._tls is not None:
                    with self._ssl_lock:
                        sent = self._sock.send(view)
                else:
                    sent = self._sock.send(view)
            except (BlockingIOError, ssl_module.SSLWantWriteError, ssl_module.SSLWantReadError):
                sent = 0  # TLS: retried with the same data, as OpenSSL requires
            if sent == len(view):
                return
            if not patient:
                raise BlockingIOError("the socket's send buffer is full")
            view = view[sent:]
            self._writable(None)

    # ------------------------------------------------------------------ receiving

    def receive(self, timeout: float | None) -> list[bytes | str]:
        """Read once, waiting up to `timeout` seconds (None: no limit) for data to come.

        Returns the complete messages received (binary as bytes, text as str), often none.
        Answers pings, notes pongs, and raises `LinkClosed` once the link has ended (the
        messages that came before the end are returned first).
        """
        early = self._early
        if early:
            self._early = []
            return self._messages(early)
        protocol = self._protocol
        if protocol.state is CLOSED:
            raise LinkClosed(self.close_reason())
        if self._closing_deadline is not None:  # no reply can come: only waiting for EOF
            left = self._closing_deadline - time.monotonic()
            if left <= 0:
                self.shutdown()
                with self._protocol_lock:
                    protocol.receive_eof()
                raise LinkClosed(self.close_reason())
            timeout = left if timeout is None else min(timeout, left)
        tls = self._tls
        if not (tls is not None and self._tls_pending(tls)) and not self._readable(timeout):
            return []
        try:
            if tls is not None:
                with self._ssl_lock:
                    data = self._sock.recv(RECEIVE_SIZE)
            else:
                data = self._sock.recv(RECEIVE_SIZE)
        except (BlockingIOError, ssl_module.SSLWantReadError, ssl_module.SSLWantWriteError):
            return []  # TLS: only part of a record so far
        except OSError:
            data = b""  # reset, shut down or closed: the end of the stream
        with self._protocol_lock:
            if data:
                protocol.receive_data(data)
            else:
                protocol.receive_eof()
            events = protocol.events_received()
            chunks = protocol.data_to_send()  # pongs, and the answer to a close frame
            if protocol.close_expected() and self._closing_deadline is None:
                self._closing_deadline = time.monotonic() + self._close_timeout
        if chunks and protocol.state is not CLOSED:
            try:
                with self._write_lock:
                    for chunk in chunks:
                        self._send_all(chunk)
            except OSError:
                pass  # the next read tells how the link ended
        messages = self._messages(events) if events else []
        if not messages and protocol.state is CLOSED:
            raise LinkClosed(self.close_reason())
        return messages

    def _messages(self, events: Sequence[object]) -> list[bytes | str]:
        """The complete messages among received frames; notes pongs to our pings."""
        messages: list[bytes | str] = []
        assemble = self._assembler.message
        for frame in events:
            if not isinstance(frame, Frame):
                continue
            if frame.opcode is _PONG:
                if frame.data == self._ping_payload:
                    self.ping_sent_at = None
            elif (message := assemble(frame)) is not None:
                messages.append(message)
        return messages

    def _tls_pending(self, tls: ssl_module.SSLSocket) -> bool:
        """Whether OpenSSL holds decrypted bytes not read yet (the socket shows none)."""
        with self._ssl_lock:
            return tls.pending() > 0

    def readable_now(self) -> bool:
        """Whether data waits to be read (never blocks; one thread at a time may ask)."""
        with suppress(OSError, ValueError):
            tls = self._tls
            return (tls is not None and self._tls_pending(tls)) or self._peek(0)
        return True  # a closed socket: reading reports the end

    def close_reason(self) -> str:
        """How the WebSocket closed, in websockets' words (e.g. "received 1001 (going away);
        then sent 1001 (going away)"); call once it is closed."""
        return str(self._protocol.close_exc)

    # ------------------------------------------------------------------ ending

    def shutdown(self) -> None:
        """End the TCP connection now (from any thread); a thread waiting to read or write
        on it wakes up and sees the end."""
        with suppress(OSError):
            # socket.socket's own method: SSLSocket.shutdown() would first drop its TLS
            # state, under the feet of a thread that is reading.
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def close(self) -> None:
        """Shut down and release the socket; call once nobody reads it any more."""
        self.shutdown()
        acquired = self._write_lock.acquire(timeout=self._close_timeout)  # a writer sees the end
        try:
            self._sock.close()
        finally:
            if acquired:
                self._write_lock.release()
