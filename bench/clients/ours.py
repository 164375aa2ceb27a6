"""Our client (`surrealdb` from src/), used the way an application would use it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bench.cases import (
    CREATE_TABLE,
    GATHER_CALLS,
    LIVE_PRODUCER_SQL,
    LIVE_TABLE,
    QUERY_SQL,
    ROWS_TABLE,
    SEED_SQL,
    SELECT_ROWS,
    create_data,
)
from bench.clients.common import (
    Clock,
    Measurement,
    WorkerArgs,
    check_rows,
    fetch_select_body,
    measure,
    measure_async,
)
from surrealdb import AsyncSurreal, Surreal
from surrealdb.connections import AsyncSurrealConnection, BlockingSurrealConnection
from surrealdb.protocol import decode_body


def run(args: WorkerArgs) -> Measurement:
    if args.op == "decode":
        return _decode(args)
    if args.flavour == "sync":
        return _run_sync(args)
    return asyncio.run(_run_async(args))


def _decode(args: WorkerArgs) -> Measurement:
    body = fetch_select_body(args, ROWS_TABLE)
    return measure(lambda i: check_rows(decode_body(body), SELECT_ROWS), args.n, args.warmup)


def _setup_sync(db: BlockingSurrealConnection, args: WorkerArgs) -> None:
    if args.transport == "embedded":
        db.use(args.namespace, args.database)
        if args.op in ("select", "query"):
            db.query(SEED_SQL)
    else:
        db.signin({"username": args.user, "password": args.password})
        db.use(args.namespace, args.database)


async def _setup_async(db: AsyncSurrealConnection, args: WorkerArgs) -> None:
    if args.transport == "embedded":
        await db.use(args.namespace, args.database)
        if args.op in ("select", "query"):
            await db.query(SEED_SQL)
    else:
        await db.signin({"username": args.user, "password": args.password})
        await db.use(args.namespace, args.database)


def _run_sync(args: WorkerArgs) -> Measurement:
    with Surreal(args.url) as db:
        _setup_sync(db, args)
        if args.op == "query":
            return measure(
                lambda i: db.query(QUERY_SQL, {"id": i % SELECT_ROWS}), args.n, args.warmup
            )
        if args.op == "create":
            return measure(lambda i: db.create(CREATE_TABLE, create_data(i)), args.n, args.warmup)
        if args.op == "select":
            return measure(
                lambda i: check_rows(db.select(ROWS_TABLE), SELECT_ROWS), args.n, args.warmup
            )
        if args.op == "live":
            return _live_sync(db, args)
    raise ValueError(f"ours: no sync case {args.case}")


def _live_sync(db: BlockingSurrealConnection, args: WorkerArgs) -> Measurement:
    live_id = db.live(LIVE_TABLE)
    notifications = db.subscribe_live(live_id)
    with Surreal(args.url) as producer:
        _setup_sync(producer, args)

        def batch(count: int) -> None:
            thread = threading.Thread(
                target=producer.query, args=(LIVE_PRODUCER_SQL, {"n": count}), daemon=True
            )
            thread.start()
            for _ in range(count):
                next(notifications)
            thread.join()

        batch(args.warmup)
        clock = Clock()
        clock.start()
        batch(args.n)
        result = clock.stop(args.n)
    db.kill(live_id)
    return result


async def _run_async(args: WorkerArgs) -> Measurement:
    async with AsyncSurreal(args.url) as db:
        await _setup_async(db, args)
        if args.op == "query":

            async def query(i: int) -> Any:
                return await db.query(QUERY_SQL, {"id": i % SELECT_ROWS})

            return await measure_async(query, args.n, args.warmup)
        if args.op == "create":

            async def create(i: int) -> Any:
                return await db.create(CREATE_TABLE, create_data(i))

            return await measure_async(create, args.n, args.warmup)
        if args.op == "select":

            async def select(i: int) -> None:
                check_rows(await db.select(ROWS_TABLE), SELECT_ROWS)

            return await measure_async(select, args.n, args.warmup)
        if args.op == "gather":

            async def gather(i: int) -> None:
                await asyncio.gather(
                    *(db.query(QUERY_SQL, {"id": j % SELECT_ROWS}) for j in range(GATHER_CALLS))
                )

            return await measure_async(gather, args.n, args.warmup)
        if args.op == "live":
            return await _live_async(db, args)
    raise ValueError(f"ours: no async case {args.case}")


async def _live_async(db: AsyncSurrealConnection, args: WorkerArgs) -> Measurement:
    live_id = await db.live(LIVE_TABLE)
    notifications = db.subscribe_live(live_id)
    async with AsyncSurreal(args.url) as producer:
        await _setup_async(producer, args)

        async def batch(count: int) -> None:
            produced = asyncio.create_task(producer.query(LIVE_PRODUCER_SQL, {"n": count}))
            for _ in range(count):
                await anext(notifications)
            await produced

        await batch(args.warmup)
        clock = Clock()
        clock.start()
        await batch(args.n)
        result = clock.stop(args.n)
    await db.kill(live_id)
    return result
