"""The planning rules of issue 4 as properties over many seeds, starts and windows."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.planner import (
    FIRST_DELAY_MAX,
    GAP_MAX,
    GAP_MIN,
    OPENING_JITTER_MAX,
    SKIP_MAX,
    SKIP_MIN,
    Plan,
    PlanningError,
    bubble_count,
    next_open_opening,
    plan_campaign,
)
from sms_common.window import SendWindow
from tests.unit.scheduler.strategies import dst_instants, instants, messages, windows

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT = SendWindow()


def check_rules(plan: Plan) -> None:
    """Every rule of the plan, checked on the plan alone (used by all property tests)."""
    window = plan.window
    items = plan.items
    expected_start = plan.start if window.is_open(plan.start) else next_open_opening(window, plan.start)
    assert plan.effective_start == expected_start
    assert 0.15 <= plan.skip_probability <= 0.20
    previous: datetime | None = None
    for item in items:
        assert window.is_open(item.send_at), f"{item.send_at} is outside the window"
        assert item.send_at.microsecond == 0 or plan.start.microsecond != 0
        if item.extra_delay:
            assert SKIP_MIN <= item.extra_delay <= SKIP_MAX
        if previous is None:
            assert timedelta(0) <= item.base_gap <= FIRST_DELAY_MAX
            candidate = expected_start + item.base_gap
        else:
            assert item.send_at > previous
            assert GAP_MIN <= item.base_gap <= GAP_MAX
            candidate = previous + item.base_gap + item.extra_delay
        if item.moved_to_opening:
            # It would have fallen outside the window: it goes to the next opening plus 0-2 minutes.
            assert not window.is_open(candidate)
            opening = next_open_opening(window, candidate)
            assert opening <= item.send_at <= opening + OPENING_JITTER_MAX
        else:
            assert item.send_at == candidate
        assert item.gap == item.send_at - (previous if previous is not None else plan.start)
        previous = item.send_at


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    start=instants,
    count=st.integers(1, 120),
    window=windows(),
)
def test_rules_hold_for_any_seed_start_and_window(
    seed: int, start: datetime, count: int, window: SendWindow
) -> None:
    plan = plan_campaign(messages(count), window, start, seed)
    assert len(plan.items) == count
    check_rules(plan)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), start=dst_instants, count=st.integers(50, 400))
def test_rules_hold_across_dst_weeks(seed: int, start: datetime, count: int) -> None:
    plan = plan_campaign(messages(count), DEFAULT, start, seed)
    check_rules(plan)
    for item in plan.items:
        local = item.send_at.astimezone(PACIFIC)
        assert 9 <= local.hour < 20
        assert local.isoweekday() <= 5


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), start=instants)
def test_default_window_never_sends_on_weekends_or_at_night(seed: int, start: datetime) -> None:
    plan = plan_campaign(messages(300), DEFAULT, start, seed)
    local_times = [item.send_at.astimezone(PACIFIC) for item in plan.items]
    assert all(t.isoweekday() in {1, 2, 3, 4, 5} for t in local_times)
    assert all(9 <= t.hour < 20 for t in local_times)
    # A campaign that spans a night starts the next window day within 0-2 minutes of the opening.
    for before, after in itertools.pairwise(local_times):
        if after.date() != before.date():
            assert after.hour == 9
            assert after.minute <= 2


@pytest.mark.parametrize("seed", range(40))
def test_skip_share_is_the_campaigns_probability_over_a_long_run(seed: int) -> None:
    plan = plan_campaign(messages(6000), DEFAULT, datetime(2025, 11, 5, 9, tzinfo=PACIFIC), seed)
    draws = len(plan.items) - 1
    skipped = sum(1 for item in plan.items[1:] if item.extra_delay)
    share = skipped / draws
    probability = plan.skip_probability
    assert 0.15 <= probability <= 0.20
    # Binomial: 4.5 standard deviations around the drawn probability (fixed seeds: deterministic).
    tolerance = 4.5 * (probability * (1 - probability) / draws) ** 0.5
    assert abs(share - probability) <= tolerance
    assert 0.15 - tolerance <= share <= 0.20 + tolerance


def test_skip_probability_is_drawn_per_campaign_across_the_whole_range() -> None:
    probabilities = [
        plan_campaign(messages(1), DEFAULT, datetime(2025, 11, 5, 12, tzinfo=PACIFIC), s).skip_probability
        for s in range(500)
    ]
    assert min(probabilities) >= 0.15
    assert max(probabilities) <= 0.20
    assert min(probabilities) < 0.151
    assert max(probabilities) > 0.199


def test_gaps_cover_the_whole_range() -> None:
    plan = plan_campaign(messages(3000), DEFAULT, datetime(2025, 11, 5, 9, tzinfo=PACIFIC), 11)
    plain = [i.gap for i in plan.items[1:] if not i.extra_delay and not i.moved_to_opening]
    assert min(plain) <= GAP_MIN + timedelta(seconds=5)
    assert max(plain) >= GAP_MAX - timedelta(seconds=5)
    extras = [i.extra_delay for i in plan.items if i.extra_delay]
    assert min(extras) <= SKIP_MIN + timedelta(seconds=10)
    assert max(extras) >= SKIP_MAX - timedelta(seconds=10)


def test_start_inside_the_window_sends_the_first_within_two_minutes() -> None:
    start = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)
    for seed in range(200):
        first = plan_campaign(messages(1), DEFAULT, start, seed).items[0]
        assert start <= first.send_at <= start + FIRST_DELAY_MAX
        assert not first.moved_to_opening


@pytest.mark.parametrize(
    ("start", "opening"),
    [
        (datetime(2025, 11, 5, 6, 0, tzinfo=PACIFIC), datetime(2025, 11, 5, 9, 0, tzinfo=PACIFIC)),
        (datetime(2025, 11, 5, 21, 0, tzinfo=PACIFIC), datetime(2025, 11, 6, 9, 0, tzinfo=PACIFIC)),
        (datetime(2025, 11, 7, 20, 0, tzinfo=PACIFIC), datetime(2025, 11, 10, 9, 0, tzinfo=PACIFIC)),
        (datetime(2025, 11, 8, 14, 30, tzinfo=PACIFIC), datetime(2025, 11, 10, 9, 0, tzinfo=PACIFIC)),
        (datetime(2025, 3, 8, 12, 0, tzinfo=PACIFIC), datetime(2025, 3, 10, 9, 0, tzinfo=PACIFIC)),
    ],
)
def test_start_outside_the_window_waits_for_the_opening(start: datetime, opening: datetime) -> None:
    for seed in range(50):
        plan = plan_campaign(messages(3), DEFAULT, start, seed)
        assert plan.effective_start == opening
        assert opening <= plan.items[0].send_at <= opening + FIRST_DELAY_MAX


def test_a_start_just_before_closing_moves_the_first_message_to_the_next_opening() -> None:
    start = datetime(2025, 11, 7, 19, 59, 30, tzinfo=PACIFIC)  # Friday
    moved = 0
    for seed in range(100):
        first = plan_campaign(messages(1), DEFAULT, start, seed).items[0]
        assert DEFAULT.is_open(first.send_at)
        if first.moved_to_opening:
            moved += 1
            monday = datetime(2025, 11, 10, 9, tzinfo=PACIFIC)
            assert monday <= first.send_at <= monday + OPENING_JITTER_MAX
    assert 0 < moved < 100


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    start = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)
    one = plan_campaign(messages(100), DEFAULT, start, 2025)
    two = plan_campaign(messages(100), DEFAULT, start, 2025)
    other = plan_campaign(messages(100), DEFAULT, start, 2026)
    assert one == two
    assert [i.send_at for i in one.items] != [i.send_at for i in other.items]


def test_the_order_is_approval_time_then_id_whatever_the_input_order() -> None:
    batch = messages(50)
    # Two messages approved in the same instant: id decides.
    same = batch[10].approved_at
    batch[20] = type(batch[20])(**{**batch[20].__dict__, "approved_at": same})
    shuffled = batch.copy()
    random.Random(3).shuffle(shuffled)  # noqa: S311 - a reproducible shuffle, not security
    start = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)
    plan = plan_campaign(shuffled, DEFAULT, start, 9)
    assert plan == plan_campaign(batch, DEFAULT, start, 9)
    order = [i.message.id for i in plan.items]
    assert order.index(11) < order.index(21) < order.index(12)


def test_summary_figures() -> None:
    plan = plan_campaign(messages(346), DEFAULT, datetime(2025, 11, 7, 14, 30, tzinfo=PACIFIC), 1)
    assert plan.first_send == plan.items[0].send_at
    assert plan.last_send == plan.items[-1].send_at
    assert plan.duration == plan.items[-1].send_at - plan.items[0].send_at
    local_days = {plan.window.local(i.send_at).date() for i in plan.items}
    # Every window day between the first and the last send has sends here, so both counts agree.
    assert plan.business_days == len(local_days)
    assert plan.skips == sum(1 for i in plan.items if i.extra_delay and not i.moved_to_opening)


def test_empty_plan_and_naive_start() -> None:
    plan = plan_campaign([], DEFAULT, datetime(2025, 11, 5, 12, tzinfo=UTC), 1)
    assert plan.items == ()
    assert plan.business_days == 0
    assert plan.duration == timedelta(0)
    with pytest.raises(PlanningError, match="no time zone"):
        plan_campaign([], DEFAULT, datetime(2025, 11, 5, 12), 1)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("content", "count"),
    [("one", 1), ("a[BUBBLE]b", 2), ("a\n\n[BUBBLE]\n\nb[BUBBLE]c", 3), ("a[BUBBLE] ", 1)],
)
def test_bubble_count(content: str, count: int) -> None:
    assert bubble_count(content) == count


def test_an_opening_that_does_not_exist_on_the_dst_night_skips_that_day() -> None:
    # 02:00-02:45 every day: on Sunday 2025-03-09 (spring forward) 02:00-02:59 never happens.
    night = SendWindow(opens_at=time(2), closes_at=time(2, 45), week_days=frozenset(range(1, 8)))
    plan = plan_campaign(messages(40), night, datetime(2025, 3, 8, 2, 30, tzinfo=PACIFIC), 1)
    check_rules(plan)
    days = {night.local(i.send_at).date() for i in plan.items}
    assert date(2025, 3, 9) not in days
    assert date(2025, 3, 10) in days
    assert all(night.is_open(i.send_at) for i in plan.items)
