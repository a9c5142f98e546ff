"""`sms-listener run`: the long-running sender next to the modem.

Chooses the transport from the environment (Postgres mode when DATABASE_URL is set, Supabase mode when
only SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are; --mode overrides), opens the modem, and runs
`listener.service.ListenerService` until SIGTERM/SIGINT (exit 0 after the SMS in flight is recorded).
"""

from __future__ import annotations

import asyncio
import enum
import faulthandler
import signal
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from listener.bank import SenderRegistrar
from listener.cli import app
from listener.database import ListenerDatabase
from listener.errors import ConnectorAuthError
from listener.hooks import HookChain
from listener.metrics import ListenerMetrics, start_metrics_server
from listener.modem.config import ModemConfig
from listener.modem.resilient import ResilientModem
from listener.service import ListenerService, ServiceConfig
from listener.wake import PollOnlyWakeSource, WakeSource
from sms_common.errors import ConfigurationError, SmsSchedulerError
from sms_common.logs import configure_logging, get_logger, redact_text
from sms_common.settings import Settings, load_settings

log = get_logger(__name__)


class Mode(enum.StrEnum):
    postgres = "postgres"
    supabase = "supabase"


@dataclass(frozen=True)
class Transport:
    mode: Mode
    database: ListenerDatabase
    wake_source: WakeSource


def choose_mode(settings: Settings, requested: Mode | None) -> Mode:
    """Postgres mode when DATABASE_URL is set, Supabase mode when only SUPABASE_URL + key are."""
    has_supabase = bool(settings.supabase_url and settings.supabase_service_role_key)
    if requested is Mode.postgres or (requested is None and settings.database_url):
        if not settings.database_url:
            raise ConfigurationError(
                "--mode postgres needs DATABASE_URL (postgresql://user:pass@host:5432/db)"
            )
        return Mode.postgres
    if requested is Mode.supabase or (requested is None and has_supabase):
        if not has_supabase:
            raise ConfigurationError(
                "--mode supabase needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (the service_role key)"
            )
        return Mode.supabase
    raise ConfigurationError(
        "no database configured: set DATABASE_URL (Postgres mode) or SUPABASE_URL and "
        "SUPABASE_SERVICE_ROLE_KEY (Supabase mode)"
    )


def build_transport(
    settings: Settings, mode: Mode, *, poll_only: bool, worker_id: str | None = None
) -> Transport:
    """The database calls and wake-up source for one mode (imports only the chosen transport's libraries).

    Postgres mode holds at most two connections: one for the calls, one for LISTEN (none with
    --poll-only). Their application_name carries the worker id, so pg_stat_activity tells whose they are."""
    if mode is Mode.postgres:
        from listener.pg_notify import NotifyWakeSource
        from listener.pg_transport import APPLICATION_NAME, PostgresTransport

        dsn = settings.require_database_url()
        suffix = f" {worker_id}" if worker_id else ""
        pg_wake: WakeSource = (
            PollOnlyWakeSource()
            if poll_only
            else NotifyWakeSource(dsn, application_name=f"{APPLICATION_NAME}-notify{suffix}")
        )
        calls = PostgresTransport(dsn, application_name=f"{APPLICATION_NAME}{suffix}")
        return Transport(mode, ListenerDatabase(calls), pg_wake)
    from listener.supabase_realtime import RealtimeWakeSource
    from listener.supabase_transport import SupabaseTransport

    url = settings.supabase_url or ""
    key = settings.supabase_service_role_key.get_secret_value() if settings.supabase_service_role_key else ""
    sb_wake: WakeSource = PollOnlyWakeSource() if poll_only else RealtimeWakeSource(url, key)
    return Transport(mode, ListenerDatabase(SupabaseTransport(url, key)), sb_wake)


def modem_config(settings: Settings) -> ModemConfig:
    """MODEM_* settings, and whether the modem receives (RECEIVE_SMS) and asks for reports (STATUS_REPORTS)."""
    pin = settings.modem_pin.get_secret_value() if settings.modem_pin else None
    return ModemConfig(
        settings.modem_port,
        settings.modem_baud,
        mode=settings.modem_mode,
        pin=pin,
        receive=settings.receive_sms,
        status_reports=settings.status_reports,
    )


async def open_modem(settings: Settings, *, ready_within: float = 30.0) -> ResilientModem:
    """The resilient modem driver on MODEM_PORT: it (re)opens and initialises the modem in the
    background with backoff. Waits up to `ready_within` seconds for it; a modem that is not there yet
    only pauses sending (the service waits for it), so the listener starts anyway."""
    modem = ResilientModem(modem_config(settings))
    if not await modem.wait_ready(ready_within):
        log.warning("modem_not_ready", port=settings.modem_port, waited_s=ready_within)
    return modem


async def serve(settings: Settings, transport: Transport, config: ServiceConfig) -> int:
    modem = await open_modem(settings)
    service = ListenerService(transport.database, transport.wake_source, modem, config)
    loop = asyncio.get_running_loop()
    # Issue 14: register the SIM before sweeping; metrics and /healthz on METRICS_HOST:METRICS_PORT.
    registrar = SenderRegistrar(transport.database, modem, config.worker_id, sim_number=settings.sim_number)
    metrics = ListenerMetrics()
    metrics.attach(service, modem_port=settings.modem_port)
    service.hooks = HookChain(registrar, metrics)
    modem.on_ready.append(lambda: service.wake("modem ready"))
    metrics_server = start_metrics_server(
        metrics, loop, host=settings.metrics_host, port=settings.metrics_port
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, service.request_stop, signal.Signals(signum).name)
    loop.add_signal_handler(signal.SIGUSR1, dump_stacks)
    try:
        await service.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            loop.remove_signal_handler(signum)
        if metrics_server is not None:
            metrics_server.close()
        await modem.close()
    return 0


def dump_stacks() -> None:
    """`kill -USR1 <pid>`: every thread's stack and every asyncio task's, to stderr (the journal), for a
    listener that does not do what it should (e.g. does not stop). Code locations only, no data."""
    print(f"== SIGUSR1: {len(asyncio.all_tasks())} asyncio tasks", file=sys.stderr, flush=True)
    for task in asyncio.all_tasks():
        task.print_stack(limit=12, file=sys.stderr)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()


def service_config(
    settings: Settings,
    *,
    worker_id: str | None = None,
    poll_interval: float | None = None,
    until_idle: bool = False,
    once: bool = False,
) -> ServiceConfig:
    """The loop's settings: pauses, polling, heartbeat, and receiving (sweep and stale-part intervals)."""
    return ServiceConfig(
        worker_id=worker_id or settings.effective_worker_id,
        poll_interval=poll_interval if poll_interval is not None else settings.poll_interval,
        heartbeat_interval=settings.heartbeat_interval,
        bubble_pause=settings.bubble_pause,
        recipient_pause=settings.recipient_pause,
        receive=settings.receive_sms,
        inbound_sweep_interval=settings.inbound_sweep_interval,
        stale_parts_interval=settings.stale_parts_interval,
        until_idle=until_idle,
        once=once,
    )


@app.command("run")
def run_command(
    mode: Annotated[
        Mode | None,
        typer.Option(
            help="postgres (DATABASE_URL) or supabase (SUPABASE_URL + service role key); default from the environment"
        ),
    ] = None,
    poll_only: Annotated[
        bool,
        typer.Option("--poll-only", help="no LISTEN/Realtime: poll only (transaction poolers, no Realtime)"),
    ] = False,
    poll_interval: Annotated[
        float | None,
        typer.Option(min=0.05, help="safety-net poll interval in seconds (default POLL_INTERVAL)"),
    ] = None,
    worker_id: Annotated[
        str | None, typer.Option(help="stable listener id (default WORKER_ID, else host:modem_port)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="one sweep, then exit")] = False,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="exit when nothing is queued any more (demos, tests)")
    ] = False,
) -> None:
    """Send queued SMS bubbles through the modem until stopped (SIGTERM/SIGINT finish the SMS in flight)."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        chosen = choose_mode(settings, mode)
        transport = build_transport(
            settings, chosen, poll_only=poll_only, worker_id=worker_id or settings.effective_worker_id
        )
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    config = service_config(
        settings,
        worker_id=worker_id,
        poll_interval=poll_interval,
        until_idle=until_idle,
        once=once,
    )
    log.info(
        "configured",
        mode=chosen.value,
        wake=transport.wake_source.name,
        worker_id=config.worker_id,
        modem_port=settings.modem_port,
        poll_interval=config.poll_interval,
    )
    try:
        code = asyncio.run(serve(settings, transport, config))
    except ConnectorAuthError as exc:
        log.error("credentials_refused", error=redact_text(str(exc)))
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(2) from exc
    except SmsSchedulerError as exc:
        log.error("listener_failed", error=redact_text(str(exc)))
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(1) from exc
    sys.stdout.flush()
    raise typer.Exit(code)
