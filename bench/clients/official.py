"""The official SDK (`surrealdb==2.0.0` from PyPI), run in its own virtualenv.

It is imported as `surrealdb` too, so this module runs only in bench/.venv-official's
interpreter, and reaches the SDK through `importlib` (typed `Any`: mypy sees our package).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
from typing import Any

from bench.cases import (
    CREATE_TABLE,
    GATHER_CALLS,
    LIVE_PRODUCER_SQL,
    LIVE_TABLE,
    QUERY_SQL,
    ROWS_TABLE,
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

sdk: Any = importlib.import_module("surrealdb")


def run(args: WorkerArgs) -> Measurement:
    if args.op == "decode":
        decode: Any = importlib.import_module("surrealdb.data.cbor").decode
        body = fetch_select_body(args, ROWS_TABLE)
        return measure(
            lambda i: check_rows(decode(body)["result"], SELECT_ROWS), args.n, args.warmup
        )
    if args.transport == "embedded":
        raise ValueError("the official SDK embeds another engine (2.3.10): not compared")
    if args.flavour == "sync":
        return _run_sync(args)
    return asyncio.run(_run_async(args))


def _open_sync(args: WorkerArgs) -> Any:
    db = sdk.Surreal(args.url)
    db.signin({"username": args.user, "password": args.password})
    db.use(args.namespace, args.database)
    return db


def _close_sync(db: Any) -> None:
    with contextlib.suppress(Exception):  # its HTTP client has no close()
        db.close()


def _run_sync(args: WorkerArgs) -> Measurement:
    db = _open_sync(args)
    try:
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
    finally:
        _close_sync(db)
    raise ValueError(f"official: no sync case {args.case}")


def _live_sync(db: Any, args: WorkerArgs) -> Measurement:
    # Its blocking client reads notifications from the socket in subscribe_live, so the
    # records are created on a second connection.
    live_id = db.live(LIVE_TABLE)
    notifications = db.subscribe_live(live_id)
    producer = _open_sync(args)

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
    _close_sync(producer)
    return result


async def _open_async(args: WorkerArgs) -> Any:
    db = sdk.AsyncSurreal(args.url)
    if args.transport == "ws":
        await db.connect()
    await db.signin({"username": args.user, "password": args.password})
    await db.use(args.namespace, args.database)
    return db


async def _close_async(db: Any) -> None:
    with contextlib.suppress(Exception):  # its HTTP client has no close()
        await db.close()


async def _run_async(args: WorkerArgs) -> Measurement:
    db = await _open_async(args)
    try:
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
    finally:
        await _close_async(db)
    raise ValueError(f"official: no async case {args.case}")


async def _live_async(db: Any, args: WorkerArgs) -> Measurement:
    live_id = await db.live(LIVE_TABLE)
    notifications = await db.subscribe_live(live_id)
    producer = await _open_async(args)

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
    await _close_async(producer)
    return result
