"""The fields of SMS-DELIVER and SMS-STATUS-REPORT PDUs the modem tests check, read with the listener's
own decoder (`decode_pdu`, tested on its own against real captures)."""

from __future__ import annotations

from datetime import datetime

from listener.modem.pdu import Concatenation
from listener.modem.pdu_decode import Deliver, StatusReport, decode_pdu
from listener.modem.pdu_fields import Cursor, read_timestamp


def deliver_fields(pdu_hex: str) -> tuple[str, str, datetime, Concatenation | None]:
    """(sender, text, service-centre time stamp, concatenation) of an SMS-DELIVER."""
    decoded = decode_pdu(pdu_hex)
    assert isinstance(decoded, Deliver), f"not an SMS-DELIVER: {decoded!r}"
    return decoded.sender, decoded.text, decoded.timestamp, decoded.concat


def report_fields(pdu_hex: str) -> tuple[int, str, int, datetime]:
    """(TP-MR, TP-RA, TP-ST, TP-DT) of an SMS-STATUS-REPORT."""
    decoded = decode_pdu(pdu_hex)
    assert isinstance(decoded, StatusReport), f"not an SMS-STATUS-REPORT: {decoded!r}"
    return decoded.reference, decoded.recipient, decoded.status, decoded.discharge_time


def timestamp_of(raw: bytes) -> datetime:
    """A TP-SCTS / TP-DT field (7 octets) as the decoder reads it."""
    return read_timestamp(Cursor(raw), "TP-SCTS")
