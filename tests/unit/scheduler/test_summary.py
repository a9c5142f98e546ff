"""The preview's summary of a windowed plan: recipients per time zone, who was moved and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.planner import ApprovedMessage, RecipientWindow, RecipientWindows, plan_campaign
from scheduler.render import opted_out_lines, plan_lines, recipient_lines
from scheduler.summary import move_reason, plain_plan, summarise
from sms_common.window import SendWindow
from tests.unit.scheduler.strategies import effective_intervals, messages, mixed_windows

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT = SendWindow()
BASE = datetime(2025, 11, 1, tzinfo=UTC)


def batch(prefixes: list[str], count: int) -> list[ApprovedMessage]:
    return [
        ApprovedMessage(
            i, "c", f"C{i}", f"{prefixes[i % len(prefixes)]}{i:04d}", "hi", BASE + timedelta(seconds=i)
        )
        for i in range(count)
    ]


def test_1830_pacific_new_york_and_florida_are_moved_for_their_closing_hawaii_for_its_opening() -> None:
    start = datetime(2025, 11, 5, 18, 30, tzinfo=PACIFIC)
    sent = batch(["+1212555", "+1305555", "+1415555", "+1808555"], 40)
    recipients = mixed_windows(sent, DEFAULT, start, 10)
    plan = plan_campaign(sent, DEFAULT, start, 3, recipients)
    summary = summarise(plan)
    assert summary is not None
    plain = {i.message.id: i.send_at for i in plain_plan(plan).items}
    moved = {move.item.message.id for move in summary.moves}
    # Exactly those the plain plan puts outside their window, each with the edge that excluded them.
    assert moved == {m.id for m in sent if not recipients.of(m.phone_number).is_open(plain[m.id])}
    reasons = dict(summary.reasons)
    assert reasons["New York closes 21:00 EST = 18:00 PST (federal 8:00-21:00)"] >= 1
    assert reasons["Florida closes 20:00 EST = 17:00 PST (Florida 8:00-20:00)"] >= 1
    assert reasons["Hawaii opens 8:00 HST = 10:00 PST (federal 8:00-21:00)"] >= 1
    assert sum(reasons.values()) == len(summary.moves)
    for move in summary.moves:
        assert move.item.message.phone_number.startswith(("+1212", "+1305", "+1808"))
        assert move.item.send_at != move.plain_at
    counts = {zone.label: zone.recipients for zone in summary.zones}
    assert counts == {"America/New_York": 20, "America/Los_Angeles": 10, "Pacific/Honolulu": 10}
    assert sum(zone.moved for zone in summary.zones) == len(summary.moves)

    lines = recipient_lines(summary, plan)
    assert lines[0].startswith("Recipients per time zone")
    assert any(line.strip().startswith("America/New_York") and "20 recipients" in line for line in lines)
    assert any(line.startswith(f"Moved: {len(summary.moves)} of 40;") for line in lines)
    assert any(line.endswith("Hawaii opens 8:00 HST = 10:00 PST (federal 8:00-21:00)") for line in lines)
    # Each moved message gets its [MOVED] note, just before its line.
    rendered = plan_lines(plan, summary)
    notes = [n for n, line in enumerate(rendered) if line.startswith("    [MOVED] ")]
    assert len(notes) == len(summary.moves)
    assert all(rendered[n + 1].startswith("[") for n in notes)


def test_nobody_moved_when_every_window_is_the_business_window() -> None:
    start = datetime(2025, 11, 5, 10, tzinfo=PACIFIC)
    sent = batch(["+1415555"], 30)
    plan = plan_campaign(sent, DEFAULT, start, 1, mixed_windows(sent, DEFAULT, start, 10))
    summary = summarise(plan)
    assert summary is not None
    assert summary.moves == ()
    assert summary.later == 0
    assert "Moved: none of 30" in recipient_lines(summary, plan)[2]
    assert summarise(plan_campaign(messages(3), DEFAULT, start, 1)) is None


def test_a_holiday_for_everyone_is_named_as_such() -> None:
    start = datetime(2025, 11, 26, 19, 30, tzinfo=PACIFIC)  # the evening before Thanksgiving
    sent = batch(["+1415555", "+1602555"], 30)
    recipients = mixed_windows(sent, DEFAULT, start, 10, frozenset({date(2025, 11, 27)}))
    plan = plan_campaign(sent, DEFAULT, start, 1, recipients)
    summary = summarise(plan)
    assert summary is not None
    assert dict(summary.reasons).get("holiday Thu 11/27 (Thanksgiving)", 0) > 0


def test_a_multi_zone_number_names_the_zone_that_binds_each_edge() -> None:
    # Alaska's 907 spans Adak (UTC-10) and Anchorage (UTC-9): open 8:00-21:00 in both.
    start = datetime(2025, 11, 5, 9, tzinfo=PACIFIC)
    adak = effective_intervals(DEFAULT, "America/Adak", 8, 21, start, 3)
    anchorage = effective_intervals(DEFAULT, "America/Anchorage", 8, 21, start, 3)
    both = tuple(
        (max(a[0], b[0]), min(a[1], b[1]))
        for a in adak
        for b in anchorage
        if max(a[0], b[0]) < min(a[1], b[1])
    )
    alaska = RecipientWindow("+19075550101", ("America/Adak", "America/Anchorage"), "federal", both)
    early = datetime(2025, 11, 5, 9, 30, tzinfo=PACIFIC)  # open in Anchorage (10:30 AKST), not in Adak
    assert not alaska.is_open(early)
    assert move_reason(alaska, early, DEFAULT) == "Alaska opens 8:00 HST = 10:00 PST (federal)"
    assert alaska.is_open(datetime(2025, 11, 5, 19, 30, tzinfo=PACIFIC))  # 21:00 Anchorage is 22:00 Pacific
    hawaii = RecipientWindow("+18085550101", ("Pacific/Honolulu",), "", adak)
    assert move_reason(hawaii, early, DEFAULT) == "Hawaii opens 8:00 HST = 10:00 PST"
    nothing = RecipientWindow("+18085550101", ("Pacific/Honolulu",), "", ())
    assert move_reason(nothing, early, DEFAULT) == "Hawaii closed all day Wed 11/05"


def test_opted_out_lines() -> None:
    out = [
        ApprovedMessage(4, "c", "Ann", "+12125550101", "hi", None),
        ApprovedMessage(9, "c", None, "+12125550101", "yo", None),
    ]
    lines = opted_out_lines(out, quiet=False)
    assert lines[0].startswith("Opted out: 2 messages to 1 opted-out number left out of the plan")
    assert lines[1] == "  [OPTED OUT] Ann                  | +12125550101 | campaign message 4"
    assert lines[2].startswith("  [OPTED OUT] (no name)")
    assert opted_out_lines(out, quiet=True) == lines[:1]
    assert opted_out_lines([], quiet=False) == []


def test_recipient_windows_missing_a_number_count_it_as_an_unknown_zone() -> None:
    start = datetime(2025, 11, 5, 10, tzinfo=PACIFIC)
    sent = batch(["+1415555"], 2)
    recipients = mixed_windows(sent[:1], DEFAULT, start, 5)
    theirs = recipients.of(sent[0].phone_number)
    lonely = RecipientWindows(
        from_at=recipients.from_at,
        until=recipients.until,
        by_number={
            **recipients.by_number,
            sent[1].phone_number: RecipientWindow(sent[1].phone_number, (), "", theirs.intervals),
        },
    )
    summary = summarise(plan_campaign(sent, DEFAULT, start, 1, lonely))
    assert summary is not None
    assert {zone.label for zone in summary.zones} == {"America/Los_Angeles", "unknown zone"}
