"""The sending loop: claim a bubble, hand it to the modem, record what happened.

Why it is shaped like this:
- Wake-ups (NOTIFY or Realtime) only set an asyncio.Event. The loop then sweeps: it claims until the
  database has nothing claimable. Missing a wake-up therefore costs latency, never a message; the
  poll interval (and the next retry time from next_bubble_due_at) stays on as the safety net.
- A bubble is `sending` in the database before its body goes to the modem. Whatever happens next is
  recorded: sent (with the modem's reference), failed (permanent, or transient and retried by the
  database's backoff), or `unknown` when the body was handed over without a final answer. Nothing is
  ever resent automatically after it may have left the modem.
- One modem sends one SMS at a time (one loop, one lock around every modem call).
- The database, the wake-up source and the modem recover independently: a dead modem pauses sending
  but keeps the heartbeat and promotion going; a dead database pauses claiming but not the modem.
- SIGTERM/SIGINT (`request_stop`) lets the SMS in flight finish and be recorded, releases a bubble that
  was claimed but not yet handed over, and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from listener.connector import (
    Bubble,
    BubbleOutcome,
    Connector,
    ConnectorAuthError,
    ConnectorError,
    DatabaseUnavailableError,
    WakeSource,
)
from listener.modem.errors import (
    ModemError,
    ModemUnavailableError,
    PermanentSendError,
    SendOutcomeUnknownError,
    TransientSendError,
)
from sms_common.logs import get_logger, redact_text

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
    """The part of listener.modem's Modem/ResilientModem the loop uses."""

    async def send_sms(self, number: str, text: str) -> SendResultLike: ...

    async def health(self) -> HealthLike: ...

    async def close(self) -> None: ...


#: Returns the moment to pass as `at` to the SQL functions, or None to let the database use now().
Clock = Callable[[], datetime | None]


def database_clock() -> datetime | None:
    """The production clock: the database's own now()."""
    return None


@dataclass
class ShiftedClock:
    """A clock that starts at `start` and runs at real speed (demos and tests of a pinned weekday)."""

    start: datetime
    _origin: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)


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
    modem_timeout: float = 15.0
    #: Longest pause between two probes of an unavailable modem.
    modem_probe_max: float = 2.0
    #: How long a stopping listener keeps trying to record the outcome of the SMS it just sent.
    shutdown_grace: float = 60.0
    #: Never wait less than this between sweeps when next_bubble_due_at says "now" (avoids a hot loop).
    min_wait: float = 0.2


@dataclass
class ServiceStats:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    unknown: int = 0
    released: int = 0
    sweeps: int = 0
    wakeups: int = 0
    promotions: int = 0
    recovered_at_start: int = 0


class _Stopping(Exception):
    """Internal: a retry loop gave up because the service is stopping."""


class ListenerService:
    """One listener: one modem, one worker id, one loop (see the module docstring)."""

    def __init__(
        self,
        connector: Connector,
        wake_source: WakeSource,
        modem: SmsModem,
        config: ServiceConfig,
        *,
        clock: Clock = database_clock,
    ) -> None:
        self.connector = connector
        self.wake_source = wake_source
        self.modem = modem
        self.config = config
        self.clock = clock
        self.stats = ServiceStats()
        self.state = "starting"
        self.last_sent_at: datetime | None = None
        self.started_at: datetime | None = None
        self.modem_available = True
        self.in_flight: Bubble | None = None
        self._wake_event = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stop_requested_at: float | None = None
        self._modem_lock = asyncio.Lock()
        self._last_health: dict[str, Any] = {}
        self._last_send_end: float | None = None
        self._last_recipient: tuple[str, int | None] | None = None
        self._claim_uncertain = False
        self._db_down_since: float | None = None
        self._log = log.bind(worker_id=config.worker_id, mode=connector.name, wake=wake_source.name)

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

    def is_stopping(self) -> bool:
        return self._stop_event.is_set()

    # -- main ----------------------------------------------------------------------------------

    async def run(self) -> ServiceStats:
        self.started_at = self.clock() or datetime.now(UTC)
        await self.connector.open()
        background: list[asyncio.Task[None]] = []
        try:
            try:
                recovered = await self._db(
                    "recover_stale_claims",
                    lambda: self.connector.recover(self.config.worker_id, self.clock()),
                )
            except _Stopping:
                return self.stats
            self.stats.recovered_at_start = recovered
            self._log.info("started", recovered_claims=recovered)
            background = [
                asyncio.create_task(self._run_wake_source(), name="wake-source"),
                asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
                asyncio.create_task(self._promotion_loop(), name="promotion"),
            ]
            await self._main_loop()
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.state = "stopped"
            with contextlib.suppress(ConnectorError, _Stopping):
                await asyncio.wait_for(self._send_heartbeat(), timeout=5)
            await self.connector.close()
            self._log.info("stopped", **self._stats_dict())
        return self.stats

    async def _main_loop(self) -> None:
        while not self.is_stopping():
            self._wake_event.clear()
            try:
                await self._ensure_modem()
                if self.is_stopping():
                    break
                self.state = "sweeping"
                self.stats.sweeps += 1
                await self._drain()
                if self.is_stopping() or self.config.once:
                    break
                due = await self._db("next_bubble_due_at", lambda: self.connector.next_due(self.clock()))
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
                now = self.clock() or datetime.now(UTC)
                timeout = min(timeout, max(self.config.min_wait, (due - now).total_seconds()))
            self.state = "idle"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), timeout=timeout)

    async def _drain(self) -> None:
        while not self.is_stopping() and self.modem_available:
            bubble = await self._db("claim_next_bubble", self._claim)
            if bubble is None:
                return
            self.stats.claimed += 1
            await self._deliver(bubble)

    async def _claim(self) -> Bubble | None:
        if self._claim_uncertain:
            # A claim may have committed while its answer was lost: such a row is ours and `sending`,
            # though never handed to the modem. Conservatively turn it `unknown` (a person decides).
            recovered = await self.connector.recover(self.config.worker_id, self.clock())
            self._claim_uncertain = False
            if recovered:
                self._log.warning("claims_recovered", count=recovered, reason="claim answer lost")
        try:
            return await self.connector.claim(self.config.worker_id, self.clock())
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
        pause = await self._pause_before(bubble)
        if pause > 0 and await self._sleep_unless_stopped(pause):
            await self._release(bubble, blog, reason="stopping")
            return
        if self.is_stopping():
            await self._release(bubble, blog, reason="stopping")
            return
        self.in_flight = bubble
        self.state = "sending"
        started = time.monotonic()
        handed_over = True
        try:
            async with self._modem_lock:
                result = await self.modem.send_sms(bubble.phone_number, bubble.content)
        except ModemUnavailableError as exc:
            # The driver raises this only before the body was handed over: nothing left the modem.
            handed_over = False
            self._set_modem_unavailable(exc)
            await self._release(bubble, blog, reason="modem unavailable")
        except PermanentSendError as exc:
            await self._record_failure(bubble, blog, _modem_error_text(exc), permanent=True)
        except TransientSendError as exc:
            # Codes also reported for unreachable numbers are capped by the driver's table.
            capped = exc.max_attempts is not None and bubble.attempts >= exc.max_attempts
            text = _modem_error_text(exc)
            if capped:
                text = f"{text}; gave up after {bubble.attempts} attempts"
            await self._record_failure(bubble, blog, text, permanent=capped)
        except SendOutcomeUnknownError as exc:
            await self._record_unknown(bubble, blog, _modem_error_text(exc))
        except ModemError as exc:
            # Not classified by the driver: it may or may not have left the modem. Never guess "not sent".
            await self._record_unknown(bubble, blog, f"unclassified modem error: {_modem_error_text(exc)}")
        else:
            elapsed_ms = round((time.monotonic() - started) * 1000)
            outcome = await self._record(
                "mark_bubble_sent",
                lambda: self.connector.mark_sent(
                    bubble.id, self.config.worker_id, result.reference, self.clock()
                ),
                blog,
            )
            self.stats.sent += 1
            # The database's time of the send (its clock may be pinned or sped up), else ours.
            recorded = outcome.sent_at if outcome is not None else None
            self.last_sent_at = recorded or self.clock() or datetime.now(UTC)
            blog.info(
                "sent",
                reference=result.reference,
                parts=result.parts,
                send_ms=elapsed_ms,
                recorded=outcome is not None,
            )
        finally:
            self.in_flight = None
            if handed_over:
                self._last_send_end = time.monotonic()
                self._last_recipient = bubble.recipient_key

    async def _pause_before(self, bubble: Bubble) -> float:
        if self._last_send_end is None:
            return 0.0
        wanted = (
            self.config.bubble_pause
            if bubble.recipient_key == self._last_recipient
            else self.config.recipient_pause
        )
        return max(0.0, wanted - (time.monotonic() - self._last_send_end))

    async def _release(self, bubble: Bubble, blog: Any, *, reason: str) -> None:
        outcome = await self._record(
            "release_bubble", lambda: self.connector.release(bubble.id, self.config.worker_id), blog
        )
        self.stats.released += 1
        blog.info("released", reason=reason, status=outcome.status if outcome else None)

    async def _record_failure(self, bubble: Bubble, blog: Any, error: str, *, permanent: bool) -> None:
        outcome = await self._record(
            "mark_bubble_failed",
            lambda: self.connector.mark_failed(
                bubble.id, self.config.worker_id, error, permanent, self.clock()
            ),
            blog,
        )
        if outcome is not None and outcome.status == "queued":
            self.stats.retried += 1
            blog.warning(
                "retried",
                error=error,
                attempts=outcome.attempts,
                next_attempt_at=outcome.next_attempt_at.isoformat() if outcome.next_attempt_at else None,
            )
        else:
            self.stats.failed += 1
            blog.warning(
                "failed", error=error, permanent=permanent, status=outcome.status if outcome else None
            )

    async def _record_unknown(self, bubble: Bubble, blog: Any, error: str) -> None:
        await self._record(
            "mark_bubble_unknown",
            lambda: self.connector.mark_unknown(bubble.id, self.config.worker_id, error, self.clock()),
            blog,
        )
        self.stats.unknown += 1
        blog.error("unknown", error=error)

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

    def _set_modem_unavailable(self, exc: BaseException) -> None:
        if self.modem_available:
            self._log.error("modem_unavailable", error=redact_text(str(exc)))
        self.modem_available = False
        self._last_health = {"available": False, "last_error": redact_text(str(exc))}

    async def _ensure_modem(self) -> None:
        """While the modem is unavailable, probe it with backoff; sending waits, everything else runs."""
        attempt = 0
        while not self.modem_available and not self.is_stopping():
            self.state = "modem_unavailable"
            attempt += 1
            try:
                async with self._modem_lock:
                    health = await asyncio.wait_for(self.modem.health(), timeout=self.config.modem_timeout)
            except (ModemError, TimeoutError, OSError) as exc:
                # Probing is cheap while the driver reconnects in the background (its own backoff).
                if attempt & (attempt - 1) == 0:  # log attempts 1, 2, 4, 8, ...
                    self._log.warning(
                        "reconnecting", part="modem", attempt=attempt, error=redact_text(str(exc))
                    )
                await self._sleep_unless_stopped(
                    min(self.config.modem_probe_max, 0.1 * 2 ** min(attempt, 10))
                )
                continue
            self._last_health = {**dict(health.as_dict()), "available": True}
            self.modem_available = True
            self._log.info("modem_back", attempts=attempt)

    async def _modem_health(self) -> dict[str, Any]:
        if not self.modem_available or self._modem_lock.locked():
            return self._last_health  # never interleave with a send or a probe
        try:
            async with self._modem_lock:
                health = await asyncio.wait_for(self.modem.health(), timeout=self.config.modem_timeout)
        except ModemUnavailableError as exc:
            self._set_modem_unavailable(exc)
            self._wake_event.set()
        except (ModemError, TimeoutError, OSError) as exc:
            self._last_health = {**self._last_health, "last_error": redact_text(str(exc))}
        else:
            self._last_health = {**dict(health.as_dict()), "available": True}
        return self._last_health

    # -- background loops ----------------------------------------------------------------------

    async def _run_wake_source(self) -> None:
        try:
            await self.wake_source.run(self.wake)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The wake-up source gave up for good: polling still finds everything, just later.
            self._log.error("wake_source_stopped", error=redact_text(str(exc)))

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                await self._send_heartbeat()
            except (ConnectorError, _Stopping) as exc:
                self._log.warning("heartbeat_failed", error=redact_text(str(exc)))
            await asyncio.sleep(self.config.heartbeat_interval)

    async def _send_heartbeat(self) -> None:
        health = await self._modem_health() if self.state != "stopped" else dict(self._last_health)
        payload = {**health, "listener_state": self.state, "available": self.modem_available}
        depth = await self.connector.heartbeat(
            self.config.worker_id, payload, self.last_sent_at, None, self.clock(), self.started_at
        )
        self._log.debug("heartbeat", queue_depth=depth, state=self.state)

    async def _promotion_loop(self) -> None:
        """Fallback for projects without pg_cron: promote due messages once a minute ourselves.
        process_scheduled_messages_safe() locks what it promotes, so several listeners are harmless."""
        while True:
            try:
                if not await self.connector.promotion_job_active():
                    result = await self.connector.promote(self.clock())
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
            await asyncio.sleep(self.config.promotion_interval)

    # -- helpers -------------------------------------------------------------------------------

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

    def _stats_dict(self) -> dict[str, int]:
        return {key: value for key, value in vars(self.stats).items() if isinstance(value, int)}


def _modem_error_text(exc: BaseException) -> str:
    """The modem's own words (e.g. '+CMS ERROR: 21 short message transfer rejected'), redacted."""
    return redact_text(str(exc).strip() or type(exc).__name__)
