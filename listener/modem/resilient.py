"""A modem that comes back: the one owner of modem recovery (re-open, re-initialise, probe, backoff).

USB modems hang after hours, re-enumerate after a firmware hiccup, or get unplugged. `ResilientModem`
keeps one `Modem` open in a background task: it opens and initialises it (retrying with tenacity's
exponential backoff), probes it when idle (a health refresh), and starts over when the device disappears, a
command misses its deadline, or a send says the modem is in trouble or out of step. Callers never see
a crash: while no modem is ready, `send_sms` raises ModemUnavailableError (nothing was sent), and the
listener waits on `wait_ready`; it never probes or reconnects on its own.

It also keeps the one cached health snapshot (`snapshot()`), refreshed after every connection,
probe and send, so the heartbeat never has to talk to the modem.

A SIM PIN that the SIM refused is forgotten at once and never retried (three wrong PINs lock it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from listener.modem.config import ModemConfig
from listener.modem.dialogue import UnsolicitedEvent
from listener.modem.driver import InboundQueue, Modem, ModemHealth, SendResult, inbound_queue
from listener.modem.errors import (
    ModemError,
    ModemNotRespondingError,
    ModemUnavailableError,
    SendFate,
    SimPinError,
    send_fate,
)
from listener.modem.health import signal_word
from listener.modem.identity import SimIdentity
from listener.modem.receiving import StoredSms
from sms_common.logs import get_logger

log = get_logger(__name__)

Opener = Callable[..., Awaitable[Modem]]


class ResilientModem:
    """Same API as Modem (`send_sms`, `list_stored`, `read_stored`, `delete_stored`, `health`,
    `snapshot`, `close`, `events`, `inbound`), plus recovery."""

    def __init__(
        self,
        config: ModemConfig,
        *,
        min_backoff: float = 1.0,
        max_backoff: float = 60.0,
        probe_interval: float = 60.0,
        ready_timeout: float = 0.0,
        opener: Opener | None = None,
    ) -> None:
        self.config = config
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.probe_interval = probe_interval
        #: How long send_sms/health wait for a modem being (re)connected before raising.
        self.ready_timeout = ready_timeout
        self._opener: Opener = opener or Modem.open
        #: Unsolicited codes of every modem this object opened, in one queue.
        self.events: asyncio.Queue[UnsolicitedEvent] = asyncio.Queue(1000)
        #: New messages and reports of every modem this object opened, in one queue. Each (re)opened
        #: modem puts a `ReceptionStarted` there once configured: list_stored() then.
        self.inbound: InboundQueue = inbound_queue()
        self.reconnects = 0
        self.connects = 0
        #: The SIM (and modem) identity read after the latest bring-up; a new connection re-reads it
        #: (the SIM may have been swapped meanwhile). None until the first modem is ready.
        self.identity: SimIdentity | None = None
        #: Called (on the event loop) each time a modem is ready again: the listener wakes its loop,
        #: which registers the SIM (it may be another one) before it sweeps.
        self.on_ready: list[Callable[[], None]] = []
        self._modem: Modem | None = None
        self._ready = asyncio.Event()
        self._kick = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        #: Sends and failures of the modems already replaced (each Modem counts its own).
        self._sent_before = 0
        self._failed_before = 0
        #: The one cached health snapshot (see the module docstring).
        self._health = self._disconnected(None)

    @property
    def port(self) -> str:
        return self.config.port

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background supervisor (idempotent; send_sms and health also start it)."""
        if self._closing:
            raise ModemUnavailableError(f"modem {self.port} is closed")
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._supervise(), name=f"modem-supervisor:{self.port}")

    async def __aenter__(self) -> ResilientModem:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closing = True
        self._ready.clear()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        modem, self._modem = self._modem, None
        if modem is not None:
            await modem.close()

    @property
    def connected(self) -> bool:
        """A modem is open, initialised and not waiting to be replaced."""
        return self._ready.is_set() and self._modem is not None and self._modem.usable

    async def wait_ready(self, within: float | None) -> bool:
        """True once a modem is open and initialised (starting the supervisor if needed);
        `within=None` waits as long as it takes."""
        self.start()
        try:
            await asyncio.wait_for(self._ready.wait(), within)
        except TimeoutError:
            return False
        return self.connected

    # -- the supervisor ----------------------------------------------------------------------------

    async def _supervise(self) -> None:
        while not self._closing:
            modem = await self._connect_with_backoff()
            self._modem = modem
            self._kick.clear()
            self._health = self._totals(modem.snapshot())
            self._ready.set()
            self.connects += 1
            if self.connects > 1:
                self.reconnects += 1
            log.info("modem_ready", port=self.port, connects=self.connects)
            for callback in self.on_ready:
                callback()
            await self._watch(modem)
            self._ready.clear()
            self._modem = None
            last = modem.snapshot()
            self._sent_before += last.sent
            self._failed_before += last.failed
            self._note_error(modem.broken_reason or self._last_error or "modem reset")
            self._health = self._disconnected(last)
            log.warning("modem_lost", port=self.port, reason=self._last_error)
            await modem.close()

    async def _connect_with_backoff(self) -> Modem:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=self.min_backoff, max=self.max_backoff),
            retry=retry_if_exception_type((ModemError, OSError)),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        modem: Modem | None = None
        async for attempt in retrying:
            with attempt:
                modem = await self._open_once()
        assert modem is not None
        return modem

    def _before_sleep(self, state: RetryCallState) -> None:
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "modem_reconnecting",
            port=self.port,
            attempt=state.attempt_number,
            retry_in=round(delay, 1),
            error=self._last_error,
        )

    async def _open_once(self) -> Modem:
        try:
            modem = await self._opener(self.config, events=self.events, inbound=self.inbound)
        except (ModemError, OSError) as exc:
            self._note_error(str(exc))
            raise
        try:
            await modem.initialise()
            self.identity = await modem.read_identity()
        except SimPinError as exc:
            if exc.pin_rejected:
                self.config = replace(self.config, pin=None)  # never try a refused PIN again
            self._note_error(str(exc))
            await modem.close()
            raise
        except (ModemError, OSError) as exc:
            self._note_error(str(exc))
            await modem.close()
            raise
        return modem

    async def _watch(self, modem: Modem) -> None:
        """Return when `modem` needs replacing: closed, kicked after a failure, or a failed probe."""
        closed = asyncio.ensure_future(modem.dialogue.closed.wait())
        kicked = asyncio.ensure_future(self._kick.wait())
        try:
            while modem.usable and not self._kick.is_set():
                await asyncio.wait(
                    {closed, kicked}, timeout=self.probe_interval, return_when=asyncio.FIRST_COMPLETED
                )
                if closed.done() or kicked.done() or not modem.usable:
                    return
                if modem.busy:
                    continue  # busy sending: it is answering
                try:
                    # The probe is a health refresh (signal, operator, registration): an answer proves
                    # the modem alive, and the heartbeat's snapshot stays as fresh as the probe.
                    health = await modem.health()
                except ModemError as exc:
                    self._note_error(f"probe failed: {exc}")
                    return
                self._health = self._totals(health)
        finally:
            closed.cancel()
            kicked.cancel()

    def _note_error(self, text: str) -> None:
        self._last_error = text
        self._last_error_at = datetime.now(UTC)

    def _replace_soon(self, reason: str) -> None:
        """Stop offering this modem at once and let the supervisor re-open it."""
        self._note_error(reason)
        self._ready.clear()
        self._kick.set()

    # -- the API -----------------------------------------------------------------------------------

    async def _ready_modem(self, what: str) -> Modem:
        self.start()
        if not self._ready.is_set() and self.ready_timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self.ready_timeout)
        modem = self._modem
        if not self._ready.is_set() or modem is None or not modem.usable:
            raise ModemUnavailableError(
                f"{what}: modem {self.port} is not connected ({self._last_error or 'connecting'})"
            )
        return modem

    async def send_sms(self, number: str, text: str) -> SendResult:
        modem = await self._ready_modem("AT+CMGS")
        try:
            return await modem.send_sms(number, text)
        except Exception as exc:  # a non-modem error (a bug, an OSError) is maybe-sent: start over too
            if send_fate(exc) is not SendFate.REFUSED:
                # Modem or SIM trouble, or out of step after a body: start over with a fresh bring-up.
                self._replace_soon(str(exc))
            raise
        finally:
            self._health = self._totals(modem.snapshot())

    async def list_stored(self) -> list[StoredSms]:
        """See Modem.list_stored; ModemUnavailableError while no modem is connected."""
        modem = await self._ready_modem("AT+CMGL")
        try:
            return await modem.list_stored()
        except (ModemNotRespondingError, ModemUnavailableError) as exc:
            self._replace_soon(str(exc))  # a hung AT+CMGL (Huawei after long uptime): start over
            raise

    async def read_stored(self, memory: str, index: int) -> StoredSms | None:
        """See Modem.read_stored."""
        modem = await self._ready_modem("AT+CMGR")
        try:
            return await modem.read_stored(memory, index)
        except (ModemNotRespondingError, ModemUnavailableError) as exc:
            self._replace_soon(str(exc))
            raise

    async def delete_stored(self, memory: str, index: int) -> None:
        """See Modem.delete_stored."""
        modem = await self._ready_modem("AT+CMGD")
        try:
            await modem.delete_stored(memory, index)
        except (ModemNotRespondingError, ModemUnavailableError) as exc:
            self._replace_soon(str(exc))
            raise

    async def health(self) -> ModemHealth:
        """A fresh snapshot from the modem; raises ModemUnavailableError while none is connected."""
        modem = await self._ready_modem("health")
        try:
            health = await modem.health()
        except ModemUnavailableError as exc:
            self._replace_soon(str(exc))
            raise
        self._health = self._totals(health)
        return self._health

    def snapshot(self) -> ModemHealth:
        """The cached health snapshot, without talking to the modem (never raises)."""
        if not self.connected:
            return self._disconnected(self._health)
        return self._health

    def _totals(self, health: ModemHealth) -> ModemHealth:
        return replace(
            health,
            sent=health.sent + self._sent_before,
            failed=health.failed + self._failed_before,
            reconnects=self.reconnects,
        )

    def _disconnected(self, last: ModemHealth | None) -> ModemHealth:
        return ModemHealth(
            port=self.port,
            connected=False,
            initialised=False,
            registered=None,
            registration="unknown",
            signal=None,
            signal_dbm=None,
            signal_word=signal_word(None),
            operator=last.operator if last else None,
            sim=last.sim if last else None,
            mode=self.config.mode,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            last_send_at=last.last_send_at if last else None,
            sent=self._sent_before,
            failed=self._failed_before,
            checked_at=datetime.now(UTC),
            reconnects=self.reconnects,
            reception="off: no modem connected",
            storage=last.storage if last else "",
        )
