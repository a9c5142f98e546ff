"""Invariant (a) of docs/state-machine.md under real concurrency: two sessions, explicit transactions.

A bubble is with at most one worker and never again once it may have left a modem; `sent` means every
bubble was sent. Each test holds one session's transaction open at the dangerous moment and runs the
other session's statement in a thread; it then learns from pg_stat_activity whether that statement is
blocked on a lock (wait_event_type = 'Lock') or already finished — never from a sleep — and commits the
first session. Whatever the order, exactly one outcome wins and the invariant holds afterwards.

The database clock is the `clock` fixture's (frozen at Wednesday 2025-11-05 14:30 Pacific, inside the
default window); every writing function acts on it (no `at` argument is passed anywhere).
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.harness import PinnedClock

Conn = psycopg.Connection[tuple[Any, ...]]
WAIT_LIMIT_S = 15.0


@pytest.fixture(autouse=True)
def no_pacing(conn: Conn) -> None:
    """Pacing off: a retry promoted at the same pinned minute as its first promotion is not held back."""
    conn.execute("update send_window set catch_up_gap = '0'")


@pytest.fixture
def pool() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.fixture
def session_a(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url) as connection:  # explicit transactions: autocommit off
        yield connection


@pytest.fixture
def session_b(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url) as connection:
        yield connection


def queued_message(conn: Conn, phone: str, content: str) -> int:
    """What a person and the promotion do: campaign row SUG -> APR, its scheduled message (SCH, due
    14:00), then the promotion everyone calls. Returns the scheduled message's id."""
    row = conn.execute(
        "insert into campaign_messages (campaign_name, customer_name, phone_number, message_content)"
        " values (%s, 'Race', %s, %s) returning id",
        (f"race{phone}", phone, content),
    ).fetchone()
    assert row is not None
    cm = int(row[0])
    conn.execute("update campaign_messages set status = 'APR' where id = %s", (cm,))
    row = conn.execute(
        "insert into scheduled_messages (campaign_message_id, phone_number, customer_name, message_content,"
        "                                scheduled_for, status, campaign_name)"
        " select id, phone_number, customer_name, message_content, '2025-11-05 14:00-08', 'SCH', campaign_name"
        "   from campaign_messages where id = %s returning id",
        (cm,),
    ).fetchone()
    assert row is not None
    conn.execute("select * from process_scheduled_messages_safe()")
    assert scalar(conn, "select status from scheduled_messages where id = %s", int(row[0])) == "queued"
    return int(row[0])


def scalar(conn: Conn, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def bubble(conn: Conn, sm: int, index: int) -> int:
    return int(
        scalar(
            conn,
            "select id from messages where scheduled_message_id = %s and bubble_index = %s order by id desc limit 1",
            sm,
            index,
        )
    )


def claim(conn: Conn, worker: str) -> int | None:
    claimed = scalar(conn, "select id from claim_next_bubble(%s)", worker)
    return None if claimed is None else int(claimed)


def blocked_or_done(observer: Conn, pid: int, future: concurrent.futures.Future[Any]) -> str:
    """'blocked' once the session `pid` waits for a lock, 'done' once its statement returned."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while time.monotonic() < deadline:
        if future.done():
            return "done"
        wait = scalar(observer, "select wait_event_type from pg_stat_activity where pid = %s", pid)
        if wait == "Lock":
            return "blocked"
        concurrent.futures.wait([future], timeout=0.005)  # returns at once when the statement finishes
    raise AssertionError(f"session {pid} neither finished nor waited for a lock within {WAIT_LIMIT_S} s")


def in_transaction(conn: Conn, *statements: tuple[str, tuple[object, ...]]) -> Callable[[], str]:
    """A callable for the thread: run the statements in one transaction on `conn` and commit;
    returns 'ok' or the SQLSTATE of the error (then rolled back)."""

    def run() -> str:
        try:
            for sql, params in statements:
                conn.execute(sql, params)
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            return str(exc.sqlstate)
        return "ok"

    return run


def live_rows_per_bubble(conn: Conn, sm: int) -> dict[int, int]:
    """Per bubble position: how many rows are (or may be) with a modem or waiting for one."""
    rows = conn.execute(
        "select bubble_index, count(*) from messages where scheduled_message_id = %s"
        " and status in ('queued', 'sending', 'sent', 'unknown') group by bubble_index",
        (sm,),
    ).fetchall()
    return {int(i): int(n) for i, n in rows}


# --- claim vs cancel ---------------------------------------------------------------------------------


def test_cancel_while_a_claim_is_in_flight(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """The claim's transaction is open (bubble 1 sending) when a person cancels the message. The cancel
    waits for the claim or passes over the locked bubble; either way bubble 1 stays with its worker, its
    `sent` is accepted (it left the modem), bubble 2 is never claimed, and the message says partial."""
    sm = queued_message(conn, "+12095551001", "one [BUBBLE] two")
    b1 = claim(session_a, "w1")  # transaction of A still open
    assert b1 == bubble(conn, sm, 1)

    cancel = pool.submit(
        in_transaction(session_b, ("update scheduled_messages set status = 'cancelled' where id = %s", (sm,)))
    )
    state = blocked_or_done(conn, session_b.info.backend_pid, cancel)
    session_a.commit()
    assert cancel.result(timeout=WAIT_LIMIT_S) == "ok", f"the cancel ({state}) must succeed"

    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == "cancelled"
    assert scalar(conn, "select status from messages where id = %s", b1) == "sending"
    assert scalar(conn, "select status from messages where id = %s", bubble(conn, sm, 2)) == "cancelled"
    assert claim(conn, "w2") is None, "nothing of a cancelled message is claimable"
    conn.execute("select mark_bubble_sent(%s, 'w1', 'mr-1')", (b1,))
    assert scalar(conn, "select status from messages where id = %s", b1) == "sent"
    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == "cancelled"
    assert "partially sent: 1 of 2" in (
        scalar(conn, "select error_message from scheduled_messages where id = %s", sm) or ""
    )


def test_claim_while_a_cancel_is_in_flight(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """A person's cancel is not committed yet when a listener claims. The claim waits for the cancel or
    skips the locked bubble; after the cancel commits nothing of the message is ever claimed."""
    sm = queued_message(conn, "+12095551002", "one [BUBBLE] two")
    session_b.execute("update scheduled_messages set status = 'cancelled' where id = %s", (sm,))  # open

    claimed = pool.submit(lambda: claim(session_a, "w1"))
    state = blocked_or_done(conn, session_a.info.backend_pid, claimed)
    session_b.commit()
    got = claimed.result(timeout=WAIT_LIMIT_S)
    session_a.commit()

    assert got is None, f"the claim ({state}) must not hand out a bubble of a message being cancelled"
    assert claim(conn, "w2") is None
    statuses = conn.execute(
        "select status from messages where scheduled_message_id = %s order by bubble_index", (sm,)
    ).fetchall()
    assert statuses == [("cancelled",), ("cancelled",)]


# --- claim vs retry ----------------------------------------------------------------------------------
# A retry (failed -> SCH) is refused while any bubble of the message is sending (docs/state-machine.md
# (a)). "Failed with a bubble in flight" is not reachable by allowed moves (bubbles leave one at a time
# and only the in-flight bubble's outcome fails the message), so the person's transaction first puts the
# message in that state with triggers off, then retries it as a plain UPDATE: the guard must see the
# other session's claim, committed or not.

FORGE_FAILED = (
    ("set local session_replication_role = replica", ()),
    ("update scheduled_messages set status = 'failed', error_message = 'forged' where id = %s", None),
    ("set local session_replication_role = origin", ()),
)


def forge_failed(sm: int) -> tuple[tuple[str, tuple[object, ...]], ...]:
    """The statements that put scheduled message `sm` in `failed` with triggers off (set-up only)."""
    return tuple((sql, (sm,) if params is None else params) for sql, params in FORGE_FAILED)


def test_retry_while_a_claim_is_in_flight(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    sm = queued_message(conn, "+12095551003", "one [BUBBLE] two")
    conn.execute("select mark_bubble_sent(id, 'w1', 'mr-1') from claim_next_bubble('w1')")
    b2 = claim(session_a, "w1")  # bubble 2 sending, A's transaction open
    assert b2 == bubble(conn, sm, 2)

    retry = pool.submit(
        in_transaction(
            session_b,
            *forge_failed(sm),
            ("update scheduled_messages set status = 'SCH' where id = %s", (sm,)),
        )
    )
    state = blocked_or_done(conn, session_b.info.backend_pid, retry)
    session_a.commit()
    result = retry.result(timeout=WAIT_LIMIT_S)

    assert result == "55000", f"the retry ({state}) must be refused while bubble 2 is sending, got {result}"
    conn.execute("select * from process_scheduled_messages_safe()")
    assert live_rows_per_bubble(conn, sm) == {1: 1, 2: 1}, "bubble 2 exists once, with w1"
    assert claim(conn, "w2") is None


def test_claim_while_a_retry_is_in_flight(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """Reached by allowed moves: bubble 1 sent, bubble 2 refused for good, so the message failed. A person
    retries it and promotes in one transaction, not committed yet, while a listener claims: the claim
    gets nothing (the retry's bubbles do not exist for it yet, the old ones are final); after the commit
    it gets the retry's new bubble 2, and bubble 1 is never handed out again."""
    sm = queued_message(conn, "+12095551004", "one [BUBBLE] two")
    conn.execute("select mark_bubble_sent(id, 'w1', 'mr-1') from claim_next_bubble('w1')")
    conn.execute("select mark_bubble_failed(id, 'w1', '+CMS ERROR: 21', true) from claim_next_bubble('w1')")
    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == "failed"
    session_b.execute("update scheduled_messages set status = 'SCH' where id = %s", (sm,))
    session_b.execute("select * from process_scheduled_messages_safe()")  # open

    claimed = pool.submit(lambda: claim(session_a, "w1"))
    state = blocked_or_done(conn, session_a.info.backend_pid, claimed)
    got = claimed.result(timeout=WAIT_LIMIT_S)
    session_a.commit()
    session_b.commit()

    assert got is None, f"the claim ({state}) must not hand out a bubble of a retry not committed yet"
    new_b2 = claim(conn, "w1")
    assert new_b2 == bubble(conn, sm, 2)
    assert scalar(conn, "select promotion from messages where id = %s", new_b2) == 2
    live = live_rows_per_bubble(conn, sm)
    assert live == {1: 1, 2: 1}, f"each bubble position has one live row: {live}"


# --- mark_bubble_sent vs recover_stale_claims ------------------------------------------------------


@pytest.fixture
def stale_claim(conn: Conn, clock: PinnedClock) -> tuple[int, int]:
    """A bubble claimed by w1 at 14:30; the clock then moves to 14:41, past the 10-minute lease."""
    sm = queued_message(conn, "+12095551005", "only bubble")
    b = claim(conn, "w1")
    assert b is not None
    clock.set("2025-11-05T14:41:00")
    return sm, b


def test_mark_sent_while_recovery_runs(
    conn: Conn,
    stale_claim: tuple[int, int],
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """The listener's mark_bubble_sent is not committed when recovery runs: recovery skips (or waits
    for) the locked row; the bubble ends sent, never unknown too."""
    sm, b = stale_claim
    session_a.execute("select mark_bubble_sent(%s, 'w1', 'mr-1')", (b,))  # open

    def recover() -> int:
        count = int(scalar(session_b, "select recover_stale_claims()"))
        session_b.commit()
        return count

    recovered = pool.submit(recover)
    state = blocked_or_done(conn, session_b.info.backend_pid, recovered)
    session_a.commit()
    count = recovered.result(timeout=WAIT_LIMIT_S)

    assert count == 0, f"recovery ({state}) must not touch a bubble that was just sent"
    assert scalar(conn, "select status from messages where id = %s", b) == "sent"
    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == "sent"


def test_recovery_while_mark_sent_runs(
    conn: Conn,
    stale_claim: tuple[int, int],
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """Recovery is not committed (bubble unknown) when the late mark_bubble_sent comes: the mark waits and
    is refused (55000), the bubble stays unknown (a person decides), and it is never re-queued."""
    sm, b = stale_claim
    assert scalar(session_b, "select recover_stale_claims()") == 1  # open

    marked = pool.submit(in_transaction(session_a, ("select mark_bubble_sent(%s, 'w1', 'mr-1')", (b,))))
    state = blocked_or_done(conn, session_a.info.backend_pid, marked)
    session_b.commit()
    result = marked.result(timeout=WAIT_LIMIT_S)

    assert result == "55000", (
        f"the late mark ({state}) must be refused once the bubble is unknown, got {result}"
    )
    assert scalar(conn, "select status from messages where id = %s", b) == "unknown"
    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == "queued"
    assert claim(conn, "w2") is None, "an unknown bubble is never claimed again"
    assert scalar(conn, "select recover_stale_claims()") == 0


def test_restarting_worker_recovery_vs_its_own_late_mark(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """recover_stale_claims('w1') (w1 restarted) against a late mark_bubble_sent from w1's old process,
    started together: exactly one wins — sent, or unknown with the mark refused — never both, never
    queued."""
    sm = queued_message(conn, "+12095551006", "only bubble")
    b = claim(conn, "w1")
    assert b is not None

    session_a.execute("select 1")
    session_b.execute("select 1")
    mark = pool.submit(in_transaction(session_a, ("select mark_bubble_sent(%s, 'w1', 'mr-1')", (b,))))
    recover = pool.submit(in_transaction(session_b, ("select recover_stale_claims('w1')", ())))
    results = {mark.result(timeout=WAIT_LIMIT_S), recover.result(timeout=WAIT_LIMIT_S)}
    status = scalar(conn, "select status from messages where id = %s", b)

    assert status in ("sent", "unknown")
    if status == "unknown":
        assert "55000" in results, "the mark lost, so it was refused"
    assert claim(conn, "w2") is None
    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == (
        "sent" if status == "sent" else "queued"
    )


# --- claim vs claim ----------------------------------------------------------------------------------


def test_two_claims_in_flight_never_share_a_bubble(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """Two listeners claim at once, the first one's transaction still open: the second passes over the
    locked bubble (or waits and then sees it sending); it never gets the same bubble, nor bubble 2 of the
    message whose bubble 1 is with the first listener."""
    sm = queued_message(conn, "+12095551007", "one [BUBBLE] two")
    other = queued_message(conn, "+12095551008", "other")
    first = claim(session_a, "w1")  # open
    assert first == bubble(conn, sm, 1)

    second = pool.submit(lambda: claim(session_b, "w2"))
    state = blocked_or_done(conn, session_b.info.backend_pid, second)
    session_a.commit()
    got = second.result(timeout=WAIT_LIMIT_S)
    session_b.commit()

    assert got == bubble(conn, other, 1), f"the second claim ({state}) takes the next message's bubble"
    rows = conn.execute("select id, worker_id from messages where status = 'sending' order by id").fetchall()
    assert rows == [(first, "w1"), (got, "w2")]
