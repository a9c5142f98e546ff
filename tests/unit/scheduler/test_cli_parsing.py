"""The CLI's option parsing: shifts for --by, instants for --start/--to/--now, the past-start rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.cli import UsageError, parse_instant, parse_shift, resolve_start
from sms_common.window import SendWindow

WINDOW = SendWindow()


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("1h", timedelta(hours=1)),
        ("90m", timedelta(minutes=90)),
        ("15min", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("-15m", timedelta(minutes=-15)),
        ("+2d", timedelta(days=2)),
        ("1d 2h", timedelta(days=1, hours=2)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_parse_shift(text: str, delta: timedelta) -> None:
    assert parse_shift(text) == delta


@pytest.mark.parametrize("text", ["", "h", "1x", "soon", "1h-2m", "--1h"])
def test_parse_shift_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="is not a shift like 1h, 30m, 1h30m, -15m or 2d"):
        parse_shift(text)


def test_parse_instant_reads_naive_times_in_the_window_zone() -> None:
    assert parse_instant("2025-11-10T09:00", WINDOW, "--start") == datetime(2025, 11, 10, 17, tzinfo=UTC)
    assert parse_instant("2025-07-10T09:00", WINDOW, "--start") == datetime(2025, 7, 10, 16, tzinfo=UTC)
    assert parse_instant("2025-11-10T09:00Z", WINDOW, "--start") == datetime(2025, 11, 10, 9, tzinfo=UTC)
    with pytest.raises(UsageError, match=r"--to 'tomorrow' is not an ISO 8601 date and time"):
        parse_instant("tomorrow", WINDOW, "--to")


def test_resolve_start() -> None:
    now = datetime(2025, 11, 5, 22, tzinfo=UTC)
    assert resolve_start(None, now, WINDOW) == now
    assert resolve_start("2025-11-05T21:30Z", now, WINDOW) == datetime(2025, 11, 5, 21, 30, tzinfo=UTC)
    with pytest.raises(UsageError, match="more than an hour in the past"):
        resolve_start("2025-11-05T20:59Z", now, WINDOW)
