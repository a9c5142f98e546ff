"""Drives the campaign on the fast clock: promotion every fake minute, the night jump, progress lines.

Why the demo promotes itself: pg_cron's scheduler wakes on real minutes even when the server's clock
runs fast, and the demo database has no cron job anyway (it is not pg_cron's database, like a project
without pg_cron). So every time the database's clock enters a new minute, the driver runs exactly
what the cron job runs: `select * from process_scheduled_messages_safe()`, at the database's own now().

What the modem hears is printed as it is stored: each reply (with the decision the database took on
it, and the message it answers), each confirmation sent, and each message whose bubbles were all
reported delivered. The run ends when every message is final, every reply the story expects is stored,
every confirmation is sent and the delivery reports are in (or `report_grace` real seconds passed).

Why the night jump: between closing and the next opening nothing can happen (the window is closed, no
bubble is being sent), and 13 hours at x120 would still take six real minutes. Once the last bubble
of the evening is recorded and the grace after closing has passed, the driver moves the database clock
to a few minutes before the next opening, and says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row
from rich.console import Console

from demo.fakeclock import FakeClock
from demo.services import Child, DemoError
from sms_common.statuses import ScheduledStatus

TERMINAL = frozenset({ScheduledStatus.SENT, ScheduledStatus.FAILED, ScheduledStatus.CANCELLED})


def pacific(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %m/%d %I:%M %p")


@dataclass
class Jump:
    start: datetime
    end: datetime


@dataclass
class Driver:
    conn: psycopg.Connection[tuple[object, ...]]
    clock: FakeClock
    campaign: str
    console: Console
    listener: Child
    real_timeout: float
    poll: float = 0.05
    #: Replies the simulated network will deliver (demo.story); the run waits for them.
    expected_replies: int = 0
    #: Real seconds to wait for the last delivery reports once everything else is done.
    report_grace: float = 10.0
    #: Customer names by phone number (a reply before anything was sent has no message to name it).
    names: dict[str, str] = field(default_factory=dict)
    jumps: list[Jump] = field(default_factory=list)
    promotions: int = 0
    _statuses: dict[int, str] = field(default_factory=dict)
    _seen_replies: set[int] = field(default_factory=set)
    _reply_bubbles: dict[int, str] = field(default_factory=dict)
    _delivered: set[int] = field(default_factory=set)
    _settled_at: float | None = None
    _last_minute: datetime | None = None
    _window_open: bool | None = None
    _started: float = field(default_factory=time.monotonic)

    def _tick(self) -> dict[str, Any]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                """
                select now() as now,
                       public.is_business_hours(now()) as open,
                       public.next_window_opening(now()) as next_opening,
                       w.time_zone, w.closes_at, w.bubble_grace,
                       (now() at time zone w.time_zone)::time as local_time,
                       (select count(*) from public.messages where status = 'sending') as sending
                from public.send_window w
                """
            ).fetchone()
        if row is None:
            raise DemoError("send_window has no settings row")
        return row

    def _say(self, now: datetime, zone: ZoneInfo, text: str) -> None:
        elapsed = time.monotonic() - self._started
        self.console.print(f"[dim]{elapsed:6.1f}s[/dim]  [cyan]{pacific(now, zone)} PT[/cyan]  {text}")

    def _promote(self) -> None:
        with self.conn.cursor(row_factory=dict_row) as cur:
            result = cur.execute("select * from public.process_scheduled_messages_safe()").fetchone()
        self.promotions += 1
        if result is not None and result["error_message"]:
            raise DemoError(f"process_scheduled_messages_safe() reported: {result['error_message']}")

    def _report_changes(self, now: datetime, zone: ZoneInfo) -> bool:
        """Print each message's status change; True when every message of the campaign is final."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                """
                select s.id, s.customer_name, s.status, s.error_message,
                       count(m.id) as bubbles,
                       count(m.id) filter (where m.status = 'sent') as sent_bubbles,
                       count(m.id) filter (where m.status in ('queued', 'sending')) as open_bubbles
                from public.scheduled_messages s
                left join public.messages m on m.scheduled_message_id = s.id
                where s.campaign_name = %s
                group by s.id
                order by s.scheduled_for, s.id
                """,
                (self.campaign,),
            ).fetchall()
        if not rows:
            raise DemoError(f"campaign {self.campaign!r} has no scheduled messages")
        for row in rows:
            before = self._statuses.get(row["id"])
            if before == row["status"]:
                continue
            self._statuses[row["id"]] = row["status"]
            name = row["customer_name"]
            if row["status"] == ScheduledStatus.QUEUED:
                self._say(now, zone, f"[yellow]promoted[/yellow] {name}: {row['bubbles']} bubbles queued")
            elif row["status"] == ScheduledStatus.SENT:
                self._say(
                    now,
                    zone,
                    f"[green]sent[/green]     {name}: {row['sent_bubbles']}/{row['bubbles']} bubbles",
                )
            elif row["status"] in TERMINAL:
                self._say(now, zone, f"[red]{row['status']}[/red] {name}: {row['error_message'] or ''}")
        return all(r["status"] in TERMINAL and r["open_bubbles"] == 0 for r in rows)

    def _name(self, phone: str) -> str:
        return self.names.get(phone, phone)

    def _report_inbound(self, now: datetime, zone: ZoneInfo) -> tuple[bool, bool]:
        """Print new replies, confirmations sent and messages delivered. Returns (heard, reported):
        the replies the story expects are stored and their confirmations sent; no sent bubble awaits
        its delivery report."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            replies = cur.execute(
                """select id, phone_number, body, action, action_note, in_reply_to
                   from public.dashboard_replies order by id"""
            ).fetchall()
            bubbles = cur.execute(
                """select id, phone_number, reply_kind, status, content from public.messages
                   where reply_kind is not null order by id"""
            ).fetchall()
            delivered = cur.execute(
                """select id, customer_name, bubbles, bubbles_delivered from public.scheduled_message_deliveries
                   where campaign_name = %s and delivery_status = 'delivered'""",
                (self.campaign,),
            ).fetchall()
            awaiting = cur.execute(
                """select count(*) as n from public.messages
                   where status = 'sent' and delivery_status in ('pending', 'retrying')"""
            ).fetchone()
        for reply in replies:
            if reply["id"] in self._seen_replies:
                continue
            self._seen_replies.add(reply["id"])
            decision = {"opt_out": "opted out", "opt_in": "opted in again", "help": "help text"}.get(
                reply["action"], "no keyword, for a person to read"
            )
            context = (
                f' (in reply to "{_short(_bubbles(reply["in_reply_to"]))}")' if reply["in_reply_to"] else ""
            )
            self._say(
                now,
                zone,
                f'[bold magenta]reply[/bold magenta]    {self._name(reply["phone_number"])}: "{reply["body"]}" '
                f"-> {decision}{context}",
            )
        for bubble in bubbles:
            if self._reply_bubbles.get(bubble["id"]) == bubble["status"]:
                continue
            self._reply_bubbles[bubble["id"]] = bubble["status"]
            if bubble["status"] == "sent":
                what = bubble["reply_kind"].replace("_", " ")
                self._say(
                    now,
                    zone,
                    f'[magenta]{what} sent[/magenta] to {self._name(bubble["phone_number"])}: "{bubble["content"]}"',
                )
        for row in delivered:
            if row["id"] not in self._delivered:
                self._delivered.add(row["id"])
                self._say(
                    now,
                    zone,
                    f"[green]delivered[/green] {row['customer_name']}: {row['bubbles_delivered']}/{row['bubbles']} "
                    "bubbles (delivery reports)",
                )
        replies_in = len(replies) >= self.expected_replies
        confirmations_out = all(status == "sent" for status in self._reply_bubbles.values())
        return replies_in and confirmations_out, awaiting is not None and int(awaiting["n"]) == 0

    def _finished(self, campaign_done: bool, heard: bool, reported: bool) -> bool:
        """Everything final and heard; the last delivery reports get `report_grace` real seconds."""
        if not (campaign_done and heard):
            return False
        if reported:
            return True
        if self._settled_at is None:
            self._settled_at = time.monotonic()
        return time.monotonic() - self._settled_at > self.report_grace

    def _maybe_jump(self, tick: dict[str, Any], zone: ZoneInfo) -> None:
        """Skip the closed night once nothing can happen before the next opening."""
        now: datetime = tick["now"]
        if tick["open"] or tick["sending"] or tick["next_opening"] is None:
            return
        since_close = datetime.combine(date.min, tick["local_time"]) - datetime.combine(
            date.min, tick["closes_at"]
        )
        if timedelta(0) <= since_close < tick["bubble_grace"] + timedelta(minutes=1):
            return  # a message started before closing may still finish within the grace
        target: datetime = tick["next_opening"] - timedelta(minutes=3)
        if target - now < timedelta(minutes=20):
            return
        self.clock.jump(target - now)
        self.jumps.append(Jump(now, target))
        self.console.print(
            f"[bold magenta]night:[/bold magenta] the window is closed and nothing is in flight, so the demo "
            f"moves the database clock {_hours(target - now)} forward, from {pacific(now, zone)} PT to "
            f"{pacific(target, zone)} PT (at this speed the night would take "
            f"{(target - now).total_seconds() / self.clock.speed / 60:.0f} real minutes)"
        )

    def run(self) -> None:
        deadline = time.monotonic() + self.real_timeout
        while True:
            if not self.listener.running():
                raise DemoError(f"the listener exited early (code {self.listener.process.returncode})")
            tick = self._tick()
            zone = ZoneInfo(tick["time_zone"])
            now: datetime = tick["now"]
            if self._window_open is not None and tick["open"] != self._window_open:
                self.console.rule(
                    f"[bold]{pacific(now, zone)} PT: send window {'opens' if tick['open'] else 'closes'}[/bold]"
                )
            self._window_open = tick["open"]
            minute = now.replace(second=0, microsecond=0)
            if minute != self._last_minute:
                self._last_minute = minute
                self._promote()
            heard, reported = self._report_inbound(now, zone)  # a reply before what it caused
            if self._finished(self._report_changes(now, zone), heard, reported):
                return
            self._maybe_jump(tick, zone)
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the campaign was not done after {self.real_timeout:.0f} real seconds; "
                    "see the listener log and the timeline below"
                )
            time.sleep(self.poll)


def _bubbles(text: str) -> str:
    """A message as its bubbles read on a phone, one after the other."""
    return " / ".join(part.strip() for part in text.split("[BUBBLE]"))


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _hours(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"
