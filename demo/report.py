"""What the demo shows at the end: the timeline (scheduled vs sent vs delivered, Pacific time), the
replies in context, the opt-outs, the final status counts, what the simulated network received, and a
summary.json that the acceptance test checks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row
from rich.console import Console
from rich.table import Table

from sms_common.statuses import ScheduledStatus


@dataclass(frozen=True)
class TimelineRow:
    customer_name: str
    phone_number: str
    status: str
    bubbles: int
    scheduled_for: datetime
    queued_at: datetime | None
    first_bubble_sent_at: datetime | None
    sent_at: datetime | None
    bubbles_delivered: int
    delivery_status: str | None
    error_message: str | None


def timeline(conn: psycopg.Connection[tuple[object, ...]], campaign: str) -> list[TimelineRow]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """
            select s.customer_name, s.phone_number, s.status, s.scheduled_for, s.queued_at,
                   count(m.id)::int as bubbles,
                   min(m.sent_at) as first_bubble_sent_at,
                   max(m.sent_at) filter (where s.status = 'sent') as sent_at,
                   coalesce(max(d.bubbles_delivered), 0)::int as bubbles_delivered,
                   max(d.delivery_status) as delivery_status,
                   s.error_message
            from public.scheduled_messages s
            left join public.messages m on m.scheduled_message_id = s.id
            left join public.scheduled_message_deliveries d on d.id = s.id
            where s.campaign_name = %s
            group by s.id
            order by s.scheduled_for, s.id
            """,
            (campaign,),
        ).fetchall()
    return [TimelineRow(**row) for row in rows]


def status_counts(conn: psycopg.Connection[tuple[object, ...]], campaign: str) -> dict[str, dict[str, int]]:
    queries = {
        "campaign_messages": "select status, count(*)::int from public.campaign_messages where campaign_name = %s group by status",
        "scheduled_messages": "select status, count(*)::int from public.scheduled_messages where campaign_name = %s group by status",
        "messages": """select m.status, count(*)::int from public.messages m
                       join public.scheduled_messages s on s.id = m.scheduled_message_id
                       where s.campaign_name = %s group by m.status""",
    }
    counts: dict[str, dict[str, int]] = {}
    for table, query in queries.items():
        counts[table] = {
            str(status): int(str(n)) for status, n in conn.execute(query, (campaign,)).fetchall()
        }
    return counts


def replies(conn: psycopg.Connection[tuple[object, ...]]) -> list[dict[str, Any]]:
    """Every reply, oldest first, in context (dashboard_replies: the message it answers, the decision,
    the reply bubble it caused), with the database's time it was stored."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """select r.id, r.phone_number, r.body, r.action, r.action_note, r.customer_name, r.in_reply_to,
                      r.reply_status, i.stored_at
               from public.dashboard_replies r join public.inbound_messages i on i.id = r.id
               order by r.id"""
        ).fetchall()


def opt_outs(conn: psycopg.Connection[tuple[object, ...]]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select phone_number, opted_out, changed_at, reply_body from public.dashboard_opt_outs"
            " order by changed_at"
        ).fetchall()


def deliveries(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, int]:
    """Delivery reports: how many bubbles sent, delivered, still pending, failed; reports kept."""
    row = conn.execute(
        """select count(*) filter (where status = 'sent'),
                  count(*) filter (where delivery_status = 'delivered'),
                  count(*) filter (where status = 'sent' and delivery_status in ('pending', 'retrying')),
                  count(*) filter (where delivery_status in ('failed', 'expired')),
                  (select count(*) from public.status_reports)
           from public.messages"""
    ).fetchone()
    values = [int(str(v)) for v in row] if row else [0] * 5
    return dict(zip(("sent", "delivered", "pending", "failed", "reports"), values, strict=True))


def received(path: Path) -> dict[str, Any]:
    """What the modem simulator handed to the (simulated) network."""
    messages = []
    if path.exists():
        messages = [
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    return {
        "sms": len(messages),
        "parts": sum(int(m["parts"]) for m in messages),
        "multipart": [
            {"number": m["number"], "chars": len(m["text"]), "parts": m["parts"], "alphabet": m["alphabet"]}
            for m in messages
            if int(m["parts"]) > 1
        ],
        "ucs2": sum(1 for m in messages if str(m["alphabet"]).lower() not in {"gsm7", "gsm-7", "gsm"}),
        "texts": [m["text"] for m in messages],
    }


def _pt(moment: datetime | None, zone: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime("%H:%M:%S")


def render(console: Console, rows: list[TimelineRow], zone: ZoneInfo) -> None:
    table = Table(title="Timeline (Pacific time)", title_style="bold")
    table.add_column("#", justify="right")
    table.add_column("customer")
    table.add_column("phone", no_wrap=True)
    table.add_column("bub", justify="right")
    table.add_column("scheduled", no_wrap=True)
    table.add_column("queued", no_wrap=True)
    table.add_column("sent", no_wrap=True)
    table.add_column("delivered", justify="right")
    previous_day = None
    for number, row in enumerate(rows, start=1):
        day = row.scheduled_for.astimezone(zone).date()
        if day != previous_day:
            if previous_day is not None:
                table.add_section()
            table.add_row("", f"[bold]{day:%a %m/%d}[/bold]", "", "", "", "", "", "")
        previous_day = day
        sent = (
            f"[green]{_pt(row.sent_at, zone)}[/green]"
            if row.status == ScheduledStatus.SENT
            else f"[red]{row.status}[/red]"
        )
        delivered = f"{row.bubbles_delivered}/{row.bubbles}" if row.bubbles else "-"
        table.add_row(
            str(number),
            row.customer_name,
            row.phone_number,
            str(row.bubbles),
            _pt(row.scheduled_for, zone),
            _pt(row.queued_at, zone),
            sent,
            f"[green]{delivered}[/green]" if row.delivery_status == "delivered" else delivered,
        )
    console.print(table)
    console.print(
        "[dim]bub: bubbles; scheduled: the scheduler's plan; queued: promoted into bubbles (the first fake "
        "minute after it was due); sent: the modem accepted the last bubble; delivered: bubbles the "
        "network's delivery reports say arrived[/dim]"
    )
    for row in rows:
        if row.status == ScheduledStatus.CANCELLED:
            console.print(f"[red]cancelled[/red] {row.customer_name}: {row.error_message or ''}")


def render_replies(
    console: Console, found: list[dict[str, Any]], names: dict[str, str], zone: ZoneInfo
) -> None:
    table = Table(title="Replies, in context", title_style="bold")
    table.add_column("stored", no_wrap=True)
    table.add_column("from")
    table.add_column("reply")
    table.add_column("in reply to")
    table.add_column("decided in SQL")
    for reply in found:
        table.add_row(
            _pt(reply["stored_at"], zone),
            names.get(reply["phone_number"], reply["phone_number"]),
            reply["body"],
            " / ".join(part.strip() for part in reply["in_reply_to"].split("[BUBBLE]"))
            if reply["in_reply_to"]
            else "[dim](nothing sent to them yet)[/dim]",
            reply["action_note"] or ("-" if reply["action"] in (None, "none") else reply["action"]),
        )
    console.print(table)


def render_opt_outs(console: Console, found: list[dict[str, Any]], names: dict[str, str]) -> None:
    for row in found:
        state = "opted out" if row["opted_out"] else "opted in again"
        console.print(
            f"opt-out record: {names.get(row['phone_number'], row['phone_number'])} ({row['phone_number']}) "
            f'{state}, reply "{row["reply_body"]}"'
        )


def render_deliveries(console: Console, counts: dict[str, int]) -> None:
    console.print(
        f"Delivery reports: {counts['reports']} received; {counts['delivered']} of {counts['sent']} bubbles "
        f"sent were delivered ({counts['pending']} still pending, {counts['failed']} failed)."
    )


def render_counts(console: Console, counts: dict[str, dict[str, int]]) -> None:
    table = Table(title="Final status counts", title_style="bold")
    table.add_column("table")
    table.add_column("counts per status")
    for name, per_status in counts.items():
        table.add_row(name, ", ".join(f"{status}: {n}" for status, n in sorted(per_status.items())) or "-")
    console.print(table)


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    def default(value: object) -> object:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(f"not JSON: {type(value).__name__}")

    path.write_text(json.dumps(summary, default=default, indent=2, ensure_ascii=False), encoding="utf-8")


def rows_as_dicts(rows: list[TimelineRow]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]
