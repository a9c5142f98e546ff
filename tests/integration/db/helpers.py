"""Small helpers for the database tests: insert scheduled messages and pin the send window.

Why a module: the tests are about promotion, pacing and guards; the row-building noise lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

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
    """Every day, all day: for tests that must promote at the real now()."""
    conn.execute(
        "update public.send_window set week_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '24:00'"
    )


def promote(conn: Conn, at: datetime, batch_limit: int = 50) -> int:
    row = conn.execute("select public.process_scheduled_messages(%s, %s)", (at, batch_limit)).fetchone()
    assert row is not None
    return int(row[0])


def status_of(conn: Conn, scheduled_id: int) -> str:
    row = conn.execute(
        "select status from public.scheduled_messages where id = %s", (scheduled_id,)
    ).fetchone()
    assert row is not None, f"scheduled message {scheduled_id} does not exist"
    return str(row[0])
