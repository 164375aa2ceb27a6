"""The sans-I/O core of the RPC protocol: requests to bytes, received bytes to events.

Nothing here touches a socket, so the blocking and asyncio transports share it and it is tested
from raw bytes. Call `encode_request` for each call and send the bytes it returns; pass every
frame received to `decode_frame` and act on the event it returns.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

import msgspec

from surrealdb import cbor
from surrealdb.api_types import LiveNotification
from surrealdb.errors import ProtocolError, SurrealError, server_error


class Request(msgspec.Struct):
    """One RPC call: the method, its positional parameters, and the envelope's optional ids."""

    method: str
    params: list[Any]
    session: UUID | None = None
    txn: UUID | None = None
    id: int | None = None
    """The id its frame carried, set when `RpcProtocol.encode_request` numbers it (WebSocket)."""

    def __repr__(self) -> str:
        # Parameters are left out: those of signin, signup and authenticate are credentials.
        return f"Request(method={self.method!r}, params=<{len(self.params)} hidden>)"


class Reply(msgspec.Struct):
    """The successful reply to the request with this id."""

    id: int
    result: Any


class ErrorReply(msgspec.Struct):
    """The request with this id failed; `error` is the exception to raise to its caller."""

    id: int
    error: SurrealError


class Notification(msgspec.Struct):
    """A live-query notification (a frame with no request id)."""

    notification: LiveNotification


class UnroutableFrame(msgspec.Struct):
    """A frame that answers no request: undecodable, or an error without an id. Log and drop."""

    reason: str


class UnreadableRequest(UnroutableFrame):
    """The server could not read a request, so its error reply carries no request id.

    A SurrealDB server answers so when it cannot decode a request's frame (a value it cannot
    parse: an integer beyond 64 bits, nesting too deep, a map key that is not a string) or
    finds it malformed: `Parse error` (-32700) or `Invalid request` (-32600), with no `id`.
    Only a call in flight can be its cause; `reply_for` names it when that is certain.
    """

    error: SurrealError

    def reply_for(self, in_flight: Collection[int]) -> ErrorReply | None:
        """The error reply of the call this is about, given the ids of the calls waiting for a
        reply on the link: the only one; None (log and drop) when there are several or none."""
        if len(in_flight) != 1:
            return None
        for request_id in in_flight:
            return ErrorReply(request_id, self.error)
        return None

    def resolved(self, in_flight: Collection[int]) -> ErrorReply | UnroutableFrame:
        """What the transports route in its place: the only call's error reply, or a frame to
        log and drop that says how many calls could have been its cause."""
        reply = self.reply_for(in_flight)
        if reply is not None:
            return reply
        return UnroutableFrame(
            f"{self.reason} ({len(in_flight)} calls in flight: which one is unknown)"
        )


Event = Reply | ErrorReply | Notification | UnroutableFrame
"""What `decode_frame` returns (`UnreadableRequest` is an `UnroutableFrame`)."""

_UNREADABLE_CODES = frozenset({-32700, -32600})
_UNREADABLE_KINDS = frozenset({"Parse", "InvalidRequest"})


class RpcProtocol:
    """Numbers requests and turns frames into events, for one connection."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def encode_request(self, request: Request) -> tuple[int, bytes]:
        """Give the request the next id and return the id with the frame to send.

        Raises `UnencodableValueError` (a TypeError) naming where an unencodable value sits.
        """
        request_id = next(self._ids)
        request.id = request_id
        return request_id, encode_envelope(request, request_id)

    def decode_frame(self, frame: bytes) -> Event:
        """Turn one received frame into the event it carries."""
        try:
            message, unknown_tags = cbor.decode(frame)
        except cbor.CBORDecodeFailed as exc:
            return UnroutableFrame(f"undecodable frame ({len(frame)} bytes): {exc}")
        if type(message) is not dict and not isinstance(message, Mapping):
            return UnroutableFrame(f"frame is not a map: {type(message).__name__}")
        request_id = message.get("id")
        if request_id is None:
            return _frame_without_id(message, unknown_tags)
        if type(request_id) is not int:  # bool is an int too, and never an id of ours
            return UnroutableFrame(f"reply with an id this client never sends: {request_id!r}")
        if unknown_tags:
            return ErrorReply(request_id, _unknown_tags_error(unknown_tags))
        if "error" in message:
            return ErrorReply(request_id, server_error(message["error"]))
        return Reply(request_id, message.get("result"))


def encode_envelope(request: Request, request_id: int | None) -> bytes:
    """The CBOR frame of a request (HTTP requests carry no id)."""
    envelope: dict[str, Any] = {"method": request.method, "params": request.params}
    if request_id is not None:
        envelope["id"] = request_id
    if request.session is not None:
        envelope["session"] = request.session
    if request.txn is not None:
        envelope["txn"] = request.txn
    return cbor.encode(envelope)


def decode_body(body: bytes) -> Any:
    """The result of a reply that carries no id (HTTP and the embedded engine); raises its error."""
    try:
        message, unknown_tags = cbor.decode(body)
    except cbor.CBORDecodeFailed as exc:
        raise ProtocolError(f"the server's reply is not valid CBOR: {exc}") from None
    if type(message) is not dict and not isinstance(message, Mapping):
        raise ProtocolError(f"the server's reply is not a map: {type(message).__name__}")
    if unknown_tags:
        raise _unknown_tags_error(unknown_tags)
    if "error" in message:
        raise server_error(message["error"])
    return message.get("result")


def _frame_without_id(message: Mapping[str, Any], unknown_tags: list[int]) -> Event:
    result = message.get("result")
    if "error" in message:
        raw = message["error"]
        if _is_unreadable_request(raw):
            told = str(raw.get("message") or "the request could not be read")
            error = server_error(
                {
                    **raw,
                    "message": f"{told}: the server could not read the request (a value it"
                    " cannot decode, such as an integer beyond 64 bits, nesting too deep, or a"
                    " map key that is not a string), so its error carried no request id",
                }
            )
            return UnreadableRequest(f"the server could not read a request: {told}", error)
        error = server_error(raw)
        return UnroutableFrame(f"the server reported an error for no request: {error}")
    if not (type(result) is dict or isinstance(result, Mapping)) or not isinstance(
        result.get("id"), UUID
    ):
        return UnroutableFrame("a frame with no id that is not a live notification")
    if unknown_tags:
        return UnroutableFrame(f"live notification with unknown CBOR tags {unknown_tags}")
    session = result.get("session")
    return Notification(
        LiveNotification(
            live_id=result["id"],
            action=str(result.get("action")),
            record_id=result.get("record"),
            result=result.get("result"),
            session=session if isinstance(session, UUID) else None,
        )
    )


def _is_unreadable_request(error: Any) -> bool:
    """Whether an error object is the server's "could not read a request" (by code or kind)."""
    if not (type(error) is dict or isinstance(error, Mapping)):
        return False
    details = error.get("details")
    detail_kind = details.get("kind") if isinstance(details, Mapping) else None
    code = error.get("code")
    if type(code) is int and code in _UNREADABLE_CODES:
        return True
    return isinstance(detail_kind, str) and detail_kind in _UNREADABLE_KINDS


def _unknown_tags_error(tags: list[int]) -> ProtocolError:
    listed = ", ".join(str(tag) for tag in sorted(set(tags)))
    return ProtocolError(
        f"the reply contains values with CBOR tags this client does not know ({listed});"
        " the connection is still usable"
    )
