"""The Python SendWindow agrees with the SQL is_business_hours/next_window_opening/window_closing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sms_common.window import SendWindow, load_send_window
from tests.integration.scheduler.helpers import Conn


def sample_instants() -> list[datetime]:
    rng = random.Random(20251102)  # noqa: S311 - reproducible samples, not security
    instants: list[datetime] = []
    # Every 20 minutes through the US DST weeks of 2025 and 2026 and the EU ones of 2026.
    for start in (
        datetime(2025, 3, 6, tzinfo=UTC),
        datetime(2025, 10, 30, tzinfo=UTC),
        datetime(2026, 3, 5, tzinfo=UTC),
        datetime(2026, 3, 27, tzinfo=UTC),
        datetime(2026, 10, 23, tzinfo=UTC),
        datetime(2026, 10, 29, tzinfo=UTC),
    ):
        instants += [start + timedelta(minutes=20 * k) for k in range(6 * 24 * 3)]
    # Exact boundaries and random instants over two years.
    instants += [datetime(2025, 11, 5, 17, 0, tzinfo=UTC), datetime(2025, 11, 6, 4, 0, tzinfo=UTC)]
    instants += [
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        for _ in range(500)
    ]
    return instants


def compare(conn: Conn, window: SendWindow) -> int:
    instants = sample_instants()
    rows = conn.execute(
        "select t, public.is_business_hours(t), public.next_window_opening(t), public.window_closing(t) "
        "from unnest(%s::timestamptz[]) as t order by t",
        (instants,),
    ).fetchall()
    assert len(rows) == len(instants)
    for at, sql_open, sql_next, sql_closing in rows:
        assert window.is_open(at) is sql_open, at
        assert window.next_opening(at) == sql_next, at
        assert window.closing_time(at) == sql_closing, at
    return sum(1 for r in rows if r[1])


def test_default_window_matches_sql(conn: Conn) -> None:
    window = load_send_window(conn)
    assert window == SendWindow()
    open_count = compare(conn, window)
    assert 0 < open_count < len(sample_instants())


@pytest.mark.parametrize(
    ("zone", "opens", "closes", "days"),
    [
        ("America/New_York", "07:30", "18:15", "{1,3,6}"),
        ("Europe/Berlin", "08:00", "22:00", "{1,2,3,4,5,6,7}"),
        ("America/Los_Angeles", "09:00", "20:00", "{6,7}"),
        # Opening times that do not exist (spring forward) or exist twice (fall back) on DST nights.
        ("America/Los_Angeles", "02:00", "02:45", "{1,2,3,4,5,6,7}"),
        ("America/Los_Angeles", "01:00", "01:45", "{1,2,3,4,5,6,7}"),
    ],
)
def test_an_edited_window_is_read_and_matches_sql(
    conn: Conn, zone: str, opens: str, closes: str, days: str
) -> None:
    conn.execute(
        "update public.send_window set time_zone = %s, opens_at = %s, closes_at = %s, week_days = %s",
        (zone, opens, closes, days),
    )
    window = load_send_window(conn)
    assert window.time_zone == zone
    assert window.opens_at.strftime("%H:%M") == opens
    assert window.week_days == frozenset(int(d) for d in days.strip("{}").split(","))
    compare(conn, window)
