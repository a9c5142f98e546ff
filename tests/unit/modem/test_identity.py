"""Reading the SIM's identity (listener.modem.identity) from the answers of real models.

Answer formats as the models' AT manuals show them (Huawei `^ICCID: 98...` is EF_ICCID's raw BCD,
nibble-swapped, as ts-gsm-modem and Asterisk's chan_dongle unswap it; SIM800's AT+CCID is the bare
digits; Quectel `+QCCID:`; SIMCom SIM7600 `AT+CICCID` -> `+ICCID:`; Sierra `AT!ICCID?` -> `ICCID:`;
Telit `#CCID:`; 3GPP TS 27.007 AT+CRSM READ BINARY of EF_ICCID)."""

from __future__ import annotations

import pytest

from listener.modem.dialogue import Response
from listener.modem.identity import (
    CCID,
    CRSM_ICCID,
    DEFAULT_ICCID_ORDER,
    HUAWEI_ICCID,
    QUECTEL_QCCID,
    SIERRA_ICCID,
    SIMCOM_CICCID,
    TELIT_CCID,
    IccidCommand,
    clean_iccid,
    iccid_order,
    parse_cnum,
    parse_iccid,
    parse_imsi,
    parse_text,
)
from listener.modem.simulator.sim_card import luhn_digit
from tests.unit.modem.scripted import ok, scripted_modem

ICCID = "8901410321111851072"  # 19 digits, Luhn-valid
SWAPPED = "981014301211811570F2"  # the same ICCID as EF_ICCID stores it: nibbles swapped, F-padded


def answer(*lines: str, command: str = "AT") -> Response:
    return Response(command=command, lines=tuple(lines), final="OK")


def test_the_sample_iccid_is_luhn_valid_and_its_swapped_form_is_right() -> None:
    assert luhn_digit(ICCID[:-1]) == ICCID[-1]
    assert clean_iccid(SWAPPED) == ICCID


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (CCID, f"+CCID: {ICCID}"),  # u-blox, Quectel's AT+CCID
        (CCID, f'+CCID: "{ICCID}"'),  # Wavecom quotes it
        (CCID, ICCID),  # SIM800: the bare digits
        (CCID, f"{ICCID}F"),  # padded with F
        (HUAWEI_ICCID, f"^ICCID: {SWAPPED}"),  # Huawei: swapped BCD
        (HUAWEI_ICCID, f"^ICCID: {ICCID}"),  # newer Huawei firmware: already readable
        (QUECTEL_QCCID, f"+QCCID: {ICCID}"),
        (SIMCOM_CICCID, f"+ICCID: {ICCID}"),
        (SIERRA_ICCID, f"ICCID: {ICCID}"),
        (TELIT_CCID, f"#CCID: {ICCID}"),
        (CRSM_ICCID, f'+CRSM: 144,0,"{SWAPPED}"'),
    ],
)
def test_iccid_answers_of_each_model(command: IccidCommand, line: str) -> None:
    assert parse_iccid(answer(line, command=command.command), command) == ICCID


@pytest.mark.parametrize(
    ("command", "line"),
    [
        (CCID, "+CCID: "),  # no SIM file read
        (CCID, "+CCID: 1234"),  # too short to be an ICCID
        (CCID, "+CCID: 12345678901234567890"),  # 20 digits but not 89 (telecom) first
        (CRSM_ICCID, '+CRSM: 106,130,""'),  # 6A82: file not found
        (CCID, "+CCID: 8901ZZ0321111851072"),
    ],
)
def test_what_is_not_an_iccid_is_none(command: IccidCommand, line: str) -> None:
    assert parse_iccid(answer(line), command) is None


@pytest.mark.parametrize(
    "lines",
    [("310150123456789",), ("+CIMI: 310150123456789",), ('"310150123456789"',)],
)
def test_imsi(lines: tuple[str, ...]) -> None:
    assert parse_imsi(answer(*lines)) == "310150123456789"


def test_no_imsi_is_none() -> None:
    assert parse_imsi(answer()) is None
    assert parse_imsi(answer("SIM not inserted")) is None


@pytest.mark.parametrize(
    ("lines", "number"),
    [
        (('+CNUM: "","+15551234567",145',), "+15551234567"),
        (('+CNUM: "","15551234567",145',), "+15551234567"),  # type 145 is international: + added
        (('+CNUM: "My, number","+15551234567",145,7,4',), "+15551234567"),  # comma in the alpha
        (('+CNUM: "Voice","",129', '+CNUM: "Data","+15557654321",145'), "+15557654321"),
        (('+CNUM: ,"5551234567",129',), "5551234567"),  # national number stays as given
        (('+CNUM: "","002B00310035003500350031003200330034",145',), "+15551234"),  # AT+CSCS="UCS2"
    ],
)
def test_own_number(lines: tuple[str, ...], number: str) -> None:
    assert parse_cnum(answer(*lines)) == number


@pytest.mark.parametrize("lines", [(), ('+CNUM: "","",129',), ('+CNUM: ""',)])
def test_a_sim_without_its_number_is_unknown_not_an_error(lines: tuple[str, ...]) -> None:
    assert parse_cnum(answer(*lines)) is None


@pytest.mark.parametrize(
    ("lines", "prefix", "text"),
    [
        (("huawei",), "+CGMI", "huawei"),
        (("+CGMI: Quectel",), "+CGMI", "Quectel"),
        (("Manufacturer: Simulated",), "+CGMI", "Simulated"),
        (("SIMCOM_Ltd",), "+CGMI", "SIMCOM_Ltd"),
        (("+CGSN: 356938035643809",), "+CGSN", "356938035643809"),
    ],
)
def test_manufacturer_model_and_imei_lines(lines: tuple[str, ...], prefix: str, text: str) -> None:
    assert parse_text(answer(*lines), prefix) == text


@pytest.mark.parametrize(
    ("manufacturer", "first"),
    [
        ("huawei", HUAWEI_ICCID),
        ("Quectel", QUECTEL_QCCID),
        ("SIMCOM_Ltd", CCID),
        ("Sierra Wireless, Incorporated", SIERRA_ICCID),
        ("Telit", TELIT_CCID),
        ("u-blox", CCID),
        (None, CCID),
    ],
)
def test_iccid_command_order_follows_the_manufacturer(manufacturer: str | None, first: IccidCommand) -> None:
    order = iccid_order(manufacturer)
    assert order[0] is first
    assert order[-1] is CRSM_ICCID  # the standard restricted SIM access is the last resort everywhere


async def test_reading_tolerates_refusals_and_tries_the_next_iccid_command() -> None:
    """An unknown modem: AT+CCID and AT+ICCID refused, AT+QCCID answers; AT+CNUM refused (no number)."""
    assert [c.command for c in DEFAULT_ICCID_ORDER[:3]] == ["AT+CCID", "AT+ICCID", "AT+QCCID"]
    modem, transport = scripted_modem(
        [
            (b"AT+CGMI\r", ok("Acme")),
            (b"AT+CGMM\r", ok("X1")),
            (b"AT+CGSN\r", b"\r\nERROR\r\n"),
            (b"AT+CIMI\r", ok("001010123456789")),
            (b"AT+CCID\r", b"\r\nERROR\r\n"),
            (b"AT+ICCID\r", b"\r\n+CME ERROR: 100\r\n"),
            (b"AT+QCCID\r", ok(f"+QCCID: {ICCID}")),
            (b"AT+CNUM\r", b"\r\n+CME ERROR: 4\r\n"),
        ]
    )
    modem.state.initialised = True
    identity = await modem.read_identity()
    assert transport.unexpected == []
    assert transport.steps == []
    assert (identity.imsi, identity.iccid, identity.own_number) == ("001010123456789", ICCID, None)
    assert (identity.manufacturer, identity.model, identity.imei) == ("Acme", "X1", None)
    assert identity.iccid_command == "AT+QCCID"
    assert identity.known


async def test_a_huawei_stick_is_asked_its_own_way_first() -> None:
    modem, transport = scripted_modem(
        [
            (b"AT+CGMI\r", ok("huawei")),
            (b"AT+CGMM\r", ok("E3372")),
            (b"AT+CGSN\r", ok("356938035643809")),
            (b"AT+CIMI\r", ok("001010123456789")),
            (b"AT^ICCID?\r", ok(f"^ICCID: {SWAPPED}")),
            (b"AT+CNUM\r", ok()),
        ]
    )
    identity = await modem.read_identity()
    assert transport.unexpected == []
    assert (identity.iccid, identity.iccid_command, identity.own_number) == (ICCID, "AT^ICCID?", None)
    assert identity.modem_details("/dev/ttyUSB0")["imei"] == "356938035643809"
    assert "001010123456789" not in str(identity.masked())


async def test_a_modem_that_knows_nothing_gives_an_unknown_identity() -> None:
    refused = b"\r\nCOMMAND NOT SUPPORT\r\n"
    steps = [(f"{c}\r".encode(), refused) for c in ("AT+CGMI", "AT+CGMM", "AT+CGSN", "AT+CIMI")]
    steps += [(f"{c.command}\r".encode(), refused) for c in DEFAULT_ICCID_ORDER]
    steps += [(b"AT+CNUM\r", refused)]
    modem, transport = scripted_modem(steps)
    identity = await modem.read_identity()
    assert transport.unexpected == []
    assert not identity.known
    assert identity.iccid_command is None
