"""Prometheus metrics and a health endpoint for one listener, on a local port.

`ListenerMetrics` is the service's hooks (`listener.hooks`) plus a registry of its own (not the
process-global one, so two listeners in one test process do not mix):

- `sms_listener_bubbles_{claimed,sent,failed,retried,unknown,released}_total`: read from the
  service's own counters at scrape time (one source of truth: what the log's `stopped` line counts).
- `sms_listener_queue_depth`: queued bubbles, as counted by the database at the last heartbeat.
- `sms_listener_claim_seconds`, `sms_listener_send_seconds`: histograms of one claim_next_bubble call
  and of one bubble's time with the modem (AT+CMGS, every part).
- `sms_listener_modem_signal_rssi` (AT+CSQ 0..31; NaN when unknown), `sms_listener_modem_signal_dbm`,
  `sms_listener_modem_connected`, `sms_listener_database_up`,
  `sms_listener_last_heartbeat_timestamp_seconds` (Unix time of the last heartbeat stored).
- `sms_listener_info{worker_id, mode, ...}`.

`MetricsServer` serves `/metrics` and `/healthz` from a small threaded HTTP server (the standard
library's; no web framework). It runs in its own thread on purpose: when the event loop is stuck, the
health check still answers, and says so (503). `/healthz` asks the loop itself, with a deadline:

- 200 `{"status": "ok", ...}` when the service loop is running (not starting, not stopped), its
  heartbeat loop is not stalled, and both the database's and the modem's state are known (the
  database answered or failed a heartbeat; the modem was opened or failed to open). The body says
  whether each is up: a listener waiting for its modem is alive and healthy as a process.
- 503 `{"status": "unavailable", "reason": ...}` otherwise (starting, stopped, event loop not
  answering, heartbeat stalled).
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from listener.database import ListenerStatus
from listener.decision import Decision, Release
from listener.hooks import ServiceHooks
from sms_common.logs import get_logger

if TYPE_CHECKING:
    from listener.service import ListenerService

log = get_logger(__name__)

#: One claim is one SQL call: milliseconds, seconds when the database struggles.
CLAIM_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: One SMS takes a modem 2-5 s; AT+CMGS may legitimately take up to 120 s.
SEND_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 60.0, 120.0)

#: The service's counters exported as `sms_listener_bubbles_<name>_total`.
COUNTERS = {
    "claimed": "Bubbles claimed by this listener.",
    "sent": "Bubbles sent (the modem answered +CMGS).",
    "failed": "Bubbles refused for good (permanent, or out of retries).",
    "retried": "Bubbles refused transiently and queued again by the database.",
    "unknown": "Bubbles that may have been sent (a person decides).",
    "released": "Bubbles handed back because nothing left the modem.",
}
#: Exported as `sms_listener_claims_empty_total`: a SIM that keeps claiming nothing is polling in vain.
EMPTY_CLAIMS_HELP = "Claims that found nothing this SIM may send now (each sweep ends with one)."


class _StatsCollector(Collector):
    """The service's ServiceStats, read at scrape time."""

    def __init__(self, metrics: ListenerMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[CounterMetricFamily]:
        service = self._metrics.service
        for name, help_text in COUNTERS.items():
            value = getattr(service.stats, name) if service is not None else 0
            yield CounterMetricFamily(f"sms_listener_bubbles_{name}", help_text, value=value)
        empty = service.stats.empty_claims if service is not None else 0
        yield CounterMetricFamily("sms_listener_claims_empty", EMPTY_CLAIMS_HELP, value=empty)

    def describe(self) -> Iterable[CounterMetricFamily]:
        for name, help_text in COUNTERS.items():
            yield CounterMetricFamily(f"sms_listener_bubbles_{name}", help_text)
        yield CounterMetricFamily("sms_listener_claims_empty", EMPTY_CLAIMS_HELP)


class ListenerMetrics(ServiceHooks):
    """The metrics of one listener (see the module docstring); `attach` it to its service."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.service: ListenerService | None = None
        registry = self.registry
        registry.register(_StatsCollector(self))
        self.queue_depth = Gauge(
            "sms_listener_queue_depth",
            "Queued bubbles at the last heartbeat (database count).",
            registry=registry,
        )
        self.claim_seconds = Histogram(
            "sms_listener_claim_seconds",
            "Time of one claim_next_bubble call.",
            buckets=CLAIM_BUCKETS,
            registry=registry,
        )
        self.send_seconds = Histogram(
            "sms_listener_send_seconds",
            "Time the modem took over one bubble (all its parts).",
            buckets=SEND_BUCKETS,
            registry=registry,
        )
        self.signal_rssi = Gauge(
            "sms_listener_modem_signal_rssi", "AT+CSQ signal (0..31; NaN: unknown).", registry=registry
        )
        self.signal_dbm = Gauge(
            "sms_listener_modem_signal_dbm", "Signal strength in dBm (NaN: unknown).", registry=registry
        )
        self.modem_connected = Gauge(
            "sms_listener_modem_connected", "1 while the modem is ready to send.", registry=registry
        )
        self.database_up = Gauge(
            "sms_listener_database_up", "1 after a stored heartbeat, 0 after a failed one.", registry=registry
        )
        self.last_heartbeat = Gauge(
            "sms_listener_last_heartbeat_timestamp_seconds",
            "Unix time of the last heartbeat stored in the database.",
            registry=registry,
        )
        self.info = Info("sms_listener", "This listener.", registry=registry)
        for gauge in (self.queue_depth, self.signal_rssi, self.signal_dbm, self.last_heartbeat):
            gauge.set(math.nan)
        #: Monotonic times of the last heartbeat stored / failed (health uses them).
        self.heartbeat_ok_at: float | None = None
        self.heartbeat_failed_at: float | None = None

    def attach(self, service: ListenerService, **info: str) -> None:
        """Read `service`'s counters and state (its `hooks` must include these metrics to see the rest)."""
        self.service = service
        self.info.info({"worker_id": service.config.worker_id, "mode": service.database.name, **info})

    # -- hooks -------------------------------------------------------------------------------------

    def claim_timed(self, seconds: float, found: bool) -> None:
        self.claim_seconds.observe(seconds)

    def send_timed(self, seconds: float, decision: Decision) -> None:
        if not isinstance(decision, Release):  # released: nothing was handed to the modem
            self.send_seconds.observe(seconds)

    def heartbeat_recorded(self, status: ListenerStatus, payload: Mapping[str, Any]) -> None:
        self.heartbeat_ok_at = time.monotonic()
        self.last_heartbeat.set(time.time())
        self.database_up.set(1)
        self.queue_depth.set(math.nan if status.queue_depth is None else status.queue_depth)
        rssi = payload.get("signal")
        dbm = payload.get("signal_dbm")
        if isinstance(rssi, int) and 0 <= rssi <= 31:
            self.signal_rssi.set(rssi)
            self.signal_dbm.set(dbm if isinstance(dbm, int) else math.nan)
        else:
            self.signal_rssi.set(math.nan)
            self.signal_dbm.set(math.nan)
        self.modem_connected.set(1 if payload.get("available") else 0)

    def heartbeat_failed(self, error: str) -> None:
        self.heartbeat_failed_at = time.monotonic()
        self.database_up.set(0)

    # -- health ------------------------------------------------------------------------------------

    def health(self) -> tuple[int, dict[str, Any]]:
        """The /healthz answer; call it on the service's event loop (MetricsServer does)."""
        service = self.service
        if service is None:
            return 503, {"status": "unavailable", "reason": "no service attached"}
        body: dict[str, Any] = {
            "worker_id": service.config.worker_id,
            "state": service.state,
            "sent": service.stats.sent,
        }
        seen = [t for t in (self.heartbeat_ok_at, self.heartbeat_failed_at) if t is not None]
        if seen:
            body["last_heartbeat_age_s"] = round(time.monotonic() - max(seen), 1)
        if service.state == "stopped":
            return 503, {"status": "unavailable", "reason": "stopped", **body}
        if not seen:
            return 503, {"status": "unavailable", "reason": "starting: no heartbeat yet", **body}
        last_failed = self.heartbeat_failed_at is not None and (
            self.heartbeat_ok_at is None or self.heartbeat_failed_at > self.heartbeat_ok_at
        )
        body["database"] = "down" if service.database_down or last_failed else "up"
        snapshot = service.modem.snapshot().as_dict()
        if service.modem_available:
            body["modem"] = "ready"
        elif snapshot.get("last_error"):
            body["modem"] = "unavailable"
        else:
            return 503, {"status": "unavailable", "reason": "starting: modem not opened yet", **body}
        stalled_after = 3 * service.config.heartbeat_interval + 10
        if time.monotonic() - max(seen) > stalled_after:
            return 503, {"status": "unavailable", "reason": "heartbeat stalled", **body}
        return 200, {"status": "ok", **body}


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    body: bytes


class MetricsServer:
    """`/metrics` and `/healthz` on host:port in a daemon thread (see the module docstring).

    `port=0` binds a free port (tests; `port` tells which). Settings use 0 for "off": `listener.run`
    does not create a server then."""

    def __init__(
        self,
        metrics: ListenerMetrics,
        loop: asyncio.AbstractEventLoop,
        *,
        host: str = "127.0.0.1",
        port: int = 9464,
        health_timeout: float = 2.0,
    ) -> None:
        self.metrics = metrics
        self.loop = loop
        self.health_timeout = health_timeout
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = server.answer(self.path)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                # http.server writes each request to stderr; a scrape every few seconds belongs at debug.
                log.debug("metrics_request", client=self.client_address[0], line=format % args)

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._http.server_address[0])

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, name="metrics-http", daemon=True
        )
        self._thread.start()
        log.info("metrics_serving", host=self.host, port=self.port, paths="/metrics /healthz")

    def close(self) -> None:
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._http.server_close()

    def answer(self, path: str) -> _Answer:
        """Runs in the HTTP thread; health is evaluated on the event loop, with a deadline."""
        route = path.split("?", 1)[0]
        if route == "/metrics":
            return _Answer(200, CONTENT_TYPE_LATEST, generate_latest(self.metrics.registry))
        if route in ("/healthz", "/health"):
            status, body = self._health()
            return _Answer(status, "application/json", json.dumps(body).encode())
        return _Answer(404, "text/plain; charset=utf-8", b"not found: try /metrics or /healthz\n")

    def _health(self) -> tuple[int, dict[str, Any]]:
        async def evaluate() -> tuple[int, dict[str, Any]]:
            return self.metrics.health()

        if self.loop.is_closed():
            return 503, {"status": "unavailable", "reason": "event loop closed"}
        try:
            future = asyncio.run_coroutine_threadsafe(evaluate(), self.loop)
        except RuntimeError:
            return 503, {"status": "unavailable", "reason": "event loop closed"}
        try:
            return future.result(timeout=self.health_timeout)
        except FutureTimeout:
            future.cancel()
            return 503, {"status": "unavailable", "reason": "event loop not answering"}


def start_metrics_server(
    metrics: ListenerMetrics, loop: asyncio.AbstractEventLoop, *, host: str, port: int
) -> MetricsServer | None:
    """The server for METRICS_HOST:METRICS_PORT, started; None when turned off (port 0) or when the
    address cannot be bound (another listener on this box has that port): the listener runs on
    without metrics and says so, because sending matters more than being watched."""
    if port == 0:
        log.info("metrics_off", reason="METRICS_PORT=0")
        return None
    try:
        server = MetricsServer(metrics, loop, host=host, port=port)
    except OSError as exc:
        log.error(
            "metrics_unavailable",
            host=host,
            port=port,
            error=str(exc),
            hint="give each listener on a box its own METRICS_PORT",
        )
        return None
    server.start()
    return server
