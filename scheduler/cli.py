"""`python -m scheduler` / `sms-scheduler`: import, approve, preview, schedule, status, cancel, reschedule.

Why a CLI over the database and not a long-running service: scheduling is a human act (a person approves
a campaign and decides when it starts); afterwards the database and the listener do the rest. Every
command reads DATABASE_URL, takes its "now" from the database (or a pinned `--now`, for tests), prints
what it did in the seed's format, and exits non-zero with the database's own words when it refuses.
`--now` only moves where a plan starts and what `preview`/`status`/`reschedule` print: `import` and
`approve` do not take it (the approval time is the database's clock), and every value written is
checked by the database against its own clock.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scheduler import db, render
from scheduler.chart import plan_chart
from scheduler.importer import parse_csv_file
from scheduler.summary import summarise
from sms_common.errors import SmsSchedulerError
from sms_common.logs import configure_logging, get_logger
from sms_common.settings import load_settings
from sms_common.statuses import CampaignStatus
from sms_common.window import SendWindow

#: Plans at least this long get a progress bar while they are written (on a terminal).
PROGRESS_THRESHOLD = 2000

log = get_logger("scheduler.cli")

app = typer.Typer(
    name="sms-scheduler",
    help="Import, approve, preview and schedule SMS campaigns with human-looking send times.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(SmsSchedulerError):
    """An option value the command cannot use (a start in the past, an unparsable shift)."""


# -- shared options --------------------------------------------------------------------------------

CampaignOpt = Annotated[
    str | None, typer.Option("--campaign", "-c", help="campaign name (default: all campaigns)")
]
StartOpt = Annotated[
    str | None,
    typer.Option(
        help="ISO 8601 start, e.g. 2025-11-10T09:00 (no offset: the send window's time zone); default now"
    ),
]
SeedOpt = Annotated[int | None, typer.Option(help="random seed; the same seed and start give the same plan")]
LimitOpt = Annotated[int | None, typer.Option(min=1, help="plan only the first N approved messages")]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="print the summary only, not one line per message")
]
ChartOpt = Annotated[
    bool, typer.Option("--chart/--no-chart", help="draw the plan: sends per hour per day, open hours shaded")
]
NowOpt = Annotated[
    str | None,
    typer.Option(hidden=True, help="pin 'now' (ISO 8601 with offset) instead of the database clock"),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="structured logs on stderr (LOG_LEVEL)")]


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def say(line: str) -> None:
    console.print(line, markup=False)


@contextmanager
def database(verbose: bool) -> Iterator[db.Connection]:
    """Settings, logging and a connection; any project error becomes `error: ...` and exit code 1."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level if verbose else "WARNING")
        conn = db.connect(settings.require_database_url())
    except SmsSchedulerError as exc:
        fail(str(exc))
    try:
        with conn:
            yield conn
    except SmsSchedulerError as exc:
        fail(str(exc))
    except psycopg.Error as exc:
        fail(db.describe_error(exc))


def parse_instant(value: str, window: SendWindow, what: str) -> datetime:
    """ISO 8601; a value without an offset is wall-clock time in the send window's zone."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"{what} {value!r} is not an ISO 8601 date and time (e.g. 2025-11-10T09:00-08:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=window.zone)
    return parsed


_SHIFT_RE = re.compile(
    r"^(?P<sign>[+-])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?(?:(?P<s>\d+)s)?$"
)


def parse_shift(value: str) -> timedelta:
    """`1h`, `90m`, `1h30m`, `-15m`, `2d`: the seed's `interval '1 hour'` as an option."""
    match = _SHIFT_RE.match(value.strip().replace(" ", ""))
    if not match or not any(match.group(k) for k in ("d", "h", "m", "s")):
        raise UsageError(f"--by {value!r} is not a shift like 1h, 30m, 1h30m, -15m or 2d")
    delta = timedelta(
        days=int(match["d"] or 0),
        hours=int(match["h"] or 0),
        minutes=int(match["m"] or 0),
        seconds=int(match["s"] or 0),
    )
    return -delta if match["sign"] == "-" else delta


def parse_ids(values: list[str]) -> list[int]:
    """`--ids 4,5 --ids 9` -> [4, 5, 9] (order kept, repeats dropped); a non-number is a usage error (exit 2)."""
    ids: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            if not part.isdigit():
                fail(f"--ids {value!r}: {part!r} is not a campaign message id", code=2)
            if int(part) not in ids:
                ids.append(int(part))
    return ids


def resolve_now(conn: db.Connection, now: str | None, window: SendWindow) -> datetime:
    return parse_instant(now, window, "--now") if now else db.database_now(conn)


#: How far in the past --start may lie: a moment ago is fine (the same command run a little later must
#: still write the plan `preview` showed); further back is almost certainly a typo.
PAST_START_TOLERANCE = timedelta(hours=1)


def resolve_start(start: str | None, now: datetime, window: SendWindow) -> datetime:
    """The plan's start: now, or --start; a start up to an hour ago is kept (with a note), older is refused."""
    if start is None:
        return now
    moment = parse_instant(start, window, "--start")
    if moment < now - PAST_START_TOLERANCE:
        raise UsageError(
            f"--start {start} is more than an hour in the past (now is {render.long_time(window, now)}); "
            "a plan starts now or later"
        )
    if moment < now.replace(microsecond=0):
        err_console.print(
            f"note: --start is {render.minutes(now - moment)} min in the past; messages due before now go out "
            "at the next promotion, paced by the send window's catch_up_gap",
            markup=False,
        )
    return moment


def choose_seed(seed: int | None) -> int:
    return seed if seed is not None else random.SystemRandom().randrange(1, 1_000_000)


#: The chart's width when the output is not a terminal (a pipe, a file, a test).
CHART_WIDTH = 100


def print_plan(prepared: db.PreparedPlan, quiet: bool, chart: bool = True) -> None:
    """The plan lines (unless quiet), the summary, who was moved and why, who was left out, the chart."""
    plan = prepared.plan
    summary = summarise(plan)
    if not quiet:
        for line in render.plan_lines(plan, summary):
            say(line)
        if plan.items:
            say("")
    for line in render.summary_lines(plan):
        say(line)
    if summary is not None and plan.items:
        for line in render.recipient_lines(summary, plan):
            say(line)
    for line in render.opted_out_lines(prepared.opted_out, quiet=quiet):
        say(line)
    for line in render.unreachable_lines(prepared.unreachable, quiet=quiet):
        say(line)
    if chart and plan.items:
        say("")
        console.print(plan_chart(plan), width=console.width if console.is_terminal else CHART_WIDTH)


# -- commands --------------------------------------------------------------------------------------


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns customer_name, phone_number, message")],
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="campaign name for these messages")],
    approve: Annotated[bool, typer.Option(help="import as APR (approved) instead of SUG")] = False,
    skip_invalid: Annotated[
        bool, typer.Option(help="import the valid rows even if some rows are bad")
    ] = False,
    region: Annotated[str, typer.Option(help="region for numbers without a country code")] = "US",
    verbose: VerboseOpt = False,
) -> None:
    """Load a campaign CSV as SUG (or APR) messages; importing the same file twice adds nothing."""
    if not campaign.strip():
        fail("--campaign must not be empty")
    with database(verbose) as conn:
        parsed = parse_csv_file(file, region.upper())
        for problem in parsed.problems:
            err_console.print(f"{file}: {problem}", markup=False)
            log.info("import row refused", file=str(file), line=problem.line, reason=problem.reason)
        if parsed.problems and not skip_invalid:
            fail(
                f"{len(parsed.problems)} of {parsed.total} rows are invalid; nothing was imported "
                "(fix them, or pass --skip-invalid to import the valid rows only)"
            )
        try:
            result = db.import_rows(conn, campaign, parsed.rows, approve=approve)
        except db.ImportRefusedError as exc:
            err_console.print(f"{file}: {exc}", markup=False)
            log.info("import row refused by the database", file=str(file), line=exc.line)
            fail("the database refused a row; nothing was imported")
        status = CampaignStatus.APPROVED if approve else CampaignStatus.SUGGESTED
        for line, first in parsed.repeats:
            err_console.print(
                f"{file}: line {line}: same number and text as line {first}; imported once", markup=False
            )
        for line, phone in result.opted_out:
            err_console.print(f"{file}: line {line}: {phone} has opted out; not imported", markup=False)
        say(
            f"Imported {result.inserted} message{'s' if result.inserted != 1 else ''} into campaign "
            f"{campaign!r} as {status}; {result.already_present} already present"
            + (f"; {len(parsed.problems)} invalid rows skipped" if parsed.problems else "")
            + (f"; {len(result.opted_out)} to opted-out numbers not imported" if result.opted_out else "")
        )


@app.command("approve")
def approve_command(
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="campaign to approve")],
    ids: Annotated[
        list[str] | None,
        typer.Option("--ids", "--id", help="only these campaign message ids: 4,5,9 or repeated --ids"),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """SUG -> APR for a campaign (or some of its messages), for operators without the SMS Viewer."""
    wanted = parse_ids(ids or [])
    with database(verbose) as conn:
        result = db.approve(conn, campaign, wanted or None)
        say(
            f"Approved {len(result.approved)} message{'s' if len(result.approved) != 1 else ''} of campaign {campaign!r}"
        )
        for message_id, why in result.refused:
            err_console.print(f"campaign message {message_id}: not approved: {why}", markup=False)
        if result.refused:
            raise typer.Exit(1)


@app.command("preview")
def preview_command(
    campaign: CampaignOpt = None,
    start: StartOpt = None,
    seed: SeedOpt = None,
    limit: LimitOpt = None,
    quiet: QuietOpt = False,
    chart: ChartOpt = True,
    now: NowOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Plan the APR messages and print the plan; writes nothing."""
    with database(verbose) as conn:
        window = db.send_window(conn)
        moment = resolve_now(conn, now, window)
        begin = resolve_start(start, moment, window)
        chosen = choose_seed(seed)
        with conn.transaction():
            messages = db.fetch_approved(conn, campaign, None)
            prepared = db.prepare_plan(conn, messages, start=begin, seed=chosen, window=window, limit=limit)
        print_plan(prepared, quiet, chart)
        say(
            "Preview only: nothing was written. `schedule` with the same --seed and --start writes this plan."
        )


@app.command("schedule")
def schedule_command(
    campaign: CampaignOpt = None,
    start: StartOpt = None,
    seed: SeedOpt = None,
    limit: LimitOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="write without asking")] = False,
    quiet: QuietOpt = False,
    chart: ChartOpt = True,
    now: NowOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Write the plan: scheduled_messages (SCH) and campaign messages APR -> SCH, in one transaction."""
    if not yes and not sys.stdin.isatty():
        fail("schedule writes to the database: pass --yes (no terminal to ask on)")
    with database(verbose) as conn:
        window = db.send_window(conn)
        moment = resolve_now(conn, now, window)
        begin = resolve_start(start, moment, window)
        chosen = choose_seed(seed)

        def review(prepared: db.PreparedPlan) -> bool:
            print_plan(prepared, quiet, chart)
            plan = prepared.plan
            if not plan.items:
                return False
            return yes or typer.confirm(f"Schedule these {len(plan.items)} messages?", default=False)

        # The bar appears only once the plan is accepted (not over the plan or the question).
        progress = Progress(
            TextColumn("writing the plan"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        task = progress.add_task("write", total=None, visible=False)
        shown: list[bool] = []

        def reviewed(prepared: db.PreparedPlan) -> bool:
            accepted = review(prepared)
            if accepted and len(prepared.plan.items) >= PROGRESS_THRESHOLD and err_console.is_terminal:
                progress.update(task, total=len(prepared.plan.items), visible=True)
                progress.start()
                shown.append(True)
            return accepted

        try:
            result = db.schedule(
                conn,
                campaign,
                limit,
                start=begin,
                seed=chosen,
                window=window,
                review=reviewed,
                progress=lambda rows: progress.update(task, advance=rows),
            )
        finally:
            if shown:
                progress.stop()
        if not result.plan.items:
            return
        if not result.accepted:
            say("Nothing was scheduled.")
            raise typer.Exit(1)
        already = len(result.plan.items) - result.inserted
        say(
            f"Scheduled {result.inserted} message{'s' if result.inserted != 1 else ''} (SCH)"
            + (f"; {already} were already scheduled" if already else "")
        )


@app.command("status")
def status_command(
    campaign: CampaignOpt = None,
    upcoming: Annotated[int, typer.Option(min=0, help="how many next sends to list")] = 10,
    now: NowOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Counts per status, the next sends in the window's time zone, and whether the window is open now."""
    with database(verbose) as conn:
        window = db.send_window(conn)
        moment = resolve_now(conn, now, window)
        report = db.status(conn, campaign, upcoming=upcoming)
        if window.is_open(moment):
            closing = window.closing_time(moment)
            assert closing is not None
            say(
                f"Send window OPEN now ({render.long_time(window, moment)}); closes {render.long_time(window, closing)}"
            )
        else:
            say(
                f"Send window CLOSED now ({render.long_time(window, moment)}); "
                f"opens {render.long_time(window, window.next_opening(moment))}"
            )
        say(f"Window: {window.describe()}")
        for title, rows in (
            ("campaign_messages", report.campaign_counts),
            ("scheduled_messages", report.scheduled_counts),
            ("messages (bubbles)", report.bubble_counts),
        ):
            table = Table(title=title, title_justify="left")
            table.add_column("campaign")
            table.add_column("status")
            table.add_column("count", justify="right")
            for name, state, count in rows:
                table.add_row(name, state, str(count))
            if not rows:
                table.add_row("-", "-", "0")
            console.print(table)
        if report.upcoming:
            say("Next sends:")
            for send in report.upcoming:
                wait = render.minutes(send.scheduled_for - moment)
                say(
                    f"  #{send.id:<6} {send.customer_name or '(no name)':<{render.NAME_WIDTH}} | "
                    f"{send.phone_number:<{render.PHONE_WIDTH}} | {render.long_time(window, send.scheduled_for)} | "
                    f"in {wait} min"
                )
        else:
            say("Next sends: none scheduled")


@app.command("cancel")
def cancel_command(
    campaign: Annotated[
        str | None, typer.Option("--campaign", "-c", help="cancel every unsent message of it")
    ] = None,
    message_id: Annotated[int | None, typer.Option("--id", help="cancel one scheduled_messages row")] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Cancel one scheduled message (--id) or everything not yet sent of a campaign (--campaign)."""
    if (campaign is None) == (message_id is None):
        fail("give exactly one of --campaign NAME or --id N", code=2)
    with database(verbose) as conn:
        if message_id is not None:
            result = db.cancel_scheduled(conn, message_id)
            if result.already_cancelled:
                say(f"Scheduled message {message_id} was already cancelled")
            else:
                say(f"Cancelled scheduled message {message_id}")
        else:
            assert campaign is not None
            result = db.cancel_campaign(conn, campaign)
            say(
                f"Cancelled campaign {campaign!r}: {len(result.scheduled_cancelled)} scheduled messages, "
                f"{result.campaign_cancelled} campaign messages"
            )


@app.command("reschedule")
def reschedule_command(
    message_id: Annotated[int, typer.Option("--id", help="the scheduled_messages row to move")],
    to: Annotated[str | None, typer.Option(help="new ISO 8601 time (no offset: the window's zone)")] = None,
    by: Annotated[str | None, typer.Option(help="shift, e.g. 1h, 30m, -15m, 1d")] = None,
    now: NowOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Move one scheduled (SCH) message to a new time or by a shift."""
    if (to is None) == (by is None):
        fail("give exactly one of --to ISO8601 or --by SHIFT", code=2)
    with database(verbose) as conn:
        window = db.send_window(conn)
        moment = resolve_now(conn, now, window)
        if to is not None:
            result = db.reschedule(conn, message_id, to=parse_instant(to, window, "--to"))
        else:
            assert by is not None
            result = db.reschedule(conn, message_id, by=parse_shift(by))
        say(
            f"Rescheduled message {message_id}: {render.long_time(window, result.before)} -> "
            f"{render.long_time(window, result.after)}"
        )
        if result.after < moment:
            say("Note: the new time is in the past: it goes out at the next promotion inside the window.")
        elif not window.is_open(result.after):
            say(
                "Note: the new time is outside the send window: it goes out at the next opening, "
                f"{render.long_time(window, window.next_opening(result.after))}."
            )


def main() -> None:
    """Console script entry point (`sms-scheduler`) and `python -m scheduler`."""
    app()
