"""Fixtures and helpers for the listener's end-to-end tests: a real database (harness), the modem
simulator on a real pty opened through the real driver, and the listener service running in the
test's event loop (or as a subprocess where a test needs to kill it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from listener.database import ListenerDatabase
from listener.modem.config import ModemConfig
from listener.modem.resilient import ResilientModem
from listener.modem.simulator import ModemSimulator, SentMessage
from listener.pg_transport import PostgresTransport
from listener.service import ListenerService, ServiceConfig
from listener.supabase_transport import SupabaseTransport
from listener.wake import WakeSource
from tests.harness import PinnedClock

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


@pytest.fixture
async def simulator() -> AsyncIterator[ModemSimulator]:
    async with ModemSimulator() as sim:
        yield sim


def resilient_modem(sim: ModemSimulator, config: ModemConfig | None = None) -> ResilientModem:
    """The real driver on the simulator's device path, reconnecting quickly (test timescale)."""
    config = config or ModemConfig(sim.device_path, mode="pdu")
    return ResilientModem(config, min_backoff=0.05, max_backoff=0.5, probe_interval=1.0)


def pg_database(url: str) -> ListenerDatabase:
    """The listener's calls over psycopg (Postgres mode)."""
    return ListenerDatabase(PostgresTransport(url))


def supabase_database(url: str, key: str) -> ListenerDatabase:
    """The listener's calls over PostgREST RPC (Supabase mode)."""
    return ListenerDatabase(SupabaseTransport(url, key))


def quick_config(worker_id: str, **overrides: Any) -> ServiceConfig:
    """No pauses, no polling to speak of (so a wake-up must come from NOTIFY/Realtime or a sweep)."""
    values: dict[str, Any] = {
        "worker_id": worker_id,
        "poll_interval": 3600.0,
        "heartbeat_interval": 3600.0,
        "bubble_pause": 0.0,
        "recipient_pause": 0.0,
        "promotion_interval": 3600.0,
        "max_backoff": 1.0,
    }
    values.update(overrides)
    return ServiceConfig(**values)


@asynccontextmanager
async def running(
    database: ListenerDatabase,
    wake_source: WakeSource,
    sim: ModemSimulator,
    config: ServiceConfig,
    clock: PinnedClock,
    *,
    modem_config: ModemConfig | None = None,
) -> AsyncIterator[ListenerService]:
    """Run a ListenerService until the block ends, then stop it as SIGTERM would and check it ended.

    The database's clock runs at real speed from the pinned moment (a weekday afternoon, the send
    window open): the listener waits for retry times the database computes, so time must pass."""
    clock.run_from(clock.at)
    modem = resilient_modem(sim, modem_config)
    assert await modem.wait_ready(10), "the driver could not initialise the simulated modem"
    service = ListenerService(database, wake_source, modem, config)
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        service.request_stop("test over")
        try:
            await asyncio.wait_for(task, 30)
        finally:
            await modem.close()


async def eventually(
    condition: Callable[[], Awaitable[bool]] | Callable[[], bool], within: float, what: str
) -> None:
    """Wait until `condition` holds (polling every 50 ms), or fail naming what did not happen."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for: {what}")
        await asyncio.sleep(0.05)


async def queue_message(
    conn: Conn, phone: str, bubbles: Sequence[str], *, campaign: str = "listener-test"
) -> list[int]:
    """One queued message, made as in production: a due SCH row, then promotion creates its bubbles.

    Pacing is turned off (catch_up_gap 0) so that several messages of one test campaign are all due."""
    await conn.execute("update send_window set catch_up_gap = '0' where catch_up_gap <> '0'")
    cur = await conn.execute(
        """
        insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
        values (%s, 'Test Customer', %s, now(), %s)
        returning id
        """,
        (phone, " [BUBBLE] ".join(bubbles), campaign),
    )
    row = await cur.fetchone()
    assert row is not None
    await conn.execute("select process_scheduled_messages()")
    cur = await conn.execute(
        "select m.id, s.status from messages m join scheduled_messages s on s.id = m.scheduled_message_id"
        " where m.scheduled_message_id = %s order by m.promotion, m.bubble_index",
        (row[0],),
    )
    found = await cur.fetchall()
    assert found, f"message {row[0]} has no bubbles"
    assert all(status == "queued" for _, status in found), f"message {row[0]} was not promoted: {found}"
    return [int(i) for i, _ in found]


async def statuses(conn: Conn, ids: Sequence[int]) -> dict[int, str]:
    cur = await conn.execute("select id, status from messages where id = any(%s)", (list(ids),))
    return {int(i): str(s) for i, s in await cur.fetchall()}


async def all_have_status(conn: Conn, ids: Sequence[int], status: str) -> bool:
    found = await statuses(conn, ids)
    return len(found) == len(ids) and all(value == status for value in found.values())


class ReactingSimulator(ModemSimulator):
    """The simulator, able to make the network react the moment a given SMS is sent: the reaction
    runs after the body was taken and before `+CMGS` is answered, so what it injects (a reply, say)
    is announced while that bubble is still with the modem. Event-driven, no sleeps."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._reactions: dict[str, Callable[[ModemSimulator], object]] = {}

    def when_sent(self, text: str, reaction: Callable[[ModemSimulator], object]) -> None:
        self._reactions[text] = reaction

    async def _deliver(self, message: SentMessage) -> None:
        await super()._deliver(message)
        reaction = self._reactions.pop(message.text, None)
        if reaction is not None:
            reaction(self)


@pytest.fixture
async def reacting_simulator() -> AsyncIterator[ReactingSimulator]:
    sim = ReactingSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def rows(conn: Conn, query: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of a query as dicts (for assertions)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def value(conn: Conn, query: str, *params: Any) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return None if row is None else row[0]
