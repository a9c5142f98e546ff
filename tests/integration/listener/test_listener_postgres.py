"""Postgres mode end to end: NOTIFY wakes the listener, bubbles reach the simulated modem in order and
are marked sent with the modem's references; the heartbeat row shows the listener and its modem."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from listener.modem.simulator import ModemSimulator
from listener.pg_notify import NotifyWakeSource
from tests.harness import PinnedClock
from tests.integration.listener.conftest import (
    all_have_status,
    eventually,
    pg_database,
    queue_message,
    quick_config,
    running,
)


async def test_queued_bubbles_reach_the_modem_in_order_marked_sent_with_references(
    db_url: str,
    aconn: psycopg.AsyncConnection[tuple[Any, ...]],
    simulator: ModemSimulator,
    clock: PinnedClock,
) -> None:
    wake = NotifyWakeSource(db_url)
    # poll_interval is an hour: only NOTIFY can make these go out within the test's deadline.
    async with running(pg_database(db_url), wake, simulator, quick_config("pg-e2e"), clock) as service:
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        ann = await queue_message(aconn, "+12095550101", ["Hi Ann!", "Your table is ready.", "See you ✨"])
        bob = await queue_message(aconn, "+12095550102", ["Hi Bob, a long one: " + "x" * 200])
        await simulator.wait_sent(4, within=20)
        await eventually(lambda: all_have_status(aconn, [*ann, *bob], "sent"), 10, "all bubbles marked sent")
        assert service.stats.sent == 4

    by_number: dict[str, list[str]] = {}
    for message in simulator.sent:
        by_number.setdefault(message.number, []).append(message.text)
    assert by_number == {
        "+12095550101": ["Hi Ann!", "Your table is ready.", "See you ✨"],
        "+12095550102": ["Hi Bob, a long one: " + "x" * 200],
    }
    assert [m.parts for m in simulator.sent if m.number == "+12095550102"] == [2], "one concatenated SMS"

    cur = await aconn.execute(
        "select content, status, modem_reference, worker_id, sent_at is not null from messages order by id"
    )
    rows = await cur.fetchall()
    references = {m.text: ",".join(str(r) for r in m.references) for m in simulator.sent}
    assert [(content, status) for content, status, *_ in rows] == [
        ("Hi Ann!", "sent"),
        ("Your table is ready.", "sent"),
        ("See you ✨", "sent"),
        ("Hi Bob, a long one: " + "x" * 200, "sent"),
    ]
    for content, _status, reference, worker, has_sent_at in rows:
        assert reference == references[content], f"reference of {content!r}"
        assert worker == "pg-e2e"
        assert has_sent_at

    cur = await aconn.execute(
        "select modem_health, last_sent_at from listener_status where worker_id = 'pg-e2e'"
    )
    status = await cur.fetchone()
    assert status is not None, "the listener wrote its heartbeat row"
    health, last_sent_at = status
    assert health["listener_state"] == "stopped"
    assert health["registered"] is True
    cur = await aconn.execute("select max(sent_at) from messages")
    newest = await cur.fetchone()
    assert newest is not None
    assert last_sent_at == newest[0], "the heartbeat reports the database's time of the last send"


async def test_rows_inserted_before_start_are_swept_without_any_notify(
    db_url: str,
    aconn: psycopg.AsyncConnection[tuple[Any, ...]],
    simulator: ModemSimulator,
    clock: PinnedClock,
) -> None:
    early = await queue_message(aconn, "+12095550103", ["queued while the listener was down"])
    wake = NotifyWakeSource(db_url)
    async with running(pg_database(db_url), wake, simulator, quick_config("pg-sweep"), clock):
        await eventually(lambda: all_have_status(aconn, early, "sent"), 20, "the start-up sweep sent it")
    assert [m.text for m in simulator.sent] == ["queued while the listener was down"]


async def test_a_killed_listen_connection_is_replaced_and_followed_by_a_sweep(
    db_url: str,
    aconn: psycopg.AsyncConnection[tuple[Any, ...]],
    simulator: ModemSimulator,
    clock: PinnedClock,
) -> None:
    wake = NotifyWakeSource(db_url, keepalive=0.5)
    async with running(pg_database(db_url), wake, simulator, quick_config("pg-killed"), clock):
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        # Ending the LISTEN session from the server side, as a pooler or an admin might.
        await aconn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'sms-listener-notify'"
        )
        ids = await queue_message(aconn, "+12095550104", ["inserted while LISTEN was gone"])
        await eventually(lambda: wake.subscriptions >= 2, 20, "LISTEN re-established")
        await eventually(lambda: all_have_status(aconn, ids, "sent"), 20, "sent by the sweep or a NOTIFY")
    assert [m.text for m in simulator.sent] == ["inserted while LISTEN was gone"]


async def test_without_pg_cron_the_listener_promotes_due_messages_itself(
    db_url: str,
    aconn: psycopg.AsyncConnection[tuple[Any, ...]],
    simulator: ModemSimulator,
    clock: PinnedClock,
) -> None:
    cur = await aconn.execute("select promotion_job_active()")
    assert await cur.fetchone() == (False,), "test databases are cloned without pg_cron"
    await aconn.execute(
        """
        insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status,
                                        campaign_name)
        values ('+12095550105', 'Promo', 'Due now [BUBBLE] and its second bubble', %s, 'SCH', 'fallback')
        """,
        (clock.at - timedelta(minutes=1),),  # due already when the clock runs (it starts on a whole second)
    )
    config = quick_config("pg-promote", promotion_interval=60.0)
    async with running(pg_database(db_url), NotifyWakeSource(db_url), simulator, config, clock) as service:
        await simulator.wait_sent(2, within=30)
        assert service.stats.promotions >= 1
    assert [m.text for m in simulator.sent] == ["Due now", "and its second bubble"]
