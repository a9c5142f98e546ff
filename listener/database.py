"""The listener's database calls, each written once: the SQL function, its arguments, how its row
is parsed, and what a missing or odd answer means (docs/sql-listener-api.md).

`ListenerDatabase` sits on a thin `transport.Transport` (psycopg, Supabase RPC, or the in-memory one
of `listener.testing`), which only knows how to call a function by name. Adding a call is one method
here plus its test; no transport changes.

No call passes `at`: the functions that change data act on the database's clock (tests pin that
clock, never a caller's argument), and read-only ones default to now().
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listener.errors import ConnectorError
from listener.transport import Transport
from sms_common.statuses import MessageStatus


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
    status: MessageStatus

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
            status=_status(row.get("status") or MessageStatus.SENDING),
        )

    @property
    def recipient_key(self) -> tuple[str, int | None]:
        """Bubbles sharing this key belong to one message to one person (the short pause applies)."""
        return (self.phone_number, self.scheduled_message_id)


@dataclass(frozen=True)
class BubbleOutcome:
    """The row after a mark_* or release call: its new status and, for a transient failure, when
    it is retried."""

    id: int
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    error_message: str | None
    sent_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BubbleOutcome:
        return cls(
            id=int(row["id"]),
            status=_status(row["status"]),
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


@dataclass(frozen=True)
class StoredPart:
    """record_inbound_part's answer for one SMS-DELIVER.

    `duplicate`: it was stored before (a re-read after a crash): nothing new was written.
    `inbound_message_id`: set when this part completed a reply (a single SMS always does), so the
    database has decided its keyword (opt-out, confirmation) by now. `part_id` None: the database kept
    the PDU in inbound_malformed instead, because a value could not be stored (its reason is there)."""

    part_id: int | None
    inbound_message_id: int | None
    duplicate: bool

    @classmethod
    def from_rows(cls, function: str, rows: list[dict[str, Any]]) -> StoredPart:
        if len(rows) != 1:
            raise ConnectorError(f"{function} returned {len(rows)} rows, expected one")
        row = rows[0]
        return cls(
            part_id=_opt_int(row.get("part_id")),
            inbound_message_id=_opt_int(row.get("inbound_message_id")),
            duplicate=bool(row.get("duplicate")),
        )

    @property
    def kept_as_malformed(self) -> bool:
        return self.part_id is None


@dataclass(frozen=True)
class ReportOutcome:
    """record_status_report's answer: the report's row, the bubble it matched (None: nothing, kept
    anyway) and that bubble's delivery_status now."""

    report_id: int
    message_id: int | None
    delivery_status: str | None

    @classmethod
    def from_rows(cls, function: str, rows: list[dict[str, Any]]) -> ReportOutcome:
        if len(rows) != 1 or rows[0].get("report_id") is None:
            raise ConnectorError(f"{function} returned {len(rows)} rows, expected one with its report_id")
        row = rows[0]
        status = row.get("delivery_status")
        return cls(
            report_id=int(row["report_id"]),
            message_id=_opt_int(row.get("message_id")),
            delivery_status=None if status is None else str(status),
        )


@dataclass(frozen=True)
class ListenerStatus:
    """The listener_status row after a heartbeat; `last_seen_at` is the database's now()."""

    queue_depth: int | None
    started_at: datetime | None
    last_seen_at: datetime | None

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> ListenerStatus:
        row = rows[0] if rows else {}
        return cls(
            queue_depth=_opt_int(row.get("queue_depth")),
            started_at=_opt_datetime(row.get("started_at")),
            last_seen_at=_opt_datetime(row.get("last_seen_at")),
        )


@dataclass(frozen=True)
class SenderRow:
    """The `senders` row register_sender answers: which SIM this worker now sends from (issue 14)."""

    id: int
    worker_id: str | None
    imsi: str | None
    iccid: str | None
    own_number: str | None
    status: str | None

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> SenderRow:
        if len(rows) != 1 or rows[0].get("id") is None:
            raise ConnectorError(f"register_sender returned {len(rows)} rows, expected the senders row")
        row = rows[0]
        return cls(
            id=int(row["id"]),
            worker_id=_opt_str(row.get("worker_id")),
            imsi=_opt_str(row.get("imsi")),
            iccid=_opt_str(row.get("iccid")),
            own_number=_opt_str(row.get("own_number")),
            status=_opt_str(row.get("status")),
        )


@dataclass(frozen=True)
class SenderStatus:
    """One row of sender_status(): one SIM of the bank as the operator sees it. Limits left are None
    when the SIM has no such limit (off)."""

    sender_id: int
    label: str | None
    own_number: str | None
    imsi: str | None
    iccid: str | None
    worker_id: str | None
    status: str | None
    alive: bool
    last_seen_at: datetime | None
    signal: int | None
    signal_word: str | None
    registration: str | None
    sent_today: int
    delivered_today: int
    messages_left: int | None
    new_recipients_left: int | None
    recipients: int | None
    waiting: int | None
    idle_reason: str | None
    last_error: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SenderStatus:
        return cls(
            sender_id=int(row["sender_id"]),
            label=_opt_str(row.get("label")),
            own_number=_opt_str(row.get("own_number")),
            imsi=_opt_str(row.get("imsi")),
            iccid=_opt_str(row.get("iccid")),
            worker_id=_opt_str(row.get("worker_id")),
            status=_opt_str(row.get("status")),
            alive=bool(row.get("alive")),
            last_seen_at=_opt_datetime(row.get("last_seen_at")),
            signal=_opt_int(row.get("signal")),
            signal_word=_opt_str(row.get("signal_word")),
            registration=_opt_str(row.get("registration")),
            sent_today=int(row.get("sent_today") or 0),
            delivered_today=int(row.get("delivered_today") or 0),
            messages_left=_opt_int(row.get("messages_left")),
            new_recipients_left=_opt_int(row.get("new_recipients_left")),
            recipients=_opt_int(row.get("recipients")),
            waiting=_opt_int(row.get("waiting")),
            idle_reason=_opt_str(row.get("idle_reason")),
            last_error=_opt_str(row.get("last_error")),
        )


class ListenerDatabase:
    """The SQL functions the listener calls, one method each (see the module docstring).

    Every method may raise DatabaseUnavailableError (retry later), ConnectorAuthError (configuration)
    or ConnectorError (the call itself is wrong)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @property
    def name(self) -> str:
        return self.transport.name

    async def open(self) -> None:
        await self.transport.open()

    async def close(self) -> None:
        await self.transport.close()

    async def claim(self, worker_id: str) -> Bubble | None:
        """claim_next_bubble: the next bubble this worker may send now, marked `sending`, or None."""
        rows = _present(await self.transport.rows("claim_next_bubble", {"worker_id": worker_id}))
        return Bubble.from_row(rows[0]) if rows else None

    async def mark_sent(self, message_id: int, worker_id: str, modem_reference: str) -> BubbleOutcome:
        args = {"message_id": message_id, "worker_id": worker_id, "modem_reference": modem_reference}
        return await self._outcome("mark_bubble_sent", args)

    async def mark_failed(
        self, message_id: int, worker_id: str, error: str, permanent: bool
    ) -> BubbleOutcome:
        """A refusal: permanent fails the bubble, transient re-queues it with the database's backoff."""
        args = {"message_id": message_id, "worker_id": worker_id, "error": error, "permanent": permanent}
        return await self._outcome("mark_bubble_failed", args)

    async def mark_unknown(self, message_id: int, worker_id: str, error: str) -> BubbleOutcome:
        """It may have been sent: a person decides, nothing retries it."""
        args = {"message_id": message_id, "worker_id": worker_id, "error": error}
        return await self._outcome("mark_bubble_unknown", args)

    async def release(self, message_id: int, worker_id: str) -> BubbleOutcome:
        """Nothing left the modem: back to `queued`, not counted as an attempt."""
        return await self._outcome("release_bubble", {"message_id": message_id, "worker_id": worker_id})

    async def recover(self, worker_id: str | None) -> int:
        """recover_stale_claims: this worker's (or every expired) `sending` claim becomes `unknown`."""
        return int(await self.transport.value("recover_stale_claims", {"worker_id": worker_id}) or 0)

    async def heartbeat(
        self,
        worker_id: str,
        modem_health: Mapping[str, Any],
        last_sent_at: datetime | None,
        started_at: datetime | None = None,
    ) -> ListenerStatus:
        """record_listener_heartbeat (the queue depth is counted by the database)."""
        args: dict[str, Any] = {
            "worker_id": worker_id,
            "modem_health": dict(modem_health),
            "last_sent_at": last_sent_at,
        }
        if started_at is not None:
            args["started_at"] = started_at
        return ListenerStatus.from_rows(
            _present(await self.transport.rows("record_listener_heartbeat", args))
        )

    async def register_sender(
        self,
        worker_id: str,
        imsi: str | None,
        iccid: str | None,
        own_number: str | None,
        modem: Mapping[str, Any],
    ) -> SenderRow:
        """register_sender (issue 14): this worker now uses the SIM with this IMSI (else ICCID); the
        database upserts its `senders` row. own_number None means unknown (a known one is kept)."""
        args: dict[str, Any] = {
            "worker_id": worker_id,
            "imsi": imsi,
            "iccid": iccid,
            "own_number": own_number,
            "modem": dict(modem),
        }
        return SenderRow.from_rows(_present(await self.transport.rows("register_sender", args)))

    async def sender_status(self) -> list[SenderStatus]:
        """sender_status(): every SIM of the bank, for `python -m listener status`."""
        return [
            SenderStatus.from_row(row) for row in _present(await self.transport.rows("sender_status", {}))
        ]

    async def next_due(self, worker_id: str) -> datetime | None:
        """next_bubble_due_at(worker_id): when this worker's SIM could next claim a bubble (None: nothing
        by time alone). Per SIM (issue 14): other SIMs' due work does not count, so an idle SIM in a bank
        sleeps instead of polling with empty claims."""
        return _opt_datetime(await self.transport.value("next_bubble_due_at", {"worker_id": worker_id}))

    async def promote(self) -> PromotionResult:
        """process_scheduled_messages_safe: the fallback promotion when pg_cron does not run it."""
        return PromotionResult.from_rows(
            _present(await self.transport.rows("process_scheduled_messages_safe", {}))
        )

    async def promotion_job_active(self) -> bool:
        return bool(await self.transport.value("promotion_job_active", {}))

    # -- receiving (docs/listener.md, "Receiving") ------------------------------------------------------

    async def store_inbound_part(
        self,
        worker_id: str,
        *,
        sender: str,
        received_at: datetime,
        body: str,
        concat_ref: int | None,
        concat_total: int | None,
        concat_seq: int | None,
        raw_pdu: str,
    ) -> StoredPart:
        """record_inbound_part: one SMS-DELIVER, committed before the modem's copy is deleted.
        Idempotent on the PDU's natural key, so a re-read after a crash stores nothing twice."""
        function = "record_inbound_part"
        args = {
            "worker_id": worker_id,
            "sender": sender,
            "received_at": received_at,
            "body": body,
            "concat_ref": concat_ref,
            "concat_total": concat_total,
            "concat_seq": concat_seq,
            "raw_pdu": raw_pdu,
        }
        return StoredPart.from_rows(function, await self.transport.rows(function, args))

    async def store_malformed(self, worker_id: str, raw_pdu: str, reason: str) -> int:
        """record_malformed_inbound: a PDU that cannot be decoded, kept raw with the reason (idempotent)."""
        args = {"worker_id": worker_id, "raw_pdu": raw_pdu, "reason": reason}
        value = await self.transport.value("record_malformed_inbound", args)
        if value is None:
            raise ConnectorError("record_malformed_inbound returned no row id")
        return int(value)

    async def finish_stale_parts(self) -> int:
        """finish_stale_inbound_parts: parts missing too long become an incomplete reply; how many."""
        return int(await self.transport.value("finish_stale_inbound_parts", {}) or 0)

    async def record_status_report(
        self,
        worker_id: str,
        *,
        reference: int,
        recipient: str,
        service_centre_time: datetime,
        discharge_time: datetime,
        status: int,
        raw_pdu: str,
    ) -> ReportOutcome:
        """record_status_report: one delivery report, matched in SQL to the part it reports on
        (this worker's reference counter, the recipient, the time); kept even when it matches nothing."""
        function = "record_status_report"
        args = {
            "worker_id": worker_id,
            "reference": reference,
            "recipient": recipient,
            "service_centre_time": service_centre_time,
            "discharge_time": discharge_time,
            "status": status,
            "raw_pdu": raw_pdu,
        }
        return ReportOutcome.from_rows(function, await self.transport.rows(function, args))

    async def _outcome(self, function: str, args: Mapping[str, Any]) -> BubbleOutcome:
        """The outcome calls return exactly the one `messages` row they changed."""
        rows = _present(await self.transport.rows(function, args))
        if len(rows) != 1:
            raise ConnectorError(f"{function}({args.get('message_id')}) returned {len(rows)} rows")
        return BubbleOutcome.from_row(rows[0])


def _present(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop all-null rows: a function returning a null composite (or `setof` of one) gives one."""
    return [row for row in rows if any(value is not None for value in row.values())]


def _status(value: Any) -> MessageStatus:
    try:
        return MessageStatus(str(value))
    except ValueError as exc:
        raise ConnectorError(f"unexpected messages.status from the database: {value!r}") from exc


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


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
