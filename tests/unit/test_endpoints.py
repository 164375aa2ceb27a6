"""The HTTP endpoints' requests, URLs and errors, without a server."""

from __future__ import annotations

import pytest

from surrealdb import _endpoints
from surrealdb._generated import requests as _requests
from surrealdb._generated.registry import ENDPOINTS, METHODS
from surrealdb.errors import AuthenticationError, ServerError
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
