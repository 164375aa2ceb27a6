"""Fuzzing the reply handling of live connections: a fake server on 127.0.0.1 sends thousands
of random, mutated, truncated and hostile frames between its real replies. The reader (a
thread, or a task) must route every real reply to its caller and every notification to its
live query, log and drop the rest, and never fail: the same connection, never reconnected,
answers the next call.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from surrealdb import AsyncSurreal, Surreal
from surrealdb import cbor as surreal_cbor
from surrealdb.protocol import ErrorReply, Reply, RpcProtocol
from surrealdb.values import Datetime, RecordID
from tests.integration.test_ws_faults import ECHO, LIVE_ID, FakeConnection, FakeServer
from tests.unit.test_fuzz_cbor import HOSTILE

STRAY = 2**40
"""Ids far above the client's own, so no fuzzed frame answers a real call by chance."""

SEEDS = [
    surreal_cbor.encode({"id": STRAY + 1, "result": [{"id": RecordID("person", "ada")}]}),
    surreal_cbor.encode({"id": STRAY + 2, "result": {"t": Datetime(1_700_000_000, 5)}}),
    surreal_cbor.encode({"id": STRAY + 3, "error": {"code": -32000, "message": "x"}}),
    surreal_cbor.encode(
        {"result": {"action": "UPDATE", "id": uuid.UUID(int=7), "record": RecordID("t", 1)}}
    ),
]

FRAMES_PER_CALL = 1000
CALLS = 10
WAIT = 10.0


def random_frames(rng: random.Random, count: int) -> Iterator[bytes]:
    """Random bytes, mutated and truncated real frames, hostile frames, in a mix; never one
    that a server could mean as the reply to a call of the client's (a mutation can make one).
    """
    for frame in _candidates(rng, count):
        event = PROTOCOL.decode_frame(frame)
        if isinstance(event, Reply | ErrorReply) and event.id < STRAY:
            yield b"\xff"
        else:
            yield frame


PROTOCOL = RpcProtocol()


def _candidates(rng: random.Random, count: int) -> Iterator[bytes]:
    for _ in range(count):
        kind = rng.random()
        if kind < 0.3:
            yield rng.randbytes(rng.randrange(0, 64))
        elif kind < 0.9:
            frame = bytearray(rng.choice(SEEDS))
            for _ in range(rng.randrange(1, 5)):
                frame[rng.randrange(len(frame))] = rng.randrange(256)
            yield bytes(frame[: rng.randrange(1, len(frame) + 1)])
        elif kind < 0.95:
            yield rng.choice(HOSTILE)
        else:  # a valid reply for an id nobody waits for
            yield surreal_cbor.encode({"id": STRAY + rng.randrange(10**6), "result": "stray"})


class Fuzzing:
    """Answers `run(ECHO, [n])` after FRAMES_PER_CALL random frames and one notification."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sent = 0

    def __call__(self, connection: FakeConnection, request: dict[str, Any]) -> None:
        if request["method"] == "run":
            for frame in random_frames(self.rng, FRAMES_PER_CALL):
                connection.send(frame)
                self.sent += 1
            connection.notify("CREATE", 1)
        connection.answer(request)


@pytest.fixture
def fuzzing() -> Iterator[tuple[Fuzzing, FakeServer]]:
    behaviour = Fuzzing(seed=8)
    server = FakeServer(behaviour)
    try:
        yield behaviour, server
    finally:
        server.stop()


def test_the_reader_thread_survives_a_stream_of_bad_frames(
    fuzzing: tuple[Fuzzing, FakeServer], caplog: pytest.LogCaptureFixture
) -> None:
    behaviour, server = fuzzing
    caplog.set_level(logging.WARNING, logger="surrealdb")
    with Surreal(server.url, timeout=WAIT) as db:
        live_id = db.live("person")
        assert live_id == LIVE_ID
        subscription = db.subscribe_live(live_id)
        for call in range(CALLS):
            assert db.run(ECHO, args=[call]) == call
            assert next(subscription).live_id == live_id
        assert db.reconnects == 0  # the same link all along
    assert behaviour.sent == CALLS * FRAMES_PER_CALL
    messages = [record.getMessage() for record in caplog.records]
    assert not any("reader failed" in message for message in messages)
    assert len(messages) >= CALLS * FRAMES_PER_CALL // 2  # bad frames are logged
    print(f"RESULT reader thread: {behaviour.sent} bad frames, {len(messages)} logged")


async def test_the_reader_task_survives_a_stream_of_bad_frames(
    fuzzing: tuple[Fuzzing, FakeServer], caplog: pytest.LogCaptureFixture
) -> None:
    _, server = fuzzing
    caplog.set_level(logging.WARNING, logger="surrealdb")
    async with AsyncSurreal(server.url, timeout=WAIT) as db:
        live_id = await db.live("person")
        subscription = db.subscribe_live(live_id)
        results = await asyncio.gather(*(db.run(ECHO, args=[n]) for n in range(CALLS)))
        assert results == list(range(CALLS))
        for _ in range(CALLS):
            notification = await asyncio.wait_for(anext(subscription), WAIT)
            assert notification.live_id == live_id
        assert db.reconnects == 0
    assert not any("reader failed" in record.getMessage() for record in caplog.records)
    assert uuid.UUID(int=0) != live_id
