"""Helpers shared by the listener SQL tests: queue messages the way promotion leaves them.

Why a helper: every test needs scheduled messages already promoted (status `queued`) with their
bubbles, and building them by hand in each test would hide what the test is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

Conn = psycopg.Connection[tuple[Any, ...]]


def queue_message(
    conn: Conn, phone: str, bubbles: Sequence[str], *, campaign: str = "listener-sql"
) -> list[int]:
    """One promoted message: a `queued` scheduled_messages row and its bubbles; returns the bubble ids."""
    row = conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               status, campaign_name, queued_at)
        values (%s, 'SQL Test', %s, now(), 'queued', %s, now())
        returning id
        """,
        (phone, " [BUBBLE] ".join(bubbles), campaign),
    ).fetchone()
    assert row is not None
    ids: list[int] = []
    for index, text in enumerate(bubbles, start=1):
        inserted = conn.execute(
            """
            insert into public.messages (scheduled_message_id, bubble_index, bubble_count, phone_number, content)
            values (%s, %s, %s, %s, %s) returning id
            """,
            (row[0], index, len(bubbles), phone, text),
        ).fetchone()
        assert inserted is not None
        ids.append(int(inserted[0]))
    return ids


def bubble_row(conn: Conn, message_id: int) -> dict[str, Any]:
    """The messages row as a dict (column name -> value)."""
    cur = conn.execute("select * from public.messages where id = %s", (message_id,))
    row = cur.fetchone()
    assert row is not None, f"message {message_id} does not exist"
    assert cur.description is not None
    return {column.name: value for column, value in zip(cur.description, row, strict=True)}
