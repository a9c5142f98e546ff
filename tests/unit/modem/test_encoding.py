"""Alphabet choice and splitting into concatenated parts (GSM-7 153 septets, UCS-2 67 units)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.modem.encoding import (
    GSM7_PART,
    UCS2_PART,
    clusters,
    encode_text,
    gsm7_septets,
    is_gsm7,
    text_mode_safe,
    ucs2_units,
)
from listener.modem.errors import InvalidMessageError


@pytest.mark.parametrize(
    ("text", "alphabet", "parts"),
    [
        ("", "gsm7", 1),
        ("Hello, see you at 9:30!", "gsm7", 1),
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("€" * 80, "gsm7", 1),  # 160 septets: each euro sign is escape + 0x65
        ("€" * 81, "gsm7", 2),
        ("Café à Zürich, ñ, Ø, ß, Δ", "gsm7", 1),  # all in the GSM default alphabet
        ("ça va", "ucs2", 1),  # lower-case c cedilla is not (only Ç is)
        ("x" * 70 + "ç", "ucs2", 2),
        ("é" * 69 + "ç", "ucs2", 1),
        ("😀" * 35, "ucs2", 1),  # 70 UTF-16 units
        ("😀" * 36, "ucs2", 2),
        ("Привет " * 20, "ucs2", 3),
    ],
)
def test_alphabet_and_part_count(text: str, alphabet: str, parts: int) -> None:
    encoded = encode_text(text)
    assert encoded.alphabet == alphabet
    assert len(encoded.parts) == parts
    assert "".join(encoded.parts) == text


def test_extension_character_at_a_part_boundary_moves_whole_to_the_next_part() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the euro sign would need septets 153 and 154
    parts = encode_text(text).parts
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")
    assert [len(gsm7_septets(p)) for p in parts] == [152, 12]


def test_extension_character_exactly_filling_a_part_stays() -> None:
    text = "a" * 151 + "€" + "b" * 10
    parts = encode_text(text).parts
    assert parts[0] == "a" * 151 + "€"
    assert len(gsm7_septets(parts[0])) == GSM7_PART


def test_surrogate_pair_at_a_part_boundary_is_never_split() -> None:
    text = "x" * 66 + "😀" + "y" * 10  # the emoji would need units 67 and 68
    parts = encode_text(text).parts
    assert parts[0] == "x" * 66
    assert parts[1].startswith("😀")
    for part in parts:
        part.encode("utf-16-be").decode("utf-16-be")  # strict: no lone surrogate in any part
        assert ucs2_units(part) <= UCS2_PART


@pytest.mark.parametrize(
    "cluster",
    [
        "e\u0301",  # e + combining acute
        "👍🏽",  # thumbs up + skin tone
        "👨\u200d👩\u200d👧",  # family ZWJ sequence
        "🇺🇸",  # flag: two regional indicators
        "❤\ufe0f",  # heart + emoji presentation selector
    ],
)
def test_user_perceived_characters_stay_in_one_part(cluster: str) -> None:
    filler = "x" * (UCS2_PART - 1)
    text = filler + cluster + "y"
    parts = encode_text(text).parts
    assert cluster in parts[0] or cluster in parts[1]
    assert clusters(cluster) == [cluster]


def test_two_flags_are_two_clusters() -> None:
    assert clusters("🇺🇸🇫🇷") == ["🇺🇸", "🇫🇷"]


def test_escape_character_is_not_gsm7() -> None:
    assert not is_gsm7("a\x1bb")
    assert encode_text("a\x1bb").alphabet == "ucs2"


def test_too_long_text_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidMessageError, match="256 SMS parts"):
        encode_text("a" * (GSM7_PART * 255 + 1))


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Hello, world! 50% off (today)?", True),
        ("line one\nline two", True),
        ("price: $5", False),  # '$' is 0x02 in GSM-7
        ("me@example.com", False),  # '@' is 0x00
        ("snake_case", False),
        ("[tag]", False),  # extension table
        ("café", False),
        ("a" * 161, False),
    ],
)
def test_text_mode_is_used_only_for_characters_equal_in_ascii_and_gsm7(text: str, safe: bool) -> None:
    assert text_mode_safe(text) is safe


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=600))
def test_any_text_splits_into_parts_that_join_back_and_fit(text: str) -> None:
    encoded = encode_text(text)
    assert "".join(encoded.parts) == text
    if encoded.alphabet == "gsm7":
        limit = 160 if len(encoded.parts) == 1 else GSM7_PART
        assert all(len(gsm7_septets(p)) <= limit for p in encoded.parts)
    else:
        limit = 70 if len(encoded.parts) == 1 else UCS2_PART
        assert all(ucs2_units(p) <= limit for p in encoded.parts)
