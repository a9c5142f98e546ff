"""`python -m listener` / `sms-listener`: the long-running sender and its modem simulator.

The typer app lives here; each command lives beside the code it drives and registers itself on `app`
when its module is imported (listener/run.py: `run`; listener/modem/cli.py: `simulate-modem`;
listener/modem/pdu_cli.py: `decode-pdu`; listener/status_cli.py: `status`).
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="sms-listener",
    help="Send queued SMS bubbles through a GSM modem, or simulate a modem on a pseudo-terminal.",
    no_args_is_help=True,
    add_completion=False,
)

#: Modules whose import registers their commands on `app`.
COMMAND_MODULES = ("listener.run", "listener.modem.cli", "listener.modem.pdu_cli", "listener.status_cli")


def main() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    app()
