"""The domain calls on a transport that records what it was asked: names, named arguments (never
`at`), row parsing, and what a missing or odd answer means."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from listener.database import ListenerDatabase
from listener.errors import ConnectorError
from sms_common.statuses import MessageStatus


class Recording:
    """A transport that answers from a table of canned results and records every call."""

    name = "recording"

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def rows(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.calls.append((function, dict(args)))
        result = self.answers[function]
        return list(result)

    async def value(self, function: str, args: Mapping[str, Any]) -> Any:
        self.calls.append((function, dict(args)))
        return self.answers[function]


ROW = {"id": 7, "status": "sent", "attempts": 1, "sent_at": "2025-11-05 22:30:00+00", "error_message": None}


async def test_each_call_names_its_function_and_arguments_and_never_at() -> None:
    transport = Recording(
        {
            "claim_next_bubble": [{"id": None, "phone_number": None, "content": None}],  # a null record
            "mark_bubble_sent": [ROW],
            "mark_bubble_failed": [ROW],
            "mark_bubble_unknown": [ROW],
            "release_bubble": [ROW],
            "recover_stale_claims": 2,
            "next_bubble_due_at": "2025-11-05T22:31:00Z",
            "record_listener_heartbeat": [
                {"queue_depth": 3, "last_seen_at": datetime(2025, 11, 5, tzinfo=UTC)}
            ],
            "process_scheduled_messages_safe": [
                {"processed_count": 4, "error_message": None, "skipped_reason": None}
            ],
            "promotion_job_active": True,
        }
    )
    db = ListenerDatabase(transport)
    assert await db.claim("w") is None, "an all-null row is no bubble"
    sent = await db.mark_sent(7, "w", "12")
    assert (sent.status, sent.sent_at) == (MessageStatus.SENT, datetime(2025, 11, 5, 22, 30, tzinfo=UTC))
    await db.mark_failed(7, "w", "+CMS ERROR: 42", permanent=False)
    await db.mark_unknown(7, "w", "no answer")
    await db.release(7, "w")
    assert await db.recover("w") == 2
    assert await db.next_due("w") == datetime(2025, 11, 5, 22, 31, tzinfo=UTC)
    status = await db.heartbeat("w", {"connected": True}, None)
    assert status.queue_depth == 3
    assert (await db.promote()).processed_count == 4
    assert await db.promotion_job_active() is True
    assert [function for function, _ in transport.calls] == list(transport.answers)
    assert all("at" not in args for _, args in transport.calls)
    assert transport.calls[2] == (
        "mark_bubble_failed",
        {"message_id": 7, "worker_id": "w", "error": "+CMS ERROR: 42", "permanent": False},
    )
    assert transport.calls[6] == ("next_bubble_due_at", {"worker_id": "w"}), (
        "per SIM: the worker's own answer"
    )
    assert "started_at" not in transport.calls[7][1], "left to the database when not known yet"


async def test_an_outcome_call_without_its_row_is_an_error_not_a_guess() -> None:
    db = ListenerDatabase(Recording({"mark_bubble_sent": []}))
    with pytest.raises(ConnectorError, match=r"mark_bubble_sent\(7\) returned 0 rows"):
        await db.mark_sent(7, "w", "12")


async def test_a_status_the_enum_does_not_know_is_refused() -> None:
    db = ListenerDatabase(Recording({"release_bubble": [{**ROW, "status": "delivered?"}]}))
    with pytest.raises(ConnectorError, match=r"unexpected messages\.status"):
        await db.release(7, "w")


async def test_the_receiving_calls_name_their_arguments_and_parse_their_rows() -> None:
    moment = datetime(2025, 11, 5, 22, 31, tzinfo=UTC)
    transport = Recording(
        {
            "record_inbound_part": [{"part_id": 3, "inbound_message_id": None, "duplicate": False}],
            "record_malformed_inbound": 11,
            "finish_stale_inbound_parts": 2,
            "record_status_report": [{"report_id": 5, "message_id": None, "delivery_status": None}],
        }
    )
    db = ListenerDatabase(transport)
    part = await db.store_inbound_part(
        "w",
        sender="+12095550100",
        received_at=moment,
        body="Part one",
        concat_ref=7,
        concat_total=2,
        concat_seq=1,
        raw_pdu="07AB",
    )
    assert (part.part_id, part.inbound_message_id, part.duplicate, part.kept_as_malformed) == (
        3,
        None,
        False,
        False,
    )
    assert await db.store_malformed("w", "07AB", "cut short") == 11
    assert await db.finish_stale_parts() == 2
    report = await db.record_status_report(
        "w",
        reference=255,
        recipient="+12095550100",
        service_centre_time=moment,
        discharge_time=moment,
        status=0,
        raw_pdu="07CD",
    )
    assert (report.report_id, report.message_id) == (5, None), "a report that matched nothing is kept"
    assert transport.calls[0] == (
        "record_inbound_part",
        {
            "worker_id": "w",
            "sender": "+12095550100",
            "received_at": moment,
            "body": "Part one",
            "concat_ref": 7,
            "concat_total": 2,
            "concat_seq": 1,
            "raw_pdu": "07AB",
        },
    )
    assert transport.calls[3][1]["reference"] == 255
    assert all("at" not in args for _, args in transport.calls)


async def test_a_receiving_call_without_its_row_is_an_error() -> None:
    db = ListenerDatabase(
        Recording({"record_inbound_part": [], "record_status_report": [{"report_id": None}]})
    )
    with pytest.raises(ConnectorError, match="record_inbound_part returned 0 rows"):
        await db.store_inbound_part(
            "w",
            sender="x",
            received_at=datetime(2025, 11, 5, tzinfo=UTC),
            body="",
            concat_ref=None,
            concat_total=None,
            concat_seq=None,
            raw_pdu="00",
        )
    with pytest.raises(ConnectorError, match="record_status_report returned 1 rows"):
        await db.record_status_report(
            "w",
            reference=1,
            recipient="x",
            service_centre_time=datetime(2025, 11, 5, tzinfo=UTC),
            discharge_time=datetime(2025, 11, 5, tzinfo=UTC),
            status=0,
            raw_pdu="00",
        )
