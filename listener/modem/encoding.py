"""Choosing the SMS alphabet and cutting a long text into concatenated parts (pure functions).

An SMS carries 140 octets: 160 GSM-7 septets (TS 23.038 default alphabet, via the `gsm0338` codec) or
70 UCS-2 units. A text that does not fit the GSM alphabet goes as UCS-2; characters outside the BMP
(emoji) go as UTF-16 surrogate pairs, i.e. two units. A concatenated SMS loses 6 octets per part to
the user data header, leaving 153 septets or 67 units. Parts are cut between whole characters, so an
extension character (`€`, `[`, ...: escape + code, 2 septets) or a surrogate pair is never split,
and where possible between user-perceived characters (an accent and its letter, an emoji and its
skin tone or ZWJ sequence stay together), so each part renders on its own if a phone shows them apart.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

import gsm0338  # noqa: F401  (importing registers the "gsm03.38" codec with the codecs module)

from listener.modem.errors import InvalidMessageError

Alphabet = Literal["gsm7", "ucs2"]

GSM_CODEC = "gsm03.38"
GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67
MAX_PARTS = 255

#: Characters whose GSM-7 code equals their ASCII code: safe to type in AT text mode whatever the modem's
#: character set (AT+CSCS "GSM" or "IRA"). Text mode is used only for texts made of these.
TEXT_MODE_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !\"#%&'()*+,-./:;<=>?\n"
)

_ESCAPE = "\x1b"


@dataclass(frozen=True)
class EncodedText:
    """A text ready to be put into SMS-SUBMIT PDUs: its alphabet and the parts (one if it fits)."""

    alphabet: Alphabet
    parts: tuple[str, ...]

    @property
    def concatenated(self) -> bool:
        return len(self.parts) > 1


def gsm7_septets(text: str) -> bytes:
    """The unpacked GSM-7 septets of `text` (escape + code for extension characters).

    Raises UnicodeEncodeError when a character is not in the GSM 03.38 default alphabet.
    """
    if _ESCAPE in text:
        # A lone ESC would be read as the start of an extension character on the phone.
        position = text.index(_ESCAPE)
        raise UnicodeEncodeError(GSM_CODEC, text, position, position + 1, "ESC is not a character")
    return text.encode(GSM_CODEC)


def is_gsm7(text: str) -> bool:
    try:
        gsm7_septets(text)
    except UnicodeEncodeError:
        return False
    return True


def gsm7_length(char: str) -> int:
    """Septets one character takes (1, or 2 for the extension table)."""
    return len(gsm7_septets(char))


def ucs2_length(char: str) -> int:
    """UTF-16 code units one code point takes (2 for a surrogate pair)."""
    return 2 if ord(char) > 0xFFFF else 1


def ucs2_units(text: str) -> int:
    return sum(ucs2_length(c) for c in text)


def text_mode_safe(text: str) -> bool:
    """True when `text` can be typed in AT text mode unchanged and fits one SMS."""
    return len(text) <= GSM7_SINGLE and all(c in TEXT_MODE_SAFE for c in text)


def _joins_previous(char: str, previous: str) -> bool:
    """True when `char` belongs to the same user-perceived character as `previous`."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me")
        or code == 0x200D  # zero width joiner
        or previous == "\u200d"
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sub-regions)
    )


def clusters(text: str) -> list[str]:
    """Group code points into user-perceived characters (an approximation of UAX #29 good enough to
    keep accents, emoji modifiers, ZWJ sequences and flag pairs together)."""
    result: list[str] = []
    regional_open = False
    for char in text:
        is_regional = 0x1F1E6 <= ord(char) <= 0x1F1FF
        if result and (_joins_previous(char, result[-1][-1]) or (is_regional and regional_open)):
            result[-1] += char
            regional_open = False
            continue
        result.append(char)
        regional_open = is_regional
    return result


def _split(text: str, limit: int, *, alphabet: Alphabet) -> list[str]:
    measure = _gsm7_size if alphabet == "gsm7" else ucs2_units
    parts: list[str] = []
    current = ""
    current_size = 0
    for cluster in clusters(text):
        size = measure(cluster)
        # A pathological cluster (hundreds of combining marks) cannot stay whole: cut it by code point.
        pieces = list(cluster) if size > limit else [cluster]
        for piece in pieces:
            piece_size = measure(piece)
            if current_size + piece_size > limit:
                parts.append(current)
                current, current_size = "", 0
            current += piece
            current_size += piece_size
    if current or not parts:
        parts.append(current)
    return parts


def _gsm7_size(text: str) -> int:
    return len(gsm7_septets(text))


def encode_text(text: str) -> EncodedText:
    """Pick the alphabet and split `text` into as few parts as the limits allow.

    Raises InvalidMessageError when the text would need more than 255 parts.
    """
    if is_gsm7(text):
        alphabet: Alphabet = "gsm7"
        single, part = GSM7_SINGLE, GSM7_PART
        size = _gsm7_size(text)
    else:
        alphabet = "ucs2"
        single, part = UCS2_SINGLE, UCS2_PART
        size = ucs2_units(text)
    if size <= single:
        return EncodedText(alphabet, (text,))
    parts = _split(text, part, alphabet=alphabet)
    if len(parts) > MAX_PARTS:
        raise InvalidMessageError(
            f"the text needs {len(parts)} SMS parts ({size} {'septets' if alphabet == 'gsm7' else 'UCS-2 units'}); "
            f"at most {MAX_PARTS} can be concatenated"
        )
    return EncodedText(alphabet, tuple(parts))
