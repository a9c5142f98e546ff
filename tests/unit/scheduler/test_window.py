"""SendWindow: the Python twin of is_business_hours()/next_window_opening() (defaults = the SQL defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from sms_common.window import SendWindow, SendWindowError
from tests.unit.scheduler.strategies import instants, windows

PACIFIC = ZoneInfo("America/Los_Angeles")
WINDOW = SendWindow()


def pt(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PACIFIC)


def test_defaults_are_the_sql_defaults() -> None:
    assert WINDOW.time_zone == "America/Los_Angeles"
    assert (WINDOW.opens_at, WINDOW.closes_at) == (time(9), time(20))
    assert WINDOW.week_days == frozenset({1, 2, 3, 4, 5})
    assert WINDOW.catch_up_gap == timedelta(minutes=4)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (pt(2025, 11, 5, 8, 59, 59), False),
        (pt(2025, 11, 5, 9, 0), True),
        (pt(2025, 11, 5, 14, 30), True),
        (pt(2025, 11, 5, 19, 59, 59), True),
        (pt(2025, 11, 5, 20, 0), False),
        (pt(2025, 11, 8, 14, 30), False),  # the seed's "Friday" 2025-11-08 is a Saturday
        (pt(2025, 11, 9, 10, 0), False),  # Sunday
        (pt(2025, 11, 10, 9, 0), True),  # Monday
    ],
)
def test_is_open_boundaries(moment: datetime, expected: bool) -> None:
    assert WINDOW.is_open(moment) is expected
    assert WINDOW.is_open(moment.astimezone(UTC)) is expected


def test_next_opening_is_strictly_after() -> None:
    assert WINDOW.next_opening(pt(2025, 11, 5, 8, 0)) == pt(2025, 11, 5, 9, 0)
    assert WINDOW.next_opening(pt(2025, 11, 5, 9, 0)) == pt(2025, 11, 6, 9, 0)
    assert WINDOW.next_opening(pt(2025, 11, 7, 20, 5)) == pt(2025, 11, 10, 9, 0)  # Friday night -> Monday


def test_dst_openings_use_the_local_offset() -> None:
    # Spring forward (Sunday 2025-03-09): Friday's opening is 17:00 UTC, Monday's 16:00 UTC.
    assert WINDOW.next_opening(pt(2025, 3, 6, 21, 0)) == datetime(2025, 3, 7, 17, tzinfo=UTC)
    assert WINDOW.next_opening(pt(2025, 3, 7, 21, 0)) == datetime(2025, 3, 10, 16, tzinfo=UTC)
    # Fall back (Sunday 2025-11-02): Friday 16:00 UTC, Monday 17:00 UTC.
    assert WINDOW.next_opening(pt(2025, 10, 30, 21, 0)) == datetime(2025, 10, 31, 16, tzinfo=UTC)
    assert WINDOW.next_opening(pt(2025, 10, 31, 21, 0)) == datetime(2025, 11, 3, 17, tzinfo=UTC)
    assert WINDOW.closing_time(pt(2025, 3, 10, 12, 0)) == datetime(2025, 3, 11, 3, tzinfo=UTC)


def test_closing_time() -> None:
    assert WINDOW.closing_time(pt(2025, 11, 5, 14, 30)) == pt(2025, 11, 5, 20, 0)
    assert WINDOW.closing_time(pt(2025, 11, 5, 21, 0)) is None


@given(window=windows(), moment=instants)
def test_next_opening_properties(window: SendWindow, moment: datetime) -> None:
    opening = window.next_opening(moment)
    assert opening > moment
    assert window.is_open(opening)
    assert not window.is_open(opening - timedelta(seconds=1))
    # Nothing opens in between: every whole hour between is either open (inside an earlier window) or not an opening.
    local = window.local(opening)
    assert local.time().replace(tzinfo=None) == window.opens_at
    assert local.isoweekday() in window.week_days


@given(window=windows(), moment=instants)
def test_closing_time_properties(window: SendWindow, moment: datetime) -> None:
    closing = window.closing_time(moment)
    if closing is None:
        assert not window.is_open(moment)
    else:
        assert closing > moment
        assert window.is_open(closing - timedelta(seconds=1))
        assert not window.is_open(closing)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "not a known IANA zone"),
        ({"opens_at": time(20), "closes_at": time(9)}, "the opening must be earlier"),
        ({"week_days": frozenset({0, 1})}, "ISO days 1 (Mon) .. 7 (Sun)"),
        ({"week_days": frozenset()}, "ISO days"),
    ],
)
def test_invalid_windows_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SendWindowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SendWindow(**kwargs)  # type: ignore[arg-type]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(SendWindowError, match="naive"):
        WINDOW.is_open(datetime(2025, 11, 5, 12))  # noqa: DTZ001 - the point of the test
