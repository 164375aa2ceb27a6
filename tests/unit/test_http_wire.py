"""The sans-I/O HTTP/1.1 side of the HTTP transports (surrealdb.transports.http_wire), from
raw bytes: the request it writes, the responses it reads (whole, byte by byte, chunked,
HTTP/1.0, `Connection: close`, 1xx first, garbage, cut short, longer than the reply-size
cap), and what it says about reusing the connection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surrealdb.errors import HeaderValueError
from surrealdb.protocol import Request
from surrealdb.transports.http_state import HttpSessionState
from surrealdb.transports.http_wire import (
    DEFAULT_MAX_REPLY_SIZE,
    JOIN_LIMIT,
    MAX_HEAD_SIZE,
    HttpExchange,
    OutgoingRequest,
    ReplyTooLarge,
    RequestHead,
    RequestHeaders,
    ResponseFailed,
    check_reply_size,
    http_target,
)

TOKEN = "eyJ-a-secret-token"
OK_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: application/cbor\r\ncontent-length: 3\r\n\r\n"


def head(headers: list[tuple[bytes, bytes]] | None = None) -> RequestHead:
    return RequestHead(b"/rpc", headers or [(b"Host", b"db:8000")])


def sent(exchange: HttpExchange, body: bytes = b"abc") -> bytes:
    data = exchange.request(OutgoingRequest(head(), body))
    return data.first + (data.second or b"")


def test_the_request_is_a_post_with_content_length() -> None:
    exchange = HttpExchange()
    assert sent(exchange, b"\xa1\x01\x02") == (
        b"POST /rpc HTTP/1.1\r\nHost: db:8000\r\nContent-Length: 3\r\n\r\n\xa1\x01\x02"
    )
    assert exchange.requests == 1


def test_a_small_body_goes_in_one_piece_and_a_large_one_is_not_copied() -> None:
    small = HttpExchange().request(OutgoingRequest(head(), b"x" * JOIN_LIMIT))
    assert small.second is None and small.first.endswith(b"x" * JOIN_LIMIT)
    body = b"y" * (JOIN_LIMIT + 1)
    large = HttpExchange().request(OutgoingRequest(head(), body))
    assert large.second is body
    assert large.first.endswith(b"Content-Length: %d\r\n\r\n" % len(body))


def test_request_events_are_made_once_per_body_length() -> None:
    request_head = head()
    assert request_head.event(3) is request_head.event(3)
    assert request_head.event(3) is not request_head.event(4)


def test_a_whole_response_in_one_piece() -> None:
    exchange = HttpExchange()
    sent(exchange)
    response = exchange.feed(OK_HEAD + b"\xa1\x01\x02")
    assert response is not None
    assert (response.status, response.content_type, response.body) == (
        200,
        "application/cbor",
        b"\xa1\x01\x02",
    )
    assert type(response.body) is bytes
    assert exchange.reusable


def test_a_response_byte_by_byte_then_the_next_request() -> None:
    exchange = HttpExchange()
    for round_trip in range(3):
        sent(exchange)
        raw = OK_HEAD + bytes([round_trip, 1, 2])
        results = [exchange.feed(raw[i : i + 1]) for i in range(len(raw))]
        assert results[:-1] == [None] * (len(raw) - 1)
        last = results[-1]
        assert last is not None and last.body == bytes([round_trip, 1, 2])
        assert exchange.reusable
        exchange.next_request()
    assert exchange.requests == 3


def test_a_chunked_response() -> None:
    exchange = HttpExchange()
    sent(exchange)
    response = exchange.feed(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"
    )
    assert response is not None and response.body == b"abcde"
    assert exchange.reusable


def test_a_content_length_over_the_cap_fails_before_any_of_the_body() -> None:
    exchange = HttpExchange(max_body=10)
    sent(exchange)
    with pytest.raises(ReplyTooLarge) as caught:
        exchange.feed(OK_HEAD.replace(b"length: 3", b"length: 1073741824"))
    assert (caught.value.size, caught.value.limit, caught.value.announced) == (2**30, 10, True)
    assert str(caught.value) == "it announces 1,073,741,824 bytes in its Content-Length"
    assert not caught.value.nothing_received  # never taken for a stale connection, never resent
    assert not exchange.reusable


def test_a_body_of_exactly_the_cap_is_read_and_the_count_starts_again() -> None:
    exchange = HttpExchange(max_body=3)
    for _ in range(3):
        sent(exchange)
        response = exchange.feed(OK_HEAD + b"abc")
        assert response is not None and response.body == b"abc"
        exchange.next_request()


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\n",  # read to the end of the connection
    ],
)
def test_a_body_without_a_length_fails_at_the_byte_that_passes_the_cap(head: bytes) -> None:
    chunked = b"chunked" in head
    exchange = HttpExchange(max_body=10)
    sent(exchange)
    assert exchange.feed(head) is None
    for _ in range(2):
        assert exchange.feed(b"5\r\nabcde\r\n" if chunked else b"abcde") is None
    with pytest.raises(ReplyTooLarge) as caught:
        exchange.feed(b"1\r\nf\r\n" if chunked else b"f")
    assert (caught.value.size, caught.value.announced) == (11, False)
    assert str(caught.value) == "11 bytes of it arrived"


def test_one_huge_chunk_is_counted_as_it_arrives() -> None:
    exchange = HttpExchange(max_body=100)
    sent(exchange)
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n"
    assert exchange.feed(head + b"x" * 100) is None
    with pytest.raises(ReplyTooLarge):
        exchange.feed(b"x")


@pytest.mark.parametrize(
    ("value", "error"), [(0, ValueError), (-5, ValueError), (True, TypeError), (2.0, TypeError)]
)
def test_max_reply_size_must_be_a_positive_int(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_reply_size must be"):
        check_reply_size(value)
    assert check_reply_size(1) == 1
    assert DEFAULT_MAX_REPLY_SIZE == 128 * 1024 * 1024


def test_connection_close_means_not_reusable() -> None:
    exchange = HttpExchange()
    sent(exchange)
    closing = OK_HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    response = exchange.feed(closing + b"abc")
    assert response is not None and response.body == b"abc"
    assert not exchange.reusable


def test_an_http_1_0_response_is_read_to_the_end_of_the_connection() -> None:
    exchange = HttpExchange()
    sent(exchange)
    assert exchange.feed(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ") is None
    assert exchange.feed(b"world") is None
    response = exchange.feed(b"")
    assert response is not None
    assert (response.status, response.content_type, response.body) == (
        200,
        "text/plain",
        b"hello world",
    )
    assert not exchange.reusable


def test_an_informational_response_comes_first() -> None:
    exchange = HttpExchange()
    sent(exchange)
    response = exchange.feed(b"HTTP/1.1 100 Continue\r\n\r\n" + OK_HEAD + b"abc")
    assert response is not None and (response.status, response.body) == (200, b"abc")


def test_an_error_status_keeps_its_body() -> None:
    exchange = HttpExchange()
    sent(exchange)
    response = exchange.feed(
        b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 21\r\n\r\nlength limit exceeded"
    )
    assert response is not None
    assert (response.status, response.content_type, response.body) == (
        413,
        "",
        b"length limit exceeded",
    )


def test_closed_before_any_byte_is_told_apart() -> None:
    exchange = HttpExchange()
    sent(exchange)
    with pytest.raises(ResponseFailed, match="without answering") as failed:
        exchange.feed(b"")
    assert failed.value.nothing_received


@pytest.mark.parametrize(
    "received",
    [b"HTTP/1.1 200 OK\r\ncontent-le", OK_HEAD + b"a"],
    ids=["in the head", "in the body"],
)
def test_closed_in_the_middle_of_a_response(received: bytes) -> None:
    exchange = HttpExchange()
    sent(exchange)
    assert exchange.feed(received) is None
    with pytest.raises(ResponseFailed, match="before its response was whole") as failed:
        exchange.feed(b"")
    assert not failed.value.nothing_received


@pytest.mark.parametrize(
    "garbage",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
    ],
)
def test_garbage_is_refused(garbage: bytes) -> None:
    exchange = HttpExchange()
    sent(exchange)
    with pytest.raises(ResponseFailed, match=r"not HTTP/1\.1") as failed:
        exchange.feed(garbage)
    assert not failed.value.nothing_received


def test_a_response_head_without_end_is_refused() -> None:
    exchange = HttpExchange()
    sent(exchange)
    with pytest.raises(ResponseFailed, match=r"not HTTP/1\.1"):
        exchange.feed(b"HTTP/1.1 200 OK\r\nx-long: " + b"a" * (MAX_HEAD_SIZE + 1))


def test_the_target_of_a_base_url() -> None:
    plain = http_target("http://localhost:8000")
    assert (plain.host, plain.port, plain.secure) == ("localhost", 8000, False)
    assert (plain.authority, plain.path) == (b"localhost:8000", b"/rpc")
    secure = http_target("https://db.example.com/base")
    assert (secure.host, secure.port, secure.secure) == ("db.example.com", 443, True)
    assert (secure.authority, secure.path) == (b"db.example.com", b"/base/rpc")
    assert http_target("http://[::1]:8000").host == "::1"


def test_request_headers_follow_the_session_state() -> None:
    state = HttpSessionState()
    headers = RequestHeaders(http_target("http://db:8000"))
    first = headers.for_state(state)
    assert headers.for_state(state) is first  # unchanged state: the same head, no rebuilding
    assert first.headers == [
        (b"Host", b"db:8000"),
        (b"Content-Type", b"application/cbor"),
        (b"Accept", b"application/cbor"),
    ]
    state.prepare(Request("use", ["ns", "db"]))
    state.record(Request("authenticate", [TOKEN]), None)
    second = headers.for_state(state)
    assert second is not first
    assert (b"Surreal-NS", b"ns") in second.headers
    assert (b"Surreal-DB", b"db") in second.headers
    assert (b"Authorization", f"Bearer {TOKEN}".encode()) in second.headers


def test_a_namespace_headers_cannot_carry_is_refused_clearly() -> None:
    state = HttpSessionState()
    with pytest.raises(HeaderValueError, match="control character"):
        state.prepare(Request("use", ["bad\r\nX-Injected: 1", "db"]))
    # a namespace taken from a sign-in's details did not pass use(): the headers refuse it
    for namespace in ("bad\r\nX-Injected: 1", "café"):
        signin = Request("signin", [{"ns": namespace, "user": "u", "pass": "p"}])
        state.record(signin, TOKEN)
        with pytest.raises(HeaderValueError, match=r"cannot be sent over HTTP: .*ws://"):
            RequestHeaders(http_target("http://db:8000")).for_state(state)


def test_a_token_headers_cannot_carry_is_refused_clearly() -> None:
    state = HttpSessionState()
    state.record(Request("authenticate", ["tok\r\nX-Injected: 1"]), None)
    with pytest.raises(HeaderValueError, match="the token cannot be sent in an HTTP header"):
        RequestHeaders(http_target("http://db:8000")).for_state(state)


def test_reprs_show_no_token_and_no_body() -> None:
    state = HttpSessionState()
    state.record(Request("authenticate", [TOKEN]), None)
    request_head = RequestHeaders(http_target("http://db:8000")).for_state(state)
    body = f"a body with {TOKEN}".encode()
    exchange = HttpExchange()
    data = exchange.request(OutgoingRequest(request_head, body))
    response = exchange.feed(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
    for thing in (request_head, OutgoingRequest(request_head, body), data, response):
        assert TOKEN not in repr(thing)


# --------------------------------------------------------------------------------------------
# Any split of a response reads the same; any bytes at all fail only as ResponseFailed
# --------------------------------------------------------------------------------------------

RESPONSES = [
    OK_HEAD + b"abc",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n2;x=y\r\nbc\r\n0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n" + OK_HEAD + b"abc",
    b"HTTP/1.0 200 OK\r\nContent-Type: application/cbor\r\n\r\nabc",
]


@given(
    response=st.sampled_from(RESPONSES),
    cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=20),
)
def test_any_split_reads_the_same(response: bytes, cuts: list[int]) -> None:
    exchange = HttpExchange()
    sent(exchange)
    pieces, rest = [], response
    for cut in cuts:
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    results = [exchange.feed(piece) for piece in pieces if piece]
    if results[-1] is None:  # framed by the end of the connection
        results.append(exchange.feed(b""))
    assert [r for r in results[:-1] if r is not None] == []
    last = results[-1]
    assert last is not None and last.body == b"abc"


@given(noise=st.binary(max_size=300), prefix=st.sampled_from([b"", b"HTTP/1.1 200 OK\r\n"]))
def test_any_bytes_fail_only_as_response_failed(noise: bytes, prefix: bytes) -> None:
    exchange = HttpExchange()
    sent(exchange)
    try:
        if exchange.feed(prefix + noise) is None:
            exchange.feed(b"")
    except ResponseFailed:
        pass
