"""The dialogue layer and the driver against recorded exchanges of real modem models.

The exchanges are written down from the manufacturers' AT manuals (response formats, result codes,
unsolicited reports) and the behaviours documented in the modem issue:
- Huawei E173 / E3372 (3G): "HUAWEI UMTS M2M Module AT Command Interface Specification" (EM770W,
  issue 18) and "HUAWEI MU509 AT Command Interface Specification" (issue 04): echo on at power-up,
  `^RSSI:`/`^MODE:`/`^BOOT:` unsolicited reports at any time, unknown commands answered with
  `COMMAND NOT SUPPORT` (AT+CEREG? on a 3G-only stick).
- Quectel EC25 (LTE): "Quectel EC25&EC21 AT Commands Manual" V1.3 (+CPIN/+CREG/+CEREG/+CSQ/+COPS
  formats, `+QIND: SMS DONE` after boot, AT+CMGS PDU-mode example, +CMS ERROR: 500 for an unknown
  error), with an LTE-only registration (+CREG: 0,0 and +CEREG: 0,1).
- SIMCom SIM800 (2G): "SIM800 Series AT Command Manual" V1.09 (`Call Ready`/`SMS Ready` after boot,
  AT+CEREG? unknown -> ERROR, text-mode AT+CMGS example, roaming +CREG: 0,5).
- Wavecom Q2438/Fastrack: `+CPIN: READY` without a final OK (gammu and smstools3 workarounds).
"""

from __future__ import annotations

import asyncio

import pytest

from listener.modem.codes import CAPPED_ATTEMPTS
from listener.modem.dialogue import CommandFailedError, Dialogue, UnsolicitedEvent
from listener.modem.errors import (
    ModemNotRespondingError,
    ModemUnavailableError,
    PermanentSendError,
    SendOutcomeUnknownError,
    SimPinError,
    TransientSendError,
)
from listener.modem.pdu import build_submit
from listener.modem.protocol import ModemProtocol
from tests.unit.modem.scripted import ScriptedTransport, lines, ok, scripted_modem

NUMBER = "+15551234567"


def pdu_step(text: str, answer: bytes) -> list[tuple[bytes, bytes]]:
    (pdu,) = build_submit(NUMBER, text)
    return [
        (f"AT+CMGS={pdu.tpdu_length}\r".encode(), answer),
        (pdu.hex.encode() + b"\x1a", ok("+CMGS: 7")),
    ]


def drain(queue: asyncio.Queue[UnsolicitedEvent]) -> list[str]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait().line)
    return events


HUAWEI_E173_INIT = [
    (b"AT\r", b"AT\r" + ok()),  # echo is on at power-up
    (b"ATE0\r", b"ATE0\r" + ok()),
    (b"AT+CMEE=1\r", ok()),
    (b"AT+CPIN?\r", ok("+CPIN: READY")),
    (b"AT+CREG?\r", lines("^RSSI:14") + ok("+CREG: 0,1")),
    (b"AT+CEREG?\r", lines("COMMAND NOT SUPPORT")),
    (b"AT+CSQ\r", lines("^BOOT:20952548,0,0,0,72") + ok("+CSQ: 14,99")),
    (b"AT+COPS?\r", ok('+COPS: 0,0,"T-Mobile",2')),
    (b"AT+CMGF=0\r", ok()),
]


async def test_huawei_e173_init_and_send_with_unsolicited_codes_before_the_prompt() -> None:
    steps = [*HUAWEI_E173_INIT, *pdu_step("Hello from the E173", lines("^MODE:5,4") + b"\r\n> ")]
    modem, transport = scripted_modem(steps)
    await modem.initialise()
    result = await modem.send_sms(NUMBER, "Hello from the E173")
    assert result.reference == "7"
    assert result.parts == 1
    assert transport.unexpected == []
    assert transport.steps == []
    health = modem.snapshot()
    assert (health.registered, health.registration, health.signal, health.signal_word) == (
        True,
        "home",
        14,
        "ok",
    )
    assert health.operator == "T-Mobile"
    assert drain(modem.events) == ["^RSSI:14", "^BOOT:20952548,0,0,0,72", "^MODE:5,4"]


QUECTEL_EC25_INIT = [
    (b"AT\r", lines("+QIND: SMS DONE") + ok()),
    (b"ATE0\r", ok()),
    (b"AT+CMEE=1\r", ok()),
    (b"AT+CPIN?\r", ok("+CPIN: READY")),
    (b"AT+CREG?\r", ok("+CREG: 0,0")),  # LTE-only: not registered for circuit-switched services
    (b"AT+CEREG?\r", ok("+CEREG: 0,1")),
    (b"AT+CSQ\r", ok("+CSQ: 23,99")),
    (b"AT+COPS?\r", ok('+COPS: 0,0,"Verizon Wireless",7')),
    (b"AT+CMGF=0\r", ok()),
]


async def test_quectel_ec25_lte_only_registration_and_a_transient_error() -> None:
    (pdu,) = build_submit(NUMBER, "second")
    steps = [
        *QUECTEL_EC25_INIT,
        *pdu_step("first", b"\r\n> "),
        (f"AT+CMGS={pdu.tpdu_length}\r".encode(), b"\r\n> "),
        (pdu.hex.encode() + b"\x1a", lines("+CMS ERROR: 500")),
    ]
    modem, transport = scripted_modem(steps)
    await modem.initialise()
    assert modem.snapshot().registration == "home"
    assert (await modem.send_sms(NUMBER, "first")).reference == "7"
    with pytest.raises(TransientSendError) as caught:
        await modem.send_sms(NUMBER, "second")
    assert caught.value.code == 500
    assert caught.value.max_attempts == CAPPED_ATTEMPTS
    assert modem.usable  # a refused message does not make the modem suspect
    assert transport.unexpected == []
    assert transport.steps == []
    assert drain(modem.events) == ["+QIND: SMS DONE"]


SIM800_INIT = [
    (b"AT\r", lines("Call Ready", "SMS Ready") + b"AT\r" + ok()),
    (b"ATE0\r", b"ATE0\r" + ok()),
    (b"AT+CMEE=1\r", ok()),
    (b"AT+CPIN?\r", ok("+CPIN: READY")),
    (b"AT+CREG?\r", ok("+CREG: 0,5")),
    (b"AT+CEREG?\r", lines("ERROR")),
    (b"AT+CSQ\r", ok("+CSQ: 9,0")),
    (b"AT+COPS?\r", ok('+COPS: 0,0,"AT&T"')),
    (b"AT+CMGF=1\r", ok()),
]


async def test_sim800_text_mode_send_and_a_permanent_error() -> None:
    steps = [
        *SIM800_INIT,
        (f'AT+CMGS="{NUMBER}"\r'.encode(), b"\r\n> "),
        (b"See you at 10!\x1a", ok("+CMGS: 3")),
        (f'AT+CMGS="{NUMBER}"\r'.encode(), b"\r\n> "),
        (b"Second try\x1a", lines("+CMS ERROR: 21")),
    ]
    modem, transport = scripted_modem(steps, mode="text")
    await modem.initialise()
    health = modem.snapshot()
    assert (health.registration, health.signal_word, health.operator) == ("roaming", "marginal", "AT&T")
    result = await modem.send_sms(NUMBER, "See you at 10!")
    assert (result.reference, result.mode) == ("3", "text")
    with pytest.raises(PermanentSendError, match=r"\+CMS ERROR: 21 \(short message transfer rejected\)"):
        await modem.send_sms(NUMBER, "Second try")
    assert transport.unexpected == []
    assert transport.steps == []
    assert drain(modem.events) == ["Call Ready", "SMS Ready"]


async def test_reference_with_a_service_centre_time_stamp() -> None:
    # TS 27.005 §3.5.1: with AT+CSMS=1 text mode answers `+CMGS: <mr>,<scts>`.
    steps = [
        *SIM800_INIT,
        (f'AT+CMGS="{NUMBER}"\r'.encode(), b"\r\n> "),
        (b"Stamped\x1a", ok('+CMGS: 18,"26/11/29,03:00:00+00"')),
    ]
    modem, _ = scripted_modem(steps, mode="text")
    await modem.initialise()
    assert (await modem.send_sms(NUMBER, "Stamped")).reference == "18"


async def test_text_mode_modem_switches_to_pdu_for_unicode() -> None:
    (pdu,) = build_submit(NUMBER, "Café ☕")
    steps = [
        *SIM800_INIT,
        (b"AT+CMGF=0\r", ok()),
        (f"AT+CMGS={pdu.tpdu_length}\r".encode(), b"\r\n> "),
        (pdu.hex.encode() + b"\x1a", ok("+CMGS: 4")),
    ]
    modem, transport = scripted_modem(steps, mode="text")
    await modem.initialise()
    result = await modem.send_sms(NUMBER, "Café ☕")
    assert (result.mode, result.alphabet) == ("pdu", "ucs2")
    assert transport.unexpected == []
    assert transport.steps == []


async def test_wavecom_cpin_ready_without_ok() -> None:
    steps = [
        (b"AT\r", ok()),
        (b"ATE0\r", ok()),
        (b"AT+CMEE=1\r", ok()),
        (b"AT+CPIN?\r", lines("+CPIN: READY")),  # and nothing else
        (b"AT+CREG?\r", ok("+CREG: 0,1")),
        (b"AT+CEREG?\r", lines("ERROR")),
        (b"AT+CSQ\r", ok("+CSQ: 31,99")),
        (b"AT+COPS?\r", ok('+COPS: 0,0,"Orange F"')),
        (b"AT+CMGF=0\r", ok()),
    ]
    modem, transport = scripted_modem(steps)
    await modem.initialise()
    assert modem.snapshot().sim == "READY"
    assert transport.steps == []
    assert transport.unexpected == []


async def test_sim_pin_is_entered_and_never_shown() -> None:
    steps = [
        (b"AT\r", ok()),
        (b"ATE0\r", ok()),
        (b"AT+CMEE=1\r", ok()),
        (b"AT+CPIN?\r", ok("+CPIN: SIM PIN")),
        (b'AT+CPIN="4321"\r', ok()),
        (b"AT+CPIN?\r", ok("+CPIN: READY")),
        *HUAWEI_E173_INIT[4:],
    ]
    modem, transport = scripted_modem(steps, pin="4321", registration_poll=0.01)
    await modem.initialise()
    assert transport.steps == []
    assert transport.unexpected == []


async def test_wrong_pin_is_reported_and_forgotten() -> None:
    steps = [
        (b"AT\r", ok()),
        (b"ATE0\r", ok()),
        (b"AT+CMEE=1\r", ok()),
        (b"AT+CPIN?\r", ok("+CPIN: SIM PIN")),
        (b'AT+CPIN="1111"\r', lines("+CME ERROR: 16")),
    ]
    modem, _ = scripted_modem(steps, pin="1111")
    with pytest.raises(SimPinError, match="refused the configured PIN") as caught:
        await modem.initialise()
    assert caught.value.pin_rejected
    assert "1111" not in str(caught.value)


async def test_sim_asking_for_a_pin_without_one_configured() -> None:
    steps = [
        (b"AT\r", ok()),
        (b"ATE0\r", ok()),
        (b"AT+CMEE=1\r", ok()),
        (b"AT+CPIN?\r", ok("+CPIN: SIM PIN")),
    ]
    modem, _ = scripted_modem(steps)
    with pytest.raises(SimPinError, match="set MODEM_PIN"):
        await modem.initialise()


async def test_registration_denied_is_modem_trouble() -> None:
    steps = [
        *QUECTEL_EC25_INIT[:4],
        (b"AT+CREG?\r", ok("+CREG: 0,3")),
        (b"AT+CEREG?\r", ok("+CEREG: 0,3")),
    ]
    modem, _ = scripted_modem(steps)
    with pytest.raises(ModemUnavailableError, match="denied registration"):
        await modem.initialise()


async def test_error_before_the_prompt_means_nothing_was_sent() -> None:
    (pdu,) = build_submit(NUMBER, "x")
    steps = [*HUAWEI_E173_INIT, (f"AT+CMGS={pdu.tpdu_length}\r".encode(), lines("+CMS ERROR: 330"))]
    modem, _ = scripted_modem(steps)
    await modem.initialise()
    with pytest.raises(ModemUnavailableError, match="SMSC address unknown"):
        await modem.send_sms(NUMBER, "x")


async def test_no_answer_after_the_body_is_an_unknown_outcome() -> None:
    (pdu,) = build_submit(NUMBER, "x")
    steps = [
        *HUAWEI_E173_INIT,
        (f"AT+CMGS={pdu.tpdu_length}\r".encode(), b"\r\n> "),
        (pdu.hex.encode() + b"\x1a", b""),
    ]
    modem, _ = scripted_modem(steps, send=0.2)
    await modem.initialise()
    with pytest.raises(SendOutcomeUnknownError, match="may have been sent"):
        await modem.send_sms(NUMBER, "x")
    assert not modem.usable
    with pytest.raises(ModemNotRespondingError, match="needs re-opening"):
        await modem.send_sms(NUMBER, "y")


async def test_missing_prompt_cancels_with_escape_and_nothing_was_sent() -> None:
    (pdu,) = build_submit(NUMBER, "x")
    steps = [*HUAWEI_E173_INIT, (f"AT+CMGS={pdu.tpdu_length}\r".encode(), b""), (b"\x1b", b"")]
    modem, transport = scripted_modem(steps, prompt=0.2)
    await modem.initialise()
    with pytest.raises(ModemUnavailableError, match="no '> ' prompt"):
        await modem.send_sms(NUMBER, "x")
    assert transport.steps == []  # the ESC was written


# -- the dialogue layer alone -----------------------------------------------------------------------


def make_dialogue() -> tuple[Dialogue, list[UnsolicitedEvent], list[bytes]]:
    written: list[bytes] = []
    events: list[UnsolicitedEvent] = []
    dialogue = Dialogue(written.append, on_event=events.append)
    return dialogue, events, written


async def written_soon(written: list[bytes]) -> None:
    """Wait (with a deadline) until the command under test has been written."""

    async def poll() -> None:
        while True:
            if written:
                return
            await asyncio.sleep(0)

    await asyncio.wait_for(poll(), 2.0)


async def test_unsolicited_flood_does_not_extend_the_deadline() -> None:
    dialogue, events, _ = make_dialogue()

    async def flood() -> None:
        while True:
            dialogue.line_received("^RSSI: 17")
            await asyncio.sleep(0.01)

    flooding = asyncio.create_task(flood())
    try:
        with pytest.raises(ModemNotRespondingError, match=r"no answer within 0\.3 s"):
            # If the flood extended the deadline, the outer guard would fire instead (TimeoutError).
            await asyncio.wait_for(dialogue.command("AT+CSQ", deadline=0.3, expect="+CSQ"), 5.0)
    finally:
        flooding.cancel()
    assert len(events) > 3
    assert {e.code for e in events} == {"^RSSI"}


async def test_late_answer_after_a_timeout_is_not_taken_for_the_next_command() -> None:
    dialogue, _, _ = make_dialogue()
    with pytest.raises(ModemNotRespondingError):
        await dialogue.command("AT+COPS?", deadline=0.05, expect="+COPS")
    dialogue.line_received('+COPS: 0,0,"Late"')
    dialogue.line_received("OK")
    assert dialogue.stray_finals == 1


async def test_other_commands_information_lines_are_events_while_expecting_a_prefix() -> None:
    dialogue, events, written = make_dialogue()
    task = asyncio.create_task(dialogue.command("AT+CSQ", deadline=1.0, expect="+CSQ"))
    await written_soon(written)
    for line in ('+CMTI: "SM",3', "RING", "+CSQ: 20,99", "+CDS: 6,12", "OK"):
        dialogue.line_received(line)
    response = await task
    assert response.lines == ("+CSQ: 20,99",)
    assert [e.code for e in events] == ["+CMTI", "RING", "+CDS"]


async def test_error_final_codes_raise_with_the_response() -> None:
    dialogue, _, written = make_dialogue()
    task = asyncio.create_task(dialogue.command("AT+CEREG?", deadline=1.0, expect="+CEREG"))
    await written_soon(written)
    dialogue.line_received("COMMAND NOT SUPPORT")
    with pytest.raises(CommandFailedError) as caught:
        await task
    assert caught.value.response.final == "COMMAND NOT SUPPORT"


async def test_device_lost_fails_the_pending_command() -> None:
    dialogue, _, written = make_dialogue()
    protocol = ModemProtocol(dialogue)
    task = asyncio.create_task(dialogue.command("AT", deadline=5.0))
    await written_soon(written)
    protocol.connection_lost(OSError(5, "Input/output error"))
    with pytest.raises(ModemNotRespondingError, match="device closed"):
        await task
    with pytest.raises(ModemNotRespondingError):
        await dialogue.command("AT", deadline=1.0)


def test_scripted_transport_reports_unexpected_writes() -> None:
    async def run() -> list[bytes]:
        protocol = asyncio.Protocol()
        transport = ScriptedTransport(protocol, [(b"AT\r", b"")])
        transport.write(b"ATZ\r")
        return transport.unexpected

    assert asyncio.run(run()) == [b"ATZ\r"]
