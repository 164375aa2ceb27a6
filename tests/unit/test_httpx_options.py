"""Which HTTP connections go through httpx, the options refused before anything is sent, and
httpx.MockTransport standing in for the server in a user's own tests."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys

import cbor2
import httpx
import pytest

from surrealdb import AsyncSurreal, AuthenticationError, InvalidURLError, Surreal, SurrealError
from surrealdb.errors import InvalidArgumentError, InvalidArgumentTypeError
from surrealdb.transports.http_wire import PROXY_VARIABLES, uses_httpx


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*os.environ]:
        if name.lower() in {*PROXY_VARIABLES, "no_proxy"}:
            monkeypatch.delenv(name)


def test_plain_connections_take_the_fast_path() -> None:
    assert not uses_httpx("http://db:8000", None, False)
    assert uses_httpx("http://db:8000", httpx.Client(), False)
    assert uses_httpx("http://db:8000", None, True)


@pytest.mark.parametrize(
    ("variables", "endpoint", "expected"),
    [
        ({"HTTP_PROXY": "http://proxy:3128"}, "http://db:8000", True),
        ({"http_proxy": "http://proxy:3128"}, "http://db:8000", True),
        ({"HTTP_PROXY": "http://proxy:3128"}, "https://db:8000", False),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://db:8000", True),
        ({"ALL_PROXY": "http://proxy:3128"}, "https://db:8000", True),
        ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "db"}, "http://db:8000", False),
        ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "other"}, "http://db:8000", True),
        ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "*"}, "http://db:8000", False),
    ],
)
def test_a_proxy_named_by_the_environment_picks_httpx(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], endpoint: str, expected: bool
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert uses_httpx(endpoint, None, False) is expected


def test_a_plain_connection_never_imports_httpx() -> None:
    """The fast path stays as fast to import as before (httpx takes tens of milliseconds)."""
    code = (
        "import sys, surrealdb; surrealdb.Surreal('http://127.0.0.1:1');"
        " surrealdb.AsyncSurreal('http://127.0.0.1:1'); assert 'httpx' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_the_wrong_flavour_of_client_is_refused() -> None:
    with pytest.raises(InvalidArgumentTypeError, match=r"Surreal\(\) must be an httpx\.Client"):
        Surreal("http://db:8000", http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentTypeError, match=r"must be an httpx\.AsyncClient"):
        AsyncSurreal("http://db:8000", http_client=httpx.Client())  # type: ignore[arg-type]


def test_ssl_beside_a_client_is_refused() -> None:
    with httpx.Client() as client, pytest.raises(InvalidArgumentError, match="verify="):
        Surreal("https://db:8000", http_client=client, ssl=ssl.create_default_context())


@pytest.mark.parametrize("url", ["ws://db:8000", "mem://"])
def test_httpx_options_are_for_http_urls_only(url: str) -> None:
    with httpx.Client() as client, pytest.raises(InvalidURLError, match="http:// and https://"):
        Surreal(url, http_client=client)
    with pytest.raises(InvalidURLError, match="http:// and https://"):
        Surreal(url, http2=True)


def test_closing_leaves_the_callers_client_open() -> None:
    with httpx.Client() as client:
        Surreal("http://db:8000", http_client=client).close()
        assert not client.is_closed


def cbor_reply(message: dict[str, object], status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=cbor2.dumps(message), headers={"Content-Type": "application/cbor"}
    )


async def test_an_async_mock_transport_answers_like_a_server() -> None:
    """What docs/http.md tells users to do in their tests, with asyncio: the calls, the
    client-side state in the headers, and the server's errors, read as over the network."""
    seen: list[tuple[str, str | None]] = []

    async def fake_server(request: httpx.Request) -> httpx.Response:
        call = cbor2.loads(request.content)
        seen.append((call["method"], request.headers.get("Surreal-NS")))
        if call["method"] == "version":
            return cbor_reply({"result": "surrealdb-3.0.0"})
        error = {"code": -32000, "message": "There was a problem with the database"}
        return cbor_reply({"error": error})

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(fake_server)) as client,
        AsyncSurreal("http://db.invalid:8000", http_client=client) as db,
    ):
        await db.use("shop", "main")
        assert await db.version() == "surrealdb-3.0.0"
        with pytest.raises(SurrealError, match="problem with the database"):
            await db.query("RETURN 1")
    assert seen == [("version", "shop"), ("query", "shop")]


def test_http_statuses_from_a_mock_transport_are_the_clients_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, text="no entry")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        db = Surreal("http://db.invalid:8000", http_client=client)
        with pytest.raises(AuthenticationError, match="HTTP 401"):
            db.version()
