"""Helpers for tests of a bank of modems: several listeners, each with its own simulated modem and SIM,
wired as `listener.run` wires them (the SIM registered before each sweep, metrics), on one database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from listener.bank import SenderRegistrar
from listener.database import ListenerDatabase
from listener.hooks import HookChain
from listener.metrics import ListenerMetrics
from listener.modem.resilient import ResilientModem
from listener.modem.simulator import ModemSimulator, Profile
from listener.modem.simulator.sim_card import SimCard
from listener.pg_notify import NotifyWakeSource
from listener.service import ListenerService, ServiceConfig
from listener.wake import WakeSource
from tests.integration.listener.conftest import pg_database, quick_config, resilient_modem

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


@dataclass
class BankListener:
    """One listener of the bank: its simulator (and SIM), modem, service, registrar and metrics."""

    name: str
    sim: ModemSimulator
    modem: ResilientModem
    service: ListenerService
    registrar: SenderRegistrar
    metrics: ListenerMetrics
    task: asyncio.Task[Any] | None = None

    @property
    def sender_id(self) -> int:
        assert self.registrar.sender is not None, f"{self.name} is not registered"
        return self.registrar.sender.id

    async def stop(self) -> None:
        """The listener is stopped as SIGTERM would (its box switched off, its SIM taken away)."""
        if self.task is None:
            return
        self.service.request_stop("test: taken away")
        try:
            await asyncio.wait_for(self.task, 30)
        finally:
            self.task = None
            await self.modem.close()


async def start_listener(
    db_url: str,
    name: str,
    *,
    sim: ModemSimulator,
    sim_number: str | None = None,
    config: ServiceConfig | None = None,
    database: ListenerDatabase | None = None,
    wake_source: WakeSource | None = None,
) -> BankListener:
    """One listener wired as listener.run wires it (Postgres mode unless `database` says otherwise)."""
    modem = resilient_modem(sim)
    assert await modem.wait_ready(10), f"{name}: the driver could not initialise the simulated modem"
    database = database or pg_database(db_url)
    wake = wake_source or NotifyWakeSource(db_url, keepalive=1.0)
    service = ListenerService(database, wake, modem, config or quick_config(name))
    registrar = SenderRegistrar(database, modem, name, sim_number=sim_number)
    metrics = ListenerMetrics()
    metrics.attach(service)
    service.hooks = HookChain(registrar, metrics)
    modem.on_ready.append(lambda: service.wake("modem ready"))  # as listener.run does
    listener = BankListener(name, sim, modem, service, registrar, metrics)
    listener.task = asyncio.create_task(service.run(), name=f"listener:{name}")
    return listener


@asynccontextmanager
async def bank(
    db_url: str,
    names: Sequence[str],
    *,
    profiles: Sequence[Profile] | None = None,
    cards: Sequence[SimCard | None] | None = None,
    sim_numbers: Sequence[str | None] | None = None,
    unsupported: Sequence[set[str]] | None = None,
    **config: Any,
) -> AsyncIterator[list[BankListener]]:
    """Listeners `names`, each on its own simulated modem (profile, SIM card, commands its firmware
    does not know), heartbeating every second unless `config` says otherwise."""
    config = {"heartbeat_interval": 1.0, **config}
    async with contextlib.AsyncExitStack() as stack:
        listeners: list[BankListener] = []
        for n, name in enumerate(names):
            profile: Profile = profiles[n] if profiles else "generic"
            card = cards[n] if cards else None
            simulator = ModemSimulator(profile=profile, sim=card)
            if unsupported:
                simulator.unsupported |= unsupported[n]
            sim = await stack.enter_async_context(simulator)
            listener = await start_listener(
                db_url,
                name,
                sim=sim,
                sim_number=sim_numbers[n] if sim_numbers else None,
                config=quick_config(name, **config),
            )
            listeners.append(listener)
            stack.push_async_callback(listener.stop)
        yield listeners


async def sender_of_each_bubble(conn: Conn, campaign: str) -> dict[str, set[int]]:
    """phone number -> the SIMs (senders ids) that claimed its bubbles in `campaign`."""
    cur = await conn.execute(
        """
        select m.phone_number, m.sender_id
          from messages m join scheduled_messages s on s.id = m.scheduled_message_id
         where s.campaign_name = %s
        """,
        (campaign,),
    )
    found: dict[str, set[int]] = {}
    for phone, sender in await cur.fetchall():
        found.setdefault(str(phone), set()).add(int(sender) if sender is not None else -1)
    return found


async def queue_campaign(conn: Conn, campaign: str, phones: Sequence[str], bubbles: int = 2) -> int:
    """One message of `bubbles` bubbles to each phone, due now, promoted; returns the bubble count."""
    await conn.execute("update send_window set catch_up_gap = '0' where catch_up_gap <> '0'")
    async with conn.transaction():
        for phone in phones:
            body = " [BUBBLE] ".join(f"{campaign} to {phone[-4:]} part {k}" for k in range(1, bubbles + 1))
            await conn.execute(
                """
                insert into scheduled_messages (phone_number, customer_name, message_content, scheduled_for,
                                                campaign_name)
                values (%s, 'Bank', %s, now(), %s)
                """,
                (phone, body, campaign),
            )
    cur = await conn.execute("select process_scheduled_messages(%s)", (len(phones),))
    row = await cur.fetchone()
    assert row == (len(phones),), f"{campaign}: promoted {row}"
    return len(phones) * bubbles


async def count_status(conn: Conn, campaign: str, status: str) -> int:
    cur = await conn.execute(
        "select count(*) from messages m join scheduled_messages s on s.id = m.scheduled_message_id"
        " where s.campaign_name = %s and m.status = %s",
        (campaign, status),
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0
