"""ResilientModem against the simulator: unplug/replug, a hung modem, a missing device, a wrong PIN."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from listener.modem.driver import ModemConfig, ModemTimeouts, ReceptionStarted, StoredNotice
from listener.modem.errors import ModemUnavailableError, SendOutcomeUnknownError
from listener.modem.resilient import ResilientModem
from listener.modem.simulator import ModemSimulator

NUMBER = "+15551234567"
CUSTOMER = "+15557654321"
FAST = ModemTimeouts(
    command=0.5, prompt=1.0, send=1.0, registration=1.0, registration_poll=0.05, sim_ready=1.0
)


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for `condition` with a deadline (TimeoutError names nothing: the assert after it does)."""

    async def poll() -> None:
        while True:  # polling a condition with a deadline (the outer wait_for)
            if condition():
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), within)


@pytest.fixture
async def sim() -> AsyncIterator[ModemSimulator]:
    async with ModemSimulator() as simulator:
        yield simulator


def resilient(
    sim: ModemSimulator, *, timeouts: ModemTimeouts = FAST, pin: str | None = None
) -> ResilientModem:
    config = ModemConfig(sim.device_path, 115200, pin=pin, timeouts=timeouts)
    return ResilientModem(config, min_backoff=0.05, max_backoff=0.2, probe_interval=0.2)


async def test_recovers_after_unplug_and_replug(sim: ModemSimulator) -> None:
    async with resilient(sim) as modem:
        assert await modem.wait_ready(5.0)
        await modem.send_sms(NUMBER, "before")
        sim.unplug()
        with pytest.raises(ModemUnavailableError):
            await modem.send_sms(NUMBER, "while unplugged")  # raised, never crashes the caller
        await until(lambda: not modem.connected)
        snapshot = modem.snapshot()
        assert snapshot.connected is False
        assert snapshot.last_error
        sim.plug()
        await until(lambda: modem.connected)
        await modem.send_sms(NUMBER, "after")
        assert [m.text for m in await sim.wait_sent(2)] == ["before", "after"]
        health = await modem.health()
        assert health.reconnects == 1
        assert health.as_dict()["connected"] is True
        assert health.sent == 2  # counted across the two modem sessions
        assert health.failed == 1


async def test_missing_device_at_start_then_it_appears(sim: ModemSimulator) -> None:
    sim.unplug()
    async with resilient(sim) as modem:
        with pytest.raises(ModemUnavailableError, match="not connected"):
            await modem.health()
        await until(lambda: modem.snapshot().last_error is not None)
        assert "cannot open" in (modem.snapshot().last_error or "")
        sim.plug()
        assert await modem.wait_ready(10.0)
        await modem.send_sms(NUMBER, "it appeared")
        assert (await sim.wait_sent(1))[0].text == "it appeared"


async def test_hung_modem_is_detected_by_the_idle_probe_and_reset(sim: ModemSimulator) -> None:
    async with resilient(sim, timeouts=ModemTimeouts(**{**FAST.__dict__, "command": 0.5})) as modem:
        assert await modem.wait_ready(5.0)
        sim.faults.silent = True  # a USB stick that stopped answering
        await until(lambda: not modem.connected)
        assert "no answer within 0.5 s" in (modem.snapshot().last_error or "")
        sim.faults.silent = False
        await until(lambda: modem.connected)
        await modem.send_sms(NUMBER, "back")
        assert (await sim.wait_sent(1))[0].text == "back"
        assert modem.reconnects >= 1


async def test_unknown_outcome_resets_the_modem_and_sending_continues(sim: ModemSimulator) -> None:
    async with resilient(sim) as modem:
        assert await modem.wait_ready(5.0)
        sim.faults.silent_after_body = True
        with pytest.raises(SendOutcomeUnknownError):
            await modem.send_sms(NUMBER, "maybe")
        sim.faults.silent_after_body = False
        await until(lambda: modem.connected and modem.reconnects >= 1)
        await modem.send_sms(NUMBER, "surely")
        sent = await sim.wait_sent(2)
        assert [(m.text, m.answered) for m in sent] == [("maybe", False), ("surely", True)]


async def test_refused_pin_is_never_tried_again(sim: ModemSimulator) -> None:
    sim.unplug()
    sim.pin = "2580"
    sim.plug()
    async with resilient(sim, pin="0000") as modem:
        await until(lambda: sim.commands.count("AT+CPIN?") >= 4)
        assert sim.pin_tries == 2  # one wrong attempt, then the PIN was forgotten
        assert not modem.connected
        assert "MODEM_PIN" in (modem.snapshot().last_error or "")


async def test_events_survive_a_reconnect(sim: ModemSimulator) -> None:
    async with resilient(sim) as modem:
        assert await modem.wait_ready(5.0)
        sim.unsolicited('+CMTI: "SM",1')
        first = await asyncio.wait_for(modem.events.get(), 5.0)
        sim.unplug()
        sim.plug()
        await until(lambda: modem.connected and modem.reconnects >= 1)
        sim.unsolicited('+CMTI: "SM",2')
        second = await asyncio.wait_for(modem.events.get(), 5.0)
        assert (first.value, second.value) == ('"SM",1', '"SM",2')


async def test_reception_across_a_replug(sim: ModemSimulator) -> None:
    """Every (re)connected modem says ReceptionStarted: what arrived while it was away is listed then."""
    async with resilient(sim) as modem:
        assert await modem.wait_ready(5.0)
        assert isinstance(await asyncio.wait_for(modem.inbound.get(), 5.0), ReceptionStarted)
        (pdu,) = sim.inject_reply(CUSTOMER, "while connected")
        notice = await asyncio.wait_for(modem.inbound.get(), 5.0)
        assert notice == StoredNotice("SM", 1, "deliver", received_at=notice.received_at)
        stored = await modem.read_stored("SM", 1)
        assert stored is not None
        assert stored.pdu_hex == pdu
        await modem.delete_stored("SM", 1)
        sim.unplug()
        await until(lambda: not modem.connected)
        with pytest.raises(ModemUnavailableError):
            await modem.list_stored()
        (missed,) = sim.inject_reply(CUSTOMER, "while the modem was away")  # stored, announced to no one
        sim.plug()
        started = await asyncio.wait_for(modem.inbound.get(), 10.0)
        assert isinstance(started, ReceptionStarted)
        assert started.memories == ("SM", "SR")
        # Said during bring-up; the modem is ready a moment later (its SIM's identity is read first).
        assert await modem.wait_ready(5.0)
        assert [s.pdu_hex for s in await modem.list_stored()] == [missed]
        assert modem.snapshot().reception.startswith("stored in SM (+CMTI)")
