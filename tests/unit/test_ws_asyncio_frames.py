"""The asyncio WebSocket link from raw bytes: no socket, no server.

websockets' sans-I/O protocol does the framing; the link routes what it parses and writes what
it sends. Here the handshake response and a mix of frames (short, 16-bit and 64-bit lengths,
fragments, pings, text) arrive in every possible cut, from one byte at a time to all at once,
and each reply must reach its call; malformed streams must end the link with the right code.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader
from websockets.typing import Subprotocol
from websockets.uri import parse_uri
from websockets.utils import accept_key

from surrealdb import cbor as surreal_cbor
from surrealdb.transports.ws_asyncio import AsyncWsTransport, _Link

LIMIT = 1024 * 1024


class FakeSocket(asyncio.Transport):
    """Records what the link writes; closing is all it does."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True


def new_link() -> tuple[_Link, FakeSocket, bytes]:
    """A link whose handshake request went out, and the server's response to it."""
    owner = AsyncWsTransport("ws://127.0.0.1:9/rpc", keepalive_interval=None)
    ws = ClientProtocol(
        parse_uri("ws://127.0.0.1:9/rpc"), subprotocols=[Subprotocol("cbor")], max_size=LIMIT
    )
    link = _Link(owner, ws)
    socket = FakeSocket()
    link.connection_made(socket)
    assert socket.written[0].startswith(b"GET /rpc HTTP/1.1\r\n")
    response = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(ws.key)}\r\nSec-WebSocket-Protocol: cbor\r\n\r\n"
    ).encode()
    return link, socket, response


def server_frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False)


def reply(request_id: int, result: Any) -> bytes:
    return surreal_cbor.encode({"id": request_id, "result": result})


def expect(link: _Link, request_id: int) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    link.pending[request_id] = (future, math.inf)
    return future


RESULTS: dict[int, Any] = {
    1: "short",
    2: "x" * 300,  # a 16-bit length
    3: "y" * 70_000,  # a 64-bit length
    4: {"fragmented": list(range(50))},
    5: [],
}


def stream() -> bytes:
    """Replies 1 to 5 with a ping, a text frame and fragments in between."""
    fragmented = reply(4, RESULTS[4])
    return b"".join(
        [
            server_frame(Opcode.BINARY, reply(1, RESULTS[1])),
            server_frame(Opcode.PING, b"are you there"),
            server_frame(Opcode.BINARY, reply(2, RESULTS[2])),
            server_frame(Opcode.TEXT, b"not CBOR"),
            server_frame(Opcode.BINARY, reply(3, RESULTS[3])),
            server_frame(Opcode.BINARY, fragmented[:10], fin=False),
            server_frame(Opcode.PING, b"mid-message"),
            server_frame(Opcode.CONT, fragmented[10:20], fin=False),
            server_frame(Opcode.CONT, fragmented[20:], fin=True),
            server_frame(Opcode.BINARY, reply(5, RESULTS[5])),
        ]
    )


def cuts(data: bytes, how: str) -> Iterator[bytes]:
    if how == "whole":
        yield data
    elif how == "bytes":
        yield from (data[i : i + 1] for i in range(len(data)))
    else:
        rng = random.Random(how)
        position = 0
        while position < len(data):
            size = rng.choice([1, 2, 3, 7, 64, 1000, 5000, 100_000])
            yield data[position : position + size]
            position += size


def parse_sent(data: bytes) -> list[Frame]:
    """The frames a client wrote, read as a server reads them (masked)."""
    reader = StreamReader()
    reader.feed_data(data)
    frames = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=True)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
        else:
            raise AssertionError("a frame was cut short")
    return frames


@pytest.mark.parametrize("how", ["whole", "bytes", "random-1", "random-2", "random-3"])
async def test_replies_reach_their_calls_however_the_stream_is_cut(
    how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="surrealdb")
    link, socket, response = new_link()
    futures = {request_id: expect(link, request_id) for request_id in RESULTS}
    for piece in cuts(response + stream(), how):  # the response and the first frames together
        link.data_received(piece)
    assert link.opened.done() and link.opened.exception() is None
    assert {request_id: future.result() for request_id, future in futures.items()} == RESULTS
    assert link.ended is None and link.pending == {}
    pongs = [f for f in parse_sent(b"".join(socket.written[1:])) if f.opcode is Opcode.PONG]
    assert [pong.data for pong in pongs] == [b"are you there", b"mid-message"]
    assert [r.getMessage() for r in caplog.records] == [
        "dropped a text frame: this client speaks CBOR only"
    ]


async def test_calls_made_in_one_loop_turn_are_written_together() -> None:
    link, socket, response = new_link()
    link.data_received(response)
    futures = []
    for request_id in (1, 2, 3):
        futures.append(asyncio.get_running_loop().create_future())
        assert link.send(request_id, futures[-1], math.inf, reply(request_id, "request"))
    assert len(socket.written) == 2  # the handshake, and the first call at once
    await asyncio.sleep(0)  # the end of this loop turn
    assert len(socket.written) == 3  # the other two, in one write
    frames = parse_sent(b"".join(socket.written[1:]))
    assert [surreal_cbor.decode(bytes(frame.data))[0]["id"] for frame in frames] == [1, 2, 3]


async def test_a_frame_over_the_size_limit_fails_the_link() -> None:
    link, socket, response = new_link()
    future = expect(link, 1)
    link.data_received(response)
    header = server_frame(Opcode.BINARY, reply(1, "z" * (LIMIT + 10)))[:20]
    link.data_received(header)  # the header alone is enough to refuse it
    assert link.ended is not None and "1009" in link.ended
    assert isinstance(future.exception(), ConnectionError)
    [close] = parse_sent(b"".join(socket.written[1:]))
    assert close.opcode is Opcode.CLOSE


async def test_a_masked_frame_from_the_server_fails_the_link() -> None:
    link, _socket, response = new_link()
    link.data_received(response + Frame(Opcode.BINARY, reply(1, "x")).serialize(mask=True))
    assert link.ended is not None and "1002" in link.ended


async def test_a_frame_cut_short_by_the_end_of_the_stream_ends_the_link() -> None:
    link, _socket, response = new_link()
    future = expect(link, 1)
    link.data_received(response + server_frame(Opcode.BINARY, reply(1, "x" * 500))[:100])
    assert link.ended is None
    link.eof_received()
    assert link.ended is not None
    assert isinstance(future.exception(), ConnectionError)


async def test_a_close_frame_ends_the_link_and_is_echoed() -> None:
    link, socket, response = new_link()
    future = expect(link, 1)
    close = Frame(Opcode.CLOSE, b"\x03\xe9going away").serialize(mask=False)  # 1001
    link.data_received(response + close + server_frame(Opcode.BINARY, reply(1, "late")))
    assert link.ended is not None and "1001" in link.ended
    assert isinstance(future.exception(), ConnectionError)  # nothing after a close frame counts
    [echo] = parse_sent(b"".join(socket.written[1:]))
    assert echo.opcode is Opcode.CLOSE


async def test_a_refused_handshake_fails_the_opening() -> None:
    link, _socket, _ = new_link()
    link.data_received(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!")
    assert link.opened.done()
    assert "404" in str(link.opened.exception())
