"""What a windowed plan means for the operator: recipients per time zone, who was moved and why.

Why compare with the plain plan: "moved" is only meaningful against what would have happened without
recipient windows. The plain plan is the same messages, start and seed planned in the business window
alone (issue 4's plan, the one the seed's script made); a recipient is *moved* when that plan would
have texted them outside their effective window. The reason is read off their window around that
moment: the interval that closed before it ("New York closes 21:00 EST = 18:00 PST"), the one that
opens after it ("Hawaii opens 8:00 HST = 10:00 PST"), or a business day with no open hour at all
(a blackout date, named, or a day closed for that number alone). Pure, like the planner: a function
of the plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import geocoder

from scheduler.planner import Plan, PlannedMessage, RecipientWindow, plan_campaign
from sms_common.window import SendWindow

UNKNOWN_ZONE = "unknown zone"


@dataclass(frozen=True)
class ZoneCount:
    """Recipients whose number is in `zones` (one zone, or several for a number spanning several)."""

    zones: tuple[str, ...]
    recipients: int  # distinct phone numbers
    messages: int
    moved: int

    @property
    def label(self) -> str:
        return " + ".join(self.zones) if self.zones else UNKNOWN_ZONE


@dataclass(frozen=True)
class Move:
    """A message the plain business-window plan would have sent outside its recipient's window."""

    item: PlannedMessage
    plain_at: datetime
    reason: str


@dataclass(frozen=True)
class PlanSummary:
    zones: tuple[ZoneCount, ...]
    moves: tuple[Move, ...]
    reasons: tuple[tuple[str, int], ...]  # (reason, how many), most frequent first
    later: int  # messages planned later than the plain plan without being moved themselves


def place_of(phone_number: str, zones: Sequence[str]) -> str:
    """A place a person recognises: phonenumbers' geocoder ("Hawaii", "New York" of "New York, NY"),
    else the zone's city ("America/New_York" -> "New York")."""
    return _place(phone_number, tuple(zones))


@cache
def _place(phone_number: str, zones: tuple[str, ...]) -> str:
    try:
        described: str = geocoder.description_for_number(phonenumbers.parse(phone_number), "en")
    except phonenumbers.NumberParseException:
        described = ""
    if described:
        return described.split(", ")[0]
    if zones:
        return zones[0].rsplit("/", 1)[-1].replace("_", " ")
    return "their area"


def _wall(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local.hour}:{local.minute:02d} {local.tzname()}"


def _edge(at: datetime, zones: tuple[str, ...], window: SendWindow, closing: bool) -> str:
    """`21:00 EST = 18:00 PST`: the edge in the zone that binds it, and in the business zone.

    With several zones (Alaska's 907: Adak and Anchorage) the window is open only when it is open in
    all of them, so a closing is the zone with the latest wall time, an opening the one with the earliest.
    """
    if not zones:
        return _wall(at, window.zone)
    infos = [ZoneInfo(z) for z in zones]
    walls = sorted(infos, key=lambda z: at.astimezone(z).replace(tzinfo=None))
    theirs = walls[-1] if closing else walls[0]
    mine = _wall(at, window.zone)
    return _wall(at, theirs) if _wall(at, theirs) == mine else f"{_wall(at, theirs)} = {mine}"


def move_reason(
    theirs: RecipientWindow,
    plain_at: datetime,
    window: SendWindow,
    holidays: Mapping[date, str] | None = None,
) -> str:
    """Why `plain_at` is outside `theirs` (see the module docstring)."""
    place = place_of(theirs.phone_number, theirs.time_zones)
    rule = f" ({theirs.rule})" if theirs.rule else ""
    day = window.local(plain_at).date()
    same_day = [span for span in theirs.intervals if window.local(span[0]).date() == day]
    before = [span for span in same_day if span[1] <= plain_at]
    after = [span for span in same_day if span[0] > plain_at]
    if not same_day:
        if holidays and day in holidays:
            return f"holiday {day:%a %m/%d} ({holidays[day]})"
        return f"{place} closed all day {day:%a %m/%d}{rule}"
    if after and not before:
        return f"{place} opens {_edge(after[0][0], theirs.time_zones, window, closing=False)}{rule}"
    if before and not after:
        return f"{place} closes {_edge(before[-1][1], theirs.time_zones, window, closing=True)}{rule}"
    if before and after:
        return (
            f"{place} closed {_edge(before[-1][1], theirs.time_zones, window, closing=True)} to "
            f"{_edge(after[0][0], theirs.time_zones, window, closing=False)}{rule}"
        )
    return f"{place} open at {_wall(plain_at, window.zone)}{rule}"  # not a move: never asked about one


def plain_plan(plan: Plan) -> Plan:
    """The same messages, start and seed, planned in the business window alone."""
    return plan_campaign([item.message for item in plan.items], plan.window, plan.start, plan.seed)


def summarise(plan: Plan) -> PlanSummary | None:
    """The per-zone counts and moves of a plan made with recipient windows; None without them."""
    recipients = plan.recipients
    if recipients is None:
        return None
    plain = {item.message.id: item.send_at for item in plain_plan(plan).items}
    window = plan.window
    moves: list[Move] = []
    later = 0
    for item in plan.items:
        theirs = recipients.of(item.message.phone_number)
        plain_at = plain[item.message.id]
        if plain_at >= recipients.until:
            continue  # beyond the windows fetched (the plain plan is never longer in practice)
        if not theirs.is_open(plain_at):
            moves.append(Move(item, plain_at, move_reason(theirs, plain_at, window, recipients.holidays)))
        elif item.send_at > plain_at:
            later += 1
    moved_ids = {move.item.message.id for move in moves}
    numbers: dict[tuple[str, ...], set[str]] = {}
    counts: Counter[tuple[str, ...]] = Counter()
    moved: Counter[tuple[str, ...]] = Counter()
    for item in plan.items:
        zones = recipients.of(item.message.phone_number).time_zones
        numbers.setdefault(zones, set()).add(item.message.phone_number)
        counts[zones] += 1
        moved[zones] += item.message.id in moved_ids
    zone_counts = tuple(
        ZoneCount(key, len(numbers[key]), counts[key], moved[key])
        for key in sorted(counts, key=lambda k: (-counts[k], k))
    )
    reasons = Counter(move.reason for move in moves)
    first_seen = {reason: n for n, reason in reversed(list(enumerate(m.reason for m in moves)))}
    ordered = sorted(reasons.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))
    return PlanSummary(zones=zone_counts, moves=tuple(moves), reasons=tuple(ordered), later=later)
