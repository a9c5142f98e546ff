"""A transport that plays a recorded modem exchange back to the driver, byte for byte.

Each step is (what the driver must write, what the modem answered). The answer is delivered in small
chunks, as a USB serial port does, so framing across chunk boundaries is exercised too. A write the
recording does not expect is kept in `unexpected` and fails the test.
"""

from __future__ import annotations

import asyncio
from typing import Any

from listener.modem.driver import Modem, ModemConfig, ModemTimeouts, SmsMode


class ScriptedTransport(asyncio.WriteTransport):
    def __init__(self, protocol: asyncio.Protocol, steps: list[tuple[bytes, bytes]], chunk: int = 7) -> None:
        super().__init__()
        self.protocol = protocol
        self.steps = list(steps)
        self.chunk = chunk
        self.written = bytearray()
        self.unexpected: list[bytes] = []
        self.closed = False
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.extend(bytes(data))
        if not self.steps:
            self.unexpected.append(bytes(self.written))
            self.written.clear()
            return
        expected, answer = self.steps[0]
        if bytes(self.written) == expected:
            self.steps.pop(0)
            self.written.clear()
            for start in range(0, len(answer), self.chunk):
                self._loop.call_soon(self.protocol.data_received, answer[start : start + self.chunk])
        elif not expected.startswith(bytes(self.written)):
            self.unexpected.append(bytes(self.written))
            self.written.clear()

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._loop.call_soon(self.protocol.connection_lost, None)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def scripted_modem(
    steps: list[tuple[bytes, bytes]],
    *,
    mode: SmsMode = "pdu",
    pin: str | None = None,
    receive: bool = False,
    status_reports: bool = False,
    **timeouts: Any,
) -> tuple[Modem, ScriptedTransport]:
    """A Modem on a recorded exchange. Reception and status reports are off unless asked for, so the
    recordings of sending need no AT+CPMS/AT+CNMI steps."""
    modem = Modem(
        ModemConfig(
            "scripted",
            mode=mode,
            pin=pin,
            timeouts=ModemTimeouts(**{"command": 1.0, **timeouts}),
            receive=receive,
            status_reports=status_reports,
        )
    )
    transport = ScriptedTransport(modem.protocol, steps)
    modem.protocol.connection_made(transport)
    modem.attach(transport)
    return modem, transport


def ok(*lines: str) -> bytes:
    """A modem answer: information lines, then OK, each framed by CR LF."""
    return b"".join(f"\r\n{line}\r\n".encode("latin-1") for line in (*lines, "OK"))


def lines(*text: str) -> bytes:
    return b"".join(f"\r\n{line}\r\n".encode("latin-1") for line in text)
