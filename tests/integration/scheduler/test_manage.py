"""status, cancel and reschedule: the seed's management SQL as commands, the database guards' words shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.harness import PinnedClock
from tests.integration.scheduler.helpers import Conn, add_approved, run, statuses


def schedule_three(db_url: str, conn: Conn) -> list[tuple[int, datetime]]:
    """Three SCH messages planned from the database's now (the clock fixture's, inside the window)."""
    add_approved(conn, 3)
    result = run(db_url, "schedule", "--campaign", "autumn", "--seed", "4", "--yes")
    assert result.exit_code == 0, result.stderr
    rows = conn.execute(
        "select id, scheduled_for from public.scheduled_messages order by scheduled_for"
    ).fetchall()
    assert len(rows) == 3
    return [(int(r[0]), r[1]) for r in rows]


def promote_due(conn: Conn, clock: PinnedClock, when: datetime) -> None:
    """The database clock at `when`, then the cron job's promotion: the messages due by then are queued."""
    clock.set(when)
    row = conn.execute(
        "select processed_count, error_message from public.process_scheduled_messages_safe()"
    ).fetchone()
    assert row is not None
    assert row[1] is None, row
    assert row[0] >= 1, row


def send_everything(conn: Conn, clock: PinnedClock, when: datetime) -> None:
    """Promote what is due at `when` and let a worker send every bubble through the listener API."""
    promote_due(conn, clock, when)
    while True:
        claimed = conn.execute("select id from public.claim_next_bubble('test-worker')").fetchone()
        if claimed is None:
            break
        conn.execute("select public.mark_bubble_sent(%s, 'test-worker', 'ref')", (claimed[0],))


def test_reschedule_by_and_to(db_url: str, conn: Conn, clock: PinnedClock) -> None:
    (first, when), _, _ = schedule_three(db_url, conn)
    moved = run(db_url, "reschedule", "--id", str(first), "--by", "1h")
    assert moved.exit_code == 0, moved.stderr
    assert moved.stdout.startswith(f"Rescheduled message {first}: ")
    row = conn.execute(
        "select scheduled_for from public.scheduled_messages where id = %s", (first,)
    ).fetchone()
    assert row == (when + timedelta(hours=1),)

    target = (when + timedelta(days=1)).isoformat()
    to = run(db_url, "reschedule", "--id", str(first), "--to", target)
    assert to.exit_code == 0, to.stderr
    row = conn.execute(
        "select scheduled_for from public.scheduled_messages where id = %s", (first,)
    ).fetchone()
    assert row == (when + timedelta(days=1),)

    back = run(db_url, "reschedule", "--id", str(first), "--by", "-1d")
    assert back.exit_code == 0
    assert conn.execute(
        "select scheduled_for from public.scheduled_messages where id = %s", (first,)
    ).fetchone() == (when,)


def test_reschedule_errors_are_the_database_guards(db_url: str, conn: Conn, clock: PinnedClock) -> None:
    (first, when), (second, _), _ = schedule_three(db_url, conn)
    past = run(db_url, "reschedule", "--id", str(second), "--to", "2020-01-06T10:00:00-08:00")
    assert past.exit_code == 1
    assert past.stderr.startswith(
        f"error: scheduled message {second}: the database refused: scheduled_messages row {second}: "
        "cannot reschedule into the past"
    )
    promote_due(conn, clock, when)
    queued = run(db_url, "reschedule", "--id", str(first), "--by", "1h")
    assert queued.exit_code == 1
    assert queued.stderr.startswith(
        f"error: scheduled message {first}: the database refused: scheduled_messages row {first}: "
        "cannot change scheduled_for while it is queued"
    )
    # The database's clock, not the caller's, decides what "the past" is: one minute after its now is fine.
    soon = run(
        db_url, "reschedule", "--id", str(second), "--to", (clock.at + timedelta(minutes=1)).isoformat()
    )
    assert soon.exit_code == 0, soon.stderr
    missing = run(db_url, "reschedule", "--id", "999999", "--by", "1h")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: scheduled message 999999: no such scheduled message"
    shift = run(db_url, "reschedule", "--id", str(first), "--by", "soon")
    assert shift.exit_code == 1
    assert shift.stderr.strip() == "error: --by 'soon' is not a shift like 1h, 30m, 1h30m, -15m or 2d"
    both = run(db_url, "reschedule", "--id", str(first), "--by", "1h", "--to", "2030-01-01T10:00")
    assert both.exit_code == 2


def test_cancel_one_queued_message_cancels_its_bubbles_and_campaign_row(
    db_url: str, conn: Conn, clock: PinnedClock
) -> None:
    (first, when), _, _ = schedule_three(db_url, conn)
    promote_due(conn, clock, when)
    result = run(db_url, "cancel", "--id", str(first))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"Cancelled scheduled message {first}"
    bubbles = conn.execute(
        "select distinct status from public.messages where scheduled_message_id = %s", (first,)
    ).fetchall()
    assert bubbles == [("cancelled",)]
    campaign_status = conn.execute(
        "select c.status from public.campaign_messages c join public.scheduled_messages s "
        "on s.campaign_message_id = c.id where s.id = %s",
        (first,),
    ).fetchone()
    assert campaign_status == ("cancelled",)
    again = run(db_url, "cancel", "--id", str(first))
    assert again.exit_code == 0
    assert again.stdout.strip() == f"Scheduled message {first} was already cancelled"


def test_cancelling_a_sent_message_is_refused_by_the_database(
    db_url: str, conn: Conn, clock: PinnedClock
) -> None:
    (first, when), _, _ = schedule_three(db_url, conn)
    send_everything(conn, clock, when)
    assert conn.execute(
        "select status from public.scheduled_messages where id = %s", (first,)
    ).fetchone() == ("sent",)
    result = run(db_url, "cancel", "--id", str(first))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: scheduled message {first}: the database refused: scheduled_messages row {first}: "
        "cannot move from sent to cancelled"
    )
    missing = run(db_url, "cancel", "--id", "424242")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: scheduled message 424242: no such scheduled message"


def test_cancel_a_campaign_stops_everything_not_sent(db_url: str, conn: Conn, clock: PinnedClock) -> None:
    (_, when), _, _ = schedule_three(db_url, conn)
    send_everything(conn, clock, when)
    add_approved(conn, 2)  # APR, not scheduled
    conn.execute(
        "insert into public.campaign_messages (campaign_name, phone_number, message_content) "
        "values ('autumn', '+12095559999', 'still a suggestion')"
    )
    result = run(db_url, "cancel", "--campaign", "autumn")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Cancelled campaign 'autumn': 2 scheduled messages, 5 campaign messages"
    assert statuses(conn, "campaign_messages", "autumn") == {"sent": 1, "cancelled": 5}
    assert statuses(conn, "scheduled_messages", "autumn") == {"sent": 1, "cancelled": 2}
    unknown = run(db_url, "cancel", "--campaign", "nope")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: campaign 'nope': no such campaign"
    neither = run(db_url, "cancel")
    assert neither.exit_code == 2


def test_status_shows_counts_next_sends_and_the_window(db_url: str, conn: Conn, clock: PinnedClock) -> None:
    clock.set("2025-11-05T14:00-08:00")
    add_approved(conn, 4, campaign="winter")
    result = run(
        db_url,
        "schedule",
        "-c",
        "winter",
        "--start",
        "2025-11-05T14:30-08:00",
        "--seed",
        "1",
        "-y",
    )
    assert result.exit_code == 0
    add_approved(conn, 2, campaign="winter")
    status = run(db_url, "status", "--campaign", "winter")
    assert status.exit_code == 0, status.stderr
    out = status.stdout
    assert out.splitlines()[0] == (
        "Send window OPEN now (Wed 11/05 02:00 PM PST); closes Wed 11/05 08:00 PM PST"
    )
    assert "Window: 09:00-20:00 America/Los_Angeles, Mon,Tue,Wed,Thu,Fri" in out
    assert "│ winter   │ SCH    │     4 │" in out
    assert "│ winter   │ APR    │     2 │" in out
    next_lines = [line for line in out.splitlines() if line.startswith("  #")]
    assert len(next_lines) == 4
    assert all("Wed 11/05" in line and "| in " in line for line in next_lines)
    closed = run(db_url, "status", "--now", "2025-11-08T10:00-08:00")
    assert closed.stdout.splitlines()[0] == (
        "Send window CLOSED now (Sat 11/08 10:00 AM PST); opens Mon 11/10 09:00 AM PST"
    )
