"""What is measured: the cases, their sizes, their targets, and the data they use.

Pure data, importable by every interpreter (ours, the raw floor's and the official SDK's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

Transport = Literal["ws", "http", "embedded", "codec"]
Flavour = Literal["sync", "async"]
Op = Literal["query", "create", "select", "decode", "gather", "live"]
Metric = Literal["cpu", "wall"]

CLIENTS: Final = ("raw", "ours", "official")

NAMESPACE: Final = "bench"
DATABASE: Final = "bench"
ROWS_TABLE: Final = "bench_rows"
CREATE_TABLE: Final = "bench_create"
LIVE_TABLE: Final = "bench_live"
SELECT_ROWS: Final = 2000
GATHER_CALLS: Final = 1000

# One record looked up by id with a variable: a small request and a one-row reply.
QUERY_SQL: Final = f"SELECT * FROM type::record('{ROWS_TABLE}', $id)"

# The 2,000 rows of the select cases: a record id and a few typical fields each.
SEED_SQL: Final = (
    f"DEFINE TABLE IF NOT EXISTS {ROWS_TABLE} SCHEMALESS;"
    f" DEFINE TABLE IF NOT EXISTS {CREATE_TABLE} SCHEMALESS;"
    f" DEFINE TABLE IF NOT EXISTS {LIVE_TABLE} SCHEMALESS;"
    f" DELETE {ROWS_TABLE};"
    f" FOR $i IN 0..{SELECT_ROWS} {{ CREATE type::record('{ROWS_TABLE}', $i) SET"
    " name = 'user ' + <string>$i, age = $i % 90,"
    " email = 'user' + <string>$i + '@example.com', score = $i * 1.5,"
    " active = $i % 2 == 0, tags = ['alpha', 'beta'],"
    " address = { city: 'Paris', zip: '75001' } };"
)

# The live case: one statement creating $n records, each giving one notification.
LIVE_PRODUCER_SQL: Final = f"FOR $i IN 0..$n {{ CREATE {LIVE_TABLE} SET i = $i }}"


def create_data(i: int) -> dict[str, object]:
    """The content of the i-th created record."""
    return {"i": i, "name": f"user {i}", "email": "user@example.com", "tags": ["a", "b"]}


@dataclass(frozen=True)
class Target:
    """A case's goal: ours/raw at most `vs_raw`, official/ours at least `vs_official`."""

    vs_raw: float | None
    vs_official: float | None
    label: str


TARGET_WS_CALL: Final = Target(1.10, 1.3, "client CPU per call, ws")
TARGET_HTTP_CALL: Final = Target(1.20, 3.0, "client CPU per call, http")
TARGET_DECODE: Final = Target(1.00, 4.0, "client CPU to decode a 2,000-row select")
TARGET_GATHER: Final = Target(1.10, 1.0, "1,000 gathered calls on one async ws")
TARGET_EMBEDDED: Final = Target(1.20, None, "embedded: overhead over raw surrealdb_embedded")


@dataclass(frozen=True)
class Case:
    """One measured operation on one transport and flavour.

    `n` operations are timed after `warmup` untimed ones; for `gather` one operation is
    `GATHER_CALLS` gathered calls, for `live` one operation is one notification received.
    """

    transport: Transport
    flavour: Flavour
    op: Op
    n: int
    warmup: int
    metric: Metric
    target: Target | None = None
    clients: tuple[str, ...] = field(default=CLIENTS)

    @property
    def id(self) -> str:
        return f"{self.transport}-{self.flavour}-{self.op}"

    def scaled(self, factor: float) -> Case:
        """The same case with fewer (or more) operations."""
        return Case(
            self.transport,
            self.flavour,
            self.op,
            max(1, round(self.n * factor)),
            max(1, round(self.warmup * factor)),
            self.metric,
            self.target,
            self.clients,
        )


_FLAVOURS: Final[tuple[Flavour, ...]] = ("sync", "async")
_NETWORK: Final[tuple[tuple[Transport, int, Target], ...]] = (
    ("ws", 800, TARGET_WS_CALL),
    ("http", 300, TARGET_HTTP_CALL),
)
_EMBEDDED_OPS: Final[tuple[tuple[Op, int, int], ...]] = (
    ("query", 1000, 100),
    ("create", 1000, 100),
    ("select", 12, 2),
)


def _network_cases() -> list[Case]:
    cases: list[Case] = []
    for transport, n_call, call_target in _NETWORK:
        for flavour in _FLAVOURS:
            cases.append(
                Case(transport, flavour, "query", n_call, n_call // 10, "cpu", call_target)
            )
            cases.append(
                Case(transport, flavour, "create", n_call, n_call // 10, "cpu", call_target)
            )
            cases.append(Case(transport, flavour, "select", 12, 2, "cpu", TARGET_DECODE))
    return cases


ALL_CASES: Final[tuple[Case, ...]] = (
    *_network_cases(),
    Case("ws", "async", "gather", 3, 1, "wall", TARGET_GATHER),
    Case("ws", "sync", "live", 2000, 200, "wall"),
    Case("ws", "async", "live", 2000, 200, "wall"),
    Case("codec", "sync", "decode", 30, 3, "cpu", TARGET_DECODE),
    *(
        Case("embedded", flavour, op, n, warmup, "wall", TARGET_EMBEDDED, ("raw", "ours"))
        for flavour in _FLAVOURS
        for op, n, warmup in _EMBEDDED_OPS
    ),
)


def case_by_id(case_id: str) -> Case:
    for case in ALL_CASES:
        if case.id == case_id:
            return case
    raise KeyError(f"unknown case {case_id!r}; known: {', '.join(c.id for c in ALL_CASES)}")
