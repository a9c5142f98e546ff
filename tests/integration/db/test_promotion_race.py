"""Concurrent promotions (pg_cron, the listener fallback and a person at once) never promote a row twice.

Why threads on separate connections: only real concurrent transactions exercise FOR UPDATE SKIP LOCKED
and the per-campaign advisory lock; a barrier starts the callers together, round after round.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg

from tests.harness import PinnedClock
from tests.integration.db.helpers import Conn

AT = datetime(2025, 11, 5, 22, 30, tzinfo=UTC)  # Wednesday 14:30 Pacific: the database clock in these tests


def _race(db_url: str, callers: int, rounds: int, batch_limit: int) -> list[int]:
    barrier = threading.Barrier(callers)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as connection:
                for _ in range(rounds):
                    barrier.wait(timeout=30)
                    row = connection.execute(
                        "select public.process_scheduled_messages(%s)", (batch_limit,)
                    ).fetchone()
                    assert row is not None
                    with lock:
                        results.append(int(row[0]))
        except BaseException as exc:  # re-raised in the main thread below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_three_concurrent_promotions_promote_each_row_once(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    clock.set(AT)
    conn.execute("update public.send_window set catch_up_gap = '0'")
    conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
        select '+1209555' || lpad(g::text, 4, '0'), 'Race ' || g, 'one [BUBBLE] two [BUBBLE] three',
               %s - make_interval(secs => g), 'race-' || (g %% 7)
          from generate_series(1, 600) g
        """,
        (AT,),
    )
    results = _race(db_url, callers=3, rounds=10, batch_limit=40)
    assert sum(results) == 600, results
    rows = conn.execute(
        """
        select s.status, count(*), min(b.n), max(b.n)
          from public.scheduled_messages s
          join lateral (select count(*) n from public.messages m where m.scheduled_message_id = s.id) b on true
         group by s.status
        """
    ).fetchall()
    assert rows == [("queued", 600, 3, 3)]


def test_concurrent_promotions_respect_one_campaigns_pacing(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    clock.set(AT)
    conn.execute("update public.send_window set catch_up_gap = '4 minutes'")
    conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
        select '+1559555' || lpad(g::text, 4, '0'), 'Pushed ' || g, 'hello', %s, 'pushed-together'
          from generate_series(1, 50) g
        """,
        (AT - timedelta(minutes=10),),
    )
    results = _race(db_url, callers=4, rounds=5, batch_limit=50)
    assert sum(results) == 1, "one campaign's backlog released more than one message in the same minute"
    queued = conn.execute("select count(*) from public.scheduled_messages where status = 'queued'").fetchone()
    assert queued == (1,)


def test_a_row_locked_by_another_caller_is_skipped_not_waited_for(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    clock.run_from(AT)  # running, so that the lock_timeout below can fire
    conn.execute("update public.send_window set catch_up_gap = '0'")
    locked = conn.execute(
        "insert into public.scheduled_messages (phone_number, message_content, scheduled_for, campaign_name)"
        " values ('+12095550180', 'locked', %s, 'lock-a') returning id",
        (AT - timedelta(minutes=1),),
    ).fetchone()
    free = conn.execute(
        "insert into public.scheduled_messages (phone_number, message_content, scheduled_for, campaign_name)"
        " values ('+12095550181', 'free', %s, 'lock-b') returning id",
        (AT - timedelta(minutes=1),),
    ).fetchone()
    assert locked is not None
    assert free is not None
    with psycopg.connect(db_url) as holder:  # a transaction that holds the row lock
        holder.execute("select 1 from public.scheduled_messages where id = %s for update", (locked[0],))
        conn.execute("set lock_timeout = '2s'")  # waiting instead of skipping would fail here
        assert conn.execute("select public.process_scheduled_messages()").fetchone() == (1,)
        statuses: dict[int, str] = dict(
            conn.execute("select id, status from public.scheduled_messages").fetchall()
        )
        assert statuses == {locked[0]: "SCH", free[0]: "queued"}
        holder.rollback()
    assert conn.execute("select public.process_scheduled_messages()").fetchone() == (1,)
    row = conn.execute("select status from public.scheduled_messages where id = %s", (locked[0],)).fetchone()
    assert row == ("queued",)
