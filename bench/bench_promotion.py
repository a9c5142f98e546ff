"""Promotion cost: one pg_cron tick with 1,000 vs 1,000,000 historical scheduled messages, and the rate
at which a backlog of 100,000 due messages of 3 bubbles is promoted.

Why: process_scheduled_messages_safe() runs every minute for months while scheduled_messages and
messages only grow. A tick must cost the same with a year of history as on day one (target: the
large-history tick under 2x the small one), which the partial indexes on status = 'SCH' guarantee;
and a large backlog (pacing off) must drain at thousands of rows per second.

Per history size: load `sent` history (scheduled messages with one sent bubble each, bulk loaded with
triggers off, as a restore would), ANALYZE, then time ticks: an idle tick (nothing due) and a busy tick
(20 due messages in 20 campaigns). Printed: median/p95 per tick and the ratio large / small of the
medians measured in this run. Then 100,000 due 3-bubble messages are promoted in batches of 5,000.

    python bench/bench_promotion.py            # throwaway cluster: 1,000 vs 1,000,000; 100,000 due
    python bench/bench_promotion.py --quick    # seconds: 1,000 vs 20,000; 2,000 due
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sms_common import faketime
from sms_common.localdb import throwaway_cluster

#: A Wednesday 14:30 Pacific: inside the default send window.
PINNED = datetime(2025, 11, 5, 22, 30, tzinfo=UTC)
#: The bench cluster's libfaketime spec file (set in main).
CLOCK_FILE: Path | None = None
DUE_PER_BUSY_TICK = 20
TICKS = 25
BACKLOG_BATCH = 5000

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class TickFigures:
    history: int
    idle_median_ms: float
    idle_p95_ms: float
    busy_median_ms: float
    busy_p95_ms: float


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def load_history(conn: Conn, target: int) -> None:
    """Grow the sent history to `target` scheduled messages (one sent bubble each)."""
    row = conn.execute("select count(*) from public.scheduled_messages where status = 'sent'").fetchone()
    have = int(row[0]) if row else 0
    missing = target - have
    if missing <= 0:
        return
    with conn.transaction():
        # A bulk restore: triggers off, constraints still checked.
        conn.execute("set local session_replication_role = replica")
        conn.execute(
            """
            with rows as (
              insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                                     status, campaign_name, queued_at, sent_at, promotions)
              select '+1209' || lpad((g %% 10000000)::text, 7, '0'), 'History ' || g, 'old text ' || g,
                     %(at)s - g * interval '1 minute', 'sent', 'history-' || (g %% 50),
                     %(at)s - g * interval '1 minute', %(at)s - g * interval '1 minute', 1
                from generate_series(%(first)s::bigint, %(last)s::bigint) g
              returning id, phone_number, message_content, sent_at
            )
            insert into public.messages (scheduled_message_id, promotion, bubble_index, bubble_count, phone_number,
                                         content, status, attempts, sent_at, modem_reference)
            select id, 1, 1, 1, phone_number, message_content, 'sent', 1, sent_at, '1' from rows
            """,
            {"at": PINNED, "first": have + 1, "last": target},
        )
    conn.execute("vacuum analyze public.scheduled_messages")
    conn.execute("vacuum analyze public.messages")


def _add_due(conn: Conn, count: int, tag: str, bubbles: int = 3) -> None:
    content = " [BUBBLE] ".join(f"part {i}" for i in range(1, bubbles + 1))
    conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               campaign_name)
        select '+1559' || lpad(g::text, 7, '0'), 'Due ' || g, %(content)s, %(at)s - interval '10 seconds',
               %(tag)s || '-' || g
          from generate_series(1, %(count)s::integer) g
        """,
        {"content": content, "at": PINNED, "tag": tag, "count": count},
    )


def _pin(at: datetime) -> None:
    """Promotion acts on the database clock: move the bench cluster's clock (libfaketime) to `at`."""
    assert CLOCK_FILE is not None, "the bench cluster runs under libfaketime"
    faketime.write_spec(CLOCK_FILE, faketime.frozen_spec(at))


def _tick(conn: Conn, at: datetime) -> tuple[float, int]:
    _pin(at)
    started = time.perf_counter()
    row = conn.execute("select processed_count from public.process_scheduled_messages_safe()").fetchone()
    elapsed = (time.perf_counter() - started) * 1000
    assert row is not None
    return elapsed, int(row[0])


def measure_ticks(conn: Conn, history: int) -> TickFigures:
    idle: list[float] = []
    busy: list[float] = []
    for i in range(TICKS + 3):
        elapsed, processed = _tick(conn, PINNED)
        assert processed == 0, f"an idle tick promoted {processed}"
        if i >= 3:
            idle.append(elapsed)
    for i in range(TICKS + 3):
        _add_due(conn, DUE_PER_BUSY_TICK, f"busy-{history}-{i}")
        elapsed, processed = _tick(conn, PINNED)
        assert processed == DUE_PER_BUSY_TICK, f"a busy tick promoted {processed}, not {DUE_PER_BUSY_TICK}"
        if i >= 3:
            busy.append(elapsed)
    return TickFigures(
        history=history,
        idle_median_ms=statistics.median(idle),
        idle_p95_ms=_p95(idle),
        busy_median_ms=statistics.median(busy),
        busy_p95_ms=_p95(busy),
    )


def measure_backlog(conn: Conn, count: int) -> tuple[float, int]:
    """Promote `count` due 3-bubble messages (pacing off); returns (seconds, bubbles created)."""
    conn.execute("update public.send_window set catch_up_gap = '0'")
    _add_due(conn, count, "backlog")
    conn.execute("analyze public.scheduled_messages")
    before = conn.execute("select count(*) from public.messages").fetchone()
    _pin(PINNED + timedelta(minutes=1))
    started = time.perf_counter()
    promoted = 0
    while True:
        row = conn.execute("select public.process_scheduled_messages(%s)", (BACKLOG_BATCH,)).fetchone()
        assert row is not None
        if int(row[0]) == 0:
            break
        promoted += int(row[0])
    seconds = time.perf_counter() - started
    after = conn.execute("select count(*) from public.messages").fetchone()
    assert promoted == count, f"promoted {promoted} of {count}"
    assert before is not None
    assert after is not None
    return seconds, int(after[0]) - int(before[0])


def run(url: str, small: int, large: int, backlog: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("update public.send_window set catch_up_gap = '4 minutes'")
        print(f"loading {small:,} historical scheduled messages ...", flush=True)
        load_history(conn, small)
        small_figures = measure_ticks(conn, small)
        print(f"loading up to {large:,} historical scheduled messages ...", flush=True)
        load_history(conn, large)
        large_figures = measure_ticks(conn, large)
        print()
        print("promotion tick (process_scheduled_messages_safe), milliseconds")
        print(f"{'history':>12} {'idle median':>12} {'idle p95':>10} {'busy median':>12} {'busy p95':>10}")
        for f in (small_figures, large_figures):
            print(
                f"{f.history:>12,} {f.idle_median_ms:>12.3f} {f.idle_p95_ms:>10.3f}"
                f" {f.busy_median_ms:>12.3f} {f.busy_p95_ms:>10.3f}"
            )
        idle_ratio = large_figures.idle_median_ms / small_figures.idle_median_ms
        busy_ratio = large_figures.busy_median_ms / small_figures.busy_median_ms
        print(
            f"ratio {large:,} / {small:,} history: idle tick {idle_ratio:.2f}x, busy tick {busy_ratio:.2f}x (target < 2x)"
        )
        print()
        print(
            f"promoting a backlog of {backlog:,} due messages of 3 bubbles (batches of {BACKLOG_BATCH:,}) ...",
            flush=True,
        )
        seconds, bubbles = measure_backlog(conn, backlog)
        print(
            f"backlog: {backlog:,} messages -> {bubbles:,} bubbles in {seconds:.2f} s:"
            f" {backlog / seconds:,.0f} messages/s, {bubbles / seconds:,.0f} bubbles/s"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test in seconds")
    args = parser.parse_args(argv)
    small, large, backlog = (1_000, 20_000, 2_000) if args.quick else (1_000, 1_000_000, 100_000)
    global CLOCK_FILE
    with throwaway_cluster(fake_clock=True) as cluster:
        CLOCK_FILE = cluster.clock_file
        print("preparing a throwaway cluster (migrations via the Supabase CLI) ...", flush=True)
        cluster.prepare("bench")
        run(cluster.url("bench"), small, large, backlog)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
