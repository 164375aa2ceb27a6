"""Code written the official SDK's way (surrealdb 2.0.0), with annotations, and nothing else.

Checked with `mypy --strict` by test_typing.py: the official call shapes that this package
accepts must type-check with no error, no cast and no ignore.
"""

from typing import Any

from surrealdb import AsyncSurreal, RecordID, Surreal, Table


def blocking_official(url: str) -> None:
    db = Surreal(url)
    db.connect(url)
    db.signin(vars={"username": "root", "password": "root"})
    db.use("test", "test")
    db.signup(
        {
            "namespace": "test",
            "database": "test",
            "access": "account",
            "variables": {"email": "info@surrealdb.com", "pass": "123456"},
        }
    )
    user = RecordID(table_name="user", identifier="tobie")
    print(user.table_name, user.identifier, Table("user").table_name)
    db.let(key="name", value="Tobie")
    db.unset(key="name")
    created: dict[str, Any] = db.create(record=user, data={"name": "Tobie"})
    print(created["id"].table_name)
    print(db.select(record=user), db.query(query="SELECT * FROM user", vars={}))
    session = db.new_session()
    session.close_session()
    query_uuid = db.live("user")
    for update in db.subscribe_live(query_uuid):
        print(update["name"], update["id"], update.get("email"), dict(update))
        break
    db.kill(query_uuid=query_uuid)
    db.close()


async def async_official(url: str) -> None:
    db = AsyncSurreal(url)
    await db.connect(url)
    await db.signin({"username": "root", "password": "root"})
    await db.use("test", "test")
    session = await db.new_session()
    await session.close_session()
    query_uuid = await db.live("user")
    subscription = await db.subscribe_live(query_uuid)
    update = await subscription.__anext__()
    print(update["name"], update["id"])
    async for notification in db.subscribe_live(query_uuid):  # ours: not awaited
        print(notification.action, notification.result)
        break
    await db.kill(query_uuid)
    await db.close()
