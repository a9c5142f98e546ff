"""Drives the campaign on the fast clock: promotion every fake minute, the night jump, progress lines.

Why the demo promotes itself: pg_cron's scheduler wakes on real minutes even when the server's clock
runs fast, and the demo database has no cron job anyway (it is not pg_cron's database, like a project
without pg_cron). So every time the database's clock enters a new minute, the driver runs exactly
what the cron job runs: `select * from process_scheduled_messages_safe()`, at the database's own now().

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
    jumps: list[Jump] = field(default_factory=list)
    promotions: int = 0
    _statuses: dict[int, str] = field(default_factory=dict)
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
            if self._report_changes(now, zone):
                return
            self._maybe_jump(tick, zone)
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the campaign was not done after {self.real_timeout:.0f} real seconds; "
                    "see the listener log and the timeline below"
                )
            time.sleep(self.poll)


def _hours(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"
