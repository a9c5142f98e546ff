"""The send window in Python, read from the same `send_window` row the SQL functions read.

Why a Python twin of `is_business_hours()` / `next_window_opening()`: the scheduler plans thousands of
send times and must know, for each one, whether the window is open, without a round trip per instant.
The rules are the SQL ones exactly (ISO week days, opening inclusive, closing exclusive, local wall time
in the window's IANA zone via zoneinfo); an integration test compares both on sampled instants,
including the weeks in which daylight saving time starts and ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sms_common.errors import SmsSchedulerError

#: How many days ahead `next_opening` looks; the SQL function looks 8 days ahead (every week day set fits).
_LOOKAHEAD_DAYS = 8


class SendWindowError(SmsSchedulerError):
    """The send window settings are unusable (unknown zone, opening not before closing, bad week days)."""


@dataclass(frozen=True)
class SendWindow:
    """When texts may go out: local opening and closing time on ISO week days (1=Mon .. 7=Sun).

    The defaults equal the SQL defaults of the `send_window` table.
    """

    time_zone: str = "America/Los_Angeles"
    opens_at: time = time(9, 0)
    closes_at: time = time(20, 0)
    week_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    catch_up_gap: timedelta = timedelta(minutes=4)
    bubble_grace: timedelta = timedelta(minutes=5)
    claim_lease: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    retry_base: timedelta = timedelta(seconds=15)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SendWindowError(
                f"send window time zone {self.time_zone!r} is not a known IANA zone"
            ) from exc
        if self.opens_at >= self.closes_at:
            raise SendWindowError(
                f"send window opens at {self.opens_at:%H:%M} but closes at {self.closes_at:%H:%M}: "
                "the opening must be earlier"
            )
        days = frozenset(self.week_days)
        if not days or not days <= frozenset(range(1, 8)):
            raise SendWindowError(f"send window week days {sorted(days)} must be ISO days 1 (Mon) .. 7 (Sun)")
        object.__setattr__(self, "week_days", days)
        object.__setattr__(self, "_zone", zone)

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def local(self, at: datetime) -> datetime:
        """`at` as wall-clock time in the window's zone (for display and the open/closed test)."""
        return _aware(at).astimezone(self._zone)

    def is_open(self, at: datetime) -> bool:
        """True when `at` is inside the window: listed week day, opens_at <= local time < closes_at."""
        local = self.local(at)
        wall = local.time().replace(tzinfo=None)
        return local.isoweekday() in self.week_days and self.opens_at <= wall < self.closes_at

    def _instant(self, day: date, wall: time) -> datetime:
        """Local `day` + `wall` as an instant, resolved as PostgreSQL's `(date + time) at time zone` does.

        A wall time that does not exist (clocks spring forward) or exists twice (clocks fall back) is read
        as standard time, which is what PostgreSQL does; zoneinfo's `fold` picks the matching offset.
        """
        first = datetime.combine(day, wall, tzinfo=self._zone)
        second = first.replace(fold=1)
        if first.utcoffset() == second.utcoffset():
            return first.astimezone(UTC)
        standard = second if second.dst() == timedelta(0) else first
        return standard.astimezone(UTC)

    def opening_on(self, day: date) -> datetime:
        """The instant (UTC) at which the window opens on local date `day` (whether or not it is a window day)."""
        return self._instant(day, self.opens_at)

    def closing_on(self, day: date) -> datetime:
        """The instant (UTC) at which the window closes on local date `day`."""
        return self._instant(day, self.closes_at)

    def next_opening(self, after: datetime) -> datetime:
        """The first opening strictly after `after` (today's if still ahead, else a later window day)."""
        after = _aware(after)
        first = self.local(after).date()
        for offset in range(_LOOKAHEAD_DAYS + 1):
            day = first + timedelta(days=offset)
            if day.isoweekday() not in self.week_days:
                continue
            opening = self.opening_on(day)
            if opening > after:
                return opening
        raise SendWindowError(f"no window opening within {_LOOKAHEAD_DAYS} days after {after.isoformat()}")

    def closing_time(self, at: datetime) -> datetime | None:
        """When the window that is open at `at` closes; None when the window is closed at `at`."""
        if not self.is_open(at):
            return None
        return self.closing_on(self.local(at).date())

    def is_window_day(self, day: date) -> bool:
        return day.isoweekday() in self.week_days

    def describe(self) -> str:
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        days = ",".join(names[d - 1] for d in sorted(self.week_days))
        return f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M} {self.time_zone}, {days}"


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise SendWindowError(f"a naive datetime ({at.isoformat()}) has no time zone; pass an aware one")
    return at


_COLUMNS = (
    "time_zone",
    "opens_at",
    "closes_at",
    "week_days",
    "catch_up_gap",
    "bubble_grace",
    "claim_lease",
    "max_attempts",
    "retry_base",
)


def load_send_window(conn: Any) -> SendWindow:
    """Read the `send_window` settings row through a psycopg (sync) connection; the defaults if it is missing."""
    row = conn.execute(f"select {', '.join(_COLUMNS)} from public.send_window where id").fetchone()
    if row is None:
        return SendWindow()
    values = dict(zip(_COLUMNS, row, strict=True))
    values["week_days"] = frozenset(int(d) for d in values["week_days"])
    return SendWindow(**values)
