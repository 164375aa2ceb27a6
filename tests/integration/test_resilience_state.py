"""The sans-I/O pieces of reconnecting, without a socket: the backoff policy, the session state
a reconnect replays, the sessions and transactions it cannot keep, and how the live-query
router moves subscriptions to the ids a restarted live query gets."""

from __future__ import annotations

import pickle
import uuid

import pytest

from surrealdb import LiveNotification, SessionClosedError, Tokens, TransactionEndedError
from surrealdb.live import ENDED, LiveRouter
from surrealdb.protocol import Request
from surrealdb.reconnect import (
    DEFAULT_RECONNECT,
    ReconnectPolicy,
    ScopeTracker,
    Secret,
    SessionReplay,
    reconnect_policy,
)
from surrealdb.values import NONE

# --------------------------------------------------------------------------------------------
# Backoff with jitter
# --------------------------------------------------------------------------------------------


def test_delays_grow_to_the_maximum_and_jitter_only_shortens_them() -> None:
    policy = ReconnectPolicy(initial_delay=0.1, max_delay=2.0, multiplier=2.0, jitter=0.5)
    assert [policy.delay(n, rand=0.0) for n in range(7)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert [policy.delay(n, rand=1.0) for n in range(3)] == [0.05, 0.1, 0.2]
    for attempt in range(50):
        assert 0.5 * min(2.0, 0.1 * 2**attempt) <= policy.delay(attempt) <= 2.0
    assert policy.delay(10**9) == pytest.approx(2.0, rel=0.5)  # no overflow, however long


def test_giving_up_is_counted_in_attempts() -> None:
    assert not DEFAULT_RECONNECT.gives_up_after(10**6)
    policy = ReconnectPolicy(max_attempts=3)
    assert [policy.gives_up_after(n) for n in (1, 2, 3)] == [False, False, True]


def test_the_reconnect_option() -> None:
    assert reconnect_policy(True) is DEFAULT_RECONNECT
    assert reconnect_policy(False) is None
    policy = ReconnectPolicy(max_attempts=1)
    assert reconnect_policy(policy) is policy


# --------------------------------------------------------------------------------------------
# What a reconnect replays
# --------------------------------------------------------------------------------------------


def replayed(replay: SessionReplay) -> list[tuple[str, list[object]]]:
    return [(request.method, request.params) for request in replay.requests()]


def test_a_fresh_session_replays_nothing() -> None:
    assert replayed(SessionReplay()) == []


def test_sign_in_use_and_variables_are_replayed_in_order() -> None:
    replay = SessionReplay()
    replay.record(Request("signin", [{"user": "root", "pass": "pw"}]), "jwt-1")
    replay.record(Request("use", ["ns", NONE]), None)
    replay.record(Request("use", [NONE, "db"]), None)
    replay.record(Request("let", ["a", 1]), None)
    replay.record(Request("let", ["b", [2]]), None)
    replay.record(Request("unset", ["a"]), None)
    assert replayed(replay) == [
        ("authenticate", ["jwt-1"]),
        ("use", ["ns", "db"]),
        ("let", ["b", [2]]),
    ]
    fallback = replay.fallback_request()
    assert fallback is not None and fallback.params == [{"user": "root", "pass": "pw"}]
    replay.signed_in_again("jwt-2")
    assert replayed(replay)[0] == ("authenticate", ["jwt-2"])


def test_tokens_with_a_refresh_token_and_refresh() -> None:
    replay = SessionReplay()
    replay.record(Request("signup", [{"ac": "user", "email": "a"}]), Tokens("acc-1", "ref-1"))
    assert replayed(replay)[0] == ("authenticate", ["acc-1"])
    replay.record(Request("refresh", [{"access": "acc-1", "refresh": "ref-1"}]), Tokens("acc-2"))
    assert replayed(replay)[0] == ("authenticate", ["acc-2"])
    replay.record(Request("refresh", [{}]), {"access": "acc-3", "refresh": "ref-3"})
    assert replayed(replay)[0] == ("authenticate", ["acc-3"])
    fallback = replay.fallback_request()  # signup's details sign in again, never sign up
    assert fallback is not None and fallback.method == "signin"


def test_authenticate_replaces_the_identity_and_invalidate_and_reset_clear() -> None:
    replay = SessionReplay()
    replay.record(Request("signin", [{"user": "root", "pass": "pw"}]), "jwt")
    replay.record(Request("authenticate", ["other"]), None)
    assert replayed(replay) == [("authenticate", ["other"])]
    assert replay.fallback_request() is None  # root's password is not the token's identity
    replay.record(Request("invalidate", []), None)
    assert replayed(replay) == [] and not replay.signed_in
    replay.record(Request("use", ["ns", "db"]), None)
    replay.record(Request("let", ["x", 1]), None)
    replay.record(Request("reset", []), None)
    assert replayed(replay) == []


def test_credentials_are_not_kept_when_told_so() -> None:
    replay = SessionReplay(keep_credentials=False)
    replay.record(Request("signin", [{"user": "root", "pass": "pw"}]), "jwt")
    assert replayed(replay) == [("authenticate", ["jwt"])]
    assert replay.fallback_request() is None


def test_requests_of_attached_sessions_are_not_replayed() -> None:
    replay = SessionReplay()
    session = uuid.uuid4()
    replay.record(Request("use", ["ns", "db"], session), None)
    replay.record(Request("signin", [{"user": "r", "pass": "p"}], session), "jwt")
    assert replayed(replay) == []


def test_secrets_never_show() -> None:
    replay = SessionReplay()
    replay.record(Request("signin", [{"user": "root", "pass": "hunter2"}]), "jwt-secret")
    replay.record(Request("let", ["x", 1]), None)
    for text in (repr(replay), str(replay), repr(Secret("hunter2")), str(Secret("hunter2"))):
        assert "hunter2" not in text and "jwt-secret" not in text
    assert "signed_in=True" in repr(replay)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret("hunter2"))


# --------------------------------------------------------------------------------------------
# Sessions and transactions do not survive a reconnect
# --------------------------------------------------------------------------------------------


def test_lost_sessions_and_transactions_are_refused() -> None:
    scopes = ScopeTracker()
    session, kept_session, txn = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    scopes.record(Request("attach", [], session), None)
    scopes.record(Request("attach", [], kept_session), None)
    scopes.record(Request("detach", [], kept_session), None)
    scopes.record(Request("begin", []), txn)
    assert not scopes.any_lost
    scopes.link_lost()
    assert scopes.any_lost
    with pytest.raises(SessionClosedError, match=f"session {session} was lost"):
        scopes.check(Request("query", ["RETURN 1"], session), "ws://h/rpc")
    with pytest.raises(TransactionEndedError, match=f"transaction {txn} was lost"):
        scopes.check(Request("query", ["RETURN 1"], None, txn), "ws://h/rpc")
    with pytest.raises(TransactionEndedError):
        scopes.check(Request("commit", [txn]), "ws://h/rpc")
    scopes.check(Request("query", ["RETURN 1"], kept_session), "ws://h/rpc")  # not attached
    scopes.check(Request("query", ["RETURN 1"]), "ws://h/rpc")


# --------------------------------------------------------------------------------------------
# The live-query router across a reconnect
# --------------------------------------------------------------------------------------------


def note(live_id: uuid.UUID, number: int = 0, action: str = "CREATE") -> LiveNotification:
    return LiveNotification(live_id=live_id, action=action, record_id=number, result={})


def test_a_restarted_live_query_keeps_its_subscription() -> None:
    router = LiveRouter()
    original, new = uuid.uuid4(), uuid.uuid4()
    live = Request("live", ["person"])
    router.after_request(live, original)
    buffer = router.buffer(original)
    router.deliver(note(original, 1))
    groups = router.restorable()
    assert groups == [(live, [original])]
    router.deliver(note(new, 2))  # came before the restart's reply was routed
    router.restored(live, [original], new)
    router.deliver(note(new, 3))
    router.count_reconnect()
    items = [buffer.get(timeout=0) for _ in range(3)]
    got = [(n.live_id, n.record_id) for n in items if isinstance(n, LiveNotification)]
    assert got == [(original, 1), (original, 2), (original, 3)]
    assert buffer.reconnects == 1
    assert router.translate(Request("kill", [original])).params == [new]
    translated = router.translate(Request("query", ["KILL $id", {"id": original, "n": 1}]))
    assert translated.params[1] == {"id": new, "n": 1}
    assert router.translate(Request("kill", [uuid.uuid4()])).params != [new]
    router.deliver(note(new, action="KILLED"))
    assert buffer.get(timeout=0) is ENDED
    assert not router.rebound  # forgotten once it ended


def test_what_cannot_be_restarted_ends_at_the_reconnect() -> None:
    router = LiveRouter()
    session = uuid.uuid4()
    in_session, mixed, unknown, pure = (uuid.uuid4() for _ in range(4))
    router.after_request(Request("live", ["a"], session), in_session)
    mixed_query = Request("query", ["CREATE a; LIVE SELECT * FROM a"])
    router.after_request(
        mixed_query,
        [{"type": "create", "result": []}, {"type": "live", "result": mixed}],
    )
    pure_query = Request("query", ["LIVE SELECT * FROM a; LIVE SELECT * FROM b"])
    second = uuid.uuid4()
    router.after_request(
        pure_query, [{"type": "live", "result": pure}, {"type": "live", "result": second}]
    )
    buffers = {i: router.buffer(i) for i in (in_session, mixed, unknown, pure)}
    groups = router.restorable()
    assert groups == [(pure_query, [pure, second])]
    for live_id in (in_session, mixed, unknown):
        assert buffers[live_id].get(timeout=0) is ENDED
    assert buffers[pure].get(timeout=0) is None  # still running
    # A statement that fails on restart ends just that live query.
    router.restored(pure_query, [pure, second], [{"result": uuid.uuid4()}, {"result": "ERR"}])
    assert router.wanted(pure) and not router.wanted(second)
