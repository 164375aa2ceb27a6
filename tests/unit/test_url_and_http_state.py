"""Connection URLs (surrealdb.url) and the client-side session state of HTTP connections."""

from __future__ import annotations

import re

import pytest

from surrealdb._generated import requests
from surrealdb.api_types import Tokens
from surrealdb.errors import HeaderValueError, InvalidParamsError, InvalidURLError
from surrealdb.protocol import Request
from surrealdb.transports.http_state import (
    BASE_HEADERS,
    PROTECTED_VARIABLES,
    HttpSessionState,
    LocalResult,
)
from surrealdb.url import SUPPORTED_SCHEMES, parse_url
from surrealdb.values import NONE

# --------------------------------------------------------------------------------------------
# parse_url
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "endpoint"),
    [
        ("ws://localhost:8000", "ws", "ws://localhost:8000/rpc"),
        ("ws://localhost:8000/", "ws", "ws://localhost:8000/rpc"),
        ("ws://localhost:8000/rpc", "ws", "ws://localhost:8000/rpc"),
        ("ws://localhost:8000/rpc/", "ws", "ws://localhost:8000/rpc"),
        ("wss://db.example.com", "ws", "wss://db.example.com/rpc"),
        ("wss://db.example.com/base", "ws", "wss://db.example.com/base/rpc"),
        ("WS://127.0.0.1:8000", "ws", "ws://127.0.0.1:8000/rpc"),
        ("ws://[::1]:8000", "ws", "ws://[::1]:8000/rpc"),
        ("http://localhost:8000", "http", "http://localhost:8000"),
        ("http://localhost:8000/", "http", "http://localhost:8000"),
        ("http://localhost:8000/rpc", "http", "http://localhost:8000"),
        ("http://localhost:8000/rpc/", "http", "http://localhost:8000"),
        ("https://db.example.com/base/rpc", "http", "https://db.example.com/base"),
        ("  http://localhost:8000  ", "http", "http://localhost:8000"),
        ("mem://", "embedded", "mem://"),
        ("mem:", "embedded", "mem://"),
        ("memory", "embedded", "mem://"),
        ("memory://", "embedded", "mem://"),
        ("surrealkv://data/db", "embedded", "surrealkv://data/db"),
        ("surrealkv:///var/lib/db", "embedded", "surrealkv:///var/lib/db"),
        ("file://./data", "embedded", "file://./data"),
    ],
)
def test_parse_url(url: str, kind: str, endpoint: str) -> None:
    parsed = parse_url(url)
    assert parsed.kind == kind
    assert parsed.endpoint == endpoint
    assert parsed.display == endpoint


def test_every_supported_scheme_is_parsed() -> None:
    examples = {
        "ws://": "ws://h",
        "wss://": "wss://h",
        "http://": "http://h",
        "https://": "https://h",
        "mem://": "mem://",
        "memory": "memory",
        "surrealkv://PATH": "surrealkv://p",
        "file://PATH": "file://p",
    }
    assert set(examples) == set(SUPPORTED_SCHEMES)
    kinds = {scheme: parse_url(url).kind for scheme, url in examples.items()}
    assert kinds == {
        "ws://": "ws",
        "wss://": "ws",
        "http://": "http",
        "https://": "http",
        "mem://": "embedded",
        "memory": "embedded",
        "surrealkv://PATH": "embedded",
        "file://PATH": "embedded",
    }


@pytest.mark.parametrize(
    "url", ["localhost:8000", "ftp://host", "tcp://h:1", "", "rocksdb://data", "wss//host"]
)
def test_unsupported_url_lists_the_supported_schemes(url: str) -> None:
    with pytest.raises(InvalidURLError) as caught:
        parse_url(url)
    message = str(caught.value)
    for scheme in SUPPORTED_SCHEMES:
        assert scheme in message


def test_invalid_url_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_url("ftp://host")


@pytest.mark.parametrize("url", [None, 5, b"ws://h"])
def test_url_must_be_a_string(url: object) -> None:
    with pytest.raises(InvalidURLError, match="string"):
        parse_url(url)


@pytest.mark.parametrize("url", ["ws://", "http:///rpc", "ws://:8000"])
def test_url_without_host(url: str) -> None:
    with pytest.raises(InvalidURLError, match="no host"):
        parse_url(url)


@pytest.mark.parametrize("url", ["surrealkv://", "file://"])
def test_embedded_url_without_path(url: str) -> None:
    with pytest.raises(InvalidURLError, match="PATH"):
        parse_url(url)


@pytest.mark.parametrize("url", ["ws://h:notaport", "http://h:99999"])
def test_bad_port(url: str) -> None:
    with pytest.raises(InvalidURLError, match="invalid URL"):
        parse_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ws://root:s3cr3t-pw@localhost:8000",
        "wss://root:s3cr3t-pw@db.example.com/rpc",
        "http://root:s3cr3t-pw@localhost:8000",
        "https://root:s3cr3t-pw@db.example.com",
        "http://root:s3cr3t-pw@localhost:notaport",
        "ftp://root:s3cr3t-pw@localhost/x",
        "ws://root:s3cr3t-pw/x@localhost",
        "ws://root:s3cr3t#pw@localhost",
        "http://root:s3cr3t?pw@localhost:8000",
    ],
)
def test_credentials_in_the_url_are_rejected_without_echoing_them(url: str) -> None:
    with pytest.raises(InvalidURLError) as caught:
        parse_url(url)
    assert "s3cr3t" not in str(caught.value)


def test_credentials_in_the_url_point_to_signin() -> None:
    with pytest.raises(InvalidURLError, match=r"signin\(\)"):
        parse_url("ws://root@localhost:8000")


# --------------------------------------------------------------------------------------------
# HttpSessionState
# --------------------------------------------------------------------------------------------


def local(state: HttpSessionState, request: Request) -> object:
    prepared = state.prepare(request)
    assert isinstance(prepared, LocalResult), f"{request.method} went to the server"
    return prepared.result


def test_fresh_state_sends_only_the_base_headers() -> None:
    state = HttpSessionState()
    assert state.headers() == BASE_HEADERS
    assert state.headers()["Content-Type"] == "application/cbor"
    assert state.headers()["Accept"] == "application/cbor"


def test_use_is_answered_locally_and_sets_the_headers() -> None:
    state = HttpSessionState()
    assert local(state, requests.use("ns", "db")) == {"namespace": "ns", "database": "db"}
    headers = state.headers()
    assert headers["Surreal-NS"] == "ns"
    assert headers["Surreal-DB"] == "db"


def test_use_with_none_keeps_the_current_value() -> None:
    state = HttpSessionState()
    local(state, requests.use("ns", "db"))
    assert local(state, requests.use(None, "db2")) == {"namespace": "ns", "database": "db2"}
    assert local(state, requests.use("ns2")) == {"namespace": "ns2", "database": "db2"}
    assert local(state, Request("use", [])) == {"namespace": "ns2", "database": "db2"}


def test_let_and_unset_are_answered_locally() -> None:
    state = HttpSessionState()
    assert local(state, requests.let("$x", 1)) is None
    assert local(state, requests.let("y", [2])) is None
    assert state.variables == {"x": 1, "y": [2]}
    assert local(state, requests.unset("x")) is None
    assert local(state, requests.unset("never-set")) is None
    assert state.variables == {"y": [2]}


def test_let_without_a_value_or_with_none_removes_the_variable_as_the_server_does() -> None:
    state = HttpSessionState()
    local(state, requests.let("x", 1))
    local(state, requests.let("y", 2))
    local(state, Request("let", ["x"]))
    local(state, requests.let("y", NONE))
    assert state.variables == {}


@pytest.mark.parametrize("name", sorted(PROTECTED_VARIABLES))
def test_let_of_a_protected_variable_is_refused_with_the_servers_error(name: str) -> None:
    state = HttpSessionState()
    with pytest.raises(InvalidParamsError) as caught:
        state.prepare(requests.let(name, 1))
    assert type(caught.value) is InvalidParamsError
    assert str(caught.value) == f"Cannot set protected variable: {name}"
    assert (caught.value.code, caught.value.kind) == (-32603, "Validation")
    assert caught.value.detail_kind == "InvalidParams"
    assert state.variables == {}
    local(state, requests.let(name, NONE))  # removing is allowed, as by the server
    local(state, requests.let(name.upper(), 1))  # the server compares names exactly
    assert state.variables == {name.upper(): 1}


def test_the_protected_variables_are_the_servers() -> None:
    # PROTECTED_PARAM_NAMES in surrealdb/core/src/cnf/mod.rs of SurrealDB 3.0.2
    assert frozenset({"access", "auth", "token", "session"}) == PROTECTED_VARIABLES


@pytest.mark.parametrize(
    ("namespace", "reason"),
    [
        ("bad\r\nX-Evil: 1", "control character '\\r'"),
        ("tab\there", "control character '\\t'"),
        ("nul\x00", "control character '\\x00'"),
        ("del\x7f", "control character '\\x7f'"),
        ("café", "contains 'é', and the SurrealDB server reads only visible ASCII"),
        ("名前", "contains '名'"),
        (" padded", "starts or ends with a space"),
        ("padded ", "starts or ends with a space"),
    ],
)
def test_use_refuses_a_name_the_server_cannot_read_from_its_header(
    namespace: str, reason: str
) -> None:
    state = HttpSessionState()
    local(state, requests.use("ns", "db"))
    for request in (requests.use(namespace, "db2"), requests.use("ns2", namespace)):
        with pytest.raises(HeaderValueError, match=re.escape(reason)) as caught:
            state.prepare(request)
        assert isinstance(caught.value, InvalidParamsError)
        assert isinstance(caught.value, ValueError)
        assert "ws://" in str(caught.value)
        assert (state.namespace, state.database) == ("ns", "db")  # nothing changed


@pytest.mark.parametrize(
    "name", ["", "a", "with inner spaces", "all-~!@#$%^&*()_+{}|:<>?`=[];',./"]
)
def test_use_takes_every_name_a_header_carries_as_it_is(name: str) -> None:
    state = HttpSessionState()
    local(state, requests.use(name, name))
    assert state.headers()["Surreal-NS"] == name
    assert state.headers()["Surreal-DB"] == name


def test_query_variables_are_merged_and_explicit_ones_win() -> None:
    state = HttpSessionState()
    local(state, requests.let("a", 1))
    local(state, requests.let("b", 2))
    request = Request("query", ["RETURN $a + $b", {"b": 20, "c": 30}])
    prepared = state.prepare(request)
    assert isinstance(prepared, Request)
    assert prepared.method == "query"
    assert prepared.params == ["RETURN $a + $b", {"a": 1, "b": 20, "c": 30}]
    assert request.params[1] == {"b": 20, "c": 30}, "the caller's vars must not change"


def test_requests_of_an_attached_session_pass_through_unchanged() -> None:
    """An attached session keeps its namespace, database and variables on the server."""
    state = HttpSessionState()
    local(state, requests.let("a", 1))
    session = requests.attach().session
    for request in (
        Request("query", ["RETURN $a", {"b": 2}], session=session),
        Request("use", ["ns", "db"], session=session),
        Request("let", ["x", 1], session=session),
    ):
        assert state.prepare(request) is request
    assert state.namespace is None
    assert state.variables == {"a": 1}


def test_query_without_vars_gets_the_connection_variables() -> None:
    state = HttpSessionState()
    local(state, requests.let("a", 1))
    for request in (requests.query("RETURN $a"), requests.query_all("RETURN $a")):
        prepared = state.prepare(request)
        assert isinstance(prepared, Request)
        assert prepared.params == ["RETURN $a", {"a": 1}]


def test_requests_without_state_go_to_the_server_unchanged() -> None:
    state = HttpSessionState()
    query = requests.query("RETURN 1")
    assert state.prepare(query) is query
    select = requests.select("user")
    assert state.prepare(select) is select
    signin = requests.signin({"username": "root", "password": "pw"})
    assert state.prepare(signin) is signin


def test_signin_token_is_sent_as_bearer() -> None:
    state = HttpSessionState()
    state.record(requests.signin({"username": "root", "password": "pw"}), "jwt-token")
    assert state.headers()["Authorization"] == "Bearer jwt-token"
    assert "Surreal-NS" not in state.headers()


def test_signin_with_refresh_token_keeps_the_access_token() -> None:
    state = HttpSessionState()
    request = requests.signin({"namespace": "n", "database": "d", "access": "acc", "email": "e"})
    state.record(request, {"access": "access-jwt", "refresh": "refresh-jwt"})
    headers = state.headers()
    assert headers["Authorization"] == "Bearer access-jwt"
    assert headers["Surreal-NS"] == "n"
    assert headers["Surreal-DB"] == "d"
    state.record(request, Tokens("access-2", "refresh-2"))
    assert state.headers()["Authorization"] == "Bearer access-2"


def test_signup_and_authenticate_keep_the_token() -> None:
    state = HttpSessionState()
    state.record(requests.signup({"ns": "n", "db": "d", "ac": "a"}), "signup-jwt")
    assert state.headers()["Authorization"] == "Bearer signup-jwt"
    state.record(requests.authenticate(Tokens("auth-jwt", "r")), None)
    assert state.headers()["Authorization"] == "Bearer auth-jwt"


def test_other_results_do_not_change_the_token() -> None:
    state = HttpSessionState()
    state.record(requests.signin({"username": "root", "password": "pw"}), "jwt")
    state.record(requests.select("user"), "not-a-token")
    state.record(requests.query("RETURN 'x'"), "x")
    assert state.headers()["Authorization"] == "Bearer jwt"


def test_invalidate_signs_out_and_keeps_namespace_and_database() -> None:
    state = HttpSessionState()
    local(state, requests.use("ns", "db"))
    state.record(requests.authenticate("jwt"), None)
    assert local(state, requests.invalidate()) is None
    headers = state.headers()
    assert "Authorization" not in headers
    assert headers["Surreal-NS"] == "ns"


def test_reset_clears_everything() -> None:
    state = HttpSessionState()
    local(state, requests.use("ns", "db"))
    local(state, requests.let("x", 1))
    state.record(requests.authenticate("jwt"), None)
    assert local(state, requests.reset()) is None
    assert state.headers() == BASE_HEADERS
    assert state.variables == {}
    assert state.namespace is None and state.database is None
    query = requests.query("RETURN 1")
    assert state.prepare(query) is query


def test_repr_never_shows_the_token() -> None:
    state = HttpSessionState()
    local(state, requests.use("ns", "db"))
    local(state, requests.let("x", "value-of-x"))
    state.record(requests.signin({"username": "root", "password": "pw"}), "eyJ-very-secret")
    text = repr(state)
    assert "eyJ-very-secret" not in text
    assert "signed_in=True" in text
    assert "'ns'" in text and "'db'" in text and "['x']" in text
    assert "value-of-x" not in text
