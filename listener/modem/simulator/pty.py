"""The simulated modem's device: a pseudo-terminal behind a symlink the simulator owns.

The driver opens the symlink exactly as it opens /dev/ttyUSB0 (pyserial-asyncio on a tty). "Plugging"
creates a fresh pty and points the symlink at it; "unplugging" closes the pty and removes the link, as
a USB stick that disappears and re-enumerates does. This class only moves bytes: what they mean is
`at.AtEmulator`'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable
from pathlib import Path


class PtyDevice:
    """One pty at a time under `link`; calls `on_data(bytes)` with what the driver writes."""

    def __init__(self, link: str, on_data: Callable[[bytes], None]) -> None:
        self.link = link
        self._on_data = on_data
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._outbuf = bytearray()
        #: The current pty's own path (/dev/pts/N), None while unplugged.
        self.pty_path: str | None = None

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self, loop: asyncio.AbstractEventLoop) -> None:
        """Create a fresh pty and point the link at it (a modem appearing on USB)."""
        if self.plugged:
            return
        self._loop = loop
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.pty_path = os.ttyname(slave)
        link = Path(self.link)
        temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(self.pty_path)
        temporary.replace(link)
        self._outbuf.clear()
        loop.add_reader(master, self._readable)

    def unplug(self) -> None:
        """Close the pty and remove the link (a modem vanishing from USB)."""
        if self._master is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
        os.close(self._master)
        if self._slave is not None:
            os.close(self._slave)
        self._master = self._slave = None
        self.pty_path = None
        with contextlib.suppress(FileNotFoundError):
            Path(self.link).unlink()

    def write(self, data: bytes) -> None:
        """Queue `data` for the driver (nothing happens while unplugged)."""
        if self._master is None:
            return
        self._outbuf.extend(data)
        self._flush()

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # EIO: no client has the slave open right now
        self._on_data(data)

    def _flush(self) -> None:
        master = self._master
        if master is None or self._loop is None:
            return
        while self._outbuf:
            try:
                written = os.write(master, self._outbuf)
            except BlockingIOError:
                self._loop.add_writer(master, self._flush)
                return
            except OSError:
                self._outbuf.clear()
                return
            del self._outbuf[:written]
        self._loop.remove_writer(master)
