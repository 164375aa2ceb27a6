"""The sans-I/O protocol core, driven with frames built by cbor2 directly (no server, no socket)."""

from __future__ import annotations

import uuid
from typing import Any

import cbor2
import pytest

from surrealdb._generated import requests
from surrealdb.api_types import LiveNotification
from surrealdb.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConfigurationError,
    InternalError,
    InvalidParamsError,
    LiveQueryNotSupportedError,
    MethodNotFoundError,
    NotAllowedError,
    NotFoundError,
    ProtocolError,
    SerializationError,
    ServerError,
    SurrealError,
    ThrownError,
    UnsupportedFeatureError,
)
from surrealdb.protocol import (
    ErrorReply,
    Notification,
    Reply,
    Request,
    RpcProtocol,
    UnreadableRequest,
    UnroutableFrame,
    decode_body,
    encode_envelope,
)
from surrealdb.values import NONE, RecordID, Table

LIVE_ID = uuid.UUID("5f1c2e64-0000-4000-8000-000000000001")
SESSION_ID = uuid.UUID("5f1c2e64-0000-4000-8000-000000000002")


def frame(message: object) -> bytes:
    """Raw CBOR bytes, as the server would send them."""
    data: bytes = cbor2.dumps(message)
    return data


def decode_sent(data: bytes) -> dict[str, Any]:
    message: dict[str, Any] = cbor2.loads(data)
    return message


def error_object(
    kind: str | None, detail_kind: str | None = None, message: str = "it failed"
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": -32000, "message": message}
    if kind is not None:
        error["kind"] = kind
    if detail_kind is not None:
        error["details"] = {"kind": detail_kind, "details": {"name": "x"}}
    return error


# --------------------------------------------------------------------------------------------
# Encoding requests
# --------------------------------------------------------------------------------------------


def test_request_ids_increase_from_one() -> None:
    protocol = RpcProtocol()
    ids = [protocol.encode_request(requests.ping())[0] for _ in range(3)]
    assert ids == [1, 2, 3]


def test_each_protocol_numbers_its_own_requests() -> None:
    first, second = RpcProtocol(), RpcProtocol()
    first.encode_request(requests.ping())
    assert second.encode_request(requests.ping())[0] == 1
    assert first.encode_request(requests.ping())[0] == 2


def test_envelope_has_id_method_and_params_only() -> None:
    request_id, data = RpcProtocol().encode_request(requests.select(RecordID("user", "john")))
    message = decode_sent(data)
    assert set(message) == {"id", "method", "params"}
    assert message["id"] == request_id == 1
    assert message["method"] == "select"
    [record] = message["params"]
    assert record.tag == 8
    assert list(record.value) == ["user", "john"]


def test_envelope_encodes_tables_and_none_with_their_tags() -> None:
    _, data = RpcProtocol().encode_request(requests.use(None, "db"))
    assert decode_sent(data)["params"] == [cbor2.CBORTag(6, None), "db"]
    _, data = RpcProtocol().encode_request(requests.select("user"))
    assert decode_sent(data)["params"] == [cbor2.CBORTag(7, "user")]


def test_envelope_carries_session_and_txn_only_when_set() -> None:
    txn = uuid.uuid4()
    request = Request("query", ["RETURN 1"], session=SESSION_ID, txn=txn)
    message = decode_sent(RpcProtocol().encode_request(request)[1])
    assert message["session"] == SESSION_ID
    assert message["txn"] == txn
    message = decode_sent(RpcProtocol().encode_request(requests.attach(SESSION_ID))[1])
    assert message["session"] == SESSION_ID
    assert message["params"] == []
    assert "txn" not in message


def test_http_envelope_has_no_id() -> None:
    message = decode_sent(encode_envelope(requests.version(), None))
    assert message == {"method": "version", "params": []}


def test_unencodable_value_is_a_type_error_naming_where_it_is() -> None:
    with pytest.raises(TypeError, match=r"params\[1\]"):
        RpcProtocol().encode_request(Request("query", ["RETURN $x", {"x": object()}]))


# --------------------------------------------------------------------------------------------
# Decoding replies
# --------------------------------------------------------------------------------------------


def test_reply() -> None:
    event = RpcProtocol().decode_frame(frame({"id": 7, "result": {"name": "x"}}))
    assert event == Reply(7, {"name": "x"})


def test_reply_decodes_surreal_values() -> None:
    data = frame(
        {
            "id": 1,
            "result": [
                {"id": cbor2.CBORTag(8, ["user", 1]), "t": cbor2.CBORTag(7, "user")},
                cbor2.CBORTag(6, None),
            ],
        }
    )
    event = RpcProtocol().decode_frame(data)
    assert isinstance(event, Reply)
    assert event.result == [{"id": RecordID("user", 1), "t": Table("user")}, NONE]


def test_reply_without_result_is_none() -> None:
    assert RpcProtocol().decode_frame(frame({"id": 2})) == Reply(2, None)


@pytest.mark.parametrize(
    ("kind", "detail_kind", "expected"),
    [
        ("NotAllowed", "Auth", AuthenticationError),
        ("NotAllowed", "Table", NotAllowedError),
        ("NotAllowed", None, NotAllowedError),
        ("NotFound", "Table", NotFoundError),
        ("NotFound", None, NotFoundError),
        ("NotFound", "Method", MethodNotFoundError),
        ("AlreadyExists", "Record", AlreadyExistsError),
        ("Thrown", None, ThrownError),
        ("Validation", "Params", InvalidParamsError),
        ("SomethingNew", None, ServerError),
        (None, None, InternalError),  # no kind: the one its code -32000 stands for
    ],
)
def test_error_reply_is_mapped_by_kind_and_details(
    kind: str | None, detail_kind: str | None, expected: type[ServerError]
) -> None:
    error = error_object(kind, detail_kind)
    event = RpcProtocol().decode_frame(frame({"id": 3, "error": error}))
    assert isinstance(event, ErrorReply)
    assert event.id == 3
    assert type(event.error) is expected
    assert isinstance(event.error, ServerError)
    assert event.error.code == -32000
    assert event.error.kind == (kind or "Internal")
    assert event.error.details == error.get("details")
    assert event.error.detail_kind == detail_kind
    assert event.error.message == "it failed"
    assert "it failed" in str(event.error)


def test_method_not_found_is_a_not_found_error() -> None:
    event = RpcProtocol().decode_frame(
        frame({"id": 1, "error": error_object("NotFound", "Method")})
    )
    assert isinstance(event, ErrorReply)
    assert isinstance(event.error, NotFoundError)


def test_live_query_not_supported_is_unsupported_feature() -> None:
    error = error_object("NotAllowed", "LiveQueryNotSupported", "live queries off")
    event = RpcProtocol().decode_frame(frame({"id": 4, "error": error}))
    assert isinstance(event, ErrorReply)
    # also a ConfigurationError, the official SDK's class for it (docs/migrating.md)
    assert isinstance(event.error, UnsupportedFeatureError)
    assert isinstance(event.error, ConfigurationError)
    assert "live queries off" in str(event.error)
    assert "ws://" in str(event.error)


def test_error_with_unexpected_shape_is_a_server_error() -> None:
    event = RpcProtocol().decode_frame(frame({"id": 5, "error": "just text"}))
    assert isinstance(event, ErrorReply)
    assert type(event.error) is ServerError
    assert "just text" in str(event.error)


def test_error_with_non_int_code_keeps_no_code() -> None:
    error = {"code": "E1", "message": "m", "kind": "Thrown"}
    event = RpcProtocol().decode_frame(frame({"id": 5, "error": error}))
    assert isinstance(event, ErrorReply)
    assert isinstance(event.error, ThrownError)
    assert event.error.code == 0  # no code, as the official SDK says it


def test_error_without_message_has_a_default_message() -> None:
    event = RpcProtocol().decode_frame(frame({"id": 5, "error": {"code": -1}}))
    assert isinstance(event, ErrorReply)
    assert str(event.error) == "unknown server error"


# --------------------------------------------------------------------------------------------
# Live notifications
# --------------------------------------------------------------------------------------------


def notification(**extra: object) -> dict[str, Any]:
    return {
        "result": {
            "id": LIVE_ID,
            "action": "CREATE",
            "record": cbor2.CBORTag(8, ["user", "john"]),
            "result": {"id": cbor2.CBORTag(8, ["user", "john"]), "name": "John"},
            **extra,
        }
    }


def test_live_notification() -> None:
    event = RpcProtocol().decode_frame(frame(notification(session=SESSION_ID)))
    assert event == Notification(
        LiveNotification(
            live_id=LIVE_ID,
            action="CREATE",
            record_id=RecordID("user", "john"),
            result={"id": RecordID("user", "john"), "name": "John"},
            session=SESSION_ID,
        )
    )


def test_live_notification_with_uuid_given_as_tag_37_bytes() -> None:
    message = notification()
    message["result"]["id"] = cbor2.CBORTag(37, LIVE_ID.bytes)
    event = RpcProtocol().decode_frame(frame(message))
    assert isinstance(event, Notification)
    assert event.notification.live_id == LIVE_ID
    assert event.notification.session is None


@pytest.mark.parametrize("id_value", [None, cbor2.CBORTag(6, None)], ids=["null", "NONE"])
def test_live_notification_with_null_or_none_id(id_value: object) -> None:
    event = RpcProtocol().decode_frame(frame({"id": id_value, **notification()}))
    assert isinstance(event, Notification)
    assert event.notification.action == "CREATE"


def test_killed_notification_and_non_uuid_session() -> None:
    message = notification(session="not a uuid")
    message["result"]["action"] = "KILLED"
    event = RpcProtocol().decode_frame(frame(message))
    assert isinstance(event, Notification)
    assert event.notification.action == "KILLED"
    assert event.notification.session is None


def test_notification_with_unknown_tag_is_unroutable() -> None:
    message = notification()
    message["result"]["result"] = cbor2.CBORTag(999, "x")
    event = RpcProtocol().decode_frame(frame(message))
    assert isinstance(event, UnroutableFrame)
    assert "999" in event.reason


# --------------------------------------------------------------------------------------------
# Frames that answer no request
# --------------------------------------------------------------------------------------------


def test_error_without_id_is_unroutable() -> None:
    event = RpcProtocol().decode_frame(frame({"error": error_object("NotAllowed", "Auth", "no")}))
    assert isinstance(event, UnroutableFrame)
    assert "no request" in event.reason
    assert "no" in event.reason


UNREADABLE = {  # what the 3.0.2 engine's gateway sent for each request it could not read
    "error": {
        "cause": cbor2.CBORTag(6, None),
        "code": -32700,
        "details": {"kind": "Parse"},
        "kind": "Validation",
        "message": "Parse error",
    }
}


def test_an_error_for_a_request_the_server_could_not_read_names_its_only_call() -> None:
    event = RpcProtocol().decode_frame(frame(UNREADABLE))
    assert isinstance(event, UnreadableRequest)  # still an UnroutableFrame, by its id
    assert isinstance(event, UnroutableFrame)
    reply = event.reply_for([7])
    assert isinstance(reply, ErrorReply) and reply.id == 7
    assert isinstance(reply.error, InvalidParamsError)  # mapped as any other server error
    assert reply.error.code == -32700 and reply.error.detail_kind == "Parse"
    assert str(reply.error).startswith("Parse error: the server could not read the request")
    assert "beyond 64 bits" in str(reply.error)
    assert event.reply_for([]) is None
    assert event.reply_for([7, 8]) is None  # which one is unknown: log and drop
    assert event.resolved([7]) == reply
    dropped = event.resolved([7, 8])
    assert type(dropped) is UnroutableFrame
    assert dropped.reason == f"{event.reason} (2 calls in flight: which one is unknown)"


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32700, "message": "Parse error"},  # the shape of 2.x servers
        {"code": -32600, "kind": "Validation", "message": "Invalid request"},
        {"kind": "Validation", "details": {"kind": "InvalidRequest"}, "message": "Invalid"},
    ],
    ids=["2.x parse error", "invalid request", "by details"],
)
def test_unreadable_request_errors_are_known_by_code_or_kind(error: dict[str, Any]) -> None:
    assert isinstance(RpcProtocol().decode_frame(frame({"error": error})), UnreadableRequest)


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32000, "message": "x"},
        {"kind": "Validation", "details": {"kind": ["Parse"]}, "message": "unhashable kind"},
        "a string",
    ],
    ids=["other code", "odd details", "not a map"],
)
def test_other_errors_without_id_stay_unroutable(error: object) -> None:
    event = RpcProtocol().decode_frame(frame({"error": error}))
    assert type(event) is UnroutableFrame


def test_frame_without_id_that_is_not_a_notification_is_unroutable() -> None:
    for message in ({"result": 1}, {"result": {"id": "not-a-uuid"}}, {}):
        event = RpcProtocol().decode_frame(frame(message))
        assert isinstance(event, UnroutableFrame), message


@pytest.mark.parametrize(
    "data", [b"", b"\xff\xff\xff", b"\x1c", b"\xa1\x62id"], ids=["empty", "ff", "reserved", "cut"]
)
def test_garbage_is_unroutable(data: bytes) -> None:
    event = RpcProtocol().decode_frame(data)
    assert isinstance(event, UnroutableFrame)
    assert "undecodable" in event.reason


@pytest.mark.parametrize("message", [[1, 2], "text", 5, None], ids=["list", "str", "int", "null"])
def test_non_map_is_unroutable(message: object) -> None:
    event = RpcProtocol().decode_frame(frame(message))
    assert isinstance(event, UnroutableFrame)
    assert "not a map" in event.reason


@pytest.mark.parametrize("request_id", ["7", 1.5, [1]], ids=["str", "float", "list"])
def test_reply_with_an_id_this_client_never_sends_is_unroutable(request_id: object) -> None:
    event = RpcProtocol().decode_frame(frame({"id": request_id, "result": 1}))
    assert isinstance(event, UnroutableFrame)
    assert "never sends" in event.reason


def test_unknown_tag_fails_just_that_call() -> None:
    protocol = RpcProtocol()
    event = protocol.decode_frame(frame({"id": 9, "result": [1, cbor2.CBORTag(999, "x")]}))
    assert isinstance(event, ErrorReply)
    assert event.id == 9
    assert isinstance(event.error, ProtocolError)
    assert "999" in str(event.error)
    assert protocol.decode_frame(frame({"id": 10, "result": 2})) == Reply(10, 2)


def test_known_tag_with_malformed_content_fails_just_that_call() -> None:
    event = RpcProtocol().decode_frame(frame({"id": 11, "result": cbor2.CBORTag(8, "not-a-pair")}))
    assert isinstance(event, ErrorReply)
    assert event.id == 11
    assert isinstance(event.error, ProtocolError)
    assert "8" in str(event.error)


# --------------------------------------------------------------------------------------------
# decode_body (HTTP and the embedded engine)
# --------------------------------------------------------------------------------------------


def test_decode_body_returns_the_result() -> None:
    assert decode_body(frame({"result": [1, cbor2.CBORTag(7, "t")]})) == [1, Table("t")]
    assert decode_body(frame({"id": 1, "result": "ok"})) == "ok"


@pytest.mark.parametrize(
    ("kind", "detail_kind", "expected"),
    [
        ("NotAllowed", "Auth", AuthenticationError),
        ("NotFound", "Method", MethodNotFoundError),
        ("NotFound", "Record", NotFoundError),
        ("AlreadyExists", None, AlreadyExistsError),
        ("Validation", None, InvalidParamsError),
        ("Thrown", None, ThrownError),
        ("Mystery", None, ServerError),
        ("Configuration", None, ConfigurationError),
        ("Serialization", None, SerializationError),
        ("Internal", None, InternalError),
        ("NotAllowed", "LiveQueryNotSupported", LiveQueryNotSupportedError),
    ],
)
def test_decode_body_raises_the_mapped_error(
    kind: str, detail_kind: str | None, expected: type[SurrealError]
) -> None:
    with pytest.raises(SurrealError) as caught:
        decode_body(frame({"error": error_object(kind, detail_kind)}))
    assert type(caught.value) is expected


def test_decode_body_rejects_garbage_non_maps_and_unknown_tags() -> None:
    with pytest.raises(ProtocolError, match="not valid CBOR"):
        decode_body(b"\xff\x00")
    with pytest.raises(ProtocolError, match="not a map"):
        decode_body(frame([1]))
    with pytest.raises(ProtocolError, match="999"):
        decode_body(frame({"result": cbor2.CBORTag(999, 1)}))
