"""The open serial device under the AT dialogue, and whether it is still in step.

`ModemLink.open()` is the only place that touches pyserial-asyncio; everything above works on the
byte stream through `protocol` and `dialogue`, so the same code runs against a USB stick, the
simulator's pseudo-terminal, or a scripted transport in unit tests.

A link that missed a deadline is out of step (a late answer could be taken for the next command's):
it is marked broken and refuses further commands until the modem is re-opened.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Unpack

from listener.modem.dialogue import CommandOptions, Dialogue, Response, UnsolicitedEvent
from listener.modem.errors import ModemNotRespondingError
from listener.modem.protocol import ModemProtocol
from sms_common.logs import get_logger

log = get_logger(__name__)


class ModemLink:
    """One device: its transport, its dialogue, and the reason it broke (None while in step)."""

    def __init__(self, port: str, *, on_event: Callable[[UnsolicitedEvent], None] | None = None) -> None:
        self.port = port
        self.dialogue = Dialogue(self.write, on_event=on_event)
        self.protocol = ModemProtocol(self.dialogue)
        self._transport: asyncio.BaseTransport | None = None
        self._broken: str | None = None

    async def connect(self, baud: int) -> None:
        """Open the serial device. Raises ModemNotRespondingError if it cannot."""
        import serial
        import serial_asyncio

        try:
            # exclusive: a second process on the same modem would interleave its AT commands with ours.
            transport, _ = await serial_asyncio.create_serial_connection(
                asyncio.get_running_loop(),
                lambda: self.protocol,
                url=self.port,
                baudrate=baud,
                exclusive=True,
            )
        except (OSError, serial.SerialException) as exc:
            raise ModemNotRespondingError(f"cannot open {self.port}: {exc}") from exc
        self.attach(transport)
        log.info("modem_opened", port=self.port, baud=baud)

    def attach(self, transport: asyncio.BaseTransport) -> None:
        """Use `transport` (whose protocol is `self.protocol`) for writing. connect() does this."""
        self._transport = transport

    def write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise ModemNotRespondingError(f"{self.port}: device is closed")
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(data)

    async def close(self) -> None:
        """Close the device; safe to call twice or on a device that already disappeared."""
        transport = self._transport
        self._broken = self._broken or "closed"
        if transport is not None and not transport.is_closing():
            transport.close()
        if transport is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dialogue.closed.wait(), 2.0)

    @property
    def usable(self) -> bool:
        return self._broken is None and not self.dialogue.closed.is_set()

    @property
    def broken_reason(self) -> str | None:
        if self.dialogue.closed.is_set():
            return self.dialogue.close_reason
        return self._broken

    def mark_broken(self, reason: str) -> None:
        self._broken = self._broken or reason

    def check_usable(self, what: str) -> None:
        reason = self.broken_reason
        if reason is not None:
            raise ModemNotRespondingError(f"{what}: modem {self.port} needs re-opening ({reason})")

    async def command(self, command: str, *, deadline: float, **options: Unpack[CommandOptions]) -> Response:
        """One AT command; a missed deadline marks the link broken (see the module docstring)."""
        self.check_usable(options.get("label") or command)
        try:
            return await self.dialogue.command(command, deadline=deadline, **options)
        except ModemNotRespondingError as exc:
            self.mark_broken(str(exc))
            raise
