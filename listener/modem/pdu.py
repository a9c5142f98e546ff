"""SMS-SUBMIT TPDUs (3GPP TS 23.040 §9.2.2.2) for AT+CMGS in PDU mode, and a decoder for them.

PDU mode is how a modem sends anything but plain single-part GSM text: UCS-2 (accents, emoji) and
concatenated SMS, whose user data header (IEI 00: 8-bit reference, total, sequence) makes the phone
show the parts as one bubble. GSM-7 user data is packed 7 bits per character, least significant bit
first; after a header, fill bits align the first character on a septet boundary.

The decoder is what the simulator (and the tests) use to read back what the driver wrote; it also
understands IEI 08 (16-bit reference) and the usual data coding schemes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from listener.modem.encoding import GSM_CODEC, Alphabet, encode_text, gsm7_septets
from listener.modem.errors import InvalidMessageError

#: TP-MTI SMS-SUBMIT (01) with TP-VPF "relative" (10 in bits 4-3).
_FIRST_OCTET = 0x11
_UDHI = 0x40
_SRR = 0x20
#: Relative validity period 0xAA = 170: (170 - 166) days (TS 23.040 §9.2.3.12.1), the usual modem default.
VALIDITY_4_DAYS = 0xAA
_DCS = {"gsm7": 0x00, "ucs2": 0x08}
_NUMBER_RE = re.compile(r"^\+?\d{1,20}$")


class PduError(ValueError):
    """A PDU that cannot be decoded (used by the simulator to answer +CMS ERROR: 304)."""


@dataclass(frozen=True)
class SubmitPdu:
    """One AT+CMGS payload: hex with a leading `00` (use the SIM's SMSC) and the TPDU length in octets."""

    hex: str
    tpdu_length: int


@dataclass(frozen=True)
class Concatenation:
    reference: int
    total: int
    sequence: int


@dataclass(frozen=True)
class DecodedSubmit:
    """An SMS-SUBMIT read back from hex."""

    number: str
    #: "gsm7", "ucs2" or "8bit" (binary user data; `text` then holds it in hex)
    alphabet: str
    text: str
    user_data: bytes
    concatenation: Concatenation | None
    status_report_requested: bool
    message_reference: int
    validity: int | None


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


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack 7-bit values LSB first, starting after `fill_bits` zero bits."""
    out = bytearray()
    acc = 0
    nbits = fill_bits
    for septet in septets:
        acc |= (septet & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> bytes:
    """Inverse of pack_septets: `count` septets starting after `fill_bits` bits."""
    value = int.from_bytes(data, "little")
    return bytes((value >> (fill_bits + 7 * i)) & 0x7F for i in range(count))


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


# -- decoding ---------------------------------------------------------------------------------------


def _decode_address(data: bytes, pos: int) -> tuple[str, int]:
    digits_count = data[pos]
    toa = data[pos + 1]
    octets = (digits_count + 1) // 2
    raw = data[pos + 2 : pos + 2 + octets]
    if len(raw) != octets:
        raise PduError("address runs past the end of the PDU")
    if (toa & 0x70) == 0x50:  # alphanumeric
        text = unpack_septets(raw, digits_count * 4 // 7).decode(GSM_CODEC, errors="replace")
        return text, pos + 2 + octets
    digits = "".join(f"{b & 0x0F:X}{b >> 4:X}" for b in raw)[:digits_count]
    prefix = "+" if (toa & 0x70) == 0x10 else ""
    return prefix + digits, pos + 2 + octets


def _alphabet_of(dcs: int) -> str:
    if dcs & 0xC0 == 0x00:  # general data coding group
        return {0: "gsm7", 1: "8bit", 2: "ucs2"}.get((dcs >> 2) & 0x03, "8bit")
    if dcs & 0xF0 == 0xF0:
        return "8bit" if dcs & 0x04 else "gsm7"
    if dcs & 0xF0 == 0xE0:
        return "ucs2"
    return "gsm7"


def _parse_header(header: bytes) -> Concatenation | None:
    pos = 0
    while pos + 1 < len(header):
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + length]
        if iei == 0x00 and length == 3:
            return Concatenation(value[0], value[1], value[2])
        if iei == 0x08 and length == 4:
            return Concatenation(int.from_bytes(value[:2], "big"), value[2], value[3])
        pos += 2 + length
    return None


def decode_submit(hex_text: str, *, with_smsc: bool = True) -> DecodedSubmit:
    """Read an SMS-SUBMIT back from the hex a driver wrote after AT+CMGS (PDU mode)."""
    try:
        data = bytes.fromhex(hex_text.strip())
    except ValueError as exc:
        raise PduError(f"not hex: {exc}") from exc
    try:
        pos = 1 + data[0] if with_smsc else 0
        first = data[pos]
        if first & 0x03 != 0x01:
            raise PduError(f"not an SMS-SUBMIT (first octet {first:02X})")
        message_reference = data[pos + 1]
        number, pos = _decode_address(data, pos + 2)
        _pid, dcs = data[pos], data[pos + 1]
        pos += 2
        vpf = (first >> 3) & 0x03
        validity: int | None = None
        if vpf == 0b10:
            validity = data[pos]
            pos += 1
        elif vpf in (0b01, 0b11):
            pos += 7
        udl = data[pos]
        ud = data[pos + 1 :]
    except IndexError as exc:
        raise PduError("PDU ends too early") from exc
    alphabet = _alphabet_of(dcs)
    header = b""
    if first & _UDHI:
        if not ud:
            raise PduError("UDHI set but no user data")
        header = ud[: 1 + ud[0]]
    concatenation = _parse_header(header[1:]) if header else None
    if alphabet == "gsm7":
        header_bits = len(header) * 8
        fill = (7 - header_bits % 7) % 7 if header else 0
        header_septets = (header_bits + fill) // 7
        count = udl - header_septets
        if count < 0 or (header_bits + fill + 7 * count + 7) // 8 > len(ud):
            raise PduError(f"TP-UDL {udl} does not match {len(ud)} octets of user data")
        payload = unpack_septets(ud[len(header) :], count, fill)
    else:
        if udl != len(ud):
            raise PduError(f"TP-UDL {udl} does not match {len(ud)} octets of user data")
        payload = ud[len(header) :]
    text = decode_payload(alphabet, payload)
    return DecodedSubmit(
        number=number,
        alphabet=alphabet,
        text=text,
        user_data=payload,
        concatenation=concatenation,
        status_report_requested=bool(first & _SRR),
        message_reference=message_reference,
        validity=validity,
    )


def decode_payload(alphabet: str, payload: bytes) -> str:
    """One part's text. Parts are decoded one by one, as a phone that shows them apart would: a
    surrogate pair or an escape sequence split across parts (which the driver never produces) comes
    out as `\ufffd` or a wrong character instead of being silently repaired by joining."""
    if alphabet == "ucs2":
        return payload.decode("utf-16-be", errors="replace")
    if alphabet == "gsm7":
        if payload.endswith(b"\x1b"):
            return payload[:-1].decode(GSM_CODEC, errors="replace") + "\ufffd"
        return payload.decode(GSM_CODEC, errors="replace")
    return payload.hex()
