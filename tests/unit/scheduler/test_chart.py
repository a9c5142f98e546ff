"""The plan drawn in the terminal: a row per day with sends per hour, a row per zone with its open hours
shaded. Read back from rich's recorded text, column by column under the hour headers."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console

from scheduler.chart import SHADE, plan_chart
from scheduler.planner import ApprovedMessage, Plan, plan_campaign
from sms_common.window import SendWindow
from tests.unit.scheduler.strategies import messages, mixed_messages, mixed_windows

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT = SendWindow()


def draw(plan: Plan, **options: int) -> list[str]:
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    console.print(plan_chart(plan, **options))
    return console.export_text().splitlines()


def cells(lines: list[str], label: str, day_line: int) -> dict[int, str]:
    """The hour cells of the row named `label` in the day block starting at `day_line`."""
    header = next(line for line in lines if line.startswith("day "))
    columns = {int(h): header.index(f" {h}", header.index("who")) + len(f" {h}") for h in header.split()[2:]}
    row = next(line for line in lines[day_line:] if line[10:].startswith(label))
    return {hour: row[end - 3 : end] for hour, end in columns.items()}


def test_the_chart_holds_the_sends_per_hour_and_the_open_hours_of_each_zone() -> None:
    start = datetime(2025, 11, 5, 16, 30, tzinfo=PACIFIC)  # Wednesday afternoon
    sent = mixed_messages(150, seed=2)
    plan = plan_campaign(sent, DEFAULT, start, 4, mixed_windows(sent, DEFAULT, start, 10))
    lines = draw(plan)
    assert all(len(line) <= 100 for line in lines)
    assert lines[0] == "Sends per hour, America/Los_Angeles hours (PST)"
    header = next(line for line in lines if line.startswith("day "))
    assert header.split()[2:] == [str(h) for h in range(9, 20)]

    per_hour = Counter(
        (i.send_at.astimezone(PACIFIC).date(), i.send_at.astimezone(PACIFIC).hour) for i in plan.items
    )
    days = sorted({d for d, _ in per_hour})
    for day in days:
        at = next(n for n, line in enumerate(lines) if line.startswith(f"{day:%a %m/%d}"))
        assert f"all: {sum(c for (d, _), c in per_hour.items() if d == day)} sends" in lines[at]
        totals = cells(lines, "all:", at)
        for hour in range(9, 20):
            assert totals[hour].strip() == (str(per_hour[(day, hour)]) if per_hour[(day, hour)] else "·")
        # Hawaii opens at 10:00 Pacific (8:00 HST): 9 is not shaded, 10 to 19 are.
        hawaii = cells(lines, "HST federal", at)
        assert SHADE not in hawaii[9]
        assert all(SHADE in hawaii[h] or hawaii[h].strip().isdigit() for h in range(10, 20))
        # New York closes at 18:00 Pacific, Florida at 17:00; both open at 9:00.
        new_york = cells(lines, "EST federal", at)
        florida = cells(lines, "EST Florida", at)
        assert all(SHADE in new_york[h] or new_york[h].strip().isdigit() for h in range(9, 18))
        assert new_york[18].strip() == new_york[19].strip() == ""
        assert florida[17].strip() == florida[18].strip() == ""
        assert SHADE in cells(lines, "PST federal", at)[9] or cells(lines, "PST federal", at)[9].strip()
        # The zone rows' sends add up to the day's.
        rows = [cells(lines, label, at) for label in ("HST", "PST", "MST", "EST Florida", "EST federal")]
        for hour in range(9, 20):
            digits = [int(row[hour].strip(SHADE + " ")) for row in rows if row[hour].strip(SHADE + " ")]
            assert sum(digits) == per_hour[(day, hour)]
    # The weekend has no open hour: not drawn, and the legend says so when the plan spans it.
    assert not any(line.startswith(("Sat", "Sun")) for line in lines)


def test_long_plans_draw_the_first_days_and_count_the_rest() -> None:
    start = datetime(2025, 11, 5, 9, tzinfo=PACIFIC)
    plan = plan_campaign(messages(2500), DEFAULT, start, 1)
    lines = draw(plan, max_days=3)
    day_rows = [line for line in lines if line[:3] in {"Mon", "Tue", "Wed", "Thu", "Fri"}]
    assert len(day_rows) == 3
    assert lines[-1].startswith("… ")
    assert "more days with" in lines[-1]
    # Without recipient windows one row: the business window itself, shaded 9 to 19.
    window_row = cells(lines, "Los_Angeles window", 0)
    assert all(SHADE in window_row[h] or window_row[h].strip().isdigit() for h in range(9, 20))


def test_a_window_of_24_hours_still_fits_100_columns() -> None:
    always = SendWindow(
        opens_at=datetime.min.time(),
        closes_at=datetime.max.time().replace(microsecond=0),
        week_days=frozenset(range(1, 8)),
    )
    base = datetime(2025, 11, 1, tzinfo=UTC)
    sent = [
        ApprovedMessage(i, "c", None, f"+1415555{i:04d}", "x", base + timedelta(seconds=i))
        for i in range(400)
    ]
    plan = plan_campaign(sent, always, datetime(2025, 11, 5, tzinfo=PACIFIC), 1)
    lines = draw(plan)
    assert all(len(line) <= 100 for line in lines)
    header = next(line for line in lines if line.startswith("day "))
    assert header.split()[2:] == [str(h) for h in range(24)]


def test_an_empty_plan() -> None:
    plan = plan_campaign([], DEFAULT, datetime(2025, 11, 5, 9, tzinfo=PACIFIC), 1)
    assert draw(plan) == ["No sends to draw."]
