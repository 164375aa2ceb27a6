"""The argument converters (surrealdb._params) and the reply parsers (surrealdb._replies)."""

from __future__ import annotations

import types
import uuid
from collections.abc import Callable
from typing import Any

import cbor2
import pytest

from surrealdb import _params, _replies
from surrealdb._generated import requests
from surrealdb.api_types import QueryResult, Tokens
from surrealdb.errors import InvalidTableError, ProtocolError, QueryError, ServerError
from surrealdb.protocol import Request
from surrealdb.values import NONE, NULL, RecordID, Table

REQUEST = Request("select", [])

# --------------------------------------------------------------------------------------------
# _params: resources and tables
# --------------------------------------------------------------------------------------------


def test_resource_string_is_a_table() -> None:
    assert _params.resource("user") == Table("user")
    assert isinstance(_params.resource("user"), Table)


def test_resource_keeps_tables_and_record_ids() -> None:
    table = Table("user")
    record = RecordID("user", "john")
    assert _params.resource(table) is table
    assert _params.resource(record) is record


@pytest.mark.parametrize("converter", [_params.resource, _params.table], ids=["resource", "table"])
def test_colon_string_is_rejected_with_a_hint(converter: Callable[[object], object]) -> None:
    with pytest.raises(ValueError) as caught:
        converter("user:john")
    message = str(caught.value)
    assert "RecordID.parse('user:john')" in message
    assert "Table('user:john')" in message


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_table_name_is_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        _params.resource(name)
    with pytest.raises(ValueError, match="empty"):
        _params.table(name)


@pytest.mark.parametrize("value", [5, None, b"user", ["user"], 1.5])
def test_resource_of_a_wrong_type_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=type(value).__name__):
        _params.resource(value)


def test_table_rejects_record_ids_and_other_types() -> None:
    with pytest.raises(TypeError):
        _params.table(RecordID("user", 1))
    with pytest.raises(TypeError):
        _params.table(5)
    assert _params.table(Table("a:b")) == Table("a:b")


def test_optional_table() -> None:
    assert _params.optional_table(None) is NONE
    assert _params.optional_table("rel") == Table("rel")
    with pytest.raises(ValueError):
        _params.optional_table("rel:1")


def test_record_id() -> None:
    record = RecordID("user", 1)
    assert _params.record_id(record) is record
    with pytest.raises(TypeError, match=r"RecordID\.parse"):
        _params.record_id("user:1")
    with pytest.raises(TypeError, match="Table"):
        _params.record_id(Table("user"))


# --------------------------------------------------------------------------------------------
# _params: credentials and tokens
# --------------------------------------------------------------------------------------------


def test_credentials_of_root_users_use_the_wire_names() -> None:
    assert _params.credentials({"username": "root", "password": "pw"}) == {
        "user": "root",
        "pass": "pw",
    }


def test_credentials_of_namespace_and_database_users() -> None:
    converted = _params.credentials(
        {"username": "u", "password": "p", "namespace": "n", "database": "d"}
    )
    assert converted == {"user": "u", "pass": "p", "ns": "n", "db": "d"}


def test_wire_names_pass_through() -> None:
    wire = {"user": "u", "pass": "p", "ns": "n", "db": "d"}
    assert _params.credentials(wire) == wire


@pytest.mark.parametrize("access_key", ["access", "ac"])
def test_record_access_renames_only_namespace_database_and_access(access_key: str) -> None:
    converted = _params.credentials(
        {
            "namespace": "n",
            "database": "d",
            access_key: "account",
            "password": "secret",
            "username": "john",
            "email": "j@example.com",
        }
    )
    assert converted == {
        "ns": "n",
        "db": "d",
        "ac": "account",
        "password": "secret",
        "username": "john",
        "email": "j@example.com",
    }


def test_credentials_do_not_modify_the_argument() -> None:
    given = {"username": "root", "password": "pw"}
    _params.credentials(given)
    assert given == {"username": "root", "password": "pw"}


def test_credentials_must_be_a_mapping_with_string_keys() -> None:
    with pytest.raises(TypeError, match="mapping"):
        _params.credentials([("username", "root")])
    with pytest.raises(TypeError, match="strings"):
        _params.credentials({1: "root"})


def test_access_token() -> None:
    assert _params.access_token("jwt") == "jwt"
    assert _params.access_token(Tokens("access-jwt", "refresh-jwt")) == "access-jwt"
    with pytest.raises(TypeError):
        _params.access_token("")
    with pytest.raises(TypeError):
        _params.access_token(None)


def test_tokens() -> None:
    assert _params.tokens(Tokens("a", "r")) == {"access": "a", "refresh": "r"}
    with pytest.raises(ValueError, match="no refresh token"):
        _params.tokens(Tokens("a"))
    with pytest.raises(TypeError, match="Tokens"):
        _params.tokens("a")


def test_tokens_repr_hides_both_tokens() -> None:
    text = repr(Tokens("eyJ-access-secret", "eyJ-refresh-secret"))
    assert "access-secret" not in text
    assert "refresh-secret" not in text
    assert text == "Tokens(access='<hidden>', refresh='<hidden>')"
    assert repr(Tokens("eyJ-access-secret")) == "Tokens(access='<hidden>', refresh=None)"
    # A Tokens is the access token's string itself (signin returned a plain str before):
    # str() is that string, and only the refresh token stays out of it.
    assert str(Tokens("eyJ-access-secret", "eyJ-refresh-secret")) == "eyJ-access-secret"
    assert "refresh-secret" not in f"{Tokens('eyJ-access-secret', 'eyJ-refresh-secret')}"


# --------------------------------------------------------------------------------------------
# _params: the others
# --------------------------------------------------------------------------------------------


def test_keep_if_none() -> None:
    assert _params.keep_if_none(None) is NONE
    assert _params.keep_if_none("ns") == "ns"
    with pytest.raises(TypeError):
        _params.keep_if_none(5)  # type: ignore[arg-type]


def test_variable_name() -> None:
    assert _params.variable_name("$name") == "name"
    assert _params.variable_name("name") == "name"
    with pytest.raises(ValueError, match="empty"):
        _params.variable_name("$")
    with pytest.raises(ValueError, match="empty"):
        _params.variable_name("")
    with pytest.raises(TypeError):
        _params.variable_name(5)


def test_query_text() -> None:
    assert _params.query_text("RETURN 1") == "RETURN 1"
    with pytest.raises(TypeError, match="bytes"):
        _params.query_text(b"RETURN 1")


def test_true_or_omit() -> None:
    assert _params.true_or_omit(True) is True
    assert _params.true_or_omit(False) is None


def test_optional_list() -> None:
    assert _params.optional_list(None) is None
    assert _params.optional_list((1, 2)) == [1, 2]
    assert _params.optional_list([]) == []
    for wrong in ("ab", b"ab", {"a": 1}, 5):
        with pytest.raises(TypeError):
            _params.optional_list(wrong)  # type: ignore[arg-type]


def test_new_session_id() -> None:
    given = uuid.uuid4()
    assert _params.new_session_id(given) is given
    first, second = _params.new_session_id(None), _params.new_session_id(None)
    assert isinstance(first, uuid.UUID) and first != second
    with pytest.raises(TypeError):
        _params.new_session_id(str(given))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([], []),
        ([None], []),
        ([1, None, None], [1]),
        ([None, 1, None], [None, 1]),
        ([1, NULL], [1, NULL]),
        ([1, False], [1, False]),
        ([1, 0], [1, 0]),
    ],
)
def test_without_trailing_none(params: list[Any], expected: list[Any]) -> None:
    assert _params.without_trailing_none(list(params)) == expected


# --------------------------------------------------------------------------------------------
# Request builders (they wire the converters together)
# --------------------------------------------------------------------------------------------


def test_request_builders_apply_the_converters() -> None:
    assert requests.use(None, "db").params == [None, "db"]
    assert requests.use("ns").params == ["ns", None]  # the server needs both: NONE keeps it
    assert requests.let("$x", 1).params == ["x", 1]
    assert requests.query("RETURN 1").params == ["RETURN 1"]
    assert requests.query("RETURN $x", {"x": 1}).params == ["RETURN $x", {"x": 1}]
    assert requests.live("t").params == [Table("t")]
    assert requests.live("t", diff=True).params == [Table("t"), True]
    assert requests.run("fn::f").params == ["fn::f"]
    assert requests.run("fn::f", None, [1]).params == ["fn::f", None, [1]]
    assert requests.query_all("RETURN 1").method == "query"
    assert requests.signin({"username": "root", "password": "pw"}).params == [
        {"user": "root", "pass": "pw"}
    ]
    session = uuid.uuid4()
    assert requests.detach(session).session == session
    assert requests.attach().session is not None


# --------------------------------------------------------------------------------------------
# _replies
# --------------------------------------------------------------------------------------------


def statement(status: str, result: Any, **extra: Any) -> dict[str, Any]:
    return {"status": status, "time": "1ms", "result": result, **extra}


def test_value_and_nothing() -> None:
    assert _replies.value({"a": 1}, REQUEST) == {"a": 1}
    assert _replies.value(NONE, REQUEST) is NONE
    nothing: Callable[[Any, Request], object] = _replies.nothing
    assert nothing("ignored", REQUEST) is None


def test_text() -> None:
    assert _replies.text("surrealdb-3.0.0", REQUEST) == "surrealdb-3.0.0"
    with pytest.raises(ProtocolError, match="select"):
        _replies.text(3, REQUEST)


def test_optional() -> None:
    assert _replies.optional(NONE, REQUEST) is None
    assert _replies.optional(None, REQUEST) is None
    assert _replies.optional({"id": 1}, REQUEST) == {"id": 1}
    with pytest.raises(ProtocolError):
        _replies.optional([{"id": 1}], REQUEST)


def test_record_results_pass_as_they_are() -> None:
    # select/update/...: a list for a table, the record or None (NONE) for a RecordID
    assert _replies.value(NONE, REQUEST) is None
    assert _replies.value([{"id": 1}], REQUEST) == [{"id": 1}]
    assert _replies.value({"id": 1}, REQUEST) == {"id": 1}
    assert _replies.value([], REQUEST) == []


def test_one_record_unwraps_a_one_element_list() -> None:
    record = {"id": RecordID("user", 1)}
    assert _replies.one_record([record], REQUEST) == record
    assert _replies.one_record(record, REQUEST) == record
    for wrong in ([], [record, record], None, NONE, "x"):
        with pytest.raises(ProtocolError):
            _replies.one_record(wrong, REQUEST)


def test_record_list() -> None:
    record = {"id": 1}
    assert _replies.record_list([record, record], REQUEST) == [record, record]
    assert _replies.record_list(record, REQUEST) == [record]
    assert _replies.record_list(NONE, REQUEST) == []
    assert _replies.record_list(None, REQUEST) == []
    with pytest.raises(ProtocolError):
        _replies.record_list("x", REQUEST)


def test_uuid_and_uuid_list() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    assert _replies.uuid(first, REQUEST) == first
    with pytest.raises(ProtocolError):
        _replies.uuid(str(first), REQUEST)
    assert _replies.uuid_list([first, second], REQUEST) == [first, second]
    assert _replies.uuid_list([], REQUEST) == []
    with pytest.raises(ProtocolError):
        _replies.uuid_list([first, "x"], REQUEST)
    with pytest.raises(ProtocolError):
        _replies.uuid_list(first, REQUEST)


def test_session_id_is_the_session_of_the_request() -> None:
    session = uuid.uuid4()
    request = requests.attach(session)
    assert _replies.session_id(None, request) == session


def test_token_is_a_string_or_tokens() -> None:
    assert _replies.token("jwt", REQUEST) == "jwt"
    assert _replies.token({"access": "a", "refresh": "r"}, REQUEST) == Tokens("a", "r")
    assert _replies.token({"token": "a"}, REQUEST) == Tokens("a", None)
    with pytest.raises(ProtocolError):
        _replies.token(5, REQUEST)
    with pytest.raises(ProtocolError):
        _replies.token({"refresh": "r"}, REQUEST)


def test_tokens_reply() -> None:
    assert _replies.tokens({"access": "a", "refresh": "r"}, REQUEST) == Tokens("a", "r")
    for wrong in ("a", {"access": 1}, {"access": "a", "refresh": 2}, None):
        with pytest.raises(ProtocolError):
            _replies.tokens(wrong, REQUEST)


def test_tokens_reply_error_hides_the_tokens() -> None:
    with pytest.raises(ProtocolError) as caught:
        _replies.tokens({"access": "secret-access", "refresh": 7}, REQUEST)
    assert "secret-access" not in str(caught.value)


QUERY = requests.query("SELECT * FROM a; THROW 'x'; RETURN 3")


def test_query_all_returns_each_result() -> None:
    reply = [statement("OK", [{"id": 1}]), statement("OK", 3)]
    assert _replies.query_all(reply, QUERY) == [[{"id": 1}], 3]
    assert _replies.query_all([], QUERY) == []


@pytest.mark.parametrize("failed_index", [0, 1, 2])
def test_query_all_raises_for_the_first_failed_statement(failed_index: int) -> None:
    reply = [statement("OK", i) for i in range(3)]
    reply[failed_index] = statement(
        "ERR", "An error occurred: x", kind="Thrown", details={"kind": "Custom"}
    )
    if failed_index < 2:
        reply[2] = statement("ERR", "a later failure")
    with pytest.raises(QueryError) as caught:
        _replies.query_all(reply, QUERY)
    error = caught.value
    assert isinstance(error, ServerError)
    assert error.index == failed_index
    assert error.message == "An error occurred: x"
    assert error.kind == "Thrown"
    assert error.details == {"kind": "Custom"}
    assert f"statement {failed_index}" in str(error)


def test_query_last() -> None:
    assert _replies.query_last([statement("OK", 1), statement("OK", [2])], QUERY) == [2]
    assert _replies.query_last([], QUERY) is None
    with pytest.raises(QueryError) as caught:
        _replies.query_last([statement("ERR", "bad"), statement("OK", 2)], QUERY)
    assert caught.value.index == 0


def test_query_results_never_raises_for_failed_statements() -> None:
    reply = [statement("OK", 1), statement("ERR", "bad", kind="Thrown", details={"k": 1})]
    results = _replies.query_results(reply, QUERY)
    assert results == [
        QueryResult(status="OK", time="1ms", result=1),
        QueryResult(status="ERR", time="1ms", result="bad", kind="Thrown", details={"k": 1}),
    ]
    assert [result.ok for result in results] == [True, False]


def test_query_results_tolerates_missing_fields() -> None:
    [result] = _replies.query_results([{"status": "OK", "kind": 5}], QUERY)
    assert result == QueryResult(status="OK", time="", result=None, kind=None, details=None)


def test_query_replies_that_are_not_lists_are_protocol_errors() -> None:
    for parser in (_replies.query_results, _replies.query_all, _replies.query_last):
        with pytest.raises(ProtocolError):
            parser({"status": "OK"}, QUERY)
        with pytest.raises(ProtocolError):
            parser(["not a map"], QUERY)


def test_query_results_in_other_shapes_take_the_checked_path() -> None:
    """Plain dicts with status "OK" are read directly; other statements as before."""
    frozen: cbor2.frozendict[str, Any] = cbor2.frozendict(
        {"status": "OK", "time": "1ms", "result": [1]}
    )
    assert _replies.query_all([frozen, statement("OK", 2)], QUERY) == [[1], 2]
    assert _replies.query_last([statement("OK", 2), frozen], QUERY) == [1]
    # The status is compared as text, as QueryResult.ok does.
    assert _replies.query_last([{"status": Table("OK"), "result": 3}], QUERY) == 3
    with pytest.raises(QueryError) as caught:
        _replies.query_last([statement("OK", 1), {"status": "ERR", "result": "bad"}], QUERY)
    assert caught.value.index == 1
    with pytest.raises(ProtocolError, match="statement's reply is list"):
        _replies.query_last([statement("OK", 1), [1]], QUERY)


def test_mappings_other_than_dicts_are_still_accepted() -> None:
    names = types.MappingProxyType({"id": 1})
    assert _params.variables(names) == {"id": 1}
    assert type(_params.variables(names)) is dict
    assert _params.record_data(names) is names
    assert _params.record_data_list((names, {"a": 1})) == [names, {"a": 1}]
    with pytest.raises(TypeError, match="item 1 is int"):
        _params.record_data_list([{"a": 1}, 2])


def test_a_record_id_written_as_a_string_is_refused_with_what_to_write_instead() -> None:
    with pytest.raises(InvalidTableError) as caught:
        _params.table("person:tobie")
    message = str(caught.value)
    assert "RecordID.parse('person:tobie')" in message
    assert "RecordID('person', 'tobie')" in message


def test_a_refused_request_is_returned_as_the_servers_error_object() -> None:
    error = ServerError("Parse error", code=-32700, kind="Validation", details={"kind": "Parse"})
    numbered = Request("query", ["RETURN 1", None], id=7)
    assert _replies.error_reply(error, numbered) == {
        "id": "7",
        "error": {
            "code": -32700,
            "message": "Parse error",
            "kind": "Validation",
            "details": {"kind": "Parse"},
        },
    }
    assert _replies.rpc_reply([{"status": "OK"}], numbered) == {
        "id": "7",
        "result": [{"status": "OK"}],
    }


def test_a_raw_reply_without_a_frame_id_gets_a_new_unique_one() -> None:
    """HTTP requests carry no id; the official SDK's replies always have one (as text)."""
    unnumbered = Request("query", ["RETURN 1", None])
    first = _replies.rpc_reply([], unnumbered)["id"]
    second = _replies.rpc_reply([], unnumbered)["id"]
    assert isinstance(first, str) and isinstance(second, str) and first != second
