"""Shared builders for the scheduler's unit tests: approved messages and send windows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from scheduler.planner import ApprovedMessage, RecipientWindow, RecipientWindows
from sms_common.window import SendWindow

PACIFIC = ZoneInfo("America/Los_Angeles")


def messages(count: int, *, approved_from: datetime | None = None) -> list[ApprovedMessage]:
    base = approved_from or datetime(2025, 11, 1, tzinfo=UTC)
    return [
        ApprovedMessage(
            id=i,
            campaign_name="spring",
            customer_name=f"Customer {i}",
            phone_number=f"+1209555{i % 10000:04d}",
            message_content="Hello[BUBBLE]second" if i % 3 else "Just one bubble",
            approved_at=base + timedelta(seconds=i),
        )
        for i in range(1, count + 1)
    ]


@st.composite
def windows(draw: st.DrawFn) -> SendWindow:
    """The default window, or another plausible one (other hours, days and zones)."""
    if draw(st.booleans()):
        return SendWindow()
    opens = draw(st.integers(min_value=5, max_value=12))
    closes = draw(st.integers(min_value=opens + 1, max_value=23))
    days = draw(st.frozensets(st.integers(min_value=1, max_value=7), min_size=1))
    zone = draw(st.sampled_from(["America/Los_Angeles", "America/New_York", "Europe/Berlin", "UTC"]))
    return SendWindow(time_zone=zone, opens_at=time(opens), closes_at=time(closes), week_days=days)


#: Instants from 2025 to 2027, to the second, including both DST transitions of each year.
instants = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes them aware
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001 - same
    timezones=st.just(UTC),
).map(lambda d: d.replace(microsecond=0))

#: Instants in the weeks around US DST changes (spring forward 2025-03-09, fall back 2025-11-02, 2026 too).
dst_instants = st.sampled_from(
    [
        datetime(2025, 3, 7, 12, tzinfo=PACIFIC),
        datetime(2025, 10, 31, 12, tzinfo=PACIFIC),
        datetime(2026, 3, 6, 12, tzinfo=PACIFIC),
        datetime(2026, 10, 30, 12, tzinfo=PACIFIC),
    ]
).flatmap(
    lambda base: st.integers(min_value=0, max_value=5 * 24 * 3600).map(lambda s: base + timedelta(seconds=s))
)


def effective_intervals(
    window: SendWindow,
    zone: str,
    opens_hour: int,
    closes_hour: int,
    start: datetime,
    days: int,
    holidays: frozenset[date] = frozenset(),
) -> tuple[tuple[datetime, datetime], ...]:
    """An independent stand-in for `recipient_windows`: the business window ∩ [opens, closes) local to
    `zone`, business days in `holidays` removed, from the business day of `start` for `days` days."""
    local = ZoneInfo(zone)
    first = window.local(start).date()
    spans: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if not window.is_window_day(day) or day in holidays:
            continue
        business = (window.opening_on(day), window.closing_on(day))
        for shift in (-1, 0, 1):  # the recipient's local days that can overlap this business day
            theirs = day + timedelta(days=shift)
            rule = (
                datetime.combine(theirs, time(opens_hour), tzinfo=local).astimezone(UTC),
                datetime.combine(theirs, time(closes_hour), tzinfo=local).astimezone(UTC),
            )
            opens, closes = max(business[0], rule[0]), min(business[1], rule[1])
            if opens < closes:
                spans.append((opens, closes))
    return tuple(sorted(spans))


#: Area codes of the issue's mixed campaign: number prefix, zone, local quiet-hours rule (FACTS.md).
US_PLACES = (
    ("+1212555", "America/New_York", 8, 21),  # New York: federal 8:00-21:00
    ("+1305555", "America/New_York", 8, 20),  # Florida: 8:00-20:00
    ("+1415555", "America/Los_Angeles", 8, 21),  # California
    ("+1808555", "Pacific/Honolulu", 8, 21),  # Hawaii
    ("+1602555", "America/Phoenix", 8, 21),  # Arizona (no DST)
)


def mixed_messages(count: int, *, seed: int = 0) -> list[ApprovedMessage]:
    """`count` approved messages to numbers of US_PLACES, the places in a seeded random order."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    base = datetime(2025, 11, 1, tzinfo=UTC)
    return [
        ApprovedMessage(
            id=i,
            campaign_name="mixed",
            customer_name=f"Customer {i}",
            phone_number=f"{rng.choice(US_PLACES)[0]}{i % 10000:04d}",
            message_content="Hello[BUBBLE]second" if i % 3 else "Just one bubble",
            approved_at=base + timedelta(seconds=i),
        )
        for i in range(1, count + 1)
    ]


def mixed_windows(
    numbers: list[ApprovedMessage],
    window: SendWindow,
    start: datetime,
    days: int,
    holidays: frozenset[date] = frozenset(),
) -> RecipientWindows:
    """The recipient windows of `numbers` (all of US_PLACES) over `days` days from `start`."""
    by_number: dict[str, RecipientWindow] = {}
    for message in numbers:
        prefix, zone, opens, closes = next(p for p in US_PLACES if message.phone_number.startswith(p[0]))
        spans = effective_intervals(window, zone, opens, closes, start, days, holidays)
        rule = "Florida 8:00-20:00" if prefix == "+1305555" else "federal 8:00-21:00"
        by_number[message.phone_number] = RecipientWindow(message.phone_number, (zone,), rule, spans)
    until = window.opening_on(window.local(start).date() + timedelta(days=days))
    names = {day: "Thanksgiving" if (day.month, day.day) == (11, 27) else "holiday" for day in holidays}
    return RecipientWindows(from_at=start, until=until, by_number=by_number, holidays=names)
