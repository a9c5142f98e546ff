"""listener.metrics: the registry's values after sends through the real service loop (in-memory
database, scripted modem), and /healthz and /metrics answered over a real HTTP request on a local
port: 503 while starting, 200 while running (also with the modem away), 503 once stopped or when
the event loop does not answer."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from listener.database import ListenerDatabase
from listener.metrics import ListenerMetrics, MetricsServer, start_metrics_server
from listener.modem.codes import classify
from listener.modem.errors import PermanentSendError, SendOutcomeUnknownError, TransientSendError
from listener.service import ListenerService, ServiceConfig
from listener.testing import InMemoryTransport
from listener.wake import PollOnlyWakeSource
from sms_common.statuses import MessageStatus
from tests.unit.listener.kit import config, started, until
from tests.unit.listener.scripted_modem import FakeHealth, ScriptedModem

PHONE = "+12095550100"


class SignalModem(ScriptedModem):
    """A scripted modem whose snapshot carries a signal, as the real one's does."""

    def snapshot(self) -> FakeHealth:
        return FakeHealth({"connected": self.connected, "signal": 17, "signal_dbm": -79, "last_error": None})


def metrics_config(**overrides: Any) -> ServiceConfig:
    """Heartbeats every 50 ms: the gauges and /healthz follow them."""
    return config(**{"worker_id": "metrics-unit", "heartbeat_interval": 0.05, **overrides})


@asynccontextmanager
async def running(
    transport: InMemoryTransport, modem: ScriptedModem, **overrides: Any
) -> AsyncIterator[tuple[ListenerService, ListenerMetrics]]:
    service = ListenerService(
        ListenerDatabase(transport), PollOnlyWakeSource(), modem, metrics_config(**overrides)
    )
    metrics = ListenerMetrics()
    metrics.attach(service)
    service.hooks = metrics
    async with started(service):
        yield service, metrics


def value(metrics: ListenerMetrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    assert found is not None, f"no sample {name}{labels}"
    return found


async def test_counters_histograms_and_gauges_after_sends() -> None:
    db = InMemoryTransport()
    [sent] = db.queue(PHONE, "one")
    [refused] = db.queue("+12095550101", "two")
    [retried] = db.queue("+12095550102", "three")
    [maybe] = db.queue("+12095550103", "four")
    modem = SignalModem(
        answers=[
            "11",
            PermanentSendError("+CMS ERROR: 21", info=classify("CMS", 21)),
            TransientSendError("+CMS ERROR: 42", info=classify("CMS", 42)),
            SendOutcomeUnknownError("no final answer"),
        ]
    )
    async with running(db, modem) as (service, metrics):
        await until(lambda: db.status(maybe) is MessageStatus.UNKNOWN)
        await until(lambda: db.status(sent) is MessageStatus.SENT)
        before = len(db.heartbeats)
        await until(lambda: len(db.heartbeats) >= before + 2)  # one heartbeat after the sends
        assert value(metrics, "sms_listener_bubbles_sent_total") == 1
        assert value(metrics, "sms_listener_bubbles_failed_total") == 1
        assert value(metrics, "sms_listener_bubbles_retried_total") == 1
        assert value(metrics, "sms_listener_bubbles_unknown_total") == 1
        assert value(metrics, "sms_listener_bubbles_claimed_total") == service.stats.claimed == 4
        assert value(metrics, "sms_listener_send_seconds_count") == 4
        assert value(metrics, "sms_listener_claim_seconds_count") >= 5  # four bubbles, then "nothing"
        empty = value(metrics, "sms_listener_claims_empty_total")
        assert empty == service.stats.empty_claims >= 1
        assert value(metrics, "sms_listener_claim_seconds_count") == 4 + empty
        assert value(metrics, "sms_listener_claim_seconds_bucket", le="+Inf") == value(
            metrics, "sms_listener_claim_seconds_count"
        )
        assert value(metrics, "sms_listener_queue_depth") == 1  # the retried one waits in `queued`
        assert value(metrics, "sms_listener_modem_signal_rssi") == 17
        assert value(metrics, "sms_listener_modem_signal_dbm") == -79
        assert value(metrics, "sms_listener_modem_connected") == 1
        assert value(metrics, "sms_listener_database_up") == 1
        assert abs(value(metrics, "sms_listener_last_heartbeat_timestamp_seconds") - time.time()) < 60
        info = metrics.registry.get_sample_value(
            "sms_listener_info", {"worker_id": "metrics-unit", "mode": "memory"}
        )
        assert info == 1
    assert db.status(refused) is MessageStatus.FAILED
    assert db.status(retried) is MessageStatus.QUEUED


async def test_a_failed_heartbeat_shows_the_database_down() -> None:
    db = InMemoryTransport()
    async with running(db, SignalModem()) as (_, metrics):
        await until(lambda: metrics.heartbeat_ok_at is not None)
        db.down = True
        await until(lambda: metrics.heartbeat_failed_at is not None)
        assert value(metrics, "sms_listener_database_up") == 0
        db.down = False


def get(url: str) -> tuple[int, str, str]:
    """A real HTTP GET (status, content type, body), also for error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http://127.0.0.1 only)
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


async def fetch(url: str) -> tuple[int, str, str]:
    return await asyncio.to_thread(get, url)


@asynccontextmanager
async def serving(metrics: ListenerMetrics, **options: Any) -> AsyncIterator[MetricsServer]:
    server = MetricsServer(metrics, asyncio.get_running_loop(), host="127.0.0.1", port=0, **options)
    server.start()
    try:
        yield server
    finally:
        server.close()


async def test_health_and_metrics_over_http_from_start_to_stop() -> None:
    db = InMemoryTransport()
    db.queue(PHONE, "hello")
    modem = SignalModem()
    service = ListenerService(ListenerDatabase(db), PollOnlyWakeSource(), modem, metrics_config())
    metrics = ListenerMetrics()
    metrics.attach(service)
    service.hooks = metrics
    async with serving(metrics) as server:
        base = f"http://127.0.0.1:{server.port}"
        status, kind, body = await fetch(f"{base}/healthz")
        assert (status, kind) == (503, "application/json")
        assert json.loads(body)["reason"].startswith("starting")

        task = asyncio.create_task(service.run())
        try:
            await until(lambda: service.stats.sent == 1)
            status, _, body = await fetch(f"{base}/healthz")
            assert status == 200, body
            health = json.loads(body)
            assert health["status"] == "ok"
            assert (health["database"], health["modem"], health["worker_id"]) == (
                "up",
                "ready",
                "metrics-unit",
            )

            status, kind, text = await fetch(f"{base}/metrics")
            assert status == 200
            assert kind.startswith("text/plain")
            assert "sms_listener_bubbles_sent_total 1.0" in text
            assert "sms_listener_send_seconds_bucket" in text

            modem.disconnect()  # the modem goes away: the process is alive and says so
            modem.snapshot = lambda: FakeHealth({"connected": False, "last_error": "unplugged"})  # type: ignore[method-assign]
            status, _, body = await fetch(f"{base}/healthz")
            assert status == 200, body
            assert json.loads(body)["modem"] == "unavailable"

            assert (await fetch(f"{base}/nothing-here"))[0] == 404
        finally:
            service.request_stop("test over")
            await asyncio.wait_for(task, 10)
        status, _, body = await fetch(f"{base}/healthz")
        assert status == 503
        assert json.loads(body)["reason"] == "stopped"


async def test_health_is_503_when_the_event_loop_does_not_answer() -> None:
    db = InMemoryTransport()
    service = ListenerService(ListenerDatabase(db), PollOnlyWakeSource(), SignalModem(), metrics_config())
    metrics = ListenerMetrics()
    metrics.attach(service)
    service.hooks = metrics
    task = asyncio.create_task(service.run())
    try:
        await until(lambda: metrics.heartbeat_ok_at is not None and service.state != "starting")
        async with serving(metrics, health_timeout=0.2) as server:
            answers: list[tuple[int, str, str]] = []
            asked = threading.Event()

            def ask() -> None:
                asked.set()
                answers.append(get(f"http://127.0.0.1:{server.port}/healthz"))

            thread = threading.Thread(target=ask)
            thread.start()
            asked.wait(5)
            time.sleep(1.0)  # noqa: ASYNC251 (the fault under test: a blocked event loop)
            thread.join(5)
            assert len(answers) == 1
            status, _, body = answers[0]
            assert status == 503
            assert json.loads(body)["reason"] == "event loop not answering"
    finally:
        service.request_stop("test over")
        await asyncio.wait_for(task, 10)


async def test_a_port_in_use_or_zero_means_no_server_and_the_listener_runs_on() -> None:
    metrics = ListenerMetrics()
    loop = asyncio.get_running_loop()
    assert start_metrics_server(metrics, loop, host="127.0.0.1", port=0) is None  # 0 = off
    async with serving(metrics) as taken:
        assert start_metrics_server(metrics, loop, host="127.0.0.1", port=taken.port) is None


@pytest.mark.parametrize("path", ["/healthz", "/health", "/healthz?verbose=1"])
async def test_health_paths(path: str) -> None:
    metrics = ListenerMetrics()
    async with serving(metrics) as server:
        status, _, body = await fetch(f"http://127.0.0.1:{server.port}{path}")
    assert status == 503
    assert json.loads(body)["reason"] == "no service attached"
