"""Three claimers racing on the same queue, each on its own connection in its own thread.

Proves the claim is safe under real concurrency: every bubble is claimed exactly once, and a
message's bubble n+1 is only claimed after bubble n was marked sent (checked from an audit trail
the database itself writes, in commit-causal order, not from the threads' own timing).
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import defaultdict
from datetime import datetime

import psycopg

from tests.harness import PinnedClock
from tests.integration.listener_sql.rows import Conn, queue_message

MESSAGES = 60
BUBBLES = 3
CLAIMERS = 3

AUDIT = """
create table public.claim_audit (
  seq bigserial primary key,
  message_id bigint not null,
  old_status text not null,
  new_status text not null,
  worker_id text
);
create function public.claim_audit_row() returns trigger language plpgsql as $$
begin
  insert into public.claim_audit (message_id, old_status, new_status, worker_id)
  values (new.id, old.status, new.status, new.worker_id);
  return null;
end;
$$;
create trigger claim_audit after update of status on public.messages
  for each row execute function public.claim_audit_row();
"""


def _claimer(
    db_url: str, worker: str, at: datetime, errors: list[BaseException], barrier: threading.Barrier
) -> None:
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait(timeout=30)
            idle_rounds = 0
            while idle_rounds < 3:
                row = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
                if row is None or row[0] is None:
                    # Nothing claimable right now: another worker may hold the bubble before ours.
                    pending = conn.execute(
                        "select count(*) from public.messages where status in ('queued', 'sending')"
                    ).fetchone()
                    idle_rounds = idle_rounds + 1 if pending is not None and pending[0] == 0 else 0
                    continue
                conn.execute(
                    "select public.mark_bubble_sent(%s, %s, %s)",
                    (row[0], worker, f"{worker}-{row[0]}"),
                )
    except BaseException as exc:  # reported to the main thread, which fails the test
        errors.append(exc)


def test_three_claimers_claim_each_bubble_once_and_in_order(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    conn.execute(AUDIT)
    ids_by_message = [
        queue_message(conn, f"+1209555{n:04d}", [f"m{n} b{i}" for i in range(1, BUBBLES + 1)])
        for n in range(MESSAGES)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(CLAIMERS)
    threads = [
        threading.Thread(target=_claimer, args=(db_url, f"racer-{k}", clock.at, errors, barrier))
        for k in range(CLAIMERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a claimer did not finish within 120 s"
    assert errors == [], f"claimers raised: {errors!r}"

    audit = conn.execute(
        "select seq, message_id, old_status, new_status, worker_id from public.claim_audit order by seq"
    ).fetchall()
    claims: dict[int, list[int]] = defaultdict(list)
    sent: dict[int, int] = {}
    claimers_seen: set[str] = set()
    for seq, message_id, old, new, worker in audit:
        if (old, new) == ("queued", "sending"):
            claims[message_id].append(seq)
            claimers_seen.add(worker)
        elif (old, new) == ("sending", "sent"):
            sent[message_id] = seq
        else:
            raise AssertionError(f"unexpected transition {old} -> {new} of message {message_id}")

    every_id = [bubble for ids in ids_by_message for bubble in ids]
    double = {bubble: seqs for bubble, seqs in claims.items() if len(seqs) != 1}
    assert double == {}, f"bubbles claimed more than once: {double}"
    assert sorted(claims) == sorted(every_id), "every bubble is claimed"
    assert sorted(sent) == sorted(every_id), "every bubble is marked sent"
    assert len(claimers_seen) >= 2, f"the race needs at least two claimers winning rows, saw {claimers_seen}"

    for ids in ids_by_message:
        for earlier, later in itertools.pairwise(ids):
            assert claims[later][0] > sent[earlier], (
                f"bubble {later} was claimed (audit #{claims[later][0]}) before bubble {earlier} "
                f"was sent (audit #{sent[earlier]})"
            )
    remaining = conn.execute("select count(*) from public.messages where status <> 'sent'").fetchone()
    assert remaining == (0,)
    scheduled = conn.execute(
        "select status, count(*) from public.scheduled_messages group by status"
    ).fetchall()
    assert scheduled == [("sent", MESSAGES)], "every scheduled message became sent with its last bubble"


def test_claims_at_the_same_instant_never_return_the_same_row(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    """Many single-bubble messages, three claimers each claiming as fast as possible without
    marking anything sent: the claimed sets are disjoint and cover the queue."""
    ids = [queue_message(conn, f"+1559555{n:04d}", ["only bubble"])[0] for n in range(90)]
    claimed: dict[str, list[int]] = defaultdict(list)
    errors: list[BaseException] = []
    barrier = threading.Barrier(CLAIMERS)

    def grab(worker: str) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as own:
                barrier.wait(timeout=30)
                while True:
                    row = own.execute(
                        "select id from public.claim_next_bubble(%s)",
                        (worker,),
                    ).fetchone()
                    if row is None or row[0] is None:
                        return
                    claimed[worker].append(int(row[0]))
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=grab, args=(f"grabber-{k}",)) for k in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    everything = [bubble for worker_ids in claimed.values() for bubble in worker_ids]
    assert len(everything) == len(set(everything)), "no bubble went to two claimers"
    assert sorted(everything) == sorted(ids), "together the claimers took the whole queue"
    for worker, worker_ids in claimed.items():
        owners = conn.execute(
            "select count(*) from public.messages where id = any(%s) and worker_id = %s and status = 'sending'",
            (worker_ids, worker),
        ).fetchone()
        assert owners == (len(worker_ids),), f"{worker}'s rows are sending and held by {worker}"


def _chaotic_claimer(
    db_url: str,
    worker: str,
    base: datetime,
    seed: int,
    errors: list[BaseException],
    barrier: threading.Barrier,
) -> None:
    """Claims and then, at random: sends (most often), releases, fails transiently, or fails for good."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible test schedule, not cryptography
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait(timeout=30)
            idle_rounds = 0
            step = 0
            while idle_rounds < 3:
                step += 1
                # The database clock runs (clock.run_from), so a 1 ms retry time always comes due.
                row = conn.execute("select id from public.claim_next_bubble(%s)", (worker,)).fetchone()
                if row is None or row[0] is None:
                    pending = conn.execute(
                        "select count(*) from public.messages where status in ('queued', 'sending')"
                    ).fetchone()
                    idle_rounds = idle_rounds + 1 if pending == (0,) else 0
                    continue
                roll = rng.random()
                if roll < 0.70:
                    conn.execute("select public.mark_bubble_sent(%s, %s, 'r')", (row[0], worker))
                elif roll < 0.80:
                    conn.execute("select public.release_bubble(%s, %s)", (row[0], worker))
                elif roll < 0.93:
                    conn.execute("select public.mark_bubble_failed(%s, %s, 'busy', false)", (row[0], worker))
                else:
                    conn.execute(
                        "select public.mark_bubble_failed(%s, %s, 'rejected', true)", (row[0], worker)
                    )
    except BaseException as exc:  # reported to the main thread, which fails the test
        errors.append(exc)


def test_racing_claimers_with_releases_and_failures_never_send_twice_or_out_of_order(
    conn: Conn, db_url: str, clock: PinnedClock
) -> None:
    conn.execute(AUDIT)
    clock.run_from(clock.at)
    conn.execute("update public.send_window set retry_base = '1 millisecond', max_attempts = 1000")
    ids_by_message = [
        queue_message(conn, f"+1661555{n:04d}", [f"m{n} b{i}" for i in range(1, BUBBLES + 1)])
        for n in range(MESSAGES)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(CLAIMERS)
    threads = [
        threading.Thread(
            target=_chaotic_claimer, args=(db_url, f"chaos-{k}", clock.at, 1000 + k, errors, barrier)
        )
        for k in range(CLAIMERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a claimer did not finish within 180 s"
    assert errors == [], f"claimers raised: {errors!r}"

    audit = conn.execute(
        "select seq, message_id, old_status, new_status from public.claim_audit order by seq"
    ).fetchall()
    holder: dict[int, bool] = defaultdict(bool)  # bubble -> currently sending
    sent_at_seq: dict[int, int] = {}
    failed: set[int] = set()
    claims_after_sent: list[int] = []
    for seq, message_id, old, new in audit:
        if new == "sending":
            assert not holder[message_id], f"bubble {message_id} claimed while already sending (audit #{seq})"
            if message_id in sent_at_seq:
                claims_after_sent.append(message_id)
            holder[message_id] = True
        elif old == "sending":
            holder[message_id] = False
        if new == "sent":
            assert message_id not in sent_at_seq, f"bubble {message_id} marked sent twice"
            sent_at_seq[message_id] = seq
        if new == "failed":
            failed.add(message_id)
    assert claims_after_sent == [], f"sent bubbles claimed again: {claims_after_sent}"

    outcomes: dict[int, str] = {
        int(i): str(status) for i, status in conn.execute("select id, status from public.messages").fetchall()
    }
    kinds = {(str(old), str(new)) for _, _, old, new in audit}
    assert ("sending", "queued") in kinds, "the race exercised releases and transient retries"
    assert ("sending", "failed") in kinds, "the race exercised permanent failures"
    for ids in ids_by_message:
        statuses = [outcomes[i] for i in ids]
        assert "queued" not in statuses, f"bubbles {ids} left unfinished: {statuses}"
        assert "sending" not in statuses, f"bubbles {ids} left unfinished: {statuses}"
        for earlier, later in itertools.pairwise(ids):
            if later in sent_at_seq or outcomes[later] == "failed":
                first_claim = min(seq for seq, mid, _old, new in audit if mid == later and new == "sending")
                assert earlier in sent_at_seq, (
                    f"bubble {later} was handed out although bubble {earlier} never went"
                )
                assert first_claim > sent_at_seq[earlier], (
                    f"bubble {later} claimed before bubble {earlier} was sent"
                )
        if any(i in failed for i in ids):
            first_failed = next(ids.index(i) for i in ids if i in failed)
            assert all(outcomes[i] == "cancelled" for i in ids[first_failed + 1 :]), (
                f"after the failure of bubble {ids[first_failed]} the rest is cancelled: {statuses}"
            )
