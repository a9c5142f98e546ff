"""The scheduler CLI as an operator runs it: a subprocess with DATABASE_URL, its output and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.harness import REPO_ROOT, PinnedClock

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "scheduler"
LINE_RE = re.compile(
    r"^\[(\d+)/5\] +(.+?) +\| (\+1\d{10}) +\| (\d\d/\d\d \d\d:\d\d [AP]M) \| \+ ?(\d+)m \| (\d) bubbles?$"
)
NOW = "2025-11-05T14:00:00-08:00"


def cli(
    db_url: str | None, *args: str, entry: str = "module", **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOG_LEVEL"}}
    if db_url is not None:
        base["DATABASE_URL"] = db_url
    base["SMS_SETTINGS_FILE"] = "/nonexistent/sms.env"
    command = (
        [sys.executable, "-m", "scheduler"]
        if entry == "module"
        else [str(Path(sys.executable).parent / "sms-scheduler")]
    )
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=base | env,
        timeout=120,
    )


def test_import_approve_preview_schedule_status(db_url: str, clock: PinnedClock) -> None:
    clock.set(NOW)  # the database's clock: every command, writing or not, takes its now from it
    imported = cli(db_url, "import", str(FIXTURES / "campaign.csv"), "--campaign", "autumn")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "Imported 5 messages into campaign 'autumn' as SUG; 0 already present\n"

    approved = cli(db_url, "approve", "--campaign", "autumn", entry="script")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout == "Approved 5 messages of campaign 'autumn'\n"

    plan_args = ("--campaign", "autumn", "--start", "2025-11-05T19:40:00-08:00", "--seed", "42")
    preview = cli(db_url, "preview", *plan_args)
    assert preview.returncode == 0, preview.stderr
    lines = preview.stdout.splitlines()
    plan = [line for line in lines if line.startswith("[")]
    assert len(plan) == 5
    matches = [LINE_RE.match(line) for line in plan]
    assert all(matches), plan
    assert [m[2] for m in matches if m] == [
        "Jaquelin Rodriguez",
        "Sandy Evans",
        "Aubrey Mann",
        "Melynna Ramirez",
        "Rivera, Sam",
    ]
    assert [m[6] for m in matches if m] == ["3", "2", "1", "3", "2"]
    assert plan[2].endswith("| 1 bubble")
    # 19:40 on a Wednesday: a few messages that evening, the rest from Thursday 09:00.
    days = {m[4][:5] for m in matches if m}
    assert days == {"11/05", "11/06"}
    assert any(
        line.startswith("    [WINDOW] Send window closed: next message at the next opening, Thu 11/06 09:0")
        for line in lines
    )
    assert any(line.startswith("Campaign Duration: ") and "(2 business days" in line for line in lines)
    assert any(line.startswith("First send: Wed 11/05 07:4") for line in lines)
    assert any(line.startswith("Last send:  Thu 11/06 09:") for line in lines)
    assert lines[-1].startswith("Preview only: nothing was written.")

    scheduled = cli(db_url, "schedule", *plan_args, "--yes")
    assert scheduled.returncode == 0, scheduled.stderr
    assert [line for line in scheduled.stdout.splitlines() if line.startswith("[")] == plan
    assert scheduled.stdout.splitlines()[-1] == "Scheduled 5 messages (SCH)"

    again = cli(db_url, "schedule", *plan_args, "--yes")
    assert again.returncode == 0
    assert again.stdout == "No approved (APR) messages to plan.\n"

    status = cli(db_url, "status", "--campaign", "autumn")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[0] == (
        "Send window OPEN now (Wed 11/05 02:00 PM PST); closes Wed 11/05 08:00 PM PST"
    )
    assert len([line for line in status.stdout.splitlines() if line.startswith("  #")]) == 5


def test_errors_are_plain_and_exit_non_zero(db_url: str) -> None:
    no_url = cli(None, "status")
    assert no_url.returncode == 1
    assert no_url.stderr.startswith("error: DATABASE_URL is not set")

    unreachable = cli("postgresql://postgres@127.0.0.1:1/nothing", "status")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("error: cannot connect to the database")

    bad = cli(db_url, "import", str(FIXTURES / "campaign_bad.csv"), "--campaign", "autumn")
    assert bad.returncode == 1
    assert f"{FIXTURES / 'campaign_bad.csv'}: line 3: malformed phone number '12345'" in bad.stderr
    assert bad.stderr.splitlines()[-1].startswith("error: 5 of 6 rows are invalid; nothing was imported")
    assert "Traceback" not in bad.stderr

    usage = cli(db_url, "schedule", "--limit", "0")
    assert usage.returncode == 2

    missing = cli(db_url, "cancel", "--id", "77")
    assert missing.returncode == 1
    assert missing.stderr == "error: scheduled message 77: no such scheduled message\n"


def test_logs_mask_phone_numbers_the_operator_output_does_not(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_name,phone_number,message\nAnn,+1 000 555 0101,Hello\nBen,2097930464,Hi\n")
    refused = cli(db_url, "import", str(bad), "-c", "spring", "--skip-invalid", "--verbose", LOG_LEVEL="INFO")
    assert refused.returncode == 0, refused.stderr
    # The operator sees the number they must fix; the structured log line only its last four digits.
    assert f"{bad}: line 2: malformed phone number '+1 000 555 0101'" in refused.stderr
    records = [json.loads(line) for line in refused.stderr.splitlines() if line.startswith("{")]
    refusal = [r for r in records if r["event"] == "import row refused"]
    assert len(refusal) == 1
    assert refusal[0]["line"] == 2
    assert "0101" in refusal[0]["reason"]
    assert "555 0101" not in refusal[0]["reason"]
    assert "5550101" not in json.dumps(records)

    imported = cli(
        db_url,
        "import",
        str(FIXTURES / "campaign.csv"),
        "-c",
        "autumn",
        "--approve",
        "--verbose",
        LOG_LEVEL="INFO",
    )
    assert imported.returncode == 0, imported.stderr
    assert '"event": "campaign imported"' in imported.stderr
    preview = cli(db_url, "preview", "-c", "autumn", "--seed", "1", "--verbose", LOG_LEVEL="INFO")
    assert "+12097930464" in preview.stdout
    assert "+12097930464" not in preview.stderr
    with psycopg.connect(db_url) as conn:
        row = conn.execute("select count(*) from public.campaign_messages where status = 'APR'").fetchone()
    assert row == (5,)


def test_a_long_schedule_shows_a_progress_bar_on_a_terminal(db_url: str, clock: PinnedClock) -> None:
    clock.set(NOW)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content, "
            "status, approved_at) select 'big', 'C' || n, '+1209' || (1000000 + n), 'Hi ' || n, 'APR', now() "
            "from generate_series(1, 12000) n"
        )
    args = (
        "schedule",
        "-c",
        "big",
        "--seed",
        "3",
        "--start",
        "2025-11-05T14:30-08:00",
        "-y",
        "-q",
    )
    # TTY_COMPATIBLE=1 makes rich treat the pipes as a terminal, as an operator's shell is.
    shown = cli(db_url, *args, TTY_COMPATIBLE="1")
    assert shown.returncode == 0, shown.stderr
    assert "writing the plan" in shown.stderr
    assert "12000/12000" in shown.stderr
    assert "Scheduled 12000 messages (SCH)" in shown.stdout
    # Without a terminal (a cron job, a pipe) there is no bar, only the result.
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content, "
            "status, approved_at) select 'next', 'C' || n, '+1209' || (2000000 + n), 'Hi ' || n, 'APR', now() "
            "from generate_series(1, 3000) n"
        )
    plain = cli(db_url, *[("next" if a == "big" else a) for a in args], TTY_COMPATIBLE="0")
    assert plain.returncode == 0, plain.stderr
    assert plain.stderr == ""
    assert plain.stdout.splitlines()[-1] == "Scheduled 3000 messages (SCH)"


def test_preview_of_a_campaign_across_zones_says_who_moves_why_and_draws_the_plan(
    db_url: str, clock: PinnedClock
) -> None:
    """Issue 13 and 12 as an operator sees them: one file, five US zones, one number opted out."""
    clock.set(NOW)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("select public.opt_out_number('+16025550110', 'asked by phone')")
        conn.execute("select public.opt_out_number('+18085550109', 'asked by phone')")
    zones_csv = FIXTURES / "campaign_zones.csv"
    imported = cli(db_url, "import", str(zones_csv), "--campaign", "zones", "--approve")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == (
        "Imported 8 messages into campaign 'zones' as APR; 0 already present; "
        "2 to opted-out numbers not imported\n"
    )
    assert imported.stderr == (
        f"{zones_csv}: line 10: +18085550109 has opted out; not imported\n"
        f"{zones_csv}: line 11: +16025550110 has opted out; not imported\n"
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("select public.opt_out_number('+14155550108', 'replied STOP')")  # after the import

    # 17:30 Pacific on a Wednesday: Florida closed (20:00 Eastern), New York open half an hour more.
    args = ("--campaign", "zones", "--start", "2025-11-05T17:30:00-08:00", "--seed", "4")
    preview = cli(db_url, "preview", *args)
    assert preview.returncode == 0, preview.stderr
    out = preview.stdout.splitlines()
    plan = [line for line in out if line.startswith("[")]
    assert len(plan) == 7
    assert not any("+14155550108" in line for line in plan)
    by_number = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in plan}
    for florida in ("+13055550102", "+13055550107"):
        assert by_number[florida].startswith("11/06 ")  # Thursday: Florida closed at 17:00 Pacific
    start = out.index(
        "Recipients per time zone (their effective window: business window ∩ their quiet hours):"
    )
    assert out[start + 1].startswith("  America/New_York  ")
    assert "4 recipients; " in out[start + 1]  # both Florida numbers at least are moved
    assert "Opted out: 1 message to 1 opted-out number left out of the plan" in preview.stdout
    assert any(line.startswith("  [OPTED OUT] Cal California") for line in out)
    assert any("Florida closes 20:00 EST = 17:00 PST" in line for line in out)
    assert any(line.startswith("    [MOVED] Florida closes 20:00 EST = 17:00 PST") for line in out)
    chart = out[out.index("Sends per hour, America/Los_Angeles hours (PST)") :]
    header = next(line for line in chart if line.startswith("day "))
    assert header.split()[2:] == [str(h) for h in range(9, 20)]
    wednesday = next(line for line in chart if line.startswith("Wed 11/05 all: "))
    thursday = next(line for line in chart if line.startswith("Thu 11/06 all: "))
    total = sum(int(line.split()[3]) for line in (wednesday, thursday))  # "Wed 11/05 all: N sends"
    assert total == 7
    # Wednesday's sends are in the 17:00-19:59 columns only (the start is 17:30).
    columns = {int(h): header.index(f" {h}", header.index("who")) + len(f" {h}") for h in header.split()[2:]}
    counts = {h: wednesday[end - 3 : end].strip() for h, end in columns.items()}
    assert all(counts[h] == "·" for h in range(9, 17))
    assert any(counts[h].isdigit() for h in (17, 18, 19))
    assert any(line[10:].startswith("EST US + US-FL") and "░" in line for line in chart)
    assert all(len(line) <= 100 for line in chart)

    no_chart = cli(db_url, "preview", *args, "--no-chart", "--quiet")
    assert no_chart.returncode == 0
    assert "Sends per hour" not in no_chart.stdout
    assert "Moved: " in no_chart.stdout
