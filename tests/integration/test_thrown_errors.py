"""`THROW` surfaces as `ThrownError` on every transport, with what was thrown.

The engine's message is `An error occurred: <value>`; `thrown_message` is the value's text and
`message` the whole. A `THROW` in a query raises a `ThrownQueryError` (a `QueryError` naming
the statement, and a `ThrownError`); one in a function called with `run()` a `ThrownError`.
"""

from __future__ import annotations

import pytest

from surrealdb import QueryError, ServerError, SurrealError, ThrownError
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.errors import parse_query_error


def check_thrown(error: BaseException, thrown: str) -> None:
    assert isinstance(error, ThrownError) and isinstance(error, SurrealError)
    assert error.kind == "Thrown"
    assert error.thrown_message == thrown
    assert error.message == f"An error occurred: {thrown}"


@pytest.mark.parametrize(
    ("sql", "index", "thrown"),
    [
        pytest.param("THROW 'card declined'", 0, "card declined", id="string"),
        pytest.param("RETURN 1; THROW 'second'; RETURN 3", 1, "second", id="second-statement"),
        pytest.param(
            "THROW {code: 402, reason: 'declined'}",
            0,
            "{ code: 402, reason: 'declined' }",
            id="object",
        ),
        pytest.param(
            "LET $n = 3; THROW 'only ' + <string> $n + ' left'", 1, "only 3 left", id="expression"
        ),
    ],
)
def test_throw_in_a_query_raises_thrown_error(
    db: BlockingSurrealConnection, sql: str, index: int, thrown: str
) -> None:
    with pytest.raises(ThrownError) as caught:
        db.query(sql)
    error = caught.value
    check_thrown(error, thrown)
    assert isinstance(error, QueryError) and error.index == index
    assert str(error) == f"statement {index} of the query failed: An error occurred: {thrown}"


async def test_async_throw_in_a_query_raises_thrown_error(adb: AsyncSurrealConnection) -> None:
    with pytest.raises(ThrownError) as caught:
        await adb.query("RETURN 1; THROW 'card declined'")
    check_thrown(caught.value, "card declined")
    assert isinstance(caught.value, QueryError) and caught.value.index == 1


def test_throw_in_a_function_called_with_run(db: BlockingSurrealConnection) -> None:
    db.query("DEFINE FUNCTION fn::charge($amount: int) { THROW 'declined: ' + <string> $amount; }")
    with pytest.raises(ThrownError) as caught:
        db.run("fn::charge", args=[12])
    check_thrown(caught.value, "declined: 12")
    assert not isinstance(caught.value, QueryError)  # the RPC failed, not a statement
    # The same function called from a query raises the query's form.
    with pytest.raises(ThrownError) as from_query:
        db.query("RETURN fn::charge(7)")
    check_thrown(from_query.value, "declined: 7")
    assert isinstance(from_query.value, QueryError)


async def test_async_throw_in_a_function_called_with_run(adb: AsyncSurrealConnection) -> None:
    await adb.query("DEFINE FUNCTION fn::charge() { THROW 'declined'; }")
    with pytest.raises(ThrownError) as caught:
        await adb.run("fn::charge")
    check_thrown(caught.value, "declined")


def test_throw_in_a_transaction_raises_what_was_thrown(db: BlockingSurrealConnection) -> None:
    """The server fails every statement of the failed transaction; the error raised is the
    THROW's, not the 'not executed' of the statement before it, and nothing is written."""
    db.query("DEFINE TABLE invoice SCHEMALESS")
    sql = "BEGIN; CREATE invoice:1; THROW 'no funds'; CREATE invoice:2; COMMIT"
    with pytest.raises(ThrownError) as caught:
        db.query(sql)
    check_thrown(caught.value, "no funds")
    assert isinstance(caught.value, QueryError) and caught.value.index == 2
    statements = db.query_results(sql)
    assert [statement.kind for statement in statements[1:4]] == ["Query", "Thrown", "Query"]
    not_executed = parse_query_error(db.query_raw(sql)["result"][1])
    assert isinstance(not_executed, QueryError) and not_executed.is_not_executed
    assert db.query("SELECT * FROM invoice") == []


def test_a_failed_transaction_raises_the_statement_that_failed_it(
    db: BlockingSurrealConnection,
) -> None:
    db.query("CREATE invoice:1")
    with pytest.raises(QueryError) as caught:
        db.query("BEGIN; CREATE invoice:2; CREATE invoice:1; COMMIT")
    assert (caught.value.kind, caught.value.index) == ("AlreadyExists", 2)


@pytest.mark.parametrize("transport", ["ws"], indirect=True)
def test_throw_in_an_interactive_transaction(db: BlockingSurrealConnection) -> None:
    db.query("DEFINE FUNCTION fn::check() { THROW 'refused' }")
    with db.transaction() as tx:
        with pytest.raises(ThrownError) as caught:
            tx.query("THROW 'inside'")
        check_thrown(caught.value, "inside")
        with pytest.raises(ThrownError) as from_run:
            tx.run("fn::check")
        check_thrown(from_run.value, "refused")
        tx.cancel()


def test_thrown_message_of_errors_made_from_replies() -> None:
    thrown = parse_query_error(
        {"status": "ERR", "result": "An error occurred: x", "kind": "Thrown"}
    )
    assert isinstance(thrown, ThrownError) and thrown.thrown_message == "x"
    # Text without the engine's prefix is kept whole.
    assert ThrownError("plain").thrown_message == "plain"
    assert isinstance(ThrownError("m"), ServerError)
