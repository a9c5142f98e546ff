"""The listener's functions and DB-A's promotion agree on the whole life of a message, including a
retry: promoted bubbles are claimed in order, a permanent failure fails the message, a person's
reset to SCH re-queues only what did not go out (or what the person edited), and the message ends
`sent` once every bubble is sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.harness import PinnedClock
from tests.integration.listener_sql.rows import Conn


def _schedule(conn: Conn, content: str, at: datetime) -> int:
    row = conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
        values ('+12095550601', 'Retry Test', %s, %s, 'retry') returning id
        """,
        (content, at),
    ).fetchone()
    assert row is not None
    return int(
        row[0],
    )


def _promote(conn: Conn, clock: PinnedClock, at: datetime) -> int:
    clock.set(
        at,
    )
    row = conn.execute("select public.process_scheduled_messages()").fetchone()
    assert row is not None
    return int(
        row[0],
    )


def _claim_and_send(conn: Conn, at: datetime) -> str:
    """Claim the next bubble and mark it sent; returns its text."""
    row = conn.execute("select id, content from public.claim_next_bubble('retry-worker')").fetchone()
    assert row is not None, f"nothing claimable at {at}"
    conn.execute("select public.mark_bubble_sent(%s, 'retry-worker', 'ref')", (row[0],))
    return str(row[1])


def _bubbles(conn: Conn, sm_id: int) -> list[tuple[int, str, str]]:
    """The bubbles of its latest promotion (a retry creates new rows; older ones keep their outcome)."""
    rows = conn.execute(
        "select m.bubble_index, m.content, m.status from public.messages m"
        " join public.scheduled_messages s on s.id = m.scheduled_message_id and m.promotion = s.promotions"
        " where s.id = %s order by m.bubble_index",
        (sm_id,),
    ).fetchall()
    return [(int(i), str(c), str(s)) for i, c, s in rows]


def _status(conn: Conn, sm_id: int) -> tuple[str, str | None]:
    row = conn.execute(
        "select status, error_message from public.scheduled_messages where id = %s", (sm_id,)
    ).fetchone()
    assert row is not None
    return str(row[0]), row[1]


def test_failed_message_reset_to_sch_resends_only_the_unsent_bubbles(conn: Conn, clock: PinnedClock) -> None:
    sm_id = _schedule(conn, "Hello [BUBBLE] the offer [BUBBLE] bye", clock.at - timedelta(minutes=1))
    assert _promote(conn, clock, clock.at) == 1
    assert _claim_and_send(conn, clock.at) == "Hello"
    claimed = conn.execute("select id from public.claim_next_bubble('retry-worker')").fetchone()
    assert claimed is not None
    conn.execute(
        "select public.mark_bubble_failed(%s, 'retry-worker', '+CMS ERROR: 38', true)",
        (claimed[0],),
    )
    assert _status(conn, sm_id)[0] == "failed"
    assert _bubbles(conn, sm_id) == [
        (1, "Hello", "sent"),
        (2, "the offer", "failed"),
        (3, "bye", "cancelled"),
    ]

    clock.advance(minutes=30)
    conn.execute("update public.scheduled_messages set status = 'SCH' where id = %s", (sm_id,))
    assert _bubbles(conn, sm_id)[1][2] == "failed", "nothing is re-queued before promotion"
    assert _promote(conn, clock, clock.at) == 1
    assert _bubbles(conn, sm_id) == [(2, "the offer", "queued"), (3, "bye", "queued")], (
        "the retry's promotion has new rows for the unsent bubbles only"
    )
    assert [_claim_and_send(conn, clock.at), _claim_and_send(conn, clock.at)] == ["the offer", "bye"]
    assert _status(conn, sm_id) == ("sent", None)


def test_an_edited_retry_resends_the_changed_bubble_in_order(conn: Conn, clock: PinnedClock) -> None:
    sm_id = _schedule(conn, "Hi [BUBBLE] old price", clock.at - timedelta(minutes=1))
    assert _promote(conn, clock, clock.at) == 1
    assert _claim_and_send(conn, clock.at) == "Hi"
    claimed = conn.execute("select id from public.claim_next_bubble('retry-worker')").fetchone()
    assert claimed is not None
    conn.execute("select public.mark_bubble_failed(%s, 'retry-worker', 'rejected', true)", (claimed[0],))

    clock.advance(minutes=10)
    conn.execute(
        "update public.scheduled_messages set status = 'SCH', message_content = 'Hi again [BUBBLE] new price'"
        " where id = %s",
        (sm_id,),
    )
    assert _promote(conn, clock, clock.at) == 1
    assert _bubbles(conn, sm_id) == [(1, "Hi again", "queued"), (2, "new price", "queued")]
    assert [_claim_and_send(conn, clock.at), _claim_and_send(conn, clock.at)] == ["Hi again", "new price"]
    assert _status(conn, sm_id)[0] == "sent"
