"""Reconnecting a WebSocket connection: the policy, and the session state it replays.

Nothing here touches a socket (sans-I/O), so both WebSocket transports share it and it is
tested on its own. After a link drops, a transport waits `ReconnectPolicy.delay(attempt)`
between attempts, opens a new WebSocket and sends `SessionReplay.requests()` on it (then
re-runs the live queries, which `surrealdb.live.LiveRouter` keeps) before letting calls
through again.

Credentials are kept only in a `Secret`, whose repr and str never show the value.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, NoReturn, TypeVar

from surrealdb.api_types import Tokens
from surrealdb.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    SessionClosedError,
    TransactionEndedError,
)
from surrealdb.protocol import Request

T = TypeVar("T")


class Secret(Generic[T]):
    """A value (a password, a token) that never shows in a repr, a str, a log or a pickle."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The value itself: pass it on, never format it."""
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a WebSocket connection reconnects after its link drops.

    The n-th wait (from 0) is `min(max_delay, initial_delay * multiplier**n)`, shortened by a
    random fraction of at most `jitter` so that many clients do not come back in step.

    Attributes:
        initial_delay: seconds before the first attempt.
        max_delay: the longest wait between two attempts.
        multiplier: how much each wait grows.
        jitter: the largest fraction (0 to 1) taken off each wait at random.
        max_attempts: attempts before giving up for good (the connection then fails every call
            with `SurrealConnectionError`); None tries until `close()`.
        keep_credentials: keep the credentials of the last `signin`/`signup` (hidden, in
            memory only) to sign in again when the token no longer works after a reconnect
            (it expired, or the server restarted with new keys). False replays the token only.
    """

    initial_delay: float = 0.1
    max_delay: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None
    keep_credentials: bool = True

    def __post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "multiplier", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidArgumentTypeError(
                    f"ReconnectPolicy.{name} must be a number, got {value!r}"
                )
            if not math.isfinite(value) or value < 0:
                raise InvalidArgumentError(
                    f"ReconnectPolicy.{name} must be 0 or more, got {value!r}"
                )
        if self.multiplier < 1:
            raise InvalidArgumentError(
                f"ReconnectPolicy.multiplier must be 1 or more, got {self.multiplier}"
            )
        if self.jitter > 1:
            raise InvalidArgumentError(
                f"ReconnectPolicy.jitter must be between 0 and 1, got {self.jitter}"
            )
        if self.max_attempts is not None and (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise InvalidArgumentError(
                f"ReconnectPolicy.max_attempts must be a positive int or None,"
                f" got {self.max_attempts!r}"
            )

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds to wait before attempt number `attempt` (from 0); `rand` in [0, 1)."""
        exponent = min(attempt, 64)  # no float overflow however long the outage
        base = min(self.max_delay, self.initial_delay * self.multiplier**exponent)
        fraction = random.random() if rand is None else rand
        return base * (1.0 - self.jitter * fraction)

    def gives_up_after(self, attempts: int) -> bool:
        """Whether `attempts` failed attempts are enough to stop trying."""
        return self.max_attempts is not None and attempts >= self.max_attempts


DEFAULT_RECONNECT: Final = ReconnectPolicy()
"""The policy of `reconnect=True`."""

RESTORED_LINK_SETTLES: Final = 5.0
"""Seconds after which a restored link counts as working, even if nothing came on it."""


def restored_link_failed(messages: int, seconds_up: float) -> bool:
    """Whether a link that a reconnect restored ended before it proved to work.

    `messages` is how many messages came on it after calls were let through on it (replies,
    notifications), `seconds_up` how long it lasted since. A link that ended with neither (a
    server that accepts the handshake, then drops) counts as a failed attempt: the outage
    goes on, its backoff keeps growing, and `max_attempts` still ends it.
    """
    return messages == 0 and seconds_up < RESTORED_LINK_SETTLES


def reconnect_policy(reconnect: object) -> ReconnectPolicy | None:
    """The policy a `reconnect=` option asks for (None: do not reconnect)."""
    if reconnect is True:
        return DEFAULT_RECONNECT
    if reconnect is False or reconnect is None:
        return None
    if isinstance(reconnect, ReconnectPolicy):
        return reconnect
    raise InvalidArgumentTypeError(
        f"reconnect must be True, False or a ReconnectPolicy, got {type(reconnect).__name__}"
    )


REPLAYED_METHODS: Final = frozenset(
    {"use", "signin", "signup", "authenticate", "refresh", "invalidate", "reset", "let", "unset"}
)
"""The methods whose success changes what a reconnect replays (see `SessionReplay.record`)."""

TOKEN_METHODS: Final = frozenset(
    {"signin", "signup", "authenticate", "refresh", "invalidate", "reset"}
)
"""The methods whose success changes the token a session is signed in with."""


def _access_token(result: Any) -> str | None:
    """The access token of what signin, signup or refresh returned."""
    if isinstance(result, Tokens):  # before str: a Tokens is one
        return result.access
    if isinstance(result, str):
        return result
    if isinstance(result, Mapping):
        token = result.get("access", result.get("token"))
        return token if isinstance(token, str) else None
    return None


class SessionReplay:
    """What the connection's own session holds on the server, to restore after a reconnect.

    `record` is told about every successful call of `REPLAYED_METHODS` on the connection's
    own session (requests of attached sessions and transactions are not replayed: those do
    not survive a reconnect). `requests` gives what to send on a new link, in order: sign in
    again (`authenticate` with the last token), `use`, then each `let` variable.
    """

    def __init__(self, keep_credentials: bool = True) -> None:
        self._keep_credentials = keep_credentials
        self.namespace: str | None = None
        self.database: str | None = None
        self.variables: dict[str, Any] = {}
        self._token: Secret[str] | None = None
        self._credentials: Secret[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return (
            f"SessionReplay(namespace={self.namespace!r}, database={self.database!r},"
            f" signed_in={self.signed_in}, variables={sorted(self.variables)})"
        )

    @property
    def token(self) -> str | None:
        """The access token the session is signed in with (what `db.token` shows)."""
        return None if self._token is None else self._token.reveal()

    @property
    def signed_in(self) -> bool:
        """Whether a sign-in will be replayed."""
        return self._token is not None or self._credentials is not None

    def record(self, request: Request, result: Any) -> None:
        """Note what a successful request changed in the connection's own session."""
        if request.session is not None:
            return
        method, params = request.method, request.params
        if method == "use":
            namespace = params[0] if params else None
            database = params[1] if len(params) > 1 else None
            if isinstance(namespace, str):
                self.namespace = namespace
            if isinstance(database, str):
                self.database = database
        elif method == "let":
            if params and isinstance(params[0], str):
                value = params[1] if len(params) > 1 else None
                if value is None:  # NONE removes the variable, as the server's `let` does
                    self.variables.pop(params[0], None)
                else:
                    self.variables[params[0]] = value
        elif method == "unset":
            if params:
                self.variables.pop(params[0], None)
        elif method in ("signin", "signup"):
            token = _access_token(result)
            self._token = Secret(token) if token is not None else None
            credentials = params[0] if params and isinstance(params[0], Mapping) else None
            keep = self._keep_credentials and credentials is not None
            self._credentials = Secret(dict(credentials)) if keep and credentials else None
        elif method == "authenticate":
            token = params[0] if params and isinstance(params[0], str) else None
            self._token = Secret(token) if token is not None else None
            self._credentials = None  # another identity: the old credentials are not its own
        elif method == "refresh":
            token = _access_token(result)
            if token is not None:
                self._token = Secret(token)
        elif method == "invalidate":
            self._token = None
            self._credentials = None
        elif method == "reset":
            self.__init__(self._keep_credentials)  # type: ignore[misc]

    def requests(self) -> list[Request]:
        """What to send on a new link, in order (the sign-in first, if any)."""
        replay: list[Request] = []
        sign_in = self.sign_in_request()
        if sign_in is not None:
            replay.append(sign_in)
        if self.namespace is not None or self.database is not None:
            replay.append(
                Request(
                    "use",
                    [
                        self.namespace,  # None is sent as NONE: left as it is
                        self.database,
                    ],
                )
            )
        for name, value in self.variables.items():
            replay.append(Request("let", [name, value]))
        return replay

    def sign_in_request(self) -> Request | None:
        """`authenticate` with the last token, else `signin` with kept credentials."""
        if self._token is not None:
            return Request("authenticate", [self._token.reveal()])
        return self.fallback_request()

    def fallback_request(self) -> Request | None:
        """`signin` with the kept credentials, for when the token was refused."""
        if self._credentials is None:
            return None
        return Request("signin", [dict(self._credentials.reveal())])

    def signed_in_again(self, result: Any) -> None:
        """Keep the token of a fallback `signin`."""
        token = _access_token(result)
        if token is not None:
            self._token = Secret(token)


SCOPE_METHODS: Final = frozenset({"attach", "detach", "begin", "commit", "cancel"})
"""The methods whose success attaches or detaches a session, or opens or ends a transaction."""


class ScopeTracker:
    """The sessions attached and transactions open on the current link.

    Neither survives a reconnect: the server forgets a connection's sessions and discards
    its open transactions when the link drops. After a reconnect, `check` refuses requests
    that name one of them, before anything is sent, with an error that says so.
    """

    def __init__(self) -> None:
        self.sessions: set[Any] = set()
        self.transactions: set[Any] = set()
        self._lost_sessions: set[Any] = set()
        self._lost_transactions: set[Any] = set()
        self.any_lost = False
        """Whether a reconnect lost a session or a transaction (then `check` every request)."""

    def record(self, request: Request, result: Any) -> None:
        """Note what a successful request of `SCOPE_METHODS` did."""
        method = request.method
        if method == "attach" and request.session is not None:
            self.sessions.add(request.session)
        elif method == "detach" and request.session is not None:
            self.sessions.discard(request.session)
            self._lost_sessions.discard(request.session)
        elif method == "begin" and result is not None:
            self.transactions.add(result)
        elif method in ("commit", "cancel") and request.params:
            self.transactions.discard(request.params[0])

    def link_lost(self) -> None:
        """The link dropped: what was attached or open is gone on the server."""
        self._lost_sessions |= self.sessions
        self._lost_transactions |= self.transactions
        self.any_lost = bool(self._lost_sessions or self._lost_transactions)
        self.sessions = set()
        self.transactions = set()

    def check(self, request: Request, url: str) -> None:
        """Refuse a request of a session or transaction that a reconnect lost."""
        txn = request.txn
        if txn is None and request.method in ("commit", "cancel") and request.params:
            txn = request.params[0]
        if txn is not None and txn in self._lost_transactions:
            raise TransactionEndedError(
                f"transaction {txn} was lost when the connection to {url} dropped:"
                " the server discards the open transactions of a dropped connection, so none"
                " of its writes were committed; start a new transaction"
            )
        if request.session is not None and request.session in self._lost_sessions:
            raise SessionClosedError(
                f"session {request.session} was lost when the connection to {url} dropped:"
                " the server forgets the sessions of a dropped connection; start a new one"
            )
