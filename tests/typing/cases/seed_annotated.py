"""The seed page's examples with type annotations added to their functions, and nothing else.

Checked with `mypy --strict` by test_typing.py: no cast and no ignore may be needed.
"""

import asyncio
import os
import threading
from queue import Queue
from typing import Any

from surrealdb import AsyncSurreal, Surreal
from surrealdb.connections import BlockingSurrealConnection


def realtime() -> None:
    with Surreal("ws://localhost:8000/rpc") as db:
        db.signin({"username": "root", "password": "root"})
        db.use("realtime", "dashboard")
        live_id = db.live("metrics")
        for update in db.subscribe_live(live_id):
            print(f"Real-time update: {update}")


def http_crud() -> None:
    with Surreal("http://localhost:8000") as db:
        db.signin({"username": "root", "password": "root"})
        db.use("api", "users")
        user = db.create("user", {"name": "John", "email": "john@example.com"})
        users = db.select("user")
        print(user, users)


def process_users() -> None:
    with Surreal("ws://localhost:8000/rpc") as db:
        db.signin({"username": "root", "password": "root"})
        db.use("app", "users")
        users = db.select("user")
        for user in users:
            updated = db.merge(user["id"], {"last_seen": "now"})
            print(f"Updated user: {updated}")


async def process_users_async() -> None:
    async with AsyncSurreal("ws://localhost:8000/rpc") as db:
        await db.signin({"username": "root", "password": "root"})
        await db.use("app", "users")
        users = await db.select("user")
        tasks = [db.merge(user["id"], {"last_seen": "now"}) for user in users]
        results = await asyncio.gather(*tasks)
        print(f"Updated {len(results)} users concurrently")


def manual() -> None:
    db = Surreal("ws://localhost:8000/rpc")
    try:
        db.signin({"username": "root", "password": "root"})
        db.use("myapp", "production")
        result = db.query("SELECT * FROM user")
        print(result)
    finally:
        db.close()


async def main() -> None:
    async with AsyncSurreal("ws://localhost:8000/rpc") as db:
        await db.signin({"username": "root", "password": "root"})
        await db.use("myapp", "production")
        result = await db.query("SELECT * FROM user")
        print(result)


def environment() -> None:
    config = {
        "url": os.getenv("SURREALDB_URL", "ws://localhost:8000/rpc"),
        "username": os.getenv("SURREALDB_USER", "root"),
        "password": os.getenv("SURREALDB_PASS", "root"),
        "namespace": os.getenv("SURREALDB_NS", "production"),
        "database": os.getenv("SURREALDB_DB", "myapp"),
    }
    with Surreal(config["url"]) as db:
        db.signin({"username": config["username"], "password": config["password"]})
        db.use(config["namespace"], config["database"])


class ConnectionPool:
    def __init__(self, url: str, size: int = 10) -> None:
        self.url = url
        self.pool: Queue[BlockingSurrealConnection] = Queue(maxsize=size)
        self.lock = threading.Lock()
        for _ in range(size):
            conn = self._create_connection()
            self.pool.put(conn)

    def _create_connection(self) -> BlockingSurrealConnection:
        db = Surreal(self.url)
        db.signin({"username": "root", "password": "root"})
        db.use("myapp", "production")
        return db

    def get_connection(self) -> BlockingSurrealConnection:
        return self.pool.get()

    def return_connection(self, conn: BlockingSurrealConnection) -> None:
        self.pool.put(conn)


def use_pool() -> None:
    pool = ConnectionPool("ws://localhost:8000/rpc")
    conn = pool.get_connection()
    try:
        result = conn.query("SELECT * FROM user")
        print(result)
    finally:
        pool.return_connection(conn)


class DatabaseService:
    def __init__(self, url: str) -> None:
        self.db = Surreal(url)
        self.db.signin({"username": "root", "password": "root"})
        self.db.use("myapp", "production")

    def get_users(self) -> list[dict[str, Any]]:
        return self.db.select("user")

    def create_user(self, data: dict[str, Any]) -> dict[str, Any]:
        return self.db.create("user", data)

    def close(self) -> None:
        self.db.close()


def use_service() -> None:
    service = DatabaseService("ws://localhost:8000/rpc")
    try:
        users = service.get_users()
        new_user = service.create_user({"name": "John"})
        print(users, new_user)
    finally:
        service.close()
