"""Every argument the client refuses raises a SurrealError that is also the builtin error.

`InvalidArgumentError` (a `ValueError`) and its subclass `InvalidArgumentTypeError` (also a
`TypeError`) are raised by the client's own checks, before anything is sent, so `except
SurrealError` catches a bad argument as it catches a server's refusal, and `except
ValueError`/`except TypeError` keep working. The calls on connections run against the real
engine in tests/integration/test_errors_and_lifecycle.py; here are the constructors and
options, which need no server, and a scan of the source for a bare `raise TypeError(...)`.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import surrealdb
from surrealdb import (
    ConversionError,
    Duration,
    HeaderValueError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidDurationError,
    InvalidGeometryError,
    InvalidParamsError,
    InvalidRecordIdError,
    InvalidTableError,
    InvalidURLError,
    RecordID,
    SurrealError,
    UnencodableValueError,
    UnsupportedEngineError,
    errors,
)
from surrealdb._generated import requests

SOURCE = Path(surrealdb.__file__).parent

# The wrong arguments below are the point: called through Any, so the type checker lets them by.
api: Any = surrealdb
build: Any = requests


def test_the_argument_errors_are_surreal_errors_and_builtin_errors() -> None:
    assert issubclass(InvalidArgumentError, SurrealError)
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(InvalidArgumentTypeError, InvalidArgumentError)
    assert issubclass(InvalidArgumentTypeError, TypeError)
    assert errors.InvalidArgumentError is InvalidArgumentError
    assert errors.InvalidArgumentTypeError is InvalidArgumentTypeError
    assert {"InvalidArgumentError", "InvalidArgumentTypeError"} <= set(surrealdb.__all__)


@pytest.mark.parametrize(
    "cls",
    [
        InvalidTableError,
        InvalidRecordIdError,
        InvalidDurationError,
        InvalidGeometryError,
        InvalidURLError,
        UnsupportedEngineError,
        HeaderValueError,
    ],
)
def test_the_older_value_errors_are_argument_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, InvalidArgumentError) and issubclass(cls, ValueError)


def test_the_other_kinds_keep_their_places() -> None:
    assert issubclass(UnencodableValueError, InvalidArgumentTypeError)
    assert issubclass(HeaderValueError, InvalidParamsError)  # the server's kind Validation
    # A result that does not fit `into=` is not a wrong argument.
    assert not issubclass(ConversionError, InvalidArgumentError)
    assert issubclass(ConversionError, TypeError) and issubclass(ConversionError, SurrealError)


WRONG_TYPES = [
    pytest.param(lambda: build.select(123), id="select-int"),
    pytest.param(lambda: build.merge(api.RecordID("t", 1), [1, 2]), id="merge-list"),
    pytest.param(lambda: build.query("RETURN 1", [1]), id="query-vars-list"),
    pytest.param(lambda: build.kill(123), id="kill-int"),
    pytest.param(lambda: api.RecordID(1.5, 1), id="RecordID-table-float"),
    pytest.param(lambda: api.RecordID("t", 1.5), id="RecordID-key-float"),
    pytest.param(lambda: api.RecordID("t", 1, table_name="u"), id="RecordID-both-names"),
    pytest.param(lambda: api.Duration(1.5), id="Duration-float"),
    pytest.param(lambda: api.Datetime(1.5), id="Datetime-float-seconds"),
    pytest.param(lambda: api.GeometryPoint(), id="GeometryPoint-nothing"),
    pytest.param(lambda: api.GeometryPoint(1.0, 2.0, longitude=1.0), id="GeometryPoint-both"),
    pytest.param(lambda: api.GeometryLine((1, 2)), id="GeometryLine-ints"),
    pytest.param(lambda: api.Tokens(123), id="Tokens-int"),
    pytest.param(lambda: api.ReconnectPolicy(jitter="x"), id="ReconnectPolicy-str"),
    pytest.param(lambda: api.Surreal("mem://", timeout="5"), id="timeout-str"),
    pytest.param(lambda: api.Surreal("mem://", reconnect="yes"), id="reconnect-str"),
    pytest.param(lambda: api.Surreal("ws://h", max_reply_size=1.5), id="max_reply_size-float"),
    pytest.param(lambda: api.Surreal("wss://h", ssl=123), id="ssl-int"),
    pytest.param(lambda: api.SurrealPool("mem://", signin="root"), id="pool-signin-str"),
]


@pytest.mark.parametrize("call", WRONG_TYPES)
def test_an_argument_of_the_wrong_type_raises_invalid_argument_type_error(
    call: Callable[[], object],
) -> None:
    with pytest.raises(InvalidArgumentTypeError) as caught:
        call()
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurrealError)


WRONG_VALUES = [
    pytest.param(lambda: build.select(""), InvalidTableError, id="select-empty"),
    pytest.param(lambda: build.let("$", 1), InvalidArgumentError, id="let-empty-name"),
    pytest.param(lambda: build.kill("not-a-uuid"), InvalidArgumentError, id="kill-bad-text"),
    pytest.param(
        lambda: build.refresh(api.Tokens("a.b.c")), InvalidArgumentError, id="refresh-no-refresh"
    ),
    pytest.param(
        lambda: build.signin({"user": "a", "variables": {"user": "b"}}),
        InvalidArgumentError,
        id="signin-given-twice",
    ),
    pytest.param(lambda: RecordID.parse("no id"), InvalidRecordIdError, id="RecordID.parse"),
    pytest.param(lambda: Duration.parse("1 hour"), InvalidDurationError, id="Duration.parse"),
    pytest.param(lambda: api.Duration(-1), InvalidDurationError, id="Duration-negative"),
    pytest.param(lambda: api.Datetime("yesterday"), InvalidArgumentError, id="Datetime-text"),
    pytest.param(lambda: api.Datetime(10**12), InvalidArgumentError, id="Datetime-out-of-range"),
    pytest.param(
        lambda: api.Datetime(2024, 1, 1, nanosecond=1000), InvalidArgumentError, id="nanosecond"
    ),
    pytest.param(
        lambda: api.GeometryPolygon(
            api.GeometryLine((api.GeometryPoint(0, 0), api.GeometryPoint(1, 1)))
        ),
        InvalidGeometryError,
        id="GeometryPolygon-open-ring",
    ),
    pytest.param(lambda: api.ReconnectPolicy(jitter=2), InvalidArgumentError, id="ReconnectPolicy"),
    pytest.param(lambda: api.Surreal("mem://", timeout=0), InvalidArgumentError, id="timeout-0"),
    pytest.param(
        lambda: api.Surreal("ws://h", max_reply_size=0), InvalidArgumentError, id="size-0"
    ),
    pytest.param(
        lambda: api.Surreal("wss://h", ssl="/nonexistent/ca.pem"),
        InvalidArgumentError,
        id="ssl-path",
    ),
    pytest.param(lambda: api.Surreal("ftp://h"), UnsupportedEngineError, id="url-scheme"),
    pytest.param(lambda: api.AsyncSurreal("ws://h", timeout=-1), InvalidArgumentError, id="async"),
    pytest.param(lambda: api.SurrealPool("mem://", size=0), InvalidArgumentError, id="pool-size-0"),
]


@pytest.mark.parametrize(("call", "cls"), WRONG_VALUES)
def test_an_argument_of_a_wrong_value_raises_invalid_argument_error(
    call: Callable[[], object], cls: type[InvalidArgumentError]
) -> None:
    with pytest.raises(cls) as caught:
        call()
    assert isinstance(caught.value, InvalidArgumentError)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, SurrealError)


def test_an_unencodable_value_is_an_invalid_argument_type_error() -> None:
    with pytest.raises(InvalidArgumentTypeError) as caught:
        surrealdb.cbor.encode({"x": [uuid.uuid4(), object()]})
    assert isinstance(caught.value, UnencodableValueError)
    assert isinstance(caught.value, SurrealError) and isinstance(caught.value, TypeError)


# --------------------------------------------------------------------------------------------
# No check raises a bare TypeError or ValueError
# --------------------------------------------------------------------------------------------

BARE_RAISES_ALLOWED = {
    # The CBOR decoder's tag hooks: caught by the decoder, which keeps the tag raw.
    ("cbor.py", "_text"),
    ("cbor.py", "_decode_record_id"),
    ("cbor.py", "_seconds_and_nanoseconds"),
    # pickle's protocol: what pickling any unpicklable object raises.
    ("reconnect.py", "__reduce__"),
    # A bug of this module (a type it does not know), not anything a caller passed.
    ("models.py", "_type_schema"),
}
"""(module, function) of the `raise TypeError(...)`/`raise ValueError(...)` that stay bare."""


def bare_raises() -> set[tuple[str, str]]:
    """(module, function) of every `raise TypeError(...)` or `raise ValueError(...)`."""
    found: set[tuple[str, str]] = set()
    for path in SOURCE.rglob("*.py"):
        module = path.relative_to(SOURCE).as_posix()
        finder = _BareRaises()
        finder.visit(ast.parse(path.read_text(encoding="utf-8")))
        found.update((module, function) for function in finder.functions)
    return found


class _BareRaises(ast.NodeVisitor):
    """Collects the names of the innermost functions that raise a bare builtin error."""

    def __init__(self) -> None:
        self.functions: set[str] = set()
        self._inside = "<module>"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self._inside = self._inside, node.name
        self.generic_visit(node)
        self._inside = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        if (
            isinstance(exc, ast.Call)
            and isinstance(exc.func, ast.Name)
            and exc.func.id in ("TypeError", "ValueError")
        ):
            self.functions.add(self._inside)


def test_no_argument_check_raises_a_bare_builtin_error() -> None:
    """A new check that raises `TypeError(...)` fails here: raise `InvalidArgumentTypeError`
    (or `InvalidArgumentError` for `ValueError`), so `except SurrealError` catches it."""
    found = bare_raises()
    assert found - BARE_RAISES_ALLOWED == set()
    assert found >= BARE_RAISES_ALLOWED, "an allowed bare raise is gone: drop it from the list"
