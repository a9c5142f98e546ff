"""One GSM modem: open it, bring it up, send and receive SMS through it, report its health.

The jobs live in their own modules (`link` the device, `bringup` initialisation, `sending` AT+CMGS,
`receiving` indications and stored messages, `health` the modem's record and its queries); `Modem`
puts them together behind one lock, so that a send's commands, a read's and a health query's never
interleave. Recovery (re-opening a modem that
broke) is not done here: `resilient.ResilientModem` owns it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from listener.modem.bringup import initialise
from listener.modem.config import ModemConfig, ModemTimeouts, SmsMode
from listener.modem.dialogue import Dialogue, UnsolicitedEvent
from listener.modem.errors import ModemError, ModemUnavailableError, SimPinError
from listener.modem.health import ModemHealth, ModemState, refresh_status, registration_states, signal_word
from listener.modem.identity import SimIdentity, read_identity
from listener.modem.link import ModemLink
from listener.modem.pdu import encode_address
from listener.modem.protocol import ModemProtocol
from listener.modem.receiving import (
    DirectPdu,
    InboundEvent,
    Receiver,
    ReceptionStarted,
    StorageFull,
    StoredNotice,
    StoredSms,
)
from listener.modem.sending import Sender, SendResult
from sms_common.logs import get_logger

log = get_logger(__name__)

__all__ = [
    "DirectPdu",
    "InboundEvent",
    "Modem",
    "ModemConfig",
    "ModemHealth",
    "ModemTimeouts",
    "ReceptionStarted",
    "SendResult",
    "SmsMode",
    "StorageFull",
    "StoredNotice",
    "StoredSms",
    "UnsolicitedEvent",
    "signal_word",
]

InboundQueue = asyncio.Queue[InboundEvent]


def inbound_queue() -> InboundQueue:
    """A queue for `Modem.inbound`: large, because a direct delivery (`DirectPdu`) exists nowhere else."""
    return asyncio.Queue(10000)


class Modem:
    """An AT modem. Use `await Modem.open(config)`, then `initialise()` and `send_sms()`."""

    def __init__(
        self,
        config: ModemConfig,
        *,
        events: asyncio.Queue[UnsolicitedEvent] | None = None,
        inbound: InboundQueue | None = None,
    ) -> None:
        self.config = config
        #: Unsolicited result codes, oldest first; when full the oldest is dropped.
        self.events: asyncio.Queue[UnsolicitedEvent] = events if events is not None else asyncio.Queue(1000)
        #: New messages and reports announced (`receiving.InboundEvent`), oldest first.
        self.inbound: InboundQueue = inbound if inbound is not None else inbound_queue()
        self.state = ModemState()
        self.link = ModemLink(config.port, on_event=self._on_event)
        self._sender = Sender(self.link, self.state, config)
        self._receiver = Receiver(self.link, self.state, self._sender, config, self.inbound)
        # Lock 2 of 2 around the port (lock 1 is Dialogue's, one command at a time): one sequence of
        # commands at a time, so a health query or a read never lands between the parts of a long SMS
        # (the one exception, AT+CNMA, is explained in `receiving`).
        self._sequence_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        config: ModemConfig,
        *,
        events: asyncio.Queue[UnsolicitedEvent] | None = None,
        inbound: InboundQueue | None = None,
    ) -> Modem:
        """Open the serial device (not yet initialised). Raises ModemNotRespondingError if it cannot."""
        modem = cls(config, events=events, inbound=inbound)
        await modem.link.connect(config.baud)
        return modem

    @property
    def port(self) -> str:
        return self.config.port

    @property
    def mode(self) -> SmsMode:
        return self.config.mode

    @property
    def dialogue(self) -> Dialogue:
        return self.link.dialogue

    @property
    def protocol(self) -> ModemProtocol:
        return self.link.protocol

    def attach(self, transport: asyncio.BaseTransport) -> None:
        self.link.attach(transport)

    async def close(self) -> None:
        await self._receiver.close()
        await self.link.close()

    async def __aenter__(self) -> Modem:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def usable(self) -> bool:
        return self.link.usable

    @property
    def busy(self) -> bool:
        """A send or a health query is talking to the modem right now."""
        return self._sequence_lock.locked()

    @property
    def broken_reason(self) -> str | None:
        return self.link.broken_reason

    def _on_event(self, event: UnsolicitedEvent) -> None:
        self.state.on_event(event)
        self._receiver.on_event(event)
        if self.events.full():
            self.events.get_nowait()
        self.events.put_nowait(event)

    async def initialise(self) -> None:
        """See `bringup.initialise`. A PIN the SIM refused is forgotten at once."""
        async with self._sequence_lock:
            try:
                await initialise(self.link, self.state, self._sender, self.config, self._receiver)
            except SimPinError as exc:
                if exc.pin_rejected:
                    self.config = replace(self.config, pin=None)
                raise

    async def send_sms(self, number: str, text: str) -> SendResult:
        """Send one SMS (concatenated if long); `sending` says what each error family means."""
        async with self._sequence_lock:
            encode_address(number)  # InvalidMessageError before anything reaches the modem
            if not self.state.initialised:
                self.link.check_usable("AT+CMGS")
                raise ModemUnavailableError(f"modem {self.port} is not initialised")
            try:
                result = await self._sender.send(number, text)
            except ModemError as exc:
                self.state.failed += 1
                self.state.note_error(str(exc))
                log.warning("modem_send_failed", number=number, error=str(exc), error_type=type(exc).__name__)
                raise
            self.state.sent += 1
            self.state.last_send_at = datetime.now(UTC)
            log.info(
                "modem_sent", number=number, reference=result.reference, parts=result.parts, mode=result.mode
            )
            return result

    async def list_stored(self) -> list[StoredSms]:
        """Everything stored in the memories in use (AT+CMGL=4 on each), unread or read; [] when
        reception is off by configuration. Nothing is deleted: `delete_stored` after the commit."""
        async with self._sequence_lock:
            self._check_ready("AT+CMGL")
            return await self._receiver.list_stored()

    async def read_stored(self, memory: str, index: int) -> StoredSms | None:
        """One stored message or report (AT+CMGR), None when the slot is empty."""
        async with self._sequence_lock:
            self._check_ready("AT+CMGR")
            return await self._receiver.read_stored(memory, index)

    async def delete_stored(self, memory: str, index: int) -> None:
        """Free a slot (AT+CMGD) once its content is safely stored elsewhere; an empty slot is fine."""
        async with self._sequence_lock:
            self._check_ready("AT+CMGD")
            await self._receiver.delete_stored(memory, index)

    def _check_ready(self, what: str) -> None:
        self.link.check_usable(what)
        if not self.state.initialised:
            raise ModemUnavailableError(f"{what}: modem {self.port} is not initialised")

    async def health(self) -> ModemHealth:
        """Refresh signal, registration and operator, and return a snapshot.

        Raises ModemNotRespondingError when the modem does not answer (it then needs re-opening)."""
        async with self._sequence_lock:
            self.link.check_usable("health")
            await refresh_status(self.link, self.state, self.config.timeouts.command)
            await registration_states(self.link, self.state, self.config.timeouts.command)
        return self.snapshot()

    def snapshot(self) -> ModemHealth:
        """The last known state, without talking to the modem (never raises)."""
        return self.state.snapshot(self.link, self.mode)

    async def read_identity(self) -> SimIdentity:
        """Which SIM this is (IMSI, ICCID, own number) and which modem: see `identity`. After
        `initialise()` (the SIM must be ready); a refused query leaves its field None."""
        async with self._sequence_lock:
            self.link.check_usable("identity")
            return await read_identity(self.link, self.config.timeouts.command)
