"""GSM 7-bit user data: septet packing, and decoding with the national language shift tables.

TS 23.038 §6.2.1 defines the default alphabet and its extension table (reached by ESC, 0x1B); Annex A
adds national language tables that a user data header selects (TS 23.040 §9.2.3.24.15/16): IE 0x24
replaces the extension table ("single shift"), IE 0x25 replaces the whole alphabet ("locking shift").
The default alphabet, its extension table and the Spanish single shift table come from the `gsm0338`
codec; the Turkish and Portuguese tables are transcribed here from TS 23.038 Annex A.2.1, A.2.3, A.3.1
and A.3.3 (Spanish has no locking shift table). The Indian languages (ids 4-13) are not supported: a
message using them is decoded with the default tables, and the decoder says so.

Receiving rules from TS 23.038 §6.2.1.1, followed by `decode_septets`: an escaped code that the single
shift table does not define shows the character of the (locking) alphabet for that code; ESC ESC
(reserved for a further extension table) shows a space.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import gsm0338.charset

from listener.modem.encoding import GSM_CODEC

ESCAPE = 0x1B

LANGUAGES = {
    0: "default",
    1: "Turkish",
    2: "Spanish",
    3: "Portuguese",
    4: "Bengali",
    5: "Gujarati",
    6: "Hindi",
    7: "Kannada",
    8: "Malayalam",
    9: "Oriya",
    10: "Punjabi",
    11: "Tamil",
    12: "Telugu",
    13: "Urdu",
}


def _default_alphabet() -> str:
    return "".join("\x1b" if code == ESCAPE else bytes([code]).decode(GSM_CODEC) for code in range(128))


def _from_names(names: dict[int, str]) -> dict[int, str]:
    return {code: unicodedata.lookup(name) for code, name in names.items()}


#: Locking shift tables: 128 characters each, index = septet (0x1B is the escape to the single shift table).
LOCKING: dict[int, str] = {
    0: _default_alphabet(),
    # TS 23.038 A.3.1
    1: (
        "@£$¥€éùıòÇ\nĞğ\rÅå"
        "Δ_ΦΓΛΩΠΨΣΘΞ\x1bŞşßÉ"
        " !\"#¤%&'()*+,-./"
        "0123456789:;<=>?"
        "İABCDEFGHIJKLMNO"
        "PQRSTUVWXYZÄÖÑÜ§"
        "çabcdefghijklmno"
        "pqrstuvwxyzäöñüà"
    ),
    # TS 23.038 A.3.3
    3: (
        "@£$¥êéúíóç\nÔô\rÁá"
        "Δ_ªÇÀ∞^\\€Ó|\x1bÂâÊÉ"
        " !\"#º%&'()*+,-./"
        "0123456789:;<=>?"
        "ÍABCDEFGHIJKLMNO"
        "PQRSTUVWXYZÃÕÚÜ§"
        "~abcdefghijklmno"
        "pqrstuvwxyzãõ`üà"
    ),
}

_DEFAULT_SINGLE = _from_names(gsm0338.charset.BASIC_CHARACTER_SET_EXTENSION)

#: Single shift tables (the characters after ESC), by national language id.
SINGLE: dict[int, dict[int, str]] = {
    0: _DEFAULT_SINGLE,
    # TS 23.038 A.2.1
    1: {
        **_DEFAULT_SINGLE,
        0x47: "Ğ",
        0x49: "İ",
        0x53: "Ş",
        0x63: "ç",
        0x67: "ğ",
        0x69: "ı",
        0x73: "ş",
    },
    # TS 23.038 A.2.2
    2: _from_names(gsm0338.charset.SINGLE_SHIFT_CHARACTER_SET_SPANISH),
    # TS 23.038 A.2.3
    3: {
        **_DEFAULT_SINGLE,
        0x05: "ê",
        0x09: "ç",
        0x0B: "Ô",
        0x0C: "ô",
        0x0E: "Á",
        0x0F: "á",
        0x12: "Φ",
        0x13: "Γ",
        0x15: "Ω",
        0x16: "Π",
        0x17: "Ψ",
        0x18: "Σ",
        0x19: "Θ",
        0x1F: "Ê",
        0x41: "À",
        0x49: "Í",
        0x4F: "Ó",
        0x55: "Ú",
        0x5B: "Ã",
        0x5C: "Õ",
        0x61: "Â",
        0x69: "í",
        0x6F: "ó",
        0x75: "ú",
        0x7B: "ã",
        0x7C: "õ",
        0x7F: "â",
    },
}


@dataclass(frozen=True)
class ShiftTables:
    """The national language tables a message's header asked for (0 = the default alphabet)."""

    locking: int = 0
    single: int = 0

    def unsupported(self) -> list[str]:
        """One sentence per requested table this module does not have."""
        missing = []
        if self.locking not in LOCKING:
            missing.append(f"locking shift table {self.locking} ({_language(self.locking)})")
        if self.single not in SINGLE:
            missing.append(f"single shift table {self.single} ({_language(self.single)})")
        return [
            f"national language {name} is not supported: decoded with the default alphabet"
            for name in missing
        ]


def _language(language_id: int) -> str:
    return LANGUAGES.get(language_id, "reserved")


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


def decode_septets(septets: bytes, tables: ShiftTables = ShiftTables()) -> str:
    """Text of unpacked septets. A trailing lone ESC (an extension character cut at a part boundary)
    comes out as U+FFFD; unsupported national tables fall back to the default ones."""
    alphabet = LOCKING.get(tables.locking, LOCKING[0])
    single = SINGLE.get(tables.single, SINGLE[0])
    out: list[str] = []
    escaped = False
    for septet in septets:
        code = septet & 0x7F
        if escaped:
            out.append(" " if code == ESCAPE else single.get(code, alphabet[code]))
            escaped = False
        elif code == ESCAPE:
            escaped = True
        else:
            out.append(alphabet[code])
    if escaped:
        out.append("\ufffd")
    return "".join(out)
