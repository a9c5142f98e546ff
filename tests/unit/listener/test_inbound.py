"""Receiving's decisions, on the in-memory transport and a scripted modem (no database, no pty): an SMS
is committed before it is deleted, a database outage deletes nothing and the next sweep stores it, a
lost answer or a crash before the delete stores nothing twice, a malformed PDU is kept raw, direct
deliveries are kept until stored, and an announcement wakes the pause between two bubbles so that a
STOP stops the second one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from listener.database import ListenerDatabase
from listener.modem.receiving import ReceptionStarted
from listener.modem.simulator.pdus import build_deliver, build_status_report
from listener.service import ListenerService
from listener.testing import InMemoryTransport
from listener.wake import PollOnlyWakeSource
from sms_common.statuses import MessageStatus
from tests.unit.listener.kit import config, started, until
from tests.unit.listener.scripted_modem import ScriptedModem

PHONE = "+12095550100"
OTHER = "+12095550101"
WHEN = datetime(2025, 11, 5, 22, 31, tzinfo=UTC)


def reply(text: str, sender: str = PHONE, *, reference: int = 0) -> list[str]:
    """The SMS-DELIVER PDUs (with the SMSC field) a network hands the modem for `text`."""
    return [pdu.hex for pdu in build_deliver(sender, text, timestamp=WHEN, concat_reference=reference)]


@dataclass
class OrderedTransport(InMemoryTransport):
    """The in-memory database, noting each call in a log shared with the modem (to check the order)."""

    order: list[tuple[str, object]] = field(default_factory=list)

    def _call(self, function: str, args: Mapping[str, Any]) -> Any:
        try:
            return super()._call(function, args)
        finally:
            self.order.append(("db", function))


#: The receiving intervals out of the way unless a test overrides them.
INBOUND = {"inbound_sweep_interval": 3600.0, "stale_parts_interval": 3600.0, "inbound_retry_interval": 0.05}


def setup() -> tuple[OrderedTransport, ScriptedModem]:
    modem = ScriptedModem()
    return OrderedTransport(order=modem.log), modem


@asynccontextmanager
async def running(
    transport: InMemoryTransport, modem: ScriptedModem, **overrides: Any
) -> AsyncIterator[ListenerService]:
    service = ListenerService(
        ListenerDatabase(transport), PollOnlyWakeSource(), modem, config(**{**INBOUND, **overrides})
    )
    async with started(service):
        yield service


def steps(modem: ScriptedModem) -> list[tuple[str, object]]:
    """The modem's receiving commands and the receiving database calls, in order."""
    receiving = {"list", "read", "delete"}
    calls = {"record_inbound_part", "record_malformed_inbound", "record_status_report"}
    return [(what, arg) for what, arg in modem.log if what in receiving or arg in calls]


async def test_an_announced_reply_is_committed_before_it_is_deleted() -> None:
    db, modem = setup()
    async with running(db, modem) as service:
        await until(lambda: service.receiver is not None and service.receiver.stats.sweeps == 1)
        [pdu] = reply("Thanks, Thursday works")
        index = modem.receive(pdu)
        await until(lambda: not modem.memory)
    assert steps(modem) == [("list", None), ("read", index), ("db", "record_inbound_part"), ("delete", index)]
    [stored] = db.replies()
    assert (stored.phone_number, stored.body) == (PHONE, "Thanks, Thursday works")


async def test_a_database_outage_deletes_nothing_and_a_later_sweep_stores_it() -> None:
    db, modem = setup()
    [pdu] = reply("STOP")
    async with running(db, modem) as service:
        assert service.receiver is not None
        receiver = service.receiver
        await until(lambda: receiver.stats.sweeps == 1)
        db.down = True
        modem.receive(pdu)
        await until(lambda: receiver.stats.left >= 1)
        assert ("delete", 1) not in modem.log, "nothing is deleted before it is stored"
        assert modem.memory, "the SMS is still on the modem"
        db.down = False
        await until(lambda: not modem.memory)
    assert [r.body for r in db.replies()] == ["STOP"]
    assert PHONE in db.opted_out


async def test_an_answer_lost_after_the_commit_stores_once_and_deletes_once() -> None:
    db, modem = setup()
    db.fail_next["record_inbound_part"] = "after"  # committed, but the answer never came
    [pdu] = reply("See you then")
    modem.receive(pdu)
    async with running(db, modem) as service:
        await until(lambda: not modem.memory)
        assert service.receiver is not None
        assert service.receiver.stats.duplicates == 1
    assert len(db.inbound_parts) == 1
    assert len(db.replies()) == 1
    assert [what for what, _ in steps(modem) if what == "delete"] == ["delete"]


async def test_a_crash_between_the_commit_and_the_delete_stores_nothing_twice() -> None:
    db, modem = setup()
    modem.fail_deletes = 1  # the first listener never gets its AT+CMGD through (it "crashes")
    [pdu] = reply("STOP")
    async with running(db, modem, inbound_retry_interval=3600.0) as first:
        await until(lambda: first.receiver is not None and first.receiver.stats.sweeps == 1)
        modem.receive(pdu)
        await until(lambda: first.receiver is not None and first.receiver.stats.replies == 1)
        await until(lambda: ("delete", 1) in modem.log)
    assert modem.memory, "still on the modem after the first listener"
    async with running(db, modem) as second:
        await until(lambda: not modem.memory)
        assert second.receiver is not None
        assert second.receiver.stats.duplicates == 1
    assert len(db.inbound_parts) == 1
    assert [b.reply_kind for b in db.reply_bubbles()] == ["opt_out_confirmation"], "one confirmation"


async def test_a_malformed_pdu_is_stored_raw_with_its_reason_then_deleted() -> None:
    db, modem = setup()
    garbage = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
    index = modem.receive(garbage[:-10])  # cut short: TP-UDL promises more than follows
    async with running(db, modem):
        await until(lambda: not modem.memory)
    [(raw, reason)] = db.malformed.values()
    assert raw == garbage[:-10]
    assert reason
    assert steps(modem) == [
        ("read", index),
        ("db", "record_malformed_inbound"),
        ("delete", index),
        ("list", None),  # the start-up sweep, after the announcement: nothing left
    ]


async def test_a_concatenated_reply_arriving_out_of_order_is_one_reply() -> None:
    db, modem = setup()
    text = "Yes please book me in for Thursday morning 🚲 " * 3
    first, second, third = reply(text, reference=77)
    modem.receive(third)
    modem.receive(first)
    async with running(db, modem) as service:
        await until(lambda: not modem.memory)
        assert db.replies() == [], "waiting for part 2"
        modem.receive(second)
        await until(lambda: bool(db.replies()))
        assert service.receiver is not None
    [whole] = db.replies()
    assert whole.body == text


async def test_a_stop_in_the_pause_between_two_bubbles_stops_the_second() -> None:
    db, modem = setup()
    first, second = db.queue(PHONE, "bubble 1", "bubble 2", scheduled_message_id=5)
    [stop] = reply("STOP")
    async with running(db, modem, bubble_pause=30.0) as service:
        await until(lambda: db.status(first) is MessageStatus.SENT and service.state == "pausing")
        modem.receive(stop)  # arrives while the listener waits to send bubble 2
        await until(lambda: db.status(second) is MessageStatus.CANCELLED)
        assert service.state == "pausing", "woken, stored the STOP, and went on pausing"
    assert modem.sent == [(PHONE, "bubble 1")]
    claims = [i for i, (_, f) in enumerate(modem.log) if f == "claim_next_bubble"]
    assert len(claims) == 1, "bubble 2 was never claimed"


async def test_a_stop_announced_while_bubble_1_is_sent_is_stored_before_the_next_claim() -> None:
    db, modem = setup()
    _, second = db.queue(PHONE, "bubble 1", "bubble 2", scheduled_message_id=5)
    [stop] = reply("STOP")

    def customer_replies(number: str, text: str) -> None:
        if text == "bubble 1":
            modem.receive(stop)

    modem.on_send = customer_replies
    async with running(db, modem):
        await until(lambda: len(modem.sent) == 2)
    assert db.status(second) is MessageStatus.CANCELLED
    assert [text for _, text in modem.sent] == ["bubble 1", db.reply_bubbles()[0].content]
    order = [f for what, f in modem.log if what == "db" and f in {"record_inbound_part", "claim_next_bubble"}]
    assert order[:3] == ["claim_next_bubble", "record_inbound_part", "claim_next_bubble"]


async def test_a_delivery_report_handed_over_directly_is_matched_and_nothing_is_deleted() -> None:
    db, modem = setup()
    modem.answers = ["7"]
    [bubble] = db.queue(OTHER, "hello")
    async with running(db, modem) as service:
        await until(lambda: db.status(bubble) is MessageStatus.SENT)
        report = build_status_report(7, OTHER, 0, timestamp=WHEN, discharge_time=WHEN)
        modem.direct(report.hex, "status-report")
        await until(lambda: db.messages[bubble].delivery_status == "delivered")
        assert service.receiver is not None
        assert service.receiver.stats.reports_matched == 1
    assert not [what for what, _ in modem.log if what == "delete"]


async def test_a_direct_delivery_the_database_did_not_take_is_kept_and_stored_later() -> None:
    db, modem = setup()
    db.fail_next["record_inbound_part"] = "before"
    [stop] = reply("STOP")
    async with running(db, modem) as service:
        await until(lambda: service.receiver is not None and service.receiver.stats.sweeps == 1)
        modem.direct(stop)
        await until(lambda: bool(db.replies()))
        assert service.receiver is not None
        assert service.receiver.stats.left == 1
    assert PHONE in db.opted_out


async def test_a_reconfigured_modem_is_swept_for_what_it_stored_meanwhile() -> None:
    db, modem = setup()
    async with running(db, modem) as service:
        assert service.receiver is not None
        receiver = service.receiver
        await until(lambda: receiver.stats.sweeps == 1)
        [pdu] = reply("Stored while the modem was being re-opened")
        modem.receive(pdu, announce=False)
        modem.inbound.put_nowait(ReceptionStarted(("SM",)))
        await until(lambda: receiver.stats.sweeps == 2 and not modem.memory)
    assert len(db.replies()) == 1


async def test_parts_missing_too_long_become_an_incomplete_reply() -> None:
    db, modem = setup()
    first, _ = reply("A long reply that never arrived whole. " * 5, reference=9)
    modem.receive(first)
    async with running(db, modem, stale_parts_interval=0.05) as service:
        await until(lambda: bool(db.replies()))
        assert service.receiver is not None
        assert service.receiver.stats.stale_replies >= 1
    [partial] = db.replies()
    assert partial.incomplete


async def test_a_modem_that_cannot_delete_keeps_the_sms_and_the_retry_deletes_it() -> None:
    db, modem = setup()
    modem.fail_deletes = 1
    [pdu] = reply("ok")
    modem.receive(pdu)
    async with running(db, modem):
        await until(lambda: not modem.memory)
    assert len(db.inbound_parts) == 1
    assert [what for what, _ in steps(modem) if what == "delete"] == ["delete", "delete"]


async def test_a_modem_that_does_not_announce_is_swept_before_every_claim() -> None:
    db, modem = setup()
    first, second = db.queue(PHONE, "bubble 1", "bubble 2", scheduled_message_id=5)
    [stop] = reply("STOP")
    modem.inbound.put_nowait(ReceptionStarted(("SM",), announced=False))

    def customer_replies(number: str, text: str) -> None:
        if text == "bubble 1":
            modem.receive(stop, announce=False)  # stored silently: only AT+CMGL finds it

    modem.on_send = customer_replies
    async with running(db, modem):
        await until(lambda: len(modem.sent) == 2)
    assert db.status(first) is MessageStatus.SENT
    assert db.status(second) is MessageStatus.CANCELLED
    assert modem.sent[1][1] == db.reply_bubbles()[0].content
