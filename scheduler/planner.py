"""Plans human-looking send times for approved campaign messages; pure, no database, no clock.

Why pure and seeded: `preview` and `schedule` must produce the same plan for the same seed and start,
and the rules must be testable as properties over thousands of seeds. Everything random comes from one
`random.Random(seed)` drawn in a fixed order, so a plan is a function of (messages, windows, start, seed).

The windows (issue 13): each recipient may only be texted inside their own *effective window*, the
business window ∩ their local quiet-hours rule, holidays removed. The database computes it
(`public.recipient_windows`, one call for all numbers) and hands the planner, per phone number, the open
intervals `[opens_at, closes_at)` over a planning horizon (`RecipientWindows`). Without them (the
`window` argument only) every recipient's window is the business window, the plan of issue 4.

The rules (issue 4, the seed's made exact, extended to per-recipient windows by issue 13):
- Start at `start`, or at the next opening of any recipient's window when none is open then; the first
  message goes 0-2 minutes after that.
- Between consecutive sends of the campaign a uniform 4-7 minutes; with a probability drawn once per
  campaign in [15%, 20%], an extra uniform 10-15 minutes ("looks human").
- At each send time the campaign sends the first pending message, in the stable order (approval time,
  then id), whose recipient's window is open then. So while New York is closed the modem goes on with
  California, and New York's recipients wait for their next opening without holding anyone up.
- When no pending recipient's window is open at the candidate time, the plan jumps to the earliest next
  opening among the pending recipients, plus 0-2 minutes (kept only if that window is still open
  then). No planned time is ever outside its recipient's window.

A multi-bubble message is planned by its first bubble's time, as before: the listener sends the rest
seconds apart, and the claim's bubble grace (the database's) decides whether a started message may finish.
"""

from __future__ import annotations

import bisect
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from sms_common.bubbles import split_bubbles
from sms_common.errors import SmsSchedulerError
from sms_common.window import SendWindow

FIRST_DELAY_MAX = timedelta(minutes=2)
GAP_MIN = timedelta(minutes=4)
GAP_MAX = timedelta(minutes=7)
SKIP_PROBABILITY_MIN = 0.15
SKIP_PROBABILITY_MAX = 0.20
SKIP_MIN = timedelta(minutes=10)
SKIP_MAX = timedelta(minutes=15)
OPENING_JITTER_MAX = timedelta(minutes=2)

_FAR_PAST = datetime.min.replace(tzinfo=UTC)


class PlanningError(SmsSchedulerError):
    """The plan cannot be made (e.g. a window too short for the opening jitter, a naive start time)."""


class HorizonTooShortError(PlanningError):
    """The plan needs recipient windows beyond the horizon it was given: fetch a longer one and plan again.

    Raised, never a partial plan: the caller (scheduler.db) grows the horizon and calls the planner again,
    so preview and schedule, which grow it the same way, still agree.
    """

    def __init__(self, until: datetime) -> None:
        super().__init__(f"the plan does not fit before {until.isoformat()}: a longer horizon is needed")
        self.until = until


def bubble_count(content: str) -> int:
    """How many texts a message becomes (sms_common.bubbles; an empty piece, never sent, is not counted)."""
    return sum(1 for part in split_bubbles(content) if part)


@dataclass(frozen=True)
class ApprovedMessage:
    """What the planner needs of an approved campaign message."""

    id: int
    campaign_name: str
    customer_name: str | None
    phone_number: str
    message_content: str
    approved_at: datetime | None


Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class RecipientWindow:
    """One phone number's effective window over the horizon: sorted, disjoint `[opens_at, closes_at)`.

    `time_zones` (the number's IANA zones; several when its area spans several) and `rule` (the
    quiet-hours rule's label) are what `public.recipient_windows` says; the planner uses only the
    intervals, the summary the rest.
    """

    phone_number: str
    time_zones: tuple[str, ...]
    rule: str
    intervals: tuple[Interval, ...]

    def __post_init__(self) -> None:
        for opens, closes in self.intervals:
            if opens.tzinfo is None or closes.tzinfo is None:
                raise PlanningError(f"{self.phone_number}: a window interval has no time zone")
            if not opens < closes:
                raise PlanningError(f"{self.phone_number}: an empty window interval at {opens.isoformat()}")
        for (_, closes), (opens, _) in zip(self.intervals, self.intervals[1:], strict=False):
            if opens < closes:
                raise PlanningError(
                    f"{self.phone_number}: window intervals out of order or overlapping at {opens.isoformat()}"
                )

    def is_open(self, at: datetime) -> bool:
        return self.interval_at(at) is not None

    def interval_at(self, at: datetime) -> Interval | None:
        """The interval open at `at`, or None."""
        index = bisect.bisect_right(self.intervals, at, key=lambda interval: interval[0]) - 1
        if index >= 0 and at < self.intervals[index][1]:
            return self.intervals[index]
        return None

    def next_opening(self, after: datetime) -> datetime | None:
        """The first opening strictly after `after` within the horizon, or None."""
        index = bisect.bisect_right(self.intervals, after, key=lambda interval: interval[0])
        return self.intervals[index][0] if index < len(self.intervals) else None


@dataclass(frozen=True)
class RecipientWindows:
    """Every recipient's effective window over `[from_at, until)`, as one `recipient_windows` call gave it.

    A number missing from `by_number` has no open hour in the horizon.
    """

    from_at: datetime
    until: datetime
    by_number: Mapping[str, RecipientWindow] = field(default_factory=dict)
    #: The business's blackout dates in the horizon (business local date -> name), for the summary only:
    #: the intervals already leave them out.
    holidays: Mapping[date, str] = field(default_factory=dict)

    def of(self, phone_number: str) -> RecipientWindow:
        found = self.by_number.get(phone_number)
        return found if found is not None else RecipientWindow(phone_number, (), "", ())

    @classmethod
    def from_rows(
        cls,
        from_at: datetime,
        until: datetime,
        rows: Iterable[tuple[str, Sequence[str], str, datetime, datetime]],
        holidays: Mapping[date, str] | None = None,
    ) -> RecipientWindows:
        """From the rows of `recipient_windows` (phone_number, time_zones, rule, opens_at, closes_at)."""
        intervals: dict[str, list[Interval]] = {}
        about: dict[str, tuple[tuple[str, ...], str]] = {}
        for phone, zones, rule, opens, closes in rows:
            intervals.setdefault(phone, []).append((opens, closes))
            about.setdefault(phone, (tuple(zones or ()), rule or ""))
        return cls(
            from_at=from_at,
            until=until,
            holidays=dict(holidays or {}),
            by_number={
                phone: RecipientWindow(phone, about[phone][0], about[phone][1], tuple(sorted(spans)))
                for phone, spans in intervals.items()
            },
        )


@dataclass(frozen=True)
class PlannedMessage:
    """One message with its planned send time and how that time was reached (for the operator's output)."""

    position: int
    message: ApprovedMessage
    send_at: datetime
    gap: timedelta  # from the previous send (the first: from the start), as shown in the "+Nm" column
    base_gap: timedelta  # the uniform 4-7 minute draw (the first message: its 0-2 minute delay)
    extra_delay: timedelta  # the 10-15 minute "looks human" extra, or zero
    moved_to_opening: bool
    bubbles: int


@dataclass(frozen=True)
class Plan:
    """A complete plan: the messages in send order and the parameters that produced it."""

    items: tuple[PlannedMessage, ...]
    start: datetime
    effective_start: datetime
    seed: int
    skip_probability: float
    window: SendWindow
    recipients: RecipientWindows | None = None

    @property
    def first_send(self) -> datetime | None:
        return self.items[0].send_at if self.items else None

    @property
    def last_send(self) -> datetime | None:
        return self.items[-1].send_at if self.items else None

    @property
    def duration(self) -> timedelta:
        if not self.items:
            return timedelta(0)
        return self.items[-1].send_at - self.items[0].send_at

    @property
    def business_days(self) -> int:
        """How many window days the campaign spans, first and last send day included."""
        if not self.items:
            return 0
        first = self.window.local(self.items[0].send_at).date()
        last = self.window.local(self.items[-1].send_at).date()
        return sum(
            1
            for offset in range((last - first).days + 1)
            if self.window.is_window_day(first + timedelta(days=offset))
        )

    @property
    def skips(self) -> int:
        return sum(1 for item in self.items if item.extra_delay and not item.moved_to_opening)


def planning_order(messages: Sequence[ApprovedMessage]) -> list[ApprovedMessage]:
    """Approval time, then id; messages without an approval time go last (by id)."""
    return sorted(
        messages,
        key=lambda m: (m.approved_at is None, m.approved_at or _FAR_PAST, m.id),
    )


def _uniform(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """A uniform duration in [low, high], to the whole second (send times are shown to the minute)."""
    seconds = rng.uniform(low.total_seconds(), high.total_seconds())
    return timedelta(seconds=round(seconds))


def next_open_opening(window: SendWindow, after: datetime) -> datetime:
    """The next opening at which the window really is open.

    Only differs from `window.next_opening` when an opening time does not exist on a DST day (a window
    opening at 02:30 on the night clocks spring forward): that day is skipped.
    """
    moment = after
    for _ in range(400):
        opening = window.next_opening(moment)
        if window.is_open(opening):
            return opening
        moment = opening
    raise PlanningError(f"the send window ({window.describe()}) never opens after {after.isoformat()}")


# -- availability: when a group of recipients (the same window) may be texted ----------------------


class _Availability(Protocol):
    def is_open(self, at: datetime) -> bool: ...

    def next_opening(self, after: datetime) -> datetime | None:
        """The first opening strictly after `after`; None when there is none within the horizon."""
        ...


@dataclass
class _BusinessHours:
    """The business window alone (no recipient windows given): it opens forever."""

    window: SendWindow

    def is_open(self, at: datetime) -> bool:
        return self.window.is_open(at)

    def next_opening(self, after: datetime) -> datetime | None:
        return next_open_opening(self.window, after)


@dataclass
class _Intervals:
    """A recipient window's intervals, read with a cursor: the planner only ever asks about later moments."""

    intervals: tuple[Interval, ...]
    cursor: int = 0

    def _advance(self, at: datetime) -> None:
        while self.cursor < len(self.intervals) and self.intervals[self.cursor][1] <= at:
            self.cursor += 1

    def is_open(self, at: datetime) -> bool:
        self._advance(at)
        return self.cursor < len(self.intervals) and self.intervals[self.cursor][0] <= at

    def next_opening(self, after: datetime) -> datetime | None:
        self._advance(after)
        for opens, _ in self.intervals[self.cursor :]:
            if opens > after:
                return opens
        return None


@dataclass
class _Group:
    """The pending messages (in planning order) of the recipients who share one window."""

    availability: _Availability
    pending: deque[tuple[int, ApprovedMessage]]


def _groups(
    ordered: Sequence[ApprovedMessage], window: SendWindow, recipients: RecipientWindows | None
) -> list[_Group]:
    if recipients is None:
        return [_Group(_BusinessHours(window), deque(enumerate(ordered)))] if ordered else []
    by_window: dict[tuple[Interval, ...], _Group] = {}
    # Numbers of one window usually share one tuple object (scheduler.db builds it once per window):
    # look it up by identity first, as hashing a tuple of a thousand intervals per message is not free.
    by_identity: dict[int, _Group] = {}
    for rank, message in enumerate(ordered):
        spans = recipients.of(message.phone_number).intervals
        group = by_identity.get(id(spans))
        if group is None:
            group = by_window.get(spans)
            if group is None:
                group = by_window[spans] = _Group(_Intervals(spans), deque())
            by_identity[id(spans)] = group
        group.pending.append((rank, message))
    return list(by_window.values())


class _Planner:
    """The state of one planning run: the groups with pending messages and the horizon's end."""

    def __init__(self, groups: list[_Group], until: datetime | None) -> None:
        self.groups = groups
        self.until = until

    def _check(self, at: datetime) -> datetime:
        if self.until is not None and at >= self.until:
            raise HorizonTooShortError(self.until)
        return at

    def first_open(self, at: datetime) -> _Group | None:
        """The group whose first pending message comes first in planning order among those open at `at`."""
        self._check(at)
        best: _Group | None = None
        for group in self.groups:
            earlier = group.pending and (best is None or group.pending[0][0] < best.pending[0][0])
            if earlier and group.availability.is_open(at):
                best = group
        return best

    def next_opening(self, after: datetime) -> tuple[datetime, _Group]:
        """The earliest next opening among the groups with pending messages (ties: planning order)."""
        best: tuple[datetime, int, _Group] | None = None
        for group in self.groups:
            if not group.pending:
                continue
            opening = group.availability.next_opening(after)
            if opening is None:
                continue
            key = (opening, group.pending[0][0])
            if best is None or key < (best[0], best[1]):
                best = (opening, group.pending[0][0], group)
        if best is None:
            if self.until is not None:
                raise HorizonTooShortError(self.until)
            raise PlanningError(f"no recipient's window opens after {after.isoformat()}")
        return self._check(best[0]), best[2]

    def at_opening(self, after: datetime, rng: random.Random) -> datetime:
        """The next opening plus 0-2 minutes; the opening itself when the jitter would leave that window."""
        opening, group = self.next_opening(after)
        jitter = _uniform(rng, timedelta(0), OPENING_JITTER_MAX)
        candidate = opening + jitter
        if self.until is not None and candidate >= self.until:
            return opening
        return candidate if group.availability.is_open(candidate) else opening


def plan_campaign(
    messages: Sequence[ApprovedMessage],
    window: SendWindow,
    start: datetime,
    seed: int,
    recipients: RecipientWindows | None = None,
) -> Plan:
    """Plan send times for `messages` from `start` with the random seed `seed`.

    `window` is the business window; `recipients`, when given, each number's effective window over a
    horizon (its intervals lie inside the business window). HorizonTooShortError when the plan needs
    more of the future than `recipients` covers.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise PlanningError(f"the start time {start.isoformat()} has no time zone")
    start = start.astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)  # noqa: S311 - human-looking spacing, not security
    skip_probability = rng.uniform(SKIP_PROBABILITY_MIN, SKIP_PROBABILITY_MAX)
    ordered = planning_order(messages)
    planner = _Planner(_groups(ordered, window, recipients), recipients.until if recipients else None)
    if not ordered:
        effective_start = start if window.is_open(start) else next_open_opening(window, start)
    elif planner.first_open(start) is not None:
        effective_start = start
    else:
        effective_start = planner.next_opening(start)[0]

    items: list[PlannedMessage] = []
    previous: datetime | None = None
    for position in range(1, len(ordered) + 1):
        moved = False
        extra = timedelta(0)
        if previous is None:
            step = _uniform(rng, timedelta(0), FIRST_DELAY_MAX)
            candidate = effective_start + step
        else:
            step = _uniform(rng, GAP_MIN, GAP_MAX)
            if rng.random() < skip_probability:
                extra = _uniform(rng, SKIP_MIN, SKIP_MAX)
            candidate = previous + step + extra
        group = planner.first_open(candidate)
        if group is None:
            candidate = planner.at_opening(candidate, rng)
            group = planner.first_open(candidate)
            moved = True
        assert group is not None  # at_opening returns a moment at which that group is open
        _, message = group.pending.popleft()
        items.append(
            PlannedMessage(
                position=position,
                message=message,
                send_at=candidate,
                gap=candidate - (previous if previous is not None else start),
                base_gap=step,
                extra_delay=extra,
                moved_to_opening=moved,
                bubbles=bubble_count(message.message_content),
            )
        )
        previous = candidate
    return Plan(
        items=tuple(items),
        start=start,
        effective_start=effective_start,
        seed=seed,
        skip_probability=skip_probability,
        window=window,
        recipients=recipients,
    )
