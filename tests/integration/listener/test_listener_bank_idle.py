"""A bank of modems (issue 14): a SIM with nothing of its own to send stays quiet while another SIM
works through its recipients. next_bubble_due_at(worker_id) counts only what the asking SIM could
claim, so the idle listener sleeps instead of sweeping every min_wait (0.2 s) with an empty claim.
"""

from __future__ import annotations

from typing import Any

import psycopg

from tests.harness import PinnedClock
from tests.integration.listener.bank import bank, count_status, queue_campaign, sender_of_each_bubble
from tests.integration.listener.conftest import eventually

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


async def test_an_idle_sim_makes_a_handful_of_empty_claims_while_its_peer_sends(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    recipients = [f"+1209555{n:04d}" for n in range(7100, 7108)]
    async with bank(db_url, ["busy", "idle"]) as (busy, idle):
        await eventually(
            lambda: busy.registrar.sender is not None and idle.registrar.sender is not None,
            20,
            "both listeners registered their SIMs",
        )
        for phone in recipients:  # every recipient is SIM one's: SIM two has nothing it may take
            await aconn.execute(
                "select pin_recipient(%s, %s, 'test: the busy SIM keeps these')", (phone, busy.sender_id)
            )
        busy.sim.faults.body_answer_delay = 0.25  # 16 bubbles: some 4 s of sending

        async def idle_settled() -> bool:  # its start-up sweeps are over: it sleeps, waiting for work
            return idle.service.state == "idle"

        await eventually(idle_settled, 20, "the idle listener went to sleep")
        empty_before, sweeps_before = idle.service.stats.empty_claims, idle.service.stats.sweeps
        total = await queue_campaign(aconn, "slow", recipients, bubbles=2)
        # The promotion's NOTIFY wakes every listener: the idle one sweeps once and finds nothing.
        await eventually(
            lambda: idle.service.stats.sweeps > sweeps_before, 20, "the idle listener woke for the promotion"
        )

        async def all_sent() -> bool:
            return await count_status(aconn, "slow", "sent") == total

        await eventually(all_sent, 120, f"SIM one sent all {total} bubbles")
        empty = idle.service.stats.empty_claims - empty_before
        sent_for = busy.sim.sent[-1].at - busy.sim.sent[0].at if busy.sim.sent else None
        # Before next_bubble_due_at was per SIM: one empty claim every min_wait (0.2 s) while SIM one had
        # due bubbles, some 20 here.
        assert empty <= 3, f"the idle SIM made {empty} empty claims while SIM one sent for {sent_for}"
        assert idle.service.stats.claimed == 0
        assert idle.sim.sent == []
        owners = await sender_of_each_bubble(aconn, "slow")
        assert all(sims == {busy.sender_id} for sims in owners.values()), owners
