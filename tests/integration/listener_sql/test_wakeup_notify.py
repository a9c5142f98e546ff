"""Wake-ups: a statement that queues bubbles (promotion's INSERT, a release, a transient retry) NOTIFYs
`messages_queued` once, with the lowest queued id, delivered to a LISTEN session on another connection;
`messages` is in the supabase_realtime publication, and adding it again is harmless."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.harness import REPO_ROOT, PinnedClock
from tests.integration.listener_sql.rows import Conn, queue_message

CHANNEL = "messages_queued"
MESSAGES_MIGRATION = next((REPO_ROOT / "supabase" / "migrations").glob("*_messages.sql"))


def _publication_block() -> str:
    """The migration's idempotent `do $$ ... $$` block that adds messages to the Realtime publication."""
    text = Path(MESSAGES_MIGRATION).read_text(encoding="utf-8")
    start = text.index("do $$\nbegin\n  if not exists (select from pg_catalog.pg_publication")
    return text[start : text.index("$$;", start + 5) + 3]


def _next_payloads(listener: Conn, count: int, timeout: float = 10.0) -> list[str]:
    """The next `count` notification payloads, waiting at most `timeout` seconds in all."""
    payloads: list[str] = []
    for notify in listener.notifies(timeout=timeout, stop_after=count):
        assert notify.channel == CHANNEL
        payloads.append(notify.payload)
    assert len(payloads) == count, f"expected {count} notifications within {timeout} s, got {payloads}"
    return payloads


def test_a_promotion_notifies_once_with_its_first_bubble(conn: Conn, db_url: str, clock: PinnedClock) -> None:
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        ids = queue_message(conn, "+12095550401", ["first", "second", "third"])
        (second,) = queue_message(conn, "+12095550402", ["next"])
        assert _next_payloads(listener, 2) == [str(ids[0]), str(second)], "one wake-up per promotion"


def test_a_statement_that_queues_nothing_is_silent(conn: Conn, db_url: str, clock: PinnedClock) -> None:
    """A claim (queued -> sending) wakes nobody: the first notification after it is the next promotion's."""
    (first,) = queue_message(conn, "+12095550402", ["claimed"])
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"listen {CHANNEL}")
        assert conn.execute("select id from public.claim_next_bubble('w1')").fetchone() == (first,)
        (queued,) = queue_message(conn, "+12095550403", ["queued"])
        assert _next_payloads(listener, 1) == [str(queued)]


def test_notification_arrives_only_after_commit(conn: Conn, db_url: str, clock: PinnedClock) -> None:
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
        conn.execute("select public.claim_next_bubble('w1')")
        conn.execute("select public.release_bubble(%s, 'w1')", (bubble,))
        conn.execute("select public.claim_next_bubble('w1')")
        conn.execute("select public.mark_bubble_failed(%s, 'w1', 'busy', false)", (bubble,))
        assert _next_payloads(listener, 2) == [str(bubble), str(bubble)]


def test_messages_is_in_the_realtime_publication_idempotently(conn: Conn) -> None:
    query = (
        "select count(*) from pg_publication_tables"
        " where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'"
    )
    assert conn.execute(query).fetchone() == (1,)
    conn.execute(_publication_block().encode())
    assert conn.execute(query).fetchone() == (1,), (
        "re-running the migration's block adds nothing, fails nothing"
    )
    conn.execute("alter publication supabase_realtime drop table public.messages")
    conn.execute(_publication_block().encode())
    assert conn.execute(query).fetchone() == (1,), "the migration adds the table when it is missing"
