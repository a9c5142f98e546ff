"""Planning and scheduling 100,000 approved messages end to end: seconds and rows per second.

Why: a campaign import can be large, and `schedule` must write the whole plan in one transaction
without a round trip per row. Measured in one run, on one database:

- fetch: reading the APR rows in planning order (with the row locks `schedule` takes);
- plan: the pure planner on those rows (seeded random gaps, window checks);
- schedule: `scheduler.db.schedule` end to end (lock, plan, COPY, INSERT ... SELECT into
  scheduled_messages, the database's triggers moving campaign_messages to SCH, commit);
- guarded write: the part of it after the plan is made (the write with every guard and trigger, and
  the commit), against
- bare COPY: the same rows COPYed from Python into an unguarded copy of scheduled_messages in the same
  database (`like public.scheduled_messages including defaults including identity including indexes`:
  the same columns and indexes, no triggers, no checks), in one transaction. The ratio guarded / bare
  is what the guards cost (the aim: within 3x);
- baseline: the seed's way, one INSERT and one UPDATE round trip per message, on a smaller campaign;
  the ratio of the rows per second (bulk / per-row) is printed.

    python bench/bench_scheduler.py                 # throwaway cluster, 100,000 messages (baseline 2,000)
    python bench/bench_scheduler.py --quick         # seconds: 2,000 messages (baseline 200)
    python bench/bench_scheduler.py --db-url postgresql://...   # an existing migrated database (it is filled!)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler import db
from scheduler.planner import Plan, plan_campaign
from sms_common.localdb import throwaway_cluster
from sms_common.logs import configure_logging

#: A Wednesday afternoon in Pacific time: the plan starts inside the window.
START = datetime(2025, 11, 5, 14, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
SEED = 2025

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Figures:
    rows: int
    fetch_s: float
    plan_s: float
    schedule_s: float
    write_s: float
    bare_copy_s: float
    baseline_rows: int
    baseline_s: float
    business_days: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.schedule_s

    @property
    def baseline_rows_per_second(self) -> float:
        return self.baseline_rows / self.baseline_s


def add_approved(conn: Conn, campaign: str, count: int, first_number: int) -> None:
    conn.execute(
        """
        insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content,
                                              status, approved_at)
        select %(campaign)s, 'Customer ' || n, '+1209' || lpad((%(first)s + n)::text, 7, '0'),
               'Hi ' || n || ', Dana from Valley Cycle Works! [BUBBLE] Winter tune-ups are $49. [BUBBLE] Reply here.',
               'APR', %(at)s::timestamptz - interval '1 day' + n * interval '1 ms'
          from generate_series(1, %(count)s) as n
        """,
        {"campaign": campaign, "first": first_number, "count": count, "at": START},
    )
    conn.execute("analyze public.campaign_messages")


def per_row_baseline(conn: Conn, campaign: str) -> tuple[int, float]:
    """The seed's schedule_campaign.py: for each message one INSERT and one UPDATE (one transaction)."""
    window = db.send_window(conn)
    messages = db.fetch_approved(conn, campaign, None)
    plan = plan_campaign(messages, window, START, SEED)
    began = time.perf_counter()
    with conn.transaction():
        for item in plan.items:
            m = item.message
            conn.execute(
                "insert into public.scheduled_messages (campaign_message_id, phone_number, customer_name, "
                "message_content, scheduled_for, status, campaign_name) values (%s, %s, %s, %s, %s, 'SCH', %s)",
                (m.id, m.phone_number, m.customer_name, m.message_content, item.send_at, m.campaign_name),
            )
            conn.execute(
                "update public.campaign_messages set status = 'SCH' where id = %s and status = 'APR'", (m.id,)
            )
    return len(plan.items), time.perf_counter() - began


#: The unguarded copy of scheduled_messages the bare COPY writes into (dropped afterwards).
BARE_TABLE = "public.bench_bare_scheduled_messages"


def bare_copy(conn: Conn, plan: Plan) -> float:
    """Seconds to COPY the plan's rows into an unguarded copy of scheduled_messages, in one transaction."""
    conn.execute(f"drop table if exists {BARE_TABLE}")
    conn.execute(
        f"create table {BARE_TABLE} "
        "(like public.scheduled_messages including defaults including identity including indexes)"
    )
    try:
        began = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor().copy(
                f"copy {BARE_TABLE} (campaign_message_id, phone_number, customer_name, message_content, "
                "scheduled_for, status, campaign_name) from stdin"
            ) as copy,
        ):
            for item in plan.items:
                m = item.message
                copy.write_row(
                    (
                        m.id,
                        m.phone_number,
                        m.customer_name,
                        m.message_content,
                        item.send_at,
                        "SCH",
                        m.campaign_name,
                    )
                )
        elapsed = time.perf_counter() - began
        copied = conn.execute(f"select count(*) from {BARE_TABLE}").fetchone()
        if copied != (len(plan.items),):
            raise SystemExit(f"bench: the bare COPY wrote {copied} rows, not {len(plan.items)}")
        return elapsed
    finally:
        conn.execute(f"drop table if exists {BARE_TABLE}")


def measure(url: str, rows: int, baseline_rows: int) -> Figures:
    with psycopg.connect(url, autocommit=True) as conn:
        add_approved(conn, "bench", rows, 1_000_000)
        add_approved(conn, "baseline", baseline_rows, 5_000_000)
        window = db.send_window(conn)

        began = time.perf_counter()
        with conn.transaction():
            messages = db.fetch_approved(conn, "bench", None, lock=True)
        fetch_s = time.perf_counter() - began

        began = time.perf_counter()
        plan = plan_campaign(messages, window, START, SEED)
        plan_s = time.perf_counter() - began

        bare_copy_s = bare_copy(conn, plan)

        planned: list[float] = []

        def accept(_: db.PreparedPlan) -> bool:
            planned.append(time.perf_counter())  # the plan is made: from here on it is the write
            return True

        began = time.perf_counter()
        result = db.schedule(conn, "bench", None, start=START, seed=SEED, window=window, review=accept)
        ended = time.perf_counter()
        schedule_s = ended - began
        write_s = ended - planned[0]
        planned_times = [(i.message.id, i.send_at) for i in plan.items]
        if result.inserted != rows or [(i.message.id, i.send_at) for i in result.plan.items] != planned_times:
            raise SystemExit(f"bench: scheduled {result.inserted} of {rows} rows, or the plan differed")
        left = conn.execute(
            "select count(*) from public.campaign_messages where campaign_name = 'bench' and status <> 'SCH'"
        ).fetchone()
        if left != (0,):
            raise SystemExit(f"bench: {left} campaign messages were not moved to SCH")

        done, baseline_s = per_row_baseline(conn, "baseline")
    return Figures(
        rows=rows,
        fetch_s=fetch_s,
        plan_s=plan_s,
        schedule_s=schedule_s,
        write_s=write_s,
        bare_copy_s=bare_copy_s,
        baseline_rows=done,
        baseline_s=baseline_s,
        business_days=plan.business_days,
    )


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with throwaway_cluster() as cluster:
        cluster.prepare("bench")
        yield cluster.url("bench")


def report(figures: Figures) -> str:
    lines = [
        f"scheduler bench: {figures.rows:,} approved messages, plan spans {figures.business_days} business days",
        f"  fetch (APR rows, locked)       {figures.fetch_s:8.3f} s",
        f"  plan (pure planner)            {figures.plan_s:8.3f} s   {figures.rows / figures.plan_s:12,.0f} rows/s",
        f"  schedule end to end            {figures.schedule_s:8.3f} s   {figures.rows_per_second:12,.0f} rows/s",
        f"    of which the guarded write   {figures.write_s:8.3f} s   {figures.rows / figures.write_s:12,.0f} rows/s",
        f"  bare COPY, unguarded table     {figures.bare_copy_s:8.3f} s   "
        f"{figures.rows / figures.bare_copy_s:12,.0f} rows/s   (same rows, no triggers or checks)",
        f"  ratio (seconds, guarded write / bare COPY): {figures.write_s / figures.bare_copy_s:.2f}x",
        f"  baseline: per-row round trips  {figures.baseline_s:8.3f} s   "
        f"{figures.baseline_rows_per_second:12,.0f} rows/s   ({figures.baseline_rows:,} messages)",
        f"  ratio (rows/s, bulk / per-row): {figures.rows_per_second / figures.baseline_rows_per_second:.2f}x",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 messages (baseline 200): a smoke test")
    parser.add_argument("--rows", type=int, help="approved messages to schedule (default 100,000)")
    parser.add_argument("--db-url", help="an existing migrated database (rows are added to it)")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    rows = args.rows or (2_000 if args.quick else 100_000)
    baseline_rows = 200 if args.quick else 2_000
    with database(args.db_url) as url:
        figures = measure(url, rows, baseline_rows)
    print(report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
