"""Opted-out numbers (issue 12) at import, preview and schedule: counted, named, left out."""

from __future__ import annotations

from tests.harness import PinnedClock
from tests.integration.scheduler.helpers import FIXTURES, Conn, run, statuses

ZONES_CSV = FIXTURES / "campaign_zones.csv"
NOW = "2025-11-05T14:00:00-08:00"


def opt_out(conn: Conn, *numbers: str) -> None:
    for number in numbers:
        conn.execute("select public.opt_out_number(%s, 'asked by phone')", (number,))


def test_import_leaves_out_opted_out_numbers_and_names_their_lines(db_url: str, conn: Conn) -> None:
    opt_out(conn, "+12125550106", "+13055550102")
    result = run(db_url, "import", str(ZONES_CSV), "--campaign", "zones")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "Imported 8 messages into campaign 'zones' as SUG; 0 already present; "
        "2 to opted-out numbers not imported"
    )
    assert result.stderr.splitlines() == [
        f"{ZONES_CSV}: line 3: +13055550102 has opted out; not imported",
        f"{ZONES_CSV}: line 7: +12125550106 has opted out; not imported",
    ]
    numbers = {r[0] for r in conn.execute("select phone_number from public.campaign_messages").fetchall()}
    assert len(numbers) == 8
    assert not numbers & {"+12125550106", "+13055550102"}
    # Opted back in, the number is imported by the same file; the others are already present.
    conn.execute("select public.opt_in_number('+12125550106', 'texted START')")
    again = run(db_url, "import", str(ZONES_CSV), "--campaign", "zones", "--approve")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == (
        "Imported 1 message into campaign 'zones' as APR; 8 already present; 1 to opted-out numbers not imported"
    )


def test_preview_and_schedule_leave_out_numbers_opted_out_after_import(
    db_url: str, conn: Conn, clock: PinnedClock
) -> None:
    clock.set(NOW)
    imported = run(db_url, "import", str(ZONES_CSV), "--campaign", "zones", "--approve")
    assert imported.exit_code == 0, imported.stderr
    opt_out(conn, "+18085550104", "+16025550110")
    args = ("--campaign", "zones", "--start", "2025-11-05T14:30:00-08:00", "--seed", "5")
    preview = run(db_url, "preview", *args)
    assert preview.exit_code == 0, preview.stderr
    lines = preview.stdout.splitlines()
    assert (
        "Opted out: 2 messages to 2 opted-out numbers left out of the plan (they stay APR; not sent unless the number opts back in)"
        in lines
    )
    assert any(line.startswith("  [OPTED OUT] Hana Hawaii") and "+18085550104" in line for line in lines)
    plan = [line for line in lines if line.startswith("[")]
    assert len(plan) == 8
    assert not any("+18085550104" in line or "+16025550110" in line for line in plan)

    quiet = run(db_url, "preview", *args, "--quiet")
    assert any(line.startswith("Opted out: 2 messages") for line in quiet.stdout.splitlines())
    assert "[OPTED OUT]" not in quiet.stdout

    scheduled = run(db_url, "schedule", *args, "--yes")
    assert scheduled.exit_code == 0, scheduled.stderr
    assert scheduled.stdout.splitlines()[-1] == "Scheduled 8 messages (SCH)"
    assert statuses(conn, "campaign_messages", "zones") == {"SCH": 8, "APR": 2}
    written = {r[0] for r in conn.execute("select phone_number from public.scheduled_messages").fetchall()}
    assert not written & {"+18085550104", "+16025550110"}


def test_limit_counts_the_messages_that_will_be_sent(db_url: str, conn: Conn, clock: PinnedClock) -> None:
    clock.set(NOW)
    run(db_url, "import", str(ZONES_CSV), "--campaign", "zones", "--approve")
    opt_out(conn, "+12125550101")  # the first in planning order
    result = run(
        db_url,
        "preview",
        "-c",
        "zones",
        "--start",
        "2025-11-05T14:30:00-08:00",
        "--seed",
        "1",
        "--limit",
        "3",
    )
    assert result.exit_code == 0, result.stderr
    plan = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(plan) == 3
    assert not any("+12125550101" in line for line in plan)
