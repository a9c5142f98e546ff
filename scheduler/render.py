"""Turns plans and reports into the lines an operator reads (the seed's schedule_campaign.py format).

Why plain strings: the format is a contract with the operator and the tests
(`[n/N] customer | phone | MM/DD hh:mm AM | +Nm | k bubbles`); rich only prints them. The CLI shows full
phone numbers because the operator must recognise the customer; the logs never do (sms_common.logs).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.planner import Plan, PlannedMessage
from sms_common.window import SendWindow

NAME_WIDTH = 20
PHONE_WIDTH = 14


def minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def clock_time(window: SendWindow, at: datetime) -> str:
    """`11/08 02:31 PM` in the window's time zone."""
    return window.local(at).strftime("%m/%d %I:%M %p")


def long_time(window: SendWindow, at: datetime) -> str:
    """`Sat 11/08 02:31 PM PST`: with the week day and the zone abbreviation (PST or PDT)."""
    return window.local(at).strftime("%a %m/%d %I:%M %p %Z")


def plan_line(item: PlannedMessage, total: int, window: SendWindow) -> str:
    tag = f"[{item.position}/{total}]"
    width = len(f"[{total}/{total}]")
    name = item.message.customer_name or "(no name)"
    bubbles = f"{item.bubbles} bubble" + ("" if item.bubbles == 1 else "s")
    return (
        f"{tag:<{width}} {name:<{NAME_WIDTH}} | {item.message.phone_number:<{PHONE_WIDTH}} | "
        f"{clock_time(window, item.send_at)} | +{minutes(item.gap):>2}m | {bubbles}"
    )


def skip_line(item: PlannedMessage) -> str:
    return f"    [SKIP] Adding extra {minutes(item.extra_delay)} min delay (looks human)"


def window_line(item: PlannedMessage, window: SendWindow) -> str:
    return f"    [WINDOW] Send window closed: next message at the next opening, {long_time(window, item.send_at)}"


def item_lines(item: PlannedMessage, total: int, window: SendWindow) -> list[str]:
    """The lines for one planned message: an optional [SKIP] or [WINDOW] note, then the message line."""
    lines: list[str] = []
    if item.moved_to_opening and item.position > 1:
        lines.append(window_line(item, window))
    elif item.extra_delay:
        lines.append(skip_line(item))
    lines.append(plan_line(item, total, window))
    return lines


def plan_lines(plan: Plan) -> list[str]:
    lines: list[str] = []
    for item in plan.items:
        lines.extend(item_lines(item, len(plan.items), plan.window))
    return lines


def summary_lines(plan: Plan) -> list[str]:
    """Campaign duration, business days spanned, first and last send (window time zone), skips, seed."""
    if not plan.items:
        return ["No approved (APR) messages to plan."]
    first = plan.items[0].send_at
    last = plan.items[-1].send_at
    hours = plan.duration.total_seconds() / 3600
    days = plan.business_days
    gaps = len(plan.items) - 1
    lines = [
        f"Campaign Duration: {hours:.1f} hours ({days} business day{'s' if days != 1 else ''}, "
        "nights and closed days paused)",
        f"First send: {long_time(plan.window, first)}",
        f"Last send:  {long_time(plan.window, last)}",
        f"Messages: {len(plan.items)}; extra delays: {plan.skips} of {gaps} gaps "
        f"(skip probability {plan.skip_probability:.1%}); seed {plan.seed}",
        f"Send window: {plan.window.describe()}",
    ]
    if plan.effective_start != plan.start:
        lines.append(
            f"The window was closed at the start ({long_time(plan.window, plan.start)}): "
            f"planning from the next opening, {long_time(plan.window, plan.effective_start)}"
        )
    return lines
