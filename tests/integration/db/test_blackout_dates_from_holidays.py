"""The documented way to fill blackout_dates from the `holidays` package works (docs/recipient-windows.md).

Why: the docs promise a person can paste the helper's output into the SQL editor; this runs that output
against the migrated database and checks that the window functions then skip the holidays.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from sms_common.blackout_dates import insert_sql, main, us_holidays
from tests.integration.db.helpers import Conn

PACIFIC = ZoneInfo("America/Los_Angeles")


def test_california_holidays_of_2026() -> None:
    days = dict(us_holidays("CA", [2026]))
    assert days[date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[date(2026, 12, 25)] == "Christmas Day"
    assert date(2026, 3, 31) in days  # Cesar Chavez Day: California only
    assert date(2026, 3, 31) not in dict(us_holidays(None, [2026]))


def test_printed_sql_fills_the_table_and_closes_the_window(conn: Conn) -> None:
    conn.execute(insert_sql(us_holidays("CA", [2026, 2027])))
    conn.execute(insert_sql(us_holidays("CA", [2026])))  # re-running keeps what is there
    row = conn.execute("select count(*), min(day), max(day) from public.blackout_dates").fetchone()
    assert row is not None
    assert row[0] == len(us_holidays("CA", [2026, 2027]))
    noon = datetime(2026, 11, 26, 12, tzinfo=PACIFIC)  # Thanksgiving, a Thursday
    assert conn.execute("select public.is_business_hours(%s)", (noon,)).fetchone() == (False,)
    assert conn.execute("select public.recipient_window_open('+12095550123', %s)", (noon,)).fetchone() == (
        False,
    )
    opening = conn.execute(
        "select public.recipient_next_window_opening('+12095550123', %s)", (noon,)
    ).fetchone()
    assert opening == (datetime(2026, 11, 30, 9, tzinfo=PACIFIC),)  # Friday is a CA holiday too; then Monday


def test_command_prints_the_statement(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--state", "CA", "2026"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("insert into public.blackout_dates (day, name) values")
    assert "('2026-11-26', 'Thanksgiving Day')" in printed
    assert "('2026-01-01', 'New Year''s Day')" in printed
