"""Receiving: what the modem heard (replies, delivery reports) goes into the database, and only then
off the modem.

Why it is shaped like this:
- **Store, then delete.** A stored SMS (`+CMTI`/`+CDSI`, or found by `AT+CMGL=4`) is read, decoded and
  committed with one SQL call; `AT+CMGD` runs only after that call answered. A database that is down
  (or an answer that got lost) leaves the SMS on the modem; the next sweep reads it again. The SQL
  calls are idempotent on the PDU (record_inbound_part on its natural key, record_status_report and
  record_malformed_inbound on their values), so a re-read after a crash between the commit and the
  delete stores nothing twice, and the copy on the modem is then deleted.
- **Sweeps.** `AT+CMGL=4` on start-up, whenever the modem was (re)configured (`ReceptionStarted`: it may
  have stored messages while nobody listened), every `sweep_interval` seconds, and soon after a
  failure (`retry_interval`). A modem that does not announce what it stores
  (`ReceptionStarted.announced` false) is swept before every claim instead. Announcements are only the fast path; the sweep is what makes
  "nothing lost" true, as polling is for the sending loop.
- **Before the next claim.** The sending loop calls `process_pending()` before every claim and wakes
  from its pauses for `arrived`, so an SMS announced while a bubble was with the modem, or during the
  pause between two bubbles, is in the database before the next bubble is claimed: a STOP between
  bubble 1 and bubble 2 makes the database refuse bubble 2. Work is done under one lock, by the loop
  (before a claim) or by `run()` (while the loop is idle); the pump moves events from the modem's queue
  into `_pending` without a yield in between, so no event is ever outside both. While a bubble is
  with the modem (`defer()`), `run()` leaves the work to the loop, which does it right after recording
  the outcome: a reply to bubble 1 is then stored after bubble 1 is `sent`, and is linked to it.
- **Never crash on input.** A PDU that cannot be decoded is stored raw with the reason
  (record_malformed_inbound), then deleted; one the database refuses outright (a SQL error, not an
  outage) is stored the same way, so a bad slot can neither block the memory nor be lost.
- **Direct deliveries** (`+CMT`/`+CDS`) exist nowhere else: one the database could not take is kept in
  memory and retried with the next sweep (and said loudly in the log).
- **Logs** name the sender masked (the `phone` key) and the text's length, never the text, at INFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, assert_never

from listener.database import ListenerDatabase
from listener.errors import ConnectorAuthError, ConnectorError, DatabaseUnavailableError
from listener.modem.errors import MalformedPduError, ModemError
from listener.modem.pdu_decode import Deliver, StatusReport, decode_pdu
from listener.modem.receiving import (
    DirectPdu,
    InboundEvent,
    ReceptionStarted,
    StorageFull,
    StoredNotice,
    StoredSms,
)
from sms_common.logs import get_logger, redact_text

log = get_logger(__name__)


class ReceivingModem(Protocol):
    """The part of listener.modem.resilient.ResilientModem that receiving uses."""

    @property
    def connected(self) -> bool: ...

    @property
    def inbound(self) -> asyncio.Queue[InboundEvent]: ...

    async def list_stored(self) -> list[StoredSms]: ...

    async def read_stored(self, memory: str, index: int) -> StoredSms | None: ...

    async def delete_stored(self, memory: str, index: int) -> None: ...


@dataclass(frozen=True)
class ReceiveConfig:
    worker_id: str
    #: AT+CMGL=4 this often, whatever was announced (seconds).
    sweep_interval: float = 180.0
    #: finish_stale_inbound_parts this often (seconds).
    stale_parts_interval: float = 300.0
    #: After a failed store or read, sweep again this soon (seconds; never later than sweep_interval).
    retry_interval: float = 10.0


@dataclass
class ReceiveStats:
    parts: int = 0
    replies: int = 0
    duplicates: int = 0
    malformed: int = 0
    reports: int = 0
    reports_matched: int = 0
    deleted: int = 0
    #: SMS left on the modem (or kept in memory) because the database or the modem failed.
    left: int = 0
    sweeps: int = 0
    stale_replies: int = 0


#: What one SMS became: stored (a new row), duplicate (stored before), or not stored (left).
Fate = Literal["stored", "duplicate", "left"]


class InboundReceiver:
    """Receiving for one listener (see the module docstring).

    `on_reply` is called (synchronously) whenever a reply was completed in the database, so the
    sending loop can claim the confirmation the database may have queued."""

    def __init__(
        self,
        database: ListenerDatabase,
        modem: ReceivingModem,
        config: ReceiveConfig,
        *,
        on_reply: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        self.modem = modem
        self.config = config
        self.stats = ReceiveStats()
        self._on_reply = on_reply or (lambda: None)
        #: Set while something is waiting to be processed (an event, or a sweep that is due).
        self.arrived = asyncio.Event()
        #: Wakes `run()`: something arrived, or a retry was brought forward.
        self._wakeup = asyncio.Event()
        self._pending: deque[InboundEvent] = deque()
        #: Direct deliveries the database has not taken yet (their only copy).
        self._unsaved: deque[DirectPdu] = deque()
        self._lock = asyncio.Lock()
        self._sweep_requested = True  # start-up: whatever was stored while nobody listened
        self._next_sweep = time.monotonic() + config.sweep_interval
        self._log = log.bind(worker_id=config.worker_id)
        self._deferred = False
        #: False when the modem stores without announcing: then only a sweep finds a STOP.
        self.announced = True

    # -- what the sending loop calls -----------------------------------------------------------

    @property
    def has_pending(self) -> bool:
        return bool(self._pending) or not self.modem.inbound.empty() or self._sweep_requested

    @contextlib.contextmanager
    def defer(self) -> Iterator[None]:
        """While a bubble is claimed and being sent: `run()` waits; the loop calls process_pending."""
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            self._wakeup.set()

    async def before_claim(self) -> int:
        """What the loop runs before every claim: process_pending, with a sweep first when the modem
        does not announce what it stores."""
        if not self.announced:
            self._sweep_requested = True
        return await self.process_pending()

    async def process_pending(self, *, sweep: bool = True) -> int:
        """Do every receiving job that is due now: every announcement so far, then a requested sweep
        (unless `sweep` is False). Returns how many replies were completed (their keyword decided in
        the database)."""
        async with self._lock:
            self.arrived.clear()
            replies = 0
            self._take_from_modem_queue()
            while self._pending:
                event = self._pending.popleft()
                try:
                    replies += await self._handle_event(event)
                except Exception as exc:  # never crash on what the modem said; the sweep finds it again
                    self._log.error(
                        "inbound_event_failed", kind=type(event).__name__, error=redact_text(str(exc))
                    )
                    if isinstance(event, DirectPdu):
                        self._unsaved.append(event)  # its only copy: retried with the next sweep
                    self._retry_soon()
                self._take_from_modem_queue()
            if sweep and self._sweep_requested:
                try:
                    replies += await self._sweep()
                except Exception as exc:
                    self._log.error("inbound_sweep_failed", error=redact_text(str(exc)))
                    self._retry_soon()
            if replies:
                self._on_reply()
            return replies

    async def finish_stale_parts(self) -> int:
        """finish_stale_inbound_parts once; the replies it made count as completed replies."""
        try:
            finished = await self.database.finish_stale_parts()
        except ConnectorError as exc:
            self._log.warning("inbound_stale_parts_failed", error=redact_text(str(exc)))
            return 0
        if finished:
            self.stats.stale_replies += finished
            self._log.info("inbound_incomplete_replies_stored", count=finished)
            self._on_reply()
        return finished

    # -- background ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Until cancelled: move announcements in, and process them (and sweeps, and stale parts)
        whenever the sending loop is not doing it itself before a claim."""
        pump = asyncio.create_task(self._pump(), name="inbound-pump")
        try:
            next_stale = time.monotonic() + self.config.stale_parts_interval
            while True:
                now = time.monotonic()
                if now >= next_stale:
                    await self.finish_stale_parts()
                    next_stale = now + self.config.stale_parts_interval
                if now >= self._next_sweep:
                    self._sweep_requested = True
                if self.has_pending and not self._deferred:
                    await self.process_pending()
                wait = max(0.0, min(self._next_sweep, next_stale) - time.monotonic())
                # asyncio.wait, not wait_for: Python 3.11's wait_for can swallow a cancellation that
                # coincides with the event being set, and this task must stop when cancelled.
                waiter = asyncio.ensure_future(self._wakeup.wait())
                try:
                    await asyncio.wait({waiter}, timeout=wait)
                finally:
                    waiter.cancel()
                self._wakeup.clear()
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    async def _pump(self) -> None:
        while True:
            event = await self.modem.inbound.get()
            self._pending.append(event)  # no await between: the event is always in one of the two
            self.arrived.set()
            self._wakeup.set()

    def _take_from_modem_queue(self) -> None:
        while True:
            try:
                self._pending.append(self.modem.inbound.get_nowait())
            except asyncio.QueueEmpty:
                return

    # -- events --------------------------------------------------------------------------------

    async def _handle_event(self, event: InboundEvent) -> int:
        match event:
            case StoredNotice(memory=memory, index=index, kind=kind):
                return await self._read_and_store(memory, index, kind)
            case DirectPdu(kind=kind, pdu_hex=pdu_hex):
                fate, replies = await self._store(pdu_hex, f"direct {kind}")
                if fate == "left":
                    self._unsaved.append(event)
                    self._log.error(
                        "inbound_direct_not_stored", kind=kind, kept="in memory until the next sweep"
                    )
                    self._retry_soon()
                return replies
            case ReceptionStarted(announced=announced):
                self._sweep_requested = True  # stored while the modem was down or being re-opened
                if announced != self.announced:
                    self._log.info("inbound_announcements", announced=announced)
                self.announced = announced
                return 0
            case StorageFull(memory=memory):
                self._log.warning("inbound_storage_full", memory=memory)
                self._sweep_requested = True
                return 0
            case _:
                assert_never(event)

    async def _read_and_store(self, memory: str, index: int, kind: str) -> int:
        try:
            stored = await self.modem.read_stored(memory, index)
        except ModemError as exc:
            self._log.warning("inbound_read_failed", memory=memory, index=index, error=redact_text(str(exc)))
            self._retry_soon()
            return 0
        if stored is None:
            self._log.debug("inbound_slot_empty", memory=memory, index=index, kind=kind)
            return 0  # already handled (a sweep took it), or the modem dropped it
        return await self._store_and_delete(stored)

    async def _sweep(self) -> int:
        self._sweep_requested = False
        self._next_sweep = time.monotonic() + self.config.sweep_interval
        replies = 0
        while self._unsaved:
            direct = self._unsaved[0]
            fate, completed = await self._store(direct.pdu_hex, f"direct {direct.kind} (retry)")
            if fate == "left":
                self._retry_soon()
                break
            self._unsaved.popleft()
            replies += completed
        if not self.modem.connected:
            self._sweep_requested = True  # ReceptionStarted follows the reconnection
            return replies
        try:
            listed = await self.modem.list_stored()
        except ModemError as exc:
            self._log.warning("inbound_sweep_failed", error=redact_text(str(exc)))
            self._retry_soon()
            return replies
        self.stats.sweeps += 1
        stored_here = [sms for sms in listed if sms.stat in (0, 1)]  # received; 2/3 are an outbox
        self._log.info("inbound_swept", found=len(stored_here), other=len(listed) - len(stored_here))
        for sms in stored_here:
            replies += await self._store_and_delete(sms)
        return replies

    def _retry_soon(self) -> None:
        self._next_sweep = min(self._next_sweep, time.monotonic() + self.config.retry_interval)
        self._wakeup.set()

    # -- one SMS -------------------------------------------------------------------------------

    async def _store_and_delete(self, sms: StoredSms) -> int:
        fate, replies = await self._store(sms.pdu_hex, f"{sms.memory} {sms.index}")
        if fate == "left":
            self._retry_soon()
            return replies
        try:
            await self.modem.delete_stored(sms.memory, sms.index)
        except ModemError as exc:
            # Stored: a later sweep finds it again, the database says duplicate, and it is deleted then.
            self._log.warning(
                "inbound_delete_failed", memory=sms.memory, index=sms.index, error=redact_text(str(exc))
            )
            self._retry_soon()
            return replies
        self.stats.deleted += 1
        return replies

    async def _store(self, pdu_hex: str, where: str) -> tuple[Fate, int]:
        """Decode and commit one PDU; ("left", 0) when the database did not take it."""
        try:
            decoded = decode_pdu(pdu_hex)
        except MalformedPduError as exc:
            return await self._store_malformed(pdu_hex, exc.reason, where), 0
        try:
            if isinstance(decoded, Deliver):
                return await self._store_part(decoded, pdu_hex, where)
            if isinstance(decoded, StatusReport):
                return await self._store_report(decoded, pdu_hex, where), 0
        except DatabaseUnavailableError as exc:
            return self._left(where, exc), 0
        except ConnectorAuthError as exc:
            return self._left(where, exc), 0
        except ConnectorError as exc:
            # The database refused the values themselves: keep the PDU raw with why, so it is not
            # read (and refused) again forever, and nothing is lost.
            reason = f"the database refused it: {redact_text(str(exc))}"
            return await self._store_malformed(pdu_hex, reason, where), 0
        reason = "an SMS-SUBMIT where an SMS-DELIVER or a status report was expected"
        return await self._store_malformed(pdu_hex, reason, where), 0

    async def _store_part(self, part: Deliver, pdu_hex: str, where: str) -> tuple[Fate, int]:
        concat = part.concat
        stored = await self.database.store_inbound_part(
            self.config.worker_id,
            sender=part.sender,
            received_at=part.timestamp,
            body=part.text,
            concat_ref=concat.reference if concat else None,
            concat_total=concat.total if concat else None,
            concat_seq=concat.sequence if concat else None,
            raw_pdu=pdu_hex,
        )
        fields: dict[str, Any] = {
            "phone": part.sender,
            "where": where,
            "chars": len(part.text),
            "part": f"{concat.sequence}/{concat.total}" if concat else None,
        }
        if stored.duplicate:
            self.stats.duplicates += 1
            self._log.info("inbound_duplicate", **fields, reason="stored before; only deleted now")
            return "duplicate", 0
        if stored.kept_as_malformed:
            self.stats.malformed += 1
            self._log.warning("inbound_kept_as_malformed", **fields)
            return "stored", 0
        self.stats.parts += 1
        if stored.inbound_message_id is None:
            self._log.info("inbound_part_stored", **fields, waiting_for_parts=True)
            return "stored", 0
        self.stats.replies += 1
        self._log.info("inbound_reply_stored", **fields, inbound_message_id=stored.inbound_message_id)
        self._log.debug("inbound_reply_text", inbound_message_id=stored.inbound_message_id, text=part.text)
        return "stored", 1

    async def _store_report(self, report: StatusReport, pdu_hex: str, where: str) -> Fate:
        outcome = await self.database.record_status_report(
            self.config.worker_id,
            reference=report.reference,
            recipient=report.recipient,
            service_centre_time=report.timestamp,
            discharge_time=report.discharge_time,
            status=report.status,
            raw_pdu=pdu_hex,
        )
        self.stats.reports += 1
        if outcome.message_id is not None:
            self.stats.reports_matched += 1
        self._log.info(
            "delivery_report_stored",
            phone=report.recipient,
            where=where,
            reference=report.reference,
            tp_status=report.status,
            message_id=outcome.message_id,
            delivery_status=outcome.delivery_status,
            matched=outcome.message_id is not None,
        )
        return "stored"

    async def _store_malformed(self, pdu_hex: str, reason: str, where: str) -> Fate:
        try:
            row_id = await self.database.store_malformed(self.config.worker_id, pdu_hex, reason)
        except ConnectorError as exc:
            return self._left(where, exc)
        self.stats.malformed += 1
        self._log.warning("inbound_malformed_stored", where=where, reason=redact_text(reason), row_id=row_id)
        return "stored"

    def _left(self, where: str, exc: ConnectorError) -> Fate:
        self.stats.left += 1
        self._log.warning("inbound_not_stored", where=where, left="on the modem", error=redact_text(str(exc)))
        return "left"
