"""`ScriptedModem`: a modem whose answers a test lists in advance (a reference, or an exception), with
memories a test fills (`receive`) and a log of every receiving command, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from listener.modem.errors import ModemError, ModemUnavailableError, SendFate, send_fate
from listener.modem.receiving import DirectPdu, InboundEvent, StoredNotice, StoredSms


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
    `reconnect()`, as ResilientModem does.

    Receiving: `receive(pdu)` stores a PDU in "SM" and announces it on `inbound` (as +CMTI);
    `direct(pdu)` hands one over as +CMT would. `log` records list/read/delete in order, and
    `fail_deletes` makes the next AT+CMGD calls fail. `on_send(number, text)` runs while a send is
    with the modem (a reply arriving at that moment)."""

    answers: list[str | BaseException] = field(default_factory=list)
    connected: bool = True
    gate: asyncio.Event | None = None
    sent: list[tuple[str, str]] = field(default_factory=list)
    sending: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    inbound: asyncio.Queue[InboundEvent] = field(default_factory=asyncio.Queue)
    memory: dict[int, StoredSms] = field(default_factory=dict)
    log: list[tuple[str, object]] = field(default_factory=list)
    fail_deletes: int = 0
    on_send: Callable[[str, str], None] | None = None

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

    # -- receiving -----------------------------------------------------------------------------

    def receive(self, pdu_hex: str, *, announce: bool = True) -> int:
        index = max(self.memory, default=0) + 1
        self.memory[index] = StoredSms("SM", index, 0, pdu_hex)
        if announce:
            self.inbound.put_nowait(StoredNotice("SM", index, "deliver"))
        return index

    def direct(self, pdu_hex: str, kind: str = "deliver") -> None:
        self.inbound.put_nowait(DirectPdu("deliver" if kind == "deliver" else "status-report", pdu_hex))

    def _check(self, what: str) -> None:
        if not self.connected:
            raise ModemUnavailableError(f"{what}: not connected")

    async def list_stored(self) -> list[StoredSms]:
        self._check("AT+CMGL")
        self.log.append(("list", None))
        return [self.memory[index] for index in sorted(self.memory)]

    async def read_stored(self, memory: str, index: int) -> StoredSms | None:
        self._check("AT+CMGR")
        self.log.append(("read", index))
        return self.memory.get(index)

    async def delete_stored(self, memory: str, index: int) -> None:
        self._check("AT+CMGD")
        self.log.append(("delete", index))
        if self.fail_deletes:
            self.fail_deletes -= 1
            raise ModemError("+CMS ERROR: 500 (scripted)")
        self.memory.pop(index, None)

    # -- sending -------------------------------------------------------------------------------

    async def send_sms(self, number: str, text: str) -> FakeSendResult:
        self.sending.set()
        if self.on_send is not None:
            self.on_send(number, text)
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
