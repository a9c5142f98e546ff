"""Backlog pacing: a campaign's overdue messages leave one per catch_up_gap, never as a burst, while
normally spaced messages (4-7 minutes apart) are promoted on their own tick despite pg_cron jitter.

Why a pinned database clock: every call moves the clock (tests.harness.PinnedClock), so a whole afternoon of per-minute ticks runs in a second.
Tick jitter is modelled as a random 0-3 s delay after each whole minute (seeded, reproducible).
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from tests.harness import PinnedClock
from tests.integration.db.helpers import Conn, promote, schedule

GAP = timedelta(minutes=4)
WED_1400 = datetime(2025, 11, 5, 22, 0, tzinfo=UTC)  # Wednesday 14:00 Pacific


def _ticks(start: datetime, minutes: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test jitter, not cryptography
    return [start + timedelta(minutes=m, seconds=rng.uniform(0.0, 3.0)) for m in range(minutes)]


def _queued_at(conn: Conn, campaign: str) -> list[datetime]:
    rows = conn.execute(
        "select queued_at from public.scheduled_messages where campaign_name = %s and queued_at is not null"
        " order by queued_at",
        (campaign,),
    ).fetchall()
    return [r[0] for r in rows]


def test_messages_pushed_to_one_time_leave_one_per_gap(conn: Conn, clock: PinnedClock) -> None:
    for _ in range(10):
        schedule(conn, WED_1400, campaign="pushed")
    for tick in _ticks(WED_1400, 60, seed=1):
        promote(conn, clock, tick)
    released = _queued_at(conn, "pushed")
    assert len(released) == 10
    spacing = [b - a for a, b in itertools.pairwise(released)]
    assert min(spacing) >= GAP - timedelta(seconds=3), spacing
    assert released[-1] - released[0] >= 9 * GAP - timedelta(seconds=3)


def test_backlog_after_an_outage_is_not_a_burst(conn: Conn, clock: PinnedClock) -> None:
    # Eleven messages planned 14:00-14:50, five minutes apart; the database was down until 15:00.
    for i in range(11):
        schedule(conn, WED_1400 + i * timedelta(minutes=5), campaign="outage")
    first_tick_after_outage = WED_1400 + timedelta(hours=1, seconds=1)
    assert promote(conn, clock, first_tick_after_outage) == 1, (
        "a burst left at the first tick after the outage"
    )
    for tick in _ticks(first_tick_after_outage + timedelta(minutes=1), 60, seed=2):
        promote(conn, clock, tick)
    released = _queued_at(conn, "outage")
    assert len(released) == 11
    spacing = [b - a for a, b in itertools.pairwise(released)]
    # Slots are exactly GAP apart; each leaves on the first tick at or after its slot (0-3 s jitter).
    assert min(spacing) >= GAP - timedelta(seconds=3), spacing
    assert max(spacing) < GAP + timedelta(minutes=1, seconds=3), spacing


def test_normally_spaced_messages_are_not_delayed_by_tick_jitter(conn: Conn, clock: PinnedClock) -> None:
    rng = random.Random(3)  # noqa: S311 - reproducible test spacing, not cryptography
    planned: list[datetime] = []
    moment = WED_1400 + timedelta(seconds=17)
    for _ in range(30):
        planned.append(moment)
        schedule(conn, moment, campaign="normal")
        # The scheduler's spacing: 4-7 minutes, sometimes exactly 4 minutes.
        moment += timedelta(minutes=4) if rng.random() < 0.3 else timedelta(seconds=rng.uniform(240, 420))
    for tick in _ticks(WED_1400, 240, seed=4):
        promote(conn, clock, tick)
    rows = conn.execute(
        "select scheduled_for, queued_at from public.scheduled_messages where campaign_name = 'normal'"
        " order by scheduled_for"
    ).fetchall()
    delays = [queued - planned_for for planned_for, queued in rows]
    assert len(delays) == 30
    # Released on the first tick at or after its time: less than a minute plus the jitter late.
    assert max(delays) < timedelta(seconds=63), max(delays)


def test_campaigns_are_paced_independently(conn: Conn, clock: PinnedClock) -> None:
    for campaign in ("alpha", "beta", "gamma"):
        for _ in range(3):
            schedule(conn, WED_1400, campaign=campaign)
    assert promote(conn, clock, WED_1400 + timedelta(seconds=1)) == 3, (
        "one message per campaign at the first tick"
    )
    assert promote(conn, clock, WED_1400 + timedelta(minutes=2)) == 0
    assert promote(conn, clock, WED_1400 + timedelta(minutes=4, seconds=1)) == 3


def test_gap_zero_turns_pacing_off(conn: Conn, clock: PinnedClock) -> None:
    conn.execute("update public.send_window set catch_up_gap = '0'")
    for _ in range(5):
        schedule(conn, WED_1400, campaign="unpaced")
    assert promote(conn, clock, WED_1400 + timedelta(minutes=1)) == 5


def test_batch_limit_bounds_one_call(conn: Conn, clock: PinnedClock) -> None:
    conn.execute("update public.send_window set catch_up_gap = '0'")
    for i in range(12):
        schedule(conn, WED_1400, campaign=f"c{i}")
    assert promote(conn, clock, WED_1400 + timedelta(minutes=1), batch_limit=5) == 5
    assert promote(conn, clock, WED_1400 + timedelta(minutes=1), batch_limit=5) == 5
    assert promote(conn, clock, WED_1400 + timedelta(minutes=1), batch_limit=5) == 2
