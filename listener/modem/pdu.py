"""SMS-SUBMIT TPDUs (3GPP TS 23.040 §9.2.2.2) for AT+CMGS in PDU mode.

PDU mode is how a modem sends anything but plain single-part GSM text: UCS-2 (accents, emoji) and
concatenated SMS, whose user data header (IEI 00: 8-bit reference, total, sequence) makes the phone
show the parts as one bubble. GSM-7 user data is packed 7 bits per character, least significant bit
first; after a header, fill bits align the first character on a septet boundary.

Reading PDUs (SMS-SUBMIT back, SMS-DELIVER, SMS-STATUS-REPORT) lives in `pdu_decode`; the names the
simulator and older callers import from here (`decode_submit`, `DecodedSubmit`, `Concatenation`,
`PduError`, the septet packers) are re-exported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from listener.modem.encoding import Alphabet, encode_text, gsm7_septets
from listener.modem.errors import InvalidMessageError, MalformedPduError
from listener.modem.gsm7 import pack_septets as pack_septets
from listener.modem.gsm7 import unpack_septets as unpack_septets
from listener.modem.pdu_decode import DecodedSubmit as DecodedSubmit
from listener.modem.pdu_decode import decode_submit as decode_submit
from listener.modem.pdu_fields import Concatenation as Concatenation

#: TP-MTI SMS-SUBMIT (01) with TP-VPF "relative" (10 in bits 4-3).
_FIRST_OCTET = 0x11
_UDHI = 0x40
_SRR = 0x20
#: Relative validity period 0xAA = 170: (170 - 166) days (TS 23.040 §9.2.3.12.1), the usual modem default.
VALIDITY_4_DAYS = 0xAA
_DCS = {"gsm7": 0x00, "ucs2": 0x08}
_NUMBER_RE = re.compile(r"^\+?\d{1,20}$")


#: The simulator's name for a PDU it cannot read (it answers +CMS ERROR: 304).
PduError = MalformedPduError


@dataclass(frozen=True)
class SubmitPdu:
    """One AT+CMGS payload: hex with a leading `00` (use the SIM's SMSC) and the TPDU length in octets."""

    hex: str
    tpdu_length: int


# -- building ---------------------------------------------------------------------------------------


def encode_address(number: str) -> bytes:
    """TP-DA: length in digits, type of address (0x91 international with `+`, else 0x81), BCD semi-octets."""
    cleaned = number.strip()
    if not _NUMBER_RE.match(cleaned):
        raise InvalidMessageError(f"not a phone number the modem can send to: {number!r}")
    international = cleaned.startswith("+")
    digits = cleaned.lstrip("+")
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return bytes([len(digits), 0x91 if international else 0x81]) + bytes.fromhex(swapped)


def concat_header(reference: int, total: int, sequence: int) -> bytes:
    """UDH with IEI 00 (concatenated SMS, 8-bit reference), UDHL included: 05 00 03 ref total seq."""
    return bytes([5, 0x00, 3, reference & 0xFF, total, sequence])


def user_data(part: str, alphabet: Alphabet, header: bytes) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) for one part."""
    if alphabet == "ucs2":
        payload = part.encode("utf-16-be")
        return len(header) + len(payload), header + payload
    septets = gsm7_septets(part)
    if not header:
        return len(septets), pack_septets(septets)
    header_bits = len(header) * 8
    fill = (7 - header_bits % 7) % 7
    header_septets = (header_bits + fill) // 7
    return header_septets + len(septets), header + pack_septets(septets, fill)


def build_submit(
    number: str,
    text: str,
    *,
    reference: int = 0,
    status_report: bool = False,
    validity: int = VALIDITY_4_DAYS,
) -> list[SubmitPdu]:
    """The SMS-SUBMIT PDUs for `text` to `number`: one, or several sharing concatenation `reference`."""
    address = encode_address(number)
    encoded = encode_text(text)
    total = len(encoded.parts)
    pdus: list[SubmitPdu] = []
    for sequence, part in enumerate(encoded.parts, start=1):
        header = concat_header(reference, total, sequence) if encoded.concatenated else b""
        udl, ud = user_data(part, encoded.alphabet, header)
        first = _FIRST_OCTET | (_UDHI if header else 0) | (_SRR if status_report else 0)
        tpdu = (
            bytes([first, 0x00])  # TP-MR 0: the modem assigns the message reference
            + address
            + bytes([0x00, _DCS[encoded.alphabet], validity & 0xFF, udl])
            + ud
        )
        pdus.append(SubmitPdu(hex="00" + tpdu.hex().upper(), tpdu_length=len(tpdu)))
    return pdus
