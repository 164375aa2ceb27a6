"""Fuzzing the decoder and the reply handling with hypothesis (and atheris, when installed).

Whatever bytes arrive, `cbor.decode` returns a value or raises `CBORDecodeFailed`;
`RpcProtocol.decode_frame` returns an event and never raises; `decode_body` returns a result
or raises a `SurrealError`. Inputs: random bytes, valid CBOR with random tags and shapes,
mutations and truncations of real replies, and hostile lengths and nesting. Every example has
a deadline, so a hang fails the test. `FUZZ_EXAMPLES` scales the runs (default: CI-sized).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surrealdb import cbor
from surrealdb.errors import SurrealError
from surrealdb.protocol import (
    ErrorReply,
    Notification,
    Reply,
    RpcProtocol,
    UnroutableFrame,
    decode_body,
)
from surrealdb.values import (
    NONE,
    BoundIncluded,
    Datetime,
    Duration,
    OutOfRangeDatetime,
    Range,
    RecordID,
    Table,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(milliseconds=500),  # a (near) hang fails the example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every run: CI stays deterministic
    database=None,  # nothing written to .hypothesis/
)
PROTOCOL = RpcProtocol()
EVENTS = (Reply, ErrorReply, Notification, UnroutableFrame)

KNOWN_TAGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 21, 25, 28, 29, 30, 35, 36, 37]
KNOWN_TAGS += [49, 50, 51, 55, 56, 88, 89, 90, 91, 92, 93, 94, 256, 258, 260, 261, 55799]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.uuids(),
)


def tagged(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    tags = st.one_of(st.sampled_from(KNOWN_TAGS), st.integers(min_value=0, max_value=2**32))
    return st.builds(cbor2.CBORTag, tags, children)


cbor_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=8), children, max_size=5),
        tagged(children),
    ),
    max_leaves=30,
)

# Frames shaped like the server's: replies, errors, notifications, with random contents.
ids = st.one_of(st.integers(min_value=-5, max_value=2**64), st.text(max_size=5), st.none())
messages = st.one_of(
    st.fixed_dictionaries({"id": ids, "result": cbor_values}),
    st.fixed_dictionaries(
        {
            "id": ids,
            "error": st.one_of(
                cbor_values,
                st.fixed_dictionaries(
                    {"code": st.integers(), "message": cbor_values, "kind": cbor_values},
                    optional={"details": cbor_values},
                ),
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "result": st.fixed_dictionaries(
                {
                    "id": st.one_of(st.uuids(), cbor_values),
                    "action": st.one_of(st.sampled_from(["CREATE", "KILLED"]), cbor_values),
                    "record": cbor_values,
                    "result": cbor_values,
                },
                optional={"session": cbor_values},
            )
        }
    ),
    st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), cbor_values, max_size=4),
    cbor_values,
)


def dumps(value: Any) -> bytes:
    try:
        return cbor2.dumps(value)
    except (ValueError, TypeError, OverflowError):
        return b"\xf6"  # the rare value cbor2 refuses to encode: fuzz null instead


def check_everything(frame: bytes) -> None:
    """The guarantees, for one frame."""
    with contextlib.suppress(cbor.CBORDecodeFailed):
        cbor.decode(frame)
    assert isinstance(PROTOCOL.decode_frame(frame), EVENTS)
    with contextlib.suppress(SurrealError):
        decode_body(frame)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(frame: bytes) -> None:
    check_everything(frame)


@FUZZ
@given(cbor_values)
def test_valid_cbor_with_any_tags(value: Any) -> None:
    check_everything(dumps(value))


@FUZZ
@given(messages)
def test_frames_shaped_like_replies_and_notifications(message: Any) -> None:
    check_everything(dumps(message))


REAL_FRAMES = [
    cbor.encode({"id": 1, "result": [{"id": RecordID("person", "ada"), "age": 36}]}),
    cbor.encode({"id": 2, "result": {"t": Datetime(1_700_000_000, 5), "d": Duration.parse(90, 1)}}),
    cbor.encode({"id": 3, "error": {"code": -32000, "message": "x", "kind": "NotFound"}}),
    cbor.encode(
        {
            "result": {
                "action": "UPDATE",
                "id": uuid.UUID(int=7),
                "record": RecordID("t", 1),
                "result": {"id": RecordID("t", 1), "tables": [Table("a")]},
            }
        }
    ),
]


@FUZZ
@given(
    st.sampled_from(REAL_FRAMES),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=6),
    st.integers(min_value=0),
)
def test_mutated_and_truncated_real_frames(
    frame: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    mutated = bytearray(frame)
    for position, byte in flips:
        mutated[position % len(mutated)] = byte
    check_everything(bytes(mutated))
    check_everything(bytes(mutated[: cut % (len(mutated) + 1)]))


HOSTILE = [
    b"\x81" * 100_000 + b"\x00",  # nesting deeper than any stack
    b"\xa1\x00" * 100_000 + b"\x00",
    b"\xd8\x08" * 100_000 + b"\x00",
    b"\x9f" * 100_000,  # indefinite arrays that never end
    b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",  # an array of 2**64 - 1 items, then nothing
    b"\x5b\x00\x00\x00\xff\xff\xff\xff\xff",  # a byte string of a terabyte, then nothing
    b"\x7b\x00\x00\x00\x10\x00\x00\x00\x00aaaa",
    b"\xc2\x5a\x00\x10\x00\x00" + b"\xff" * 0x100000,  # a 1 MiB bignum
    b"\xc4\x82\x1b\x7f\xff\xff\xff\xff\xff\xff\xff\x01",  # a decimal with a huge exponent
    b"\xcc\x82\x1b\x7f\xff\xff\xff\xff\xff\xff\xff\x00",  # a datetime past year 9999
    b"\xd8\x1c\x81\xd8\x1d\x00",  # a shared reference to itself
    b"\xd9\x01\x02\x81\x80",  # a set of an unhashable list
    b"\xa1\x80\x00",  # a map keyed by a list
]


@pytest.mark.parametrize(
    "frame",
    [
        cbor2.dumps({"id": 1, "error": {"code": 0, "message": cbor2.CBORTag(7, None)}}),
        cbor2.dumps({"result": {"id": uuid.UUID(int=1), "action": cbor2.CBORTag(7, 5)}}),
    ],
    ids=["error message", "notification action"],
)
def test_a_table_tag_around_a_non_string(frame: bytes) -> None:
    """Found by fuzzing: tag 7 around a non-string once decoded to a Table whose str() raised."""
    check_everything(frame)


@pytest.mark.parametrize("frame", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_lengths_and_nesting(frame: bytes) -> None:
    check_everything(frame)


values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),  # the server's range
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.binary(max_size=20),
        st.uuids(),
        st.builds(
            RecordID,
            st.text(min_size=1, max_size=8),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
        ),
        st.builds(Table, st.text(min_size=1, max_size=8)),
        st.builds(
            Datetime,
            st.integers(min_value=-62_135_596_800, max_value=253_402_300_799),  # years 1-9999
            st.integers(min_value=0, max_value=10**9 - 1),
        ),
        st.builds(
            OutOfRangeDatetime,
            st.integers(min_value=253_402_300_800, max_value=2**40),
            st.integers(min_value=0, max_value=10**9 - 1),
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(values)
def test_what_is_encoded_decodes_to_the_same(value: Any) -> None:
    decoded, unknown = cbor.decode(cbor.encode(value))
    assert unknown == []
    assert decoded == value


# Values of every type the encoder takes, plain or not, mixed at any depth, with some the
# server cannot read (integers beyond 64 bits, NaN and huge decimals, integer keys).
mixed_values = st.recursive(
    st.one_of(
        values,
        st.integers(),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.datetimes(),
        st.timedeltas(min_value=timedelta(0)),
        st.frozensets(st.integers(), max_size=3),
        st.sets(st.text(max_size=3), max_size=3),
        st.builds(Duration, st.integers(min_value=0, max_value=2**40)),
        st.just(NONE),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), children, max_size=4),
        st.builds(RecordID, st.text(min_size=1, max_size=8), st.lists(children, max_size=3)),
        st.builds(lambda value: Range(BoundIncluded(value), None), children),
        st.builds(lambda value: cbor2.CBORTag(99, value), children),
    ),
    max_leaves=20,
)


@FUZZ
@given(mixed_values)
def test_the_fast_path_writes_the_same_bytes_as_the_exact_path(value: Any) -> None:
    try:
        encoded = cbor.encode(value)
    except cbor.UnencodableValueError:
        assert unreadable(value)
        return
    assert not unreadable(value)
    assert encoded == cbor2.dumps(value, encoders=cbor._ENCODERS, default=cbor._encode_other)


def unreadable(value: Any) -> bool:
    """Whether the server could not read the value: the oracle for what encode refuses."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value <= 2**63 - 1
    if isinstance(value, Decimal):
        return not value.is_finite() or value.copy_abs() > 2**96 - 1
    if isinstance(value, dict):
        return any(not isinstance(key, str) or unreadable(item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(unreadable(item) for item in value)
    if isinstance(value, RecordID):
        return unreadable(value.id)
    if isinstance(value, Range):
        return unreadable(value.begin) or unreadable(value.end)
    if isinstance(value, BoundIncluded | cbor2.CBORTag):
        return unreadable(value.value)
    return False


ATHERIS_HARNESS = textwrap.dedent(
    """
    import sys
    import atheris

    with atheris.instrument_imports():
        from surrealdb import cbor
        from surrealdb.errors import SurrealError
        from surrealdb.protocol import RpcProtocol, decode_body

    PROTOCOL = RpcProtocol()

    def one_input(data: bytes) -> None:
        try:
            cbor.decode(data)
        except cbor.CBORDecodeFailed:
            pass
        PROTOCOL.decode_frame(data)
        try:
            decode_body(data)
        except SurrealError:
            pass

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    """
)


def test_atheris_finds_nothing(tmp_path: Path) -> None:
    """Coverage-guided fuzzing of the same guarantees, when atheris is installed."""
    pytest.importorskip("atheris", reason="atheris is not installed (optional)")
    harness = tmp_path / "harness.py"
    harness.write_text(ATHERIS_HARNESS)
    runs = int(os.environ.get("ATHERIS_RUNS", "100000"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number, frame in enumerate(REAL_FRAMES):
        (corpus / f"seed{number}").write_bytes(frame)
    src = Path(__file__).resolve().parents[2] / "src"
    completed = subprocess.run(
        [
            sys.executable,
            str(harness),
            f"-runs={runs}",
            "-max_total_time=30",
            "-max_len=512",
            "-seed=1",
            str(corpus),
        ],
        env={**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    print("RESULT atheris", completed.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("levels", [100_000, 10_000_000])
def test_replies_nested_without_end_fail_cleanly_in_a_fresh_interpreter(levels: int) -> None:
    """A hostile reply nested 100,000 or 10,000,000 deep never crashes the interpreter.

    Run in a subprocess, so a crash (a segfault from a C stack overflow) fails this test
    instead of killing pytest: in the main thread and in a thread (whose stack is smaller),
    every head that opens a level (arrays, maps, tags we decode and tags we do not, and
    indefinite-length arrays and maps) must give CBORDecodeFailed, the protocol must turn the
    frame into an event, and the next good frame must decode.
    """
    code = f"""
        import threading
        import cbor2
        from surrealdb import cbor
        from surrealdb.errors import SurrealError
        from surrealdb.protocol import RpcProtocol, UnroutableFrame, decode_body

        heads = {{
            "array": b"\\x81", "map": b"\\xa1\\x61k", "unknown tag": b"\\xd8\\x63",
            "record id": b"\\xd8\\x08\\x82\\x61t", "set": b"\\xd8\\x38\\x81",
            "bound": b"\\xd8\\x32", "range": b"\\xd8\\x31\\x82\\xf6",
            "indefinite array": b"\\x9f", "indefinite map": b"\\xbf\\x61k",
        }}
        good = cbor2.dumps({{"id": 7, "result": [1, {{"a": "b"}}]}})

        def check(name, head):
            frame = b"\\xa2\\x62id\\x01\\x66result" + head * {levels} + b"\\x01"
            try:
                cbor.decode(frame)
            except cbor.CBORDecodeFailed:
                pass
            else:
                raise AssertionError(name + " decoded")
            assert isinstance(RpcProtocol().decode_frame(frame), UnroutableFrame), name
            try:
                decode_body(frame)
            except SurrealError:
                pass
            else:
                raise AssertionError(name + " gave a result")
            assert cbor.decode(good) == ({{"id": 7, "result": [1, {{"a": "b"}}]}}, [])

        for name, head in heads.items():
            check(name, head)
            thread = threading.Thread(target=check, args=(name, head))
            thread.start()
            thread.join()
            print(name)
        """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stdout.splitlines()) == 9
    assert "Traceback" not in result.stderr
