"""Byte-level framing of a modem's output: lines, and the `> ` prompt that has no line end.

This is the only code that sees raw bytes from the serial port. It knows nothing about commands:
it turns whatever chunks the port delivers (a byte at a time or many lines at once) into complete
lines and prompt events and hands them to the dialogue layer above (the layout of zigpy-xbee's
`asyncio.Protocol` + API split). Modems end lines with CR LF, some with a bare CR or LF, and print
the SMS body prompt as `\\r\\n> ` and then wait, so a pending `>` at the start of a line is a prompt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol as TypingProtocol

#: Longest line kept; a modem spewing garbage without line ends cannot grow memory without bound.
MAX_LINE = 4096


class LineSink(TypingProtocol):
    def line_received(self, line: str) -> None: ...

    def prompt_received(self) -> None: ...

    def connection_lost(self, exc: Exception | None) -> None: ...


class LineFramer:
    """Turns byte chunks into lines (without terminators, blank lines dropped) and prompts."""

    def __init__(self, on_line: Callable[[str], None], on_prompt: Callable[[], None]) -> None:
        self._on_line = on_line
        self._on_prompt = on_prompt
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer.extend(data)
        while True:
            cut = _first_terminator(self._buffer)
            if cut < 0:
                break
            raw = bytes(self._buffer[:cut])
            del self._buffer[: cut + 1]
            if _starts_with_prompt(raw):
                # `> ` followed by the echo of the body (echo still on): the prompt, then a line.
                self._on_prompt()
                raw = raw[2:]
            self._emit(raw)
        if self._buffer == b">" or _starts_with_prompt(bytes(self._buffer)):
            del self._buffer[:2]
            self._on_prompt()
        elif len(self._buffer) > MAX_LINE:
            raw = bytes(self._buffer)
            self._buffer.clear()
            self._emit(raw)

    def _emit(self, raw: bytes) -> None:
        line = raw.decode("latin-1").strip()
        if line:
            self._on_line(line)

    def reset(self) -> None:
        self._buffer.clear()


def _starts_with_prompt(raw: bytes) -> bool:
    return raw == b">" or raw.startswith(b"> ")


def _first_terminator(buffer: bytearray) -> int:
    positions = [p for p in (buffer.find(b"\r"), buffer.find(b"\n")) if p >= 0]
    return min(positions) if positions else -1


class ModemProtocol(asyncio.Protocol):
    """asyncio.Protocol for the serial transport: frames bytes, forwards lines to a sink."""

    def __init__(self, sink: LineSink) -> None:
        self._sink = sink
        self._framer = LineFramer(sink.line_received, sink.prompt_received)
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._framer.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._framer.reset()
        self._sink.connection_lost(exc)
