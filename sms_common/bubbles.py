"""The `[BUBBLE]` rule: how a text splits into the separate SMS a modem sends, and which texts are refused.

Why one module: the importer refuses a CSV row, the planner counts the texts a message becomes, and
the database (`internal.split_bubbles`, `internal.bubble_problem`, used by the insert guards) refuses
and splits the same way. If Python and SQL disagreed, a row the importer accepted would fail at insert
(or, worse, a text would go out cut differently from the preview). So the rule is written down here once,
exactly, and `tests/integration/scheduler/test_bubbles_match_sql.py` runs the same corpus through both.
The spec is docs/state-machine.md, "The [BUBBLE] marker".

The rule, character for character (characters are Unicode code points, as PostgreSQL's `length()` and
`strpos()` count them in a UTF-8 database; positions count from 1):

1. **Split** on the exact eight characters `[BUBBLE]` (upper case, ASCII brackets, nothing inside).
2. **Trim** each part, at both ends only, of ``TRIMMED``: the ASCII white space U+0020, U+0009,
   U+000D, U+000A, U+000C, U+000B (what the SQL's ``btrim(part, E' \\t\\r\\n\\f\\v')`` meant; but in
   PostgreSQL ``E'\\v'`` is the letter v, so the schema before issue 10 trims a leading or trailing
   letter v off bubbles, ``'vivid'`` -> ``'ivid'``: the SQL must write ``\\u000B``) and the
   invisible characters ``INVISIBLE`` (U+200B zero-width space, U+200C ZWNJ, U+200D ZWJ, U+2060 word
   joiner, U+FEFF BOM, U+00AD soft hyphen). Other white space (a no-break space, U+3000) is *not*
   trimmed: a bubble `"a\\u00a0"` is sent as it is.
3. **Refuse**, checked in this order, the first problem found being the reason:

   a. a text longer than ``MAX_TEXT_LENGTH`` (16,000) characters;
   b. a near-miss marker, the first one from the left: a run matching ``NEAR_MISS`` (one or more
      opening brackets, ``[`` or the full-width U+FF3B; any ``BLANK`` characters; the letters
      ``BUBBLE`` in any case; any ``BLANK`` characters; one or more closing brackets, ``]`` or
      U+FF3D) that is not exactly ``[BUBBLE]``: `[bubble]`, `[ BUBBLE ]`, the full-width brackets,
      `[[BUBBLE]]`, `[[BUBBLE]`, `[BUBBLE]]`. The reason shows the near-miss as a Python literal, so
      an invisible character in it is visible (``'[\\u200bBUBBLE]'``);
   c. more than ``MAX_BUBBLES`` (10) parts;
   d. the first part, from the left, that is empty or consists only of ``BLANK`` characters
      (``WHITE_SPACE``: every character with the Unicode ``White_Space`` property, incl. U+00A0 NBSP,
      plus ``INVISIBLE``), or is longer than ``MAX_BUBBLE_LENGTH`` (1,600) characters after the trim.
      A text with a single part that is blank is "empty message".

The reasons are one line each and name the bubble (``bubble 2 of 3``) when the problem is in one.
"""

from __future__ import annotations

import re
from typing import Final

#: The exact marker; nothing else splits a text.
MARKER: Final = "[BUBBLE]"
MAX_BUBBLES: Final = 10
MAX_BUBBLE_LENGTH: Final = 1_600
MAX_TEXT_LENGTH: Final = 16_000

#: ASCII white space: space, tab, CR, LF, form feed, vertical tab (U+000B; in SQL \u000B, not E'\v').
SQL_ASCII_TRIM: Final = " \t\r\n\f\v"
#: Characters that show nothing: zero-width space, ZWNJ, ZWJ, word joiner, BOM, soft hyphen.
INVISIBLE: Final = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
#: Removed from both ends of every part (rule 2).
TRIMMED: Final = SQL_ASCII_TRIM + INVISIBLE
#: The Unicode White_Space property (Unicode 15), listed so SQL can use the same class, not a locale's.
WHITE_SPACE: Final = (
    "\t\n\v\f\r \u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
#: A part made only of these is empty (rule 3d).
BLANK: Final = WHITE_SPACE + INVISIBLE

_BLANK_CLASS = "[" + re.escape(BLANK) + "]"
#: Rule 3b: anything that looks like a marker; a match other than exactly MARKER is a near-miss.
NEAR_MISS: Final = re.compile(
    r"[\[\uff3b]+" + _BLANK_CLASS + r"*[Bb][Uu][Bb][Bb][Ll][Ee]" + _BLANK_CLASS + r"*[\]\uff3d]+"
)


def _parts(text: str) -> list[str]:
    return [part.strip(TRIMMED) for part in text.split(MARKER)]


def split_bubbles(text: str) -> list[str]:
    """The texts a message becomes, in order: split on exact `[BUBBLE]`, each part trimmed (rules 1-2).

    For a text `bubble_problem` accepts these are exactly what the database sends, one SMS each. For a
    refused text, empty parts are kept so that their position can be named.
    """
    return _parts(text)


def is_blank(part: str) -> bool:
    """True when a part shows nothing: empty, or only white space and invisible characters."""
    return all(character in BLANK for character in part)


def bubble_problem(text: str) -> str | None:
    """Why the database refuses this text (one line, naming the bubble), or None when it is fine."""
    if len(text) > MAX_TEXT_LENGTH:
        return f"the text is {len(text):,} characters long: at most {MAX_TEXT_LENGTH:,}"
    parts = _parts(text)
    total = len(parts)
    for match in NEAR_MISS.finditer(text):
        if match.group() != MARKER:
            bubble = text.count(MARKER, 0, match.start()) + 1
            return (
                f"near-miss marker {match.group()!r} at character {match.start() + 1} "
                f"(bubble {bubble} of {total}): write exactly {MARKER}"
            )
    if total > MAX_BUBBLES:
        return f"{total} bubbles: at most {MAX_BUBBLES}"
    for number, part in enumerate(parts, start=1):
        if is_blank(part):
            if total == 1:
                return "empty message"
            return f"bubble {number} of {total} is empty"
        if len(part) > MAX_BUBBLE_LENGTH:
            return (
                f"bubble {number} of {total} is {len(part):,} characters long: at most {MAX_BUBBLE_LENGTH:,}"
            )
    return None
