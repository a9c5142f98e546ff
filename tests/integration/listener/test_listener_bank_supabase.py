"""Supabase mode of the bank side: the SIM is registered and sender_status() read through PostgREST's
RPC wire shapes (tests/postgrest_emulator.py, real SQL), and the listener itself opens no database
connection (none named sms-listener* in pg_stat_activity while it sends)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import respx

from listener.modem.simulator import ModemSimulator
from listener.modem.simulator.sim_card import SimCard
from listener.wake import PollOnlyWakeSource
from tests.harness import PinnedClock
from tests.integration.listener.bank import start_listener
from tests.integration.listener.conftest import (
    all_have_status,
    eventually,
    queue_message,
    quick_config,
    supabase_database,
)
from tests.postgrest_emulator import PostgrestEmulator

SERVICE_KEY = "test-service-role-key"
URL = "https://bank-project.supabase.test"
Conn = psycopg.AsyncConnection[tuple[Any, ...]]


@pytest.fixture
def rest(db_url: str) -> Iterator[PostgrestEmulator]:
    emulator = PostgrestEmulator(db_url, URL, service_key=SERVICE_KEY)
    with respx.mock(assert_all_called=False) as router:
        emulator.install(router)
        yield emulator


async def test_registration_and_status_over_rpc_with_no_database_connection_of_its_own(
    rest: PostgrestEmulator, aconn: Conn, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    card = SimCard(imsi="001010000000444", iccid="8901010000000004445")
    async with ModemSimulator(sim=card) as sim:
        database = supabase_database(URL, SERVICE_KEY)
        listener = await start_listener(
            "unused: Supabase mode",
            "sb-bank",
            sim=sim,
            sim_number="+12095550444",
            config=quick_config("sb-bank", poll_interval=0.5),
            database=database,
            wake_source=PollOnlyWakeSource(),
        )
        try:
            await eventually(lambda: listener.registrar.sender is not None, 20, "the SIM registered over RPC")
            ids = await queue_message(aconn, "+12095550145", ["through PostgREST"])
            await eventually(lambda: all_have_status(aconn, ids, "sent"), 20, "sent")
            cur = await aconn.execute(
                "select count(*) from pg_stat_activity"
                " where datname = current_database() and application_name like 'sms-listener%%'"
            )
            assert await cur.fetchone() == (0,), "Supabase mode: no direct database connection"
            rows = await database.sender_status()
        finally:
            await listener.stop()
    registrar = listener.registrar
    # One registration per bring-up of the modem (a re-open under load registers again), each one RPC.
    assert registrar.registrations >= 1
    assert rest.calls["register_sender"] == registrar.registrations == listener.modem.connects
    assert rest.calls["sender_status"] == 1
    assert registrar.sender is not None
    assert (registrar.sender.imsi, registrar.sender.own_number) == (card.imsi, "+12095550444")
    [row] = rows
    assert (row.worker_id, row.own_number, row.imsi, row.alive, row.sent_today) == (
        "sb-bank",
        "+12095550444",
        card.imsi,
        True,
        1,
    )
    cur = await aconn.execute("select sender_id from messages where id = %s", (ids[0],))
    assert await cur.fetchone() == (registrar.sender.id,)
