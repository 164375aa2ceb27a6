"""The httpx engine: `http_client=`, proxies named by the environment, and `http2=True`.

A real forward proxy (proxy.py, from PyPI) on 127.0.0.1 stands in front of the test server;
its access log says which requests went through it. The rest of the HTTP behaviour runs on
this engine too: the `transport` fixture's "httpx" (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from surrealdb import (
    AsyncSurreal,
    PayloadTooLargeError,
    Surreal,
    SurrealConnectionError,
    SurrealTimeoutError,
)
from surrealdb.connections import BlockingHttpSurrealConnection, BlockingSurrealConnection
from tests.integration.forward_proxy import ForwardProxy, forward_proxy_in
from tests.server import ServerInfo


@pytest.fixture(scope="module")
def forward_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwardProxy]:
    with forward_proxy_in(tmp_path_factory.mktemp("proxy")) as proxy:
        yield proxy


def sign_in(db: BlockingSurrealConnection, server: ServerInfo) -> None:
    db.signin({"username": server.username, "password": server.password})


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_named_by_the_environment_carries_every_request(
    server: ServerInfo,
    forward_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, forward_proxy.url)
    before = len(forward_proxy.requests_to(server.port))
    with Surreal(server.http_url) as db:
        assert isinstance(db, BlockingHttpSurrealConnection)
        assert db.http_engine == "httpx"
        sign_in(db, server)
        assert db.query("RETURN 'through the proxy'") == "through the proxy"
    lines = forward_proxy.new_requests(server.port, before)
    assert lines  # (one line per proxied connection, for its last request)
    assert all(f"POST 127.0.0.1:{server.port}/rpc - 200" in line for line in lines)


async def test_async_goes_through_the_proxy(
    server: ServerInfo, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    before = len(forward_proxy.requests_to(server.port))
    async with AsyncSurreal(server.http_url) as db:
        await db.signin({"username": server.username, "password": server.password})
        assert await db.query("RETURN 'async, proxied'") == "async, proxied"
    lines = forward_proxy.new_requests(server.port, before)
    assert lines
    assert all(f"POST 127.0.0.1:{server.port}/rpc - 200" in line for line in lines)


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
def test_no_proxy_bypasses_the_proxy(
    server: ServerInfo,
    forward_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    before = len(forward_proxy.requests_to(server.port))
    with Surreal(server.http_url) as db:
        sign_in(db, server)
        assert db.query("RETURN 'direct'") == "direct"
        assert isinstance(db, BlockingHttpSurrealConnection)
        assert db.http_engine == "fast"  # nothing to send through httpx
    time.sleep(0.2)
    assert len(forward_proxy.requests_to(server.port)) == before


def test_a_callers_client_sees_every_call_and_stays_open(server: ServerInfo) -> None:
    seen: list[httpx.Request] = []
    client = httpx.Client(headers={"X-Tenant": "acme"}, event_hooks={"request": [seen.append]})
    with Surreal(server.http_url, http_client=client) as db:
        sign_in(db, server)
        db.use("test", "hooks")  # answered by the client-side state: no request
        assert db.query("RETURN 1 + 1") == 2
        assert db.version().startswith("surrealdb-")
    assert len(seen) == 3
    assert all(request.url.path == "/rpc" for request in seen)
    assert all(request.headers["X-Tenant"] == "acme" for request in seen)
    assert seen[-1].headers["Surreal-DB"] == "hooks"
    assert seen[-1].headers["Authorization"].startswith("Bearer ")
    assert not client.is_closed  # the caller owns it
    client.close()


async def test_a_callers_async_client_sees_every_call(server: ServerInfo) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.headers["X-Tenant"])

    async with httpx.AsyncClient(
        headers={"X-Tenant": "acme"}, event_hooks={"request": [hook]}
    ) as client:
        async with AsyncSurreal(server.http_url, http_client=client) as db:
            await db.signin({"username": server.username, "password": server.password})
            assert await db.query("RETURN 2") == 2
        assert seen == ["acme", "acme"]
        assert not client.is_closed


def test_http2_asked_for_still_answers(server: ServerInfo) -> None:
    """Over http:// httpx speaks HTTP/1.1 (h2 needs TLS's ALPN): the request still goes out."""
    with Surreal(server.http_url, http2=True) as db:
        assert isinstance(db, BlockingHttpSurrealConnection)
        assert db.http_engine == "httpx"
        sign_in(db, server)
        assert db.query("RETURN 'h2 asked'") == "h2 asked"


def test_max_reply_size_holds_on_the_httpx_engine(server: ServerInfo) -> None:
    with httpx.Client() as client:
        db = Surreal(server.http_url, http_client=client, max_reply_size=1000)
        sign_in(db, server)
        with pytest.raises(PayloadTooLargeError, match="max_reply_size=1,000"):
            db.query("RETURN string::repeat('x', 5000)")
        assert db.query("RETURN 'still usable'") == "still usable"
        db.close()


def test_an_own_async_client_serves_each_event_loop(
    server: ServerInfo, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One AsyncSurreal across two `asyncio.run()`s, through a proxy: the second loop gets a
    client of its own (the first one's connections belong to a closed loop)."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    db = AsyncSurreal(server.http_url)

    async def call() -> object:
        await db.signin({"username": server.username, "password": server.password})
        return await db.query("RETURN 'again'")

    assert asyncio.run(call()) == "again"
    assert asyncio.run(call()) == "again"
    asyncio.run(db.close())


def test_errors_on_the_httpx_engine_are_the_clients(server: ServerInfo) -> None:
    with httpx.Client() as client:
        unreachable = Surreal("http://127.0.0.1:1", http_client=client, connect_timeout=2)
        with pytest.raises(SurrealConnectionError, match="cannot connect to"):
            unreachable.version()
        db = Surreal(server.http_url, http_client=client, timeout=0.3)
        sign_in(db, server)
        with pytest.raises(SurrealTimeoutError, match=r"query\(\) got no reply"):
            db.query("SLEEP 2s")
        with db.timeout(10):
            assert db.query("RETURN 'usable after a timeout'") == "usable after a timeout"
        db.close()
        with pytest.raises(SurrealConnectionError, match="is closed"):
            db.version()
