"""Where our overhead comes from: the raw floor, one design change at a time, and ours.

`python -m bench.ablation [--only ws-sync,http-async,...] [--n 2000] [--repeats 5]`

Each variant makes the bench's `query` call (or decodes the 2,000-row select) `n` times after
a warm-up, in this process, and the variants are interleaved over `repeats` rounds; the table
gives client CPU per call (median and min). The variants show what each layer costs: a reader
thread or task with a future per call (what a multiplexing client needs), the timeout
mechanism, the HTTP library, the codec's hooks. See docs/performance.md.
"""

from __future__ import annotations

import _thread
import argparse
import asyncio
import contextlib
import gc
import http.client
import itertools
import socket
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit

import cbor2
from websockets.exceptions import ConnectionClosed

from bench.cases import (
    CREATE_TABLE,
    QUERY_SQL,
    ROWS_TABLE,
    SEED_SQL,
    SELECT_ROWS,
    create_data,
)
from bench.clients import raw
from bench.clients.common import WorkerArgs, fetch_select_body
from bench.runner import ROOT, Endpoint, seed

Variant = Callable[[WorkerArgs, int], float]  # -> client CPU seconds for n calls


def _query_frame(request_id: int, i: int) -> bytes:
    return cbor2.dumps(
        {"id": request_id, "method": "query", "params": [QUERY_SQL, {"id": i % SELECT_ROWS}]}
    )


def _timed(call: Callable[[int], object], n: int) -> float:
    for i in range(max(50, n // 10)):
        call(i)
    gc.collect()
    start = time.process_time()
    for i in range(n):
        call(i)
    return time.process_time() - start


async def _timed_async(call: Callable[[int], Awaitable[object]], n: int) -> float:
    for i in range(max(50, n // 10)):
        await call(i)
    gc.collect()
    start = time.process_time()
    for i in range(n):
        await call(i)
    return time.process_time() - start


# -- WebSocket, blocking -----------------------------------------------------------------------


def ws_sync_direct(args: WorkerArgs, n: int) -> float:
    ws = raw.SyncWs(args)
    try:
        return _timed(lambda i: ws.call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}]), n)
    finally:
        ws.close()


def _ws_sync_threaded(args: WorkerArgs, n: int, handoff: str) -> float:
    ws = raw.SyncWs(args)
    ids = itertools.count(1)
    pending: dict[int, Any] = {}

    def read() -> None:
        with contextlib.suppress(ConnectionClosed):
            for frame in ws.socket:
                message = raw.decode(frame)  # type: ignore[arg-type]
                waiter = pending.pop(message["id"], None)
                if isinstance(waiter, Future):
                    waiter.set_result(message)
                elif waiter is not None:
                    waiter[1].append(message)
                    waiter[0].release()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def with_future(i: int) -> Any:
        request_id = next(ids)
        future: Future[Any] = Future()
        pending[request_id] = future
        ws.socket.send(_query_frame(request_id, i))
        return future.result(30)

    def with_lock(i: int) -> Any:
        request_id = next(ids)
        lock = _thread.allocate_lock()
        lock.acquire()
        box: list[Any] = []
        pending[request_id] = (lock, box)
        ws.socket.send(_query_frame(request_id, i))
        lock.acquire(timeout=30)
        return box[0]

    try:
        return _timed(with_future if handoff == "future" else with_lock, n)
    finally:
        ws.close()
        reader.join(5)


def ws_sync_thread_future(args: WorkerArgs, n: int) -> float:
    return _ws_sync_threaded(args, n, "future")


def ws_sync_thread_lock(args: WorkerArgs, n: int) -> float:
    return _ws_sync_threaded(args, n, "lock")


def _sansio_open(args: WorkerArgs) -> tuple[socket.socket, Any]:
    """A plain socket and websockets' sans-I/O `ClientProtocol`, after the opening handshake."""
    from websockets.client import ClientProtocol
    from websockets.http11 import Response
    from websockets.typing import Subprotocol
    from websockets.uri import parse_uri

    parts = urlsplit(args.url)
    protocol = ClientProtocol(
        parse_uri(args.url), subprotocols=[Subprotocol("cbor")], max_size=raw.MAX_SIZE
    )
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    protocol.send_request(protocol.connect())
    for data in protocol.data_to_send():
        sock.sendall(data)
    while not any(isinstance(e, Response) for e in protocol.events_received()):
        protocol.receive_data(sock.recv(1 << 16))
    return sock, protocol


def ws_sync_sansio(args: WorkerArgs, n: int) -> float:
    """websockets' sans-I/O protocol on a plain socket, read by the calling thread."""
    from websockets.frames import Frame, Opcode
    from websockets.http11 import Response

    sock, protocol = _sansio_open(args)

    def flush() -> None:
        for data in protocol.data_to_send():
            if data:
                sock.sendall(data)

    def receive() -> bytes:
        while True:
            for event in protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                    return bytes(event.data)
                if isinstance(event, Response) and event.status_code != 101:
                    raise RuntimeError(f"handshake failed: {event.status_code}")
            protocol.receive_data(sock.recv(1 << 16))
            flush()  # pongs

    ids = itertools.count(1)

    def call(method: str, params: list[Any]) -> Any:
        protocol.send_binary(cbor2.dumps({"id": next(ids), "method": method, "params": params}))
        flush()
        return raw.decode(receive())

    call("signin", [{"user": args.user, "pass": args.password}])
    call("use", [args.namespace, args.database])
    try:
        return _timed(lambda i: call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}]), n)
    finally:
        sock.close()


def ws_sync_sansio_thread(args: WorkerArgs, n: int) -> float:
    """websockets' sans-I/O protocol with one reader thread of our own reading the socket
    directly, and a pre-acquired lock per call (no websockets thread, no Assembler)."""
    from websockets.frames import Frame, Opcode

    sock, protocol = _sansio_open(args)
    protocol_lock = threading.Lock()
    pending: dict[int, tuple[Any, list[Any]]] = {}

    def read() -> None:
        while True:
            try:
                data = sock.recv(1 << 16)
            except OSError:
                return
            with protocol_lock:
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                events = protocol.events_received()
                for out in protocol.data_to_send():
                    if out:
                        sock.sendall(out)
            if not data:
                return
            for event in events:
                if isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                    message = raw.decode(bytes(event.data))
                    waiter = pending.pop(message["id"], None)
                    if waiter is not None:
                        waiter[1].append(message)
                        waiter[0].release()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ids = itertools.count(1)

    def call(method: str, params: list[Any]) -> Any:
        request_id = next(ids)
        lock = _thread.allocate_lock()
        lock.acquire()
        box: list[Any] = []
        pending[request_id] = (lock, box)
        frame = cbor2.dumps({"id": request_id, "method": method, "params": params})
        with protocol_lock:
            protocol.send_binary(frame)
            for data in protocol.data_to_send():
                sock.sendall(data)
        lock.acquire(timeout=30)
        return box[0]

    call("signin", [{"user": args.user, "pass": args.password}])
    call("use", [args.namespace, args.database])
    try:
        return _timed(lambda i: call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}]), n)
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        reader.join(5)
        sock.close()


def ws_sync_ours(args: WorkerArgs, n: int) -> float:
    from surrealdb import Surreal

    with Surreal(args.url) as db:
        db.signin({"username": args.user, "password": args.password})
        db.use(args.namespace, args.database)
        return _timed(lambda i: db.query(QUERY_SQL, {"id": i % SELECT_ROWS}), n)


# -- WebSocket, asyncio ------------------------------------------------------------------------


def _ws_async(args: WorkerArgs, n: int, wait: str) -> float:
    async def main() -> float:
        ws = await raw.AsyncWs.open(args)
        loop = asyncio.get_running_loop()
        if wait == "direct":

            async def direct(i: int) -> Any:
                return await ws.call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}])

            try:
                return await _timed_async(direct, n)
            finally:
                await ws.close()
        ws.start_reader()

        async def call(i: int) -> Any:
            request_id = next(ws.ids)
            future: asyncio.Future[Any] = loop.create_future()
            ws.pending[request_id] = future
            await ws.socket.send(_query_frame(request_id, i))
            if wait == "wait_for":
                return await asyncio.wait_for(future, 30)
            if wait == "timeout":
                async with asyncio.timeout(30):
                    return await future
            return await future

        try:
            return await _timed_async(call, n)
        finally:
            await ws.close()

    return asyncio.run(main())


def ws_async_direct(args: WorkerArgs, n: int) -> float:
    return _ws_async(args, n, "direct")


def ws_async_task(args: WorkerArgs, n: int) -> float:
    return _ws_async(args, n, "await")


def ws_async_task_wait_for(args: WorkerArgs, n: int) -> float:
    return _ws_async(args, n, "wait_for")


def ws_async_task_timeout(args: WorkerArgs, n: int) -> float:
    return _ws_async(args, n, "timeout")


class _SansIoLink(asyncio.Protocol):
    """websockets' sans-I/O `ClientProtocol` under an `asyncio.Protocol`: each reply resolves
    its future in `data_received`, with no reader task; `deadlines` picks how calls time out:
    "none", "call_at" (one timer per call, cancelled on its reply) or "earliest" (one timer
    per link, for the earliest deadline of the pending calls)."""

    def __init__(self, url: str, deadlines: str) -> None:
        from websockets.client import ClientProtocol
        from websockets.frames import Frame, Opcode
        from websockets.uri import parse_uri

        self.frame_type, self.binary = Frame, Opcode.BINARY
        self.uri = parse_uri(url)
        self.ws = ClientProtocol(self.uri, subprotocols=[raw.CBOR], max_size=raw.MAX_SIZE)
        self.loop = asyncio.get_running_loop()
        self.deadlines = deadlines
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = self.loop.create_future()
        self.ids = itertools.count(1)
        self.pending: dict[int, tuple[asyncio.Future[Any], Any]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = float("inf")

    @classmethod
    async def open(cls, args: WorkerArgs, deadlines: str) -> _SansIoLink:
        link = cls(args.url, deadlines)
        await link.loop.create_connection(lambda: link, link.uri.host, link.uri.port)
        await link.opened
        await link.call("signin", [{"user": args.user, "pass": args.password}])
        await link.call("use", [args.namespace, args.database])
        return link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if type(event) is self.frame_type:
                if event.opcode is self.binary:
                    message = raw.decode(event.data)  # type: ignore[arg-type]
                    future, timer = self.pending.pop(message["id"])
                    if self.deadlines == "call_at":
                        timer.cancel()
                    future.set_result(message)
            elif not self.opened.done():
                self.opened.set_result(None)
        self.flush()

    def flush(self) -> None:
        assert self.transport is not None
        for data in self.ws.data_to_send():
            self.transport.write(data)

    def expire(self) -> None:
        self.timer, self.timer_at = None, float("inf")
        now = self.loop.time()
        for request_id, (future, deadline) in list(self.pending.items()):
            if deadline <= now:
                del self.pending[request_id]
                future.set_exception(TimeoutError())
        earliest = min((deadline for _, deadline in self.pending.values()), default=None)
        if earliest is not None:
            self.timer_at, self.timer = earliest, self.loop.call_at(earliest, self.expire)

    async def call(self, method: str, params: list[Any], timeout: float = 30.0) -> Any:
        request_id = next(self.ids)
        future: asyncio.Future[Any] = self.loop.create_future()
        deadline = self.loop.time() + timeout
        entry: Any = None
        if self.deadlines == "call_at":
            entry = self.loop.call_at(deadline, future.set_exception, TimeoutError())
        elif self.deadlines == "earliest":
            entry = deadline
            if deadline < self.timer_at:
                if self.timer is not None:
                    self.timer.cancel()
                self.timer_at, self.timer = deadline, self.loop.call_at(deadline, self.expire)
        self.pending[request_id] = (future, entry)
        self.ws.send_binary(cbor2.dumps({"id": request_id, "method": method, "params": params}))
        self.flush()
        return raw._result(await future)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            self.transport.close()


def _ws_async_sansio(args: WorkerArgs, n: int, deadlines: str) -> float:
    async def main() -> float:
        link = await _SansIoLink.open(args, deadlines)

        async def call(i: int) -> Any:
            return await link.call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}])

        try:
            return await _timed_async(call, n)
        finally:
            link.close()

    return asyncio.run(main())


def ws_async_sansio(args: WorkerArgs, n: int) -> float:
    return _ws_async_sansio(args, n, "none")


def ws_async_sansio_call_at(args: WorkerArgs, n: int) -> float:
    return _ws_async_sansio(args, n, "call_at")


def ws_async_sansio_earliest(args: WorkerArgs, n: int) -> float:
    return _ws_async_sansio(args, n, "earliest")


def ws_async_ours(args: WorkerArgs, n: int) -> float:
    from surrealdb import AsyncSurreal

    async def main() -> float:
        async with AsyncSurreal(args.url) as db:
            await db.signin({"username": args.user, "password": args.password})
            await db.use(args.namespace, args.database)

            async def call(i: int) -> Any:
                return await db.query(QUERY_SQL, {"id": i % SELECT_ROWS})

            return await _timed_async(call, n)

    return asyncio.run(main())


# -- HTTP --------------------------------------------------------------------------------------


def _http_token(args: WorkerArgs) -> str:
    parts = urlsplit(args.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    connection.request(
        "POST",
        "/rpc",
        cbor2.dumps({"method": "signin", "params": [{"user": args.user, "pass": args.password}]}),
        {"Content-Type": "application/cbor", "Accept": "application/cbor"},
    )
    token: str = raw.decode(connection.getresponse().read())["result"]
    connection.close()
    return token


def _query_body(i: int) -> bytes:
    return cbor2.dumps({"method": "query", "params": [QUERY_SQL, {"id": i % SELECT_ROWS}]})


def http_sync_stdlib(args: WorkerArgs, n: int) -> float:
    headers = raw._http_headers(args, _http_token(args))
    parts = urlsplit(args.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)

    def call(i: int) -> Any:
        connection.request("POST", "/rpc", _query_body(i), headers)
        return raw.decode(connection.getresponse().read())

    try:
        return _timed(call, n)
    finally:
        connection.close()


def http_sync_httpx(args: WorkerArgs, n: int) -> float:
    import httpx

    headers = raw._http_headers(args, _http_token(args))
    with httpx.Client(base_url=args.url) as client:
        return _timed(
            lambda i: raw.decode(
                client.post("/rpc", content=_query_body(i), headers=headers).content
            ),
            n,
        )


def _wire_request(args: WorkerArgs) -> tuple[Any, Callable[[int], Any]]:
    """http_wire's target and a maker of its outgoing `query` requests, signed in."""
    from surrealdb.transports.http_wire import OutgoingRequest, RequestHead, http_target

    target = http_target(args.url)
    headers = [(b"Host", target.authority)] + [
        (name.encode(), value.encode())
        for name, value in raw._http_headers(args, _http_token(args)).items()
    ]
    head = RequestHead(target.path, headers)
    return target, lambda i: OutgoingRequest(head, _query_body(i))


def http_sync_wire(args: WorkerArgs, n: int) -> float:
    """http_wire (h11) over a plain socket, no SDK: what the HTTP/1.1 layer costs."""
    from surrealdb.transports.http_wire import HttpExchange

    target, outgoing = _wire_request(args)
    sock = socket.create_connection((target.host, target.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    exchange = HttpExchange()

    def call(i: int) -> Any:
        sock.sendall(exchange.request(outgoing(i)).first)
        while (response := exchange.feed(sock.recv(262144))) is None:
            pass
        exchange.next_request()
        return raw.decode(response.body)

    try:
        return _timed(call, n)
    finally:
        sock.close()


def http_sync_ours(args: WorkerArgs, n: int) -> float:
    return ws_sync_ours(args, n)  # the same calls; Surreal(url) picks HTTP from the URL


def http_async_streams(args: WorkerArgs, n: int) -> float:
    async def main() -> float:
        head = raw._http_head(args, raw._http_headers(args, _http_token(args)))
        client = await raw.AsyncHttp.open(args.url)

        async def call(i: int) -> Any:
            return raw.decode(await client.post(head, _query_body(i)))

        try:
            return await _timed_async(call, n)
        finally:
            await client.close()

    return asyncio.run(main())


def http_async_httpx(args: WorkerArgs, n: int) -> float:
    import httpx

    async def main() -> float:
        headers = raw._http_headers(args, _http_token(args))
        async with httpx.AsyncClient(base_url=args.url) as client:

            async def call(i: int) -> Any:
                response = await client.post("/rpc", content=_query_body(i), headers=headers)
                return raw.decode(response.content)

            return await _timed_async(call, n)

    return asyncio.run(main())


def _http_async_wire(args: WorkerArgs, n: int, how: str) -> float:
    """http_wire (h11) under asyncio, no SDK: over streams, or fed by an asyncio.Protocol,
    with no deadline, `asyncio.timeout`, or a `loop.call_at` timer per call."""
    from surrealdb.transports.http_wire import HttpExchange, HttpResponse

    target, outgoing = _wire_request(args)

    class Wire(asyncio.Protocol):
        def __init__(self) -> None:
            self.exchange = HttpExchange()
            self.waiter: asyncio.Future[HttpResponse] | None = None

        def data_received(self, data: bytes) -> None:
            response = self.exchange.feed(data)
            if response is not None and self.waiter is not None:
                self.waiter.set_result(response)

    def expire(waiter: asyncio.Future[Any]) -> None:
        if not waiter.done():
            waiter.set_exception(TimeoutError())

    async def main() -> float:
        loop = asyncio.get_running_loop()
        exchange = HttpExchange()
        if how == "streams":
            reader, writer = await asyncio.open_connection(target.host, target.port)

            async def streams(i: int) -> Any:
                writer.write(exchange.request(outgoing(i)).first)
                while (response := exchange.feed(await reader.read(262144))) is None:
                    pass
                exchange.next_request()
                return raw.decode(response.body)

            try:
                return await _timed_async(streams, n)
            finally:
                writer.close()

        transport, protocol = await loop.create_connection(Wire, target.host, target.port)

        async def fed(i: int) -> Any:
            waiter = protocol.waiter = loop.create_future()
            transport.write(protocol.exchange.request(outgoing(i)).first)
            if how == "timeout":
                async with asyncio.timeout(30):
                    response = await waiter
            elif how == "call_at":
                timer = loop.call_at(loop.time() + 30, expire, waiter)
                response = await waiter
                timer.cancel()
            else:
                response = await waiter
            protocol.exchange.next_request()
            return raw.decode(response.body)

        try:
            return await _timed_async(fed, n)
        finally:
            transport.close()

    return asyncio.run(main())


class _ReplyBodies(asyncio.Protocol):
    """An asyncio.Protocol that hands each whole response body to the call waiting for it."""

    def __init__(self) -> None:
        self.waiter: asyncio.Future[bytes] | None = None

    def deliver(self, body: bytes) -> None:
        if self.waiter is not None:
            self.waiter.set_result(body)


def _http_async_fed(args: WorkerArgs, n: int, protocol: Callable[[], _ReplyBodies]) -> float:
    """The bench's query sent with the floor's request head, its responses read by
    `protocol`: the cost of a response parser alone, no SDK."""
    head = raw._http_head(args, raw._http_headers(args, _http_token(args)))

    async def main() -> float:
        loop = asyncio.get_running_loop()
        parts = urlsplit(args.url)
        transport, reader = await loop.create_connection(
            protocol, parts.hostname or "127.0.0.1", parts.port or 80
        )

        async def call(i: int) -> Any:
            body = _query_body(i)
            waiter = reader.waiter = loop.create_future()
            transport.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            return raw.decode(await waiter)

        try:
            return await _timed_async(call, n)
        finally:
            transport.close()

    return asyncio.run(main())


def http_async_protocol_no_h11(args: WorkerArgs, n: int) -> float:
    """The floor's own parsing (find the head's end and Content-Length, nothing else checked)
    fed by an asyncio.Protocol, no h11: what replacing h11 could reach."""

    class Minimal(_ReplyBodies):
        def __init__(self) -> None:
            super().__init__()
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            start = self.buffer.lower().index(b"content-length:", 0, end) + 15
            length = int(self.buffer[start : self.buffer.index(b"\r\n", start)])
            if len(self.buffer) >= end + 4 + length:
                body = self.buffer[end + 4 : end + 4 + length]
                self.buffer = self.buffer[end + 4 + length :]
                self.deliver(body)

    return _http_async_fed(args, n, Minimal)


def http_async_protocol_httptools(args: WorkerArgs, n: int) -> float:
    """httptools (the llhttp C parser uvicorn uses) reading the responses, fed by an
    asyncio.Protocol: what adopting it as the parser could reach (issue 16)."""
    import httptools

    class Parsed(_ReplyBodies):
        def __init__(self) -> None:
            super().__init__()
            self.parser = httptools.HttpResponseParser(self)
            self.chunks: list[bytes] = []

        def data_received(self, data: bytes) -> None:
            self.parser.feed_data(data)

        def on_body(self, body: bytes) -> None:
            self.chunks.append(body)

        def on_message_complete(self) -> None:
            body = b"".join(self.chunks)
            self.chunks = []
            self.deliver(body)

    return _http_async_fed(args, n, Parsed)


def http_async_wire_streams(args: WorkerArgs, n: int) -> float:
    return _http_async_wire(args, n, "streams")


def http_async_wire_protocol(args: WorkerArgs, n: int) -> float:
    return _http_async_wire(args, n, "protocol")


def http_async_wire_timeout(args: WorkerArgs, n: int) -> float:
    return _http_async_wire(args, n, "timeout")


def http_async_wire_call_at(args: WorkerArgs, n: int) -> float:
    return _http_async_wire(args, n, "call_at")


def http_async_ours(args: WorkerArgs, n: int) -> float:
    return ws_async_ours(args, n)


# -- the codec ---------------------------------------------------------------------------------


def _decode_variant(args: WorkerArgs, n: int, which: str) -> float:
    from surrealdb import cbor
    from surrealdb.values import RecordID

    body = fetch_select_body(args, ROWS_TABLE)
    decoders = cbor._TAG_DECODERS
    new = object.__new__

    def fast_record_ids(tag: Any, immutable: bool) -> Any:
        if tag.tag == 8:
            table, key = tag.value
            if type(table) is str and (type(key) is str or type(key) is int):
                record = new(RecordID)
                record._table = table
                record._id = key
                return record
        decoder = decoders.get(tag.tag)
        if decoder is not None:
            try:
                return decoder(tag.value)
            except Exception:
                pass
        return tag

    def dispatch(tag: Any, immutable: bool) -> Any:
        decoder = decoders.get(tag.tag)
        return tag if decoder is None else decoder(tag.value)

    decode: Callable[[bytes], Any] = {
        "floor": raw.decode,
        "ours": lambda data: cbor.decode(data)[0],
        "no-semantic": lambda data: cbor2.loads(data, tag_hook=dispatch),
        "fast-8": lambda data: cbor2.loads(data, tag_hook=fast_record_ids),
        "fast-8-no-gc": lambda data: _without_gc(cbor2.loads, data, fast_record_ids),
    }[which]
    return _timed(lambda i: decode(body), n)


def _without_gc(loads: Callable[..., Any], data: bytes, hook: Any) -> Any:
    """Decoding makes no reference cycles: pause the cyclic GC meanwhile (one thread only)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return loads(data, tag_hook=hook)
    finally:
        if enabled:
            gc.enable()


def decode_fast_no_gc(args: WorkerArgs, n: int) -> float:
    return _decode_variant(args, n, "fast-8-no-gc")


def decode_floor(args: WorkerArgs, n: int) -> float:
    return _decode_variant(args, n, "floor")


def decode_ours(args: WorkerArgs, n: int) -> float:
    return _decode_variant(args, n, "ours")


def decode_no_semantic(args: WorkerArgs, n: int) -> float:
    return _decode_variant(args, n, "no-semantic")


def decode_fast_record_ids(args: WorkerArgs, n: int) -> float:
    return _decode_variant(args, n, "fast-8")


def _insert_request() -> tuple[dict[str, Any], dict[str, Any]]:
    """An insert of 1,000 small rows: as the floor writes it, and as ours is given it."""
    from surrealdb.values import Table

    rows = [create_data(i) for i in range(1000)]
    floor = {"id": 1, "method": "insert", "params": [raw.CREATED, rows]}
    return floor, {"id": 1, "method": "insert", "params": [Table(CREATE_TABLE), rows]}


def encode_floor(args: WorkerArgs, n: int) -> float:
    request, _ = _insert_request()
    return _timed(lambda i: cbor2.dumps(request), n)


def encode_exact_path(args: WorkerArgs, n: int) -> float:
    from surrealdb import cbor

    _, request = _insert_request()
    return _timed(
        lambda i: cbor2.dumps(request, encoders=cbor._ENCODERS, default=cbor._encode_other), n
    )


def encode_ours(args: WorkerArgs, n: int) -> float:
    from surrealdb import cbor

    _, request = _insert_request()
    return _timed(lambda i: cbor.encode(request), n)


# -- embedded ----------------------------------------------------------------------------------


def embedded_sync_floor(args: WorkerArgs, n: int) -> float:
    import surrealdb_embedded

    engine = surrealdb_embedded.SyncEmbeddedDB("mem://")
    engine.connect()

    def call(method: str, params: list[Any]) -> Any:
        frame = cbor2.dumps({"id": 1, "method": method, "params": params})
        return raw._result(raw.decode(engine.execute(frame)))

    call("use", [args.namespace, args.database])
    call("query", [SEED_SQL])
    try:
        return _timed(lambda i: call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}]), n)
    finally:
        engine.close()


def embedded_sync_ours(args: WorkerArgs, n: int) -> float:
    from surrealdb import Surreal

    with Surreal("mem://") as db:
        db.use(args.namespace, args.database)
        db.query(SEED_SQL)
        return _timed(lambda i: db.query(QUERY_SQL, {"id": i % SELECT_ROWS}), n)


def embedded_async_floor(args: WorkerArgs, n: int) -> float:
    import surrealdb_embedded

    async def main() -> float:
        engine = surrealdb_embedded.AsyncEmbeddedDB("mem://")
        await engine.connect()

        async def call(method: str, params: list[Any]) -> Any:
            frame = cbor2.dumps({"id": 1, "method": method, "params": params})
            return raw._result(raw.decode(await engine.execute(frame)))

        async def query(i: int) -> Any:
            return await call("query", [QUERY_SQL, {"id": i % SELECT_ROWS}])

        await call("use", [args.namespace, args.database])
        await call("query", [SEED_SQL])
        try:
            return await _timed_async(query, n)
        finally:
            await engine.close()

    return asyncio.run(main())


def embedded_async_ours(args: WorkerArgs, n: int) -> float:
    from surrealdb import AsyncSurreal

    async def main() -> float:
        async with AsyncSurreal("mem://") as db:
            await db.use(args.namespace, args.database)
            await db.query(SEED_SQL)

            async def query(i: int) -> Any:
                return await db.query(QUERY_SQL, {"id": i % SELECT_ROWS})

            return await _timed_async(query, n)

    return asyncio.run(main())


GROUPS: dict[str, tuple[str, int, list[tuple[str, Variant]]]] = {
    "ws-sync": (
        "ws",
        1,
        [
            ("websockets.sync: send, then recv (the raw floor)", ws_sync_direct),
            ("+ reader thread, a concurrent.futures.Future per call", ws_sync_thread_future),
            ("+ reader thread, a pre-acquired lock per call", ws_sync_thread_lock),
            ("websockets sans-I/O, read by the calling thread", ws_sync_sansio),
            ("websockets sans-I/O, own reader thread, a lock per call", ws_sync_sansio_thread),
            ("ours: Surreal(ws://...).query", ws_sync_ours),
        ],
    ),
    "ws-async": (
        "ws",
        1,
        [
            ("websockets.asyncio: send, then recv (the raw floor)", ws_async_direct),
            ("+ reader task, a future per call", ws_async_task),
            ("+ reader task, future, asyncio.wait_for", ws_async_task_wait_for),
            ("+ reader task, future, asyncio.timeout", ws_async_task_timeout),
            ("sans-I/O asyncio.Protocol, future resolved in data_received", ws_async_sansio),
            ("+ loop.call_at per call, cancelled on its reply", ws_async_sansio_call_at),
            ("+ one timer per link for the earliest deadline", ws_async_sansio_earliest),
            ("ours: AsyncSurreal(ws://...).query", ws_async_ours),
        ],
    ),
    "http-sync": (
        "http",
        3,
        [
            ("http.client keep-alive (the raw floor)", http_sync_stdlib),
            ("httpx.Client, no SDK (the transport before h11)", http_sync_httpx),
            ("http_wire (h11) over a socket, no SDK", http_sync_wire),
            ("ours: Surreal(http://...).query", http_sync_ours),
        ],
    ),
    "http-async": (
        "http",
        3,
        [
            ("asyncio streams HTTP/1.1 (the raw floor)", http_async_streams),
            ("httpx.AsyncClient, no SDK (the transport before h11)", http_async_httpx),
            ("http_wire (h11) over asyncio streams, no SDK", http_async_wire_streams),
            ("http_wire (h11) fed by an asyncio.Protocol, no SDK", http_async_wire_protocol),
            ("  + asyncio.timeout per call", http_async_wire_timeout),
            ("  + loop.call_at timer per call", http_async_wire_call_at),
            ("no h11: the floor's parsing fed by an asyncio.Protocol", http_async_protocol_no_h11),
            (
                "httptools (llhttp) fed by an asyncio.Protocol, no SDK",
                http_async_protocol_httptools,
            ),
            ("ours: AsyncSurreal(http://...).query", http_async_ours),
        ],
    ),
    "decode": (
        "http",
        40,
        [
            ("cbor2.loads + trivial tag_hook (the raw floor)", decode_floor),
            ("ours: surrealdb.cbor.decode", decode_ours),
            ("dict-dispatch tag_hook, no semantic_decoders", decode_no_semantic),
            ("tag_hook with an inline RecordID path", decode_fast_record_ids),
            ("the same, cyclic GC paused while decoding", decode_fast_no_gc),
        ],
    ),
    "encode": (
        "http",
        40,
        [
            ("cbor2.dumps, no hooks (the raw floor)", encode_floor),
            ("cbor2.dumps with encoders= (the exact path)", encode_exact_path),
            ("ours: surrealdb.cbor.encode", encode_ours),
        ],
    ),
    "embedded-sync": (
        "embedded",
        1,
        [
            ("surrealdb_embedded.SyncEmbeddedDB (the raw floor)", embedded_sync_floor),
            ("ours: Surreal('mem://').query", embedded_sync_ours),
        ],
    ),
    "embedded-async": (
        "embedded",
        4,
        [
            ("surrealdb_embedded.AsyncEmbeddedDB (the raw floor)", embedded_async_floor),
            ("ours: AsyncSurreal('mem://').query", embedded_async_ours),
        ],
    ),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ablation", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--n", type=int, default=2000, help="calls per variant and round")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--ws-url")
    parser.add_argument("--http-url")
    options = parser.parse_args(argv)
    groups = [g.strip() for g in (options.only or ",".join(GROUPS)).split(",") if g.strip()]
    server = None
    if options.ws_url and options.http_url:
        endpoint = Endpoint(options.ws_url, options.http_url)
    else:
        sys.path.insert(0, str(ROOT))
        from tests.server import start_gateway

        server = start_gateway()
        endpoint = Endpoint(server.info.ws_url, server.info.http_url)
    try:
        seed(endpoint, "bench", "bench")
        for group in groups:
            transport, divisor, variants = GROUPS[group]
            url = endpoint.ws_url if transport == "ws" else endpoint.http_url
            args = WorkerArgs(
                "raw", f"{transport}-x-query", 0, 0, url, "root", "root", "bench", "bench"
            )
            n = max(5, options.n // divisor)
            results: dict[str, list[float]] = {name: [] for name, _ in variants}
            scale = 1e3 if group == "decode" else 1e6  # ms per decode, µs per call
            for _ in range(options.repeats):
                for name, variant in variants:
                    results[name].append(variant(args, n) / n * scale)
            unit = "ms per decode" if group == "decode" else "µs per call"
            print(f"\n{group} (client CPU, {unit}; median and min of {options.repeats}, n={n})")
            floor = statistics.median(results[variants[0][0]])
            for name, values in results.items():
                median = statistics.median(values)
                digits = 2 if group == "decode" else 1
                print(
                    f"  {median:8.{digits}f} {min(values):8.{digits}f}"
                    f"  {median / floor:5.2f}x  {name}"
                )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
