"""Helpers shared by the listener SQL tests: queue messages the way promotion leaves them.

Why a helper: every test needs scheduled messages already promoted (status `queued`) with their
bubbles; only promotion may create bubbles, so the helper promotes on the (pinned) database clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

Conn = psycopg.Connection[tuple[Any, ...]]


def queue_message(
    conn: Conn, phone: str, bubbles: Sequence[str], *, campaign: str = "listener-sql"
) -> list[int]:
    """One promoted message, made as in production (a due SCH row, then promotion creates its bubbles);
    returns the bubble ids in order. Pacing is turned off so that several messages are all due."""
    conn.execute("update public.send_window set catch_up_gap = '0' where catch_up_gap <> '0'")
    row = conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               campaign_name)
        values (%s, 'SQL Test', %s, now(), %s)
        returning id
        """,
        (phone, " [BUBBLE] ".join(bubbles), campaign),
    ).fetchone()
    assert row is not None
    conn.execute("select public.process_scheduled_messages()")
    found = conn.execute(
        "select m.id from public.messages m join public.scheduled_messages s on s.id = m.scheduled_message_id"
        " where s.id = %s and s.status = 'queued' order by m.promotion, m.bubble_index",
        (row[0],),
    ).fetchall()
    assert len(found) == len(bubbles), f"scheduled message {row[0]} was not promoted"
    return [int(r[0]) for r in found]


def bubble_row(conn: Conn, message_id: int) -> dict[str, Any]:
    """The messages row as a dict (column name -> value)."""
    cur = conn.execute("select * from public.messages where id = %s", (message_id,))
    row = cur.fetchone()
    assert row is not None, f"message {message_id} does not exist"
    assert cur.description is not None
    return {column.name: value for column, value in zip(cur.description, row, strict=True)}
