"""Just enough reading of SMS-DELIVER and SMS-STATUS-REPORT PDUs for the modem tests to check what the
simulator built, field by field (the full decoder, `decode_pdu`, is tested on its own)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from listener.modem.pdu import Concatenation, decode_payload, unpack_septets


def _tpdu(pdu_hex: str) -> bytes:
    data = bytes.fromhex(pdu_hex)
    return data[1 + data[0] :]


def _address(data: bytes, pos: int) -> tuple[str, int]:
    digits, toa = data[pos], data[pos + 1]
    octets = (digits + 1) // 2
    raw = data[pos + 2 : pos + 2 + octets]
    if toa == 0xD0:
        return unpack_septets(raw, digits * 4 // 7).decode("gsm03.38"), pos + 2 + octets
    number = "".join(f"{b & 0x0F:X}{b >> 4:X}" for b in raw)[:digits]
    return ("+" if toa == 0x91 else "") + number, pos + 2 + octets


def _timestamp(raw: bytes) -> datetime:
    digits = "".join(f"{b & 0x0F}{b >> 4}" for b in raw[:6])
    zone = raw[6]
    quarters = (zone & 0x07) * 10 + (zone >> 4)
    offset = timedelta(minutes=15 * quarters) * (-1 if zone & 0x08 else 1)
    return datetime.strptime(digits, "%y%m%d%H%M%S").replace(tzinfo=timezone(offset))


def deliver_fields(pdu_hex: str) -> tuple[str, str, datetime, Concatenation | None]:
    """(sender, text, service-centre time stamp, concatenation) of a GSM-7 or UCS-2 SMS-DELIVER."""
    data = _tpdu(pdu_hex)
    first = data[0]
    assert first & 0x03 == 0x00, f"not an SMS-DELIVER: {first:02X}"
    sender, pos = _address(data, 1)
    dcs = data[pos + 1]
    stamp = _timestamp(data[pos + 2 : pos + 9])
    udl, ud = data[pos + 9], data[pos + 10 :]
    header = ud[: 1 + ud[0]] if first & 0x40 else b""
    concat = Concatenation(header[3], header[4], header[5]) if header[1:2] == b"\x00" else None
    if dcs == 0x08:
        return sender, decode_payload("ucs2", ud[len(header) :]), stamp, concat
    fill = (7 - len(header) * 8 % 7) % 7 if header else 0
    septets = udl - (len(header) * 8 + fill) // 7
    text = decode_payload("gsm7", unpack_septets(ud[len(header) :], septets, fill))
    return sender, text, stamp, concat


def report_fields(pdu_hex: str) -> tuple[int, str, int, datetime]:
    """(TP-MR, TP-RA, TP-ST, TP-DT) of an SMS-STATUS-REPORT."""
    data = _tpdu(pdu_hex)
    assert data[0] & 0x03 == 0x02, f"not an SMS-STATUS-REPORT: {data[0]:02X}"
    recipient, pos = _address(data, 2)
    return data[1], recipient, data[pos + 14], _timestamp(data[pos + 7 : pos + 14])
