"""Turns plans and reports into the lines an operator reads (the seed's schedule_campaign.py format).

Why plain strings: the format is a contract with the operator and the tests
(`[n/N] customer | phone | MM/DD hh:mm AM | +Nm | k bubbles`); rich only prints them. The CLI shows full
phone numbers because the operator must recognise the customer; the logs never do (sms_common.logs).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from scheduler.planner import ApprovedMessage, Plan, PlannedMessage
from scheduler.summary import Move, PlanSummary
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


def window_line(item: PlannedMessage, window: SendWindow, business_open: bool = False) -> str:
    """`[WINDOW]`: nobody pending could be texted at the planned moment, so the plan waited for an opening.

    `business_open`: the business window was open then, it was the recipients' hours that were closed.
    """
    if business_open:
        return (
            "    [WINDOW] No pending recipient's hours are open: next message at the next opening, "
            f"{long_time(window, item.send_at)}"
        )
    return f"    [WINDOW] Send window closed: next message at the next opening, {long_time(window, item.send_at)}"


def moved_line(move: Move, window: SendWindow) -> str:
    """`[MOVED]`: the business-window plan would have texted this recipient outside their hours."""
    return f"    [MOVED] {move.reason}: not at {clock_time(window, move.plain_at)}"


def item_lines(
    item: PlannedMessage,
    total: int,
    window: SendWindow,
    *,
    previous: PlannedMessage | None = None,
    move: Move | None = None,
) -> list[str]:
    """The lines for one planned message: optional [WINDOW] / [SKIP] and [MOVED] notes, then the message line."""
    lines: list[str] = []
    if item.moved_to_opening and item.position > 1:
        candidate = None if previous is None else previous.send_at + item.base_gap + item.extra_delay
        lines.append(window_line(item, window, candidate is not None and window.is_open(candidate)))
    elif item.extra_delay:
        lines.append(skip_line(item))
    if move is not None:
        lines.append(moved_line(move, window))
    lines.append(plan_line(item, total, window))
    return lines


def plan_lines(plan: Plan, summary: PlanSummary | None = None) -> list[str]:
    moves = {move.item.message.id: move for move in summary.moves} if summary else {}
    lines: list[str] = []
    previous: PlannedMessage | None = None
    for item in plan.items:
        lines.extend(
            item_lines(item, len(plan.items), plan.window, previous=previous, move=moves.get(item.message.id))
        )
        previous = item
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


def recipient_lines(summary: PlanSummary, plan: Plan) -> list[str]:
    """Recipients per time zone, and who was moved and why (issue 13)."""
    count = len(plan.items)
    lines = ["Recipients per time zone (their effective window: business window ∩ their quiet hours):"]
    width = max(len(zone.label) for zone in summary.zones) if summary.zones else 0
    for zone in summary.zones:
        recipients = f"{zone.recipients} recipient{'s' if zone.recipients != 1 else ''}"
        messages = f" ({zone.messages} messages)" if zone.messages != zone.recipients else ""
        moved = f"; {zone.moved} moved" if zone.moved else ""
        lines.append(f"  {zone.label:<{width}}  {recipients}{messages}{moved}")
    if not summary.moves:
        lines.append(f"Moved: none of {count}; the business-window plan fits everyone's hours")
    else:
        lines.append(
            f"Moved: {len(summary.moves)} of {count}; the business-window plan would have texted them "
            "outside their hours:"
        )
        for reason, how_many in summary.reasons:
            lines.append(f"  {how_many:>{len(str(count))}}  {reason}")
    if summary.later:
        lines.append(
            f"Later too: {summary.later} whose hours were open, sent a little later only to keep the "
            "spacing around the moved ones"
        )
    return lines


def opted_out_lines(opted_out: Sequence[ApprovedMessage], *, quiet: bool) -> list[str]:
    """The recipients left out because their number opted out (issue 12); their messages stay APR."""
    if not opted_out:
        return []
    numbers = sorted({m.phone_number for m in opted_out})
    lines = [
        f"Opted out: {len(opted_out)} message{'s' if len(opted_out) != 1 else ''} to {len(numbers)} "
        f"opted-out number{'s' if len(numbers) != 1 else ''} left out of the plan (they stay APR; "
        "not sent unless the number opts back in)"
    ]
    if not quiet:
        for message in opted_out:
            lines.append(
                f"  [OPTED OUT] {message.customer_name or '(no name)':<{NAME_WIDTH}} | {message.phone_number}"
                f" | campaign message {message.id}"
            )
    return lines


def unreachable_lines(unreachable: Sequence[ApprovedMessage], *, quiet: bool) -> list[str]:
    """The recipients whose hours never meet the send window (no open hour in the next four weeks)."""
    if not unreachable:
        return []
    lines = [
        f"Unreachable: {len(unreachable)} message{'s' if len(unreachable) != 1 else ''} left out of the plan: "
        "their recipient's hours never meet the send window in the next four weeks (they stay APR)"
    ]
    if not quiet:
        for message in unreachable:
            lines.append(
                f"  [UNREACHABLE] {message.customer_name or '(no name)':<{NAME_WIDTH}} | {message.phone_number}"
                f" | campaign message {message.id}"
            )
    return lines
