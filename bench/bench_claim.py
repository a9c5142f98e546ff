"""Claim cost as history grows: claim_next_bubble() with 1,000 vs 1,000,000 sent bubbles in `messages`.

Why: the listener claims after every SMS for months; the table only grows. A claim must stay as
cheap with a year of history as on day one (the target: the large-history claim under 2x the
small one), which the partial indexes on the live statuses are meant to guarantee.

For each history size the same run: load `sent` history (scheduled messages of 3 bubbles, bulk
loaded with triggers off, as a restore would), ANALYZE, queue fresh 3-bubble messages, then claim
and mark sent one bubble at a time, timing only the claim calls. Printed: median and p95 per claim,
and the ratio of the medians (large / small) measured in this run.

    python bench/bench_claim.py                      # throwaway cluster, 1,000 vs 1,000,000
    python bench/bench_claim.py --quick              # seconds: 1,000 vs 20,000
    python bench/bench_claim.py --db-url postgresql://...   # an existing migrated database (it is filled!)
"""

from __future__ import annotations

import argparse
import statistics
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

from sms_common import faketime
from sms_common.localdb import throwaway_cluster

#: Inside the default send window (a Wednesday afternoon in Pacific time).
PINNED = datetime(2025, 11, 5, 14, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
BUBBLES_PER_MESSAGE = 3
WORKER = "bench-claimer"
#: Untimed claims before the timed ones, per history size.
WARM_UP = 15

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Figures:
    history: int
    claims: int
    median_ms: float
    p95_ms: float


def load_history(conn: Conn, target: int) -> int:
    """Grow the sent history to at least `target` bubbles; returns the number of sent bubbles."""
    row = conn.execute("select count(*) from public.messages where status = 'sent'").fetchone()
    have = int(row[0]) if row else 0
    missing = max(target - have, 0)
    messages = -(-missing // BUBBLES_PER_MESSAGE)
    if messages:
        with conn.transaction():
            conn.execute("set local session_replication_role = replica")  # a bulk restore: no triggers
            conn.execute(
                """
                with sm as (
                  insert into public.scheduled_messages
                         (phone_number, customer_name, message_content, scheduled_for, status,
                          campaign_name, queued_at, sent_at, promotions)
                  select '+1209' || lpad((n %% 10000000)::text, 7, '0'), 'History',
                         'old [BUBBLE] old [BUBBLE] old', %(at)s - make_interval(mins => n),
                         'sent', 'history', %(at)s - make_interval(mins => n), %(at)s - make_interval(mins => n), 1
                    from generate_series(1, %(messages)s) n
                  returning id, phone_number, sent_at
                )
                insert into public.messages
                       (scheduled_message_id, promotion, bubble_index, bubble_count, phone_number, content,
                        status, attempts, worker_id, claimed_at, sent_at, modem_reference)
                select sm.id, 1, b, %(bubbles)s, sm.phone_number, 'old', 'sent', 1, 'history', sm.sent_at,
                       sm.sent_at, '1'
                  from sm, generate_series(1, %(bubbles)s) b
                """,
                {"at": PINNED, "messages": messages, "bubbles": BUBBLES_PER_MESSAGE},
            )
        conn.execute("vacuum analyze public.messages")
        conn.execute("vacuum analyze public.scheduled_messages")
    row = conn.execute("select count(*) from public.messages where status = 'sent'").fetchone()
    return int(row[0]) if row else 0


def queue_fresh(conn: Conn, count: int) -> None:
    """`count` messages of 3 bubbles each, due now and promoted (only promotion creates bubbles)."""
    conn.execute("update public.send_window set catch_up_gap = '0'")
    conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               campaign_name)
        select '+1559' || lpad(n::text, 7, '0'), 'Fresh', 'new [BUBBLE] new [BUBBLE] new', %(at)s, 'bench'
          from generate_series(1, %(count)s) n
        """,
        {"at": PINNED, "count": count},
    )
    row = conn.execute("select public.process_scheduled_messages(%s)", (count,)).fetchone()
    assert row == (count,), f"promoted {row}, not {count}"
    conn.execute("analyze public.messages")


def measure(conn: Conn, history: int, claims: int) -> Figures:
    """Time `claims` claims (each followed by an untimed mark sent) with `history` sent bubbles."""
    sent = load_history(conn, history)
    queue_fresh(conn, -(-(claims + WARM_UP) // BUBBLES_PER_MESSAGE))
    timings: list[float] = []
    for n in range(claims + WARM_UP):
        started = time.perf_counter()
        row = conn.execute("select id from public.claim_next_bubble(%s)", (WORKER,)).fetchone()
        elapsed = time.perf_counter() - started
        if row is None or row[0] is None:
            raise SystemExit(f"bench: nothing claimable after {n} claims (expected {claims + WARM_UP})")
        if n >= WARM_UP:  # the first claims warm plan caches and buffers; they are not counted
            timings.append(elapsed)
        conn.execute("select public.mark_bubble_sent(%s, %s, 'bench')", (row[0], WORKER))
    timings.sort()
    return Figures(
        history=sent,
        claims=claims,
        median_ms=statistics.median(timings) * 1000,
        p95_ms=timings[min(len(timings) - 1, int(len(timings) * 0.95))] * 1000,
    )


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with throwaway_cluster(fake_clock=True) as cluster:
        assert cluster.clock_file is not None
        # The claim acts on the database clock: freeze it inside the send window (a Wednesday afternoon).
        faketime.write_spec(cluster.clock_file, faketime.frozen_spec(PINNED))
        cluster.prepare("bench")
        yield cluster.url("bench")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="1,000 vs 20,000 history, fewer claims (smoke test)"
    )
    parser.add_argument(
        "--db-url", help="use this migrated database instead of a throwaway cluster (it is filled)"
    )
    parser.add_argument("--claims", type=int, help="claims timed per history size (default 300, quick 60)")
    args = parser.parse_args(argv)
    small, large = (1_000, 20_000) if args.quick else (1_000, 1_000_000)
    claims = args.claims or (60 if args.quick else 300)

    with database(args.db_url) as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update public.send_window set bubble_grace = bubble_grace"
        )  # fails early if not migrated
        before = conn.execute("select count(*) from public.messages where status <> 'sent'").fetchone()
        if before and before[0]:
            raise SystemExit(f"bench: the database has {before[0]} unsent bubbles; use an empty one")
        baseline = measure(conn, small, claims)
        loaded = time.perf_counter()
        grown = measure(conn, large, claims)
        load_seconds = time.perf_counter() - loaded

    print(f"claim_next_bubble cost vs history ({claims} claims each, 3-bubble messages)")
    print(f"  {'history (sent bubbles)':>24} {'median ms':>10} {'p95 ms':>10}")
    for figures in (baseline, grown):
        print(f"  {figures.history:>24,} {figures.median_ms:>10.3f} {figures.p95_ms:>10.3f}")
    ratio = grown.median_ms / baseline.median_ms if baseline.median_ms else float("inf")
    verdict = "within" if ratio < 2 else "OVER"
    print(f"  ratio (median, large / small): {ratio:.2f}x  ({verdict} the 2x target)")
    print(f"  (loading the large history and measuring took {load_seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
