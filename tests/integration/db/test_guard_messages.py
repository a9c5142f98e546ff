"""The guards of scheduled_messages and campaign_messages, seen from Python as the scheduler and the
dashboard see them: errors that name the row and the reason, and the follow-ups (unsent bubbles stop, the
campaign row follows its scheduled message, a retry sends only what did not go out).

The full list of refused statements, one behaviour per file, is in supabase/tests/database/invariants/.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.harness import PinnedClock
from tests.integration.db.helpers import Conn, fail_next, promote, schedule, send_next, status_of

WED_1430 = datetime(2025, 11, 5, 22, 30, tzinfo=UTC)
REFUSED = psycopg.errors.ObjectNotInPrerequisiteState


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


def _bubbles(conn: Conn, sid: int) -> list[tuple[int, int, str]]:
    return [
        (int(r[0]), int(r[1]), str(r[2]))
        for r in conn.execute(
            "select promotion, bubble_index, status from public.messages where scheduled_message_id = %s"
            " order by promotion, bubble_index",
            (sid,),
        ).fetchall()
    ]


def test_bad_phone_number_names_the_table_the_row_and_the_value(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.CheckViolation) as caught:
        schedule(conn, WED_1430, phone="(209) 555-0100")
    message = caught.value.diag.message_primary or ""
    assert message.startswith("scheduled_messages row ")
    assert 'phone_number: "(209) 555-0100" is not an E.164 number' in message
    assert caught.value.diag.constraint_name == "scheduled_messages_phone_number"
    assert conn.execute("select count(*) from public.scheduled_messages").fetchone() == (0,)


def test_cancelling_a_sent_row_is_refused(conn: Conn, clock: PinnedClock) -> None:
    sid = schedule(conn, WED_1430, content="only one bubble")
    promote(conn, clock, WED_1430)
    send_next(conn)
    assert status_of(conn, sid) == "sent"
    with pytest.raises(REFUSED, match=rf"scheduled_messages row {sid}: cannot move from sent to cancelled"):
        conn.execute("update public.scheduled_messages set status = 'cancelled' where id = %s", (sid,))
    assert status_of(conn, sid) == "sent"


def test_editing_a_queued_row_is_refused(conn: Conn, clock: PinnedClock) -> None:
    sid = schedule(conn, WED_1430)
    promote(conn, clock, WED_1430)
    with pytest.raises(
        REFUSED, match=rf"row {sid}: cannot change message_content, scheduled_for while it is queued"
    ):
        conn.execute(
            "update public.scheduled_messages set message_content = 'x', scheduled_for = now() + interval '1 day'"
            " where id = %s",
            (sid,),
        )


def test_reschedule_into_the_past_is_refused(conn: Conn, clock: PinnedClock) -> None:
    sid = schedule(conn, clock.at + timedelta(hours=2))
    with pytest.raises(psycopg.errors.CheckViolation, match=rf"row {sid}: cannot reschedule into the past"):
        conn.execute(
            "update public.scheduled_messages set scheduled_for = now() - interval '1 minute' where id = %s",
            (sid,),
        )


def test_campaign_row_follows_its_scheduled_message_to_sent(conn: Conn, clock: PinnedClock) -> None:
    cid = _campaign_row(conn)
    _schedule_campaign_row(conn, cid, WED_1430)
    campaign_status = "select status from public.campaign_messages where id = %s"
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("SCH",), "scheduling moves APR -> SCH"
    promote(conn, clock, WED_1430)
    send_next(conn)
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("SCH",), "half sent is still SCH"
    send_next(conn)
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("sent",)
    with pytest.raises(REFUSED, match=rf"campaign_messages row {cid}: cannot move from sent to APR"):
        conn.execute("update public.campaign_messages set status = 'APR' where id = %s", (cid,))


def test_a_failed_message_retried_sends_every_bubble_in_new_rows(conn: Conn, clock: PinnedClock) -> None:
    cid = _campaign_row(conn, phone="+12095550171")
    sid = _schedule_campaign_row(conn, cid, WED_1430)
    promote(conn, clock, WED_1430)
    fail_next(conn)
    campaign_status = "select status from public.campaign_messages where id = %s"
    assert status_of(conn, sid) == "failed"
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("failed",)
    assert _bubbles(conn, sid) == [(1, 1, "failed"), (1, 2, "cancelled")], "the later bubble stops"
    conn.execute("update public.scheduled_messages set status = 'SCH' where id = %s", (sid,))
    assert conn.execute(campaign_status, (cid,)).fetchone() == ("SCH",)
    assert promote(conn, clock, WED_1430 + timedelta(minutes=5)) == 1
    assert _bubbles(conn, sid) == [(1, 1, "failed"), (1, 2, "cancelled"), (2, 1, "queued"), (2, 2, "queued")]


def test_a_retry_does_not_resend_a_bubble_already_sent(conn: Conn, clock: PinnedClock) -> None:
    sid = schedule(conn, WED_1430, content="first [BUBBLE] second [BUBBLE] third")
    promote(conn, clock, WED_1430)
    send_next(conn)
    fail_next(conn)
    assert status_of(conn, sid) == "failed"
    conn.execute("update public.scheduled_messages set status = 'SCH' where id = %s", (sid,))
    assert promote(conn, clock, WED_1430 + timedelta(minutes=5)) == 1
    assert _bubbles(conn, sid) == [
        (1, 1, "sent"),
        (1, 2, "failed"),
        (1, 3, "cancelled"),
        (2, 2, "queued"),
        (2, 3, "queued"),
    ]
    send_next(conn)
    send_next(conn)
    assert status_of(conn, sid) == "sent"


def test_cancelling_a_scheduled_campaign_row_points_at_its_scheduled_message(
    conn: Conn, clock: PinnedClock
) -> None:
    cid = _campaign_row(conn, phone="+12095550172")
    sid = _schedule_campaign_row(conn, cid, WED_1430)
    with pytest.raises(REFUSED, match=rf"campaign_messages row {cid}: cannot move from SCH to cancelled"):
        conn.execute("update public.campaign_messages set status = 'cancelled' where id = %s", (cid,))
    conn.execute("update public.scheduled_messages set status = 'cancelled' where id = %s", (sid,))
    assert conn.execute("select status from public.campaign_messages where id = %s", (cid,)).fetchone() == (
        "cancelled",
    )


def test_editing_a_scheduled_campaign_row_is_refused(conn: Conn, clock: PinnedClock) -> None:
    cid = _campaign_row(conn, phone="+12095550173")
    _schedule_campaign_row(conn, cid, WED_1430)
    with pytest.raises(
        REFUSED, match=rf"campaign_messages row {cid}: cannot change message_content while it is SCH"
    ):
        conn.execute("update public.campaign_messages set message_content = 'other' where id = %s", (cid,))


def test_a_text_that_cannot_be_sent_is_refused_at_insert_and_the_others_promote(
    conn: Conn, clock: PinnedClock
) -> None:
    good_before = schedule(conn, WED_1430 - timedelta(minutes=3), campaign="a")
    with pytest.raises(psycopg.errors.CheckViolation, match=r"message_content: bubble 1 of 3 is empty"):
        schedule(conn, WED_1430 - timedelta(minutes=2), campaign="b", content="[BUBBLE] [BUBBLE]")
    good_after = schedule(conn, WED_1430 - timedelta(minutes=1), campaign="c")
    assert promote(conn, clock, WED_1430) == 2
    assert [status_of(conn, i) for i in (good_before, good_after)] == ["queued", "queued"]


def test_import_is_idempotent(conn: Conn) -> None:
    insert = (
        "insert into public.campaign_messages (campaign_name, phone_number, message_content)"
        " values ('import', '+12095550174', 'same text') on conflict do nothing"
    )
    assert conn.execute(insert).rowcount == 1
    assert conn.execute(insert).rowcount == 0
