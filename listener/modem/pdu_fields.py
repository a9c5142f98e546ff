"""The fields TPDUs share (TS 23.040 §9.1.2, §9.2.3; TS 23.038 §4), read strictly from bytes.

Every reader takes a `Cursor` and raises `MalformedPduError` with a one-line reason naming the field,
so that a PDU no phone could have sent is stored raw with a useful explanation rather than guessed at.
Where the specification tells a receiver to ignore or to assume something (a reserved data coding, a
concatenation IE whose sequence number exceeds its total), the readers do that and add a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from listener.modem.errors import MalformedPduError
from listener.modem.gsm7 import ShiftTables, decode_septets, unpack_septets


def _octets(count: int) -> str:
    return f"{count} octet" if count == 1 else f"{count} octets"


class Cursor:
    """Reads a PDU front to back; running out of octets names the field being read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int, field_name: str) -> bytes:
        if count > self.remaining:
            raise MalformedPduError(
                f"PDU ends too early in {field_name} (needs {_octets(count)}, {self.remaining} left)"
            )
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def octet(self, field_name: str) -> int:
        return self.take(1, field_name)[0]

    def at_end(self) -> bool:
        """True when nothing but SIM record padding (see `strip_padding`) is left."""
        return not strip_padding(self.data[self.pos :])

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk


def parse_hex(hex_text: str) -> bytes:
    """Octets of a PDU as AT+CMGR/AT+CMGL print it (whitespace ignored)."""
    cleaned = "".join(hex_text.split())
    if not cleaned:
        raise MalformedPduError("empty PDU")
    bad = next((i for i, c in enumerate(cleaned) if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise MalformedPduError(f"not hex: {cleaned[bad]!r} at position {bad}")
    if len(cleaned) % 2:
        raise MalformedPduError(f"odd number of hex digits ({len(cleaned)})")
    return bytes.fromhex(cleaned)


# -- addresses --------------------------------------------------------------------------------------

_BCD = "0123456789*#abc"
_TON_INTERNATIONAL = 0x10


def _bcd_digits(raw: bytes, count: int, field_name: str) -> str:
    """Digits of a BCD number. A filler F that the length counts (some phones count it) is dropped;
    one inside the number means the field is not what it claims to be."""
    nibbles = [n for b in raw for n in (b & 0x0F, b >> 4)][:count]
    while nibbles and nibbles[-1] == 0x0F:
        nibbles.pop()
    if 0x0F in nibbles:
        raise MalformedPduError(f"{field_name} has a filler digit F inside the number")
    return "".join(_BCD[n] for n in nibbles)


_TYPES_OF_NUMBER = (
    "unknown",
    "international",
    "national",
    "network-specific",
    "subscriber",
    "alphanumeric",
    "abbreviated",
    "reserved",
)


@dataclass(frozen=True)
class Address:
    """An address field read: `text` as the decoder reports it, `kind` the type of number."""

    text: str
    kind: str
    warnings: tuple[str, ...] = ()


def read_address(cursor: Cursor, field_name: str) -> Address:
    """TP-OA/TP-DA/TP-RA (§9.1.2.5): `+` and the digits for an international number, the digits for
    any other numeric type, the text for an alphanumeric one (type D0: GSM-7 packed, length in
    semi-octets). A numeric address with `*`, `#` or `a`-`c` in it is kept as it is, with a warning:
    such a number was garbled by the modem more often than dialled on purpose."""
    length = cursor.octet(f"{field_name} length")
    toa = cursor.octet(f"{field_name} type")
    raw = cursor.take((length + 1) // 2, field_name)
    kind = _TYPES_OF_NUMBER[(toa >> 4) & 0x07]
    if kind == "alphanumeric":
        return Address(decode_septets(unpack_septets(raw, length * 4 // 7)), kind)
    digits = _bcd_digits(raw, length, field_name)
    warnings = () if digits.isdigit() or not digits else (f"{field_name} {digits!r} is not all digits",)
    return Address("+" + digits if kind == "international" else digits, kind, warnings)


def read_smsc(cursor: Cursor) -> str | None:
    """The SMSC field AT+CMGR puts before the TPDU (TS 27.005 §3.1 <pdu>): its length counts octets, not
    digits; 00 means "the SIM's default" (none given)."""
    length = cursor.octet("SMSC length")
    if length == 0:
        return None
    if length > 11:
        raise MalformedPduError(
            f"SMSC length {length} is more than 11 octets (is this a PDU without the SMSC field?)"
        )
    toa = cursor.octet("SMSC type")
    raw = cursor.take(length - 1, "SMSC address")
    digits = "".join(f"{n:X}" for b in raw for n in (b & 0x0F, b >> 4)).rstrip("F")
    if not digits:
        return None
    if not digits.isdigit():
        raise MalformedPduError(f"SMSC address {raw.hex().upper()} is not a phone number")
    return "+" + digits if toa & 0x70 == _TON_INTERNATIONAL else digits


# -- time stamps ------------------------------------------------------------------------------------


def read_timestamp(cursor: Cursor, field_name: str) -> dt.datetime:
    """TP-SCTS/TP-DT (§9.2.3.11): seven octets of swapped BCD, the last the offset from UTC in quarter
    hours with the sign in bit 3. Years 00-89 are 20xx (no GSM network sent a time stamp before 1990)."""
    raw = cursor.take(7, field_name)
    values = []
    for octet in raw[:6]:
        low, high = octet & 0x0F, octet >> 4
        if low > 9 or high > 9:
            raise MalformedPduError(f"{field_name} octet {octet:02X} is not BCD")
        values.append(low * 10 + high)
    tz = raw[6]  # low nibble: sign bit and tens digit (0-7), high nibble: units digit
    if tz >> 4 > 9:
        raise MalformedPduError(f"{field_name} time zone octet {tz:02X} is not BCD")
    quarters = (tz & 0x07) * 10 + (tz >> 4)
    offset = dt.timedelta(minutes=15 * quarters) * (-1 if tz & 0x08 else 1)
    year, month, day, hour, minute, second = values
    year += 2000 if year < 90 else 1900
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone(offset))
    except ValueError as exc:
        raise MalformedPduError(f"{field_name} {raw.hex().upper()} is not a time: {exc}") from exc


# -- data coding scheme -----------------------------------------------------------------------------

_WAITING_KINDS = ("voicemail", "fax", "email", "other")


@dataclass(frozen=True)
class MessageWaiting:
    """A message waiting indication group DCS (TS 23.038 §4, 1100-1110): the SMS sets or clears an
    indicator on the phone; `store` is false when the phone may discard the text."""

    active: bool
    kind: str
    store: bool


@dataclass(frozen=True)
class DataCoding:
    """TP-DCS decoded. `alphabet` is "gsm7", "ucs2" or "8bit"; `message_class` 0-3 or None."""

    value: int
    alphabet: str
    message_class: int | None = None
    waiting: MessageWaiting | None = None
    warnings: tuple[str, ...] = ()


_ALPHABETS = ("gsm7", "8bit", "ucs2")


def parse_dcs(dcs: int) -> DataCoding:
    """Read TP-DCS. Compressed text (TS 23.042) is refused: no phone we know of sends it, and guessing
    would store gibberish as a customer's reply."""
    group = dcs >> 4
    if group <= 0x07:  # general data coding (00xx) and automatic deletion (01xx)
        if dcs & 0x20:
            raise MalformedPduError(
                f"TP-DCS {dcs:02X} says the text is compressed (TS 23.042), which is not supported"
            )
        message_class = dcs & 0x03 if dcs & 0x10 else None
        alphabet_bits = (dcs >> 2) & 0x03
        if alphabet_bits == 0x03:
            return DataCoding(
                dcs, "gsm7", message_class, warnings=(f"TP-DCS {dcs:02X}: reserved alphabet, read as GSM-7",)
            )
        return DataCoding(dcs, _ALPHABETS[alphabet_bits], message_class)
    if group in (0x0C, 0x0D, 0x0E):
        waiting = MessageWaiting(
            active=bool(dcs & 0x08), kind=_WAITING_KINDS[dcs & 0x03], store=group != 0x0C
        )
        return DataCoding(dcs, "ucs2" if group == 0x0E else "gsm7", waiting=waiting)
    if group == 0x0F:
        return DataCoding(dcs, "8bit" if dcs & 0x04 else "gsm7", dcs & 0x03)
    # 1000-1011: reserved groups; TS 23.038 §4 says to assume the GSM 7 bit default alphabet.
    return DataCoding(dcs, "gsm7", warnings=(f"TP-DCS {dcs:02X}: reserved coding group, read as GSM-7",))


# -- user data and its header -----------------------------------------------------------------------


@dataclass(frozen=True)
class Concatenation:
    reference: int
    total: int
    sequence: int


@dataclass(frozen=True)
class UserData:
    """TP-UD read: the text of this part, and what a reassembler needs (`payload`: unpacked septets for
    GSM-7, octets otherwise; `tables`: the national language tables the header asked for)."""

    text: str
    payload: bytes
    concatenation: Concatenation | None = None
    tables: ShiftTables = field(default_factory=ShiftTables)
    #: IEIs present in the header, in order (concatenation and national language ones included)
    header_ieis: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass
class _Header:
    concatenation: Concatenation | None = None
    locking: int = 0
    single: int = 0
    ieis: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _parse_header(header: bytes) -> _Header:
    """The IEs of a user data header (TS 23.040 §9.2.3.24), UDHL excluded."""
    out = _Header()
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise MalformedPduError(f"UDH ends inside an IE (octet {pos} of {len(header)})")
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise MalformedPduError(f"UDH IE {iei:02X} says {length} octets but only {len(value)} remain")
        out.ieis.append(iei)
        if iei in (0x00, 0x08):
            expected = 3 if iei == 0x00 else 4
            if length != expected:
                raise MalformedPduError(
                    f"UDH IE {iei:02X} (concatenation) has length {length}, expected {expected}"
                )
            reference = value[0] if iei == 0x00 else int.from_bytes(value[:2], "big")
            total, sequence = value[-2], value[-1]
            if total == 0 or sequence == 0 or sequence > total:
                # TS 23.040 §9.2.3.24.1: the receiver ignores the whole IE.
                out.warnings.append(
                    f"UDH IE {iei:02X}: part {sequence} of {total} ignored as the specification says"
                )
            else:
                out.concatenation = Concatenation(reference, total, sequence)
        elif iei in (0x24, 0x25) and length == 1:
            if iei == 0x24:
                out.single = value[0]
            else:
                out.locking = value[0]
        pos += 2 + length
    return out


def strip_padding(rest: bytes) -> bytes:
    """`rest` without the FF octets that fill a SIM's fixed-size SMS record (TS 31.102 EF_SMS): some
    modems show the whole record in AT+CMGR, so a PDU read from "SM" can end in FFs."""
    return rest.rstrip(b"\xff")


def read_user_data(cursor: Cursor, udl: int, coding: DataCoding, *, has_header: bool) -> UserData:
    """TP-UD after TP-UDL: the rest of the PDU, which must hold exactly what TP-UDL announces (SIM
    record padding aside)."""
    ud = cursor.rest()
    gsm7 = coding.alphabet == "gsm7"
    needed = (udl * 7 + 7) // 8 if gsm7 else udl
    unit = "septets" if gsm7 else "octets"
    if len(ud) < needed:
        raise MalformedPduError(f"TP-UDL says {udl} {unit} but only {_octets(len(ud))} follow")
    if strip_padding(ud[needed:]):
        raise MalformedPduError(f"{_octets(len(ud) - needed)} follow the {udl} {unit} TP-UDL announces")
    ud = ud[:needed]
    header = _Header()
    header_octets = 0
    warnings = list(coding.warnings)
    if has_header and not ud:
        warnings.append("TP-UDHI is set but there is no user data")
    elif has_header:
        header_octets = 1 + ud[0]
        if header_octets > len(ud):
            raise MalformedPduError(f"UDH length {ud[0]} runs past the {len(ud)} octets of user data")
        header = _parse_header(ud[1:header_octets])
    warnings += header.warnings
    tables = ShiftTables(header.locking, header.single)
    if gsm7:
        fill = (7 - header_octets * 8 % 7) % 7
        header_septets = (header_octets * 8 + fill) // 7
        if header_septets > udl:
            raise MalformedPduError(f"UDH ({header_octets} octets) is longer than TP-UDL ({udl} septets)")
        payload = unpack_septets(ud[header_octets:], udl - header_septets, fill)
        warnings += tables.unsupported()
        text = decode_septets(payload, tables)
    else:
        payload = ud[header_octets:]
        if coding.alphabet == "ucs2":
            if len(payload) % 2:
                raise MalformedPduError(f"UCS-2 user data has an odd number of octets ({len(payload)})")
            text = payload.decode("utf-16-be", errors="replace")
        else:
            text = payload.hex()
    return UserData(
        text=text,
        payload=payload,
        concatenation=header.concatenation,
        tables=tables,
        header_ieis=tuple(header.ieis),
        warnings=tuple(warnings),
    )
