"""An in-memory transport for fast tests of the service's decisions (no database).

`InMemoryTransport` answers the listener's SQL functions by name, the way procrastinate's
InMemoryConnector answers its queries: a `messages` table as a dict, claim in id order, the four
outcome calls, release, recovery, heartbeat, next due time and promotion, with the same guards as
the SQL (an outcome for a row that is not `sending` by this worker is refused). It keeps a log of
every call, and can be told to fail calls as an unreachable database would. The real SQL stays
tested against PostgreSQL in tests/integration; this only has to be faithful enough for the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from listener.errors import ConnectorError, DatabaseUnavailableError
from sms_common.statuses import MessageStatus

#: The in-memory database's clock: a fixed weekday afternoon, moved only by tests.
DEFAULT_NOW = datetime(2025, 11, 5, 22, 30, tzinfo=UTC)


@dataclass
class MessageRow:
    id: int
    phone_number: str
    content: str
    scheduled_message_id: int | None = None
    bubble_index: int | None = 1
    bubble_count: int | None = 1
    status: MessageStatus = MessageStatus.QUEUED
    attempts: int = 0
    worker_id: str | None = None
    next_attempt_at: datetime | None = None
    error_message: str | None = None
    modem_reference: str | None = None
    sent_at: datetime | None = None

    def as_row(self) -> dict[str, Any]:
        return {key: (str(value) if key == "status" else value) for key, value in vars(self).items()}


@dataclass
class InMemoryTransport:
    """`transport.Transport` over Python dicts (see the module docstring)."""

    name: str = "memory"
    now: datetime = DEFAULT_NOW
    retry_delay: timedelta = timedelta(seconds=30)
    messages: dict[int, MessageRow] = field(default_factory=dict)
    #: Every call as (function, arguments), in order.
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: How many of the next calls fail with DatabaseUnavailableError (an outage).
    unavailable_for: int = 0
    #: Set while the "database" is down; calls fail until it is cleared.
    down: bool = False
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    promotion_job: bool = True
    opened: bool = False
    #: Called after every successful call (tests wait on conditions with it).
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def queue(self, phone_number: str, *bubbles: str, scheduled_message_id: int | None = None) -> list[int]:
        """Queue one message's bubbles; returns their ids."""
        ids = []
        for index, content in enumerate(bubbles, start=1):
            row_id = max(self.messages, default=0) + 1
            self.messages[row_id] = MessageRow(
                row_id, phone_number, content, scheduled_message_id, index, len(bubbles)
            )
            ids.append(row_id)
        return ids

    def status(self, row_id: int) -> MessageStatus:
        return self.messages[row_id].status

    def functions_called(self) -> list[str]:
        return [function for function, _ in self.calls]

    # -- Transport -----------------------------------------------------------------------------

    async def open(self) -> None:
        self.opened = True

    async def close(self) -> None:
        self.opened = False

    async def rows(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = self._call(function, args)
        if result is None:
            return []
        return result if isinstance(result, list) else [result]

    async def value(self, function: str, args: Mapping[str, Any]) -> Any:
        return self._call(function, args)

    # -- the functions -------------------------------------------------------------------------

    def _call(self, function: str, args: Mapping[str, Any]) -> Any:
        if "at" in args:
            raise ConnectorError(f"{function}: the listener must never pass `at`")
        self.calls.append((function, dict(args)))
        if self.down or self.unavailable_for > 0:
            self.unavailable_for = max(0, self.unavailable_for - 1)
            raise DatabaseUnavailableError(f"{function}: database unavailable (in-memory outage)")
        handler: Callable[..., Any] | None = getattr(self, f"_fn_{function}", None)
        if handler is None:
            raise ConnectorError(f"{function} failed: function does not exist")
        result = handler(**args)
        self.changed.set()
        return result

    def _claimable(self) -> list[MessageRow]:
        return [
            row
            for row in sorted(self.messages.values(), key=lambda r: r.id)
            if row.status is MessageStatus.QUEUED
            and (row.next_attempt_at is None or row.next_attempt_at <= self.now)
        ]

    def _fn_claim_next_bubble(self, worker_id: str) -> list[dict[str, Any]]:
        claimable = self._claimable()
        if not claimable:
            return []
        row = claimable[0]
        row.status, row.worker_id, row.attempts = MessageStatus.SENDING, worker_id, row.attempts + 1
        return [row.as_row()]

    def _owned(self, message_id: int, worker_id: str, action: str) -> MessageRow:
        row = self.messages.get(message_id)
        if row is None or row.status is not MessageStatus.SENDING or row.worker_id != worker_id:
            state = row.status if row else "missing"
            raise ConnectorError(f"message {message_id}: cannot {action}: it is {state}, not sending")
        return row

    def _fn_mark_bubble_sent(self, message_id: int, worker_id: str, modem_reference: str) -> dict[str, Any]:
        row = self._owned(message_id, worker_id, "mark sent")
        row.status, row.modem_reference, row.sent_at = MessageStatus.SENT, modem_reference, self.now
        return row.as_row()

    def _fn_mark_bubble_failed(
        self, message_id: int, worker_id: str, error: str, permanent: bool
    ) -> dict[str, Any]:
        row = self._owned(message_id, worker_id, "mark failed")
        row.error_message = error
        if permanent:
            row.status = MessageStatus.FAILED
        else:
            row.status, row.next_attempt_at = MessageStatus.QUEUED, self.now + self.retry_delay
        return row.as_row()

    def _fn_mark_bubble_unknown(self, message_id: int, worker_id: str, error: str) -> dict[str, Any]:
        row = self._owned(message_id, worker_id, "mark unknown")
        row.status, row.error_message = MessageStatus.UNKNOWN, error
        return row.as_row()

    def _fn_release_bubble(self, message_id: int, worker_id: str) -> dict[str, Any]:
        row = self._owned(message_id, worker_id, "release")
        row.status, row.worker_id, row.attempts = MessageStatus.QUEUED, None, max(row.attempts - 1, 0)
        return row.as_row()

    def _fn_recover_stale_claims(self, worker_id: str | None) -> int:
        stale = [
            r
            for r in self.messages.values()
            if r.status is MessageStatus.SENDING and r.worker_id == worker_id
        ]
        for row in stale:
            row.status, row.error_message = (
                MessageStatus.UNKNOWN,
                "listener restarted; the modem may have sent it",
            )
        return len(stale)

    def _fn_next_bubble_due_at(self) -> datetime | None:
        waiting = [r for r in self.messages.values() if r.status is MessageStatus.QUEUED]
        if not waiting:
            return None
        return max(self.now, min(r.next_attempt_at or self.now for r in waiting))

    def _fn_record_listener_heartbeat(self, **args: Any) -> dict[str, Any]:
        self.heartbeats.append(args)
        depth = sum(1 for r in self.messages.values() if r.status is MessageStatus.QUEUED)
        return {
            "worker_id": args["worker_id"],
            "queue_depth": depth,
            "last_seen_at": self.now,
            "started_at": args.get("started_at") or self.now,
        }

    def _fn_promotion_job_active(self) -> bool:
        return self.promotion_job

    def _fn_process_scheduled_messages_safe(self) -> dict[str, Any]:
        return {"processed_count": 0, "error_message": None, "skipped_reason": "nothing due"}
