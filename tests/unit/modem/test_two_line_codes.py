"""`+CMT: ,<len>` / `+CDS: <len>` and their PDU line are one event, however the bytes are cut and
wherever they land: in the middle of another command's answer, or between AT+CMGS and its prompt."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from listener.modem.dialogue import (
    CommandFailedError,
    Dialogue,
    Response,
    UnsolicitedEvent,
    is_two_line_header,
)
from listener.modem.protocol import ModemProtocol
from listener.modem.simulator.pdus import build_deliver, build_status_report

AT = datetime(2026, 12, 3, 9, 30, 15, tzinfo=UTC)
#: An SMS-DELIVER "hello" from +15557654321, as +CMT delivers it (with the SMSC field).
(_DELIVER,) = build_deliver("+15557654321", "hello", timestamp=AT)
DELIVER = _DELIVER.hex
#: A status report (TP-MR 9, delivered), as +CDS delivers it.
_REPORT = build_status_report(9, "+15551234567", 0, timestamp=AT, discharge_time=AT)
REPORT = _REPORT.hex

#: AT+CSQ answered with a direct delivery before its OK.
IN_ANSWER = f"\r\n+CSQ: 21,99\r\n\r\n+CMT: ,{_DELIVER.tpdu_length}\r\n{DELIVER}\r\n\r\nOK\r\n".encode()
#: AT+CMGS=<n> with a status report between the command and its prompt.
BEFORE_PROMPT = f"\r\n+CDS: {_REPORT.tpdu_length}\r\n{REPORT}\r\n\r\n> ".encode()


def wired() -> tuple[Dialogue, ModemProtocol, list[UnsolicitedEvent], list[bytes]]:
    written: list[bytes] = []
    events: list[UnsolicitedEvent] = []
    dialogue = Dialogue(written.append, on_event=events.append)
    return dialogue, ModemProtocol(dialogue), events, written


async def run_command(chunks: list[bytes]) -> tuple[Response, list[UnsolicitedEvent]]:
    dialogue, protocol, events, _ = wired()
    task = asyncio.create_task(dialogue.command("AT+CSQ", deadline=1.0, expect="+CSQ"))
    await asyncio.sleep(0)  # the command is written and waits for its answer
    for chunk in chunks:
        protocol.data_received(chunk)
    return await task, events


@pytest.mark.parametrize("cut", range(len(IN_ANSWER) + 1))
async def test_direct_delivery_inside_an_answer_cut_anywhere(cut: int) -> None:
    response, events = await run_command([IN_ANSWER[:cut], IN_ANSWER[cut:]])
    assert response.lines == ("+CSQ: 21,99",)
    assert response.final == "OK"
    assert [(e.code, e.value, e.body) for e in events] == [("+CMT", f",{_DELIVER.tpdu_length}", DELIVER)]


async def test_direct_delivery_inside_an_answer_byte_by_byte() -> None:
    response, events = await run_command([bytes([b]) for b in IN_ANSWER])
    assert response.lines == ("+CSQ: 21,99",)
    assert [e.body for e in events] == [DELIVER]


@pytest.mark.parametrize("cut", range(len(BEFORE_PROMPT) + 1))
async def test_status_report_between_cmgs_and_its_prompt_cut_anywhere(cut: int) -> None:
    dialogue, protocol, events, written = wired()
    task = asyncio.create_task(
        dialogue.command_with_body(
            "AT+CMGS=20", b"00AB", prompt_timeout=1.0, result_timeout=1.0, expect="+CMGS"
        )
    )
    await asyncio.sleep(0)
    protocol.data_received(BEFORE_PROMPT[:cut])
    protocol.data_received(BEFORE_PROMPT[cut:])
    for _ in range(20):  # a few turns of the loop: the prompt wakes the sender, which writes the body
        if written[-1] == b"00AB\x1a":
            break
        await asyncio.sleep(0)
    assert written[-1] == b"00AB\x1a"  # the prompt was recognised after the two-line code
    protocol.data_received(b"\r\n+CMGS: 12\r\n\r\nOK\r\n")
    response = await task
    assert response.lines == ("+CMGS: 12",)
    assert [(e.code, e.value, e.body) for e in events] == [("+CDS", str(_REPORT.tpdu_length), REPORT)]


async def test_idle_direct_deliveries_back_to_back() -> None:
    _, protocol, events, _ = wired()
    protocol.data_received(f"\r\n+CMT: ,24\r\n{DELIVER}\r\n\r\n+CDS: 25\r\n{REPORT}\r\n".encode())
    assert [(e.code, e.body) for e in events] == [("+CMT", DELIVER), ("+CDS", REPORT)]


async def test_a_header_without_its_pdu_does_not_swallow_the_final_code() -> None:
    dialogue, protocol, events, _ = wired()
    task = asyncio.create_task(dialogue.command("AT+CSQ", deadline=1.0, expect="+CSQ"))
    await asyncio.sleep(0)
    protocol.data_received(b"\r\n+CSQ: 21,99\r\n\r\n+CMT: ,24\r\n\r\nOK\r\n")
    response = await task
    assert response.final == "OK"
    assert [(e.code, e.body) for e in events] == [("+CMT", None)]


async def test_a_header_then_an_error_final() -> None:
    dialogue, protocol, events, _ = wired()
    task = asyncio.create_task(dialogue.command("AT+CMGL=4", deadline=1.0, expect="+CMGL"))
    await asyncio.sleep(0)
    protocol.data_received(b"\r\n+CDS: 25\r\n+CMS ERROR: 321\r\n")
    with pytest.raises(CommandFailedError):
        await task
    assert [e.code for e in events] == ["+CDS"]


async def test_text_mode_codes() -> None:
    _, protocol, events, _ = wired()
    protocol.data_received(b'\r\n+CMT: "+15557654321","","26/12/03,09:30:15-20"\r\nSTOP please\r\n')
    protocol.data_received(
        b'\r\n+CDS: 6,9,"+15551234567",145,"26/12/03,09:30:15-20","26/12/03,09:30:16-20",0\r\n'
    )
    assert [(e.code, e.body) for e in events] == [("+CMT", "STOP please"), ("+CDS", None)]


@pytest.mark.parametrize(
    ("line", "two_lines"),
    [
        ("+CMT: ,24", True),
        ('+CMT: "Mom",24', True),
        ('+CMT: "+15557654321","","26/12/03,09:30:15-20"', True),
        ("+CDS: 25", True),
        ('+CDS: 6,9,"+15551234567",145', False),
        ('+CMTI: "SM",3', False),
        ('+CDSI: "SR",1', False),
    ],
)
def test_which_codes_take_two_lines(line: str, two_lines: bool) -> None:
    assert is_two_line_header(line) is two_lines
