"""The raw floor: the least a Python client can do to make the same RPC calls.

No SDK: `{id, method, params}` CBOR maps built inline, `cbor2`'s C extension with a tag hook
that just returns the tag's content, `websockets` sending and then receiving directly (a
reader task with a dict of futures only where calls overlap: `gather`), a keep-alive HTTP/1.1
connection (`http.client`, or a minimal asyncio stream client), and `surrealdb_embedded` called
directly. It checks only that a reply is not an error.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import itertools
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import cbor2
from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as sync_connect
from websockets.typing import Subprotocol

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

MAX_SIZE = 128 * 1024 * 1024
CBOR = Subprotocol("cbor")
ROWS = cbor2.CBORTag(7, ROWS_TABLE)
CREATED = cbor2.CBORTag(7, CREATE_TABLE)
LIVE = cbor2.CBORTag(7, LIVE_TABLE)


def _tag_value(tag: Any, immutable: bool) -> Any:
    return tag.value


def decode(data: bytes) -> Any:
    return cbor2.loads(data, tag_hook=_tag_value)


def _result(message: Any) -> Any:
    if "error" in message:
        raise RuntimeError(f"server error: {message['error']}")
    return message.get("result")


def _signin_params(args: WorkerArgs) -> list[Any]:
    return [{"user": args.user, "pass": args.password}]


def _calls(args: WorkerArgs) -> tuple[str, Any]:
    """The method and a function of i giving its params, for the sequential ops."""
    if args.op == "query":
        return "query", lambda i: [QUERY_SQL, {"id": i % SELECT_ROWS}]
    if args.op == "create":
        return "create", lambda i: [CREATED, create_data(i)]
    if args.op == "select":
        return "select", lambda i: [ROWS]
    raise ValueError(f"raw: no sequential op {args.op}")


def run(args: WorkerArgs) -> Measurement:
    if args.op == "decode":
        body = fetch_select_body(args, ROWS_TABLE)
        return measure(
            lambda i: check_rows(_result(decode(body)), SELECT_ROWS), args.n, args.warmup
        )
    runners: dict[tuple[str, str], Callable[[WorkerArgs], Measurement]] = {
        ("ws", "sync"): _ws_sync,
        ("ws", "async"): lambda a: asyncio.run(_ws_async(a)),
        ("http", "sync"): _http_sync,
        ("http", "async"): lambda a: asyncio.run(_http_async(a)),
        ("embedded", "sync"): _embedded_sync,
        ("embedded", "async"): lambda a: asyncio.run(_embedded_async(a)),
    }
    return runners[(args.transport, args.flavour)](args)


def _checked(args: WorkerArgs, method: str, value: Any) -> Any:
    if method == "select":
        check_rows(value, SELECT_ROWS)
    return value


# -- WebSocket, blocking -----------------------------------------------------------------------


class SyncWs:
    def __init__(self, args: WorkerArgs) -> None:
        self.socket: SyncConnection = sync_connect(
            args.url,
            subprotocols=[CBOR],
            compression=None,
            max_size=MAX_SIZE,
            legacy=True,  # a plain connection closed by close(), as ours
        )
        self.ids = itertools.count(1)
        self.call("signin", _signin_params(args))
        self.call("use", [args.namespace, args.database])

    def call(self, method: str, params: list[Any]) -> Any:
        self.socket.send(cbor2.dumps({"id": next(self.ids), "method": method, "params": params}))
        return _result(decode(self.socket.recv()))  # type: ignore[arg-type]

    def close(self) -> None:
        self.socket.close()


def _ws_sync(args: WorkerArgs) -> Measurement:
    ws = SyncWs(args)
    try:
        if args.op == "live":
            return _ws_sync_live(ws, args)
        method, params = _calls(args)
        return measure(
            lambda i: _checked(args, method, ws.call(method, params(i))), args.n, args.warmup
        )
    finally:
        ws.close()


def _ws_sync_live(ws: SyncWs, args: WorkerArgs) -> Measurement:
    ws.call("live", [LIVE])
    producer = SyncWs(args)

    def batch(count: int) -> None:
        thread = threading.Thread(
            target=producer.call, args=("query", [LIVE_PRODUCER_SQL, {"n": count}]), daemon=True
        )
        thread.start()
        received = 0
        while received < count:
            message = decode(ws.socket.recv())  # type: ignore[arg-type]
            if "id" not in message:
                received += 1
        thread.join()

    batch(args.warmup)
    clock = Clock()
    clock.start()
    batch(args.n)
    result = clock.stop(args.n)
    producer.close()
    return result


# -- WebSocket, asyncio ------------------------------------------------------------------------


class AsyncWs:
    """Sequential calls send and then receive; `start_reader` switches to futures by id."""

    def __init__(self, socket: AsyncConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, args: WorkerArgs) -> AsyncWs:
        socket = await async_connect(
            args.url, subprotocols=[CBOR], compression=None, max_size=MAX_SIZE
        )
        ws = cls(socket)
        await ws.call("signin", _signin_params(args))
        await ws.call("use", [args.namespace, args.database])
        return ws

    async def call(self, method: str, params: list[Any]) -> Any:
        await self.socket.send(
            cbor2.dumps({"id": next(self.ids), "method": method, "params": params})
        )
        return _result(decode(await self.socket.recv()))  # type: ignore[arg-type]

    def start_reader(self) -> None:
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.socket:
            message = decode(frame)  # type: ignore[arg-type]
            self.pending.pop(message["id"]).set_result(message)

    async def concurrent_call(self, method: str, params: list[Any]) -> Any:
        request_id = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        await self.socket.send(cbor2.dumps({"id": request_id, "method": method, "params": params}))
        return _result(await future)

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await self.reader


async def _ws_async(args: WorkerArgs) -> Measurement:
    ws = await AsyncWs.open(args)
    try:
        if args.op == "live":
            return await _ws_async_live(ws, args)
        if args.op == "gather":
            ws.start_reader()

            async def gather(i: int) -> None:
                await asyncio.gather(
                    *(
                        ws.concurrent_call("query", [QUERY_SQL, {"id": j % SELECT_ROWS}])
                        for j in range(GATHER_CALLS)
                    )
                )

            return await measure_async(gather, args.n, args.warmup)
        method, params = _calls(args)

        async def call(i: int) -> Any:
            return _checked(args, method, await ws.call(method, params(i)))

        return await measure_async(call, args.n, args.warmup)
    finally:
        await ws.close()


async def _ws_async_live(ws: AsyncWs, args: WorkerArgs) -> Measurement:
    await ws.call("live", [LIVE])
    producer = await AsyncWs.open(args)

    async def batch(count: int) -> None:
        produced = asyncio.create_task(producer.call("query", [LIVE_PRODUCER_SQL, {"n": count}]))
        received = 0
        while received < count:
            message = decode(await ws.socket.recv())  # type: ignore[arg-type]
            if "id" not in message:
                received += 1
        await produced

    await batch(args.warmup)
    clock = Clock()
    clock.start()
    await batch(args.n)
    result = clock.stop(args.n)
    await producer.close()
    return result


# -- HTTP --------------------------------------------------------------------------------------


def _http_headers(args: WorkerArgs, token: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/cbor",
        "Accept": "application/cbor",
        "Surreal-NS": args.namespace,
        "Surreal-DB": args.database,
    }
    if token is None:
        basic = base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
    else:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _http_sync(args: WorkerArgs) -> Measurement:
    parts = urlsplit(args.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)

    def call(method: str, params: list[Any], headers: dict[str, str]) -> Any:
        connection.request(
            "POST", "/rpc", cbor2.dumps({"method": method, "params": params}), headers
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
        return _result(decode(body))

    token = call("signin", _signin_params(args), _http_headers(args, None))
    headers = _http_headers(args, token)
    method, params = _calls(args)
    try:
        return measure(
            lambda i: _checked(args, method, call(method, params(i), headers)), args.n, args.warmup
        )
    finally:
        connection.close()


class AsyncHttp:
    """HTTP/1.1 keep-alive over one asyncio stream: write the request, read the reply."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> AsyncHttp:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        return cls(reader, writer)

    async def post(self, head: bytes, body: bytes) -> bytes:
        self.writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        response_head = await self.reader.readuntil(b"\r\n\r\n")
        if not response_head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"HTTP reply {response_head[:100]!r}")
        start = response_head.lower().index(b"content-length:") + 15
        length = int(response_head[start : response_head.index(b"\r\n", start)])
        return await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def _http_head(args: WorkerArgs, headers: dict[str, str]) -> bytes:
    host = urlsplit(args.url).netloc
    lines = [f"POST /rpc HTTP/1.1\r\nHost: {host}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers.items()]
    return "".join(lines).encode()


async def _http_async(args: WorkerArgs) -> Measurement:
    client = await AsyncHttp.open(args.url)
    try:
        signin = cbor2.dumps({"method": "signin", "params": _signin_params(args)})
        token = _result(
            decode(await client.post(_http_head(args, _http_headers(args, None)), signin))
        )
        head = _http_head(args, _http_headers(args, token))
        method, params = _calls(args)

        async def call(i: int) -> Any:
            body = await client.post(head, cbor2.dumps({"method": method, "params": params(i)}))
            return _checked(args, method, _result(decode(body)))

        return await measure_async(call, args.n, args.warmup)
    finally:
        await client.close()


# -- embedded ----------------------------------------------------------------------------------


def _embedded_setup(args: WorkerArgs) -> list[tuple[str, list[Any]]]:
    calls: list[tuple[str, list[Any]]] = [("use", [args.namespace, args.database])]
    if args.op in ("select", "query"):
        calls.append(("query", [SEED_SQL]))
    return calls


def _embedded_sync(args: WorkerArgs) -> Measurement:
    import surrealdb_embedded

    engine = surrealdb_embedded.SyncEmbeddedDB(args.url)
    engine.connect()

    def call(method: str, params: list[Any]) -> Any:
        return _result(
            decode(engine.execute(cbor2.dumps({"id": 1, "method": method, "params": params})))
        )

    for method, params in _embedded_setup(args):
        call(method, params)
    method, make_params = _calls(args)
    try:
        return measure(
            lambda i: _checked(args, method, call(method, make_params(i))), args.n, args.warmup
        )
    finally:
        engine.close()


async def _embedded_async(args: WorkerArgs) -> Measurement:
    import surrealdb_embedded

    engine = surrealdb_embedded.AsyncEmbeddedDB(args.url)
    await engine.connect()

    async def call_with(method: str, params: list[Any]) -> Any:
        frame = cbor2.dumps({"id": 1, "method": method, "params": params})
        return _result(decode(await engine.execute(frame)))

    for method, params in _embedded_setup(args):
        await call_with(method, params)
    method, make_params = _calls(args)

    async def call(i: int) -> Any:
        return _checked(args, method, await call_with(method, make_params(i)))

    try:
        return await measure_async(call, args.n, args.warmup)
    finally:
        await engine.close()
