"""Shared builders for the scheduler's unit tests: approved messages and send windows."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from scheduler.planner import ApprovedMessage
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
