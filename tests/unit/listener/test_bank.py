"""SenderRegistrar (listener.bank) in the service loop, on the in-memory transport: the SIM is
registered before the first claim, once per modem connection, again after a reconnect (a swapped SIM
gets its own row), with SIM_NUMBER or the SIM's own number; a refusal never stops sending."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from listener.bank import SenderRegistrar, effective_number
from listener.database import ListenerDatabase
from listener.modem.identity import SimIdentity
from listener.service import ListenerService
from listener.testing import InMemoryTransport
from listener.wake import PollOnlyWakeSource
from sms_common.statuses import MessageStatus
from tests.unit.listener.kit import config, started, until
from tests.unit.listener.scripted_modem import ScriptedModem

PHONE = "+12095550100"
SIM_A = SimIdentity(imsi="001010000000001", iccid="8901010000000000018", own_number=None)
SIM_B = SimIdentity(imsi="001010000000002", iccid="8901010000000000026", own_number="+12095550177")


@dataclass
class IdentifiedModem(ScriptedModem):
    """A scripted modem that also tells its SIM, as ResilientModem does after each bring-up."""

    port: str = "/dev/ttyUSB9"
    connects: int = 1
    identity: SimIdentity | None = field(default=SIM_A)

    def swap_sim(self, identity: SimIdentity | None) -> None:
        """The modem went away, came back with `identity` (a new connection)."""
        self.identity = identity
        self.connects += 1


@asynccontextmanager
async def running(
    transport: InMemoryTransport, modem: IdentifiedModem, *, sim_number: str | None = None
) -> AsyncIterator[tuple[ListenerService, SenderRegistrar]]:
    database = ListenerDatabase(transport)
    service = ListenerService(database, PollOnlyWakeSource(), modem, config())
    registrar = SenderRegistrar(database, modem, "unit", sim_number=sim_number)
    service.hooks = registrar
    async with started(service):
        yield service, registrar


async def test_the_sim_is_registered_before_the_first_claim_and_only_once_per_connection() -> None:
    db = InMemoryTransport()
    [bubble] = db.queue(PHONE, "hello")
    modem = IdentifiedModem()
    async with running(db, modem) as (service, registrar):
        await until(lambda: db.status(bubble) is MessageStatus.SENT)
        await until(lambda: service.stats.sweeps >= 3)
    calls = db.functions_called()
    assert calls.index("register_sender") < calls.index("claim_next_bubble")
    assert calls.count("register_sender") == 1  # several sweeps, one connection: one registration
    args = dict(db.calls)["register_sender"]
    assert (args["worker_id"], args["imsi"], args["iccid"], args["own_number"]) == (
        "unit",
        SIM_A.imsi,
        SIM_A.iccid,
        None,  # the SIM does not know its number: unknown, not an error
    )
    assert args["modem"]["port"] == "/dev/ttyUSB9"
    assert registrar.sender is not None
    assert registrar.sender.id == 1


async def test_a_reconnect_registers_again_and_a_swapped_sim_gets_its_own_row() -> None:
    db = InMemoryTransport()
    modem = IdentifiedModem()
    senders_at_claim: list[int] = []
    claim = db._fn_claim_next_bubble

    def recording_claim(worker_id: str) -> list[dict[str, Any]]:
        rows = claim(worker_id)
        if rows:
            senders_at_claim.append(len(db.senders))
        return rows

    db._fn_claim_next_bubble = recording_claim  # type: ignore[method-assign]
    async with running(db, modem) as (service, registrar):
        await until(lambda: registrar.registrations == 1)
        modem.disconnect()
        modem.swap_sim(SIM_B)
        modem.reconnect()
        db.queue(PHONE, "after the swap")
        await until(lambda: registrar.registrations == 2)
        await until(lambda: service.stats.sent == 1)
    assert registrar.sender is not None
    assert registrar.sender.id == 2
    assert db.senders[1]["worker_id"] is None  # the old SIM is no longer this worker's
    assert db.senders[2]["own_number"] == "+12095550177"
    assert senders_at_claim == [2], "the new SIM was registered before anything was claimed for it"


async def test_sim_number_is_used_when_the_sim_does_not_know_it() -> None:
    db = InMemoryTransport()
    async with running(db, IdentifiedModem(), sim_number="+12095550123") as (_, registrar):
        await until(lambda: registrar.registrations == 1)
    assert dict(db.calls)["register_sender"]["own_number"] == "+12095550123"


async def test_a_sim_that_tells_no_identity_is_not_registered_and_still_sends() -> None:
    db = InMemoryTransport()
    [bubble] = db.queue(PHONE, "anyway")
    modem = IdentifiedModem(identity=SimIdentity(imsi=None, iccid=None, own_number=None))
    async with running(db, modem):
        await until(lambda: db.status(bubble) is MessageStatus.SENT)
    assert "register_sender" not in db.functions_called()


async def test_a_refused_registration_is_logged_and_sending_goes_on() -> None:
    db = InMemoryTransport()
    [bubble] = db.queue(PHONE, "still sent")
    db._fn_register_sender = None  # type: ignore[assignment,method-assign]  # an older schema without it
    async with running(db, IdentifiedModem()) as (service, registrar):
        await until(lambda: db.status(bubble) is MessageStatus.SENT)
        await until(lambda: service.stats.sweeps >= 3)
    assert registrar.sender is None
    assert registrar.last_error is not None
    assert "register_sender" in registrar.last_error
    assert db.functions_called().count("register_sender") == 1  # not hammered on every sweep


async def test_an_outage_during_registration_is_retried_before_claiming() -> None:
    db = InMemoryTransport()
    [bubble] = db.queue(PHONE, "after the outage")
    modem = IdentifiedModem()
    modem.connected = False
    modem._ready.clear()
    async with running(db, modem) as (_, registrar):
        await until(lambda: "record_listener_heartbeat" in db.functions_called())
        db.unavailable_for = 3  # the next three calls fail: register_sender, then its retries
        modem.reconnect()
        await until(lambda: db.status(bubble) is MessageStatus.SENT)
    assert registrar.registrations == 1
    calls = db.functions_called()
    assert calls.count("register_sender") == 4
    assert calls.index("claim_next_bubble") > len(calls) - 1 - calls[::-1].index("register_sender")


@pytest.mark.parametrize(
    ("from_sim", "setting", "expected"),
    [
        (None, None, None),
        ("+12095550100", None, "+12095550100"),
        ("2095550100", None, None),  # national form: unknown rather than a wrong E.164 guess
        (None, "+12095550199", "+12095550199"),
        ("+12095550100", "+12095550199", "+12095550199"),  # a person's setting wins (logged)
    ],
)
def test_effective_number(from_sim: str | None, setting: str | None, expected: str | None) -> None:
    assert effective_number(from_sim, setting) == expected
