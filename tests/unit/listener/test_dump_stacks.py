"""`kill -USR1` on a listener (listener.run.dump_stacks): every asyncio task's stack and every thread's,
so an operator (or a test) can see where a listener that does not stop is waiting."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from listener.run import dump_stacks


async def test_sigusr1_prints_where_each_task_waits(capfd: pytest.CaptureFixture[str]) -> None:
    started = asyncio.Event()

    async def waiting_for_a_modem_answer() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(waiting_for_a_modem_answer(), name="stuck-task")
    await started.wait()
    loop = asyncio.get_running_loop()
    dumped = asyncio.Event()

    def handler() -> None:
        dump_stacks()
        dumped.set()

    loop.add_signal_handler(signal.SIGUSR1, handler)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(dumped.wait(), 10)
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)
        task.cancel()
    err = capfd.readouterr().err
    assert "asyncio tasks" in err
    assert "waiting_for_a_modem_answer" in err, err
    assert "Current thread" in err or "Thread 0x" in err, err
