"""pg_cron really runs the promotion job in the `postgres` database; a clone without pg_cron says so.

Why wait for a real tick: a row in cron.job proves nothing; only cron.job_run_details with a succeeded
run and the row actually queued shows the job's command works under pg_cron's own session settings.
The window is pinned open (all days, all day) for the test and restored afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.integration.db.helpers import Conn, open_window_always

CAMPAIGN = "pg-cron-live-test"


@pytest.fixture
def cron_conn(cron_db_url: str) -> Iterator[Conn]:
    with psycopg.connect(cron_db_url, autocommit=True) as connection:
        saved = connection.execute(
            "select week_days, opens_at, closes_at from public.send_window where id"
        ).fetchone()
        assert saved is not None
        # open_window_always opens the recipients' quiet-hour rules too (this database is shared): keep them
        saved_hours = connection.execute(
            "select rule, iso_days, opens_at, closes_at from public.recipient_rule_hours order by id"
        ).fetchall()
        try:
            yield connection
        finally:
            connection.execute(
                "update public.send_window set week_days = %s, opens_at = %s, closes_at = %s", saved
            )
            connection.execute("delete from public.recipient_rule_hours")
            with connection.cursor() as cursor:
                cursor.executemany(
                    "insert into public.recipient_rule_hours (rule, iso_days, opens_at, closes_at)"
                    " values (%s, %s, %s, %s)",
                    saved_hours,
                )
            # A queued message cannot be deleted (invariant d): cancel it, then delete it with its bubbles.
            connection.execute(
                "update public.scheduled_messages set status = 'cancelled'"
                " where campaign_name = %s and status in ('SCH', 'queued')",
                (CAMPAIGN,),
            )
            connection.execute("delete from public.scheduled_messages where campaign_name = %s", (CAMPAIGN,))
            connection.execute("delete from internal.campaign_pacing where campaign_key = %s", (CAMPAIGN,))


def test_job_is_scheduled_every_minute(cron_conn: Conn) -> None:
    row = cron_conn.execute(
        "select schedule, command, active, database from cron.job where jobname = 'process-scheduled-messages'"
    ).fetchone()
    assert row == ("* * * * *", "select * from process_scheduled_messages_safe()", True, "postgres")


def test_promotion_job_active_is_true_where_pg_cron_runs(cron_conn: Conn) -> None:
    assert cron_conn.execute("select public.promotion_job_active()").fetchone() == (True,)


def test_promotion_job_active_is_false_in_a_database_without_pg_cron(conn: Conn) -> None:
    assert conn.execute("select count(*) from pg_extension where extname = 'pg_cron'").fetchone() == (0,)
    assert conn.execute("select public.promotion_job_active()").fetchone() == (False,)


@pytest.mark.slow
def test_pg_cron_promotes_a_due_row(cron_conn: Conn) -> None:
    open_window_always(cron_conn)
    started = datetime.now(UTC)
    row = cron_conn.execute(
        "insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,"
        " campaign_name) values ('+12095550190', 'Cron Test', 'from [BUBBLE] pg_cron', %s, %s) returning id",
        (started - timedelta(seconds=5), CAMPAIGN),
    ).fetchone()
    assert row is not None
    scheduled_id = row[0]
    deadline = time.monotonic() + 90
    status = None
    runs: list[tuple[object, ...]] = []
    while time.monotonic() < deadline:
        status_row = cron_conn.execute(
            "select status from public.scheduled_messages where id = %s", (scheduled_id,)
        ).fetchone()
        status = status_row[0] if status_row else None
        runs = cron_conn.execute(
            """
            select d.status, d.return_message from cron.job_run_details d
              join cron.job j on j.jobid = d.jobid
             where j.jobname = 'process-scheduled-messages' and d.start_time >= %s and d.status = 'succeeded'
            """,
            (started,),
        ).fetchall()
        if status == "queued" and runs:
            break
        time.sleep(0.5)  # polling a condition with a deadline
    assert status == "queued", f"pg_cron did not promote the row within 90 s (status {status})"
    assert runs, "no succeeded run of process-scheduled-messages in cron.job_run_details"
    bubbles = cron_conn.execute(
        "select content from public.messages where scheduled_message_id = %s order by bubble_index",
        (scheduled_id,),
    ).fetchall()
    assert bubbles == [("from",), ("pg_cron",)]
