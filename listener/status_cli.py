"""`python -m listener status`: the whole bank of SIMs at a glance, from the database.

Every listener registers its SIM (`listener.bank`) and heartbeats into the same database, so one
`sender_status()` call shows every SIM of every box: its number (or "unknown"), the worker using it,
whether that worker is alive, signal and registration from its last heartbeat, what it sent and got
delivered today, what its limits leave, why it is idle, its last error. It runs anywhere the database
is reachable (Postgres mode with DATABASE_URL, Supabase mode with SUPABASE_URL + the service role
key, as `run` chooses), needs no modem, and changes nothing.

Numbers are shown in full: the operator must recognise them (the logs never show them).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table

from listener.cli import app
from listener.database import ListenerDatabase, SenderStatus
from listener.errors import ConnectorAuthError, ConnectorError
from listener.run import Mode, build_transport, choose_mode
from sms_common.errors import ConfigurationError
from sms_common.logs import configure_logging, redact_text
from sms_common.settings import load_settings

#: Width used when stdout is not a terminal (a pipe, a log): wide enough for one SIM per line.
PIPE_WIDTH = 250


def sim_label(row: SenderStatus) -> str:
    """`#3 shop-left` (its label) or `#3 …456789` (the end of its IMSI, else ICCID)."""
    if row.label:
        return f"#{row.sender_id} {row.label}"
    ident = row.imsi or row.iccid
    return f"#{row.sender_id} …{ident[-6:]}" if ident else f"#{row.sender_id}"


def signal_text(row: SenderStatus) -> str:
    if row.signal is None or row.signal == 99:
        return "unknown"
    return f"{row.signal} ({row.signal_word})" if row.signal_word else str(row.signal)


def limit_left(row: SenderStatus) -> str:
    """What the SIM's limits still allow now; `no limit` when none is set (limits are off by default)."""
    parts = []
    if row.messages_left is not None:
        parts.append(f"{row.messages_left} msgs")
    if row.new_recipients_left is not None:
        parts.append(f"{row.new_recipients_left} new")
    return ", ".join(parts) if parts else "no limit"


def alive_text(row: SenderStatus) -> str:
    if row.alive:
        return "yes"
    return "no" if row.status != "disabled" else "no (disabled)"


def render_table(rows: list[SenderStatus]) -> Table:
    table = Table(title=f"SIMs: {len(rows)}", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("SIM", "left"),
        ("number", "left"),
        ("worker", "left"),
        ("status", "left"),
        ("alive", "left"),
        ("signal", "left"),
        ("registration", "left"),
        ("sent today", "right"),
        ("delivered today", "right"),
        ("limit left", "left"),
        ("waiting", "right"),
        ("idle", "left"),
        ("last error", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)  # one SIM, one line (grep-able)
    for row in rows:
        table.add_row(
            sim_label(row),
            row.own_number or "unknown",
            row.worker_id or "-",
            row.status or "-",
            alive_text(row),
            signal_text(row),
            row.registration or "unknown",
            str(row.sent_today),
            str(row.delivered_today),
            limit_left(row),
            "-" if row.waiting is None else str(row.waiting),
            row.idle_reason or "",
            _short(redact_text(row.last_error)) if row.last_error else "",
        )
    return table


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def fetch(database: ListenerDatabase) -> list[SenderStatus]:
    await database.open()
    try:
        return await database.sender_status()
    finally:
        await database.close()


@app.command("status")
def status_command(
    mode: Annotated[
        Mode | None,
        typer.Option(help="postgres (DATABASE_URL) or supabase (SUPABASE_URL + service role key)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per SIM instead of a table")
    ] = False,
) -> None:
    """Every SIM of the bank (all boxes): number, worker, alive, signal, sent/delivered today, limits left."""
    try:
        settings = load_settings()
        chosen = choose_mode(settings, mode)
        database = build_transport(settings, chosen, poll_only=True, worker_id="status").database
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    # Only warnings and errors: the table is the output.
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    try:
        rows = asyncio.run(fetch(database))
    except ConnectorAuthError as exc:
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(2) from exc
    except ConnectorError as exc:
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        for row in rows:
            typer.echo(json.dumps({key: _json_value(value) for key, value in asdict(row).items()}))
        return
    probe = Console()
    console = Console(highlight=False, width=None if probe.is_terminal else PIPE_WIDTH)
    if not rows:
        console.print("No SIM registered yet: start a listener (python -m listener run) next to each modem.")
        return
    console.print(render_table(rows))
