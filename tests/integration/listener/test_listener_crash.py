"""Crash safety with real processes: `python -m listener run` killed with SIGKILL while an SMS is
with the modem, then restarted; and SIGTERM ending the process with exit code 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import psycopg

from listener.modem.simulator import ModemSimulator
from tests.harness import REPO_ROOT, PinnedClock
from tests.integration.listener.conftest import all_have_status, eventually, queue_message, statuses

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


def _environment(db_url: str, sim: ModemSimulator, worker_id: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SUPABASE_", "WORKER_"))}
    env.update(
        {
            "DATABASE_URL": db_url,
            "MODEM_PORT": sim.device_path,
            "MODEM_MODE": "pdu",
            "BUBBLE_PAUSE": "0",
            "RECIPIENT_PAUSE": "0",
            "POLL_INTERVAL": "1",
            "HEARTBEAT_INTERVAL": "30",
            "WORKER_ID": worker_id,
            "LOG_LEVEL": "INFO",
            "SMS_SETTINGS_FILE": os.devnull,
        }
    )
    return env


async def _start_listener(
    db_url: str, sim: ModemSimulator, clock: PinnedClock, log: Path, *extra: str
) -> asyncio.subprocess.Process:
    """`python -m listener run`, with the database's clock running from the pinned weekday afternoon."""
    if not clock.running:
        clock.run_from(clock.at)
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "listener",
            "run",
            *extra,
            cwd=REPO_ROOT,
            env=_environment(db_url, sim, "crash-test"),
            stdout=out,
            stderr=out,
        )


async def test_kill_9_during_a_send_leaves_that_bubble_unknown_and_nothing_is_sent_twice(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock, tmp_path: Path
) -> None:
    log = tmp_path / "listener.log"
    process = await _start_listener(db_url, simulator, clock, log)
    try:
        [warmup] = await queue_message(aconn, "+12095550141", ["before the crash"])
        await simulator.wait_sent(1, within=60)
        await eventually(lambda: all_have_status(aconn, [warmup], "sent"), 20, "first message recorded")

        # The modem takes the next body and never answers: the listener is waiting inside AT+CMGS.
        simulator.faults.silent_after_body = True
        crash = await queue_message(aconn, "+12095550142", ["in the modem at the crash"])
        await simulator.wait_sent(2, within=30)
        assert await statuses(aconn, crash) == {crash[0]: "sending"}
        process.kill()  # SIGKILL: no cleanup at all
        assert await process.wait() == -signal.SIGKILL
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    simulator.faults.silent_after_body = False
    later = await queue_message(aconn, "+12095550143", ["queued while the listener was dead"])
    restarted = await _start_listener(db_url, simulator, clock, log, "--until-idle")
    try:
        code = await asyncio.wait_for(restarted.wait(), 60)
    finally:
        if restarted.returncode is None:
            restarted.kill()
            await restarted.wait()
    assert code == 0, log.read_text()

    assert await statuses(aconn, [*crash, *later]) == {
        crash[0]: "unknown",  # may have gone out: a person decides, it is never resent
        later[0]: "sent",
    }
    texts = [m.text for m in simulator.sent]
    assert texts == ["before the crash", "in the modem at the crash", "queued while the listener was dead"]
    assert len(texts) == len(set(texts)), "nothing was sent twice"


async def test_sigterm_ends_the_listener_process_with_exit_code_0(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock, tmp_path: Path
) -> None:
    log = tmp_path / "listener.log"
    process = await _start_listener(db_url, simulator, clock, log)
    try:
        [message] = await queue_message(aconn, "+12095550144", ["sent before SIGTERM"])
        await simulator.wait_sent(1, within=60)
        await eventually(lambda: all_have_status(aconn, [message], "sent"), 20, "recorded")
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0, log.read_text()
    text = log.read_text()
    assert '"event": "stopped"' in text
    assert "+12095550144" not in text, "phone numbers are masked in the log"
