"""Faults while sending: modem error codes, an unplugged modem, a PostgreSQL restart, and stopping
(SIGTERM semantics) with an SMS in flight or a bubble claimed but not yet handed over."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from listener.modem.simulator import ModemSimulator
from listener.pg_notify import NotifyWakeSource
from listener.service import ListenerService
from sms_common.localdb import LocalCluster, throwaway_cluster, wait_until_accepting
from tests.harness import PinnedClock
from tests.integration.listener.conftest import (
    all_have_status,
    eventually,
    pg_database,
    queue_message,
    quick_config,
    resilient_modem,
    running,
    statuses,
)

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


async def _message_row(conn: Conn, message_id: int) -> dict[str, Any]:
    cur = await conn.execute(
        "select status, attempts, error_message, modem_reference from messages where id = %s", (message_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return dict(zip(("status", "attempts", "error_message", "modem_reference"), row, strict=True))


async def test_a_permanent_cms_error_fails_that_message_with_the_modems_words_and_others_go_on(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    async with running(pg_database(db_url), NotifyWakeSource(db_url), simulator, quick_config("perm"), clock):
        simulator.fail_next_sends(21, 1)  # short message transfer rejected
        [bad] = await queue_message(aconn, "+12095550121", ["rejected by the network"])
        await eventually(lambda: all_have_status(aconn, [bad], "failed"), 20, "the bad one failed")
        [good] = await queue_message(aconn, "+12095550122", ["this one goes out"])
        await simulator.wait_sent(1, within=20)
        await eventually(lambda: all_have_status(aconn, [good], "sent"), 10, "the next one sent")
    failed = await _message_row(aconn, bad)
    assert "+CMS ERROR: 21" in failed["error_message"]
    assert "short message transfer rejected" in failed["error_message"]
    assert [m.text for m in simulator.sent] == ["this one goes out"]


async def test_a_transient_cms_error_is_retried_by_the_database_backoff_and_then_sent_once(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    await aconn.execute("update send_window set retry_base = interval '1 second'")
    async with running(
        pg_database(db_url), NotifyWakeSource(db_url), simulator, quick_config("transient"), clock
    ) as service:
        simulator.fail_next_sends(42, 1)  # congestion
        [message] = await queue_message(aconn, "+12095550123", ["congested the first time"])
        # No wake-up comes for a retry: the listener must wake by itself at next_bubble_due_at().
        await simulator.wait_sent(1, within=30)
        await eventually(lambda: all_have_status(aconn, [message], "sent"), 10, "sent on the retry")
        assert service.stats.retried == 1
    row = await _message_row(aconn, message)
    assert row["attempts"] == 2
    assert [m.text for m in simulator.sent] == ["congested the first time"]


async def test_an_unplugged_modem_pauses_sending_without_losing_or_failing_anything(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    async with running(
        pg_database(db_url), NotifyWakeSource(db_url), simulator, quick_config("unplug"), clock
    ) as service:
        [first] = await queue_message(aconn, "+12095550124", ["before the unplug"])
        await simulator.wait_sent(1, within=20)
        await eventually(lambda: all_have_status(aconn, [first], "sent"), 10, "first sent")

        simulator.unplug()
        queued = await queue_message(aconn, "+12095550125", ["while unplugged", "second bubble"])
        await eventually(lambda: not service.modem_available, 20, "the listener saw the modem go")
        assert await all_have_status(aconn, queued, "queued"), "released, not failed"
        attempts = [(await _message_row(aconn, i))["attempts"] for i in queued]
        assert attempts == [0, 0], "a release does not count as an attempt"

        simulator.plug()
        await simulator.wait_sent(3, within=30)
        await eventually(lambda: all_have_status(aconn, queued, "sent"), 10, "sent after the replug")
    assert [m.text for m in simulator.sent] == ["before the unplug", "while unplugged", "second bubble"]


async def test_stop_finishes_the_sms_in_flight_and_records_it(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    modem = resilient_modem(simulator)
    assert await modem.wait_ready(10)
    service = ListenerService(pg_database(db_url), NotifyWakeSource(db_url), modem, quick_config("stop-1"))
    task = asyncio.create_task(service.run())
    try:
        simulator.faults.delay = 0.5  # a slow modem: each answer takes half a second
        [message] = await queue_message(aconn, "+12095550126", ["in flight during SIGTERM"])
        await eventually(lambda: service.in_flight is not None, 20, "the SMS is with the modem")
        service.request_stop("SIGTERM")
        await asyncio.wait_for(task, 30)
    finally:
        await modem.close()
    assert await all_have_status(aconn, [message], "sent")
    assert [m.text for m in simulator.sent] == ["in flight during SIGTERM"]


async def test_stop_during_the_pause_between_recipients_leaves_the_next_bubble_unclaimed(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock
) -> None:
    """The pause comes before the claim (so a STOP in it is stored first): a stop ends it, and the
    next recipient's bubble was never claimed, so there is nothing to release."""
    clock.run_from(clock.at)
    modem = resilient_modem(simulator)
    assert await modem.wait_ready(10)
    config = quick_config("stop-2", recipient_pause=60.0)  # the second recipient waits a minute
    service = ListenerService(pg_database(db_url), NotifyWakeSource(db_url), modem, config)
    task = asyncio.create_task(service.run())
    try:
        [first] = await queue_message(aconn, "+12095550127", ["first recipient"])
        await simulator.wait_sent(1, within=20)
        await eventually(lambda: service.state == "pausing", 20, "pausing after the first recipient")
        [second] = await queue_message(aconn, "+12095550128", ["second recipient"])
        assert service.in_flight is None
        service.request_stop("SIGTERM")
        await asyncio.wait_for(task, 30)
    finally:
        await modem.close()
    assert await statuses(aconn, [first, second]) == {first: "sent", second: "queued"}
    assert (await _message_row(aconn, second))["attempts"] == 0
    assert [m.text for m in simulator.sent] == ["first recipient"]


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[LocalCluster]:
    """A cluster of this module's own, so the test may restart PostgreSQL under the listener."""
    with throwaway_cluster(fake_clock=True) as cluster:
        cluster.prepare("listener_restart")
        yield cluster


async def test_the_listener_rides_out_a_postgresql_restart_even_mid_send(
    private_cluster: LocalCluster, simulator: ModemSimulator
) -> None:
    url = private_cluster.url("listener_restart")
    # This module's own cluster has its own clock file; `running` lets it run from the pinned moment.
    clock = PinnedClock(spec_file=private_cluster.clock_file)
    wake = NotifyWakeSource(url, keepalive=0.5)
    async with running(pg_database(url), wake, simulator, quick_config("restart"), clock) as service:
        await eventually(lambda: wake.subscriptions >= 1, 10, "LISTEN in place")
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            simulator.faults.delay = 0.3
            [during] = await queue_message(conn, "+12095550129", ["sent while PostgreSQL restarts"])
        await eventually(lambda: service.in_flight is not None, 20, "the SMS is with the modem")

        await asyncio.to_thread(private_cluster.stop, "fast")
        await eventually(lambda: service.database_down, 30, "recording the outcome fails and is retried")
        await asyncio.to_thread(private_cluster.start)
        await asyncio.to_thread(wait_until_accepting, private_cluster)
        simulator.faults.delay = 0.0

        await eventually(lambda: wake.subscriptions >= 2, 30, "LISTEN re-established after the restart")
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await eventually(
                lambda: all_have_status(conn, [during], "sent"), 30, "outcome recorded after restart"
            )
            [after] = await queue_message(conn, "+12095550130", ["sent after the restart"])
            await simulator.wait_sent(2, within=30)
            await eventually(lambda: all_have_status(conn, [after], "sent"), 10, "NOTIFY works again")
    assert [m.text for m in simulator.sent] == ["sent while PostgreSQL restarts", "sent after the restart"]
