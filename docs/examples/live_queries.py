"""The examples of docs/live-queries.md, as functions that tests/integration runs.

Each takes the server's URL and root credentials; run one by hand with, for example:
    python -c "import live_queries as e; print(e.watch_a_table())"   (from docs/examples)
"""

from __future__ import annotations

import asyncio
import threading

from surrealdb import AsyncSurreal, RecordID, Surreal


def make_changes(url: str, username: str, password: str) -> None:
    """Another program changing the `reading` table."""
    with Surreal(url) as db:
        db.signin({"username": username, "password": password})
        db.use("docs", "live")
        db.create(RecordID("reading", 1), {"celsius": 20.5})
        db.merge(RecordID("reading", 1), {"celsius": 21.0})
        db.delete(RecordID("reading", 1))


def watch_a_table(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> dict[str, float]:
    with Surreal(url) as db:
        db.signin({"username": username, "password": password})
        db.use("docs", "live")
        db.query("REMOVE TABLE IF EXISTS reading; DEFINE TABLE reading SCHEMALESS")

        live_id = db.live("reading")  # a UUID
        threading.Thread(target=make_changes, args=(url, username, password)).start()

        seen: dict[str, float] = {}
        for update in db.subscribe_live(live_id):  # blocks until the next change
            seen[update.action] = update.result["celsius"]  # DELETE: the record before
            if len(seen) == 3:
                db.kill(live_id)  # the loop ends once the live query is killed
        return seen


def watch_with_a_query(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> list[str]:
    with Surreal(url) as db:
        db.signin({"username": username, "password": password})
        db.use("docs", "live")
        db.query("REMOVE TABLE IF EXISTS reading; DEFINE TABLE reading SCHEMALESS")

        # Any LIVE SELECT works: filters, projections, one record (WHERE id = $record).
        live_id = db.query("LIVE SELECT * FROM reading WHERE celsius > 30")
        db.create("reading", {"celsius": 12.0})  # no notification: filtered out
        db.create("reading", {"celsius": 35.5})

        actions: list[str] = []
        for update in db.subscribe_live(live_id):
            actions.append(update.action)
            db.query("KILL $id", {"id": live_id})  # KILL in SurrealQL ends the loop too
        return actions


def keep_up(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> tuple[int, int]:
    with Surreal(url) as db:
        db.signin({"username": username, "password": password})
        db.use("docs", "live")
        db.query("REMOVE TABLE IF EXISTS reading; DEFINE TABLE reading SCHEMALESS")

        live_id = db.live("reading")
        for celsius in (18.0, 19.5, 21.0):
            db.create("reading", {"celsius": celsius})

        # Subscribing late loses nothing: the three notifications were kept.
        subscription = db.subscribe_live(live_id)
        received = 0
        for _update in subscription:
            received += 1
            if received == 3:
                db.kill(live_id)
        # How many were dropped because this consumer fell more than 10,000 behind.
        return received, subscription.dropped


async def watch_in_asyncio(
    url: str = "ws://localhost:8000/rpc", username: str = "root", password: str = "root"
) -> list[tuple[str, RecordID]]:
    async with AsyncSurreal(url) as db:
        await db.signin({"username": username, "password": password})
        await db.use("docs", "live")
        await db.query("REMOVE TABLE IF EXISTS reading; DEFINE TABLE reading SCHEMALESS")

        live_id = await db.live("reading")

        async def write() -> None:
            await db.create(RecordID("reading", "a"), {"celsius": 5.0})
            await db.create(RecordID("reading", "b"), {"celsius": 6.0})

        writer = asyncio.create_task(write())  # the same connection serves both
        seen: list[tuple[str, RecordID]] = []
        async for update in db.subscribe_live(live_id):
            seen.append((update.action, update.record_id))
            if len(seen) == 2:
                await db.kill(live_id)
        await writer
        return seen
