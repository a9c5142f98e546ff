"""A bank of modems (issue 14) end to end: real database, listeners wired as `listener.run` wires them,
each on its own simulated modem over a pty with its own SIM.

- Identity: every listener registers its SIM; one that does not know its number shows "unknown"
  (also in `python -m listener status`, run as a process, which lists both SIMs).
- Sticky routing with two and three listeners: every recipient's bubbles leave from one SIM, and a
  second campaign to the same recipients leaves from the same SIMs.
- A SIM taken away mid-campaign: its recipients wait; after sender_settings.handover_after they move
  to the other SIMs, and each move is recorded. The same when the box keeps running (and heartbeating)
  after its modem was unplugged.
- Limits: a SIM at its hourly limit stops claiming (the others carry on, its own recipients wait)
  and claims again when the hour rolls over.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import defaultdict
from typing import Any

import psycopg

from listener.modem.simulator.sim_card import SimCard
from tests.harness import REPO_ROOT, PinnedClock
from tests.integration.listener.bank import (
    BankListener,
    bank,
    count_status,
    queue_campaign,
    sender_of_each_bubble,
)
from tests.integration.listener.conftest import eventually

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


def phones(count: int, start: int = 0) -> list[str]:
    return [f"+1209555{n:04d}" for n in range(start, start + count)]


def recipients_by_listener(listeners: list[BankListener]) -> dict[str, set[str]]:
    """phone number -> the listeners whose simulated modem it reached (what the customer sees)."""
    found: dict[str, set[str]] = defaultdict(set)
    for listener in listeners:
        for message in listener.sim.sent:
            found[message.number].add(listener.name)
    return found


async def registered(listeners: list[BankListener]) -> None:
    await eventually(
        lambda: all(listener.registrar.sender is not None for listener in listeners),
        20,
        "every listener registered its SIM",
    )


async def run_status(db_url: str, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SUPABASE_", "WORKER_"))}
    env.update({"DATABASE_URL": db_url, "SMS_SETTINGS_FILE": os.devnull, "COLUMNS": "250"})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "listener",
        "status",
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_each_listener_registers_its_sim_and_status_lists_them(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    imsi_only = SimCard(imsi="001010000000111", iccid="8901010000000001110")
    with_number = SimCard(imsi="001010000000222", iccid="8901010000000002229", own_number="+12095550222")
    # Box A's firmware answers no ICCID command at all: its SIM is known by its IMSI only.
    async with bank(
        db_url,
        ["box-a", "box-b"],
        profiles=["generic", "sim800"],
        cards=[imsi_only, with_number],
        unsupported=[{"AT+CCID"}, set()],
    ) as (a, b):
        await registered([a, b])
        assert a.modem.identity is not None
        assert (a.modem.identity.imsi, a.modem.identity.iccid) == (imsi_only.imsi, None)

        cur = await aconn.execute(
            "select worker_id, imsi, iccid, own_number, status from senders order by worker_id"
        )
        assert await cur.fetchall() == [
            ("box-a", imsi_only.imsi, None, None, "active"),  # number unknown: not an error
            ("box-b", with_number.imsi, with_number.iccid, "+12095550222", "active"),
        ]
        cur = await aconn.execute(
            "select modem_health ->> 'manufacturer', modem_health ->> 'imei' from senders order by worker_id"
        )
        assert await cur.fetchall() == [("Simulated", a.sim.imei), ("SIMCOM_Ltd", b.sim.imei)]

        table = await run_status(db_url)
        lines = {name: line for name in ("box-a", "box-b") for line in table.splitlines() if name in line}
        assert set(lines) == {"box-a", "box-b"}, table
        assert "unknown" in lines["box-a"].split("│")[2], lines["box-a"]  # the number column
        assert "+12095550222" in lines["box-b"]
        assert all("yes" in line for line in lines.values()), table  # both alive
        assert "SIMs: 2" in table

        as_json = [json.loads(line) for line in (await run_status(db_url, "--json")).splitlines()]
        assert sorted((r["worker_id"], r["own_number"], r["alive"]) for r in as_json) == [
            ("box-a", None, True),
            ("box-b", "+12095550222", True),
        ]

        # Box B's SIM is swapped while its modem is away: after the reconnect the new SIM is registered
        # for box B, and the old SIM's row is no longer anybody's.
        swapped = SimCard(imsi="001010000000333", iccid="8901010000000003334")
        b.sim.unplug()
        await eventually(lambda: not b.modem.connected, 20, "box B's modem gone")
        b.sim.sim = swapped
        b.sim.plug()
        await eventually(lambda: b.registrar.registrations == 2, 30, "box B registered its new SIM")
        cur = await aconn.execute("select imsi, worker_id, own_number from senders order by imsi")
        assert await cur.fetchall() == [
            (imsi_only.imsi, "box-a", None),
            (with_number.imsi, None, "+12095550222"),
            (swapped.imsi, "box-b", None),
        ]


async def test_two_listeners_every_recipient_hears_one_sim_also_in_the_next_campaign(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    recipients = phones(16)
    async with bank(db_url, ["left", "right"]) as listeners:
        await registered(listeners)
        for listener in listeners:
            listener.sim.faults.body_answer_delay = 0.02  # both have work to share
        first = await queue_campaign(aconn, "first", recipients)
        await eventually(
            lambda: _all_sent(aconn, "first", first), 120, f"campaign 'first': {first} bubbles sent"
        )
        owners = await sender_of_each_bubble(aconn, "first")
        assert all(len(sims) == 1 for sims in owners.values()), owners
        assert len({sim for sims in owners.values() for sim in sims}) == 2, "both SIMs took recipients"

        second = await queue_campaign(aconn, "second", recipients)
        await eventually(
            lambda: _all_sent(aconn, "second", second), 120, f"campaign 'second': {second} bubbles sent"
        )
        assert await sender_of_each_bubble(aconn, "second") == owners, "the same SIM for every recipient"
    seen = recipients_by_listener(listeners)
    assert set(seen) == set(recipients)
    assert all(len(names) == 1 for names in seen.values()), seen
    assert sum(len(listener.sim.sent) for listener in listeners) == first + second


async def _all_sent(conn: Conn, campaign: str, expected: int) -> bool:
    return await count_status(conn, campaign, "sent") == expected


async def test_three_listeners_a_sim_taken_away_hands_its_recipients_over_after_the_setting(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    recipients = phones(18)
    await aconn.execute("update sender_settings set handover_after = '5 minutes'")
    async with bank(db_url, ["one", "two", "three"], poll_interval=0.5) as listeners:
        await registered(listeners)
        one, two, three = listeners
        for listener in listeners:
            listener.sim.faults.body_answer_delay = 0.02
        first = await queue_campaign(aconn, "first", recipients)
        await eventually(lambda: _all_sent(aconn, "first", first), 120, "campaign 'first' sent")
        owners = {
            phone: next(iter(sims)) for phone, sims in (await sender_of_each_bubble(aconn, "first")).items()
        }
        away = three.sender_id
        theirs = sorted(phone for phone, sim in owners.items() if sim == away)
        assert theirs, f"SIM three took recipients: {owners}"

        # Mid-campaign: three sends some of its recipients' bubbles, then its SIM is taken away.
        three.sim.faults.body_answer_delay = 0.3
        already = len(three.sim.sent)
        second = await queue_campaign(aconn, "second", recipients)
        await three.sim.wait_sent(already + 1, within=60)
        await three.stop()
        others = [phone for phone in recipients if phone not in theirs]
        cur = await aconn.execute(
            "select count(*) from messages m join scheduled_messages s on s.id = m.scheduled_message_id"
            " where s.campaign_name = 'second' and m.phone_number = any(%s)",
            (others,),
        )
        others_bubbles = (await cur.fetchone() or (0,))[0]

        async def others_done() -> bool:
            cur = await aconn.execute(
                "select count(*) from messages m join scheduled_messages s on s.id = m.scheduled_message_id"
                " where s.campaign_name = 'second' and m.phone_number = any(%s) and m.status = 'sent'",
                (others,),
            )
            row = await cur.fetchone()
            return row is not None and row[0] == others_bubbles

        await eventually(others_done, 120, "the other SIMs sent their own recipients' bubbles")
        sweeps = [one.service.stats.sweeps, two.service.stats.sweeps]
        await eventually(
            lambda: one.service.stats.sweeps > sweeps[0] + 1 and two.service.stats.sweeps > sweeps[1] + 1,
            30,
            "both remaining listeners swept again",
        )
        cur = await aconn.execute(
            "select m.phone_number, m.status from messages m join scheduled_messages s on s.id = m.scheduled_message_id"
            " where s.campaign_name = 'second' and m.status <> 'sent' order by 1"
        )
        waiting = await cur.fetchall()
        assert waiting, "SIM three had bubbles left when it was taken away"
        assert {phone for phone, _ in waiting} <= set(theirs), "only SIM three's recipients wait"
        assert {status for _, status in waiting} == {"queued"}, "they wait, nobody else took them"
        cur = await aconn.execute("select count(*) from recipient_sender_moves where kind = 'handover'")
        assert await cur.fetchone() == (0,)

        clock.advance(minutes=6)  # longer than handover_after since SIM three was last seen
        for listener in (one, two):
            listener.service.wake("test: time passed")
        await eventually(lambda: _all_sent(aconn, "second", second), 120, "campaign 'second' finished")

        cur = await aconn.execute(
            "select phone_number, from_sender_id, to_sender_id, reason from recipient_sender_moves"
            " where kind = 'handover' order by phone_number"
        )
        moves = await cur.fetchall()
        moved = {phone for phone, _, _, _ in moves}
        assert moved == {phone for phone, _ in waiting}, "every waiting recipient moved, and only they"
        assert all(source == away for _, source, _, _ in moves)
        assert {target for _, _, target, _ in moves} <= {one.sender_id, two.sender_id}
        assert all("handover_after" in reason for _, _, _, reason in moves), moves
        cur = await aconn.execute(
            "select count(*) from recipient_senders where sender_id = %s and phone_number = any(%s)",
            (away, sorted(moved)),
        )
        assert await cur.fetchone() == (0,)

    # Every recipient's bubbles of one message from one SIM (a moved recipient's message went on from
    # the new SIM only if none of it had left from SIM three).
    for campaign in ("first", "second"):
        for phone, sims in (await sender_of_each_bubble(aconn, campaign)).items():
            assert len(sims) == 1 or phone in moved, (campaign, phone, sims)


async def test_a_listener_that_lost_its_modem_does_not_keep_its_sim_alive(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    """The box keeps running (and heartbeating) after its modem was unplugged: its SIM still goes not
    alive, and after handover_after its waiting recipients move to the SIM that has a modem."""
    clock.run_from(clock.at)
    recipients = phones(8, start=100)
    await aconn.execute("update sender_settings set handover_after = '5 minutes'")
    async with bank(db_url, ["unplugged", "plugged"], poll_interval=0.5) as (unplugged, plugged):
        await registered([unplugged, plugged])
        first = await queue_campaign(aconn, "first", recipients, bubbles=1)
        await eventually(lambda: _all_sent(aconn, "first", first), 60, "campaign 'first' sent")
        for phone in recipients[:3]:  # the unplugged SIM surely has recipients of its own
            await aconn.execute(
                "select pin_recipient(%s, %s, 'test: these are the unplugged SIM''s')",
                (phone, unplugged.sender_id),
            )
        await aconn.execute(
            "update recipient_senders set pinned = false where phone_number = any(%s)", (recipients[:3],)
        )
        cur = await aconn.execute(
            "select array_agg(phone_number order by phone_number) from recipient_senders where sender_id = %s",
            (unplugged.sender_id,),
        )
        theirs = set((await cur.fetchone() or ([],))[0])

        unplugged.sim.unplug()
        await eventually(
            lambda: not unplugged.modem.connected, 30, "the listener noticed the modem went away"
        )

        async def heartbeat_without_modem_recorded() -> bool:
            cur = await aconn.execute(
                "select modem_health ->> 'available' from listener_status where worker_id = 'unplugged'"
            )
            return await cur.fetchone() == ("false",)

        async def sim_not_alive() -> bool:
            cur = await aconn.execute("select worker_id, alive from sender_status() order by worker_id")
            return await cur.fetchall() == [("plugged", True), ("unplugged", False)]

        await eventually(heartbeat_without_modem_recorded, 30, "a heartbeat says: no modem")
        clock.advance(minutes=3)  # longer than alive_after (2 minutes) since the SIM was seen with its modem
        cur = await aconn.execute("select now()")
        advanced = (await cur.fetchone() or (None,))[0]

        async def both_heartbeated() -> bool:
            cur = await aconn.execute(
                "select count(*) from listener_status where last_seen_at >= %s", (advanced,)
            )
            return await cur.fetchone() == (2,)

        await eventually(both_heartbeated, 30, "both listeners heartbeated after the clock moved")
        assert await sim_not_alive(), (
            "its SIM is not alive (heartbeats without the modem), the plugged one is"
        )
        before = len(unplugged.sim.sent)
        second = await queue_campaign(aconn, "second", recipients, bubbles=1)
        others = len(recipients) - len(theirs)

        async def others_sent() -> bool:
            return await count_status(aconn, "second", "sent") == others

        await eventually(others_sent, 60, "the plugged SIM sent its own recipients")
        sweeps = plugged.service.stats.sweeps
        await eventually(lambda: plugged.service.stats.sweeps > sweeps + 1, 30, "it swept again")
        assert await count_status(aconn, "second", "queued") == len(theirs), (
            "the unplugged SIM's recipients wait"
        )

        clock.advance(minutes=3)  # 6 minutes in all: longer than handover_after
        plugged.service.wake("test: time passed")
        await eventually(lambda: _all_sent(aconn, "second", second), 60, "campaign 'second' finished")
        cur = await aconn.execute(
            "select phone_number from recipient_sender_moves where kind = 'handover'"
            " and from_sender_id = %s and to_sender_id = %s",
            (unplugged.sender_id, plugged.sender_id),
        )
        assert {row[0] for row in await cur.fetchall()} == theirs, "each of its recipients moved, recorded"
        assert unplugged.service.state != "stopped", "the listener ran (and heartbeated) all along"
        assert len(unplugged.sim.sent) == before


async def test_a_sim_at_its_hourly_limit_stops_and_claims_again_when_the_hour_rolls_over(
    db_url: str, aconn: Conn, clock: PinnedClock
) -> None:
    clock.run_from(clock.at)
    recipients = phones(6)
    async with bank(db_url, ["capped", "free"], poll_interval=0.5) as (capped, free):
        await registered([capped, free])
        first = await queue_campaign(aconn, "first", recipients, bubbles=1)
        await eventually(lambda: _all_sent(aconn, "first", first), 60, "campaign 'first' sent")
        owners = await sender_of_each_bubble(aconn, "first")
        mine = sorted(phone for phone, sims in owners.items() if sims == {capped.sender_id})
        if len(mine) < 2:  # make sure the capped SIM has recipients of its own to wait
            for phone in recipients[:3]:
                await aconn.execute(
                    "select pin_recipient(%s, %s, 'test: the capped SIM keeps these')",
                    (phone, capped.sender_id),
                )
            mine = recipients[:3]
        cur = await aconn.execute(
            "select count(*) from messages where sender_id = %s and status = 'sent'", (capped.sender_id,)
        )
        used = (await cur.fetchone() or (0,))[0]
        await aconn.execute("update senders set per_hour = %s where id = %s", (used + 1, capped.sender_id))

        second = await queue_campaign(aconn, "second", mine, bubbles=1)

        async def one_sent_rest_waiting() -> bool:
            return await count_status(aconn, "second", "sent") == 1

        await eventually(one_sent_rest_waiting, 60, "the capped SIM used what its limit left")
        sweeps = capped.service.stats.sweeps
        await eventually(lambda: capped.service.stats.sweeps > sweeps + 1, 30, "it swept again")
        assert await count_status(aconn, "second", "queued") == second - 1, "the rest waits for the SIM"
        cur = await aconn.execute(
            "select idle_reason, messages_left from sender_status() where sender_id = %s", (capped.sender_id,)
        )
        idle, left = await cur.fetchone() or (None, None)
        assert left == 0
        assert idle is not None
        assert "hourly limit reached" in idle
        table = await run_status(db_url)
        assert "hourly limit reached" in table
        assert "0 msgs" in table

        clock.advance(hours=1)  # the hour rolls over
        capped.service.wake("test: next hour")
        await eventually(lambda: _all_sent(aconn, "second", second), 60, "the rest went out after the hour")
    seen = recipients_by_listener([capped, free])
    assert all(names == {"capped"} for phone, names in seen.items() if phone in mine)
