"""What the sending loop needs from the database, independent of how it is reached.

The listener reaches the database two ways (psycopg in Postgres mode, PostgREST RPC plus Realtime in
Supabase mode), but both call the same SQL functions and wake the loop the same way. The loop in
`listener.service` only sees these protocols, so every behaviour (order, pauses, crash safety,
promotion fallback) is written and tested once for both transports.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sms_common.errors import SmsSchedulerError


class ConnectorError(SmsSchedulerError):
    """The database refused a call (a SQL error, a missing function): retrying will not help by itself."""


class DatabaseUnavailableError(ConnectorError):
    """The database (or the API in front of it) cannot be reached right now: back off and try again."""


class ConnectorAuthError(ConnectorError):
    """The credentials were refused (wrong service role key or database password): a configuration problem."""


@dataclass(frozen=True)
class Bubble:
    """One claimed row of `messages`: a single SMS to hand to the modem."""

    id: int
    phone_number: str
    content: str
    scheduled_message_id: int | None
    bubble_index: int | None
    bubble_count: int | None
    attempts: int
    status: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Bubble:
        return cls(
            id=int(row["id"]),
            phone_number=str(row["phone_number"]),
            content=str(row["content"]),
            scheduled_message_id=_opt_int(row.get("scheduled_message_id")),
            bubble_index=_opt_int(row.get("bubble_index")),
            bubble_count=_opt_int(row.get("bubble_count")),
            attempts=int(row.get("attempts") or 0),
            status=str(row.get("status") or ""),
        )

    @property
    def recipient_key(self) -> tuple[str, int | None]:
        """Bubbles sharing this key belong to one message to one person (the short pause applies)."""
        return (self.phone_number, self.scheduled_message_id)


@dataclass(frozen=True)
class BubbleOutcome:
    """The row after a mark_* call: its new status and, for a transient failure, when it is retried."""

    id: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    error_message: str | None
    sent_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BubbleOutcome:
        return cls(
            id=int(row["id"]),
            status=str(row["status"]),
            attempts=int(row.get("attempts") or 0),
            next_attempt_at=_opt_datetime(row.get("next_attempt_at")),
            error_message=None if row.get("error_message") is None else str(row["error_message"]),
            sent_at=_opt_datetime(row.get("sent_at")),
        )


@dataclass(frozen=True)
class PromotionResult:
    """One row of process_scheduled_messages_safe()."""

    processed_count: int
    error_message: str | None
    skipped_reason: str | None

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> PromotionResult:
        """The function returns exactly one row; no row at all is reported, not guessed."""
        if not rows:
            return cls(0, None, "no result row")
        row = rows[0]
        return cls(
            processed_count=int(row.get("processed_count") or 0),
            error_message=row.get("error_message"),
            skipped_reason=row.get("skipped_reason"),
        )


class Connector(Protocol):
    """The SQL functions of docs/sql-api.md, one method each. Every method may raise
    DatabaseUnavailableError (retry later) or ConnectorError (the call itself is wrong)."""

    #: Short name for logs ("postgres", "supabase").
    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def claim(self, worker_id: str, at: datetime | None = None) -> Bubble | None: ...

    async def mark_sent(
        self, message_id: int, worker_id: str, modem_reference: str, at: datetime | None = None
    ) -> BubbleOutcome: ...

    async def mark_failed(
        self, message_id: int, worker_id: str, error: str, permanent: bool, at: datetime | None = None
    ) -> BubbleOutcome: ...

    async def mark_unknown(
        self, message_id: int, worker_id: str, error: str, at: datetime | None = None
    ) -> BubbleOutcome: ...

    async def release(self, message_id: int, worker_id: str) -> BubbleOutcome: ...

    async def recover(self, worker_id: str | None, at: datetime | None = None) -> int: ...

    async def heartbeat(
        self,
        worker_id: str,
        modem_health: Mapping[str, Any],
        last_sent_at: datetime | None,
        queue_depth: int | None = None,
        at: datetime | None = None,
        started_at: datetime | None = None,
    ) -> int | None: ...

    async def next_due(self, at: datetime | None = None) -> datetime | None: ...

    async def promote(self, at: datetime | None = None) -> PromotionResult: ...

    async def promotion_job_active(self) -> bool: ...


#: What a wake-up source calls: `wake(reason)`. Cheap, synchronous, safe to call from any callback.
Wake = Callable[[str], None]


class OutcomeCalls(abc.ABC):
    """The four outcome calls, the same SQL function names and arguments on every transport.

    A transport only says how to call one function that returns one `messages` row (`_outcome`).
    """

    @abc.abstractmethod
    async def _outcome(self, function: str, args: Mapping[str, Any]) -> BubbleOutcome: ...

    async def mark_sent(
        self, message_id: int, worker_id: str, modem_reference: str, at: datetime | None = None
    ) -> BubbleOutcome:
        return await self._outcome(
            "mark_bubble_sent",
            {"message_id": message_id, "worker_id": worker_id, "modem_reference": modem_reference, "at": at},
        )

    async def mark_failed(
        self, message_id: int, worker_id: str, error: str, permanent: bool, at: datetime | None = None
    ) -> BubbleOutcome:
        args = {
            "message_id": message_id,
            "worker_id": worker_id,
            "error": error,
            "permanent": permanent,
            "at": at,
        }
        return await self._outcome("mark_bubble_failed", args)

    async def mark_unknown(
        self, message_id: int, worker_id: str, error: str, at: datetime | None = None
    ) -> BubbleOutcome:
        return await self._outcome(
            "mark_bubble_unknown",
            {"message_id": message_id, "worker_id": worker_id, "error": error, "at": at},
        )

    async def release(self, message_id: int, worker_id: str) -> BubbleOutcome:
        return await self._outcome("release_bubble", {"message_id": message_id, "worker_id": worker_id})


class WakeSource(Protocol):
    """Something that tells the loop "there may be new queued bubbles" (NOTIFY, Realtime, nothing).

    `run` runs until cancelled. It calls `wake("subscribed")` (or similar) after every (re)subscription,
    AFTER the subscription is in place, so the loop's sweep finds whatever was inserted during a gap.
    It reconnects on its own, with backoff, and never raises for connection trouble.
    """

    name: str

    async def run(self, wake: Wake) -> None: ...


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_timestamp(str(value))


def parse_timestamp(value: str) -> datetime:
    """Parse a PostgreSQL/PostgREST timestamptz text ('2025-11-05 22:30:00+00' or ISO-8601 with 'Z')."""
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # PostgreSQL writes "+00" for whole-hour offsets; fromisoformat wants "+00:00".
    if len(text) >= 3 and text[-3] in "+-" and text[-2:].isdigit():
        text += ":00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ConnectorError(f"timestamp without time zone from the database: {value!r}")
    return parsed


class PollOnlyWakeSource:
    """--poll-only: no push wake-ups at all (transaction poolers, projects without Realtime).
    The loop's poll interval and next_bubble_due_at do all the work."""

    name = "poll"

    async def run(self, wake: Wake) -> None:
        wake("started")
        await asyncio.Event().wait()
