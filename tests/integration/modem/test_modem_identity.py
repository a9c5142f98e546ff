"""The SIM's identity read by the real driver from each simulated model over a pty, and read again
after a reconnect (a SIM swapped while the modem was away is noticed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from listener.modem.driver import Modem, ModemConfig, ModemTimeouts
from listener.modem.resilient import ResilientModem
from listener.modem.simulator import PROFILES, ModemSimulator, Profile
from listener.modem.simulator.sim_card import SimCard

FAST = ModemTimeouts(
    command=1.0, prompt=1.0, send=1.0, registration=1.0, registration_poll=0.05, sim_ready=1.0
)
EXPECTED_COMMAND: dict[Profile, str] = {
    "generic": "AT+CCID",
    "huawei": "AT^ICCID?",
    "wavecom": "AT+CCID",
    "lte": "AT+QCCID",
    "sim800": "AT+CCID",
}


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    async def poll() -> None:
        while True:  # polled under the deadline of wait_for
            if condition():
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), within)


@pytest.mark.parametrize("profile", PROFILES)
async def test_each_model_tells_its_sim(profile: Profile) -> None:
    async with ModemSimulator(profile=profile) as sim:
        modem = await Modem.open(ModemConfig(sim.device_path, timeouts=FAST))
        try:
            await modem.initialise()
            identity = await modem.read_identity()
        finally:
            await modem.close()
    assert identity.imsi == sim.sim.imsi
    assert identity.iccid == sim.sim.iccid
    assert identity.iccid_command == EXPECTED_COMMAND[profile]
    assert identity.own_number == sim.sim.own_number
    assert identity.imei == sim.imei
    if profile == "sim800":
        assert identity.own_number is not None
        assert identity.own_number.startswith("+1209555")
    else:
        assert identity.own_number is None  # a prepaid SIM without its number: unknown, not an error
    # Only the model's own ICCID command was needed: no refused command on the way.
    iccid_commands = [c for c in sim.commands if "CCID" in c.upper() or c.upper().startswith("AT+CRSM")]
    assert iccid_commands == [EXPECTED_COMMAND[profile]]


async def test_an_explicit_sim_is_what_the_driver_reads() -> None:
    card = SimCard(imsi="001019876543210", iccid="8901019876543210982", own_number="+12095550199")
    async with ModemSimulator(profile="generic", sim=card) as sim:
        modem = await Modem.open(ModemConfig(sim.device_path, timeouts=FAST))
        try:
            await modem.initialise()
            identity = await modem.read_identity()
        finally:
            await modem.close()
    assert (identity.imsi, identity.iccid, identity.own_number) == (card.imsi, card.iccid, card.own_number)


async def test_the_identity_is_read_again_after_a_reconnect_and_a_swapped_sim_shows() -> None:
    async with ModemSimulator(profile="huawei") as sim:
        first = sim.sim
        config = ModemConfig(sim.device_path, timeouts=FAST)
        async with ResilientModem(config, min_backoff=0.05, max_backoff=0.2, probe_interval=0.2) as modem:
            readies: list[int] = []
            modem.on_ready.append(lambda: readies.append(modem.connects))
            assert await modem.wait_ready(5.0)
            assert modem.identity is not None
            assert modem.identity.imsi == first.imsi
            sim.unplug()
            await until(lambda: not modem.connected)
            second = SimCard.random(own_number="+12095550142")
            sim.sim = second  # another SIM put in while the stick was out
            sim.plug()
            await until(lambda: modem.connected)
            assert modem.connects == 2
            assert modem.identity.imsi == second.imsi
            assert modem.identity.iccid == second.iccid
            assert modem.identity.own_number == "+12095550142"
            assert readies == [1, 2], "the listener is told each time a modem is ready (to register its SIM)"
