"""The plan as a picture in the terminal: sends per hour for each day, the open hours of each zone shaded.

Why a picture: a campaign across time zones no longer runs "9 to 8 Pacific" for everyone, and a person
approving it wants to see at a glance when it runs and who is reachable when. One row per day with the
campaign's sends per hour (business-zone hours, the zone the operator thinks in), then one row per
recipient window (time zone + rule) with that group's sends, on shading where its window is open.
Plain glyphs carry the shading (`░`), so it survives a pipe, a log file and `export_text`; colour is
added on a terminal.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from scheduler.planner import Interval, Plan
from sms_common.window import SendWindow

SHADE = "░"
CELL = 3
LABEL_WIDTH = 22
#: More days than this are summarised in one line below the chart.
MAX_DAYS = 14
#: Up to this many hour columns get a space between them: 10 + 23 + 16 * 4 = 97 columns; more hours
#: (a window of up to 24) are drawn without the space and with shorter labels: 10 + 17 + 24 * 3 = 99.
WIDE_HOURS = 16
NARROW_LABEL_WIDTH = 16
OPEN_STYLE = "on grey27"
SEND_STYLE = "bold"


@dataclass(frozen=True)
class _Row:
    key: tuple[tuple[str, ...], str]
    label: str
    intervals: tuple[Interval, ...]


def _hour_span(window: SendWindow, day: date, hour: int) -> tuple[datetime, datetime]:
    """The instants of local hour `hour` of `day` in the business zone (a missing DST hour is empty)."""
    begin = datetime.combine(day, time(hour), tzinfo=window.zone).astimezone(UTC)
    return begin, begin + timedelta(hours=1)


def _open_in(intervals: tuple[Interval, ...], begin: datetime, end: datetime) -> bool:
    """Whether any of the sorted, disjoint `intervals` overlaps [begin, end)."""
    index = bisect.bisect_right(intervals, begin, key=lambda span: span[1])
    return index < len(intervals) and intervals[index][0] < end


def _rows(plan: Plan) -> list[_Row]:
    window = plan.window
    if plan.recipients is None:
        first = window.local(plan.items[0].send_at).date()
        last = window.local(plan.items[-1].send_at).date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        spans = tuple((window.opening_on(d), window.closing_on(d)) for d in days if window.is_window_day(d))
        return [_Row(((), ""), f"{window.time_zone.rsplit('/', 1)[-1]} window", spans)]
    # One number per (zones, rule) stands for its row: they share one window (the intervals depend on
    # the zones, the rule and the business's window and blackout dates only).
    shown: dict[tuple[tuple[str, ...], str], tuple[Interval, ...]] = {}
    for item in plan.items:
        theirs = plan.recipients.of(item.message.phone_number)
        shown.setdefault((theirs.time_zones, theirs.rule), theirs.intervals)
    at = plan.items[0].send_at
    rows = []
    for key, spans in shown.items():
        zones, rule = key
        abbreviations = "/".join(dict.fromkeys(_abbreviation(z, at) for z in zones)) or "?"
        rows.append(_Row(key, f"{abbreviations} {rule}".strip(), spans))
    # West to east as a person reads a map of US zones: by the zone's UTC offset, then the label.
    return sorted(rows, key=lambda r: (_offset(r.key[0], at), r.label))


def _abbreviation(zone: str, at: datetime) -> str:
    return at.astimezone(ZoneInfo(zone)).tzname() or zone


def _offset(zones: tuple[str, ...], at: datetime) -> float:
    if not zones:
        return 0.0
    offset = at.astimezone(ZoneInfo(zones[0])).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def plan_chart(plan: Plan, *, max_days: int = MAX_DAYS) -> RenderableType:
    """The chart of `plan` (see the module docstring); an empty plan draws a one-line note."""
    if not plan.items:
        return Text("No sends to draw.")
    window = plan.window
    rows = _rows(plan)
    key_of = {}
    if plan.recipients is not None:
        for item in plan.items:
            theirs = plan.recipients.of(item.message.phone_number)
            key_of[item.message.id] = (theirs.time_zones, theirs.rule)
    sends: Counter[tuple[date, int]] = Counter()
    group_sends: Counter[tuple[tuple[tuple[str, ...], str], date, int]] = Counter()
    for item in plan.items:
        local = window.local(item.send_at)
        sends[(local.date(), local.hour)] += 1
        group_sends[(key_of.get(item.message.id, ((), "")), local.date(), local.hour)] += 1

    first = window.local(plan.items[0].send_at).date()
    last = window.local(plan.items[-1].send_at).date()
    all_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def open_hours(day: date) -> set[int]:
        return {
            hour
            for hour in range(24)
            for row in rows
            if _open_in(row.intervals, *_hour_span(window, day, hour))
        }

    opened = {day: open_hours(day) for day in all_days}
    days = [d for d in all_days if opened[d] or any(sends[(d, h)] for h in range(24))]
    shown, hidden = days[:max_days], days[max_days:]
    used = set().union(*(opened[d] for d in shown), {h for (d, h) in sends if d in shown})
    hours = list(range(min(used), max(used) + 1))

    zone_name = window.local(plan.items[0].send_at).tzname()
    wide = len(hours) <= WIDE_HOURS
    gap = " " if wide else ""  # a space between hours while it fits in 100 columns
    label_width = LABEL_WIDTH if wide else NARROW_LABEL_WIDTH
    table = Table(box=None, padding=0, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("day", width=10, no_wrap=True)
    table.add_column("who", width=label_width + 1, no_wrap=True, overflow="ellipsis")
    for hour in hours:
        table.add_column(f"{gap}{hour:>{CELL}}", width=CELL + len(gap), justify="right", no_wrap=True)
    for index, day in enumerate(shown):
        if index:
            table.add_row(*([""] * (2 + len(hours))))
        total = sum(sends[(day, h)] for h in range(24))
        cells = []
        for hour in hours:
            count = sends[(day, hour)]
            cells.append(
                Text(f"{gap}{count:>{CELL}}", style=SEND_STYLE)
                if count
                else Text(f"{gap}{'·':>{CELL}}", style="dim")
            )
        table.add_row(
            Text(f"{day:%a %m/%d}", style=SEND_STYLE),
            Text(f"all: {total} send{'s' if total != 1 else ''}", style=SEND_STYLE),
            *cells,
        )
        for row in rows:
            row_cells = []
            for hour in hours:
                count = group_sends[(row.key, day, hour)]
                body = f"{count}" if count else ""
                cell = Text(gap)
                if _open_in(row.intervals, *_hour_span(window, day, hour)):
                    cell.append(body.rjust(CELL, SHADE), style=OPEN_STYLE)
                else:
                    cell.append(body.rjust(CELL))
                row_cells.append(cell)
            table.add_row("", Text(row.label[:label_width]), *row_cells)
    skipped = len(all_days[: all_days.index(shown[-1]) + 1]) - len(shown)
    title = Text(f"Sends per hour, {window.time_zone} hours ({zone_name})", style=SEND_STYLE)
    legend = Text(
        f"{SHADE} open for the row's recipients (time zone, rule); numbers: sends"
        + ("; closed days not drawn" if skipped else "")
    )
    parts: list[RenderableType] = [title, legend, table]
    if hidden:
        rest = sum(sends[(d, h)] for d in hidden for h in range(24))
        parts.append(
            Text(
                f"… {len(hidden)} more day{'s' if len(hidden) != 1 else ''} with {rest} sends, "
                f"{hidden[0]:%a %m/%d} to {hidden[-1]:%a %m/%d} (not drawn)"
            )
        )
    return Group(*parts)
