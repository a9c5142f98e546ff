"""One GSM modem: open it, bring it up, send SMS through it, report its health.

The jobs live in their own modules (`link` the device, `bringup` initialisation, `sending` AT+CMGS,
`health` the modem's record and its queries); `Modem` puts them together behind one lock, so that a
send's commands and a health query's commands never interleave. Recovery (re-opening a modem that
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
from listener.modem.link import ModemLink
from listener.modem.pdu import encode_address
from listener.modem.protocol import ModemProtocol
from listener.modem.sending import Sender, SendResult
from sms_common.logs import get_logger

log = get_logger(__name__)

__all__ = [
    "Modem",
    "ModemConfig",
    "ModemHealth",
    "ModemTimeouts",
    "SendResult",
    "SmsMode",
    "UnsolicitedEvent",
    "signal_word",
]


class Modem:
    """An AT modem. Use `await Modem.open(config)`, then `initialise()` and `send_sms()`."""

    def __init__(self, config: ModemConfig, *, events: asyncio.Queue[UnsolicitedEvent] | None = None) -> None:
        self.config = config
        #: Unsolicited result codes, oldest first; when full the oldest is dropped.
        self.events: asyncio.Queue[UnsolicitedEvent] = events if events is not None else asyncio.Queue(1000)
        self.state = ModemState()
        self.link = ModemLink(config.port, on_event=self._on_event)
        self._sender = Sender(self.link, self.state, config)
        # Lock 2 of 2 around the port (lock 1 is Dialogue's, one command at a time): one sequence of
        # commands at a time, so a health query never lands between the parts of a long SMS.
        self._sequence_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, config: ModemConfig, *, events: asyncio.Queue[UnsolicitedEvent] | None = None
    ) -> Modem:
        """Open the serial device (not yet initialised). Raises ModemNotRespondingError if it cannot."""
        modem = cls(config, events=events)
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
        if self.events.full():
            self.events.get_nowait()
        self.events.put_nowait(event)

    async def initialise(self) -> None:
        """See `bringup.initialise`. A PIN the SIM refused is forgotten at once."""
        async with self._sequence_lock:
            try:
                await initialise(self.link, self.state, self._sender, self.config)
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
