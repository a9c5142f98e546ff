"""`python -m listener run` as a real process: it holds at most two database connections (counted in
pg_stat_activity by application_name while it sends), and its /metrics and /healthz answer on the
configured local port while it sends."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psycopg

from listener.modem.simulator import ModemSimulator
from tests.harness import REPO_ROOT, PinnedClock
from tests.integration.listener.conftest import eventually, queue_message

Conn = psycopg.AsyncConnection[tuple[Any, ...]]
WORKER = "bank-process"
MESSAGES = 12


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listener_environment(
    db_url: str, sim: ModemSimulator, worker_id: str, metrics_port: int
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SUPABASE_", "WORKER_"))}
    env.update(
        {
            "DATABASE_URL": db_url,
            "MODEM_PORT": sim.device_path,
            "MODEM_MODE": "pdu",
            "BUBBLE_PAUSE": "0",
            "RECIPIENT_PAUSE": "0",
            "POLL_INTERVAL": "1",
            "HEARTBEAT_INTERVAL": "1",
            "WORKER_ID": worker_id,
            "LOG_LEVEL": "INFO",
            "METRICS_HOST": "127.0.0.1",
            "METRICS_PORT": str(metrics_port),
            "SMS_SETTINGS_FILE": os.devnull,
        }
    )
    return env


async def start_listener(
    db_url: str, sim: ModemSimulator, worker_id: str, metrics_port: int, log: Path
) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "listener",
            "run",
            cwd=REPO_ROOT,
            env=listener_environment(db_url, sim, worker_id, metrics_port),
            stdout=out,
            stderr=out,
        )


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local test port)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:  # not listening yet
        return 0, str(exc)


async def get(url: str) -> tuple[int, str]:
    return await asyncio.to_thread(http_get, url)


def sample(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


async def listener_connections(aconn: Conn) -> list[str]:
    cur = await aconn.execute(
        "select application_name from pg_stat_activity"
        " where datname = current_database() and application_name like %s order by 1",
        (f"sms-listener%{WORKER}",),
    )
    return [str(name) for (name,) in await cur.fetchall()]


async def test_a_sending_listener_holds_two_connections_and_serves_metrics_and_health(
    db_url: str, aconn: Conn, simulator: ModemSimulator, clock: PinnedClock, tmp_path: Path
) -> None:
    clock.run_from(clock.at)
    port = free_port()
    log = tmp_path / "listener.log"
    simulator.faults.body_answer_delay = 0.25  # each SMS takes a moment: the scrapes happen mid-campaign
    process = await start_listener(db_url, simulator, WORKER, port, log)
    seen: list[list[str]] = []
    scrapes: list[float] = []
    try:
        base = f"http://127.0.0.1:{port}"

        async def healthy() -> bool:
            status, _ = await get(f"{base}/healthz")
            return status == 200

        await eventually(healthy, 60, f"/healthz 200 on port {port} ({log})")
        _, body = await get(f"{base}/healthz")
        health = json.loads(body)
        assert (health["status"], health["worker_id"], health["modem"]) == ("ok", WORKER, "ready")

        for n in range(MESSAGES):
            await queue_message(aconn, f"+1209555{n:04d}", [f"bank message {n}"])

        async def watch() -> bool:
            seen.append(await listener_connections(aconn))
            status, text = await get(f"{base}/metrics")
            assert status == 200
            sent = sample(text, "sms_listener_bubbles_sent_total")
            if sent is not None:
                scrapes.append(sent)
            return len(simulator.sent) >= MESSAGES

        await eventually(watch, 120, f"{MESSAGES} messages handed to the modem")
        final_text = ""

        async def all_counted() -> bool:
            nonlocal final_text
            status, final_text = await get(f"{base}/metrics")
            return status == 200 and sample(final_text, "sms_listener_bubbles_sent_total") == MESSAGES

        await eventually(all_counted, 30, f"sms_listener_bubbles_sent_total {MESSAGES}")
    finally:
        if process.returncode is None:
            process.terminate()
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0, log.read_text()

    # Connections: never more than two, and both kinds were there (the calls' and LISTEN's).
    assert seen, "pg_stat_activity was sampled"
    assert max(len(names) for names in seen) <= 2, seen
    assert {name for names in seen for name in names} == {
        f"sms-listener {WORKER}",
        f"sms-listener-notify {WORKER}",
    }
    # Metrics: scraped while sending (the counter grew between scrapes), claim and send histograms filled.
    assert any(0 < value < MESSAGES for value in scrapes), scrapes
    assert scrapes == sorted(scrapes), "a counter only grows"
    assert (sample(final_text, "sms_listener_send_seconds_count") or 0) >= MESSAGES - 1
    assert (sample(final_text, "sms_listener_claim_seconds_count") or 0) >= MESSAGES - 1
    assert sample(final_text, "sms_listener_modem_connected") == 1
    assert sample(final_text, "sms_listener_modem_signal_rssi") == simulator.signal
