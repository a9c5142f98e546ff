"""The sending loop: claim a bubble, hand it to the modem, record what happened.

Why it is shaped like this:
- Wake-ups (NOTIFY or Realtime) only set an asyncio.Event. The loop then sweeps: it claims until the
  database has nothing claimable. Missing a wake-up therefore costs latency, never a message; the
  poll interval (and the next retry time from next_bubble_due_at) stays on as the safety net.
- A bubble is `sending` in the database before its body goes to the modem. What happens next is one
  `decision.decide` away: sent (with the modem's reference), released (nothing left the modem),
  failed (refused: permanent, or transient and retried by the database's backoff), or `unknown` when
  it may have been sent. Nothing is ever resent automatically after it may have left the modem.
- One modem sends one SMS at a time: this loop is its only sender. The modem's recovery (reconnect,
  re-initialise, probe, backoff) belongs to the modem object (`listener.modem.resilient`); the loop
  only waits for it to be ready, and reads its cached health for the heartbeat.
- The database, the wake-up source and the modem recover independently: a dead modem pauses sending
  but keeps the heartbeat and promotion going; a dead database pauses claiming but not the modem.
- Time comes from the database (it may be pinned or sped up); the loop estimates the database's now
  from the heartbeat's answer only to size its sleeps until next_bubble_due_at.
- The modem also hears (`listener.inbound`): before every claim, and whenever a pause is woken by an
  announcement, whatever the modem announced is stored first. The pause between two bubbles (or two
  recipients) is taken BEFORE the next claim, so a STOP that arrives between bubble 1 and bubble 2 is
  in the database when bubble 2 would be claimed, and the database refuses it. Only when the claimed
  bubble needs a longer pause than expected (another recipient after all) is the rest waited after
  the claim.
- SIGTERM/SIGINT (`request_stop`) lets the SMS in flight finish and be recorded, releases a bubble that
  was claimed but not yet handed over, and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar, assert_never

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from listener.database import Bubble, BubbleOutcome, ListenerDatabase
from listener.decision import Decision, Fail, MarkUnknown, Release, Sent, decide
from listener.errors import ConnectorAuthError, ConnectorError, DatabaseUnavailableError
from listener.hooks import ServiceHooks
from listener.inbound import InboundReceiver, ReceiveConfig, ReceivingModem
from listener.wake import WakeSource
from sms_common.logs import get_logger, redact_text
from sms_common.statuses import MessageStatus

log = get_logger(__name__)

T = TypeVar("T")


class SendResultLike(Protocol):
    @property
    def reference(self) -> str: ...

    @property
    def parts(self) -> int: ...


class HealthLike(Protocol):
    def as_dict(self) -> Mapping[str, Any]: ...


class SmsModem(Protocol):
    """The part of listener.modem.resilient.ResilientModem the loop uses."""

    @property
    def connected(self) -> bool: ...

    async def wait_ready(self, within: float | None) -> bool: ...

    async def send_sms(self, number: str, text: str) -> SendResultLike: ...

    def snapshot(self) -> HealthLike: ...


class ListenerModem(SmsModem, ReceivingModem, Protocol):
    """A modem that sends and receives (ResilientModem)."""


@dataclass(frozen=True)
class ServiceConfig:
    worker_id: str
    poll_interval: float = 30.0
    heartbeat_interval: float = 30.0
    bubble_pause: float = 2.0
    recipient_pause: float = 5.0
    promotion_interval: float = 60.0
    #: Exit when nothing is queued any more (demos, tests).
    until_idle: bool = False
    #: Exit after one sweep.
    once: bool = False
    max_backoff: float = 30.0
    #: How long a stopping listener keeps trying to record the outcome of the SMS it just sent.
    shutdown_grace: float = 60.0
    #: Never wait less than this between sweeps when next_bubble_due_at says "now" (avoids a hot loop).
    min_wait: float = 0.2
    #: Store what the modem receives (replies, delivery reports); see listener.inbound.
    receive: bool = True
    #: AT+CMGL=4 (the sweep of the modem's memories) this often, besides start-up and announcements.
    inbound_sweep_interval: float = 180.0
    #: finish_stale_inbound_parts this often.
    stale_parts_interval: float = 300.0
    #: After a failed store or read, sweep again this soon.
    inbound_retry_interval: float = 10.0


@dataclass
class ServiceStats:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    unknown: int = 0
    released: int = 0
    sweeps: int = 0
    #: Claims that found nothing (each sweep ends with one); an idle SIM should make few.
    empty_claims: int = 0
    wakeups: int = 0
    promotions: int = 0
    recovered_at_start: int = 0


class _Stopping(Exception):
    """Internal: a retry loop gave up because the service is stopping."""


class ListenerService:
    """One listener: one modem, one worker id, one loop (see the module docstring)."""

    def __init__(
        self, database: ListenerDatabase, wake_source: WakeSource, modem: ListenerModem, config: ServiceConfig
    ) -> None:
        self.database = database
        self.wake_source = wake_source
        self.modem = modem
        self.config = config
        self.stats = ServiceStats()
        self.state = "starting"
        #: The database's time of the last send this listener recorded.
        self.last_sent_at: datetime | None = None
        #: The database's time of this listener's first heartbeat.
        self.started_at: datetime | None = None
        self.in_flight: Bubble | None = None
        #: The latest decisions (message id, decision), oldest first; bounded for a months-long run.
        self.decisions: deque[tuple[int, Decision]] = deque(maxlen=1000)
        #: Metrics and sender registration (listener.hooks); set before run().
        self.hooks = ServiceHooks()
        self._wake_event = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stop_requested_at: float | None = None
        self._modem_was_available = True
        self._last_send_end: float | None = None
        self._last_recipient: tuple[str, int | None] | None = None
        self._claim_uncertain = False
        self._db_down_since: float | None = None
        #: The database's clock minus ours, learnt from the heartbeat (see the module docstring).
        self._db_clock_offset = timedelta(0)
        self._log = log.bind(worker_id=config.worker_id, mode=database.name, wake=wake_source.name)
        #: Receiving (None when turned off): stored before every claim, see the module docstring.
        self.receiver: InboundReceiver | None = None
        if config.receive:
            receive = ReceiveConfig(
                worker_id=config.worker_id,
                sweep_interval=config.inbound_sweep_interval,
                stale_parts_interval=config.stale_parts_interval,
                retry_interval=config.inbound_retry_interval,
            )
            self.receiver = InboundReceiver(database, modem, receive, on_reply=self._wake_event.set)
        #: The last bubble handed to the modem: did its message have more bubbles to come?
        self._more_bubbles = False

    # -- control -------------------------------------------------------------------------------

    def wake(self, reason: str) -> None:
        """Called by the wake-up source (from its own callbacks): there may be new work."""
        self.stats.wakeups += 1
        self._log.debug("woken", reason=reason)
        self._wake_event.set()

    def request_stop(self, reason: str = "signal") -> None:
        """Finish the SMS in flight, release what is claimed but not started, then return from run()."""
        if self._stop_event.is_set():
            return
        self._log.info("stopping", reason=reason, in_flight=self.in_flight.id if self.in_flight else None)
        self._stop_requested_at = time.monotonic()
        self._stop_event.set()
        self._wake_event.set()

    @property
    def database_down(self) -> bool:
        """True while database calls are failing and being retried."""
        return self._db_down_since is not None

    @property
    def modem_available(self) -> bool:
        """The modem object's own view (it owns recovery); never a second copy of it."""
        return self.modem.connected

    def is_stopping(self) -> bool:
        return self._stop_event.is_set()

    def database_now(self) -> datetime:
        """Our best estimate of the database's now()."""
        return datetime.now(UTC) + self._db_clock_offset

    # -- main ----------------------------------------------------------------------------------

    async def run(self) -> ServiceStats:
        await self.database.open()
        background: list[asyncio.Task[None]] = []
        try:
            try:
                recovered = await self._db(
                    "recover_stale_claims", lambda: self.database.recover(self.config.worker_id)
                )
            except _Stopping:
                return self.stats
            self.stats.recovered_at_start = recovered
            self._log.info("started", recovered_claims=recovered)
            with contextlib.suppress(ConnectorError, _Stopping):
                await self._send_heartbeat()  # learns the database's clock before the first sleep
            background = [
                asyncio.create_task(self._run_wake_source(), name="wake-source"),
                asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
                asyncio.create_task(self._promotion_loop(), name="promotion"),
            ]
            if self.receiver is not None:
                background.append(asyncio.create_task(self._receive_loop(self.receiver), name="inbound"))
            await self._main_loop()
        finally:
            await self._stop_tasks(background)
            if self.receiver is not None:
                # A direct delivery (+CMT/+CDS) taken off the queue exists nowhere else: one last try.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.receiver.process_pending(sweep=False), timeout=10)
            self.state = "stopped"
            with contextlib.suppress(ConnectorError, _Stopping, TimeoutError):
                await asyncio.wait_for(self._send_heartbeat(), timeout=5)
            await self.database.close()
            self._log.info("stopped", **self._stats_dict())
        return self.stats

    async def _main_loop(self) -> None:
        while not self.is_stopping():
            self._wake_event.clear()
            try:
                await self._wait_for_modem()
                if self.is_stopping():
                    break
                await self._db("before_sweep", self.hooks.before_sweep)
                self.state = "sweeping"
                self.stats.sweeps += 1
                await self._drain()
                if self.is_stopping() or self.config.once:
                    break
                due = await self._db(
                    "next_bubble_due_at", lambda: self.database.next_due(self.config.worker_id)
                )
            except _Stopping:
                break
            except ConnectorAuthError:
                raise
            except ConnectorError as exc:
                self._log.error("database_call_failed", error=redact_text(str(exc)))
                due = None
            if due is None and self.config.until_idle:
                self._log.info("idle", reason="nothing queued")
                break
            timeout = self.config.poll_interval
            if due is not None:
                until_due = (due - self.database_now()).total_seconds()
                timeout = min(timeout, max(self.config.min_wait, until_due))
            self.state = "idle"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), timeout=timeout)

    async def _drain(self) -> None:
        while not self.is_stopping() and self.modem.connected:
            if await self._pause(self._pause_before_claim()):
                return
            await self._receive(before_claim=True)  # what the modem heard is stored before the claim
            bubble = await self._db("claim_next_bubble", self._claim)
            if bubble is None:
                self.stats.empty_claims += 1
                return
            self.stats.claimed += 1
            if self.receiver is None:
                await self._deliver(bubble)
                continue
            with self.receiver.defer():  # what arrives meanwhile is stored after the outcome
                await self._deliver(bubble)

    async def _claim(self) -> Bubble | None:
        if self._claim_uncertain:
            # A claim may have committed while its answer was lost: such a row is ours and `sending`,
            # though never handed to the modem. Conservatively turn it `unknown` (a person decides).
            recovered = await self.database.recover(self.config.worker_id)
            self._claim_uncertain = False
            if recovered:
                self._log.warning("claims_recovered", count=recovered, reason="claim answer lost")
        try:
            started = time.monotonic()
            bubble = await self.database.claim(self.config.worker_id)
            self.hooks.claim_timed(time.monotonic() - started, bubble is not None)
            return bubble
        except DatabaseUnavailableError:
            self._claim_uncertain = True
            raise

    # -- one bubble ----------------------------------------------------------------------------

    async def _deliver(self, bubble: Bubble) -> None:
        blog = self._log.bind(
            message_id=bubble.id,
            phone=bubble.phone_number,
            bubble=f"{bubble.bubble_index}/{bubble.bubble_count}",
            attempt=bubble.attempts,
        )
        blog.info("claimed", scheduled_message_id=bubble.scheduled_message_id)
        pause = self._pause_before(bubble)
        if (pause > 0 and await self._pause(pause)) or self.is_stopping():
            await self._apply(bubble, blog, Release(reason="stopping"))
            return
        self.in_flight = bubble
        self.state = "sending"
        started = time.monotonic()
        decision: Decision
        try:
            result = await self.modem.send_sms(bubble.phone_number, bubble.content)
        except Exception as exc:  # every failure is classified; unclassified = maybe sent
            decision = decide(exc, bubble.attempts)
        else:
            decision = Sent(reference=result.reference, parts=result.parts)
        finally:
            self.in_flight = None
        blog = blog.bind(send_ms=round((time.monotonic() - started) * 1000))
        self.hooks.send_timed(time.monotonic() - started, decision)
        if not isinstance(decision, Release):
            self._last_send_end = time.monotonic()
            self._last_recipient = bubble.recipient_key
            self._more_bubbles = (bubble.bubble_index or 1) < (bubble.bubble_count or 1)
        await self._apply(bubble, blog, decision)

    def _pause_before_claim(self) -> float:
        """The pause expected before the next bubble, waited before claiming it: the short one when
        the last message has bubbles to come, else the one between recipients."""
        if self._last_send_end is None:
            return 0.0
        wanted = self.config.bubble_pause if self._more_bubbles else self.config.recipient_pause
        return max(0.0, wanted - (time.monotonic() - self._last_send_end))

    def _pause_before(self, bubble: Bubble) -> float:
        """What is left of the pause `bubble` needs, after the claim (0 unless it was unexpected)."""
        if self._last_send_end is None:
            return 0.0
        wanted = (
            self.config.bubble_pause
            if bubble.recipient_key == self._last_recipient
            else self.config.recipient_pause
        )
        return max(0.0, wanted - (time.monotonic() - self._last_send_end))

    async def _apply(self, bubble: Bubble, blog: Any, decision: Decision) -> None:
        """Record `decision` in the database: the only place each outcome call is made."""
        self.decisions.append((bubble.id, decision))
        worker = self.config.worker_id
        match decision:
            case Sent(reference=reference, parts=parts):
                outcome = await self._record(
                    "mark_bubble_sent", lambda: self.database.mark_sent(bubble.id, worker, reference), blog
                )
                self.stats.sent += 1
                recorded = outcome.sent_at if outcome is not None else None
                self.last_sent_at = recorded or self.database_now()
                blog.info("sent", reference=reference, parts=parts, recorded=outcome is not None)
            case Release(reason=reason):
                outcome = await self._record(
                    "release_bubble", lambda: self.database.release(bubble.id, worker), blog
                )
                self.stats.released += 1
                blog.info("released", reason=reason, status=outcome.status if outcome else None)
            case Fail(error=error, permanent=permanent):
                outcome = await self._record(
                    "mark_bubble_failed",
                    lambda: self.database.mark_failed(bubble.id, worker, error, permanent),
                    blog,
                )
                if outcome is not None and outcome.status is MessageStatus.QUEUED:
                    self.stats.retried += 1
                    retry_at = outcome.next_attempt_at.isoformat() if outcome.next_attempt_at else None
                    blog.warning("retried", error=error, attempts=outcome.attempts, next_attempt_at=retry_at)
                else:
                    self.stats.failed += 1
                    status = outcome.status if outcome else None
                    blog.warning("failed", error=error, permanent=permanent, status=status)
            case MarkUnknown(error=error):
                await self._record(
                    "mark_bubble_unknown", lambda: self.database.mark_unknown(bubble.id, worker, error), blog
                )
                self.stats.unknown += 1
                blog.error("unknown", error=error)
            case _:
                assert_never(decision)

    async def _record(
        self, what: str, call: Callable[[], Awaitable[BubbleOutcome]], blog: Any
    ) -> BubbleOutcome | None:
        """Record an outcome, retrying through database outages (even while stopping, for a while).

        If it cannot be recorded the row stays `sending` and becomes `unknown` on restart or after
        the lease: never resent by mistake."""
        try:
            return await self._db(what, call, critical=True)
        except _Stopping:
            blog.error("outcome_not_recorded", call=what, reason="stopping; the claim will become unknown")
        except ConnectorError as exc:
            blog.error("outcome_rejected", call=what, error=redact_text(str(exc)))
        return None

    # -- modem ---------------------------------------------------------------------------------

    async def _wait_for_modem(self) -> None:
        """While the modem is not ready, wait for it (its owner reconnects); everything else runs."""
        if not self.modem.connected:
            if self._modem_was_available:
                last_error = self.modem.snapshot().as_dict().get("last_error")
                self._log.error("modem_unavailable", error=redact_text(str(last_error)))
            self._modem_was_available = False
            self.state = "modem_unavailable"
            ready = asyncio.ensure_future(self.modem.wait_ready(None))
            stop = asyncio.ensure_future(self._stop_event.wait())
            try:
                await asyncio.wait({ready, stop}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (ready, stop):
                    waiter.cancel()
        if self.modem.connected and not self._modem_was_available:
            self._modem_was_available = True
            self._log.info("modem_back")

    # -- receiving -----------------------------------------------------------------------------

    async def _receive(self, *, before_claim: bool = False) -> None:
        """Store whatever the modem announced (and a sweep that is due) now."""
        if self.receiver is None:
            return
        if before_claim:
            await self.receiver.before_claim()
        else:
            await self.receiver.process_pending()

    async def _pause(self, seconds: float) -> bool:
        """Wait `seconds`, storing announced SMS as they arrive; True (early) when stopping."""
        deadline = time.monotonic() + seconds
        while not self.is_stopping():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.state = "pausing"
            if self.receiver is None:
                return await self._sleep_unless_stopped(left)
            stop = asyncio.ensure_future(self._stop_event.wait())
            arrived = asyncio.ensure_future(self.receiver.arrived.wait())
            try:
                await asyncio.wait({stop, arrived}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (stop, arrived):
                    waiter.cancel()
            if self.receiver.arrived.is_set() and not self.is_stopping():
                await self._receive()
        return self.is_stopping()

    async def _receive_loop(self, receiver: InboundReceiver) -> None:
        try:
            await receiver.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # receiving stops; sending must not (and the log says so)
            self._log.error("receiving_stopped", error=redact_text(str(exc)))

    # -- background loops ----------------------------------------------------------------------

    async def _run_wake_source(self) -> None:
        try:
            await self.wake_source.run(self.wake)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # whatever ended it, polling still finds everything
            self._log.error("wake_source_stopped", error=redact_text(str(exc)))

    async def _heartbeat_loop(self) -> None:
        while not await self._sleep_unless_stopped(self.config.heartbeat_interval):
            try:
                await self._send_heartbeat()
            except (ConnectorError, _Stopping) as exc:
                self._log.warning("heartbeat_failed", error=redact_text(str(exc)))
                self.hooks.heartbeat_failed(redact_text(str(exc)))

    async def _send_heartbeat(self) -> None:
        payload = {
            **self.modem.snapshot().as_dict(),
            "listener_state": self.state,
            "available": self.modem.connected,
        }
        asked_at = datetime.now(UTC)
        status = await self.database.heartbeat(
            self.config.worker_id, payload, self.last_sent_at, self.started_at
        )
        self.hooks.heartbeat_recorded(status, payload)
        if status.last_seen_at is not None:
            # The database stamped the row with its now(): our clock's offset from it, to the RTT.
            self._db_clock_offset = status.last_seen_at - asked_at
            if self.started_at is None:
                self.started_at = status.last_seen_at
                await self.database.heartbeat(
                    self.config.worker_id, payload, self.last_sent_at, self.started_at
                )
        self._log.debug("heartbeat", queue_depth=status.queue_depth, state=self.state)

    async def _promotion_loop(self) -> None:
        """Fallback for projects without pg_cron: promote due messages once a minute ourselves.
        process_scheduled_messages_safe() locks what it promotes, so several listeners are harmless."""
        while not self.is_stopping():
            try:
                if not await self.database.promotion_job_active():
                    result = await self.database.promote()
                    self.stats.promotions += 1
                    if result.error_message:
                        self._log.error("promotion_failed", error=redact_text(result.error_message))
                    elif result.processed_count:
                        self._log.info("promoted", count=result.processed_count)
                        self._wake_event.set()
                    else:
                        self._log.debug("promotion_checked", skipped=result.skipped_reason)
            except ConnectorError as exc:
                self._log.warning("promotion_call_failed", error=redact_text(str(exc)))
            await self._sleep_unless_stopped(self.config.promotion_interval)

    # -- helpers -------------------------------------------------------------------------------

    async def _stop_tasks(self, tasks: list[asyncio.Task[None]]) -> None:
        """Cancel the background loops and wait for them. A cancellation can be lost (Python 3.11's
        asyncio.wait_for returns the result when it arrives together with the cancel, e.g. the pool's
        one connection handed over at that moment), so each loop also ends on the stop event, and a
        loop still running after a moment is cancelled again. Our own cancellation is never swallowed."""
        pending = set(tasks)
        for attempt in range(1, 4):
            for task in pending:
                task.cancel()
            if not pending:
                break
            _, pending = await asyncio.wait(pending, timeout=2.0)
            if pending:
                self._log.warning(
                    "background_task_not_stopping",
                    tasks=sorted(t.get_name() for t in pending),
                    attempt=attempt,
                )
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                self._log.error(
                    "background_task_failed", task=task.get_name(), error=redact_text(str(task.exception()))
                )

    async def _sleep_unless_stopped(self, seconds: float) -> bool:
        """Sleep; return True early if a stop was requested meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), timeout=seconds)
        return self.is_stopping()

    async def _db(self, what: str, call: Callable[[], Awaitable[T]], *, critical: bool = False) -> T:
        """Run one database call, retrying with backoff while the database is unavailable.

        Non-critical calls give up when the service is stopping; critical ones (recording what the
        modem did) keep trying for `shutdown_grace` seconds after the stop request."""

        def should_stop(state: RetryCallState) -> bool:
            if not self.is_stopping():
                return False
            if not critical:
                return True
            assert self._stop_requested_at is not None
            return time.monotonic() - self._stop_requested_at > self.config.shutdown_grace

        def before_sleep(state: RetryCallState) -> None:
            if self._db_down_since is None:
                self._db_down_since = time.monotonic()
            error = state.outcome.exception() if state.outcome else None
            self._log.warning(
                "reconnecting",
                part="database",
                call=what,
                attempt=state.attempt_number,
                error=redact_text(str(error)),
            )

        async def sleep(seconds: float) -> None:
            if critical:
                await asyncio.sleep(seconds)
            else:
                await self._sleep_unless_stopped(seconds)

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(DatabaseUnavailableError),
            wait=wait_exponential_jitter(multiplier=0.2, max=self.config.max_backoff),
            stop=should_stop,
            before_sleep=before_sleep,
            sleep=sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    result = await call()
        except DatabaseUnavailableError as exc:
            raise _Stopping(str(exc)) from exc
        if self._db_down_since is not None:
            self._log.info("database_back", down_s=round(time.monotonic() - self._db_down_since, 1))
            self._db_down_since = None
        return result

    def _stats_dict(self) -> dict[str, Any]:
        stats: dict[str, Any] = {
            key: value for key, value in vars(self.stats).items() if isinstance(value, int)
        }
        if self.receiver is not None:
            stats["inbound"] = vars(self.receiver.stats)
        return stats
