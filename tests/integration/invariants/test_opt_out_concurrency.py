"""Invariant (b') of docs/state-machine.md under real concurrency (issue 12): nothing opted-out is
queued, and one opt-out gets one confirmation, whatever the interleaving of two sessions.

pgTAP runs in one session, so it cannot hold a promotion's transaction open while a STOP arrives; these
tests do, the way tests/integration/invariants/test_concurrency.py does: one session's transaction is open
at the dangerous moment, the other session's statement runs in a thread, pg_stat_activity tells whether
it is blocked on a lock or finished (never a sleep), then the first session commits.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.harness import PinnedClock
from tests.integration.invariants.test_concurrency import (
    WAIT_LIMIT_S,
    blocked_or_done,
    in_transaction,
    scalar,
)

Conn = psycopg.Connection[tuple[Any, ...]]

STORE_REPLY = "select * from record_inbound_part('w9', %s, statement_timestamp(), %s, null, null, null, %s)"


@pytest.fixture
def pool() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.fixture
def session_a(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url) as connection:  # explicit transactions: autocommit off
        yield connection


@pytest.fixture
def session_b(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url) as connection:
        yield connection


def due_message(conn: Conn, phone: str) -> int:
    row = conn.execute(
        "insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)"
        " values (%s, 'Race', 'one [BUBBLE] two', '2025-11-05 14:00-08', %s) returning id",
        (phone, f"race{phone}"),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_stop_while_a_promotion_is_in_flight(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """The promotion has created the bubbles but not committed when the STOP is stored. The opt-out's
    cancel waits for the promotion's row lock and then cancels the now queued message, so its bubbles
    never become claimable; only the confirmation is."""
    phone = "+12095551201"
    sm = due_message(conn, phone)
    assert scalar(session_a, "select process_scheduled_messages()") == 1  # transaction of A still open

    stop = pool.submit(in_transaction(session_b, (STORE_REPLY, (phone, "STOP", "AA01"))))
    state = blocked_or_done(conn, session_b.info.backend_pid, stop)
    session_a.commit()
    assert stop.result(timeout=WAIT_LIMIT_S) == "ok", f"the STOP ({state}) must be stored"

    assert state == "blocked", "the opt-out's cancel waits for the promotion's row lock"
    assert scalar(conn, "select status from scheduled_messages where id = %s", sm) == "cancelled"
    assert (
        scalar(
            conn,
            "select count(*) from messages where scheduled_message_id = %s and status <> 'cancelled'",
            sm,
        )
        == 0
    )
    # The confirmation goes from the SIM the STOP reached (w9's: the number became its recipient).
    assert scalar(conn, "select count(*) from claim_next_bubble('w1')") == 0
    assert scalar(conn, "select reply_kind from claim_next_bubble('w9')") == "opt_out_confirmation"
    assert scalar(conn, "select count(*) from claim_next_bubble('w9')") == 0


def test_two_stops_at_once_get_one_confirmation(
    conn: Conn,
    clock: PinnedClock,
    session_a: Conn,
    session_b: Conn,
    pool: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """Two STOPs from one number stored at once (two modems, or a re-delivery with another text): the
    second waits for the first (everything about one number is serialised) and sends nothing."""
    phone = "+12095551202"
    session_a.execute(STORE_REPLY, (phone, "STOP", "AB01"))  # open
    second = pool.submit(in_transaction(session_b, (STORE_REPLY, (phone, "stop please", "AB02"))))
    state = blocked_or_done(conn, session_b.info.backend_pid, second)
    session_a.commit()
    assert second.result(timeout=WAIT_LIMIT_S) == "ok", f"the second STOP ({state}) must be stored"

    assert state == "blocked"
    assert scalar(conn, "select count(*) from inbound_messages where phone_number = %s", phone) == 2
    assert (
        scalar(
            conn,
            "select count(*) from messages where phone_number = %s and reply_kind = 'opt_out_confirmation'",
            phone,
        )
        == 1
    )
    assert scalar(conn, "select count(*) from opt_out_history where phone_number = %s", phone) == 1
