"""The bubble count the plan shows equals the number of texts the SQL promotion makes (split_bubbles)."""

from __future__ import annotations

import pytest

from scheduler.planner import bubble_count
from sms_common.bubbles import split_bubbles
from tests.integration.scheduler.helpers import Conn

MESSAGES = [
    "one",
    "a[BUBBLE]b",
    "Hi Avery!\n\n[BUBBLE]\n\nOur special: $49.[BUBBLE]Reply here.",
    "trailing[BUBBLE]",
    "[BUBBLE]leading",
    "a[BUBBLE]  [BUBBLE]b",
    "emoji 👋[BUBBLE]🚲❄️",
    "no marker but [bubble] lower case",
    "  spaced  [BUBBLE]  out  ",
    "no-break\u00a0space[BUBBLE]\u00a0[BUBBLE]end",
]


@pytest.mark.parametrize("content", MESSAGES)
def test_bubble_count_matches_sql_split_bubbles(conn: Conn, content: str) -> None:
    rows = conn.execute(
        "select content from public.split_bubbles(%s) order by bubble_index", (content,)
    ).fetchall()
    assert len(rows) == bubble_count(content)
    assert [r[0] for r in rows] == [b for b in split_bubbles(content) if b]
