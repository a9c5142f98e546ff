"""A GSM modem on a real pseudo-terminal, for tests and demos without hardware.

`ModemSimulator` puts three parts together: the device's lifecycle (`pty`: a pty behind a symlink
that can be unplugged and replugged), the firmware (`at`: AT emulation, with real models' quirks as
data in `profiles`), and its misbehaviour (`faults`: what to do wrong now, and scripts of faults over
time). `async with ModemSimulator() as sim:` then open `sim.device_path` with the driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Unpack

from listener.modem.simulator.at import AtEmulator, FirmwareOptions, SentMessage
from listener.modem.simulator.faults import (
    SCRIPT_HELP,
    Faults,
    ScriptStep,
    SimulatorError,
    apply_step,
    parse_script,
    run_script,
)
from listener.modem.simulator.profiles import MODELS, PROFILES, ModemModel, Profile
from listener.modem.simulator.pty import PtyDevice

__all__ = [
    "MODELS",
    "PROFILES",
    "SCRIPT_HELP",
    "Faults",
    "ModemModel",
    "ModemSimulator",
    "Profile",
    "ScriptStep",
    "SentMessage",
    "SimulatorError",
    "apply_step",
    "parse_script",
    "run_script",
]


class ModemSimulator(AtEmulator):
    """The AT emulation on a pty (see the module docstring)."""

    def __init__(
        self, *, link: str | os.PathLike[str] | None = None, **firmware: Unpack[FirmwareOptions]
    ) -> None:
        super().__init__(**firmware)
        self._own_dir: tempfile.TemporaryDirectory[str] | None = None
        if link is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="modem-sim-")
            link = Path(self._own_dir.name) / "modem"
        self.device_path = str(link)
        self._device = PtyDevice(self.device_path, self.receive)
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> ModemSimulator:
        self._worker = asyncio.create_task(self.run())
        self.plug()
        return self

    async def stop(self) -> None:
        self.unplug()
        tasks = [*self._tasks, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._worker = None
        if self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None

    async def __aenter__(self) -> ModemSimulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def plugged(self) -> bool:
        return self._device.plugged

    @property
    def pty_path(self) -> str | None:
        return self._device.pty_path

    def plug(self) -> None:
        """A modem appearing on USB: a fresh pty under the device path, settings reset."""
        if self.plugged:
            return
        assert self._worker is not None, "start() the simulator first"
        self.power_cycle()
        self._device.plug(asyncio.get_running_loop())

    def unplug(self) -> None:
        """A modem vanishing from USB: the pty closes, the device path goes, pending work is lost."""
        if not self.plugged:
            return
        self._device.unplug()
        self.drop_pending()

    def _write(self, data: bytes) -> None:
        self._device.write(data)

    # -- fault helpers -----------------------------------------------------------------------------

    def fail_next_sends(self, code: int, count: int = 1, *, after: int = 0) -> None:
        """Answer `count` submitted bodies with +CMS ERROR: `code`, after letting `after` through."""
        self.faults.cms_error_code = code
        self.faults.cms_error_count = count
        self.faults.cms_error_after = after

    def flood(self, line: str, interval: float) -> asyncio.Task[None]:
        """Write `line` as an unsolicited code every `interval` seconds until the task is cancelled."""

        async def run() -> None:
            while True:
                if self.plugged:
                    self._write_line(line)
                await asyncio.sleep(interval)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def unsolicited(self, line: str) -> None:
        """Write one unsolicited line now."""
        self._write_line(line)
