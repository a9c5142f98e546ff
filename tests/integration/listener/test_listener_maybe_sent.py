"""Once the body has reached the modem, no code path re-queues the bubble: the three ways a send ends
without an answer the listener can trust, end to end (real database, real driver, simulator on a pty).

- the modem takes the body and never answers (the driver's deadline passes);
- the device vanishes from USB right after taking the body;
- the modem answers `+CMS ERROR` only after the driver's deadline (a late refusal is not believed:
  by then the listener has stopped listening, and the SMS may have gone out).

Each bubble must end `unknown` (a person decides), be handed to the modem exactly once, and never be
released; sending then goes on with the next message once the modem is back.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from listener.decision import MarkUnknown, Release
from listener.modem.config import ModemConfig, ModemTimeouts
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
)

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

#: Short deadlines, so the "no answer" cases end in a second.
TIMEOUTS = ModemTimeouts(command=1.0, prompt=2.0, send=0.5, registration=5.0, registration_poll=0.1)


def _break(simulator: ModemSimulator, case: str) -> None:
    if case == "timeout after the body":
        simulator.faults.silent_after_body = True
    elif case == "device vanishes after the body":
        simulator.faults.unplug_after_body = True
    else:  # "+CMS ERROR after the deadline"
        simulator.fail_next_sends(42, 1)  # congestion: a transient refusal, were it on time
        simulator.faults.body_answer_delay = 1.5


def _repair(simulator: ModemSimulator) -> None:
    simulator.faults.silent_after_body = False
    simulator.faults.unplug_after_body = False
    simulator.faults.body_answer_delay = 0.0
    simulator.plug()


@pytest.mark.parametrize(
    "case", ["timeout after the body", "device vanishes after the body", "+CMS ERROR after the deadline"]
)
async def test_a_body_that_reached_the_modem_is_never_requeued(
    case: str, db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    modem_config = ModemConfig(simulator.device_path, mode="pdu", timeouts=TIMEOUTS)
    async with running(
        pg_database(db_url),
        NotifyWakeSource(db_url),
        simulator,
        quick_config(f"maybe-{case[:6]}"),
        clock,
        modem_config=modem_config,
    ) as service:
        _break(simulator, case)
        [maybe] = await queue_message(aconn, "+12095550151", ["the body reached the modem"])
        await eventually(lambda: all_have_status(aconn, [maybe], "unknown"), 30, "marked unknown")
        _repair(simulator)
        [after] = await queue_message(aconn, "+12095550152", ["the next message"])
        await eventually(lambda: all_have_status(aconn, [after], "sent"), 60, "sending goes on")
        assert await all_have_status(aconn, [maybe], "unknown"), "still unknown: never retried"

    decisions = [type(decision) for message_id, decision in service.decisions if message_id == maybe]
    assert decisions == [MarkUnknown], f"{case}: decided {decisions}"
    assert Release not in decisions
    cur = await aconn.execute("select attempts, error_message from messages where id = %s", (maybe,))
    attempts, error = await cur.fetchone() or (None, None)
    assert attempts == 1
    assert "may have been sent" in str(error)
    submits = [command for command in simulator.commands if command.upper().startswith("AT+CMGS=")]
    assert len(submits) == 2, f"{case}: one AT+CMGS for each message, none again: {submits}"
    assert "the body reached the modem" not in [m.text for m in simulator.sent[1:]]
