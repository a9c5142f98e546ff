"""Recipient windows end to end (issue 13): the listener, the real database and the simulated modem at
the moments the issue names. Messages were queued while every recipient's window was open; the
listener then comes back at a moment when some recipients' local hours are over (or not yet begun),
so only the claim stands between those bubbles and the modem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
import pytest

from listener.modem.simulator import ModemSimulator
from listener.pg_notify import NotifyWakeSource
from tests.harness import PinnedClock
from tests.integration.listener.conftest import (
    all_have_status,
    eventually,
    pg_database,
    queue_message,
    quick_config,
    running,
    statuses,
)

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

NEW_YORK, FLORIDA, CALIFORNIA, HAWAII = "+12125550131", "+13055550132", "+14155550133", "+18085550134"


@pytest.mark.parametrize(
    ("queued_at", "back_at", "sent", "held", "next_due"),
    [
        # 18:30 Pacific = 21:30 Eastern: New York and Florida closed, California open.
        ("2025-11-05T14:30-08:00", "2025-11-05T18:30-08:00", [CALIFORNIA], [NEW_YORK, FLORIDA],
         "2025-11-06T09:00-08:00"),
        # 17:30 Pacific = 20:30 Eastern: Florida (8-20) closed, New York (8-21) open.
        ("2025-11-05T16:00-08:00", "2025-11-05T17:30-08:00", [NEW_YORK, CALIFORNIA], [FLORIDA],
         "2025-11-06T09:00-08:00"),
        # 9:05 Pacific = 7:05 in Hawaii: closed until 8:00 HST = 10:00 Pacific.
        ("2025-11-04T14:30-08:00", "2025-11-05T09:05-08:00", [CALIFORNIA], [HAWAII],
         "2025-11-05T10:00-08:00"),
    ],
    ids=["18:30-pacific", "17:30-pacific", "09:05-pacific"],
)  # fmt: skip
async def test_the_listener_sends_only_to_recipients_whose_window_is_open(
    db_url: str,
    aconn: Conn,
    simulator: ModemSimulator,
    clock: PinnedClock,
    queued_at: str,
    back_at: str,
    sent: list[str],
    held: list[str],
    next_due: str,
) -> None:
    clock.set(queued_at)
    queued = {phone: await queue_message(aconn, phone, [f"hello {phone[-4:]}"]) for phone in sent + held}
    clock.set(back_at)  # the listener was away meanwhile
    async with running(pg_database(db_url), NotifyWakeSource(db_url), simulator, quick_config("rw"), clock):
        for phone in sent:
            await eventually(lambda p=phone: all_have_status(aconn, queued[p], "sent"), 20, f"{phone} sent")
        cur = await aconn.execute("select next_bubble_due_at()")
        row = await cur.fetchone()
    assert row is not None
    assert row[0] == datetime.fromisoformat(next_due), "the listener sleeps until the next recipient opens"
    assert sorted(m.number for m in simulator.sent) == sorted(sent)
    for phone in held:
        assert set((await statuses(aconn, queued[phone])).values()) == {"queued"}, f"{phone} must wait"
