"""`python -m demo` (what `make demo` runs): one whole campaign, end to end, in a few real minutes.

Steps: a private PostgreSQL 15 cluster migrated by the real Supabase CLI; the server's clock made to
run fast with libfaketime; the sample campaign imported, approved, previewed and scheduled with the
scheduler CLI; the modem simulator (which also plays the network: customers' replies, delivery reports)
and the listener started; promotion every fake minute until every message is final; the timeline, the
replies in context and the final counts; everything stopped again.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import psycopg
import typer
from rich.console import Console
from rich.panel import Panel

from demo import report, story
from demo.driver import Driver, pacific
from demo.fakeclock import FakeClock
from demo.services import (
    DEMO_DATABASE,
    Child,
    DemoError,
    DemoPaths,
    connect,
    fresh_cluster,
    migrate_on_real_clock,
    run_scheduler,
    start_listener,
    start_on_fast_clock,
    start_simulator,
    stop_leftovers,
)
from sms_common.errors import SmsSchedulerError
from sms_common.localdb import REPO_ROOT
from sms_common.statuses import ScheduledStatus

CAMPAIGN = "winter-tune-up"
SAMPLE_CSV = Path(__file__).with_name("campaign.csv")
PACIFIC = ZoneInfo("America/Los_Angeles")
#: Average gap between two messages in the scheduler's plan: 4-7 minutes plus, 15-20% of the time, 10-15 more.
AVERAGE_GAP_MINUTES = 5.5 + 0.175 * 12.5
#: Fake minutes between starting the fast clock and the campaign's planned start (import, approve, preview).
LEAD_MINUTES = 14

app = typer.Typer(add_completion=False, help=__doc__)


def default_home() -> Path:
    return Path(os.environ.get("SMS_DEMO_HOME", str(REPO_ROOT / ".local" / "demo")))


def sample_rows(customers: int | None) -> list[list[str]]:
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    if customers is not None:
        if not 1 <= customers <= len(body):
            raise typer.BadParameter(f"choose 1 to {len(body)}", param_hint="--customers")
        body = body[:customers]
    return [header, *body]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint="--day") from exc


def planned_start(day: date, customers: int) -> datetime:
    """About half the campaign fits before the 20:00 closing, so the window closes during the run."""
    before_close = max(10, round(customers / 2 * AVERAGE_GAP_MINUTES))
    closing = datetime(day.year, day.month, day.day, 20, 0, tzinfo=PACIFIC)
    return closing - timedelta(minutes=before_close)


@app.command()
def run(
    customers: Annotated[
        int | None, typer.Option(help="use only the first N customers of demo/campaign.csv (default: all 24)")
    ] = None,
    speed: Annotated[
        float, typer.Option(min=1, max=600, help="how much faster the database clock runs")
    ] = 120,
    day: Annotated[
        str, typer.Option(help="the weekday the campaign starts, YYYY-MM-DD (Pacific)")
    ] = "2025-11-05",
    seed: Annotated[int, typer.Option(help="the scheduler's random seed (same seed, same plan)")] = 2025,
    home: Annotated[Path | None, typer.Option(help="working directory (default .local/demo)")] = None,
    timeout: Annotated[float, typer.Option(help="give up after this many real seconds of sending")] = 240,
) -> None:
    """Run the demo campaign end to end and stop everything afterwards."""
    console = Console(highlight=False)
    paths = DemoPaths((home or default_home()).resolve())
    started = time.monotonic()
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the finally blocks stop everything.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        ok = _run(console, paths, sample_rows(customers), speed, _parse_day(day), seed, timeout, started)
    except KeyboardInterrupt as exc:
        console.print("[bold red]demo interrupted[/bold red]; everything it started has been stopped")
        raise typer.Exit(130) from exc
    except SmsSchedulerError as exc:
        console.print(f"[bold red]demo failed:[/bold red] {exc}")
        console.print(f"logs: {paths.home} (listener.log, simulator.log, pgdata/server.log)")
        raise typer.Exit(1) from exc
    console.print(f"[bold]real time: {time.monotonic() - started:.0f} s[/bold]; nothing is left running.")
    raise typer.Exit(0 if ok else 1)


def _run(
    console: Console,
    paths: DemoPaths,
    rows: list[list[str]],
    speed: float,
    day: date,
    seed: int,
    timeout: float,
    started: float,
) -> bool:
    if day.isoweekday() > 5:
        raise DemoError(f"{day} is not a weekday: the default send window is Monday to Friday")
    customers = len(rows) - 1
    console.rule("[bold]SMS campaign scheduler: demo[/bold]")
    leftovers = stop_leftovers(paths)
    if leftovers:
        console.print(f"stopped what an earlier, interrupted demo left running: {', '.join(leftovers)}")

    console.print("1. a private PostgreSQL 15 cluster (pg_cron preloaded), migrated by the real Supabase CLI")
    cluster = fresh_cluster(paths)
    children: list[Child] = []
    try:
        migrate_on_real_clock(cluster)
        start = planned_start(day, customers)
        clock = FakeClock(paths.clock_spec, start - timedelta(minutes=LEAD_MINUTES), speed)
        start_on_fast_clock(cluster, clock)
        url = cluster.url(DEMO_DATABASE)
        console.print(
            Panel(
                f"The demo database's clock runs [bold]{speed:g}x faster[/bold] than real time "
                f"(libfaketime in the PostgreSQL server only: {clock.spec}), so that an evening and the "
                "next morning of human-paced sending fit into a few real minutes.\n"
                "pg_cron's scheduler still ticks on [bold]real[/bold] minutes under libfaketime, and this "
                "database (like a project without pg_cron) has no cron job, so [bold]the demo calls "
                "process_scheduled_messages_safe() itself every fake minute[/bold], exactly what the cron "
                "job runs (the listener's own fallback promotion, once a real minute, would come only "
                f"every {speed:g} fake minutes). The scheduler and the listener take their time from the database.\n"
                "Overnight, when the window is closed and nothing is in flight, the demo moves the clock "
                "forward to just before the next opening, and says so.",
                title="a sped-up clock",
            )
        )
        with connect(cluster) as conn:
            return _campaign(console, paths, conn, url, clock, rows, start, seed, timeout, started, children)
    finally:
        for child in reversed(children):
            child.stop()
        with contextlib.suppress(SmsSchedulerError):
            cluster.stop()
        with contextlib.suppress(FileNotFoundError):
            paths.pids.unlink()


def _campaign(
    console: Console,
    paths: DemoPaths,
    conn: psycopg.Connection[tuple[object, ...]],
    database_url: str,
    clock: FakeClock,
    rows: list[list[str]],
    start: datetime,
    seed: int,
    timeout: float,
    started: float,
    children: list[Child],
) -> bool:
    start_spec = clock.spec
    now = _db_now(conn)
    console.print(f"   database clock now: [cyan]{pacific(now, PACIFIC)} PT[/cyan]")

    with paths.campaign_csv.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    console.rule(f"2. import {len(rows) - 1} customers from demo/campaign.csv (status SUG)")
    run_scheduler(paths, database_url, "import", str(paths.campaign_csv), "--campaign", CAMPAIGN)
    console.rule("3. approve them (SUG -> APR), as a person would in the SMS Viewer")
    run_scheduler(paths, database_url, "approve", "--campaign", CAMPAIGN)

    now = _db_now(conn)
    begin = max(start, (now + timedelta(minutes=1)).replace(second=0, microsecond=0))
    begin_iso = begin.astimezone(PACIFIC).isoformat()
    plan_args = ["--campaign", CAMPAIGN, "--start", begin_iso, "--seed", str(seed)]
    console.rule(f"4. preview the plan from {pacific(begin, PACIFIC)} PT (writes nothing)")
    run_scheduler(paths, database_url, "preview", *plan_args)
    console.rule("5. schedule exactly that plan (APR -> SCH)")
    run_scheduler(paths, database_url, "schedule", *plan_args, "--yes")

    tale = story.choose(story.plan(conn, CAMPAIGN))
    names = {p.phone_number: p.customer_name for p in story.plan(conn, CAMPAIGN)}
    console.rule("6. start the modem simulator (a pseudo-terminal) and the listener")
    console.print(
        "   the simulated network plays the customers (demo/story.py; "
        f"script {paths.network_script.name}), and reports every part delivered "
        f"{story.REPORT_DELAY:g} real seconds after it was sent:"
    )
    for planned_reply in tale.replies:
        console.print(f'   - {planned_reply.why}: "{planned_reply.text}"')
    simulator, device = start_simulator(
        paths, script=tale.write(paths.network_script), status_reports=0, report_delay=story.REPORT_DELAY
    )
    children.append(simulator)
    listener = start_listener(paths, database_url, device)
    children.append(listener)
    console.print(f"   modem simulator on {device}; listener log: {paths.listener_log}")

    console.rule("7. promotion every fake minute, the listener sends and hears")
    driver = Driver(
        conn,
        clock,
        CAMPAIGN,
        console,
        listener,
        real_timeout=timeout,
        expected_replies=len(tale.replies),
        names=names,
    )
    driver.run()

    listener_code = listener.stop()
    simulator.stop()
    console.print(f"   listener stopped (exit code {listener_code}), modem simulator stopped")

    rows_out = report.timeline(conn, CAMPAIGN)
    counts = report.status_counts(conn, CAMPAIGN)
    network = report.received(paths.received)
    replies = report.replies(conn)
    opt_outs = report.opt_outs(conn)
    delivery = report.deliveries(conn)
    report.render(console, rows_out, PACIFIC)
    report.render_replies(console, replies, names, PACIFIC)
    report.render_opt_outs(console, opt_outs, names)
    report.render_deliveries(console, delivery)
    report.render_counts(console, counts)
    multipart = "; ".join(
        f"{m['chars']} characters as {m['parts']} {m['alphabet']} parts" for m in network["multipart"]
    )
    console.print(
        f"The simulated network received {network['sms']} SMS in {network['parts']} parts "
        f"({network['ucs2']} in UCS-2 because of emoji or other non-GSM characters"
        + (f"; concatenated: {multipart}" if multipart else "")
        + ")."
    )
    opted_out = {c.phone_number for c in tale.opted_out}
    all_sent = len(rows_out) == len(rows) - 1 and all(
        row.status == (ScheduledStatus.CANCELLED if row.phone_number in opted_out else ScheduledStatus.SENT)
        for row in rows_out
    )
    heard = (
        len(replies) == len(tale.replies)
        and all(r["reply_status"] == "sent" for r in replies if r["action"] == "opt_out")
        and delivery["pending"] == 0
    )
    report.write_summary(
        paths.summary,
        {
            "campaign": CAMPAIGN,
            "customers": len(rows) - 1,
            "speed": clock.speed,
            "clock_spec_at_start": start_spec,
            "clock_spec_at_end": clock.spec,
            "planned_start": begin,
            "jumps": [{"from": j.start, "to": j.end} for j in driver.jumps],
            "promotion_calls": driver.promotions,
            "listener_exit_code": listener_code,
            "timeline": report.rows_as_dicts(rows_out),
            "counts": counts,
            "received": network,
            "story": tale.as_dict(),
            "replies": replies,
            "opt_outs": opt_outs,
            "deliveries": delivery,
            "all_sent": all_sent,
            "heard": heard,
            "real_seconds": round(time.monotonic() - started, 1),
        },
    )
    stopped = f", except to the {len(opted_out)} who opted out (cancelled)" if opted_out else ""
    verdict = (
        f"[bold green]every scheduled message was sent{stopped}[/bold green]"
        if all_sent
        else "[bold red]not every message was sent[/bold red]"
    )
    heard_verdict = (
        "[bold green]every reply was stored and answered, every delivery report matched[/bold green]"
        if heard
        else "[bold red]a reply, confirmation or delivery report is missing[/bold red]"
    )
    console.print(f"{verdict}; {heard_verdict}; summary: {paths.summary}")
    return all_sent and heard


def _db_now(conn: psycopg.Connection[tuple[object, ...]]) -> datetime:
    row = conn.execute("select now()").fetchone()
    if row is None or not isinstance(row[0], datetime):
        raise DemoError("select now() returned no timestamp")
    return row[0]


def main() -> int:
    try:
        app()
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
