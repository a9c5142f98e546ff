"""Which SIM is in the modem: IMSI, ICCID and (where the SIM knows it) its own number.

A bank of modems routes every recipient to one SIM (issue 14), so each listener must know which SIM it
drives. The modem is asked once per bring-up, after the SIM is ready (`ResilientModem` does it after
every (re)connection: a SIM may have been swapped while the modem was away):

- IMSI: `AT+CIMI` (standard 3GPP TS 27.007; the answer is the bare digits, a few firmwares prefix
  `+CIMI:`).
- ICCID: there is no standard command, so the vendor's spelling is tried in an order chosen from
  `AT+CGMI` (the manufacturer): `AT+CCID` (u-blox, SIMCom SIM800, Wavecom), `AT^ICCID?` (Huawei, which
  answers the raw nibble-swapped BCD of EF_ICCID), `AT+QCCID` (Quectel), `AT+CICCID` / `AT+ICCID`
  (SIMCom SIM7x00, some Sierra), `AT!ICCID?` (Sierra), `AT#CCID` (Telit), and last `AT+CRSM=176,12258,...`
  (restricted SIM access: EF_ICCID read directly, swapped). An ERROR or `COMMAND NOT SUPPORT` only means
  "try the next one".
- Own number: `AT+CNUM` (the SIM's MSISDN record). Many prepaid SIMs have none: an empty answer or an
  error is "unknown", not a failure; `SIM_NUMBER` then tells the listener (`listener.bank`).
- The modem itself: `AT+CGMI`, `AT+CGMM`, `AT+CGSN` (IMEI), for the sender row's `modem` details.

Nothing here raises for a refused command; only a modem that stops answering (ModemNotRespondingError,
from the link) interrupts the reading, as it would any command.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from listener.modem.dialogue import CommandFailedError, Response
from listener.modem.link import ModemLink
from sms_common.logs import get_logger, mask_phone

log = get_logger(__name__)


@dataclass(frozen=True)
class IccidCommand:
    """One way of asking for the ICCID: the command and the prefix of its answer line."""

    command: str
    prefix: str
    #: The answer is EF_ICCID's raw BCD, nibbles swapped (`98...` for `89...`).
    swapped: bool = False


CCID = IccidCommand("AT+CCID", "+CCID")
HUAWEI_ICCID = IccidCommand("AT^ICCID?", "^ICCID")
QUECTEL_QCCID = IccidCommand("AT+QCCID", "+QCCID")
SIMCOM_CICCID = IccidCommand("AT+CICCID", "+ICCID")
ICCID = IccidCommand("AT+ICCID", "+ICCID")
SIERRA_ICCID = IccidCommand("AT!ICCID?", "ICCID")
TELIT_CCID = IccidCommand("AT#CCID", "#CCID")
#: Restricted SIM access: READ BINARY (176) of EF_ICCID (file id 0x2FE2 = 12258), 10 bytes.
CRSM_ICCID = IccidCommand("AT+CRSM=176,12258,0,0,10", "+CRSM", swapped=True)

#: The order to try, by a word of the manufacturer's name (AT+CGMI, lower case); the first match wins.
VENDOR_ICCID_ORDER: tuple[tuple[str, tuple[IccidCommand, ...]], ...] = (
    ("huawei", (HUAWEI_ICCID, CCID, CRSM_ICCID)),
    ("quectel", (QUECTEL_QCCID, CCID, CRSM_ICCID)),
    ("simcom", (CCID, SIMCOM_CICCID, ICCID, CRSM_ICCID)),
    ("sierra", (SIERRA_ICCID, ICCID, CCID, CRSM_ICCID)),
    ("telit", (TELIT_CCID, CCID, CRSM_ICCID)),
)
#: Any other manufacturer (or none known): the standard-looking ones first, then the vendors'.
DEFAULT_ICCID_ORDER: tuple[IccidCommand, ...] = (
    CCID,
    ICCID,
    QUECTEL_QCCID,
    HUAWEI_ICCID,
    SIMCOM_CICCID,
    CRSM_ICCID,
)


def iccid_order(manufacturer: str | None) -> tuple[IccidCommand, ...]:
    """The ICCID commands to try on a modem from `manufacturer`, in order."""
    name = (manufacturer or "").lower()
    for word, order in VENDOR_ICCID_ORDER:
        if word in name:
            return order
    return DEFAULT_ICCID_ORDER


@dataclass(frozen=True)
class SimIdentity:
    """What the modem said about its SIM and itself; None wherever it could not say."""

    imsi: str | None
    iccid: str | None
    #: The SIM's own number from AT+CNUM (E.164 where the SIM gave type 145); None: the SIM does not know.
    own_number: str | None
    manufacturer: str | None = None
    model: str | None = None
    imei: str | None = None
    #: The command that answered the ICCID (None: none did).
    iccid_command: str | None = None
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def known(self) -> bool:
        """The SIM can be told apart from others (by IMSI, else by ICCID)."""
        return bool(self.imsi or self.iccid)

    def modem_details(self, port: str) -> dict[str, Any]:
        """The `modem` jsonb of register_sender: the hardware this SIM sits in (no SIM identifiers)."""
        return {
            "port": port,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "imei": self.imei,
            "iccid_command": self.iccid_command,
            "identity_read_at": self.read_at.isoformat(),
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["read_at"] = self.read_at.isoformat()
        return data

    def masked(self) -> dict[str, str | None]:
        """For info-level logs: identifiers cut to their last four digits."""
        return {
            "imsi": mask_phone(self.imsi) if self.imsi else None,
            "iccid": mask_phone(self.iccid) if self.iccid else None,
            "own_number": mask_phone(self.own_number) if self.own_number else None,
        }


# -- parsing (pure, tested per model in tests/unit/modem/test_identity.py) -------------------------


def _unquote(text: str) -> str:
    return text.strip().strip('"').strip()


def _after_prefix(line: str, prefix: str) -> str | None:
    """The text after `<prefix>:` (case-insensitive), or None when the line does not carry it."""
    wanted = prefix.rstrip(":") + ":"
    if line.upper().startswith(wanted.upper()):
        return line[len(wanted) :].strip()
    return None


def parse_imsi(response: Response) -> str | None:
    """AT+CIMI: `310150123456789` (or `+CIMI: 310150123456789`); 6 to 15 digits (E.212)."""
    for line in response.lines:
        text = _unquote(_after_prefix(line, "+CIMI") or line)
        if text.isdigit() and 6 <= len(text) <= 15:
            return text
    return None


def unswap_bcd(text: str) -> str:
    """`981014...` -> `890141...`: swap each pair of nibbles (EF_ICCID as stored on the card)."""
    pairs = [text[i : i + 2] for i in range(0, len(text), 2)]
    return "".join(pair[::-1] for pair in pairs)


def clean_iccid(raw: str, *, swapped: bool = False) -> str | None:
    """An ICCID as printed on the card (18 to 22 digits, starting 89), or None if `raw` is not one.

    Padding `F`s are dropped. A value starting `98` is the raw swapped BCD (Huawei's ^ICCID on most
    firmwares, AT+CRSM always): an ICCID always starts with 89 (ITU-T E.118, telecom), so it is unswapped."""
    text = "".join(ch for ch in _unquote(raw) if ch.isalnum()).upper()
    if not text or any(ch not in "0123456789ABCDEF" for ch in text):
        return None
    if swapped or text.startswith("98"):
        text = unswap_bcd(text)
    text = text.rstrip("F")
    if not text.isdigit() or not 18 <= len(text) <= 22 or not text.startswith("89"):
        return None
    return text


def parse_iccid(response: Response, command: IccidCommand) -> str | None:
    """The ICCID in `command`'s answer: `<prefix>: <iccid>`, or the bare digits (SIM800's AT+CCID)."""
    for line in response.lines:
        value = _after_prefix(line, command.prefix)
        if command.prefix == "+CRSM":
            # +CRSM: <sw1>,<sw2>,"<response>"; sw1 144 (0x90) is success.
            if value is None:
                continue
            parts = [_unquote(part) for part in value.split(",")]
            if len(parts) >= 3 and parts[0] in ("144", "145"):
                return clean_iccid(parts[2], swapped=True)
            return None
        iccid = clean_iccid(value if value is not None else line, swapped=command.swapped)
        if iccid is not None:
            return iccid
    return None


def parse_cnum(response: Response) -> str | None:
    """AT+CNUM: `+CNUM: "<alpha>","<number>",<type>[,...]`, one line per number (voice, data, fax).

    The first line with a number wins; type 145 means international (a missing `+` is added). No line
    at all (prepaid SIMs without an MSISDN record) is None."""
    for line in response.lines:
        value = _after_prefix(line, "+CNUM")
        if value is None:
            continue
        fields = next(csv.reader([value], skipinitialspace=True), [])
        if len(fields) < 2:
            continue
        number = _decode_ucs2_number(fields[1].strip())
        if not number:
            continue
        number_type = fields[2].strip() if len(fields) > 2 else ""
        if number_type == "145" and not number.startswith("+"):
            number = "+" + number
        return number
    return None


def _decode_ucs2_number(text: str) -> str:
    """A number shown in UCS2 hex (AT+CSCS="UCS2": `002B0031...`) as digits; other text unchanged."""
    if len(text) >= 8 and len(text) % 4 == 0 and all(ch in "0123456789ABCDEFabcdef" for ch in text):
        try:
            decoded = bytes.fromhex(text).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return text
        if decoded and all(ch.isdigit() or ch in "+#*" for ch in decoded):
            return decoded
    return text


def parse_text(response: Response, prefix: str) -> str | None:
    """AT+CGMI / AT+CGMM / AT+CGSN: the first line, with a `<prefix>:` (or `Manufacturer:`) cut off."""
    for line in response.lines:
        text = _after_prefix(line, prefix)
        if text is None and ":" in line and line.split(":", 1)[0].strip().isalpha():
            text = line.split(":", 1)[1]  # ATI-style "Manufacturer: Simulated"
        text = _unquote(text if text is not None else line)
        if text:
            return text
    return None


# -- reading from a modem --------------------------------------------------------------------------


async def _ask(link: ModemLink, command: str, prefix: str, deadline: float) -> Response | None:
    """One query; a refusal (ERROR, +CME ERROR, COMMAND NOT SUPPORT) is None, a silent modem raises."""
    try:
        return await link.command(command, deadline=deadline, expect=prefix)
    except CommandFailedError as exc:
        log.debug("modem_identity_refused", port=link.port, command=command, answer=exc.response.final)
        return None


async def read_identity(link: ModemLink, deadline: float) -> SimIdentity:
    """Ask the modem who it is and which SIM it holds (see the module docstring)."""
    manufacturer = await _text(link, "AT+CGMI", "+CGMI", deadline)
    model = await _text(link, "AT+CGMM", "+CGMM", deadline)
    imei = await _text(link, "AT+CGSN", "+CGSN", deadline)
    if imei is not None and not imei.isdigit():
        imei = None
    response = await _ask(link, "AT+CIMI", "+CIMI", deadline)
    imsi = parse_imsi(response) if response is not None else None
    iccid: str | None = None
    iccid_command: str | None = None
    for command in iccid_order(manufacturer):
        response = await _ask(link, command.command, command.prefix, deadline)
        if response is None:
            continue
        iccid = parse_iccid(response, command)
        if iccid is not None:
            iccid_command = command.command
            break
    response = await _ask(link, "AT+CNUM", "+CNUM", deadline)
    own_number = parse_cnum(response) if response is not None else None
    identity = SimIdentity(
        imsi=imsi,
        iccid=iccid,
        own_number=own_number,
        manufacturer=manufacturer,
        model=model,
        imei=imei,
        iccid_command=iccid_command,
    )
    log.info(
        "modem_identity",
        port=link.port,
        manufacturer=manufacturer,
        model=model,
        iccid_command=iccid_command,
        number_known=own_number is not None,
        **identity.masked(),
    )
    if not identity.known:
        log.warning("modem_identity_unknown", port=link.port, reason="neither AT+CIMI nor an ICCID answered")
    return identity


async def _text(link: ModemLink, command: str, prefix: str, deadline: float) -> str | None:
    response = await _ask(link, command, prefix, deadline)
    return parse_text(response, prefix) if response is not None else None
