"""The driver against the simulator over a real pseudo-terminal, opened through pyserial-asyncio."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from listener.modem.codes import CAPPED_ATTEMPTS
from listener.modem.driver import Modem, ModemConfig, ModemTimeouts, SmsMode
from listener.modem.errors import (
    ModemNotRespondingError,
    ModemUnavailableError,
    PermanentSendError,
    SendOutcomeUnknownError,
    SimPinError,
    TransientSendError,
)
from listener.modem.simulator import ModemSimulator, Profile

NUMBER = "+15551234567"
FAST = ModemTimeouts(
    command=2.0, prompt=2.0, send=2.0, registration=2.0, registration_poll=0.05, sim_ready=2.0
)


@pytest.fixture
async def sim() -> AsyncIterator[ModemSimulator]:
    async with ModemSimulator() as simulator:
        yield simulator


OpenModem = Callable[..., Awaitable[Modem]]


@pytest.fixture
async def open_modem() -> AsyncIterator[OpenModem]:
    opened: list[Modem] = []

    async def _open(
        sim: ModemSimulator, *, mode: SmsMode = "pdu", pin: str | None = None, timeouts: ModemTimeouts = FAST
    ) -> Modem:
        modem = await Modem.open(ModemConfig(sim.device_path, 115200, mode=mode, pin=pin, timeouts=timeouts))
        opened.append(modem)
        return modem

    yield _open
    for modem in opened:
        await modem.close()


async def ready(sim: ModemSimulator, open_modem: OpenModem, **kwargs: object) -> Modem:
    modem = await open_modem(sim, **kwargs)
    await modem.initialise()
    return modem


async def test_initialise_with_echo_on(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await ready(sim, open_modem)
    assert sim.commands[:2] == ["AT", "ATE0"]  # the first command went out while the modem echoed
    assert "AT+CMEE=1" in sim.commands
    assert "AT+CMGF=0" in sim.commands
    health = json.loads(json.dumps((await modem.health()).as_dict()))  # JSON-able for the heartbeat row
    assert health["registered"] is True
    assert health["signal"] == 21
    assert health["signal_word"] == "excellent"
    assert health["signal_dbm"] == -71
    assert health["operator"] == "Simulated Net"
    assert health["last_error"] is None


@pytest.mark.parametrize(
    ("text", "alphabet", "parts"),
    [
        ("Your appointment is tomorrow at 10:30.", "gsm7", 1),
        ("Ünïcödé café: 😀 and 👍🏽 — déjà vu", "ucs2", 1),
        ("Price list [draft] {v2} ~ €5 | €7 ^_^ \\o/ " * 4, "gsm7", 2),
        ("Grüße aus Köln! 🎉🎂 Wir sehen uns 😀 " * 7, "ucs2", 4),
        ("x" * 66 + "😀" + "y" * 66 + "€", "ucs2", 3),
    ],
)
async def test_sends_arrive_decoded_back_to_the_original(
    sim: ModemSimulator, open_modem: OpenModem, text: str, alphabet: str, parts: int
) -> None:
    modem = await ready(sim, open_modem)
    result = await modem.send_sms(NUMBER, text)
    assert result.parts == parts
    (message,) = await sim.wait_sent(1)
    assert message.text == text
    assert (message.number, message.parts, message.alphabet, message.mode) == (NUMBER, parts, alphabet, "pdu")
    assert result.reference == ",".join(str(r) for r in message.references)


async def test_text_mode_for_plain_text_pdu_for_the_rest(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await ready(sim, open_modem, mode="text")
    await modem.send_sms(NUMBER, "Plain text, sent in text mode.")
    await modem.send_sms(NUMBER, "Not plain: café ☕")
    await modem.send_sms(NUMBER, "Back to plain")
    sent = await sim.wait_sent(3)
    assert [(m.mode, m.text) for m in sent] == [
        ("text", "Plain text, sent in text mode."),
        ("pdu", "Not plain: café ☕"),
        ("text", "Back to plain"),
    ]
    # Reception is configured in PDU mode first; text mode then asks for delivery reports by AT+CSMP.
    assert [c for c in sim.commands if c.startswith("AT+CMGF")] == [
        "AT+CMGF=0",
        "AT+CMGF=1",
        "AT+CMGF=0",
        "AT+CMGF=1",
    ]
    assert [c for c in sim.commands if c.startswith("AT+CSMP")] == ["AT+CSMP=49,167,0,0"]


@pytest.mark.parametrize("profile", ["generic", "huawei", "wavecom", "lte", "sim800"])
async def test_model_quirks(sim: ModemSimulator, open_modem: OpenModem, profile: Profile) -> None:
    sim.profile = profile
    sim.creg = 0 if profile == "lte" else 1
    modem = await ready(sim, open_modem)
    await modem.send_sms(NUMBER, f"hello from {profile}")
    (message,) = await sim.wait_sent(1)
    assert message.text == f"hello from {profile}"
    assert modem.snapshot().registered is True


async def test_slow_answers_within_the_deadline(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.faults.delay = 0.2
    modem = await ready(sim, open_modem)
    await modem.send_sms(NUMBER, "slow but fine")
    assert (await sim.wait_sent(1))[0].text == "slow but fine"


async def test_answers_slower_than_the_deadline(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.faults.delay = 2.0
    modem = await open_modem(sim, timeouts=ModemTimeouts(command=0.3))
    with pytest.raises(ModemNotRespondingError, match=r"no answer within 0\.3 s"):
        await modem.initialise()


@pytest.mark.parametrize(
    ("code", "exception", "max_attempts"),
    [
        (38, TransientSendError, CAPPED_ATTEMPTS),
        (42, TransientSendError, None),
        (1, PermanentSendError, None),
    ],
)
async def test_cms_errors_then_the_next_message_goes_out(
    sim: ModemSimulator,
    open_modem: OpenModem,
    code: int,
    exception: type[Exception],
    max_attempts: int | None,
) -> None:
    modem = await ready(sim, open_modem)
    sim.fail_next_sends(code, count=1)
    with pytest.raises(exception) as caught:
        await modem.send_sms(NUMBER, "refused")
    assert getattr(caught.value, "code", None) == code
    if isinstance(caught.value, TransientSendError):
        assert caught.value.max_attempts == max_attempts
    await modem.send_sms("+15557654321", "the next one is not held up")
    (message,) = await sim.wait_sent(1)
    assert message.number == "+15557654321"


async def test_sim_trouble_code_pauses_sending(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await ready(sim, open_modem)
    sim.fail_next_sends(330, count=1)
    with pytest.raises(ModemUnavailableError, match="330"):
        await modem.send_sms(NUMBER, "no SMSC")


async def test_transient_refusal_of_a_later_part_is_retried_in_place(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    modem = await open_modem(sim, timeouts=ModemTimeouts(**{**FAST.__dict__, "part_retry_pause": 0.05}))
    await modem.initialise()
    text = "a" * 200
    sim.fail_next_sends(42, count=2, after=1)  # part 2 is refused twice, then accepted
    result = await modem.send_sms(NUMBER, text)
    (message,) = await sim.wait_sent(1)
    assert message.text == text
    assert result.parts == 2
    assert len([c for c in sim.commands if c.startswith("AT+CMGS")]) == 4  # part 1, part 2 three times


async def test_refused_later_part_is_an_unknown_outcome(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await ready(sim, open_modem)
    sim.fail_next_sends(21, count=1, after=1)
    with pytest.raises(SendOutcomeUnknownError, match="after 1 of 2 parts") as caught:
        await modem.send_sms(NUMBER, "b" * 200)
    assert (caught.value.parts_accepted, caught.value.parts_total) == (1, 2)


async def test_no_answer_at_all(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.faults.silent = True
    modem = await open_modem(sim, timeouts=ModemTimeouts(command=0.3))
    with pytest.raises(ModemNotRespondingError):
        await modem.initialise()
    assert not modem.usable


async def test_no_answer_after_the_body(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await open_modem(sim, timeouts=ModemTimeouts(**{**FAST.__dict__, "send": 0.3}))
    await modem.initialise()
    sim.faults.silent_after_body = True
    with pytest.raises(SendOutcomeUnknownError, match="may have been sent"):
        await modem.send_sms(NUMBER, "did it go?")
    (message,) = await sim.wait_sent(1)
    assert message.answered is False  # it did reach the network: never resend it blindly
    with pytest.raises(ModemUnavailableError):
        await modem.send_sms(NUMBER, "refused until re-opened")


async def test_unsolicited_codes_interleaved_everywhere(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.faults.unsolicited = ("^RSSI: 17", '+CMTI: "SM",3', "RING")
    modem = await ready(sim, open_modem)
    await modem.send_sms(NUMBER, "through the noise")
    await modem.send_sms(NUMBER, "long one " * 30)
    sent = await sim.wait_sent(2)
    assert [m.text for m in sent] == ["through the noise", "long one " * 30]
    codes = set()
    while not modem.events.empty():
        codes.add(modem.events.get_nowait().code)
    assert codes == {"^RSSI", "+CMTI", "RING"}
    assert modem.snapshot().signal == 17  # ^RSSI updates the health snapshot


async def test_unsolicited_flood_while_silent_still_times_out(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    modem = await ready(sim, open_modem)
    sim.faults.silent = True
    flood = sim.flood("^RSSI: 12", 0.02)
    try:
        with pytest.raises(ModemNotRespondingError):
            await asyncio.wait_for(modem.health(), 10.0)
    finally:
        flood.cancel()


async def test_sim_pin(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.unplug()
    sim.pin = "2580"
    sim.plug()
    without = await open_modem(sim)
    with pytest.raises(SimPinError, match="set MODEM_PIN"):
        await without.initialise()
    await without.close()
    modem = await ready(sim, open_modem, pin="2580")
    assert 'AT+CPIN="****"' in sim.commands
    await modem.send_sms(NUMBER, "unlocked")
    assert (await sim.wait_sent(1))[0].text == "unlocked"


async def test_wrong_pin_is_tried_once(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.unplug()
    sim.pin = "2580"
    sim.plug()
    modem = await open_modem(sim, pin="0000")
    with pytest.raises(SimPinError) as caught:
        await modem.initialise()
    assert caught.value.pin_rejected
    assert sim.pin_tries == 2


async def test_not_registered(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.creg, sim.cereg = 2, 2
    modem = await open_modem(sim, timeouts=ModemTimeouts(**{**FAST.__dict__, "registration": 0.3}))
    with pytest.raises(ModemUnavailableError, match="not registered"):
        await modem.initialise()


async def test_device_disappearing_while_idle_is_noticed(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await ready(sim, open_modem)
    sim.unplug()
    await asyncio.wait_for(modem.dialogue.closed.wait(), 5.0)  # noticed without writing anything
    assert not modem.usable
    with pytest.raises(ModemUnavailableError, match="needs re-opening"):
        await modem.send_sms(NUMBER, "gone")
    assert sim.sent == []


async def test_device_disappearing_during_a_send_before_the_body(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    modem = await ready(sim, open_modem)
    sim.faults.delay = 0.5  # the prompt is late ...
    send = asyncio.create_task(modem.send_sms(NUMBER, "gone"))
    await asyncio.wait_for(until_command(sim, "AT+CMGS"), 5.0)
    sim.unplug()  # ... and the stick vanishes before it comes: nothing was handed over
    with pytest.raises(ModemUnavailableError):
        await asyncio.wait_for(send, 5.0)
    assert sim.sent == []


async def test_device_disappearing_after_the_body_is_an_unknown_outcome(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    modem = await ready(sim, open_modem)
    sim.faults.silent_after_body = True
    send = asyncio.create_task(modem.send_sms(NUMBER, "in flight"))
    await sim.wait_sent(1)  # the body reached the modem ...
    sim.unplug()  # ... which vanished before answering
    with pytest.raises(SendOutcomeUnknownError, match="may have been sent"):
        await asyncio.wait_for(send, 5.0)


async def until_command(sim: ModemSimulator, prefix: str) -> None:
    while True:  # polled under the caller's deadline
        if any(c.startswith(prefix) for c in sim.commands):
            return
        await asyncio.sleep(0.01)


async def test_a_second_opener_is_refused(sim: ModemSimulator, open_modem: OpenModem) -> None:
    await ready(sim, open_modem)
    with pytest.raises(ModemUnavailableError, match="cannot open"):
        await open_modem(sim)  # another listener on the same modem would interleave commands


async def test_cpin_query_refused_without_a_code_is_not_fatal(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    sim.profile = "huawei"
    sim.unsupported.add("AT+CPIN?")  # a firmware without it answers COMMAND NOT SUPPORT
    modem = await ready(sim, open_modem)
    assert modem.snapshot().sim == "unknown"


async def test_errors_in_text_mode_do_not_carry_the_full_number(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    modem = await open_modem(sim, mode="text", timeouts=ModemTimeouts(**{**FAST.__dict__, "prompt": 0.3}))
    await modem.initialise()
    sim.faults.silent = True
    with pytest.raises(ModemUnavailableError, match=r"no '> ' prompt") as caught:
        await modem.send_sms(NUMBER, "hello")
    assert NUMBER not in str(caught.value)
    assert "4567" in str(caught.value)
