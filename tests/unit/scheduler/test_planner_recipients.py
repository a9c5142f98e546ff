"""The planner with recipient windows (issue 13): every send inside its recipient's effective window,
the campaign's spacing kept, recipients of open zones served while others are closed, same plan for the
same inputs. The windows here are made by hand (strategies.effective_intervals), not by the database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.planner import (
    FIRST_DELAY_MAX,
    GAP_MIN,
    OPENING_JITTER_MAX,
    ApprovedMessage,
    HorizonTooShortError,
    Plan,
    PlanningError,
    RecipientWindow,
    RecipientWindows,
    plan_campaign,
    planning_order,
)
from sms_common.window import SendWindow
from tests.unit.scheduler.strategies import (
    dst_instants,
    instants,
    messages,
    mixed_messages,
    mixed_windows,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
EASTERN = ZoneInfo("America/New_York")
HAWAII = ZoneInfo("Pacific/Honolulu")
DEFAULT = SendWindow()


def check_recipient_rules(plan: Plan, recipients: RecipientWindows) -> None:
    """Every rule, checked on the plan and the windows alone."""
    ordered = planning_order([item.message for item in plan.items])
    assert sorted(i.message.id for i in plan.items) == sorted(m.id for m in ordered)
    assert [i.position for i in plan.items] == list(range(1, len(plan.items) + 1))
    pending = list(ordered)
    previous: datetime | None = None
    for item in plan.items:
        theirs = recipients.of(item.message.phone_number)
        assert theirs.is_open(item.send_at), f"{item.message.phone_number} at {item.send_at} is outside"
        assert item.send_at < recipients.until
        if previous is None:
            candidate = plan.effective_start + item.base_gap
            assert item.base_gap <= FIRST_DELAY_MAX
        else:
            assert item.send_at - previous >= GAP_MIN  # the campaign's spacing is kept
            candidate = previous + item.base_gap + item.extra_delay
        if item.moved_to_opening:
            # Nobody pending was open at the candidate: the plan jumped to the earliest next opening.
            assert not any(recipients.of(m.phone_number).is_open(candidate) for m in pending)
            openings = [recipients.of(m.phone_number).next_opening(candidate) for m in pending]
            opening = min(o for o in openings if o is not None)
            assert opening <= item.send_at <= opening + OPENING_JITTER_MAX
        else:
            assert item.send_at == candidate  # an open recipient was there: no idle modem
        # The message sent is the first pending one, in planning order, whose window is open then.
        index = pending.index(item.message)
        assert not any(recipients.of(m.phone_number).is_open(item.send_at) for m in pending[:index])
        pending.pop(index)
        previous = item.send_at


def plan_fitting(
    batch: list[ApprovedMessage], start: datetime, seed: int, holidays: frozenset[date] = frozenset()
) -> tuple[Plan, RecipientWindows]:
    """Grow the horizon until the plan fits, as scheduler.db does."""
    days = 8
    while True:
        recipients = mixed_windows(batch, DEFAULT, start, days, holidays)
        try:
            return plan_campaign(batch, DEFAULT, start, seed, recipients), recipients
        except HorizonTooShortError:
            days *= 2


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    start=instants,
    count=st.integers(1, 150),
    mix=st.integers(0, 1000),
)
def test_every_send_is_inside_its_recipients_window_for_any_seed_and_start(
    seed: int, start: datetime, count: int, mix: int
) -> None:
    batch = mixed_messages(count, seed=mix)
    plan, recipients = plan_fitting(batch, start, seed)
    check_recipient_rules(plan, recipients)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), start=dst_instants, count=st.integers(50, 300))
def test_rules_hold_across_dst_weeks(seed: int, start: datetime, count: int) -> None:
    batch = mixed_messages(count, seed=seed % 97)
    plan, recipients = plan_fitting(batch, start, seed)
    check_recipient_rules(plan, recipients)
    for item in plan.items:
        local = item.send_at.astimezone(ZoneInfo("America/Los_Angeles"))
        assert 9 <= local.hour < 20
        assert local.isoweekday() <= 5


@pytest.mark.parametrize("seed", range(30))
def test_holidays_and_loops_over_seeds(seed: int) -> None:
    thanksgiving = frozenset({date(2025, 11, 27)})
    batch = mixed_messages(300, seed=seed)
    plan, recipients = plan_fitting(batch, datetime(2025, 11, 25, 15, tzinfo=PACIFIC), seed, thanksgiving)
    check_recipient_rules(plan, recipients)
    assert date(2025, 11, 27) not in {i.send_at.astimezone(PACIFIC).date() for i in plan.items}


def test_the_same_inputs_give_the_same_plan() -> None:
    start = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)
    batch = mixed_messages(200, seed=4)
    one, recipients = plan_fitting(batch, start, 2025)
    two = plan_campaign(list(reversed(batch)), DEFAULT, start, 2025, recipients)
    assert one == two
    other = plan_campaign(batch, DEFAULT, start, 2026, recipients)
    assert [i.send_at for i in one.items] != [i.send_at for i in other.items]


def test_business_window_intervals_give_exactly_the_plain_plan() -> None:
    """Recipients whose window is the business window (Pacific numbers): the plan of issue 4, unchanged."""
    start = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)
    batch = messages(300)
    first = DEFAULT.local(start).date()
    spans = tuple(
        (DEFAULT.opening_on(first + timedelta(days=d)), DEFAULT.closing_on(first + timedelta(days=d)))
        for d in range(20)
        if DEFAULT.is_window_day(first + timedelta(days=d))
    )
    recipients = RecipientWindows(
        from_at=start,
        until=DEFAULT.opening_on(first + timedelta(days=20)),
        by_number={
            m.phone_number: RecipientWindow(m.phone_number, ("America/Los_Angeles",), "federal", spans)
            for m in batch
        },
    )
    plain = plan_campaign(batch, DEFAULT, start, 77)
    windowed = plan_campaign(batch, DEFAULT, start, 77, recipients)
    assert windowed.items == plain.items
    assert windowed.effective_start == plain.effective_start


def number(prefix: str, n: int) -> str:
    return f"{prefix}{n:04d}"


def four_places(count_each: int) -> list[ApprovedMessage]:
    """New York, Florida, California, Hawaii, one after the other in the planning order, round robin."""
    prefixes = ["+1212555", "+1305555", "+1415555", "+1808555"]
    base = datetime(2025, 11, 1, tzinfo=UTC)
    return [
        ApprovedMessage(i, "c", f"C{i}", number(prefixes[i % 4], i), "hi", base + timedelta(seconds=i))
        for i in range(count_each * 4)
    ]


def test_at_1830_pacific_california_and_hawaii_go_on_while_new_york_and_florida_wait() -> None:
    start = datetime(2025, 11, 5, 18, 30, tzinfo=PACIFIC)  # Wednesday, 21:30 in New York
    batch = four_places(6)
    plan, recipients = plan_fitting(batch, start, 3)
    check_recipient_rules(plan, recipients)
    evening = [i for i in plan.items if i.send_at < datetime(2025, 11, 5, 20, tzinfo=PACIFIC)]
    assert evening, "the modem is not idle while the East Coast is closed"
    assert {i.message.phone_number[:5] for i in evening} <= {"+1415", "+1808"}
    assert plan.items[0].send_at <= start + FIRST_DELAY_MAX  # no wait for the East Coast
    east = [i for i in plan.items if i.message.phone_number[:5] in {"+1212", "+1305"}]
    assert all(i.send_at.astimezone(PACIFIC).date() == date(2025, 11, 6) for i in east)
    for item in east:
        local = item.send_at.astimezone(EASTERN)
        closes = 20 if item.message.phone_number.startswith("+1305") else 21
        assert 12 <= local.hour < closes  # Pacific 9:00 is 12:00 Eastern


def test_at_0905_pacific_hawaii_waits_for_its_8_oclock() -> None:
    start = datetime(2025, 11, 5, 9, 5, tzinfo=PACIFIC)  # 07:05 in Honolulu
    batch = four_places(10)
    plan, recipients = plan_fitting(batch, start, 11)
    check_recipient_rules(plan, recipients)
    hawaii = [i for i in plan.items if i.message.phone_number.startswith("+1808")]
    assert all(i.send_at.astimezone(HAWAII).hour >= 8 for i in hawaii)
    assert min(i.send_at for i in hawaii) >= datetime(2025, 11, 5, 10, tzinfo=PACIFIC)
    # Before 10:00 Pacific the others are sent, in their planning order.
    early = [i for i in plan.items if i.send_at < datetime(2025, 11, 5, 10, tzinfo=PACIFIC)]
    assert early
    assert [i.message.id for i in early] == sorted(i.message.id for i in early)


def test_when_everyone_is_closed_the_plan_jumps_to_the_earliest_opening() -> None:
    start = datetime(2025, 11, 5, 19, 50, tzinfo=PACIFIC)  # New York and Florida are closed
    batch = [m for m in four_places(3) if m.phone_number.startswith(("+1212", "+1305"))]
    plan, recipients = plan_fitting(batch, start, 5)
    check_recipient_rules(plan, recipients)
    thursday_nine = datetime(2025, 11, 6, 9, tzinfo=PACIFIC)
    assert plan.effective_start == thursday_nine  # the first opening of any of them
    assert thursday_nine <= plan.items[0].send_at <= thursday_nine + FIRST_DELAY_MAX


def test_a_short_horizon_is_reported_not_half_planned() -> None:
    start = datetime(2025, 11, 5, 9, tzinfo=PACIFIC)
    batch = mixed_messages(400)
    recipients = mixed_windows(batch, DEFAULT, start, 2)
    with pytest.raises(HorizonTooShortError) as caught:
        plan_campaign(batch, DEFAULT, start, 1, recipients)
    assert caught.value.until == recipients.until
    # A number with no open hour in the horizon at all: the same.
    lonely = ApprovedMessage(1, "c", None, "+12125550000", "hi", None)
    empty = RecipientWindows(from_at=start, until=start + timedelta(days=3), by_number={})
    with pytest.raises(HorizonTooShortError):
        plan_campaign([lonely], DEFAULT, start, 1, empty)


def test_a_grown_horizon_does_not_change_what_fitted_before() -> None:
    start = datetime(2025, 11, 5, 9, tzinfo=PACIFIC)
    batch = mixed_messages(150)
    short = plan_campaign(batch, DEFAULT, start, 8, mixed_windows(batch, DEFAULT, start, 8))
    long = plan_campaign(batch, DEFAULT, start, 8, mixed_windows(batch, DEFAULT, start, 30))
    assert short.items == long.items


def test_windows_must_be_sorted_and_disjoint() -> None:
    at = datetime(2025, 11, 5, 17, tzinfo=UTC)
    with pytest.raises(PlanningError, match="overlapping"):
        RecipientWindow(
            "+1", (), "", ((at, at + timedelta(hours=2)), (at + timedelta(hours=1), at + timedelta(hours=3)))
        )
    with pytest.raises(PlanningError, match="empty"):
        RecipientWindow("+1", (), "", ((at, at),))


def test_from_rows_groups_the_sql_rows_per_number() -> None:
    at = datetime(2025, 11, 5, 17, tzinfo=UTC)
    rows = [
        (
            "+1907",
            ["America/Adak", "America/Anchorage"],
            "federal",
            at + timedelta(days=1),
            at + timedelta(days=1, hours=3),
        ),
        ("+1907", ["America/Adak", "America/Anchorage"], "federal", at, at + timedelta(hours=3)),
        ("+1212", ["America/New_York"], "federal", at, at + timedelta(hours=1)),
    ]
    windows = RecipientWindows.from_rows(at, at + timedelta(days=2), rows)
    alaska = windows.of("+1907")
    assert alaska.time_zones == ("America/Adak", "America/Anchorage")
    assert alaska.intervals[0][0] == at  # sorted
    assert alaska.is_open(at + timedelta(hours=2))
    assert not alaska.is_open(at + timedelta(hours=3))
    assert alaska.next_opening(at + timedelta(hours=3)) == at + timedelta(days=1)
    assert windows.of("+1999").intervals == ()
    assert list(itertools.chain.from_iterable(windows.of("+1212").intervals)) == [at, at + timedelta(hours=1)]
