"""The dashboard views: what sends next (with the moment the window lets it out) and today's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.integration.db.helpers import Conn, open_window_always, schedule

PACIFIC = ZoneInfo("America/Los_Angeles")


def test_next_sends_orders_by_time_and_waits_for_the_window(conn: Conn) -> None:
    # Window open only on a day that is not today (Pacific), so every row waits for the next opening.
    today = datetime.now(UTC).astimezone(PACIFIC).isoweekday()
    other = today % 7 + 1
    conn.execute("update public.send_window set week_days = %s::smallint[]", ([other],))
    now = datetime.now(UTC)
    later = schedule(conn, now + timedelta(hours=2), campaign="next", content="a [BUBBLE] b")
    sooner = schedule(conn, now + timedelta(minutes=10), campaign="next", content="just one")
    rows = conn.execute(
        "select id, bubbles, earliest_release, public.next_window_opening(scheduled_for) from public.dashboard_next_sends"
    ).fetchall()
    assert [r[0] for r in rows] == [sooner, later]
    assert [r[1] for r in rows] == [1, 2]
    for _, _, release, opening in rows:
        assert release == opening
        assert release.astimezone(PACIFIC).isoweekday() == other
        assert release.astimezone(PACIFIC).hour == 9


def test_today_counts_every_status_for_the_local_day(conn: Conn) -> None:
    open_window_always(
        conn
    )  # the business window and the recipients' rules: promotion runs on the real clock
    local_now = datetime.now(UTC).astimezone(PACIFIC)
    start_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    in_today = max(start_of_day + timedelta(seconds=1), local_now - timedelta(minutes=1))
    schedule(conn, in_today, campaign="today-1")
    cancelled = schedule(conn, in_today, campaign="today-2")
    conn.execute("update public.scheduled_messages set status = 'cancelled' where id = %s", (cancelled,))
    schedule(conn, start_of_day - timedelta(minutes=1), campaign="yesterday")
    conn.execute("select public.process_scheduled_messages()")  # on the real clock, just after in_today
    rows = conn.execute(
        "select local_date, status, messages, bubbles from public.dashboard_today_counts"
    ).fetchall()
    assert {r[0] for r in rows} == {local_now.date()}
    counts = {status: (messages, bubbles) for _, status, messages, bubbles in rows}
    assert counts == {"SCH": (0, 0), "queued": (1, 3), "sent": (0, 0), "failed": (0, 0), "cancelled": (1, 0)}
