"""An in-memory transport for fast tests of the service's decisions (no database).

`InMemoryTransport` answers the listener's SQL functions by name, the way procrastinate's
InMemoryConnector answers its queries: a `messages` table as a dict, claim in id order, the four
outcome calls, release, recovery, heartbeat, next due time and promotion, with the same guards as
the SQL (an outcome for a row that is not `sending` by this worker is refused). It keeps a log of
every call, and can be told to fail calls as an unreachable database would. The real SQL stays
tested against PostgreSQL in tests/integration; this only has to be faithful enough for the loop.

Receiving is modelled as far as the loop's decisions need it: inbound parts idempotent on their
natural key, a reply made when all parts are there, a bare STOP/START opting the number out/in with
one confirmation bubble (claimed first, like the SQL's reply bubbles), claim skipping opted-out
numbers, malformed PDUs kept raw, status reports matched to the sent bubble's references, and stale
parts finished. `fail_next` makes one named function fail (e.g. after its "commit").
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

    reply_kind: str | None = None
    delivery_status: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {key: (str(value) if key == "status" else value) for key, value in vars(self).items()}


@dataclass
class InboundPartRow:
    id: int
    worker_id: str
    sender: str
    received_at: datetime
    body: str
    concat_ref: int | None
    concat_total: int | None
    concat_seq: int | None
    raw_pdu: str
    inbound_message_id: int | None = None

    @property
    def natural_key(self) -> tuple[Any, ...]:
        return (self.sender, self.received_at, self.concat_ref, self.concat_total, self.concat_seq, self.body)


@dataclass
class InboundMessageRow:
    id: int
    phone_number: str
    body: str
    part_ids: list[int]
    incomplete: bool = False
    action: str | None = None


@dataclass
class StatusReportRow:
    id: int
    worker_id: str
    reference: int
    recipient: str
    status: int
    raw_pdu: str
    message_id: int | None


#: The keyword decisions of the SQL, reduced to a bare word (tests of the loop need no more).
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
OPT_OUT_REPLY = "You are unsubscribed and will receive no more messages. Reply START to resubscribe."
OPT_IN_REPLY = "You are subscribed again. Reply STOP to unsubscribe."


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
    #: senders rows by id (issue 14): register_sender upserts by IMSI, else ICCID.
    senders: dict[int, dict[str, Any]] = field(default_factory=dict)
    opened: bool = False
    #: Called after every successful call (tests wait on conditions with it).
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    inbound_parts: dict[int, InboundPartRow] = field(default_factory=dict)
    inbound_messages: dict[int, InboundMessageRow] = field(default_factory=dict)
    malformed: dict[int, tuple[str, str]] = field(default_factory=dict)
    status_reports: dict[int, StatusReportRow] = field(default_factory=dict)
    opted_out: set[str] = field(default_factory=set)
    #: Functions that fail once each with DatabaseUnavailableError AFTER doing their work (a commit
    #: whose answer was lost), or BEFORE it when the value is "before".
    fail_next: dict[str, str] = field(default_factory=dict)

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
        when = self.fail_next.pop(function, None)
        if when == "before":
            raise DatabaseUnavailableError(f"{function}: database unavailable (in-memory, before the call)")
        result = handler(**args)
        self.changed.set()
        if when is not None:
            raise DatabaseUnavailableError(f"{function}: connection lost after the commit (in-memory)")
        return result

    def _claimable(self) -> list[MessageRow]:
        return [
            row
            for row in sorted(self.messages.values(), key=lambda r: r.id)
            if row.status is MessageStatus.QUEUED
            and (row.next_attempt_at is None or row.next_attempt_at <= self.now)
        ]

    def _fn_claim_next_bubble(self, worker_id: str) -> list[dict[str, Any]]:
        claimable = [
            row
            for row in self._claimable()
            if row.reply_kind is not None or row.phone_number not in self.opted_out
        ]
        if not claimable:
            return []
        replies = [row for row in claimable if row.reply_kind is not None]
        row = (replies or claimable)[0]
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

    def _fn_next_bubble_due_at(self, worker_id: str | None = None) -> datetime | None:
        # The in-memory claim has no per-SIM routing (any worker may claim any bubble), so the answer is
        # the same for every worker_id, as for a worker with no senders row in the real database.
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

    def _fn_register_sender(
        self,
        worker_id: str,
        imsi: str | None,
        iccid: str | None,
        own_number: str | None,
        modem: dict[str, Any],
    ) -> dict[str, Any]:
        if imsi is None and iccid is None:
            raise ConnectorError("register_sender: the SIM has neither an IMSI nor an ICCID")
        found = next((r for r in self.senders.values() if imsi and r["imsi"] == imsi), None) or next(
            (r for r in self.senders.values() if iccid and r["iccid"] == iccid), None
        )
        for row in self.senders.values():
            if row["worker_id"] == worker_id and row is not found:
                row["worker_id"] = None  # the worker now uses the registered SIM only
        if found is None:
            found = {"id": max(self.senders, default=0) + 1, "status": "active", "own_number": None}
            self.senders[found["id"]] = found
        found.update(
            worker_id=worker_id,
            imsi=imsi or found.get("imsi"),
            iccid=iccid or found.get("iccid"),
            own_number=own_number or found.get("own_number"),
            modem_health=dict(modem),
            last_seen_at=self.now,
        )
        return dict(found)

    def _fn_sender_status(self) -> list[dict[str, Any]]:
        return [
            {
                "sender_id": row["id"],
                "own_number": row.get("own_number"),
                "imsi": row.get("imsi"),
                "iccid": row.get("iccid"),
                "worker_id": row.get("worker_id"),
                "status": row.get("status"),
                "alive": row.get("worker_id") is not None,
                "signal": row.get("modem_health", {}).get("signal"),
                "registration": row.get("modem_health", {}).get("registration"),
                "sent_today": sum(1 for m in self.messages.values() if m.status is MessageStatus.SENT),
                "delivered_today": 0,
            }
            for row in sorted(self.senders.values(), key=lambda r: int(r["id"]))
        ]

    def _fn_promotion_job_active(self) -> bool:
        return self.promotion_job

    def _fn_process_scheduled_messages_safe(self) -> dict[str, Any]:
        return {"processed_count": 0, "error_message": None, "skipped_reason": "nothing due"}

    # -- receiving -----------------------------------------------------------------------------

    def replies(self) -> list[InboundMessageRow]:
        return sorted(self.inbound_messages.values(), key=lambda r: r.id)

    def reply_bubbles(self) -> list[MessageRow]:
        return [row for row in sorted(self.messages.values(), key=lambda r: r.id) if row.reply_kind]

    def _fn_record_inbound_part(
        self,
        worker_id: str,
        sender: str,
        received_at: datetime,
        body: str,
        concat_ref: int | None,
        concat_total: int | None,
        concat_seq: int | None,
        raw_pdu: str,
    ) -> dict[str, Any]:
        part = InboundPartRow(
            max(self.inbound_parts, default=0) + 1,
            worker_id,
            sender,
            received_at,
            body,
            concat_ref,
            concat_total,
            concat_seq,
            raw_pdu,
        )
        for earlier in self.inbound_parts.values():
            if earlier.natural_key == part.natural_key:
                return {
                    "part_id": earlier.id,
                    "inbound_message_id": earlier.inbound_message_id,
                    "duplicate": True,
                }
        self.inbound_parts[part.id] = part
        siblings = [
            p
            for p in self.inbound_parts.values()
            if p.inbound_message_id is None
            and p.sender == sender
            and (p.id == part.id or (concat_ref is not None and p.concat_ref == concat_ref))
        ]
        message_id = None
        if concat_ref is None or len(siblings) == concat_total:
            message_id = self._store_reply(siblings, incomplete=False)
        return {"part_id": part.id, "inbound_message_id": message_id, "duplicate": False}

    def _store_reply(self, parts: list[InboundPartRow], *, incomplete: bool) -> int:
        parts = sorted(parts, key=lambda p: p.concat_seq or 0)
        row = InboundMessageRow(
            max(self.inbound_messages, default=0) + 1,
            parts[0].sender,
            "".join(p.body for p in parts),
            [p.id for p in parts],
            incomplete,
        )
        self.inbound_messages[row.id] = row
        for part in parts:
            part.inbound_message_id = row.id
        word = row.body.strip().upper().strip(".!")
        if word in OPT_OUT_WORDS:
            row.action = "opt_out"
            if row.phone_number not in self.opted_out:
                self.opted_out.add(row.phone_number)
                for bubble in self.messages.values():
                    if bubble.phone_number == row.phone_number and bubble.status is MessageStatus.QUEUED:
                        bubble.status = MessageStatus.CANCELLED
                self._queue_reply(row.phone_number, "opt_out_confirmation", OPT_OUT_REPLY)
        elif word in OPT_IN_WORDS:
            row.action = "opt_in"
            if row.phone_number in self.opted_out:
                self.opted_out.discard(row.phone_number)
                self._queue_reply(row.phone_number, "opt_in_confirmation", OPT_IN_REPLY)
        return row.id

    def _queue_reply(self, phone_number: str, kind: str, content: str) -> None:
        row_id = max(self.messages, default=0) + 1
        self.messages[row_id] = MessageRow(row_id, phone_number, content, None, None, None, reply_kind=kind)

    def _fn_record_malformed_inbound(self, worker_id: str, raw_pdu: str, reason: str) -> int:
        for row_id, (pdu, _) in self.malformed.items():
            if pdu == raw_pdu:
                return row_id
        row_id = max(self.malformed, default=0) + 1
        self.malformed[row_id] = (raw_pdu, reason)
        return row_id

    def _fn_finish_stale_inbound_parts(self) -> int:
        """Every waiting group counts as stale here (the in-memory clock does not move by itself)."""
        groups: dict[tuple[str, int | None], list[InboundPartRow]] = {}
        for part in self.inbound_parts.values():
            if part.inbound_message_id is None:
                groups.setdefault((part.sender, part.concat_ref), []).append(part)
        for parts in groups.values():
            self._store_reply(parts, incomplete=True)
        return len(groups)

    def _fn_record_status_report(
        self,
        worker_id: str,
        reference: int,
        recipient: str,
        service_centre_time: datetime,
        discharge_time: datetime,
        status: int,
        raw_pdu: str,
    ) -> dict[str, Any]:
        for report in self.status_reports.values():
            if (report.worker_id, report.reference, report.recipient, report.raw_pdu) == (
                worker_id,
                reference,
                recipient,
                raw_pdu,
            ):
                return self._report_row(report)
        matched = [
            row
            for row in sorted(self.messages.values(), key=lambda r: r.id, reverse=True)
            if row.status is MessageStatus.SENT
            and row.worker_id == worker_id
            and row.phone_number == recipient
            and str(reference) in (row.modem_reference or "").split(",")
        ]
        report = StatusReportRow(
            max(self.status_reports, default=0) + 1,
            worker_id,
            reference,
            recipient,
            status,
            raw_pdu,
            matched[0].id if matched else None,
        )
        self.status_reports[report.id] = report
        if matched:
            matched[0].delivery_status = (
                "delivered" if status < 0x20 else "pending" if status < 0x40 else "failed"
            )
        return self._report_row(report)

    def _report_row(self, report: StatusReportRow) -> dict[str, Any]:
        bubble = self.messages.get(report.message_id) if report.message_id is not None else None
        return {
            "report_id": report.id,
            "message_id": report.message_id,
            "delivery_status": bubble.delivery_status if bubble else None,
        }
