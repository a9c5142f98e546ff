"""Eight SIMs (listeners) racing on one queue, each on its own connection in its own thread (issue 14).

Proves that sticky routing holds under real concurrency: every recipient is assigned to exactly one SIM
even when several claimers reach their first bubbles at the same moment (the assignment's primary key
decides), every bubble of a message leaves from that SIM, every bubble is claimed once, and a second
campaign to the same recipients goes out from the same SIMs. Checked from the rows the database wrote,
not from the threads' own bookkeeping.
"""

from __future__ import annotations

import threading
from collections import defaultdict

import psycopg

from tests.harness import PinnedClock
from tests.integration.listener_sql.rows import Conn

SIMS = 8
RECIPIENTS = 120
MESSAGES_PER_RECIPIENT = 2
BUBBLES = 2


def _queue_campaign(conn: Conn, campaign: str) -> None:
    """Every recipient gets MESSAGES_PER_RECIPIENT messages of BUBBLES bubbles, promoted now."""
    conn.execute("update public.send_window set catch_up_gap = '0'")
    conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               campaign_name)
        select '+1209555' || lpad(n::text, 4, '0'), 'Race', %s || ' one [BUBBLE] ' || %s || ' two', now(),
               %s || ' ' || k
          from generate_series(1, %s) k, generate_series(1, %s) n
        """,
        (campaign, campaign, campaign, MESSAGES_PER_RECIPIENT, RECIPIENTS),
    )
    conn.execute("select public.process_scheduled_messages(100000)")


def _race(db_url: str) -> dict[str, list[int]]:
    """SIMS claimer threads until the queue is empty; the bubble ids each worker claimed."""
    claimed: dict[str, list[int]] = defaultdict(list)
    errors: list[BaseException] = []
    barrier = threading.Barrier(SIMS)

    def claimer(worker: str) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as own:
                barrier.wait(timeout=30)
                idle = 0
                while idle < 3:
                    row = own.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
                    if row is None or row[0] is None:
                        # Nothing for this SIM right now: another SIM may hold the bubble before ours.
                        left = own.execute(
                            "select count(*) from public.messages where status in ('queued', 'sending')"
                        ).fetchone()
                        idle = idle + 1 if left == (0,) else 0
                        continue
                    claimed[worker].append(int(row[0]))
                    own.execute("select public.mark_bubble_sent(%s, %s, 'r')", (row[0], worker))
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"sim-{k}",)) for k in range(SIMS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a claimer did not finish within 180 s"
    assert errors == [], f"claimers raised: {errors!r}"
    return claimed


def test_racing_sims_serve_each_recipient_from_one_sim_across_campaigns(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    for k in range(SIMS):
        conn.execute(
            "select public.register_sender(%s, %s, null, null, '{}'::jsonb)",
            (f"sim-{k}", f"31026000000{k:04d}"),
        )
    _queue_campaign(conn, "autumn")
    first = _race(db_url)
    every = [bubble for ids in first.values() for bubble in ids]
    assert len(every) == len(set(every)), "no bubble was claimed twice"
    assert len(every) == RECIPIENTS * MESSAGES_PER_RECIPIENT * BUBBLES, "the whole queue was sent"
    assert sum(1 for ids in first.values() if ids) >= 2, "the race needs at least two SIMs winning bubbles"

    two_sims = conn.execute(
        "select phone_number, array_agg(distinct sender_id) from public.messages"
        " group by phone_number having count(distinct sender_id) <> 1"
    ).fetchall()
    assert two_sims == [], f"recipients served by two SIMs (or none): {two_sims}"
    off_route = conn.execute(
        "select count(*) from public.messages m join public.recipient_senders a using (phone_number)"
        " where m.sender_id <> a.sender_id"
    ).fetchone()
    assert off_route == (0,), "every bubble left from its recipient's assigned SIM"
    worker_vs_sim = conn.execute(
        "select count(*) from public.messages m join public.senders s on s.id = m.sender_id"
        " where m.worker_id <> s.worker_id"
    ).fetchone()
    assert worker_vs_sim == (0,), "each bubble's SIM is the one its claiming worker uses"
    moves = conn.execute("select kind, count(*) from public.recipient_sender_moves group by kind").fetchall()
    assert moves == [("first", RECIPIENTS)], f"one first assignment per recipient, no move: {moves}"
    before: dict[object, object] = dict(
        conn.execute("select phone_number, sender_id from public.recipient_senders").fetchall()
    )

    clock.advance(days=7)  # a week later: the listeners beat again, a second campaign to the same people
    for k in range(SIMS):
        conn.execute("select public.record_listener_heartbeat(%s, '{}'::jsonb, null)", (f"sim-{k}",))
    _queue_campaign(conn, "winter")
    _race(db_url)
    second: dict[object, object] = dict(
        conn.execute(
            "select m.phone_number, min(m.sender_id) from public.messages m"
            " join public.scheduled_messages s on s.id = m.scheduled_message_id"
            " where s.campaign_name like 'winter%' group by m.phone_number having count(distinct m.sender_id) = 1"
        ).fetchall()
    )
    assert second == before, "the second campaign went out from the same SIM to every recipient"
