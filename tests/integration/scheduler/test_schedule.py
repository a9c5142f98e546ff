"""preview and schedule against the real database: same plan, one transaction, never twice."""

from __future__ import annotations

import threading
import time as monotonic_clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from scheduler import db
from scheduler.planner import Plan, plan_campaign
from scheduler.render import plan_lines
from sms_common.window import SendWindow
from tests.harness import PinnedClock
from tests.integration.scheduler.helpers import Conn, add_approved, message_lines, plan_section, run, statuses

PACIFIC = ZoneInfo("America/Los_Angeles")
NOW = "2025-11-05T14:00:00-08:00"
START = "2025-11-05T14:30:00-08:00"


@pytest.fixture(autouse=True)
def database_clock(clock: PinnedClock) -> PinnedClock:
    """The database's clock is frozen at NOW: `schedule` plans from it and the guards check against it
    (no caller's --now: a write never depends on the caller's clock)."""
    clock.set(NOW)
    return clock


def test_preview_writes_nothing_and_schedule_writes_exactly_the_preview(db_url: str, conn: Conn) -> None:
    add_approved(conn, 150, approved_at=datetime(2025, 11, 1, tzinfo=UTC))
    args = ("--campaign", "autumn", "--start", START, "--seed", "2025")
    preview = run(db_url, "preview", *args)
    assert preview.exit_code == 0, preview.stderr
    assert statuses(conn, "campaign_messages", "autumn") == {"APR": 150}
    assert conn.execute("select count(*) from public.scheduled_messages").fetchone() == (0,)
    assert preview.stdout.splitlines()[-1].startswith("Preview only: nothing was written.")

    scheduled = run(db_url, "schedule", *args, "--yes")
    assert scheduled.exit_code == 0, scheduled.stderr
    assert plan_section(scheduled.stdout) == plan_section(preview.stdout)
    assert scheduled.stdout.splitlines()[-1] == "Scheduled 150 messages (SCH)"
    lines = message_lines(preview.stdout)
    assert len(lines) == 150

    # The rows hold the times the preview showed, in the order it showed them.
    rows = conn.execute(
        """
        select s.campaign_message_id, s.scheduled_for, s.status, s.phone_number, s.message_content, c.status
          from public.scheduled_messages s join public.campaign_messages c on c.id = s.campaign_message_id
         order by s.scheduled_for, s.id
        """
    ).fetchall()
    assert len(rows) == 150
    assert {r[2] for r in rows} == {"SCH"}
    assert {r[5] for r in rows} == {"SCH"}
    for line, row in zip(lines, rows, strict=True):
        assert row[1].astimezone(PACIFIC).strftime("%m/%d %I:%M %p") in line
        assert row[3] in line
    window = db.send_window(conn)
    assert all(window.is_open(r[1]) for r in rows)


def test_the_written_times_are_the_planners(db_url: str, conn: Conn) -> None:
    add_approved(conn, 40)
    window = db.send_window(conn)
    start = datetime(2025, 11, 7, 19, 30, tzinfo=PACIFIC)  # Friday evening: crosses a weekend
    expected: Plan = plan_campaign(db.fetch_approved(conn, "autumn", None), window, start, 7)
    result = run(db_url, "schedule", "-c", "autumn", "--start", start.isoformat(), "--seed", "7", "-y")
    assert result.exit_code == 0, result.stderr
    rows = conn.execute(
        "select campaign_message_id, scheduled_for from public.scheduled_messages order by scheduled_for"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(i.message.id, i.send_at) for i in expected.items]
    assert message_lines(result.stdout) == [line for line in plan_lines(expected) if line.startswith("[")]
    assert "[WINDOW] Send window closed: next message at the next opening, Mon 11/10 09:0" in result.stdout


def test_schedule_twice_schedules_nothing_twice(db_url: str, conn: Conn) -> None:
    add_approved(conn, 20)
    args = ("--campaign", "autumn", "--start", START, "--seed", "1", "--yes")
    assert run(db_url, "schedule", *args).exit_code == 0
    again = run(db_url, "schedule", *args)
    assert again.exit_code == 0
    assert again.stdout.strip() == "No approved (APR) messages to plan."
    assert conn.execute(
        "select count(*), count(distinct campaign_message_id) from public.scheduled_messages"
    ).fetchone() == (20, 20)
    # New approvals later are scheduled on their own, the earlier ones untouched.
    add_approved(conn, 5, campaign="autumn", approved_at=datetime(2025, 11, 6, tzinfo=UTC))
    third = run(db_url, "schedule", *args)
    assert third.stdout.splitlines()[-1] == "Scheduled 5 messages (SCH)"
    assert conn.execute("select count(*) from public.scheduled_messages").fetchone() == (25,)


def test_limit_and_campaign_filter(db_url: str, conn: Conn) -> None:
    add_approved(conn, 10, campaign="autumn")
    add_approved(conn, 10, campaign="winter")
    result = run(
        db_url,
        "schedule",
        "-c",
        "winter",
        "--limit",
        "4",
        "--start",
        START,
        "--seed",
        "3",
        "-y",
    )
    assert result.exit_code == 0
    assert statuses(conn, "campaign_messages", "winter") == {"SCH": 4, "APR": 6}
    assert statuses(conn, "campaign_messages", "autumn") == {"APR": 10}


def test_a_start_long_ago_is_refused_a_moment_ago_is_kept(
    db_url: str, conn: Conn, clock: PinnedClock
) -> None:
    clock.set("2025-11-07T10:00:00-08:00")  # preview (it writes nothing) honours --now over the database's
    add_approved(conn, 3)
    result = run(db_url, "preview", "--start", "2025-11-05T12:59:00-08:00", "--now", NOW)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: --start 2025-11-05T12:59:00-08:00 is more than an hour in the past "
        "(now is Wed 11/05 02:00 PM PST); a plan starts now or later"
    )
    # A few minutes ago (the same command run a little after `preview`) plans from the given start.
    recent = run(db_url, "preview", "--start", "2025-11-05T13:50:00-08:00", "--seed", "1", "--now", NOW)
    assert recent.exit_code == 0
    assert recent.stderr.startswith("note: --start is 10 min in the past;")
    assert "First send: Wed 11/05 01:5" in recent.stdout
    bad = run(db_url, "preview", "--start", "next tuesday", "--now", NOW)
    assert bad.exit_code == 1
    assert "--start 'next tuesday' is not an ISO 8601 date and time" in bad.stderr


def test_a_start_without_offset_is_the_windows_wall_clock(db_url: str, conn: Conn) -> None:
    add_approved(conn, 1)
    result = run(db_url, "preview", "--start", "2025-11-10T09:00", "--seed", "1", "--now", NOW)
    assert result.exit_code == 0
    assert "First send: Mon 11/10 09:0" in result.stdout


def test_schedule_refuses_to_run_unattended_without_yes(db_url: str, conn: Conn) -> None:
    add_approved(conn, 2)
    result = run(db_url, "schedule", "--start", START)
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == "error: schedule writes to the database: pass --yes (no terminal to ask on)"
    )
    assert statuses(conn, "campaign_messages", "autumn") == {"APR": 2}


def test_a_failure_while_writing_leaves_everything_approved(db_url: str, conn: Conn) -> None:
    ids = add_approved(conn, 3000)
    victim = ids[2500]
    conn.execute(
        f"""
        create function test_refuse() returns trigger language plpgsql as $$
        begin
          if new.campaign_message_id = {victim} then
            raise exception 'scheduled_messages: refused row for campaign message %', new.campaign_message_id;
          end if;
          return new;
        end $$;
        create trigger test_refuse before insert on public.scheduled_messages
          for each row execute function test_refuse();
        """
    )
    result = run(db_url, "schedule", "--start", START, "--seed", "5", "-y", "-q")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: scheduling failed, nothing was written: scheduled_messages: refused row for campaign message {victim}"
    )
    assert conn.execute("select count(*) from public.scheduled_messages").fetchone() == (0,)
    assert statuses(conn, "campaign_messages", "autumn") == {"APR": 3000}


def test_concurrent_schedule_runs_never_double_schedule(db_url: str, conn: Conn) -> None:
    add_approved(conn, 200)
    window = db.send_window(conn)
    start = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)
    second_waiting = threading.Event()
    results: dict[str, db.ScheduleResult] = {}
    errors: list[BaseException] = []

    def first() -> None:
        def hold(prepared: db.PreparedPlan) -> bool:
            # The first run holds its row locks until the second run is seen waiting for them.
            assert second_waiting.wait(timeout=30)
            return True

        try:
            with psycopg.connect(db_url, autocommit=True) as c:
                results["first"] = db.schedule(
                    c, "autumn", None, start=start, seed=1, window=window, review=hold
                )
        except BaseException as exc:
            errors.append(exc)

    def second() -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as c:
                results["second"] = db.schedule(c, "autumn", None, start=start, seed=2, window=window)
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    deadline = monotonic_clock.monotonic() + 30
    while conn.execute(
        "select exists (select 1 from pg_locks where relation = 'public.campaign_messages'::regclass "
        "and mode = 'RowShareLock' and granted)"
    ).fetchone() != (True,):
        assert monotonic_clock.monotonic() < deadline, "the first run never locked the rows"
        monotonic_clock.sleep(0.02)
    two = threading.Thread(target=second)
    two.start()
    while conn.execute(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
    ).fetchone() != (1,):
        assert monotonic_clock.monotonic() < deadline, "the second run never waited for the first one's locks"
        monotonic_clock.sleep(0.02)
    second_waiting.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert not errors, errors
    assert results["first"].inserted == 200
    assert results["second"].inserted == 0
    assert results["second"].plan.items == ()
    assert conn.execute(
        "select count(*), count(distinct campaign_message_id) from public.scheduled_messages"
    ).fetchone() == (200, 200)


def reapprove(conn: Conn) -> None:
    conn.execute(
        "update public.campaign_messages set status = 'APR', approved_at = statement_timestamp() where status = 'SUG'"
    )


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
def test_the_plan_follows_the_database_window(db_url: str, conn: Conn, zone: str) -> None:
    conn.execute(
        "update public.send_window set time_zone = %s, opens_at = '10:00', closes_at = '12:00', week_days = '{2,4}'",
        (zone,),
    )
    add_approved(conn, 60)
    if zone == "Europe/Berlin":
        # Californians are never reachable 10:00-12:00 Berlin (01:00-03:00 Pacific): Berlin numbers then.
        conn.execute("update public.campaign_messages set phone_number = '+49151' || right(phone_number, 8)")
        reapprove(conn)  # a changed number goes back to SUG (the state machine): approve it again
    result = run(db_url, "schedule", "--start", START, "--seed", "9", "-y", "-q")
    assert result.exit_code == 0, result.stderr
    window = SendWindow(
        time_zone=zone,
        opens_at=time(10),
        closes_at=time(12),
        week_days=frozenset({2, 4}),
    )
    times = [r[0] for r in conn.execute("select scheduled_for from public.scheduled_messages").fetchall()]
    assert len(times) == 60
    for at in times:
        assert window.is_open(at)
        sql_open = conn.execute("select public.is_business_hours(%s)", (at,)).fetchone()
        assert sql_open == (True,)
    assert f"Send window: 10:00-12:00 {zone}, Tue,Thu" in result.stdout
    assert max(times) - min(times) > timedelta(days=2)


def test_recipients_whose_hours_never_meet_the_window_are_left_out_not_waited_for(
    db_url: str, conn: Conn
) -> None:
    conn.execute(
        "update public.send_window set time_zone = 'Europe/Berlin', opens_at = '10:00', closes_at = '12:00'"
    )
    add_approved(conn, 3)  # Californians: 01:00-03:00 Pacific is never inside 8:00-21:00
    conn.execute(
        "update public.campaign_messages set phone_number = '+4915112345678' where id = (select min(id) from public.campaign_messages)"
    )
    reapprove(conn)
    result = run(db_url, "schedule", "--start", START, "--seed", "9", "-y")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "Scheduled 1 message (SCH)"
    assert any(line.startswith("Unreachable: 2 messages left out of the plan") for line in lines)
    assert sum(1 for line in lines if line.startswith("  [UNREACHABLE] ")) == 2
    assert statuses(conn, "campaign_messages", "autumn") == {"SCH": 1, "APR": 2}


def test_a_failed_message_approved_again_is_rescheduled_on_its_own_row(
    db_url: str, conn: Conn, clock: PinnedClock
) -> None:
    (campaign_id,) = add_approved(conn, 1)
    assert run(db_url, "schedule", "--seed", "1", "--yes").exit_code == 0
    row = conn.execute("select id, scheduled_for from public.scheduled_messages").fetchone()
    assert row is not None
    scheduled_id, first_time = row
    clock.set(first_time)
    assert conn.execute(
        "select processed_count from public.process_scheduled_messages_safe()"
    ).fetchone() == (1,)
    claimed = conn.execute("select id from public.claim_next_bubble('w')").fetchone()
    assert claimed is not None
    conn.execute("select public.mark_bubble_failed(%s, 'w', 'CMS ERROR 500', true)", (claimed[0],))
    assert conn.execute("select status from public.scheduled_messages").fetchone() == ("failed",)
    assert conn.execute("select status from public.campaign_messages").fetchone() == ("failed",)

    # The operator approves it again (failed -> APR) and schedules: the same row comes back as SCH.
    conn.execute("update public.campaign_messages set status = 'APR' where id = %s", (campaign_id,))
    again = run(db_url, "schedule", "--seed", "2", "--yes")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "Scheduled 1 message (SCH)"
    rows = conn.execute("select id, status, error_message from public.scheduled_messages").fetchall()
    assert rows == [(scheduled_id, "SCH", None)]
    assert conn.execute("select status from public.campaign_messages").fetchone() == ("SCH",)
