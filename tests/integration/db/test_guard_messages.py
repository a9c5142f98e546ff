"""The state-machine guards refuse impossible changes with an error that names the row and the reason,
and the follow-ups happen: unsent bubbles stop, the campaign row follows its scheduled message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.integration.db.helpers import Conn, promote, schedule, status_of

WED_1430 = datetime(2025, 11, 5, 22, 30, tzinfo=UTC)


def _campaign_row(conn: Conn, phone: str = "+12095550170", status: str = "APR") -> int:
    row = conn.execute(
        "insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content, status)"
        " values ('guards', 'Guard Person', %s, 'Hi [BUBBLE] there', %s) returning id",
        (phone, status),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _schedule_campaign_row(conn: Conn, campaign_id: int, when: datetime) -> int:
    row = conn.execute(
        "insert into public.scheduled_messages (campaign_message_id, phone_number, customer_name, message_content,"
        " scheduled_for, campaign_name)"
        " select id, phone_number, customer_name, message_content, %s, campaign_name"
        " from public.campaign_messages where id = %s returning id",
        (when, campaign_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_bad_phone_number_names_the_table_and_the_value(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.CheckViolation) as caught:
        schedule(conn, WED_1430, phone="(209) 555-0100")
    message = caught.value.diag.message_primary or ""
    assert "scheduled_messages.phone_number of row" in message
    assert '"(209) 555-0100"' in message
    assert "E.164" in message
    assert caught.value.diag.constraint_name == "scheduled_messages_phone_number_e164"


def test_cancelling_a_sent_row(conn: Conn) -> None:
    sid = schedule(conn, WED_1430)
    promote(conn, WED_1430)
    conn.execute(
        "update public.scheduled_messages set status = 'sent', sent_at = now() where id = %s", (sid,)
    )
    with pytest.raises(
        psycopg.errors.CheckViolation,
        match=rf"scheduled_messages row {sid}: cannot cancel, it was already sent",
    ):
        conn.execute("update public.scheduled_messages set status = 'cancelled' where id = %s", (sid,))
    assert status_of(conn, sid) == "sent"


def test_editing_a_queued_row(conn: Conn) -> None:
    sid = schedule(conn, WED_1430)
    promote(conn, WED_1430)
    with pytest.raises(
        psycopg.errors.CheckViolation,
        match=rf"row {sid}: cannot change message_content, scheduled_for while it is queued",
    ):
        conn.execute(
            "update public.scheduled_messages set message_content = 'x', scheduled_for = now() + interval '1 day'"
            " where id = %s",
            (sid,),
        )


def test_reschedule_into_the_past(conn: Conn) -> None:
    sid = schedule(conn, datetime.now(UTC) + timedelta(hours=2))
    with pytest.raises(psycopg.errors.CheckViolation, match=rf"row {sid}: cannot reschedule into the past"):
        conn.execute(
            "update public.scheduled_messages set scheduled_for = now() - interval '1 minute' where id = %s",
            (sid,),
        )


def test_campaign_row_follows_its_scheduled_message(conn: Conn) -> None:
    cid = _campaign_row(conn)
    sid = _schedule_campaign_row(conn, cid, WED_1430)
    campaign_status = "select status from public.campaign_messages where id = %s"
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("SCH",), "scheduling moves APR -> SCH"
    promote(conn, WED_1430)
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("SCH",), (
        "queued is still SCH for the campaign"
    )
    conn.execute(
        "update public.scheduled_messages set status = 'sent', sent_at = now() where id = %s", (sid,)
    )
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("sent",)
    with pytest.raises(
        psycopg.errors.CheckViolation, match=rf"campaign_messages row {cid}: cannot move from sent to APR"
    ):
        conn.execute("update public.campaign_messages set status = 'APR' where id = %s", (cid,))


def test_failed_then_retried_campaign_row(conn: Conn) -> None:
    cid = _campaign_row(conn, phone="+12095550171")
    sid = _schedule_campaign_row(conn, cid, WED_1430)
    promote(conn, WED_1430)
    conn.execute(
        "update public.scheduled_messages set status = 'failed', error_message = 'CMS 500' where id = %s",
        (sid,),
    )
    campaign_status = "select status from public.campaign_messages where id = %s"
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("failed",)
    assert conn.execute(
        "select count(*) from public.messages where scheduled_message_id = %s and status = 'cancelled'",
        (sid,),
    ).fetchone() == (2,), "the failed message's unsent bubbles stop"
    conn.execute("update public.scheduled_messages set status = 'SCH' where id = %s", (sid,))
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("SCH",)
    assert promote(conn, WED_1430 + timedelta(minutes=5)) == 1
    rows = conn.execute(
        "select bubble_index, status from public.messages where scheduled_message_id = %s order by bubble_index",
        (sid,),
    ).fetchall()
    assert rows == [(1, "queued"), (2, "queued")], "the retry re-queues the same bubble rows"


def test_retry_does_not_resend_a_bubble_already_sent(conn: Conn) -> None:
    sid = schedule(conn, WED_1430, content="first [BUBBLE] second [BUBBLE] third")
    promote(conn, WED_1430)
    conn.execute(
        "update public.messages set status = 'sending', worker_id = 'w', claimed_at = now()"
        " where scheduled_message_id = %s and bubble_index = 1",
        (sid,),
    )
    conn.execute(
        "update public.messages set status = 'sent', sent_at = now() where scheduled_message_id = %s and bubble_index = 1",
        (sid,),
    )
    conn.execute(
        "update public.scheduled_messages set status = 'failed', error_message = 'modem' where id = %s",
        (sid,),
    )
    conn.execute("update public.scheduled_messages set status = 'SCH' where id = %s", (sid,))
    assert promote(conn, WED_1430 + timedelta(minutes=5)) == 1
    rows = conn.execute(
        "select bubble_index, status from public.messages where scheduled_message_id = %s order by bubble_index",
        (sid,),
    ).fetchall()
    assert rows == [(1, "sent"), (2, "queued"), (3, "queued")]


def test_cancelling_the_campaign_row_cancels_its_scheduled_message(conn: Conn) -> None:
    cid = _campaign_row(conn, phone="+12095550172")
    sid = _schedule_campaign_row(conn, cid, WED_1430)
    conn.execute("update public.campaign_messages set status = 'cancelled' where id = %s", (cid,))
    assert status_of(conn, sid) == "cancelled"


def test_editing_a_scheduled_campaign_row(conn: Conn) -> None:
    cid = _campaign_row(conn, phone="+12095550173")
    _schedule_campaign_row(conn, cid, WED_1430)
    with pytest.raises(
        psycopg.errors.CheckViolation,
        match=rf"campaign_messages row {cid}: cannot change message_content while it is SCH",
    ):
        conn.execute("update public.campaign_messages set message_content = 'other' where id = %s", (cid,))


def test_one_bad_row_does_not_block_the_batch(conn: Conn) -> None:
    good_before = schedule(conn, WED_1430 - timedelta(minutes=3), campaign="a")
    empty = schedule(conn, WED_1430 - timedelta(minutes=2), campaign="b", content="[BUBBLE] [BUBBLE]")
    good_after = schedule(conn, WED_1430 - timedelta(minutes=1), campaign="c")
    assert promote(conn, WED_1430) == 2
    assert [status_of(conn, i) for i in (good_before, empty, good_after)] == ["queued", "failed", "queued"]


def test_import_is_idempotent(conn: Conn) -> None:
    insert = (
        "insert into public.campaign_messages (campaign_name, phone_number, message_content)"
        " values ('import', '+12095550174', 'same text') on conflict do nothing"
    )
    assert conn.execute(insert).rowcount == 1
    assert conn.execute(insert).rowcount == 0
