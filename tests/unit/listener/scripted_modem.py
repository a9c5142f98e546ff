"""`ScriptedModem`: a modem whose answers a test lists in advance (a reference, or an exception)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from listener.modem.errors import SendFate, send_fate


@dataclass(frozen=True)
class FakeSendResult:
    reference: str
    parts: int = 1


@dataclass
class FakeHealth:
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> Mapping[str, Any]:
        return self.values


@dataclass
class ScriptedModem:
    """A modem whose answers are listed in advance (`answers`: a reference, or an exception).

    `gate`, when set, makes each send wait until the test opens it (a send "in flight").
    `connected` is the modem owner's readiness; a NotSentError answer turns it off until
    `reconnect()`, as ResilientModem does."""

    answers: list[str | BaseException] = field(default_factory=list)
    connected: bool = True
    gate: asyncio.Event | None = None
    sent: list[tuple[str, str]] = field(default_factory=list)
    sending: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.connected:
            self._ready.set()

    def reconnect(self) -> None:
        self.connected = True
        self._ready.set()

    def disconnect(self) -> None:
        self.connected = False
        self._ready.clear()

    async def wait_ready(self, within: float | None) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), within)
        except TimeoutError:
            return False
        return self.connected

    async def send_sms(self, number: str, text: str) -> FakeSendResult:
        self.sending.set()
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append((number, text))
        answer = self.answers.pop(0) if self.answers else f"ref{len(self.sent)}"
        if isinstance(answer, BaseException):
            if send_fate(answer) is SendFate.NOT_SENT:
                self.disconnect()
            raise answer
        return FakeSendResult(answer)

    def snapshot(self) -> FakeHealth:
        return FakeHealth({"connected": self.connected})
