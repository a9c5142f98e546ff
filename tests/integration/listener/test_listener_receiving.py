"""Receiving end to end in Postgres mode: the real database, the simulator on a real pty, the real
driver and the listener service. The customer's replies are injected by the simulated network at the
moment a given bubble is sent (`ReactingSimulator`), so a STOP "between bubble 1 and bubble 2" is an
event, not a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from listener.database import ListenerDatabase
from listener.modem.simulator import ModemSimulator
from listener.pg_notify import NotifyWakeSource
from listener.pg_transport import PostgresTransport
from listener.service import ListenerService
from tests.harness import PinnedClock
from tests.integration.listener.conftest import (
    ReactingSimulator,
    all_have_status,
    eventually,
    pg_database,
    queue_message,
    quick_config,
    resilient_modem,
    rows,
    running,
    statuses,
    value,
)

Conn = psycopg.AsyncConnection[tuple[Any, ...]]
PHONE = "+12095550140"


async def _reply_bubbles(conn: Conn, kind: str) -> list[dict[str, Any]]:
    return await rows(
        conn, "select id, content, status from messages where reply_kind = %s order by id", kind
    )


async def _sent(conn: Conn, kind: str) -> bool:
    found = await _reply_bubbles(conn, kind)
    return bool(found) and all(row["status"] == "sent" for row in found)


def _memory_empty(sim: ModemSimulator) -> bool:
    return all(not memory.slots for memory in sim.reception.memories.values())


async def test_a_stop_between_two_bubbles_stops_the_rest_and_one_confirmation_is_sent(
    db_url: str, aconn: Conn, reacting_simulator: ReactingSimulator, clock: PinnedClock
) -> None:
    sim = reacting_simulator
    sim.when_sent("Bubble one", lambda network: network.inject_reply(PHONE, "STOP"))
    wake = NotifyWakeSource(db_url)
    async with running(pg_database(db_url), wake, sim, quick_config("rx-stop"), clock) as service:
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        ids = await queue_message(aconn, PHONE, ["Bubble one", "Bubble two", "Bubble three"])
        await eventually(lambda: _sent(aconn, "opt_out_confirmation"), 20, "the confirmation sent")
        assert service.receiver is not None
        assert service.receiver.stats.replies == 1
    [confirmation] = await _reply_bubbles(aconn, "opt_out_confirmation")
    assert [m.text for m in sim.sent] == ["Bubble one", confirmation["content"]], "bubble 2 never left"
    assert [m.number for m in sim.sent] == [PHONE, PHONE]
    assert await statuses(aconn, ids) == {ids[0]: "sent", ids[1]: "cancelled", ids[2]: "cancelled"}
    [scheduled] = await rows(
        aconn,
        "select s.id, s.status, s.error_message from scheduled_messages s"
        " join messages m on m.scheduled_message_id = s.id where m.id = %s",
        ids[0],
    )
    assert scheduled["status"] == "cancelled"
    assert "opted out" in scheduled["error_message"]
    [reply] = await rows(aconn, "select body, action, scheduled_message_id from inbound_messages")
    assert reply == {"body": "STOP", "action": "opt_out", "scheduled_message_id": scheduled["id"]}
    assert await value(aconn, "select opted_out from opt_outs where phone_number = %s", PHONE) is True
    assert _memory_empty(sim), "deleted from the modem once stored"


async def test_a_stop_in_the_pause_between_two_bubbles_wakes_it_and_stops_the_second(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = NotifyWakeSource(db_url)
    config = quick_config("rx-pause", bubble_pause=5.0)
    async with running(pg_database(db_url), wake, simulator, config, clock) as service:
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        ids = await queue_message(aconn, PHONE, ["Bubble one", "Bubble two"])
        await simulator.wait_sent(1, within=20)
        await eventually(lambda: service.state == "pausing", 10, "the pause before bubble 2")
        simulator.inject_reply(PHONE, "STOP")  # the customer answers bubble 1 during the pause
        await eventually(lambda: all_have_status(aconn, ids[1:], "cancelled"), 10, "bubble 2 refused")
        assert service.state == "pausing", "stored while pausing; the pause goes on"
        await eventually(lambda: _sent(aconn, "opt_out_confirmation"), 20, "the confirmation sent")
    assert simulator.sent[0].text == "Bubble one"
    assert "Bubble two" not in [m.text for m in simulator.sent]
    assert await statuses(aconn, ids) == {ids[0]: "sent", ids[1]: "cancelled"}


async def test_a_stop_before_promotion_suppresses_the_message(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = NotifyWakeSource(db_url)
    async with running(pg_database(db_url), wake, simulator, quick_config("rx-early"), clock):
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        simulator.inject_reply(PHONE, "Stop please")
        await eventually(lambda: _sent(aconn, "opt_out_confirmation"), 20, "the confirmation sent")
        scheduled_id = await value(
            aconn,
            "insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for,"
            " campaign_name) values (%s, 'Early Stopper', 'Our winter special!', now(), 'rx') returning id",
            PHONE,
        )
        await aconn.execute("select process_scheduled_messages()")
    [scheduled] = await rows(
        aconn, "select status, error_message from scheduled_messages where id = %s", scheduled_id
    )
    assert scheduled["status"] == "cancelled"
    assert "opted out" in scheduled["error_message"]
    assert (
        await value(aconn, "select count(*) from messages where scheduled_message_id = %s", scheduled_id) == 0
    )
    assert len(simulator.sent) == 1, "only the confirmation"


async def test_three_stops_get_one_confirmation(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = NotifyWakeSource(db_url)
    base = datetime.now(UTC).replace(microsecond=0)
    async with running(pg_database(db_url), wake, simulator, quick_config("rx-three"), clock):
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        for seconds, text in enumerate(["STOP", "stop", "STOP!!"]):
            simulator.inject_reply(PHONE, text, when=base + timedelta(seconds=seconds))
        await eventually(
            lambda: value(aconn, "select count(*) = 3 from inbound_messages"), 20, "three replies stored"
        )
        await eventually(lambda: _sent(aconn, "opt_out_confirmation"), 20, "the confirmation sent")
    assert len(await _reply_bubbles(aconn, "opt_out_confirmation")) == 1
    notes = await rows(aconn, "select action, action_note from inbound_messages order by id")
    assert [n["action"] for n in notes] == ["opt_out"] * 3
    assert sum("no second confirmation" in n["action_note"] for n in notes) == 2
    assert len(simulator.sent) == 1, "one confirmation through the modem"


async def test_start_resubscribes_and_the_number_gets_texts_again(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = NotifyWakeSource(db_url)
    base = datetime.now(UTC).replace(microsecond=0)
    async with running(pg_database(db_url), wake, simulator, quick_config("rx-start"), clock):
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        simulator.inject_reply(PHONE, "STOP", when=base)
        await eventually(lambda: _sent(aconn, "opt_out_confirmation"), 20, "the opt-out confirmation")
        simulator.inject_reply(PHONE, "START", when=base + timedelta(seconds=5))
        await eventually(lambda: _sent(aconn, "opt_in_confirmation"), 20, "the opt-in confirmation")
        ids = await queue_message(aconn, PHONE, ["Welcome back!"])
        await eventually(lambda: all_have_status(aconn, ids, "sent"), 20, "texts go out again")
    assert await value(aconn, "select opted_out from opt_outs where phone_number = %s", PHONE) is False
    history = await rows(
        aconn, "select opted_out from opt_out_history where phone_number = %s order by id", PHONE
    )
    assert [h["opted_out"] for h in history] == [True, False]
    assert [m.text for m in simulator.sent][-1] == "Welcome back!"


async def test_a_concatenated_emoji_reply_arriving_out_of_order_in_two_reads_is_stored_whole(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    text = "Yes! 🚲 Thursday at 10 works for me. Could you also look at the brakes? They squeak 😅 " * 2
    wake = NotifyWakeSource(db_url)
    async with running(pg_database(db_url), wake, simulator, quick_config("rx-concat"), clock):
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        pdus = simulator.inject_reply(PHONE, text, parts_order=[3, 1], concat_reference=42)
        assert len(pdus) == 3
        await eventually(
            lambda: value(aconn, "select count(*) = 2 from inbound_parts"), 20, "two parts stored"
        )
        assert await value(aconn, "select count(*) from inbound_messages") == 0, "waiting for part 2"
        simulator.inject_reply(PHONE, text, parts_order=[2], concat_reference=42)
        await eventually(lambda: value(aconn, "select count(*) = 1 from inbound_messages"), 20, "reassembled")
    [reply] = await rows(aconn, "select body, part_count, incomplete, action from inbound_messages")
    assert reply == {"body": text, "part_count": 3, "incomplete": False, "action": "none"}
    assert _memory_empty(simulator)


class _CrashAfterCommit:
    """A transport that lets record_inbound_part commit and then never answers (the process died)."""

    name = "postgres"

    def __init__(self, inner: PostgresTransport) -> None:
        self.inner = inner
        self.committed = asyncio.Event()

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def rows(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = await self.inner.rows(function, args)
        if function == "record_inbound_part":
            self.committed.set()
            await asyncio.Event().wait()  # dead: the delete below it never runs
        return result

    async def value(self, function: str, args: Mapping[str, Any]) -> Any:
        return await self.inner.value(function, args)


async def test_a_crash_between_storing_and_deleting_stores_nothing_twice(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    crashing = _CrashAfterCommit(PostgresTransport(db_url))
    modem = resilient_modem(simulator)
    assert await modem.wait_ready(10)
    first = ListenerService(
        ListenerDatabase(crashing), NotifyWakeSource(db_url), modem, quick_config("rx-crash")
    )
    task = asyncio.create_task(first.run())
    try:
        simulator.inject_reply(PHONE, "STOP")
        await asyncio.wait_for(crashing.committed.wait(), 20)
        task.cancel()  # as kill -9 would: nothing after the commit runs
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await modem.close()
    assert not _memory_empty(simulator), "committed, but still on the modem"
    assert await value(aconn, "select count(*) from inbound_parts") == 1

    wake = NotifyWakeSource(db_url)
    async with running(pg_database(db_url), wake, simulator, quick_config("rx-crash"), clock) as second:
        await eventually(lambda: _memory_empty(simulator), 20, "the sweep deleted it")
        await eventually(lambda: _sent(aconn, "opt_out_confirmation"), 20, "the confirmation sent")
        assert second.receiver is not None
        assert second.receiver.stats.duplicates == 1
    assert await value(aconn, "select count(*) from inbound_parts") == 1, "stored once"
    assert await value(aconn, "select count(*) from inbound_messages") == 1
    assert len(await _reply_bubbles(aconn, "opt_out_confirmation")) == 1


async def test_delivery_reports_are_matched_across_the_reference_wrap(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    async with ModemSimulator(next_reference=254, auto_status_reports=0) as sim:
        wake = NotifyWakeSource(db_url)
        async with running(pg_database(db_url), wake, sim, quick_config("rx-wrap"), clock):
            await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
            long = "A long bubble in two parts, so its references straddle the wrap. " * 3
            ids = await queue_message(aconn, "+12095550141", ["first", long, "third"])
            await eventually(lambda: all_have_status(aconn, ids, "sent"), 20, "all sent")
            references = await rows(
                aconn, "select modem_reference from messages where id = any(%s) order by id", ids
            )
            assert [r["modem_reference"] for r in references] == ["254", "255,0", "1"]
            assert sim.deliver_pending_reports() == 4
            sim.inject_status_report(99, "+12095550199", 0)  # reports on nothing we sent
            await eventually(
                lambda: value(aconn, "select count(*) = 5 from status_reports"), 20, "five reports stored"
            )
            await eventually(
                lambda: value(
                    aconn,
                    "select bool_and(delivery_status = 'delivered') from messages where id = any(%s)",
                    ids,
                ),
                20,
                "every bubble delivered",
            )
        [delivered] = await rows(
            aconn,
            "select d.delivery_status, d.bubbles_delivered from scheduled_message_deliveries d"
            " join messages m on m.scheduled_message_id = d.id where m.id = %s",
            ids[0],
        )
        assert delivered == {"delivery_status": "delivered", "bubbles_delivered": 3}
        unmatched = await value(aconn, "select count(*) from status_reports where message_id is null")
        assert unmatched == 1, "kept, not dropped"
        assert _memory_empty(sim)


async def test_two_listeners_on_two_modems_match_only_their_own_reports(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    """Both modems count references from 10 and both texts go to one number: only the worker (its
    modem's counter) tells the two reports apart. With sticky routing (issue 14) one number hears from
    two SIMs only when a person moves them, so the number is moved to B's SIM before B's text."""
    async with (
        ModemSimulator(next_reference=10, auto_status_reports=0) as sim_a,
        ModemSimulator(next_reference=10, auto_status_reports=0) as sim_b,
    ):
        [a] = await queue_message(aconn, PHONE, ["from modem A"], campaign="two-a")
        async with running(pg_database(db_url), NotifyWakeSource(db_url), sim_a, quick_config("rx-a"), clock):
            await eventually(lambda: all_have_status(aconn, [a], "sent"), 20, "A sent")
        async with running(pg_database(db_url), NotifyWakeSource(db_url), sim_b, quick_config("rx-b"), clock):
            await eventually(
                lambda: value(aconn, "select exists (select 1 from senders where worker_id = 'rx-b')"),
                20,
                "B's SIM registered",
            )
            await aconn.execute(
                "update recipient_senders set sender_id = (select id from senders where worker_id = 'rx-b')"
                " where phone_number = %s",
                (PHONE,),
            )
            [b] = await queue_message(aconn, PHONE, ["from modem B"], campaign="two-b")
            await eventually(lambda: all_have_status(aconn, [b], "sent"), 20, "B sent")
        refs = await rows(
            aconn, "select modem_reference, worker_id from messages where id in (%s, %s) order by id", a, b
        )
        assert refs == [
            {"modem_reference": "10", "worker_id": "rx-a"},
            {"modem_reference": "10", "worker_id": "rx-b"},
        ]
        async with (
            running(pg_database(db_url), NotifyWakeSource(db_url), sim_a, quick_config("rx-a"), clock),
            running(pg_database(db_url), NotifyWakeSource(db_url), sim_b, quick_config("rx-b"), clock),
        ):
            assert sim_a.deliver_pending_reports(status=0) == 1  # delivered
            assert sim_b.deliver_pending_reports(status=65) == 1  # failed (permanent)
            await eventually(
                lambda: value(aconn, "select count(*) = 2 from status_reports where message_id is not null"),
                20,
                "both reports matched",
            )
    found = await rows(
        aconn, "select id, delivery_status from messages where id in (%s, %s) order by id", a, b
    )
    assert found == [{"id": a, "delivery_status": "delivered"}, {"id": b, "delivery_status": "failed"}]
