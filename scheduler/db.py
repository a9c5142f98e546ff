"""Every database read and write of the scheduler CLI, each command in one transaction.

Why here and not in the commands: the rules that keep a campaign from being lost or sent twice live in
SQL (row locks, ON CONFLICT on the import key and on scheduled_messages.campaign_message_id, the
database's transition guards); the CLI only formats what this module returns. Bulk writes use COPY into
a temporary table and one INSERT ... SELECT, never a round trip per row. Every moment written that is
"now" (an approval time) is the database's clock, never the caller's (docs/state-machine.md, "The
clock"); the only moments Python computes are the plan's future send times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import psycopg
from psycopg import sql

from scheduler.importer import CampaignRow
from scheduler.planner import (
    ApprovedMessage,
    HorizonTooShortError,
    Interval,
    Plan,
    PlanningError,
    RecipientWindow,
    RecipientWindows,
    plan_campaign,
)
from sms_common.errors import SmsSchedulerError
from sms_common.logs import get_logger
from sms_common.statuses import CampaignStatus, ScheduledStatus
from sms_common.window import SendWindow, load_send_window

Connection = psycopg.Connection[tuple[Any, ...]]
Progress = Callable[[int], None]

log = get_logger("scheduler.db")


class SchedulerDatabaseError(SmsSchedulerError):
    """The database refused a change (a guard, a constraint) or a row the command needs is missing."""


def connect(url: str) -> Connection:
    """A sync connection in autocommit mode; commands open their own transactions."""
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise SchedulerDatabaseError(f"cannot connect to the database: {exc}") from exc


def describe_error(exc: psycopg.Error) -> str:
    """The database's own words (message, detail, hint), without psycopg's decoration."""
    diag = exc.diag
    parts = [diag.message_primary or str(exc).strip()]
    if diag.message_detail:
        parts.append(f"detail: {diag.message_detail}")
    if diag.message_hint:
        parts.append(f"hint: {diag.message_hint}")
    return "; ".join(parts)


def database_now(conn: Connection) -> datetime:
    row = conn.execute("select now()").fetchone()
    assert row is not None
    value: datetime = row[0]
    return value


def send_window(conn: Connection) -> SendWindow:
    return load_send_window(conn)


# -- import and approve -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    already_present: int
    #: (CSV line, phone number) of the rows not imported because the number is opted out (issue 12).
    opted_out: tuple[tuple[int, str], ...] = ()


class ImportRefusedError(SchedulerDatabaseError):
    """The database refused a row the importer's own checks accepted; nothing was imported."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: the database refused it: {reason}")
        self.line = line
        self.reason = reason


_INSERT_IMPORTED = """
    insert into public.campaign_messages
           (campaign_name, customer_name, phone_number, message_content, status, approved_at)
    select %(campaign)s, customer_name, phone_number, message_content, %(status)s,
           case when %(status)s = 'APR' then statement_timestamp() end
      from _import
     where line between %(first)s and %(last)s
     order by line
    on conflict do nothing
"""


def import_rows(
    conn: Connection, campaign: str, rows: Sequence[CampaignRow], *, approve: bool
) -> ImportResult:
    """Insert the rows as SUG (or APR, approved at the database's clock); rows already present (same
    campaign, phone, text) are left alone.

    All rows go in with one statement. Should the database refuse one anyway (its guards are the last
    word; the importer's checks only repeat them, see sms_common.bubbles), the rows are retried one by
    one inside the same transaction to name the CSV line, and nothing is imported (ImportRefusedError).
    """
    status = CampaignStatus.APPROVED if approve else CampaignStatus.SUGGESTED
    with conn.transaction():
        conn.execute(
            "create temporary table _import (customer_name text, phone_number text, message_content text, "
            "line integer) on commit drop"
        )
        with conn.cursor().copy(
            "copy _import (customer_name, phone_number, message_content, line) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row((row.customer_name, row.phone_number, row.message_content, row.line))
        # Opted-out numbers are not imported at all: a suggestion for a number that said STOP is one a
        # person could approve by mistake, and it would never be sent anyway (promotion cancels it).
        opted_out = [
            (int(line), str(phone))
            for line, phone in conn.execute(
                "delete from _import where phone_number in "
                "(select public.opted_out_among(array(select distinct phone_number from _import))) "
                "returning line, phone_number"
            ).fetchall()
        ]
        opted_out.sort()
        left_out = set(opted_out)
        kept = [row for row in rows if (row.line, row.phone_number) not in left_out]
        every = {"campaign": campaign, "status": status, "first": 0, "last": 2**31 - 1}
        try:
            with conn.transaction():
                inserted = conn.execute(_INSERT_IMPORTED, every).rowcount
        except psycopg.Error as exc:
            refused = _refused_line(conn, kept, every)
            if refused is not None:
                raise refused from exc
            raise SchedulerDatabaseError(
                f"the database refused the import, nothing was imported: {describe_error(exc)}"
            ) from exc
    log.info(
        "campaign imported", campaign=campaign, inserted=inserted, status=status, opted_out=len(opted_out)
    )
    return ImportResult(inserted=inserted, already_present=len(kept) - inserted, opted_out=tuple(opted_out))


def _refused_line(
    conn: Connection, rows: Sequence[CampaignRow], params: dict[str, Any]
) -> ImportRefusedError | None:
    """The first row, in file order, that the database refuses on its own (each try rolled back)."""
    for row in rows:
        try:
            with conn.transaction():
                conn.execute(_INSERT_IMPORTED, params | {"first": row.line, "last": row.line})
                raise psycopg.Rollback  # it went in: undo it, only a refusal was wanted
        except psycopg.Error as exc:
            return ImportRefusedError(row.line, describe_error(exc))
    return None


@dataclass(frozen=True)
class ApproveResult:
    approved: tuple[int, ...]
    refused: tuple[tuple[int, str], ...]  # (id, why) for requested ids that could not be approved


def approve(conn: Connection, campaign: str, ids: Sequence[int] | None) -> ApproveResult:
    """SUG -> APR for a campaign (or only the given ids of it), approved at the database's clock."""
    with conn.transaction():
        if ids:
            found: dict[int, str] = dict(
                conn.execute(
                    "select id, status from public.campaign_messages "
                    "where campaign_name = %s and id = any(%s) for update",
                    (campaign, list(ids)),
                ).fetchall()
            )
            refused = tuple(
                (i, "not in this campaign" if i not in found else f"status is {found[i]}, not SUG")
                for i in ids
                if found.get(i) != CampaignStatus.SUGGESTED
            )
            targets = [i for i in ids if found.get(i) == CampaignStatus.SUGGESTED]
            rows = conn.execute(
                "update public.campaign_messages set status = 'APR', approved_at = statement_timestamp() "
                "where id = any(%s) and status = 'SUG' returning id",
                (targets,),
            ).fetchall()
        else:
            refused = ()
            rows = conn.execute(
                "update public.campaign_messages set status = 'APR', approved_at = statement_timestamp() "
                "where campaign_name = %s and status = 'SUG' returning id",
                (campaign,),
            ).fetchall()
    approved = tuple(sorted(int(r[0]) for r in rows))
    log.info("campaign approved", campaign=campaign, approved=len(approved), refused=len(refused))
    return ApproveResult(approved=approved, refused=refused)


# -- plan, preview and schedule ---------------------------------------------------------------------


def fetch_approved(
    conn: Connection, campaign: str | None, limit: int | None, *, lock: bool = False
) -> list[ApprovedMessage]:
    """APR messages in planning order (approval time, then id); `lock` takes row locks for scheduling."""
    query = sql.SQL(
        "select id, campaign_name, customer_name, phone_number, message_content, approved_at "
        "from public.campaign_messages where status = 'APR' {campaign} "
        "order by approved_at nulls last, id {limit} {lock}"
    ).format(
        campaign=sql.SQL("and campaign_name = %(campaign)s") if campaign is not None else sql.SQL(""),
        limit=sql.SQL("limit %(limit)s") if limit is not None else sql.SQL(""),
        lock=sql.SQL("for update") if lock else sql.SQL(""),
    )
    rows = conn.execute(query, {"campaign": campaign, "limit": limit}).fetchall()
    return [ApprovedMessage(*row) for row in rows]


def opted_out_among(conn: Connection, numbers: Sequence[str]) -> set[str]:
    """The numbers among `numbers` that are opted out now (`public.opted_out_among`, issue 12)."""
    rows = conn.execute("select n from public.opted_out_among(%s) as n", (list(numbers),)).fetchall()
    return {str(row[0]) for row in rows}


#: The first call covers this many days for every number (a week and a day: every week day, and
#: whatever near-term rule, cap or holiday applies to one number alone).
FIRST_HORIZON_DAYS = 8
#: How far the plan may reach before a campaign is declared not to fit (a few years of business days).
MAX_HORIZON_DAYS = 4096

_RECIPIENT_WINDOWS = """
    select phone_number, time_zones, rule, opens_at, closes_at
      from public.recipient_windows(%s::text[], %s, %s)
"""


#: `recipient_windows` answers for at most this long a range per call (its own limit).
MAX_RANGE = timedelta(days=400)


def recipient_windows(
    conn: Connection, numbers: Sequence[str], from_at: datetime, until: datetime
) -> RecipientWindows:
    """Every open interval of every number in [from_at, until): one `public.recipient_windows` call (one
    per 400 days of a longer range: the function's limit). Intervals are whole (not cut at the range)."""
    rows: list[tuple[str, Sequence[str], str, datetime, datetime]] = []
    begin = from_at
    while begin < until:
        end = min(until, begin + MAX_RANGE)
        rows.extend(conn.execute(_RECIPIENT_WINDOWS, (list(numbers), begin, end)).fetchall())
        begin = end
    holidays = conn.execute(
        "select day, name from public.blackout_dates where day between %s::date - 1 and %s::date + 1",
        (from_at, until),
    ).fetchall()
    return RecipientWindows.from_rows(from_at, until, _distinct(rows), {d: str(n) for d, n in holidays})


def _distinct(
    rows: list[tuple[str, Sequence[str], str, datetime, datetime]],
) -> list[tuple[str, Sequence[str], str, datetime, datetime]]:
    """An interval that two consecutive calls both return (it spans their boundary) once."""
    seen: set[tuple[str, datetime, datetime]] = set()
    kept = []
    for row in rows:
        key = (row[0], row[3], row[4])
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _midnight_after(window: SendWindow, moment: datetime, days: int) -> datetime:
    """Local midnight (business zone) `days` days after `moment`'s day: horizons end at night."""
    day = window.local(moment).date() + timedelta(days=days)
    return datetime.combine(day, time(0), tzinfo=window.zone)


def _estimated_days(count: int) -> int:
    """Calendar days a campaign of `count` messages needs at ~7 minutes a send, 11 hours, 5 days a week."""
    return int(count * 7 / (11 * 60) * 7 / 5) + 3


def _merge(first: tuple[Interval, ...], later: Sequence[Interval]) -> tuple[Interval, ...]:
    """`first` then `later` (both sorted); an interval found in both, or cut by the boundary, is joined."""
    merged = list(first)
    for opens, closes in later:
        if merged and opens <= merged[-1][1]:
            if closes > merged[-1][1]:
                merged[-1] = (merged[-1][0], closes)
            continue
        merged.append((opens, closes))
    return tuple(merged)


def _extend(
    conn: Connection, near: RecipientWindows, until: datetime, *, numbers: Sequence[str]
) -> RecipientWindows:
    """`near` (every number, the first days) extended to `until` with one call for one number per window.

    Why not every number again: a campaign of 100,000 numbers over three years would be a hundred
    million rows. Numbers whose first days are identical (same zones, same rule, same intervals) share
    their window from then on; each such group is asked about through one of its numbers. A number with
    no open hour in the first days is asked about on its own.
    """
    representative: dict[tuple[tuple[str, ...], str, tuple[Interval, ...]], str] = {}
    chosen: dict[str, str] = {}
    for number in numbers:
        theirs = near.by_number.get(number)
        if theirs is None:
            chosen[number] = number
            continue
        key = (theirs.time_zones, theirs.rule, theirs.intervals)
        chosen[number] = representative.setdefault(key, number)
    far = recipient_windows(conn, sorted(set(chosen.values())), near.until, until)
    # One merged tuple per representative, shared by its group (the planner groups by it cheaply).
    merged: dict[str, RecipientWindow] = {}
    for number in set(chosen.values()):
        theirs, later = near.of(number), far.of(number)
        merged[number] = RecipientWindow(
            number,
            theirs.time_zones or later.time_zones,
            theirs.rule or later.rule,
            _merge(theirs.intervals, later.intervals),
        )
    by_number: dict[str, RecipientWindow] = {}
    for number in numbers:
        shared = merged[chosen[number]]
        by_number[number] = RecipientWindow(number, shared.time_zones, shared.rule, shared.intervals)
    return RecipientWindows(
        from_at=near.from_at,
        until=until,
        by_number=by_number,
        holidays={**near.holidays, **far.holidays},
    )


@dataclass(frozen=True)
class PreparedPlan:
    """A plan and what was left out of it (those messages stay APR): the messages to opted-out numbers,
    and those whose recipient's hours never meet the send window (e.g. a window of 01:00-03:00 Pacific
    and a Californian number: no moment is legal for them)."""

    plan: Plan
    opted_out: tuple[ApprovedMessage, ...] = field(default=())
    unreachable: tuple[ApprovedMessage, ...] = field(default=())


#: A number with no open hour this far ahead is left out of the plan as unreachable, not waited for.
NEVER_OPEN_AFTER = timedelta(days=28)


def prepare_plan(
    conn: Connection,
    messages: Sequence[ApprovedMessage],
    *,
    start: datetime,
    seed: int,
    window: SendWindow,
    limit: int | None = None,
) -> PreparedPlan:
    """Leave out opted-out numbers, fetch the recipient windows and plan: what preview and schedule share.

    The windows are fetched from the start's business day (the summary explains a move by the interval
    that closed earlier that day) to a first horizon of 8 days; the horizon grows (doubling) until the
    plan fits. Preview and schedule grow it the same way from the same start, so they make the same calls
    and the same plan. `limit` counts the messages that can be sent (opted-out ones do not count).
    """
    out = opted_out_among(conn, sorted({m.phone_number for m in messages}))
    kept = [m for m in messages if m.phone_number not in out]
    if limit is not None:
        kept = kept[:limit]
    left_out = tuple(m for m in messages if m.phone_number in out)
    numbers = sorted({m.phone_number for m in kept})
    since = _midnight_after(window, start, 0)
    near = recipient_windows(conn, numbers, since, _midnight_after(window, start, FIRST_HORIZON_DAYS))
    recipients = near
    unreachable: list[ApprovedMessage] = []
    days = max(2 * FIRST_HORIZON_DAYS, 2 * _estimated_days(len(kept)))
    while True:
        try:
            plan = plan_campaign(kept, window, start, seed, recipients)
            break
        except HorizonTooShortError:
            if days > MAX_HORIZON_DAYS:
                raise PlanningError(
                    f"the campaign does not fit within {MAX_HORIZON_DAYS} days of {start.isoformat()}"
                ) from None
            recipients = _extend(conn, near, _midnight_after(window, start, days), numbers=numbers)
            days *= 2
            if recipients.until - start >= NEVER_OPEN_AFTER and not unreachable:
                never = {n for n in numbers if not recipients.of(n).intervals}
                unreachable = [m for m in kept if m.phone_number in never]
                kept = [m for m in kept if m.phone_number not in never]
    log.info(
        "plan made",
        messages=len(plan.items),
        opted_out=len(left_out),
        unreachable=len(unreachable),
        horizon_days=(recipients.until - start).days,
    )
    return PreparedPlan(plan=plan, opted_out=left_out, unreachable=tuple(unreachable))


@dataclass(frozen=True)
class ScheduleResult:
    plan: Plan
    inserted: int
    accepted: bool = True
    opted_out: tuple[ApprovedMessage, ...] = ()


def schedule(
    conn: Connection,
    campaign: str | None,
    limit: int | None,
    *,
    start: datetime,
    seed: int,
    window: SendWindow,
    review: Callable[[PreparedPlan], bool] | None = None,
    progress: Progress | None = None,
) -> ScheduleResult:
    """Plan the APR messages and write the plan: scheduled_messages (SCH) and campaign_messages -> SCH.

    One transaction. The APR rows are locked first, so a second `schedule` running at the same time waits
    and then finds them scheduled; the unique campaign_message_id makes a double insert impossible anyway.
    `review` sees the plan (made under the locks) before anything is written; False writes nothing.
    Messages to opted-out numbers are left out of the plan and stay APR.
    """
    with conn.transaction():
        messages = fetch_approved(conn, campaign, None, lock=True)
        prepared = prepare_plan(conn, messages, start=start, seed=seed, window=window, limit=limit)
        plan = prepared.plan
        if review is not None and not review(prepared):
            return ScheduleResult(plan=plan, inserted=0, accepted=False, opted_out=prepared.opted_out)
        if not plan.items:
            return ScheduleResult(plan=plan, inserted=0, opted_out=prepared.opted_out)
        conn.execute(
            "create temporary table _plan (campaign_message_id bigint primary key, "
            "scheduled_for timestamptz not null) on commit drop"
        )
        with conn.cursor().copy("copy _plan (campaign_message_id, scheduled_for) from stdin") as copy:
            for item in plan.items:
                copy.write_row((item.message.id, item.send_at))
        conn.execute("analyze _plan")
        try:
            inserted = _write_plan(conn)
        except psycopg.Error as exc:
            raise SchedulerDatabaseError(
                f"scheduling failed, nothing was written: {describe_error(exc)}"
            ) from exc
        if progress is not None:
            progress(len(plan.items))
    log.info(
        "campaign scheduled",
        campaign=campaign,
        scheduled=inserted,
        seed=seed,
        opted_out=len(prepared.opted_out),
    )
    return ScheduleResult(plan=plan, inserted=inserted, opted_out=prepared.opted_out)


def _write_plan(conn: Connection) -> int:
    """Write the plan in `_plan`, one statement per step; returns how many messages it scheduled.

    A campaign message whose earlier attempt failed (its scheduled row `failed`, the campaign row reset
    to APR) gets that row back as SCH at the new time, the database's retry path; every other one gets
    a new scheduled_messages row. The campaign rows follow to SCH by the database's own follow-up (one
    statement-level trigger per insert; the scheduler never moves a campaign row to SCH itself).

    Why whole-plan statements and not chunks: the per-row triggers cost the same either way, but each
    chunk re-joined the growing tables with stale statistics (a sequential scan of campaign_messages
    per chunk); the bench's guarded write of 100,000 messages took 7.5-7.8 s in chunks of 5,000 and
    6.2-6.6 s in one go (bench/bench_scheduler.py, docs/scheduler.md).
    """
    revived = conn.execute(
        """
        update public.scheduled_messages s
           set status = 'SCH', scheduled_for = p.scheduled_for, phone_number = c.phone_number,
               customer_name = c.customer_name, message_content = c.message_content,
               campaign_name = c.campaign_name
          from _plan p
          join public.campaign_messages c on c.id = p.campaign_message_id
         where s.campaign_message_id = p.campaign_message_id and s.status = 'failed' and c.status = 'APR'
        """
    ).rowcount
    inserted = conn.execute(
        """
        insert into public.scheduled_messages
               (campaign_message_id, phone_number, customer_name, message_content,
                scheduled_for, status, campaign_name)
        select c.id, c.phone_number, c.customer_name, c.message_content, p.scheduled_for, 'SCH',
               c.campaign_name
          from _plan p
          join public.campaign_messages c on c.id = p.campaign_message_id
         where c.status = 'APR'
           and not exists (select 1 from public.scheduled_messages s where s.campaign_message_id = c.id)
         order by p.scheduled_for, c.id
        """
    ).rowcount
    return revived + inserted


# -- status -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingSend:
    id: int
    campaign_name: str | None
    customer_name: str | None
    phone_number: str
    scheduled_for: datetime


@dataclass(frozen=True)
class StatusReport:
    campaign_counts: tuple[tuple[str, str, int], ...]  # (campaign, status, count)
    scheduled_counts: tuple[tuple[str, str, int], ...]
    bubble_counts: tuple[tuple[str, str, int], ...]
    upcoming: tuple[UpcomingSend, ...]


def status(conn: Connection, campaign: str | None, *, upcoming: int = 10) -> StatusReport:
    params = {"campaign": campaign, "upcoming": upcoming}
    where_c = "where campaign_name = %(campaign)s" if campaign is not None else ""
    where_s = "where s.campaign_name = %(campaign)s" if campaign is not None else ""
    with conn.transaction():
        campaign_counts = conn.execute(
            f"select campaign_name, status, count(*) from public.campaign_messages {where_c} "
            "group by 1, 2 order by 1, 2",
            params,
        ).fetchall()
        scheduled_counts = conn.execute(
            f"select coalesce(s.campaign_name, ''), s.status, count(*) from public.scheduled_messages s {where_s} "
            "group by 1, 2 order by 1, 2",
            params,
        ).fetchall()
        bubble_counts = conn.execute(
            "select coalesce(s.campaign_name, ''), m.status, count(*) from public.messages m "
            f"left join public.scheduled_messages s on s.id = m.scheduled_message_id {where_s} "
            "group by 1, 2 order by 1, 2",
            params,
        ).fetchall()
        rows = conn.execute(
            "select s.id, s.campaign_name, s.customer_name, s.phone_number, s.scheduled_for "
            f"from public.scheduled_messages s {where_s} {'and' if where_s else 'where'} s.status = 'SCH' "
            "order by s.scheduled_for, s.id limit %(upcoming)s",
            params,
        ).fetchall()
    return StatusReport(
        campaign_counts=tuple((str(a), str(b), int(c)) for a, b, c in campaign_counts),
        scheduled_counts=tuple((str(a), str(b), int(c)) for a, b, c in scheduled_counts),
        bubble_counts=tuple((str(a), str(b), int(c)) for a, b, c in bubble_counts),
        upcoming=tuple(UpcomingSend(*row) for row in rows),
    )


# -- cancel and reschedule --------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelResult:
    scheduled_cancelled: tuple[int, ...]
    campaign_cancelled: int
    already_cancelled: bool = False


def _guarded(what: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except psycopg.Error as exc:
        raise SchedulerDatabaseError(f"{what}: the database refused: {describe_error(exc)}") from exc


def _cancelled_count(conn: Connection, campaign: str) -> int:
    row = conn.execute(
        "select count(*) from public.campaign_messages where campaign_name = %s and status = 'cancelled'",
        (campaign,),
    ).fetchone()
    return int(row[0]) if row else 0


def cancel_scheduled(conn: Connection, scheduled_id: int) -> CancelResult:
    """The seed's `update scheduled_messages set status = 'cancelled' where id = N`.

    The database's guard refuses a sent message (naming the row); its follow-up trigger cancels the
    unsent bubbles of a queued message and moves the campaign message to cancelled.
    """
    with conn.transaction():
        row = conn.execute(
            "select status from public.scheduled_messages where id = %s for update", (scheduled_id,)
        ).fetchone()
        if row is None:
            raise SchedulerDatabaseError(f"scheduled message {scheduled_id}: no such scheduled message")
        if row[0] == ScheduledStatus.CANCELLED:
            return CancelResult(scheduled_cancelled=(), campaign_cancelled=0, already_cancelled=True)
        _guarded(
            f"scheduled message {scheduled_id}",
            lambda: conn.execute(
                "update public.scheduled_messages set status = 'cancelled' where id = %s", (scheduled_id,)
            ),
        )
    log.info("scheduled message cancelled", scheduled_message_id=scheduled_id)
    return CancelResult(scheduled_cancelled=(scheduled_id,), campaign_cancelled=0)


def cancel_campaign(conn: Connection, campaign: str) -> CancelResult:
    """Cancel everything of a campaign not yet sent: SCH and queued texts, SUG and APR campaign messages."""
    with conn.transaction():
        exists = conn.execute(
            "select exists (select 1 from public.campaign_messages where campaign_name = %(c)s) "
            "or exists (select 1 from public.scheduled_messages where campaign_name = %(c)s)",
            {"c": campaign},
        ).fetchone()
        if not exists or not exists[0]:
            raise SchedulerDatabaseError(f"campaign {campaign!r}: no such campaign")
        before = _cancelled_count(conn, campaign)
        ids = _guarded(
            f"campaign {campaign!r}",
            lambda: [
                int(r[0])
                for r in conn.execute(
                    "update public.scheduled_messages set status = 'cancelled' "
                    "where campaign_name = %s and status in ('SCH', 'queued') returning id",
                    (campaign,),
                ).fetchall()
            ],
        )
        _guarded(
            f"campaign {campaign!r}",
            lambda: conn.execute(
                "update public.campaign_messages set status = 'cancelled' "
                "where campaign_name = %s and status in ('SUG', 'APR')",
                (campaign,),
            ),
        )
        campaign_cancelled = _cancelled_count(conn, campaign) - before
    log.info(
        "campaign cancelled", campaign=campaign, scheduled=len(ids), campaign_messages=campaign_cancelled
    )
    return CancelResult(scheduled_cancelled=tuple(sorted(ids)), campaign_cancelled=campaign_cancelled)


@dataclass(frozen=True)
class RescheduleResult:
    id: int
    before: datetime
    after: datetime


def reschedule(
    conn: Connection, scheduled_id: int, *, to: datetime | None = None, by: timedelta | None = None
) -> RescheduleResult:
    """Move one SCH message to `to`, or by `by` (the seed's `scheduled_for + interval '1 hour'`)."""
    if (to is None) == (by is None):
        raise SchedulerDatabaseError("reschedule needs exactly one of a new time or a shift")
    with conn.transaction():
        row = conn.execute(
            "select status, scheduled_for from public.scheduled_messages where id = %s for update",
            (scheduled_id,),
        ).fetchone()
        if row is None:
            raise SchedulerDatabaseError(f"scheduled message {scheduled_id}: no such scheduled message")
        before = row[1]
        after: datetime = to if to is not None else before + by
        _guarded(
            f"scheduled message {scheduled_id}",
            lambda: conn.execute(
                "update public.scheduled_messages set scheduled_for = %s where id = %s", (after, scheduled_id)
            ),
        )
    log.info(
        "scheduled message rescheduled", scheduled_message_id=scheduled_id, scheduled_for=after.isoformat()
    )
    return RescheduleResult(id=scheduled_id, before=before, after=after)
