"""The operator's output: the seed's line format, [SKIP] lines and the summary."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.planner import ApprovedMessage, PlannedMessage, plan_campaign
from scheduler.render import item_lines, plan_line, plan_lines, skip_line, summary_lines
from sms_common.window import SendWindow
from tests.unit.scheduler.strategies import messages

PACIFIC = ZoneInfo("America/Los_Angeles")
WINDOW = SendWindow()
LINE_RE = re.compile(
    r"^\[(\d+)/(\d+)\] +(.+?) +\| (\+\d+) +\| (\d\d/\d\d \d\d:\d\d [AP]M) \| \+ *(\d+)m \| (\d+) bubbles?$"
)


def item(
    position: int, name: str | None, at: datetime, gap: int, bubbles: int, extra: int = 0
) -> PlannedMessage:
    message = ApprovedMessage(position, "c", name, "+12097930464", "x", None)
    return PlannedMessage(
        position=position,
        message=message,
        send_at=at,
        gap=timedelta(minutes=gap),
        base_gap=timedelta(minutes=gap - extra),
        extra_delay=timedelta(minutes=extra),
        moved_to_opening=False,
        bubbles=bubbles,
    )


def test_the_seed_lines_exactly() -> None:
    first = item(1, "Jaquelin Rodriguez", datetime(2025, 11, 10, 14, 31, tzinfo=PACIFIC), 1, 8)
    assert plan_line(first, 346, WINDOW) == (
        "[1/346]   Jaquelin Rodriguez   | +12097930464   | 11/10 02:31 PM | + 1m | 8 bubbles"
    )
    later = item(346, "Melynna Ramirez", datetime(2025, 11, 13, 19, 45, tzinfo=PACIFIC), 5, 1)
    assert plan_line(later, 346, WINDOW) == (
        "[346/346] Melynna Ramirez      | +12097930464   | 11/13 07:45 PM | + 5m | 1 bubble"
    )
    skipped = item(3, "Aubrey Mann", datetime(2025, 11, 10, 14, 54, tzinfo=PACIFIC), 17, 8, extra=12)
    assert skip_line(skipped) == "    [SKIP] Adding extra 12 min delay (looks human)"
    assert item_lines(skipped, 346, WINDOW) == [skip_line(skipped), plan_line(skipped, 346, WINDOW)]
    anonymous = item(2, None, datetime(2025, 11, 10, 14, 37, tzinfo=PACIFIC), 6, 2)
    assert "(no name)" in plan_line(anonymous, 3, WINDOW)


def test_a_whole_plan_renders_one_line_per_message_and_a_skip_line_per_extra_delay() -> None:
    plan = plan_campaign(messages(400), WINDOW, datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC), 5)
    lines = plan_lines(plan)
    message_lines = [line for line in lines if line.startswith("[")]
    assert len(message_lines) == 400
    assert sum(1 for line in lines if "[SKIP]" in line) == plan.skips
    assert sum(1 for line in lines if "[WINDOW]" in line) == sum(
        1 for i in plan.items[1:] if i.moved_to_opening
    )
    for line, planned in zip(message_lines, plan.items, strict=True):
        match = LINE_RE.match(line)
        assert match, line
        assert int(match[1]) == planned.position
        assert int(match[2]) == 400
        assert match[5] == planned.send_at.astimezone(PACIFIC).strftime("%m/%d %I:%M %p")
        assert int(match[6]) == round(planned.gap.total_seconds() / 60)


def test_summary() -> None:
    plan = plan_campaign(messages(346), WINDOW, datetime(2025, 11, 8, 14, 30, tzinfo=PACIFIC), 3)
    lines = summary_lines(plan)
    hours = plan.duration.total_seconds() / 3600
    assert lines[0] == (
        f"Campaign Duration: {hours:.1f} hours ({plan.business_days} business days, nights and closed days paused)"
    )
    # Saturday start: the plan opens on Monday 11/10 in Pacific time (PST).
    assert lines[1].startswith("First send: Mon 11/10 09:0")
    assert lines[1].endswith("AM PST")
    assert lines[2].startswith("Last send:  ")
    assert f"seed {plan.seed}" in lines[3]
    assert lines[-1] == (
        "The window was closed at the start (Sat 11/08 02:30 PM PST): planning from the next opening, "
        "Mon 11/10 09:00 AM PST"
    )


def test_summary_of_an_empty_plan() -> None:
    plan = plan_campaign([], WINDOW, datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC), 1)
    assert summary_lines(plan) == ["No approved (APR) messages to plan."]


def test_summer_times_show_pdt() -> None:
    plan = plan_campaign(messages(2), WINDOW, datetime(2025, 7, 1, 10, tzinfo=PACIFIC), 1)
    assert summary_lines(plan)[1].endswith("PDT")
