"""The examples of docs/sessions-and-transactions.md, as functions taking a URL.

tests/integration/test_sessions_transactions.py runs every function here against the test
server and checks that the document's code blocks are exactly this file's import block and
functions, in order, so the two cannot drift apart.
"""

from surrealdb import (
    NONE,
    AsyncSurreal,
    AuthenticationError,
    RecordID,
    SessionClosedError,
    Surreal,
    TransactionEndedError,
    UnsupportedFeatureError,
)

ROOT = {"username": "root", "password": "root"}


def sessions_on_one_connection(url: str) -> None:
    with Surreal(url) as db:
        db.signin(ROOT)
        db.use("shop", "main")
        with db.new_session() as eu, db.new_session() as us:
            for session, database in ((eu, "eu"), (us, "us")):
                session.signin(ROOT)  # a new session starts signed out, with no database
                session.use("shop", database)
                session.query("DEFINE TABLE IF NOT EXISTS invoice SCHEMALESS")
            eu.upsert(RecordID("invoice", 1), {"total": 10})
            eu.let("currency", "EUR")

            assert eu.select("invoice") == [{"id": RecordID("invoice", 1), "total": 10}]
            assert us.select("invoice") == []  # another database
            assert eu.query("RETURN $currency") == "EUR"
            assert us.query("RETURN $currency") is NONE  # another session's variables
            assert db.query("RETURN $currency") is NONE  # the connection's own session
            assert eu.query("RETURN session::id()") == eu.id
            assert {eu.id, us.id} <= set(db.sessions())

        # Leaving the `with` block detached both sessions.
        assert eu.id not in db.sessions()
        try:
            eu.query("RETURN 1")
        except SessionClosedError:
            pass  # "session … is closed: start a new one"
        else:
            raise AssertionError("a closed session refuses every call")


def transaction_commits_or_cancels(url: str) -> None:
    alice, bob = RecordID("account", "alice"), RecordID("account", "bob")
    with Surreal(url) as db:
        db.signin(ROOT)
        db.use("shop", "main")
        # Define the tables first: creating them inside concurrent transactions can conflict.
        db.query(
            "DEFINE TABLE IF NOT EXISTS account SCHEMALESS;"
            "DEFINE TABLE IF NOT EXISTS paid TYPE RELATION SCHEMALESS"
        )
        db.upsert(alice, {"balance": 100})
        db.upsert(bob, {"balance": 0})

        # The block commits when it ends normally ...
        with db.transaction() as tx:
            tx.merge(alice, {"balance": 70})
            tx.patch(bob, [{"op": "replace", "path": "/balance", "value": 30}])
            payment = tx.relate(alice, "paid", bob, {"amount": 30})
        assert db.select(bob) == {"id": bob, "balance": 30}
        assert db.select(payment["id"]) == payment

        # ... and cancels when an exception leaves it; the exception still propagates.
        try:
            with db.transaction() as tx:
                tx.update(bob, {"balance": 1_000_000})
                tx.query("DELETE paid")
                raise RuntimeError("fraud detected")
        except RuntimeError:
            pass
        assert db.select(bob) == {"id": bob, "balance": 30}
        assert db.select(payment["id"]) == payment


def explicit_commit_and_cancel(url: str) -> None:
    visits = RecordID("counter", "visits")
    with Surreal(url) as db:
        db.signin(ROOT)
        db.use("shop", "main")
        db.query("DEFINE TABLE IF NOT EXISTS counter SCHEMALESS")
        db.upsert(visits, {"n": 0})

        tx = db.transaction()  # begins now
        tx.merge(visits, {"n": 1})
        assert tx.query("SELECT VALUE n FROM ONLY $v", {"v": visits}) == 1  # its own write
        assert db.select(visits) == {"id": visits, "n": 0}  # not visible outside yet
        tx.cancel()
        assert db.select(visits) == {"id": visits, "n": 0}

        try:
            tx.merge(visits, {"n": 2})
        except TransactionEndedError as error:
            assert "cancelled" in str(error)  # "this transaction was cancelled: start a new one"
        else:
            raise AssertionError("an ended transaction refuses every call")

        tx = db.transaction()
        tx.merge(visits, {"n": 2})
        tx.commit()
        assert db.select(visits) == {"id": visits, "n": 2}


def transaction_in_a_session(url: str) -> None:
    with Surreal(url) as db:
        db.signin(ROOT)
        db.use("shop", "main")
        with db.new_session() as session:
            session.signin(ROOT)
            session.use("shop", "archive")
            session.query("DEFINE TABLE IF NOT EXISTS invoice SCHEMALESS")
            with session.transaction() as tx:  # runs in the session's database
                tx.upsert(RecordID("invoice", "old"), {"total": 5})
            assert session.select(RecordID("invoice", "old")) == {
                "id": RecordID("invoice", "old"),
                "total": 5,
            }
        assert db.query("RETURN session::db()") == "main"  # the connection's session is untouched


async def asyncio_sessions_and_transactions(url: str) -> None:
    async with AsyncSurreal(url) as db:
        await db.signin(ROOT)
        await db.use("shop", "main")
        await db.query("DEFINE TABLE IF NOT EXISTS ticket SCHEMALESS")

        async with db.new_session() as session:  # or: session = await db.new_session()
            await session.signin(ROOT)
            await session.use("shop", "main")
            async with session.transaction() as tx:  # or: tx = await session.transaction()
                await tx.upsert(RecordID("ticket", 1), {"seat": "12A"})
                await tx.upsert(RecordID("ticket", 2), {"seat": "12B"})

        tx = await db.transaction()
        await tx.delete(RecordID("ticket", 1))
        await tx.cancel()
        assert len(await db.select("ticket")) == 2  # the delete was cancelled


def http_sessions(url: str) -> None:
    with Surreal(url) as db:  # an http:// or https:// URL
        db.signin(ROOT)
        db.use("shop", "main")
        with db.new_session() as session:  # kept on the server, shared by its HTTP clients
            session.signin(ROOT)
            session.use("shop", "eu")
            session.let("currency", "EUR")
            assert session.query("RETURN [session::db(), $currency]") == ["eu", "EUR"]
            assert db.query("RETURN [session::db(), $currency]") == ["main", NONE]
        try:
            db.transaction()
        except UnsupportedFeatureError as error:
            assert "ws://" in str(error)  # "begin() is not available over HTTP: use a ws://..."
        else:
            raise AssertionError("HTTP has no interactive transactions")


def embedded_sessions(url: str = "mem://") -> None:
    with Surreal(url) as db:  # the default session of mem:// needs no sign-in
        db.use("shop", "main")
        db.query("DEFINE USER IF NOT EXISTS admin ON ROOT PASSWORD 'change-me' ROLES OWNER")
        with db.new_session() as session:
            try:
                session.query("RETURN 1")
            except AuthenticationError:
                pass  # "Anonymous access not allowed": a new session must sign in first
            else:
                raise AssertionError("the embedded engine refuses anonymous sessions")
            session.signin({"username": "admin", "password": "change-me"})
            session.use("shop", "main")
            assert session.query("RETURN session::db()") == "main"
        try:
            db.transaction()
        except UnsupportedFeatureError as error:
            assert "ws://" in str(error)
        else:
            raise AssertionError("the embedded engine has no interactive transactions")
