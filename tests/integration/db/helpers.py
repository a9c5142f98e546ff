"""Small helpers for the database tests: insert scheduled messages and pin the send window.

Why a module: the tests are about promotion, pacing and guards; the row-building noise lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from tests.harness import PinnedClock

Conn = psycopg.Connection[tuple[Any, ...]]


def schedule(
    conn: Conn,
    scheduled_for: datetime,
    *,
    campaign: str | None = "db-tests",
    content: str = "Hello [BUBBLE] there [BUBBLE] friend",
    phone: str = "+12095550100",
    customer: str = "Test Customer",
) -> int:
    """Insert one SCH scheduled message; returns its id."""
    row = conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               status, campaign_name)
        values (%s, %s, %s, %s, 'SCH', %s) returning id
        """,
        (phone, customer, content, scheduled_for, campaign),
    ).fetchone()
    assert row is not None
    return int(row[0])


def schedule_many(conn: Conn, rows: Sequence[tuple[datetime, str | None]]) -> list[int]:
    return [schedule(conn, when, campaign=campaign) for when, campaign in rows]


def open_window_always(conn: Conn) -> None:
    """Every day, all day: for tests that must promote at the real now(). The recipients' quiet-hour rules
    (docs/recipient-windows.md) are opened too, or a test number would wait for 8:00 at its own place."""
    conn.execute(
        "update public.send_window set week_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '24:00'"
    )
    conn.execute(
        "delete from public.recipient_rule_hours h using public.recipient_rule_hours e"
        " where h.rule = e.rule and h.id > e.id"
    )
    conn.execute(
        "update public.recipient_rule_hours set iso_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '24:00'"
    )


def promote(conn: Conn, clock: PinnedClock, at: datetime, batch_limit: int = 50) -> int:
    """Promote as pg_cron would at `at`: the database clock is moved there first (promotion reads no moment)."""
    clock.set(at)
    row = conn.execute("select public.process_scheduled_messages(%s)", (batch_limit,)).fetchone()
    assert row is not None
    return int(row[0])


def status_of(conn: Conn, scheduled_id: int) -> str:
    row = conn.execute(
        "select status from public.scheduled_messages where id = %s", (scheduled_id,)
    ).fetchone()
    assert row is not None, f"scheduled message {scheduled_id} does not exist"
    return str(row[0])


def claim(conn: Conn, worker: str = "w1") -> int | None:
    """Claim the next bubble as a listener would; its id, or None."""
    row = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
    return None if row is None else int(row[0])


def send_next(conn: Conn, worker: str = "w1") -> int:
    """Claim the next bubble and record that the modem accepted it; returns its id."""
    bubble = claim(conn, worker)
    assert bubble is not None, "no bubble was claimable"
    conn.execute("select public.mark_bubble_sent(%s, %s, '1')", (bubble, worker))
    return bubble


def fail_next(conn: Conn, worker: str = "w1", error: str = "+CMS ERROR: 500") -> int:
    """Claim the next bubble and record a permanent refusal; returns its id."""
    bubble = claim(conn, worker)
    assert bubble is not None, "no bubble was claimable"
    conn.execute("select public.mark_bubble_failed(%s, %s, %s, true)", (bubble, worker, error))
    return bubble
