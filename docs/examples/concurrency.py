"""The examples of docs/concurrency.md, as functions that tests/integration runs.

Each takes the server's URL and root credentials.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from surrealdb import AsyncSurreal, RecordID, Surreal, SurrealTimeoutError


def threads_share_one_connection(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> int:
    with Surreal(url) as db:  # one WebSocket, shared by every thread
        db.signin({"username": username, "password": password})
        db.use("docs", "concurrency")

        def work(worker: int) -> int:
            correct = 0
            for n in range(25):
                value = [worker, n]
                correct += db.query("RETURN $value", {"value": value}) == value
            return correct

        with ThreadPoolExecutor(max_workers=8) as pool:  # 8 threads, 200 calls in all
            return sum(pool.map(work, range(8)))


async def tasks_share_one_connection(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> int:
    async with AsyncSurreal(url) as db:  # one WebSocket; replies are routed as they arrive
        await db.signin({"username": username, "password": password})
        await db.use("docs", "concurrency")
        # Define the table first: concurrent writes that create it implicitly can conflict.
        await db.query("REMOVE TABLE IF EXISTS event; DEFINE TABLE event SCHEMALESS")

        records = await asyncio.gather(
            *(db.create(RecordID("event", n), {"n": n}) for n in range(1000))
        )
        assert [record["n"] for record in records] == list(range(1000))  # each its own
        return len(records)


def watch_while_working(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> tuple[int, int]:
    with Surreal(url) as db:
        db.signin({"username": username, "password": password})
        db.use("docs", "concurrency")
        db.query("REMOVE TABLE IF EXISTS task; DEFINE TABLE task SCHEMALESS")

        live_id = db.live("task")
        with ThreadPoolExecutor(max_workers=4) as pool:
            created = list(pool.map(lambda n: db.create("task", {"n": n}), range(100)))

        notified = 0
        for _update in db.subscribe_live(live_id):  # all 100 were kept meanwhile
            notified += 1
            if notified == len(created):
                db.kill(live_id)
        return len(created), notified


def time_out_one_call(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> tuple[str, str]:
    with Surreal(url, timeout=1.0) as db:  # seconds each call may wait for its reply
        db.signin({"username": username, "password": password})
        try:
            db.query("SLEEP 3s")
            outcome = "answered"
        except SurrealTimeoutError:
            outcome = "timed out"  # only this call gave up; its late reply will be dropped
        return outcome, db.query("RETURN 'still usable'")
