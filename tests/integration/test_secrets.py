"""Passwords and tokens never appear in reprs, logs, exception messages, or the locals of this
client's frames in a formatted traceback.

One run signs in (with the right password and a wrong one) over every transport, lets a
reconnect replay the session (the token is refused after a restart, so the kept credentials
sign in again), borrows from a pool, and fails calls; everything it produces is captured
(every logger at DEBUG, websockets' and httpx's included; stdout and stderr; reprs; error
messages; tracebacks formatted with their locals) and searched for the secrets, as text and
as hex.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import surrealdb
from surrealdb import (
    AsyncSurreal,
    AuthenticationError,
    ReconnectPolicy,
    Surreal,
    SurrealError,
    SurrealPool,
)
from tests.integration.test_resilience import until
from tests.server import RunningServer, start_gateway

PASSWORD = f"pw-{secrets.token_hex(8)}"
WRONG = f"wrong-{secrets.token_hex(8)}"
SOURCE = Path(surrealdb.__file__).parent


@pytest.fixture
def gateway() -> Iterator[RunningServer]:
    running = start_gateway(username="admin", password=PASSWORD)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log record of every logger, at DEBUG, formatted with tracebacks."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("websockets", "httpx", "httpcore", "asyncio", "surrealdb"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def our_frames_locals(error: BaseException) -> str:
    """The traceback formatted with the locals of this client's own frames.

    The generated methods' frames count too: `signin(self, credentials)` drops its reference
    to the credentials once the request is built. Only the caller's own frames are left out.
    """
    summary = traceback.TracebackException.from_exception(error, capture_locals=True)
    lines: list[str] = []
    for frame in summary.stack:
        path = Path(frame.filename)
        if SOURCE in path.parents:
            lines.append(f"{frame.filename}:{frame.lineno} {frame.name}")
            lines.extend(f"    {name} = {value}" for name, value in (frame.locals or {}).items())
    return "\n".join(lines)


def describe(error: BaseException) -> str:
    return "\n".join(
        [str(error), repr(error), *traceback.format_exception(error), our_frames_locals(error)]
    )


def test_secrets_never_show(
    gateway: RunningServer, captured: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    info = gateway.info
    good = {"username": "admin", "password": PASSWORD}
    bad = {"username": "admin", "password": WRONG}
    texts: list[str] = []
    tokens: list[str] = []
    policy = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)

    # Every transport: the right password, then a wrong one, then a failing call.
    for url in (info.ws_url, info.http_url):
        db = Surreal(url, timeout=5, reconnect=policy)
        token = db.signin(good)
        tokens.append(str(token))  # Tokens is the access token itself
        db.authenticate(token)
        db.use("secrets", "test")
        texts += [repr(db), str(db), repr(vars(db))]  # (the token itself is the caller's str)
        with pytest.raises(AuthenticationError) as caught:
            db.signin(bad)
        texts.append(describe(caught.value))
        with pytest.raises(SurrealError) as failed:
            db.authenticate("not-a-token")
        texts.append(describe(failed.value))
        with pytest.raises(SurrealError) as failed:
            db.query("THROW 'boom'")
        texts.append(describe(failed.value))
        db.close()

    # A reconnect after a restart: the old token is refused, the kept credentials sign in.
    db = Surreal(info.ws_url, timeout=5, reconnect=policy)
    db.signin(good)
    db.use("secrets", "test")
    port = info.port
    gateway.stop()
    restarted = start_gateway(username="admin", password=PASSWORD, port=port)
    try:
        assert until(lambda: db.reconnects == 1)
        assert db.query("RETURN session::db()") == "test"
        texts += [repr(db), repr(vars(db)), repr(getattr(db, "_replay", None))]
        db.close()

        async def asynchronous() -> None:
            adb = AsyncSurreal(restarted.info.ws_url, timeout=5)
            await adb.signin(good)
            with pytest.raises(AuthenticationError) as caught:
                await adb.signin(bad)
            texts.append(describe(caught.value))
            texts.append(repr(vars(adb)))
            await adb.close()

        asyncio.run(asynchronous())

        with SurrealPool(restarted.info.ws_url, size=2, signin=good) as pool:
            with pool.acquire() as pooled:
                assert pooled.query("RETURN 1") == 1
            texts += [repr(pool), str(pool), repr(vars(pool))]
        with SurrealPool(restarted.info.ws_url, size=1, signin=bad) as pool:
            with pytest.raises(AuthenticationError) as caught, pool.acquire():
                pass
            texts.append(describe(caught.value))
    finally:
        restarted.stop()

    output = capsys.readouterr()
    everything = "\n".join([*texts, captured.getvalue(), output.out, output.err])
    assert "admin" in everything or everything  # something was captured
    assert len(captured.getvalue()) > 1000, "the logs were not captured"
    for secret in (PASSWORD, WRONG, *tokens):
        for form in (secret, secret.encode().hex(), repr(secret.encode())[2:-1]):
            assert form not in everything, f"a secret leaked: {secret[:6]}..."
    print(f"RESULT searched {len(everything):,} characters for {2 + len(tokens)} secrets")


def test_a_leaky_repr_would_be_caught(captured: io.StringIO) -> None:
    """The search above finds a secret when there is one (no false sense of safety)."""
    logging.getLogger("surrealdb").debug("credentials %s", {"password": PASSWORD})
    assert PASSWORD in captured.getvalue()


def payload_repr(value: Any) -> str:  # used by the check below
    return repr(value)


def test_requests_hide_their_parameters() -> None:
    request = surrealdb.protocol.Request("signin", [{"user": "admin", "pass": PASSWORD}])
    assert PASSWORD not in payload_repr(request) and PASSWORD not in str(request)
