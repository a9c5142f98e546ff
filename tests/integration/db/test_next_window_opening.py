"""next_window_opening() over weekends and both DST changes, against a Python reference.

Why: the scheduler and the skipped_reason rely on it; a wrong answer on a DST Monday would start a
campaign an hour early or late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.integration.db.helpers import Conn

PACIFIC = ZoneInfo("America/Los_Angeles")


def _reference(after: datetime) -> datetime:
    day = after.astimezone(PACIFIC).date()
    for offset in range(9):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.isoweekday() > 5:
            continue
        opening = datetime(candidate_day.year, candidate_day.month, candidate_day.day, 9, tzinfo=PACIFIC)
        if opening > after:
            return opening.astimezone(UTC)
    raise AssertionError(f"no opening after {after}")


def test_cases_by_hand(conn: Conn) -> None:
    cases = {
        # Friday evening (PST) -> Monday 09:00 PST.
        "2025-11-07 20:30:00-08": "2025-11-10 09:00:00-08",
        # Friday before DST starts (Sun 2025-03-09) -> Monday 09:00 PDT.
        "2025-03-07 21:00:00-08": "2025-03-10 09:00:00-07",
        # Friday before DST ends (Sun 2025-11-02) -> Monday 09:00 PST.
        "2025-10-31 21:00:00-07": "2025-11-03 09:00:00-08",
        # Inside the window: the next day's opening (strictly after).
        "2025-11-05 14:30:00-08": "2025-11-06 09:00:00-08",
        # Exactly at the opening: strictly after means tomorrow.
        "2025-11-05 09:00:00-08": "2025-11-06 09:00:00-08",
        # A second before the opening: today.
        "2025-11-05 08:59:59-08": "2025-11-05 09:00:00-08",
        # During the repeated hour of 2025-11-02 (Sunday): Monday.
        "2025-11-02 01:30:00-08": "2025-11-03 09:00:00-08",
    }
    for after, expected in cases.items():
        row = conn.execute(
            "select public.next_window_opening(%s::timestamptz) = %s::timestamptz", (after, expected)
        ).fetchone()
        assert row == (True,), (after, expected)


def test_against_reference_across_dst_weeks(conn: Conn) -> None:
    moments: list[datetime] = []
    for start in (
        datetime(2025, 3, 5, tzinfo=UTC),
        datetime(2025, 10, 29, tzinfo=UTC),
        datetime(2026, 3, 4, tzinfo=UTC),
    ):
        moment = start
        while moment < start + timedelta(days=9):
            moments.append(moment)
            moment += timedelta(minutes=37)
    rows = conn.execute(
        "select t, public.next_window_opening(t) from unnest(%s::timestamptz[]) t order by t", (moments,)
    ).fetchall()
    assert len(rows) == len(moments)
    wrong = [(after, got) for after, got in rows if got != _reference(after)]
    assert wrong == []


def test_window_closing(conn: Conn) -> None:
    cases = {
        # Inside the window on the Monday after DST ends: closes at 20:00 PST.
        "2025-11-03 10:00:00-08": "2025-11-03 20:00:00-08",
        # Inside the window in summer: 20:00 PDT.
        "2025-07-09 19:59:59-07": "2025-07-09 20:00:00-07",
    }
    for at, expected in cases.items():
        row = conn.execute(
            "select public.window_closing(%s::timestamptz) = %s::timestamptz", (at, expected)
        ).fetchone()
        assert row == (True,), at
    for closed in ("2025-11-03 20:00:00-08", "2025-11-08 12:00:00-08", "2025-11-05 08:59:59-08"):
        row = conn.execute("select public.window_closing(%s::timestamptz)", (closed,)).fetchone()
        assert row == (None,), closed
