"""`MessageAssembler`: whole messages from WebSocket frames, shared by both transports."""

from __future__ import annotations

from websockets.frames import Frame, Opcode

from surrealdb.transports.ws_link import MessageAssembler


def test_a_whole_frame_is_a_whole_message() -> None:
    assembler = MessageAssembler()
    assert assembler.message(Frame(Opcode.BINARY, b"\xa1\x01\x02")) == b"\xa1\x01\x02"
    assert assembler.message(Frame(Opcode.TEXT, "héllo".encode())) == "héllo"


def test_fragments_are_joined_in_order_and_only_the_last_completes() -> None:
    assembler = MessageAssembler()
    assert assembler.message(Frame(Opcode.BINARY, b"ab", fin=False)) is None
    assert assembler.message(Frame(Opcode.CONT, b"cd", fin=False)) is None
    assert assembler.message(Frame(Opcode.CONT, b"ef")) == b"abcdef"
    # The next message starts afresh, and a text one comes back as text.
    assert assembler.message(Frame(Opcode.TEXT, b"x", fin=False)) is None
    assert assembler.message(Frame(Opcode.CONT, b"\xff")) == "x\ufffd"
    assert assembler.message(Frame(Opcode.BINARY, b"z")) == b"z"


def test_control_frames_between_fragments_complete_nothing() -> None:
    assembler = MessageAssembler()
    assert assembler.message(Frame(Opcode.BINARY, b"a", fin=False)) is None
    assert assembler.message(Frame(Opcode.PING, b"p")) is None
    assert assembler.message(Frame(Opcode.PONG, b"p")) is None
    assert assembler.message(Frame(Opcode.CONT, b"b")) == b"ab"
