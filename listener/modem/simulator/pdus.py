"""The PDUs a network sends to a modem, as the simulator stores and announces them (3GPP TS 23.040):
SMS-DELIVER (a reply, §9.2.2.1) and SMS-STATUS-REPORT (a delivery report, §9.2.2.3), each with the
SMSC field in front, as AT+CMGR shows it.

Only encoders: the septet packing, the alphabet choice, the splitting and the concatenation header
are `encoding.py`'s and `pdu.py`'s (the driver's SMS-SUBMIT encoder), so a reply is cut exactly as the
driver cuts a text. Decoding is the driver's job (`listener.modem.pdu`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from listener.modem.encoding import encode_text, gsm7_septets
from listener.modem.pdu import concat_header, encode_address, pack_septets, user_data

#: TP-MTI SMS-DELIVER (00) with TP-MMS set (no more messages waiting); UDHI (0x40) when concatenated.
_DELIVER = 0x04
_UDHI = 0x40
#: TP-MTI SMS-STATUS-REPORT (10) with TP-MMS set; TP-SRQ clear (the report is about an SMS-SUBMIT).
_STATUS_REPORT = 0x06
_DCS = {"gsm7": 0x00, "ucs2": 0x08}
#: The simulated network's service centre.
DEFAULT_SMSC = "+15550000100"
_NUMBER_RE = re.compile(r"^\+?\d{1,20}$")


@dataclass(frozen=True)
class NetworkPdu:
    """One PDU as the modem stores it: hex with the SMSC field, and the TPDU length (AT+CMGR's <length>)."""

    hex: str
    tpdu_length: int


def smsc_field(number: str = DEFAULT_SMSC) -> bytes:
    """The SMSC address as the modem puts it in front: length in octets (type included), type, BCD."""
    address = encode_address(number)
    return bytes([len(address) - 1]) + address[1:]


def encode_originator(sender: str) -> bytes:
    """TP-OA: a phone number (international with `+`, else national/unknown), or an alphanumeric
    sender (type D0, GSM-7 packed, the length in useful semi-octets) such as a carrier's "Verizon"."""
    if _NUMBER_RE.match(sender.strip()):
        return encode_address(sender)
    septets = gsm7_septets(sender)
    # The length counts the semi-octets that carry bits (7 septets: 49 bits, 13), so a reader does
    # not take the padding for an eighth character ("@").
    return bytes([(len(septets) * 7 + 3) // 4, 0xD0]) + pack_septets(septets)


def encode_timestamp(moment: datetime) -> bytes:
    """TP-SCTS / TP-DT: YY MM DD hh mm ss TZ as swapped semi-octets, in `moment`'s own offset; the
    time zone in quarter hours, bit 3 of the last octet the sign (TS 23.040 §9.2.3.11)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta()
    quarters = int(abs(offset.total_seconds()) // 900)
    digits = f"{moment:%y%m%d%H%M%S}{quarters:02d}"
    octets = bytearray(int(digits[i + 1] + digits[i], 16) for i in range(0, 14, 2))
    if offset < timedelta():
        octets[6] |= 0x08
    return bytes(octets)


def build_deliver(
    sender: str,
    text: str,
    *,
    timestamp: datetime,
    concat_reference: int = 0,
    smsc: str = DEFAULT_SMSC,
) -> list[NetworkPdu]:
    """The SMS-DELIVER PDUs of `text` from `sender`: one, or several concatenated ones (IEI 00)."""
    encoded = encode_text(text)
    originator = encode_originator(sender)
    stamp = encode_timestamp(timestamp)
    total = len(encoded.parts)
    pdus: list[NetworkPdu] = []
    for sequence, part in enumerate(encoded.parts, start=1):
        header = concat_header(concat_reference, total, sequence) if encoded.concatenated else b""
        udl, ud = user_data(part, encoded.alphabet, header)
        tpdu = (
            bytes([_DELIVER | (_UDHI if header else 0)])
            + originator
            + bytes([0x00, _DCS[encoded.alphabet]])  # TP-PID 0, TP-DCS
            + stamp
            + bytes([udl])
            + ud
        )
        pdus.append(NetworkPdu((smsc_field(smsc) + tpdu).hex().upper(), len(tpdu)))
    return pdus


def build_status_report(
    reference: int,
    recipient: str,
    status: int,
    *,
    timestamp: datetime,
    discharge_time: datetime,
    smsc: str = DEFAULT_SMSC,
) -> NetworkPdu:
    """The SMS-STATUS-REPORT for message reference `reference` (TP-MR) sent to `recipient` (TP-RA):
    TP-SCTS when the centre took the SMS, TP-DT when it was delivered or given up, TP-ST `status`."""
    tpdu = (
        bytes([_STATUS_REPORT, reference & 0xFF])
        + encode_address(recipient)
        + encode_timestamp(timestamp)
        + encode_timestamp(discharge_time)
        + bytes([status & 0xFF])
    )
    return NetworkPdu((smsc_field(smsc) + tpdu).hex().upper(), len(tpdu))


def tpdu_length(pdu_hex: str) -> int:
    """AT+CMGR's <length> of a stored PDU (octets after the SMSC field); best effort for garbage."""
    try:
        data = bytes.fromhex(pdu_hex)
    except ValueError:
        return len(pdu_hex) // 2
    if not data:
        return 0
    return max(0, len(data) - 1 - data[0])
