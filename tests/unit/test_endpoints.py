"""The HTTP endpoints' requests, URLs and errors, without a server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from surrealdb import _endpoints
from surrealdb._generated import requests as _requests
from surrealdb._generated.registry import ENDPOINTS, METHODS
from surrealdb.errors import AuthenticationError, InvalidArgumentTypeError, ServerError
from surrealdb.url import parse_url


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("ws://127.0.0.1:8000/rpc", "http://127.0.0.1:8000"),
        ("wss://db.example.com/rpc", "https://db.example.com"),
        ("ws://host:9000/prefix/rpc", "http://host:9000/prefix"),
        ("http://host:8000", "http://host:8000"),
        ("https://host:8000/rpc", "https://host:8000"),
    ],
)
def test_http_base_of_a_connection_url(url: str, base: str) -> None:
    assert _endpoints.http_base(parse_url(url)) == base


def test_registry_lists_the_endpoints_apart_from_the_rpc_methods() -> None:
    assert ENDPOINTS["health"].wire == "GET /health"
    assert ENDPOINTS["status"].transports == {"ws", "http", "embedded"}
    assert not set(ENDPOINTS) & set(METHODS)


def test_health_request_needs_no_credentials() -> None:
    request = _requests.health()
    assert (request.http_method, request.path, request.authenticated) == ("GET", "/health", False)
    target = _endpoints.EndpointTarget(
        "http://h:1", ssl=None, connect_timeout=1, timeout=1, namespace="n", token="secret"
    )
    assert target.headers(request) == {}


def test_authenticated_requests_carry_the_session_and_the_repr_hides_the_token() -> None:
    request = _endpoints.EndpointRequest("export", "POST", "/export", authenticated=True)
    target = _endpoints.EndpointTarget(
        "http://h:1",
        ssl=None,
        connect_timeout=1,
        timeout=1,
        namespace="n",
        database="d",
        token="secret",
    )
    assert target.headers(request) == {
        "Surreal-NS": "n",
        "Surreal-DB": "d",
        "Authorization": "Bearer secret",
    }
    assert "secret" not in repr(target)


def test_error_answers() -> None:
    with pytest.raises(ServerError, match="HTTP 500: storage failing") as caught:
        _endpoints.raise_for_status(500, b"storage failing", "http://h:1/health")
    assert caught.value.code == 500
    with pytest.raises(AuthenticationError, match="HTTP 401"):
        _endpoints.raise_for_status(401, b"", "http://h:1/export")


def test_upload_knows_the_length_of_a_regular_file_only(tmp_path: Path) -> None:
    dump = tmp_path / "dump.surql"
    dump.write_bytes(b"x" * 10)
    seen: list[int] = []
    with dump.open("rb") as file:
        file.read(4)
        upload = _endpoints._Upload(file, seen.append)
        assert upload.length == 6  # from the current position on
        assert upload.read(100) == b"x" * 6
    assert (upload.sent, seen) == (6, [6])
    assert _endpoints._Upload(io.BytesIO(b"abc"), None).length is None  # sent chunked


def test_transfers_refuse_text_streams() -> None:
    target = _endpoints.EndpointTarget("http://127.0.0.1:9", ssl=None, connect_timeout=1, timeout=1)
    with pytest.raises(InvalidArgumentTypeError, match="binary stream"):
        _endpoints.send(target, _requests.import_(io.StringIO("CREATE a:1")))  # type: ignore[arg-type]


def test_error_answers_give_the_servers_information() -> None:
    body = b'{"code":400,"details":"Request problems","information":"Parse error: Unexpected"}'
    with pytest.raises(ServerError) as caught:
        _endpoints.raise_for_status(400, body, "http://h:1/import")
    assert str(caught.value) == "http://h:1/import answered HTTP 400: Parse error: Unexpected"
