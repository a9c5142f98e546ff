"""Two listeners (two modems) on one database: 500 messages, every bubble sent exactly once, and the
bubbles of one message still in order even when the two workers share them."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg

from listener.modem.simulator import ModemSimulator
from listener.pg_notify import NotifyWakeSource
from tests.harness import PinnedClock
from tests.integration.listener.conftest import eventually, pg_database, quick_config, running

MESSAGES = 500


async def test_two_listeners_send_each_of_500_messages_exactly_once(
    db_url: str, aconn: psycopg.AsyncConnection[tuple[Any, ...]], clock: PinnedClock
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        sims = [await stack.enter_async_context(ModemSimulator()) for _ in range(2)]
        services = [
            await stack.enter_async_context(
                running(
                    pg_database(db_url),
                    NotifyWakeSource(db_url),
                    sim,
                    quick_config(f"worker-{n}"),
                    clock,
                )
            )
            for n, sim in enumerate(sims, start=1)
        ]
        expected: list[str] = []
        await aconn.execute("update send_window set catch_up_gap = '0'")
        async with aconn.transaction():
            for n in range(MESSAGES):
                bubbles = [f"message {n} bubble 1"] + ([f"message {n} bubble 2"] if n % 5 == 0 else [])
                await aconn.execute(
                    """
                    insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                                    campaign_name)
                    values (%s, 'Load', %s, now(), 'two-workers')
                    """,
                    (f"+1209555{n:04d}", " [BUBBLE] ".join(bubbles)),
                )
                expected.extend(bubbles)
        cur = await aconn.execute("select process_scheduled_messages(%s)", (MESSAGES,))
        assert await cur.fetchone() == (MESSAGES,)

        async def all_sent() -> bool:
            cur = await aconn.execute("select count(*) from messages where status = 'sent'")
            found = await cur.fetchone()
            return found is not None and found[0] == len(expected)

        await eventually(all_sent, 120, f"all {len(expected)} bubbles sent")
    # Read after both stopped: a bubble's row can be `sent` a moment before its listener counts it.
    per_worker = [service.stats.sent for service in services]

    sent = [(m.text, m.at, n) for n, sim in enumerate(sims) for m in sim.sent]
    texts = [text for text, _, _ in sent]
    assert len(texts) == len(expected) == 600
    assert sorted(texts) == sorted(expected), "each bubble exactly once, none lost, none doubled"
    assert all(count > 0 for count in per_worker), f"both listeners sent: {per_worker}"
    assert [len(sim.sent) for sim in sims] == per_worker

    cur = await aconn.execute(
        "select worker_id, count(*) from messages group by worker_id order by worker_id"
    )
    assert [(w, c) for w, c in await cur.fetchall()] == [
        ("worker-1", per_worker[0]),
        ("worker-2", per_worker[1]),
    ]

    delivered = {text: at for text, at, _ in sent}
    for n in range(0, MESSAGES, 5):
        assert delivered[f"message {n} bubble 1"] <= delivered[f"message {n} bubble 2"], (
            f"message {n} in order"
        )
