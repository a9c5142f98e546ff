"""Supabase mode: RPC through PostgREST's wire shapes (respx, real SQL) and wake-ups from Realtime
(a Phoenix websocket server relaying real inserts). See tests/postgrest_emulator.py and
tests/realtime_emulator.py for what is emulated and how."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import respx

from listener.errors import ConnectorAuthError
from listener.modem.simulator import ModemSimulator
from listener.supabase_realtime import RealtimeWakeSource
from tests.harness import PinnedClock
from tests.integration.listener.conftest import (
    ReactingSimulator,
    all_have_status,
    eventually,
    queue_message,
    quick_config,
    running,
    statuses,
    supabase_database,
    value,
)
from tests.postgrest_emulator import PostgrestEmulator
from tests.realtime_emulator import RealtimeEmulator

# realtime 2.34 reads the deprecated ConnectionClosed.code of websockets 15 when a socket drops;
# outside tests that is a silent warning. As an error it would kill the client's reader task and
# test a failure mode production never has (the listener copes with that too, see RealtimeWakeSource).
pytestmark = pytest.mark.filterwarnings("ignore:ConnectionClosed.code is deprecated:DeprecationWarning")

SERVICE_KEY = "test-service-role-key"
ANON_KEY = "test-anon-key"
Conn = psycopg.AsyncConnection[tuple[Any, ...]]


@dataclass
class FakeSupabase:
    realtime: RealtimeEmulator
    rest: PostgrestEmulator

    @property
    def url(self) -> str:
        return self.realtime.base_url


@pytest.fixture
async def supabase(db_url: str) -> AsyncIterator[FakeSupabase]:
    realtime = RealtimeEmulator(db_url, service_key=SERVICE_KEY, anon_key=ANON_KEY)
    await realtime.start()
    rest = PostgrestEmulator(db_url, realtime.base_url, service_key=SERVICE_KEY, anon_key=ANON_KEY)
    try:
        with respx.mock(assert_all_called=False) as router:
            rest.install(router)
            yield FakeSupabase(realtime, rest)
    finally:
        await realtime.stop()


def realtime_wake(supabase: FakeSupabase) -> RealtimeWakeSource:
    return RealtimeWakeSource(supabase.url, SERVICE_KEY, watchdog_interval=0.2, max_backoff=0.5)


async def test_realtime_insert_wakes_the_listener_which_sends_through_rpc(
    supabase: FakeSupabase, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = realtime_wake(supabase)
    database = supabase_database(supabase.url, SERVICE_KEY)
    async with running(database, wake, simulator, quick_config("sb-e2e"), clock) as service:
        await eventually(lambda: supabase.realtime.live_subscriptions >= 1, 10, "Subscribed to PostgreSQL")
        ids = await queue_message(aconn, "+12095550111", ["Hello from Supabase", "second bubble"])
        await simulator.wait_sent(2, within=20)
        await eventually(lambda: all_have_status(aconn, ids, "sent"), 10, "marked sent over RPC")
        assert service.stats.sent == 2
    assert [m.text for m in simulator.sent] == ["Hello from Supabase", "second bubble"]
    assert ids[0] in supabase.realtime.relayed_ids, "the insert was relayed as a postgres_changes event"
    assert wake.events >= 1
    for function in (
        "recover_stale_claims",
        "claim_next_bubble",
        "mark_bubble_sent",
        "record_listener_heartbeat",
    ):
        assert supabase.rest.calls[function] >= 1, f"{function} went through the RPC endpoint"
    cur = await aconn.execute("select modem_reference from messages where id = any(%s) order by id", (ids,))
    assert [r[0] for r in await cur.fetchall()] == [str(m.references[0]) for m in simulator.sent]


async def test_after_a_dropped_websocket_the_sweep_sends_what_was_inserted_during_the_gap(
    supabase: FakeSupabase, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = realtime_wake(supabase)
    database = supabase_database(supabase.url, SERVICE_KEY)
    async with running(database, wake, simulator, quick_config("sb-gap"), clock) as service:
        await eventually(lambda: supabase.realtime.live_subscriptions >= 1, 10, "first subscription")
        before = await queue_message(aconn, "+12095550112", ["before the drop"])
        await simulator.wait_sent(1, within=20)
        await eventually(lambda: all_have_status(aconn, before, "sent"), 10, "first message recorded")
        await eventually(lambda: service.state == "idle", 10, "listener idle")

        supabase.realtime.accepting = False  # the network stays down for a while
        assert await supabase.realtime.drop_connections() == 1
        await eventually(lambda: not wake.subscribed, 10, "the listener noticed the drop")
        assert service.state == "idle"
        gap = await queue_message(aconn, "+12095550113", ["inserted during the gap", "and its second bubble"])
        assert await all_have_status(aconn, gap, "queued")

        supabase.realtime.accepting = True
        await simulator.wait_sent(3, within=20)
        await eventually(lambda: all_have_status(aconn, gap, "sent"), 10, "gap rows marked sent")

    assert [m.text for m in simulator.sent] == [
        "before the drop",
        "inserted during the gap",
        "and its second bubble",
    ]
    assert before[0] in supabase.realtime.relayed_ids
    # Realtime never replays: nothing relayed these rows, so the post-subscription sweep found them
    # (polling was an hour apart).
    assert not set(gap) & set(supabase.realtime.relayed_ids)
    assert wake.subscriptions >= 2
    assert supabase.realtime.connections_accepted >= 2


async def test_a_wrong_key_is_a_configuration_error_not_a_retry_loop(
    supabase: FakeSupabase, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    database = supabase_database(supabase.url, "not-the-key")
    await database.open()
    try:
        with pytest.raises(ConnectorAuthError, match="Invalid API key"):
            await database.claim("sb-auth")
    finally:
        await database.close()


async def test_the_anon_key_is_refused_by_the_databases_own_grants(
    supabase: FakeSupabase, aconn: Conn, clock: PinnedClock
) -> None:
    # `clock` pins the database inside the send and recipient windows, so the message is queued at all.
    ids = await queue_message(aconn, "+12095550114", ["must not be claimable with anon"])
    database = supabase_database(supabase.url, ANON_KEY)
    await database.open()
    try:
        with pytest.raises(ConnectorAuthError, match="42501"):
            await database.claim("sb-anon")
    finally:
        await database.close()
    assert await all_have_status(aconn, ids, "queued")


async def test_an_unreachable_database_behind_postgrest_is_retried_until_it_is_back(
    supabase: FakeSupabase, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    wake = realtime_wake(supabase)
    database = supabase_database(supabase.url, SERVICE_KEY)
    async with running(database, wake, simulator, quick_config("sb-503"), clock) as service:
        await eventually(lambda: supabase.realtime.live_subscriptions >= 1, 10, "subscribed")
        await eventually(lambda: service.state == "idle", 10, "start-up sweeps done")
        supabase.rest.available = False  # PostgREST answers 503 PGRST000
        ids = await queue_message(aconn, "+12095550115", ["waits for the API to come back"])
        await eventually(lambda: service.database_down, 20, "the claim failed and is being retried")
        assert await all_have_status(aconn, ids, "queued")
        supabase.rest.available = True
        await simulator.wait_sent(1, within=20)
        await eventually(lambda: all_have_status(aconn, ids, "sent"), 10, "sent once the API is back")
        assert not service.database_down
    assert [m.text for m in simulator.sent] == ["waits for the API to come back"]


async def test_supabase_mode_a_stop_between_bubbles_gets_its_confirmation_and_reports_are_matched(
    supabase: FakeSupabase, aconn: Conn, clock: PinnedClock
) -> None:
    """Receiving through RPC: the STOP (injected the moment bubble 1 is sent) is stored with
    record_inbound_part, bubble 2 is refused, the confirmation goes out, and the delivery reports of
    both SMS sent are matched with record_status_report."""
    phone = "+12095550150"
    sim = ReactingSimulator(auto_status_reports=0)
    await sim.start()
    try:
        sim.when_sent("Hi from the shop", lambda network: network.inject_reply(phone, "STOP"))
        wake = realtime_wake(supabase)
        database = supabase_database(supabase.url, SERVICE_KEY)
        async with running(database, wake, sim, quick_config("sb-rx"), clock) as service:
            await eventually(
                lambda: supabase.realtime.live_subscriptions >= 1, 10, "Subscribed to PostgreSQL"
            )
            ids = await queue_message(aconn, phone, ["Hi from the shop", "Our winter special"])
            await sim.wait_sent(2, within=20)
            await eventually(
                lambda: value(
                    aconn,
                    "select status = 'sent' from messages where reply_kind = 'opt_out_confirmation'",
                ),
                20,
                "the confirmation marked sent over RPC",
            )
            assert sim.deliver_pending_reports() == 2
            await eventually(
                lambda: value(aconn, "select count(*) = 2 from messages where delivery_status = 'delivered'"),
                20,
                "both reports matched over RPC",
            )
            assert service.receiver is not None
            assert service.receiver.stats.reports_matched == 2
        confirmation = await value(
            aconn, "select content from messages where reply_kind = 'opt_out_confirmation'"
        )
        assert [m.text for m in sim.sent] == ["Hi from the shop", confirmation]
        assert await statuses(aconn, ids) == {ids[0]: "sent", ids[1]: "cancelled"}
        called = supabase.rest.calls
        assert called["record_inbound_part"] >= 1
        assert called["record_status_report"] == 2
        assert all(not memory.slots for memory in sim.reception.memories.values())
    finally:
        await sim.stop()
