"""Every SQL snippet of the customer's seed design runs as written and does what the seed says.

Why: the seed is the customer's manual; people will paste these snippets into the Supabase SQL editor.
Snippets that need a row use the seed's own id 123 (inserted with OVERRIDING SYSTEM VALUE), and the
window is pinned open or closed around the real clock, since the snippets call now() themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.harness import PinnedClock
from tests.integration.db.helpers import Conn, open_window_always, status_of

PACIFIC = ZoneInfo("America/Los_Angeles")

BUSINESS_HOURS_STATUS = "SELECT * FROM business_hours_status;"
SCHEDULED_PST = "SELECT * FROM scheduled_messages_pst;"
TRIGGER = "SELECT * FROM process_scheduled_messages_safe();"
WHAT_SENDS_NEXT = """
SELECT
    customer_name,
    phone_number,
    scheduled_for AT TIME ZONE 'America/Los_Angeles' as send_time_pst,
    EXTRACT(EPOCH FROM (scheduled_for - now())) / 60 as minutes_away
FROM scheduled_messages
WHERE status = 'SCH'
ORDER BY scheduled_for
LIMIT 10;
"""
CANCEL_ONE = """
UPDATE scheduled_messages
SET status = 'cancelled'
WHERE id = 123;
"""
PUSH_BACK = """
UPDATE scheduled_messages
SET scheduled_for = scheduled_for + INTERVAL '1 hour'
WHERE id = 123;
"""
CANCEL_ALL = """
UPDATE scheduled_messages
SET status = 'cancelled'
WHERE status = 'SCH';
"""
CHANGE_CONTENT = """
UPDATE scheduled_messages
SET message_content = 'New message content here'
WHERE id = 123;
"""
SENT_TODAY = """
SELECT
    customer_name,
    phone_number,
    sent_at AT TIME ZONE 'America/Los_Angeles' as sent_at_pst
FROM scheduled_messages
WHERE status = 'sent'
AND DATE(sent_at AT TIME ZONE 'America/Los_Angeles') = CURRENT_DATE
ORDER BY sent_at;
"""
IS_BUSINESS_HOURS = "SELECT is_business_hours();"
# Test 2 of the seed inserts through supabase-py; this is the same row through SQL.
TEST_2_INSERT = """
insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status, campaign_name)
values ('+16199773020', 'Test User', 'Test bubble 1\n\n[BUBBLE]\n\nTest bubble 2', %(test_time)s, 'SCH', 'test')
returning id
"""


def _insert_123(conn: Conn, when: datetime, content: str = "Seed row 123") -> None:
    conn.execute(
        """
        insert into scheduled_messages (id, phone_number, customer_name, message_content, scheduled_for, campaign_name)
        overriding system value values (123, '+12097930464', 'Jaquelin Rodriguez', %s, %s, 'seed')
        """,
        (content, when),
    )


def _sent_by_the_listener(conn: Conn, clock: PinnedClock, moment: datetime, phone: str, customer: str) -> int:
    """A scheduled message that really went out at `moment`: inserted as SCH, promoted, claimed and marked
    sent on the database clock pinned at `moment` (a row cannot be inserted as `sent`: only its bubbles'
    follow-up sets that, docs/state-machine.md (c)). The window must be open at `moment`."""
    clock.set(moment)
    row = conn.execute(
        "insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for)"
        " values (%s, %s, 'x', %s) returning id",
        (phone, customer, moment - timedelta(minutes=5)),
    ).fetchone()
    assert row is not None
    conn.execute("select * from process_scheduled_messages_safe()")
    while True:
        claimed = conn.execute("select id from claim_next_bubble('seed-test')").fetchone()
        if claimed is None:
            break
        conn.execute("select mark_bubble_sent(%s, 'seed-test', 'mr')", (claimed[0],))
    assert status_of(conn, int(row[0])) == "sent"
    return int(row[0])


def _close_window_today(conn: Conn) -> None:
    today = datetime.now(UTC).astimezone(PACIFIC).isoweekday()
    other_days = [day for day in range(1, 8) if day != today]
    conn.execute("update send_window set week_days = %s::smallint[]", (other_days,))


def test_business_hours_status_shows_pacific_time(conn: Conn) -> None:
    cur = conn.execute(BUSINESS_HOURS_STATUS)
    assert cur.description is not None
    assert [c.name for c in cur.description] == [
        "is_business_hours",
        "current_pacific_time",
        "current_hour_pst",
        "day_name",
    ]
    rows = cur.fetchall()
    assert len(rows) == 1
    open_now, local_time, hour, day = rows[0]
    expected = datetime.now(UTC).astimezone(PACIFIC)
    assert abs((local_time - expected.replace(tzinfo=None)).total_seconds()) < 5
    assert hour == local_time.hour
    assert day == local_time.strftime("%A")
    weekday_hours = local_time.isoweekday() <= 5 and 9 <= local_time.hour < 20
    assert open_now is weekday_hours


def test_scheduled_messages_pst_lists_sch_rows_in_pacific_time(conn: Conn) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=7, seconds=30)
    _insert_123(conn, soon)
    cur = conn.execute(SCHEDULED_PST)
    assert cur.description is not None
    assert [c.name for c in cur.description] == [
        "customer_name",
        "phone_number",
        "scheduled_for_pst",
        "minutes_until_send",
    ]
    rows = cur.fetchall()
    assert len(rows) == 1
    customer, phone, local, minutes = rows[0]
    assert (customer, phone) == ("Jaquelin Rodriguez", "+12097930464")
    assert abs((local - soon.astimezone(PACIFIC).replace(tzinfo=None)).total_seconds()) <= 1
    assert 7.0 <= float(minutes) <= 7.5


def test_what_sends_next(conn: Conn) -> None:
    now = datetime.now(UTC)
    _insert_123(conn, now + timedelta(minutes=30))
    conn.execute(
        "insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)"
        " values ('+15598819424', 'Sandy Evans', 'hi', %s, 'seed')",
        (now + timedelta(minutes=6),),
    )
    rows = conn.execute(WHAT_SENDS_NEXT).fetchall()
    assert [r[0] for r in rows] == ["Sandy Evans", "Jaquelin Rodriguez"]
    assert 5.9 < float(rows[0][3]) <= 6.0


def test_test2_insert_then_test3_trigger_queues_two_bubbles(conn: Conn) -> None:
    open_window_always(conn)
    # Test 2 schedules 2 minutes ahead: promotion must leave it alone until then.
    not_yet = conn.execute(TEST_2_INSERT, {"test_time": datetime.now(UTC) + timedelta(minutes=2)}).fetchone()
    assert not_yet is not None
    assert conn.execute(TRIGGER).fetchall() == [(0, None, None)]
    assert status_of(conn, not_yet[0]) == "SCH"
    # "Wait 2 minutes, then" run Test 3: instead of waiting, the same row was scheduled 2 minutes ago.
    conn.execute("delete from scheduled_messages where id = %s", (not_yet[0],))
    due = conn.execute(TEST_2_INSERT, {"test_time": datetime.now(UTC) - timedelta(minutes=2)}).fetchone()
    assert due is not None
    assert conn.execute(TRIGGER).fetchall() == [(1, None, None)]  # "Should return: processed_count: 1"
    bubbles = conn.execute(
        "select bubble_index, content, status, phone_number from messages where scheduled_message_id = %s"
        " order by bubble_index",
        (due[0],),
    ).fetchall()
    assert bubbles == [
        (1, "Test bubble 1", "queued", "+16199773020"),
        (2, "Test bubble 2", "queued", "+16199773020"),
    ]  # "you should get 2 separate SMS bubbles"


def test_test4_outside_hours_skips_with_reason(conn: Conn) -> None:
    _close_window_today(conn)
    _insert_123(conn, datetime.now(UTC) - timedelta(minutes=1))
    assert conn.execute(IS_BUSINESS_HOURS).fetchall() == [(False,)]
    [(count, error, reason)] = conn.execute(TRIGGER).fetchall()
    assert count == 0
    assert error is None
    assert reason.startswith("Outside business hours")
    assert "next window opens" in reason
    assert status_of(conn, 123) == "SCH"


def test_cancel_a_scheduled_message(conn: Conn) -> None:
    _insert_123(conn, datetime.now(UTC) + timedelta(hours=1))
    assert conn.execute(CANCEL_ONE).rowcount == 1
    assert status_of(conn, 123) == "cancelled"


def test_push_back_one_hour(conn: Conn) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    _insert_123(conn, when)
    conn.execute(PUSH_BACK)
    row = conn.execute("select scheduled_for from scheduled_messages where id = 123").fetchone()
    assert row is not None
    assert row[0] == when + timedelta(hours=1)


def test_push_back_refused_once_queued(conn: Conn) -> None:
    open_window_always(conn)
    _insert_123(conn, datetime.now(UTC) - timedelta(minutes=1))
    conn.execute(TRIGGER)
    # A state problem (docs/state-machine.md): SQLSTATE 55000, naming the row.
    with pytest.raises(
        psycopg.errors.ObjectNotInPrerequisiteState,
        match="row 123: cannot change scheduled_for while it is queued",
    ):
        conn.execute(PUSH_BACK)


def test_cancel_all_scheduled_leaves_others(conn: Conn, clock: PinnedClock) -> None:
    open_window_always(conn)
    now = datetime.now(UTC).replace(microsecond=0)
    _sent_by_the_listener(conn, clock, now - timedelta(hours=2), "+12095550111", "Old")
    clock.release()
    _insert_123(conn, now + timedelta(hours=1))
    assert conn.execute(CANCEL_ALL).rowcount == 1
    counts: dict[str, int] = dict(
        conn.execute("select status, count(*) from scheduled_messages group by status").fetchall()
    )
    assert counts == {"cancelled": 1, "sent": 1}


def test_change_content(conn: Conn) -> None:
    _insert_123(conn, datetime.now(UTC) + timedelta(hours=1))
    conn.execute(CHANGE_CONTENT)
    row = conn.execute("select message_content from scheduled_messages where id = 123").fetchone()
    assert row == ("New message content here",)


def test_view_messages_sent_today(conn: Conn, clock: PinnedClock) -> None:
    # CURRENT_DATE is the session's date: the snippet is right only when the session runs in Pacific time
    # (see docs/seed-corrections.md); the dashboard view dashboard_today_counts does not depend on it.
    conn.execute("set timezone = 'America/Los_Angeles'")
    open_window_always(conn)
    now = datetime.now(UTC).replace(microsecond=0)
    _sent_by_the_listener(conn, clock, now - timedelta(days=3), "+12095550113", "Sent Long Ago")
    _sent_by_the_listener(conn, clock, now, "+12095550112", "Sent Today")
    rows = conn.execute(SENT_TODAY).fetchall()
    assert [r[0] for r in rows] == ["Sent Today"]
    assert rows[0][2] == now.astimezone(PACIFIC).replace(tzinfo=None)
