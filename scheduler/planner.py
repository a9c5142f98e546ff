"""Plans human-looking send times for approved campaign messages; pure, no database, no clock.

Why pure and seeded: `preview` and `schedule` must produce the same plan for the same seed and start,
and the rules must be testable as properties over thousands of seeds. Everything random comes from one
`random.Random(seed)` drawn in a fixed order, so a plan is a function of (messages, window, start, seed).

The rules (issue 4, the seed's made exact):
- Start at `start`, or at the next opening when the window is closed then; the first message goes
  0-2 minutes after that.
- Between consecutive messages a uniform 4-7 minutes; with a probability drawn once per campaign in
  [15%, 20%], an extra uniform 10-15 minutes ("looks human").
- A time that falls outside the window moves to the next opening (skipping non-window days) plus
  0-2 minutes. No planned time is ever outside the window.
- Messages are planned in a stable order: approval time, then id.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


def _at_opening(window: SendWindow, opening: datetime, rng: random.Random) -> datetime:
    jitter = _uniform(rng, timedelta(0), OPENING_JITTER_MAX)
    candidate = opening + jitter
    # The jitter can only overshoot a window shorter than two minutes; then the opening itself is used.
    return candidate if window.is_open(candidate) else opening


def plan_campaign(
    messages: Sequence[ApprovedMessage],
    window: SendWindow,
    start: datetime,
    seed: int,
) -> Plan:
    """Plan send times for `messages` (in planning order) from `start` with the random seed `seed`."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise PlanningError(f"the start time {start.isoformat()} has no time zone")
    start = start.astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)  # noqa: S311 - human-looking spacing, not security
    skip_probability = rng.uniform(SKIP_PROBABILITY_MIN, SKIP_PROBABILITY_MAX)
    effective_start = start if window.is_open(start) else next_open_opening(window, start)

    items: list[PlannedMessage] = []
    previous: datetime | None = None
    for position, message in enumerate(planning_order(messages), start=1):
        moved = False
        extra = timedelta(0)
        if previous is None:
            step = _uniform(rng, timedelta(0), FIRST_DELAY_MAX)
            candidate = effective_start + step
            if not window.is_open(candidate):
                candidate = _at_opening(window, next_open_opening(window, candidate), rng)
                moved = True
            gap = candidate - start
        else:
            step = _uniform(rng, GAP_MIN, GAP_MAX)
            if rng.random() < skip_probability:
                extra = _uniform(rng, SKIP_MIN, SKIP_MAX)
            candidate = previous + step + extra
            if not window.is_open(candidate):
                candidate = _at_opening(window, next_open_opening(window, candidate), rng)
                moved = True
            gap = candidate - previous
        items.append(
            PlannedMessage(
                position=position,
                message=message,
                send_at=candidate,
                gap=gap,
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
    )
