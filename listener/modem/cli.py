"""`python -m listener simulate-modem`: a modem on a pseudo-terminal for demos and end-to-end tests.

Prints the device path as the first line of stdout (point MODEM_PORT at it), then the SMS it
"sent" as JSON lines (to stdout or --record FILE), until SIGINT or SIGTERM. The script (--script)
can also play the network: a customer's reply (`after 3 sent reply +15557654321 STOP`), a delivery
report; --status-reports reports on every part sent. --imsi / --iccid / --sim-number give it a known
SIM (a bank of simulators on one box then registers as the SIMs you chose).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from listener.cli import app
from listener.modem.simulator import (
    PROFILES,
    SCRIPT_HELP,
    Faults,
    ModemSimulator,
    ScriptStep,
    SimulatorError,
    parse_script,
    run_script,
)
from listener.modem.simulator.profiles import Profile
from listener.modem.simulator.sim_card import SimCard, default_sim_card


@app.command(
    "simulate-modem", help=f"Simulate a GSM modem on a pseudo-terminal.\n\nScript format:\n\n{SCRIPT_HELP}"
)
def simulate_modem(
    link: Annotated[
        Path | None,
        typer.Option(help="stable device path (a symlink the simulator owns); default: a temp path"),
    ] = None,
    record: Annotated[str, typer.Option(help="where to write sent SMS as JSON lines; '-' is stdout")] = "-",
    profile: Annotated[str, typer.Option(help=f"modem model quirks: {', '.join(PROFILES)}")] = "generic",
    pin: Annotated[str | None, typer.Option(help="the SIM asks for this PIN")] = None,
    delay: Annotated[float, typer.Option(help="seconds before every answer")] = 0.0,
    cms_error: Annotated[int | None, typer.Option(help="answer sends with +CMS ERROR: <code>")] = None,
    cms_error_count: Annotated[int, typer.Option(help="how many sends get --cms-error")] = 1,
    silent: Annotated[bool, typer.Option(help="answer nothing at all")] = False,
    silent_after_body: Annotated[bool, typer.Option(help="take SMS bodies, never answer them")] = False,
    unsolicited: Annotated[
        list[str] | None, typer.Option(help="unsolicited line written before every answer (repeatable)")
    ] = None,
    creg: Annotated[int, typer.Option(help="+CREG registration state")] = 1,
    cereg: Annotated[int, typer.Option(help="+CEREG registration state")] = 1,
    signal_quality: Annotated[int, typer.Option("--signal", help="+CSQ rssi (0..31, 99 unknown)")] = 21,
    script: Annotated[Path | None, typer.Option(help="fault script (format below)")] = None,
    status_reports: Annotated[
        int | None,
        typer.Option(
            help="send a delivery report with this TP-ST (0 delivered) for every part sent with TP-SRR"
        ),
    ] = None,
    status_report_delay: Annotated[
        float, typer.Option(help="seconds between a part sent and its delivery report")
    ] = 2.0,
    next_reference: Annotated[
        int, typer.Option(min=0, max=255, help="the +CMGS reference of the first part sent (it wraps at 256)")
    ] = 1,
    imsi: Annotated[
        str | None, typer.Option(help="the SIM's IMSI (6-15 digits); default: random on test network 001-01")
    ] = None,
    iccid: Annotated[
        str | None, typer.Option(help="the SIM's ICCID (18-22 digits, as printed); default: random")
    ] = None,
    sim_number: Annotated[
        str | None,
        typer.Option(help="the number in the SIM's MSISDN record (+E.164, AT+CNUM); default: the model's"),
    ] = None,
) -> None:
    if profile not in PROFILES:
        raise typer.BadParameter(f"choose one of {', '.join(PROFILES)}", param_hint="--profile")
    card = _sim_card(profile, imsi, iccid, sim_number)
    steps: list[ScriptStep] = []
    if script is not None:
        try:
            steps = parse_script(script.read_text(encoding="utf-8"))
        except (OSError, SimulatorError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--script") from exc
    faults = Faults(
        delay=delay,
        cms_error_code=cms_error if cms_error is not None else 500,
        cms_error_count=cms_error_count if cms_error is not None else 0,
        silent=silent,
        silent_after_body=silent_after_body,
        unsolicited=tuple(unsolicited or ()),
    )
    with contextlib.ExitStack() as stack:
        out: TextIO = (
            sys.stdout if record == "-" else stack.enter_context(Path(record).open("a", encoding="utf-8"))
        )
        sim = ModemSimulator(
            link=link,
            profile=profile,
            pin=pin,
            creg=creg,
            cereg=cereg,
            signal=signal_quality,
            record=out,
            faults=faults,
            next_reference=next_reference,
            auto_status_reports=status_reports,
            status_report_delay=status_report_delay,
            sim=card,
        )
        asyncio.run(_serve(sim, steps))


def _sim_card(profile: Profile, imsi: str | None, iccid: str | None, number: str | None) -> SimCard:
    """The SIM in the simulated modem: the model's default card with what the options say replaced,
    so several simulators on one box can stand for a known bank of SIMs (e.g. to test `listener status`)."""
    if imsi is not None and not re.fullmatch(r"[0-9]{6,15}", imsi):
        raise typer.BadParameter(f"{imsi!r} is not an IMSI: 6 to 15 digits", param_hint="--imsi")
    if iccid is not None and not re.fullmatch(r"[0-9]{18,22}", iccid):
        raise typer.BadParameter(f"{iccid!r} is not an ICCID: 18 to 22 digits", param_hint="--iccid")
    if number is not None and not re.fullmatch(r"\+[1-9][0-9]{6,14}", number):
        raise typer.BadParameter(f"{number!r} is not a +E.164 number", param_hint="--sim-number")
    card = default_sim_card(profile)
    return SimCard(
        imsi=imsi if imsi is not None else card.imsi,
        iccid=iccid if iccid is not None else card.iccid,
        own_number=number if number is not None else card.own_number,
    )


async def _serve(sim: ModemSimulator, steps: list[ScriptStep]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with sim:
        print(sim.device_path, flush=True)
        script = asyncio.create_task(run_script(sim, steps))
        await stop.wait()
        script.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await script
