"""The [BUBBLE] rule (sms_common.bubbles): the exact marker, the trim, the refusals and their reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_common.bubbles import (
    BLANK,
    INVISIBLE,
    MARKER,
    MAX_BUBBLE_LENGTH,
    MAX_BUBBLES,
    MAX_TEXT_LENGTH,
    TRIMMED,
    WHITE_SPACE,
    bubble_problem,
    is_blank,
    split_bubbles,
)


@pytest.mark.parametrize(
    ("text", "bubbles"),
    [
        ("one", ["one"]),
        ("a[BUBBLE]b", ["a", "b"]),
        (
            "Hi Avery!\n\n[BUBBLE]\n\nOur special: $49.[BUBBLE]Reply here.",
            ["Hi Avery!", "Our special: $49.", "Reply here."],
        ),
        ("  spaced \t[BUBBLE]\r\n out \f\v", ["spaced", "out"]),
        ("\u200bzero width\u200d[BUBBLE]\ufeffbom\u00ad", ["zero width", "bom"]),
        ("inner\u200bkept", ["inner\u200bkept"]),
        ("no-break\u00a0[BUBBLE]\u00a0kept", ["no-break\u00a0", "\u00a0kept"]),
        ("emoji 👋[BUBBLE]🚲❄️", ["emoji 👋", "🚲❄️"]),
        ("trailing[BUBBLE]", ["trailing", ""]),
    ],
)
def test_split_on_the_exact_marker_and_trim_the_sql_set(text: str, bubbles: list[str]) -> None:
    assert split_bubbles(text) == bubbles


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "Hello there! [bubble] more",
            "near-miss marker '[bubble]' at character 14 (bubble 1 of 1): write exactly [BUBBLE]",
        ),
        ("a[Bubble]b", "near-miss marker '[Bubble]' at character 2 (bubble 1 of 1): write exactly [BUBBLE]"),
        (
            "a[ BUBBLE ]b",
            "near-miss marker '[ BUBBLE ]' at character 2 (bubble 1 of 1): write exactly [BUBBLE]",
        ),
        (
            "a\uff3bBUBBLE\uff3db",
            "near-miss marker '\uff3bBUBBLE\uff3d' at character 2 (bubble 1 of 1): write exactly [BUBBLE]",
        ),
        (
            "a[BUBBLE]b[[BUBBLE]]c",
            "near-miss marker '[[BUBBLE]]' at character 11 (bubble 2 of 3): write exactly [BUBBLE]",
        ),
        (
            "a[[BUBBLE]b",
            "near-miss marker '[[BUBBLE]' at character 2 (bubble 1 of 2): write exactly [BUBBLE]",
        ),
        (
            "a[BUBBLE]]b",
            "near-miss marker '[BUBBLE]]' at character 2 (bubble 1 of 2): write exactly [BUBBLE]",
        ),
        (
            "a[\u200bBUBBLE]b",
            "near-miss marker '[\\u200bBUBBLE]' at character 2 (bubble 1 of 1): write exactly [BUBBLE]",
        ),
        (
            "👋👋[bubble]",
            "near-miss marker '[bubble]' at character 3 (bubble 1 of 1): write exactly [BUBBLE]",
        ),
        ("", "empty message"),
        ("  \n ", "empty message"),
        ("\u200b\u00a0\u3000", "empty message"),
        ("Hello[BUBBLE][BUBBLE]World", "bubble 2 of 3 is empty"),
        ("Hello[BUBBLE]", "bubble 2 of 2 is empty"),
        ("[BUBBLE]Hello", "bubble 1 of 2 is empty"),
        ("a[BUBBLE]\u00a0", "bubble 2 of 2 is empty"),
        ("a[BUBBLE]\u200b\u200c\u200d\u2060\ufeff\u00ad", "bubble 2 of 2 is empty"),
        ("a[BUBBLE] [BUBBLE]b[BUBBLE]", "bubble 2 of 4 is empty"),
        ("[BUBBLE]".join(["x"] * 11), "11 bubbles: at most 10"),
        ("ok[BUBBLE]" + "x" * 1601, "bubble 2 of 2 is 1,601 characters long: at most 1,600"),
        ("y" * 16_001, "the text is 16,001 characters long: at most 16,000"),
    ],
)
def test_refused_texts_and_their_one_line_reasons(text: str, problem: str) -> None:
    assert bubble_problem(text) == problem


@pytest.mark.parametrize(
    "text",
    [
        "Hello",
        "Hello[BUBBLE]World",
        "[BUBBLE]".join(["x"] * 10),
        "x" * 1600,
        "[BUBBLE]".join(["x" * 1600] * 10)[:MAX_TEXT_LENGTH],
        " " + "x" * 1600 + " \n",  # the limit is on the trimmed bubble
        "bubble tea [BUBBLE] BUBBLE alone, [bubbles] and (bubble) are words",
        "\u00a0padded\u00a0",
        "👨\u200d👩\u200d👧 family",
    ],
)
def test_accepted_texts(text: str) -> None:
    assert bubble_problem(text) is None


def test_the_sets_are_what_the_docstring_says() -> None:
    assert TRIMMED == " \t\r\n\f\v" + INVISIBLE
    assert set(INVISIBLE) == {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
    # Every character with the Unicode White_Space property is in WHITE_SPACE (and nothing else): the
    # property is what str.isspace() says minus the four ASCII separators U+001C-U+001F.
    everything = (chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert {c for c in everything if c.isspace()} - set("\x1c\x1d\x1e\x1f") == set(WHITE_SPACE)
    assert len(WHITE_SPACE) == 25
    assert set(BLANK) == set(WHITE_SPACE) | set(INVISIBLE)


PIECES = [
    MARKER,
    "[bubble]",
    "[ BUBBLE ]",
    "\uff3bBUBBLE\uff3d",
    "[",
    "]",
    "BUBBLE",
    " ",
    "\n",
    "\u00a0",
    "\u200b",
    "a",
    "👋",
]


@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_an_accepted_text_has_between_1_and_10_bubbles_none_blank(text: str) -> None:
    if bubble_problem(text) is None:
        bubbles = split_bubbles(text)
        assert 1 <= len(bubbles) <= MAX_BUBBLES
        assert all(not is_blank(b) and len(b) <= MAX_BUBBLE_LENGTH for b in bubbles)
        assert all(b == b.strip(TRIMMED) for b in bubbles)
        assert "[bubble]" not in text
        assert "\uff3b" not in text
        assert "[[" + MARKER not in text


@given(st.lists(st.text(max_size=20).filter(lambda t: MARKER not in t), min_size=1, max_size=10))
def test_joining_parts_with_the_marker_splits_back_into_the_trimmed_parts(parts: list[str]) -> None:
    text = MARKER.join(parts)
    # The marker may also appear across a join ("[BUB" + MARKER...); only count when it does not.
    if text.count(MARKER) == len(parts) - 1:
        assert split_bubbles(text) == [p.strip(TRIMMED) for p in parts]
