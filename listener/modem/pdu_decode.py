"""Reading SMS TPDUs: SMS-DELIVER (replies), SMS-STATUS-REPORT (delivery reports), SMS-SUBMIT.

`decode_pdu` takes the hex a modem shows in AT+CMGR/AT+CMGL/+CMT/+CDS (with the SMSC field in front,
unless `with_smsc=False`) and returns one frozen dataclass per TP-MTI, or raises `MalformedPduError`
with a one-line reason. It is strict about structure (every length must agree with the octets that
follow), because a malformed PDU is stored raw with its reason and a person looks at it, while a
guessed one could store a wrong reply. `as_json()` gives the `decode-pdu` command's output.

Each part is decoded on its own, as it arrives; the text of a concatenated message is the parts' texts
joined, except where a sender cut a surrogate pair or an escape sequence at a part boundary:
`join_texts` decodes the parts' payloads together and gets that right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from listener.modem.errors import MalformedPduError
from listener.modem.gsm7 import decode_septets
from listener.modem.pdu_fields import (
    Concatenation,
    Cursor,
    DataCoding,
    UserData,
    parse_dcs,
    parse_hex,
    read_address,
    read_smsc,
    read_timestamp,
    read_user_data,
)

_UDHI = 0x40
_SRR = 0x20
_MTI_NAMES = {0: "SMS-DELIVER", 1: "SMS-SUBMIT", 2: "SMS-STATUS-REPORT", 3: "reserved"}


def _concat_json(concatenation: Concatenation | None) -> dict[str, int] | None:
    if concatenation is None:
        return None
    return {"ref": concatenation.reference, "total": concatenation.total, "seq": concatenation.sequence}


def _time_json(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class Deliver:
    """An SMS-DELIVER (TS 23.040 §9.2.2.1): one part of a message someone sent us."""

    #: `+` and digits (international), digits (national/unknown), or the alphanumeric sender's text
    sender: str
    text: str
    #: TP-SCTS: when the service centre received it, with the centre's offset from UTC
    timestamp: dt.datetime
    concat: Concatenation | None
    #: "gsm7", "ucs2" or "8bit" (8-bit data: `text` is the payload in lowercase hex)
    encoding: str
    #: the sender's type of number: "international", "national", "unknown", "alphanumeric", ...
    sender_kind: str
    smsc: str | None
    protocol_id: int
    coding: DataCoding
    user_data: UserData
    #: TP-MMS inverted: the centre has more messages waiting for us
    more_messages: bool
    status_report_indicated: bool
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "deliver",
            "sender": self.sender,
            "text": self.text,
            "timestamp": _time_json(self.timestamp),
            "concat": _concat_json(self.concat),
            "encoding": self.encoding,
            "smsc": self.smsc,
            "warnings": list(self.warnings),
        }


def status_class(status: int) -> str:
    """What TP-ST (TS 23.040 §9.2.3.15) says about the part: "delivered" (0x00-0x1F), "pending"
    (0x20-0x3F: temporary error, the centre still tries), "failed" (0x40-0x5F: permanent error) or
    "expired" (0x60-0x7F: temporary error, the centre gave up). Reserved values (bit 7) are "failed",
    which is how the specification tells a receiver to treat them ("service rejected")."""
    if status & 0x80:
        return "failed"
    return ("delivered", "pending", "failed", "expired")[status >> 5]


@dataclass(frozen=True)
class StatusReport:
    """An SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): what became of one part we sent."""

    #: TP-MR: the reference the modem answered +CMGS with (8 bits, wraps at 256, one counter per modem)
    reference: int
    recipient: str
    #: TP-SCTS of the SMS-SUBMIT this reports on
    timestamp: dt.datetime
    #: TP-DT: when it was delivered, or when the centre last tried
    discharge_time: dt.datetime
    status: int
    smsc: str | None
    #: optional TP-PID/TP-DCS/TP-UD (TP-PI says which are present)
    protocol_id: int | None = None
    coding: DataCoding | None = None
    user_data: UserData | None = None
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str | None:
        return None if self.user_data is None else self.user_data.text

    @property
    def concat(self) -> Concatenation | None:
        return None if self.user_data is None else self.user_data.concatenation

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "status-report",
            "recipient": self.recipient,
            "text": self.text,
            "timestamp": _time_json(self.timestamp),
            "concat": _concat_json(self.concat),
            "encoding": None if self.coding is None else self.coding.alphabet,
            "reference": self.reference,
            "status": self.status,
            "status_class": status_class(self.status),
            "discharge_time": _time_json(self.discharge_time),
            "smsc": self.smsc,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class DecodedSubmit:
    """An SMS-SUBMIT (TS 23.040 §9.2.2.2) read back from hex: what the driver wrote, or a sent message
    the modem kept in its storage."""

    number: str
    #: "gsm7", "ucs2" or "8bit" (binary user data; `text` then holds it in hex)
    alphabet: str
    text: str
    #: unpacked septets (GSM-7) or octets, after the header
    user_data: bytes
    concatenation: Concatenation | None
    status_report_requested: bool
    message_reference: int
    #: relative validity period (TP-VPF 10); None when absent or absolute/enhanced
    validity: int | None
    smsc: str | None = None
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "submit",
            "recipient": self.number,
            "text": self.text,
            "timestamp": None,
            "concat": _concat_json(self.concatenation),
            "encoding": self.alphabet,
            "reference": self.message_reference,
            "status_report_requested": self.status_report_requested,
            "smsc": self.smsc,
            "warnings": list(self.warnings),
        }


Decoded = Deliver | StatusReport | DecodedSubmit


def decode_pdu(hex_text: str, *, with_smsc: bool = True) -> Decoded:
    """Decode one PDU as a modem shows it; raises MalformedPduError(reason) when it cannot be read."""
    cursor = Cursor(parse_hex(hex_text))
    smsc = read_smsc(cursor) if with_smsc else None
    first = cursor.octet("first octet")
    mti = first & 0x03
    if mti == 0:
        return _deliver(cursor, first, smsc)
    if mti == 1:
        return _submit(cursor, first, smsc)
    if mti == 2:
        return _status_report(cursor, first, smsc)
    raise MalformedPduError(f"first octet {first:02X}: TP-MTI 3 is reserved")


def decode_submit(hex_text: str, *, with_smsc: bool = True) -> DecodedSubmit:
    """Read an SMS-SUBMIT back from the hex a driver wrote after AT+CMGS (PDU mode)."""
    cursor = Cursor(parse_hex(hex_text))
    smsc = read_smsc(cursor) if with_smsc else None
    first = cursor.octet("first octet")
    if first & 0x03 != 1:
        raise MalformedPduError(f"not an SMS-SUBMIT (first octet {first:02X}: {_MTI_NAMES[first & 0x03]})")
    return _submit(cursor, first, smsc)


def _deliver(cursor: Cursor, first: int, smsc: str | None) -> Deliver:
    sender = read_address(cursor, "TP-OA")
    pid = cursor.octet("TP-PID")
    coding = parse_dcs(cursor.octet("TP-DCS"))
    timestamp = read_timestamp(cursor, "TP-SCTS")
    udl = cursor.octet("TP-UDL")
    ud = read_user_data(cursor, udl, coding, has_header=bool(first & _UDHI))
    return Deliver(
        sender=sender.text,
        sender_kind=sender.kind,
        text=ud.text,
        timestamp=timestamp,
        concat=ud.concatenation,
        encoding=coding.alphabet,
        smsc=smsc,
        protocol_id=pid,
        coding=coding,
        user_data=ud,
        more_messages=not first & 0x04,
        status_report_indicated=bool(first & _SRR),
        warnings=sender.warnings + ud.warnings,
    )


def _submit(cursor: Cursor, first: int, smsc: str | None) -> DecodedSubmit:
    reference = cursor.octet("TP-MR")
    number = read_address(cursor, "TP-DA")
    cursor.octet("TP-PID")
    coding = parse_dcs(cursor.octet("TP-DCS"))
    vpf = (first >> 3) & 0x03
    validity: int | None = None
    if vpf == 0b10:
        validity = cursor.octet("TP-VP")
    elif vpf in (0b01, 0b11):
        cursor.take(7, "TP-VP")
    udl = cursor.octet("TP-UDL")
    ud = read_user_data(cursor, udl, coding, has_header=bool(first & _UDHI))
    return DecodedSubmit(
        number=number.text,
        alphabet=coding.alphabet,
        text=ud.text,
        user_data=ud.payload,
        concatenation=ud.concatenation,
        status_report_requested=bool(first & _SRR),
        message_reference=reference,
        validity=validity,
        smsc=smsc,
        warnings=number.warnings + ud.warnings,
    )


def _status_report(cursor: Cursor, first: int, smsc: str | None) -> StatusReport:
    reference = cursor.octet("TP-MR")
    recipient = read_address(cursor, "TP-RA")
    timestamp = read_timestamp(cursor, "TP-SCTS")
    discharge = read_timestamp(cursor, "TP-DT")
    status = cursor.octet("TP-ST")
    pid: int | None = None
    coding: DataCoding | None = None
    ud: UserData | None = None
    if not cursor.at_end():
        indicator = cursor.octet("TP-PI")
        # TS 23.040 §9.2.3.27: bit 7 says another TP-PI octet follows; only the first one means anything.
        extension = indicator
        while extension & 0x80:
            extension = cursor.octet("TP-PI extension")
        if indicator & 0x01:
            pid = cursor.octet("TP-PID")
        if indicator & 0x02:
            coding = parse_dcs(cursor.octet("TP-DCS"))
        if indicator & 0x04:
            udl = cursor.octet("TP-UDL")
            coding = coding or parse_dcs(0x00)
            ud = read_user_data(cursor, udl, coding, has_header=bool(first & _UDHI))
        if not cursor.at_end():
            raise MalformedPduError(
                f"{cursor.remaining} octets follow the fields TP-PI {indicator:02X} announces"
            )
    return StatusReport(
        reference=reference,
        recipient=recipient.text,
        timestamp=timestamp,
        discharge_time=discharge,
        status=status,
        smsc=smsc,
        protocol_id=pid,
        coding=coding,
        user_data=ud,
        warnings=recipient.warnings
        + (coding.warnings if coding and ud is None else ())
        + (ud.warnings if ud else ()),
    )


def join_texts(parts: Sequence[Deliver]) -> str:
    """The text of a concatenated message from its parts (any order; sorted by sequence number here),
    decoding the payloads together so that a surrogate pair or an escape sequence a sender cut at a part
    boundary comes out whole. Parts in different encodings are joined text by text."""
    ordered = sorted(parts, key=lambda p: p.concat.sequence if p.concat else 0)
    encodings = {p.encoding for p in ordered}
    if encodings == {"ucs2"}:
        return b"".join(p.user_data.payload for p in ordered).decode("utf-16-be", errors="replace")
    if encodings == {"gsm7"}:
        return decode_septets(b"".join(p.user_data.payload for p in ordered), ordered[0].user_data.tables)
    return "".join(p.text for p in ordered)
