"""Postgres mode end to end: NOTIFY wakes the listener, bubbles reach the simulated modem in order and
are marked sent with the modem's references; the heartbeat row shows the listener and its modem."""

from __future__ import annotations

from typing import Any

import psycopg

from listener.modem.simulator import ModemSimulator
from listener.pg_connector import NotifyWakeSource, PostgresConnector
from tests.harness import PinnedClock
from tests.integration.listener.conftest import (
    all_have_status,
    eventually,
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
    async with running(PostgresConnector(db_url), wake, simulator, quick_config("pg-e2e"), clock) as service:
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
    assert last_sent_at is not None


async def test_rows_inserted_before_start_are_swept_without_any_notify(
    db_url: str,
    aconn: psycopg.AsyncConnection[tuple[Any, ...]],
    simulator: ModemSimulator,
    clock: PinnedClock,
) -> None:
    early = await queue_message(aconn, "+12095550103", ["queued while the listener was down"])
    wake = NotifyWakeSource(db_url)
    async with running(PostgresConnector(db_url), wake, simulator, quick_config("pg-sweep"), clock):
        await eventually(lambda: all_have_status(aconn, early, "sent"), 20, "the start-up sweep sent it")
    assert [m.text for m in simulator.sent] == ["queued while the listener was down"]
