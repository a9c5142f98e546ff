"""Wake-ups: a queued INSERT (and a bubble put back in the queue) NOTIFYs `messages_queued` with
the bubble id, delivered to a LISTEN session on another connection; `messages` is in the
supabase_realtime publication, and adding it again is harmless."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.harness import REPO_ROOT, PinnedClock
from tests.integration.listener_sql.rows import Conn, queue_message

CHANNEL = "messages_queued"
WAKEUPS_MIGRATION = next((REPO_ROOT / "supabase" / "migrations").glob("*_wakeups.sql"))


def _next_payloads(listener: Conn, count: int, timeout: float = 10.0) -> list[str]:
    """The next `count` notification payloads, waiting at most `timeout` seconds in all."""
    payloads: list[str] = []
    for notify in listener.notifies(timeout=timeout, stop_after=count):
        assert notify.channel == CHANNEL
        payloads.append(notify.payload)
    assert len(payloads) == count, f"expected {count} notifications within {timeout} s, got {payloads}"
    return payloads


def test_insert_of_queued_bubbles_notifies_their_ids(conn: Conn, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        ids = queue_message(conn, "+12095550401", ["first", "second", "third"])
        assert _next_payloads(listener, 3) == [str(i) for i in ids]


def test_only_queued_rows_notify(conn: Conn, db_url: str) -> None:
    """A row inserted as cancelled is silent: the first notification after it is the queued row's."""
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        conn.execute(
            "insert into public.messages (phone_number, content, status) values ('+12095550402', 'x', 'cancelled')"
        )
        (queued,) = queue_message(conn, "+12095550403", ["queued"])
        assert _next_payloads(listener, 1) == [str(queued)]


def test_notification_arrives_only_after_commit(conn: Conn, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        with psycopg.connect(db_url) as writer:  # not autocommit: one open transaction
            (first,) = queue_message(writer, "+12095550404", ["uncommitted"])
            writer.rollback()
        (second,) = queue_message(conn, "+12095550405", ["committed"])
        assert first != second
        assert _next_payloads(listener, 1) == [str(second)], "the rolled-back insert never woke anyone"


def test_release_and_transient_retry_notify_again(conn: Conn, db_url: str, clock: PinnedClock) -> None:
    (bubble,) = queue_message(conn, "+12095550406", ["again"])
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        conn.execute("select public.claim_next_bubble('w1', %s)", (clock.at,))
        conn.execute("select public.release_bubble(%s, 'w1')", (bubble,))
        conn.execute("select public.claim_next_bubble('w1', %s)", (clock.at,))
        conn.execute("select public.mark_bubble_failed(%s, 'w1', 'busy', false, %s)", (bubble, clock.at))
        assert _next_payloads(listener, 2) == [str(bubble), str(bubble)]


def test_messages_is_in_the_realtime_publication_idempotently(conn: Conn) -> None:
    query = (
        "select count(*) from pg_publication_tables"
        " where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'"
    )
    assert conn.execute(query).fetchone() == (1,)
    conn.execute(Path(WAKEUPS_MIGRATION).read_text(encoding="utf-8").encode())
    assert conn.execute(query).fetchone() == (1,), "re-running the migration adds nothing and fails nothing"
    conn.execute("alter publication supabase_realtime drop table public.messages")
    conn.execute(Path(WAKEUPS_MIGRATION).read_text(encoding="utf-8").encode())
    assert conn.execute(query).fetchone() == (1,), "the migration adds the table when it is missing"
