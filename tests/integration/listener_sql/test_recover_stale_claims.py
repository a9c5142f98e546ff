"""recover_stale_claims: what a listener calls when it starts (with its own worker id) and what
makes a dead listener's claims visible. A recovered bubble is `unknown`, never queued: the modem
may have sent it, so it must not be sent again without a person deciding."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.harness import PinnedClock
from tests.integration.listener_sql.rows import Conn, bubble_row, queue_message


def _claim(conn: Conn, worker: str, clock: PinnedClock) -> int:
    row = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
    assert row is not None
    assert row[0] is not None
    return int(row[0])


def _recover(conn: Conn, worker: str | None, clock: PinnedClock) -> int:
    row = conn.execute("select public.recover_stale_claims(%s)", (worker,)).fetchone()
    assert row is not None
    return int(row[0])


def test_restart_recovers_own_claims_at_once_and_blocks_the_rest_of_the_message(
    conn: Conn, clock: PinnedClock
) -> None:
    first, second = queue_message(conn, "+12095550501", ["one", "two"])
    (other,) = queue_message(conn, "+12095550502", ["other"])
    assert _claim(conn, "host:/dev/ttyUSB0", clock) == first
    assert _claim(conn, "host:/dev/ttyUSB1", clock) == other
    clock.advance(seconds=20)

    assert _recover(conn, "host:/dev/ttyUSB0", clock) == 1
    row = bubble_row(conn, first)
    assert row["status"] == "unknown"
    assert "host:/dev/ttyUSB0" in row["error_message"]
    assert "restarted" in row["error_message"]
    assert bubble_row(conn, other)["status"] == "sending", "another worker's fresh claim is left alone"
    assert conn.execute("select count(*) from public.claim_next_bubble('host:/dev/ttyUSB0')").fetchone() == (
        0,
    ), "neither the unknown bubble nor the bubble after it is handed out again"
    assert bubble_row(conn, second)["status"] == "queued"
    note = conn.execute(
        "select status, error_message from public.scheduled_messages where id = %s",
        (row["scheduled_message_id"],),
    ).fetchone()
    assert note is not None
    assert note[0] == "queued", "the scheduled message keeps waiting"
    assert "A person must decide" in note[1]


def test_lease_expiry_recovers_anyones_claim(conn: Conn, clock: PinnedClock) -> None:
    (bubble,) = queue_message(conn, "+12095550503", ["only"])
    _claim(conn, "dead-worker", clock)
    clock.advance(minutes=9, seconds=59)
    assert _recover(conn, None, clock) == 0, "inside the 10 minute lease nothing is recovered"
    clock.advance(seconds=1)
    assert _recover(conn, "some-other-worker", clock) == 1
    assert bubble_row(conn, bubble)["status"] == "unknown"
    assert _recover(conn, None, clock) == 0, "recovering again finds nothing"


def test_the_worker_cannot_record_an_outcome_after_recovery(conn: Conn, clock: PinnedClock) -> None:
    (bubble,) = queue_message(conn, "+12095550504", ["late"])
    _claim(conn, "slow", clock)
    clock.advance(minutes=11)
    assert _recover(conn, None, clock) == 1
    expected = re.escape(f"messages row {bubble}: cannot mark sent: it is unknown, not sending")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match=expected):
        conn.execute("select public.mark_bubble_sent(%s, 'slow', '5')", (bubble,))
    assert bubble_row(conn, bubble)["status"] == "unknown", "a person decides, not the late answer"


def test_recovery_skips_a_claim_being_finished_right_now(conn: Conn, db_url: str, clock: PinnedClock) -> None:
    """A row locked by a worker that is recording its outcome is skipped, not waited for."""
    (bubble,) = queue_message(conn, "+12095550505", ["racing"])
    _claim(conn, "w1", clock)
    with psycopg.connect(db_url) as worker:  # one open transaction holding the row lock
        worker.execute("select public.mark_bubble_sent(%s, 'w1', '9')", (bubble,))
        with psycopg.connect(db_url, autocommit=True) as other:
            other.execute("set statement_timeout = '5s'")
            clock.advance(hours=1)
            row = other.execute("select public.recover_stale_claims(null)").fetchone()
            assert row == (0,), "the locked row is skipped (SKIP LOCKED), not blocked on"
        worker.commit()
    assert bubble_row(conn, bubble)["status"] == "sent"
