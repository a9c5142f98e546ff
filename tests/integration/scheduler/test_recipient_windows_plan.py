"""preview and schedule against the real recipient windows (issue 13): a mixed campaign of numbers in
New York (212), Florida (305), California (415), Hawaii (808) and Arizona (602) gets every recipient
inside the effective window the SQL function computes, preview == schedule, the spacing kept."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler import db
from scheduler.planner import GAP_MIN, RecipientWindows, plan_campaign
from tests.harness import PinnedClock
from tests.integration.scheduler.helpers import Conn, message_lines, plan_section, run, statuses

PACIFIC = ZoneInfo("America/Los_Angeles")
AREAS = ("212", "305", "415", "808", "602")
NOW = "2025-11-05T14:00:00-08:00"


@pytest.fixture(autouse=True)
def database_clock(clock: PinnedClock) -> PinnedClock:
    clock.set(NOW)
    return clock


def add_mixed(conn: Conn, count: int, *, campaign: str = "zones") -> None:
    """`count` APR messages, the five areas in turn, distinct numbers, approved in id order."""
    for n in range(count):
        area = AREAS[n % len(AREAS)]
        conn.execute(
            "insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content, "
            "status, approved_at) values (%s, %s, %s, %s, 'APR', %s)",
            (
                campaign,
                f"Customer {n}",
                f"+1{area}555{n % 10000:04d}",
                f"Hello {n}[BUBBLE]second part" if n % 2 else f"Hello {n}",
                datetime(2025, 11, 1, tzinfo=UTC) + timedelta(seconds=n),
            ),
        )


def sql_windows(conn: Conn, numbers: list[str], since: datetime, until: datetime) -> RecipientWindows:
    rows = conn.execute(
        "select phone_number, time_zones, rule, opens_at, closes_at from public.recipient_windows(%s, %s, %s)",
        (numbers, since, until),
    ).fetchall()
    return RecipientWindows.from_rows(since, until, rows)


def rule_of(conn: Conn, number: str) -> str:
    row = conn.execute("select rule from public.recipient_profile(%s)", (number,)).fetchone()
    assert row is not None
    return str(row[0])


def test_a_mixed_campaign_at_1830_pacific(db_url: str, conn: Conn) -> None:
    add_mixed(conn, 60)
    args = ("--campaign", "zones", "--start", "2025-11-05T18:30:00-08:00", "--seed", "13")
    preview = run(db_url, "preview", *args)
    assert preview.exit_code == 0, preview.stderr
    scheduled = run(db_url, "schedule", *args, "--yes")
    assert scheduled.exit_code == 0, scheduled.stderr
    assert plan_section(scheduled.stdout) == plan_section(preview.stdout)  # the chart too
    assert statuses(conn, "campaign_messages", "zones") == {"SCH": 60}

    rows = conn.execute(
        "select phone_number, scheduled_for, public.recipient_window_open(phone_number, scheduled_for) "
        "from public.scheduled_messages order by scheduled_for, id"
    ).fetchall()
    assert len(rows) == 60
    assert all(open_ for _, _, open_ in rows), [r for r in rows if not r[2]]
    windows = sql_windows(
        conn, [r[0] for r in rows], rows[0][1] - timedelta(days=1), rows[-1][1] + timedelta(days=1)
    )
    assert all(windows.of(number).is_open(at) for number, at, _ in rows)
    for (_, before, _), (_, after, _) in itertools.pairwise(rows):
        assert after - before >= GAP_MIN
    # While New York and Florida are closed (after 18:00 and 17:00 Pacific), the modem goes on with
    # California, Hawaii and Arizona; New York and Florida get theirs from Thursday.
    evening = [number for number, at, _ in rows if at < datetime(2025, 11, 5, 20, tzinfo=PACIFIC)]
    assert evening
    assert {number[:5] for number in evening} <= {"+1415", "+1808", "+1602"}
    # The preview's lines are the rows, in order.
    lines = message_lines(preview.stdout)
    for line, (number, at, _) in zip(lines, rows, strict=True):
        assert number in line
        assert at.astimezone(PACIFIC).strftime("%m/%d %I:%M %p") in line

    out = preview.stdout.splitlines()
    zones = out[out.index(next(line for line in out if line.startswith("Recipients per time zone"))) + 1 :][
        :4
    ]
    assert [line.split()[0] for line in zones] == [
        "America/New_York",
        "America/Los_Angeles",
        "America/Phoenix",
        "Pacific/Honolulu",
    ]
    assert "  24 recipients" in zones[0]
    assert any(line.startswith("Moved: ") for line in out)
    new_york = f"New York closes 21:00 EST = 18:00 PST ({rule_of(conn, '+12125550000')})"
    florida = f"Florida closes 20:00 EST = 17:00 PST ({rule_of(conn, '+13055550001')})"
    assert any(line.strip().endswith(new_york) for line in out), new_york
    assert any(line.strip().endswith(florida) for line in out), florida
    assert any(line.startswith("    [MOVED] New York closes 21:00 EST") for line in out)
    # The chart: a row per day, a row per recipient window, the hours of Pacific time.
    assert "Sends per hour, America/Los_Angeles hours (PST)" in out
    assert any(line.startswith("Wed 11/05 all: ") for line in out)
    assert any(line.startswith("Thu 11/06 all: ") for line in out)
    assert any(line[10:].startswith("HST ") and "░" in line for line in out)
    assert all(len(line) <= 100 for line in out if "░" in line)


def test_hawaii_waits_for_8_hst_at_0905_pacific(db_url: str, conn: Conn) -> None:
    add_mixed(conn, 25)
    # Thursday 09:05 Pacific (the clock is Wednesday 14:00: a start in the future).
    result = run(
        db_url, "schedule", "-c", "zones", "--start", "2025-11-06T09:05:00-08:00", "--seed", "3", "-y"
    )
    assert result.exit_code == 0, result.stderr
    rows = conn.execute("select phone_number, scheduled_for from public.scheduled_messages").fetchall()
    hawaii = [at for number, at in rows if number.startswith("+1808")]
    assert min(hawaii) >= datetime(2025, 11, 6, 10, tzinfo=PACIFIC)
    assert min(at for _, at in rows) < datetime(2025, 11, 6, 9, 8, tzinfo=PACIFIC)  # the others did not wait
    assert "Hawaii opens 8:00 HST = 10:00 PST" in result.stdout


def test_a_long_campaign_grows_the_horizon_and_plans_as_with_every_window_at_once(conn: Conn) -> None:
    add_mixed(conn, 900)  # about two weeks: beyond the first call's 8 days
    window = db.send_window(conn)
    start = datetime(2025, 11, 5, 9, tzinfo=PACIFIC)
    messages = db.fetch_approved(conn, "zones", None)
    prepared = db.prepare_plan(conn, messages, start=start, seed=21, window=window)
    plan = prepared.plan
    assert len(plan.items) == 900
    assert plan.recipients is not None
    assert plan.recipients.until - start > timedelta(days=db.FIRST_HORIZON_DAYS)
    # The same plan as with every number's windows over the whole range, asked in one call.
    everything = sql_windows(
        conn, sorted({m.phone_number for m in messages}), start, start + timedelta(days=60)
    )
    direct = plan_campaign(messages, window, start, 21, everything)
    assert [(i.message.id, i.send_at) for i in plan.items] == [
        (i.message.id, i.send_at) for i in direct.items
    ]
    assert all(everything.of(i.message.phone_number).is_open(i.send_at) for i in plan.items)


def test_a_blackout_date_is_skipped_and_named(db_url: str, conn: Conn) -> None:
    add_mixed(conn, 200)  # Wednesday to Friday, across Thanksgiving
    conn.execute("insert into public.blackout_dates (day, name) values ('2025-11-27', 'Thanksgiving')")
    result = run(db_url, "preview", "-c", "zones", "--start", "2025-11-26T16:00:00-08:00", "--seed", "8")
    assert result.exit_code == 0, result.stderr
    assert not any("| 11/27 " in line for line in message_lines(result.stdout))
    assert any(
        line.strip().endswith("holiday Thu 11/27 (Thanksgiving)") for line in result.stdout.splitlines()
    )
    assert not any(line.startswith("Thu 11/27") for line in result.stdout.splitlines())  # not in the chart
