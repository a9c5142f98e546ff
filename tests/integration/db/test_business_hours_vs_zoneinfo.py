"""is_business_hours() agrees with Python's zoneinfo at every quarter hour of 2025-2027.

Why: the send window is the promise "never outside 9-20 Pacific, Monday to Friday"; both DST changes of
each year fall inside the range (the 2 AM hour that does not exist in March, the one that repeats in
November). One SQL call returns all the answers; Python computes its own and compares.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.integration.db.helpers import Conn

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2028, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)


def _sql_answers(conn: Conn) -> list[bool]:
    row = conn.execute(
        """
        select array_agg(public.is_business_hours(t) order by t)
          from generate_series(%s::timestamptz, %s::timestamptz - interval '15 minutes', interval '15 minutes') t
        """,
        (START, END),
    ).fetchone()
    assert row is not None
    return list(row[0])


def _python_answers(zone: str, opens: int, closes: int, days: set[int]) -> list[bool]:
    tz = ZoneInfo(zone)
    answers = []
    moment = START
    while moment < END:
        local = moment.astimezone(tz)
        answers.append(local.isoweekday() in days and opens <= local.hour < closes)
        moment += STEP
    return answers


def test_default_window_matches_zoneinfo(conn: Conn) -> None:
    sql = _sql_answers(conn)
    python = _python_answers("America/Los_Angeles", 9, 20, {1, 2, 3, 4, 5})
    assert len(sql) == len(python) == 3 * 365 * 96
    mismatches = [START + i * STEP for i, (a, b) in enumerate(zip(sql, python, strict=True)) if a != b]
    assert mismatches == []
    assert sum(python) == 3 * 261 * 44  # 261 weekdays a year in 2025-2027, 44 quarter hours a day


def test_edited_window_matches_zoneinfo(conn: Conn) -> None:
    conn.execute(
        "update public.send_window set time_zone = 'America/New_York', opens_at = '08:00', closes_at = '21:00',"
        " week_days = '{6,7}'"
    )
    sql = _sql_answers(conn)
    python = _python_answers("America/New_York", 8, 21, {6, 7})
    mismatches = [START + i * STEP for i, (a, b) in enumerate(zip(sql, python, strict=True)) if a != b]
    assert mismatches == []


def test_dst_days_by_hand(conn: Conn) -> None:
    cases = {
        # Monday after DST starts (2025-03-10): 09:00 PDT is 16:00 UTC.
        "2025-03-10 15:59:59+00": False,
        "2025-03-10 16:00:00+00": True,
        # Monday after DST ends (2025-11-03): 09:00 PST is 17:00 UTC, 20:00 PST is 04:00 UTC next day.
        "2025-11-03 16:59:59+00": False,
        "2025-11-03 17:00:00+00": True,
        "2025-11-04 03:59:59+00": True,
        "2025-11-04 04:00:00+00": False,
        # The seed's "Friday" 2025-11-08 was a Saturday: closed.
        "2025-11-08 22:30:00+00": False,
    }
    for moment, expected in cases.items():
        row = conn.execute("select public.is_business_hours(%s::timestamptz)", (moment,)).fetchone()
        assert row == (expected,), moment
