"""Transient failures back off exponentially from send_window.retry_base and give up after
send_window.max_attempts: the listener relies on these exact retry times (it sleeps until
next_bubble_due_at) and on the final failure reaching the scheduled message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.harness import PinnedClock
from tests.integration.listener_sql.rows import Conn, bubble_row, queue_message


def _fail_once(conn: Conn, worker: str, clock: PinnedClock, error: str) -> dict[str, object]:
    claimed = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
    assert claimed is not None, f"nothing claimable at {clock.at}"
    assert claimed[0] is not None, f"nothing claimable at {clock.at}"
    row = conn.execute(
        "select id, status, attempts, next_attempt_at, error_message"
        " from public.mark_bubble_failed(%s, %s, %s, false)",
        (claimed[0], worker, error),
    ).fetchone()
    assert row is not None
    return dict(zip(("id", "status", "attempts", "next_attempt_at", "error_message"), row, strict=True))


def test_default_backoff_is_15_30_60_120_seconds_then_gives_up(conn: Conn, clock: PinnedClock) -> None:
    first, second = queue_message(conn, "+12095550301", ["one", "two"])
    delays: list[timedelta] = []
    for attempt in range(1, 5):
        outcome = _fail_once(conn, "w1", clock, "+CMS ERROR: 42")
        assert outcome["status"] == "queued"
        assert outcome["attempts"] == attempt
        next_at = outcome["next_attempt_at"]
        assert next_at is not None
        delays.append(next_at - clock.at)  # type: ignore[operator]
        clock.advance(seconds=1)
        nothing = conn.execute("select count(*) from public.claim_next_bubble('w1')").fetchone()
        assert nothing == (0,), "the bubble is not claimable before its retry time"
        due = conn.execute("select public.next_bubble_due_at()").fetchone()
        assert due == (next_at,), "next_bubble_due_at reports the retry time"
        clock.set(next_at)  # type: ignore[arg-type]
    assert delays == [timedelta(seconds=s) for s in (15, 30, 60, 120)]

    final = _fail_once(conn, "w1", clock, "+CMS ERROR: 42")
    assert final["status"] == "failed"
    assert final["next_attempt_at"] is None
    assert final["error_message"] == "gave up after 5 attempts: +CMS ERROR: 42"
    assert bubble_row(conn, second)["status"] == "cancelled"
    scheduled = conn.execute(
        "select sm.status, sm.error_message from public.scheduled_messages sm"
        " join public.messages m on m.scheduled_message_id = sm.id where m.id = %s",
        (first,),
    ).fetchone()
    assert scheduled == (
        "failed",
        f"bubble 1 of 2 (messages row {first}) failed: gave up after 5 attempts: +CMS ERROR: 42",
    )


@pytest.mark.parametrize(
    ("retry_base", "max_attempts", "expected"),
    [
        ("1 minute", 8, [1, 2, 4, 8, 10, 10, 10]),
        ("10 seconds", 3, [10 / 60, 20 / 60]),
    ],
)
def test_backoff_follows_the_send_window_settings(
    conn: Conn, clock: PinnedClock, retry_base: str, max_attempts: int, expected: list[float]
) -> None:
    conn.execute(
        "update public.send_window set retry_base = %s::interval, max_attempts = %s",
        (retry_base, max_attempts),
    )
    queue_message(conn, "+12095550302", ["only"])
    delays: list[timedelta] = []
    for _ in range(max_attempts - 1):
        outcome = _fail_once(conn, "w1", clock, "busy")
        next_at = outcome["next_attempt_at"]
        assert next_at is not None
        delays.append(next_at - clock.at)  # type: ignore[operator]
        clock.set(next_at)  # type: ignore[arg-type]
    assert delays == [timedelta(minutes=m) for m in expected], (
        "doubling from retry_base, capped at 10 minutes"
    )
    assert _fail_once(conn, "w1", clock, "busy")["status"] == "failed", f"attempt {max_attempts} is the last"
