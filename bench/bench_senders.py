"""Claims across a bank of SIMs with sticky routing: throughput and latency for 1, 4, 16, 64 claimers.

Why: issue 14 routes every bubble through the recipient's SIM inside claim_next_bubble (the assignment
lookup, the SIM's limits and liveness, the "same SIM for the rest of a message" check). Many listeners
claim from one queue at once, so the claim must scale with claimers and stay cheap as history grows,
and the routing must hold under real concurrency: no bubble claimed twice, no recipient served by two
SIMs.

Set-up (one base database, cloned per run so that every run starts from the same state): 64 SIMs
registered; a queue of 100,000 bubbles (10,000 recipients x 5 messages x 2 bubbles, promoted by
process_scheduled_messages); 9 of every 10 recipients already assigned to a SIM (spread evenly, as
earlier campaigns leave them), the rest new, assigned by the claims themselves. Then the same with
1,000,000 sent bubbles of history (for 100,000 numbers, including the assigned recipients, with their
assignments), bulk loaded with triggers off as a restore would.

Each run: N claimer threads, each with its own connection, each playing 64/N of the SIMs in turn (a
claimer is a listener; with 1 claimer one connection serves all 64 SIMs), claim then mark sent, until
the run's claims are done. Printed per run: claims per second (claim + mark sent, wall clock), p50 and
p99 of the claim call alone, and ratios against the 1-claimer run of the same history size, and of the
large history against the small one. To tell work from waiting: the server CPU per claim (the claimer
backends' user + system time from /proc, claim and mark together; on a local server only), and the
share of samples (20 a second, pg_stat_activity) in which an active claimer waited for a lock. With
more claimers than cores the CPU per claim stays flat and lock waits near zero while the latency
grows with claimers / cores: the claims queue for the CPU, not for each other. Then a paced run:
every SIM's listener (64 connections) claims once every PACED_INTERVAL seconds from a random phase, as
a real bank does (a modem sends one SMS every 2-5 s), at six times a real bank's rate: its p99 is the
latency a listener sees in production. Checked and printed: bubbles claimed twice, recipients served by
two SIMs (every claimed or sent bubble, history included, per phone number), bubbles whose SIM is not
their recipient's. Figures, not assertions; the pytest smoke test runs --quick.

    python bench/bench_senders.py                  # throwaway cluster; a few minutes
    python bench/bench_senders.py --quick          # seconds: 10,000 bubbles, 20,000 history
    python bench/bench_senders.py --due-only       # only next_bubble_due_at: global vs per SIM
    python bench/bench_senders.py --db-url URL     # a migrated database on a server where we may
                                                   # create databases (it is filled; clones are dropped)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sms_common.localdb import throwaway_cluster

SIMS = 64
MESSAGES_PER_RECIPIENT = 5
BUBBLES = 2
CLAIMERS = (1, 2, 4, 16, 64)
#: The paced run: every SIM's listener claims once per this many seconds (64 SIMs: 128 claims/s
#: offered, about six times what 64 modems sending one SMS every 2-5 s ask for).
PACED_INTERVAL = 0.5
#: Untimed claims per claimer thread before the timed ones (plan caches, buffers).
WARM_UP = 3

Conn = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Size:
    recipients: int
    history_bubbles: int
    history_numbers: int
    claims: int


FULL = Size(recipients=10_000, history_bubbles=1_000_000, history_numbers=100_000, claims=6_400)
QUICK = Size(recipients=1_000, history_bubbles=20_000, history_numbers=2_000, claims=640)


@dataclass(frozen=True)
class Run:
    history: int
    claimers: int
    claims: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: Server CPU (claimer backends, claim + mark sent) per claim; None when the server is not local.
    cpu_ms: float | None
    #: Share of an active claimer's samples spent waiting for a lock (Lock or LWLock).
    lock_share: float
    #: Paced run: each claimer claims once per this many seconds (None: as fast as it can).
    interval: float | None
    claimed_twice: int
    two_sims: int
    off_route: int

    @property
    def per_second(self) -> float:
        return self.claims / self.seconds if self.seconds else float("inf")


def phone(n: int) -> str:
    return f"+1209{n:07d}"


def load_base(conn: Conn, size: Size, *, history: bool) -> int:
    """Senders, assignments, the queue and optionally the history; returns the sent bubbles in history."""
    # The real clock (see server()): the window open all week, every SIM alive and never handed over
    # however long the load and the runs take; pacing off (all five rounds are due at once).
    conn.execute(
        "update public.send_window set catch_up_gap = '0', week_days = '{1,2,3,4,5,6,7}', opens_at = '00:00',"
        " closes_at = '23:59:59.999999'"
    )
    # The recipients' quiet-hour rules open all day too (docs/recipient-windows.md), or promotion would
    # wait for 8:00 at the test numbers.
    conn.execute(
        "delete from public.recipient_rule_hours h using public.recipient_rule_hours e"
        " where h.rule = e.rule and h.id > e.id"
    )
    conn.execute(
        "update public.recipient_rule_hours set iso_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '24:00'"
    )
    conn.execute("update public.sender_settings set alive_after = '1 day', handover_after = '90 days'")
    moment = conn.execute("select statement_timestamp()").fetchone()
    at = moment[0] if moment else None
    for k in range(SIMS):
        conn.execute(
            "select public.register_sender(%s, %s, null, null, '{}'::jsonb)",
            (f"sim-{k:02d}", f"3102600000{k:05d}"),
        )
    sender_ids = [int(r[0]) for r in conn.execute("select id from public.senders order by id").fetchall()]
    assigned = size.recipients * 9 // 10  # recipients 0 .. assigned-1 have a SIM; the rest are new
    new = size.recipients - assigned
    # Phone number k of the history: the assigned recipients first, then numbers past the queue's (the
    # queue's new recipients stay new).
    phone_of = "'+1209' || lpad((case when k < %(assigned)s then k else k + %(new)s end)::text, 7, '0')"
    numbers = size.history_numbers if history else assigned
    with conn.transaction():
        conn.execute("set local session_replication_role = replica")  # a bulk restore: no triggers
        # Assignments: spread evenly over the SIMs (number k -> SIM k mod 64), each with its first move.
        conn.execute(
            f"""
            insert into public.recipient_senders (phone_number, sender_id, assigned_at, why)
            select {phone_of}, (%(ids)s::bigint[])[k %% %(sims)s + 1], %(at)s, 'first texted by this SIM'
              from generate_series(0, %(numbers)s - 1) k
            """,
            {"ids": sender_ids, "sims": SIMS, "at": at, "numbers": numbers, "assigned": assigned, "new": new},
        )
        conn.execute(
            """
            insert into public.recipient_sender_moves (phone_number, from_sender_id, to_sender_id, kind, reason,
                                                       moved_by, moved_at)
            select a.phone_number, null, a.sender_id, 'first', 'bench history', 'bench', a.assigned_at
              from public.recipient_senders a
            """
        )
    conn.execute("analyze public.recipient_senders")
    # The queue: 5 rounds (campaigns) of one 2-bubble message to every recipient, promoted for real
    # (before the history is loaded: the promotion's cost is not what is measured here).
    conn.execute(
        """
        insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                               campaign_name)
        select '+1209' || lpad(n::text, 7, '0'), 'Bench', 'new [BUBBLE] new', %(at)s - make_interval(secs => r),
               'round ' || r
          from generate_series(1, %(rounds)s) r, generate_series(0, %(recipients)s - 1) n
        """,
        {"at": at, "rounds": MESSAGES_PER_RECIPIENT, "recipients": size.recipients},
    )
    total = size.recipients * MESSAGES_PER_RECIPIENT
    row = conn.execute("select public.process_scheduled_messages(%s)", (total,)).fetchone()
    assert row == (total,), f"promoted {row}, not {total}"
    if history:
        with conn.transaction():
            conn.execute("set local session_replication_role = replica")  # a bulk restore: no triggers
            conn.execute(
                f"""
                with sm as (
                  insert into public.scheduled_messages
                         (phone_number, customer_name, message_content, scheduled_for, status,
                          campaign_name, queued_at, sent_at, promotions)
                  select {phone_of}, 'History', 'old [BUBBLE] old', %(at)s - make_interval(mins => n), 'sent',
                         'history', %(at)s - make_interval(mins => n), %(at)s - make_interval(mins => n), 1
                    from generate_series(1, %(messages)s) n, lateral (select n %% %(numbers)s as k) kk
                  returning id, phone_number, sent_at
                )
                insert into public.messages
                       (scheduled_message_id, promotion, bubble_index, bubble_count, phone_number, content,
                        status, attempts, worker_id, claimed_at, sent_at, modem_reference, sender_id)
                select sm.id, 1, b, %(bubbles)s, sm.phone_number, 'old', 'sent', 1, 'history', sm.sent_at,
                       sm.sent_at, '1', a.sender_id
                  from sm join public.recipient_senders a on a.phone_number = sm.phone_number,
                       generate_series(1, %(bubbles)s) b
                """,
                {
                    "at": at,
                    "messages": size.history_bubbles // BUBBLES,
                    "bubbles": BUBBLES,
                    "numbers": numbers,
                    "assigned": assigned,
                    "new": new,
                },
            )
    for table in ("messages", "scheduled_messages", "recipient_senders", "recipient_sender_moves", "senders"):
        conn.execute(f"vacuum analyze public.{table}")
    found = conn.execute("select count(*) from public.messages where status = 'sent'").fetchone()
    return int(found[0]) if found else 0


def backend_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a local server backend (fields 14 and 15 of /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def claimer(
    url: str,
    workers: list[str],
    quota: int,
    out: list[float],
    ids: list[int],
    errors: list[BaseException],
    barrier: threading.Barrier,
    cpu: list[float | None],
    interval: float | None,
) -> None:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            pid_row = conn.execute("select pg_backend_pid()").fetchone()
            pid = int(pid_row[0]) if pid_row else 0
            for k in range(WARM_UP):
                worker = workers[k % len(workers)]
                row = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
                if row and row[0] is not None:
                    conn.execute("select public.mark_bubble_sent(%s, %s, 'w')", (row[0], worker))
                    ids.append(int(row[0]))
            barrier.wait(timeout=120)
            cpu_before = backend_cpu_seconds(pid)
            done = 0
            turn = 0
            idle = 0
            # Paced: one claim per `interval` from a random phase (listeners do not start together).
            next_at = time.perf_counter() + random.uniform(0, interval or 0)
            while done < quota and idle < len(workers) * 3:
                if interval is not None:
                    time.sleep(max(0.0, next_at - time.perf_counter()))  # the bench's pacing, by design
                    next_at += interval
                worker = workers[turn % len(workers)]
                turn += 1
                started = time.perf_counter()
                row = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
                elapsed = time.perf_counter() - started
                if row is None or row[0] is None:
                    idle += 1
                    continue
                idle = 0
                out.append(elapsed)
                ids.append(int(row[0]))
                conn.execute("select public.mark_bubble_sent(%s, %s, 'b')", (row[0], worker))
                done += 1
            cpu_after = backend_cpu_seconds(pid)
            cpu.append(None if cpu_before is None or cpu_after is None else cpu_after - cpu_before)
    except BaseException as exc:  # reported to the main thread
        errors.append(exc)


def run(
    url: str,
    claimers: int,
    claims: int,
    history: int,
    sample_waits: bool = False,
    interval: float | None = None,
) -> Run:
    """One run; pg_stat_activity's wait events are sampled meanwhile (lock share), printed with `sample_waits` (--waits)."""
    workers = [f"sim-{k:02d}" for k in range(SIMS)]
    groups = [workers[i::claimers] for i in range(claimers)]
    quota = -(-claims // claimers)
    timings: list[list[float]] = [[] for _ in groups]
    claimed: list[list[int]] = [[] for _ in groups]
    errors: list[BaseException] = []
    barrier = threading.Barrier(claimers + 1)
    cpu: list[float | None] = []
    threads = [
        threading.Thread(
            target=claimer,
            args=(url, group, quota, timings[i], claimed[i], errors, barrier, cpu, interval),
        )
        for i, group in enumerate(groups)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    waits: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as probe:
        while any(thread.is_alive() for thread in threads):
            for event, n in probe.execute(
                "select coalesce(wait_event_type || ':' || wait_event, 'cpu'), count(*) from pg_stat_activity"
                " where datname = current_database() and pid <> pg_backend_pid() and state = 'active' group by 1"
            ).fetchall():
                waits[str(event)] = waits.get(str(event), 0) + int(n)
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.perf_counter() - started
    sampled = sum(waits.values())
    locked = sum(n for event, n in waits.items() if event.startswith(("Lock:", "LWLock:")))
    if sample_waits and waits:
        top = sorted(waits.items(), key=lambda kv: -kv[1])[:6]
        print(f"  waits with {claimers} claimers: " + ", ".join(f"{k} {v}" for k, v in top), flush=True)
    if errors:
        raise SystemExit(f"bench: a claimer failed: {errors[0]!r}")
    every = sorted(t for group in timings for t in group)
    ids = [i for group in claimed for i in group]
    cpu_total = None if not cpu or any(c is None for c in cpu) else sum(c for c in cpu if c is not None)
    with psycopg.connect(url, autocommit=True) as conn:
        two = conn.execute(
            """
            select count(*) from (
              select phone_number from public.messages where sender_id is not null
               group by phone_number having count(distinct sender_id) > 1) x
            """
        ).fetchone()
        off = conn.execute(
            """
            select count(*) from public.messages m join public.recipient_senders a using (phone_number)
             where m.sender_id is not null and m.sender_id <> a.sender_id
            """
        ).fetchone()
    return Run(
        history=history,
        claimers=claimers,
        claims=len(every),
        seconds=seconds,
        p50_ms=statistics.median(every) * 1000 if every else float("nan"),
        p99_ms=every[min(len(every) - 1, int(len(every) * 0.99))] * 1000 if every else float("nan"),
        cpu_ms=cpu_total / len(every) * 1000 if cpu_total is not None and every else None,
        lock_share=locked / sampled if sampled else 0.0,
        interval=interval,
        claimed_twice=len(ids) - len(set(ids)),
        two_sims=int(two[0]) if two else -1,
        off_route=int(off[0]) if off else -1,
    )


@dataclass(frozen=True)
class DueFigures:
    """next_bubble_due_at on one base: median EXPLAIN ANALYZE execution time of each call shape."""

    history: int
    global_ms: float
    per_sim_ms: float
    unknown_ms: float
    answers_agree: bool


#: Timed EXPLAIN ANALYZE calls per shape (after one untimed call: plan caches, buffers).
DUE_CALLS = 11


def explain_ms(conn: Conn, query: str, args: tuple[Any, ...]) -> float:
    """The execution time EXPLAIN ANALYZE reports for one statement, in milliseconds."""
    row = conn.execute(sql.SQL("explain (analyze, format json) ") + sql.SQL(query), args).fetchone()
    assert row is not None
    return float(row[0][0]["Execution Time"])


def next_due_figures(url: str, history: int) -> DueFigures:
    """The global call, a SIM's call (every SIM unlimited: it may take new recipients and every queue
    counts, the per-SIM worst case) and a worker with no senders row (falls back to the global answer)."""
    shapes = {
        "global": ("select public.next_bubble_due_at()", ()),
        "per_sim": ("select public.next_bubble_due_at(%s)", ("sim-07",)),
        "unknown": ("select public.next_bubble_due_at(%s)", ("no-such-worker",)),
    }
    times: dict[str, list[float]] = {name: [] for name in shapes}
    with psycopg.connect(url, autocommit=True) as conn:
        answers = {
            name: (conn.execute(query, args).fetchone() or (None,))[0]
            for name, (query, args) in shapes.items()
        }
        for _ in range(DUE_CALLS):
            for name, (query, args) in shapes.items():
                times[name].append(explain_ms(conn, query, args))
    # Every SIM has due bubbles of its own here: all three answers are "now" (one statement apart).
    agree = all(answer is not None for answer in answers.values())
    return DueFigures(
        history,
        statistics.median(times["global"]),
        statistics.median(times["per_sim"]),
        statistics.median(times["unknown"]),
        agree,
    )


def with_db(url: str, name: str) -> str:
    return conninfo.make_conninfo(url, dbname=name)


@contextmanager
def server(url: str | None) -> Iterator[str]:
    """A migrated database on a server where we may create databases (its URL)."""
    if url:
        yield url
        return
    # The real clock, not libfaketime: with the spec re-read from a file on every clock read, a backend
    # that reads the clock in a signal handler (PostgreSQL's timeout handler does, when a lock wait
    # outlasts deadlock_timeout) may call malloc re-entrantly and abort (seen here with 64 claimers).
    # load_base opens the send window all week instead.
    with throwaway_cluster(fake_clock=False) as cluster:
        cluster.prepare("bench")
        yield cluster.url("bench")


def clone(admin: Conn, template: str, name: str) -> None:
    admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    admin.execute(
        sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10,000 bubbles, 20,000 history (smoke test)")
    parser.add_argument(
        "--db-url", help="a migrated database (it is filled; clones of it are made and dropped)"
    )
    parser.add_argument("--claims", type=int, help="claims timed per run (default 6,400, quick 640)")
    parser.add_argument(
        "--waits", action="store_true", help="print what the claimers wait for during each run"
    )
    parser.add_argument(
        "--due-only", action="store_true", help="only the next_bubble_due_at figures (no claim runs)"
    )
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    claims = args.claims or size.claims

    results: list[Run] = []
    paced: list[Run] = []
    due_figures: list[DueFigures] = []
    with server(args.db_url) as url:
        base = conninfo.conninfo_to_dict(url)["dbname"]
        assert isinstance(base, str)
        with psycopg.connect(url, autocommit=True) as conn:
            before = conn.execute("select count(*) from public.messages").fetchone()
            if before and before[0]:
                raise SystemExit(f"bench: the database has {before[0]} bubbles; use an empty one")
        small_base, large_base = f"{base}_senders_small", f"{base}_senders_large"
        clones: list[str] = []
        with psycopg.connect(with_db(url, "postgres"), autocommit=True) as admin:
            try:
                loaded = time.perf_counter()
                for target, history in ((small_base, False), (large_base, True)):
                    clone(admin, base, target)
                    clones.append(target)
                    with psycopg.connect(with_db(url, target), autocommit=True) as conn:
                        sent = load_base(conn, size, history=history)
                    due_figures.append(next_due_figures(with_db(url, target), sent))
                    for claimers in () if args.due_only else CLAIMERS:
                        name = f"{target}_{claimers}"
                        clone(admin, target, name)
                        clones.append(name)
                        results.append(run(with_db(url, name), claimers, claims, sent, args.waits))
                        admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
                    if not args.due_only:  # every SIM's listener at a steady rate, as a real bank claims
                        name = f"{target}_paced"
                        clone(admin, target, name)
                        clones.append(name)
                        paced.append(
                            run(with_db(url, name), SIMS, claims // 2, sent, args.waits, PACED_INTERVAL)
                        )
                        admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
                load_seconds = time.perf_counter() - loaded
            finally:
                for name in clones:
                    admin.execute(
                        sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                    )

    queued = size.recipients * MESSAGES_PER_RECIPIENT * BUBBLES
    print(
        f"claim_next_bubble with sticky routing: {SIMS} SIMs, {queued:,} queued bubbles for "
        f"{size.recipients:,} recipients (9 in 10 already assigned), {claims:,} claims per run, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"  {'history (sent)':>15} {'claimers':>8} {'claims/s':>9} {'x 1 claimer':>11} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'cpu ms/claim':>12} {'lock waits':>10} {'claimed twice':>13} {'two SIMs':>8} "
        f"{'off route':>9}"
    )
    baseline: dict[int, Run] = {}
    for r in results:
        base_run = baseline.setdefault(r.history, r)
        cpu = "n/a" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        print(
            f"  {r.history:>15,} {r.claimers:>8} {r.per_second:>9.0f} {r.per_second / base_run.per_second:>10.2f}x "
            f"{r.p50_ms:>8.3f} {r.p99_ms:>8.3f} {cpu:>12} {r.lock_share:>10.1%} "
            f"{r.claimed_twice:>13} {r.two_sims:>8} {r.off_route:>9}"
        )
    small = [r for r in results if r.history == results[0].history] if results else []
    large = [r for r in results if r.history != results[0].history]
    for s, g in zip(small, large, strict=True):
        print(
            f"  large / small history, {s.claimers:>2} claimers: p50 {g.p50_ms / s.p50_ms:.2f}x, "
            f"p99 {g.p99_ms / s.p99_ms:.2f}x, claims/s {g.per_second / s.per_second:.2f}x"
        )
    if paced:
        print(
            f"{SIMS} listeners each claiming once every {PACED_INTERVAL:g} s ({SIMS / PACED_INTERVAL:.0f} claims/s "
            "offered; 64 modems sending one SMS every 2-5 s ask for about 20):"
        )
    for r in paced:
        cpu = "n/a" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        print(
            f"  history {r.history:>9,}: {r.per_second:.0f} claims/s, p50 {r.p50_ms:.3f} ms, p99 {r.p99_ms:.3f} ms, "
            f"cpu {cpu} ms/claim, lock waits {r.lock_share:.1%}"
        )
    print(f"next_bubble_due_at on the same queue (EXPLAIN ANALYZE execution time, median of {DUE_CALLS}):")
    for d in due_figures:
        print(
            f"  history {d.history:>9,}: global {d.global_ms:.1f} ms, per SIM {d.per_sim_ms:.1f} ms "
            f"({d.per_sim_ms / d.global_ms:.2f}x), worker without a SIM {d.unknown_ms:.1f} ms"
            f"{'' if d.answers_agree else ' (AN ANSWER WAS NULL)'}"
        )
    print(f"  (loading and measuring took {load_seconds:.1f} s)")
    bad = sum(r.claimed_twice + r.two_sims + r.off_route for r in results + paced)
    bad += sum(not d.answers_agree for d in due_figures)
    print(f"  routing checks: {'all zero' if bad == 0 else f'{bad} VIOLATIONS'}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
