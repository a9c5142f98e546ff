"""The simulated modem's misbehaviour: the `Faults` a test sets, and fault scripts that set them
over time (`python -m listener simulate-modem --script`). Scripts also play the network's part:
a customer's reply, a raw PDU, a delivery report, at a time or after so many messages were sent.

Slow answers, +CMS ERROR <code> for the next N sends, no answer at all or no answer after the body, a
late answer, the device vanishing right after a body, unsolicited codes before every answer (and
before the prompt) or as a periodic flood, a SIM asking for a PIN, and the device disappearing and
coming back.
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from listener.modem.simulator.reception import Style
from sms_common.errors import SmsSchedulerError

if TYPE_CHECKING:
    from listener.modem.simulator import ModemSimulator


class SimulatorError(SmsSchedulerError):
    """The simulator was misused (a bad script line, an unknown profile)."""


@dataclass
class Faults:
    """The simulator's current misbehaviour (change it at any time)."""

    #: Seconds to wait before every answer (and before the prompt).
    delay: float = 0.0
    #: Answer the next `cms_error_count` submitted bodies with +CMS ERROR: cms_error_code.
    cms_error_code: int = 500
    cms_error_count: int = 0
    #: ... after letting this many bodies through first (e.g. 1: the second part of a long SMS fails).
    cms_error_after: int = 0
    #: Answer nothing at all.
    silent: bool = False
    #: Take the body, then answer nothing (the SMS may or may not have gone out).
    silent_after_body: bool = False
    #: Take the body (the network has it), then vanish from USB before answering.
    unplug_after_body: bool = False
    #: Seconds to wait before answering a body (on top of `delay`): a late +CMGS or +CMS ERROR.
    body_answer_delay: float = 0.0
    #: Unsolicited lines written before every answer and before the `> ` prompt.
    unsolicited: tuple[str, ...] = ()
    #: Where announcements of new messages and reports go: "now", or held until the middle of the
    #: next answer of two lines or more (before its final code), or until the next `> ` prompt.
    urc_placement: Literal["now", "mid-answer", "before-prompt"] = "now"


# -- scripts -----------------------------------------------------------------------------------------

SCRIPT_HELP = """\
One action per line, optionally prefixed with `at <seconds>` (time since start) and/or
`after <n> sent` (once the simulator has sent n messages); `#` starts a comment. Steps run in order
of their time.
  delay <seconds>                 answer every command after this many seconds (0: at once)
  cms-error <code> [<count>] [<after>]
                                  answer <count> (default 1) sends with +CMS ERROR: <code>,
                                  after letting <after> (default 0) sends through
  silent | resume                 stop / resume answering anything
  silent-after-body on|off        take SMS bodies but never answer them
  unsolicited <line>...           write these lines before every answer and prompt (none: stop)
  urc <line>                      write one unsolicited line now
  flood <line> <interval>         write <line> every <interval> seconds; `flood off` stops
  pin <pin>                       the SIM asks for this PIN (after the next replug)
  registration <creg> [<cereg>]   +CREG / +CEREG state (1 home, 5 roaming, 2 searching, 3 denied)
  signal <rssi>                   +CSQ value (0..31, 99 unknown)
  unplug [<seconds>]              the device disappears (and comes back after <seconds>)
  replug                          the device comes back
  reply <sender> <text> [stored|direct|silent]
                                  the network delivers an SMS from <sender> (concatenated if long),
                                  announced as AT+CNMI says unless a style is given
  pdu <hex>                       the network delivers this raw PDU (with its SMSC field)
  report <reference> <status> [<recipient>]
                                  a delivery report (TP-ST <status>, e.g. 0 delivered, 70 expired)
                                  for the part sent with +CMGS reference <reference>; the recipient
                                  defaults to the one that part was sent to
  auto-reports <status>|off       report every part sent with TP-SRR with this TP-ST
  reports [<status>]              deliver the reports still pending now
"""


@dataclass(frozen=True)
class ScriptStep:
    at: float
    action: str
    args: tuple[str, ...]
    line_number: int
    #: Wait until the simulator has sent this many messages (`after <n> sent`), None: do not wait.
    after_sent: int | None = None


def parse_script(text: str) -> list[ScriptStep]:
    """Parse a fault script (see SCRIPT_HELP); raises SimulatorError naming the bad line."""
    steps: list[ScriptStep] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise SimulatorError(f"script line {number}: {exc}") from exc
        at = 0.0
        if words[0] == "at":
            try:
                at = float(words[1])
            except (IndexError, ValueError) as exc:
                raise SimulatorError(f"script line {number}: `at` needs a number of seconds") from exc
            words = words[2:]
        after_sent: int | None = None
        if words and words[0] == "after":
            if len(words) < 3 or not words[1].isdigit() or words[2] != "sent":
                raise SimulatorError(f"script line {number}: `after <n> sent` needs a whole number")
            after_sent = int(words[1])
            words = words[3:]
        if not words:
            raise SimulatorError(f"script line {number}: no action after `at`/`after`")
        step = ScriptStep(at, words[0], tuple(words[1:]), number, after_sent)
        _check_step(step)
        steps.append(step)
    return sorted(steps, key=lambda s: s.at)


_STYLES: dict[str, Style] = {"stored": "stored", "direct": "direct", "silent": "silent"}

_ARITY = {
    "delay": (1, 1),
    "cms-error": (1, 3),
    "silent": (0, 0),
    "resume": (0, 0),
    "silent-after-body": (1, 1),
    "unsolicited": (0, 99),
    "urc": (1, 1),
    "flood": (1, 2),
    "pin": (1, 1),
    "registration": (1, 2),
    "signal": (1, 1),
    "unplug": (0, 1),
    "replug": (0, 0),
    "reply": (2, 3),
    "pdu": (1, 1),
    "report": (2, 3),
    "auto-reports": (1, 1),
    "reports": (0, 1),
}


def _check_step(step: ScriptStep) -> None:
    where = f"script line {step.line_number}"
    if step.action not in _ARITY:
        raise SimulatorError(f"{where}: unknown action {step.action!r}; known: {', '.join(_ARITY)}")
    low, high = _ARITY[step.action]
    if not low <= len(step.args) <= high:
        raise SimulatorError(f"{where}: {step.action} takes {low}..{high} arguments, got {len(step.args)}")
    numeric = {
        "delay": 1,
        "cms-error": 3,
        "registration": 2,
        "signal": 1,
        "unplug": 1,
        "report": 2,
        "reports": 1,
    }
    for arg in step.args[: numeric.get(step.action, 0)]:
        try:
            float(arg)
        except ValueError:
            raise SimulatorError(f"{where}: {step.action} expects numbers, got {arg!r}") from None
    if step.action == "flood" and step.args != ("off",) and len(step.args) != 2:
        raise SimulatorError(f"{where}: flood <line> <interval>, or flood off")
    if step.action == "silent-after-body" and step.args[0] not in ("on", "off"):
        raise SimulatorError(f"{where}: silent-after-body on|off")
    if step.action == "reply" and len(step.args) == 3 and step.args[2] not in _STYLES:
        raise SimulatorError(f"{where}: reply <sender> <text> [stored|direct|silent]")
    if step.action == "auto-reports" and step.args[0] != "off" and not step.args[0].isdigit():
        raise SimulatorError(f"{where}: auto-reports <status>|off")


async def apply_step(sim: ModemSimulator, step: ScriptStep, floods: list[asyncio.Task[None]]) -> None:
    """Carry out one script step on `sim`."""
    action, args = step.action, step.args
    if action == "delay":
        sim.faults.delay = float(args[0])
    elif action == "cms-error":
        sim.fail_next_sends(
            int(args[0]), int(args[1]) if len(args) > 1 else 1, after=int(args[2]) if len(args) > 2 else 0
        )
    elif action == "silent":
        sim.faults.silent = True
    elif action == "resume":
        sim.faults.silent = False
    elif action == "silent-after-body":
        sim.faults.silent_after_body = args[0] == "on"
    elif action == "unsolicited":
        sim.faults.unsolicited = args
    elif action == "urc":
        sim.unsolicited(args[0])
    elif action == "flood":
        for task in floods:
            task.cancel()
        floods.clear()
        if args != ("off",):
            floods.append(sim.flood(args[0], float(args[1])))
    elif action == "pin":
        sim.pin = args[0]
    elif action == "registration":
        sim.creg = int(args[0])
        if len(args) > 1:
            sim.cereg = int(args[1])
    elif action == "signal":
        sim.signal = int(args[0])
    elif action == "unplug":
        sim.unplug()
        if args:
            await asyncio.sleep(float(args[0]))
            sim.plug()
    elif action == "replug":
        sim.plug()
    elif action == "reply":
        sim.inject_reply(args[0], args[1], style=_STYLES[args[2]] if len(args) > 2 else None)
    elif action == "pdu":
        sim.inject_pdu(args[0])
    elif action == "report":
        reference, status = int(args[0]), int(args[1])
        recipient = args[2] if len(args) > 2 else sim.recipient_of(reference)
        if recipient is None:
            raise SimulatorError(
                f"script line {step.line_number}: nothing was sent with reference {reference}"
            )
        sim.inject_status_report(reference, recipient, status)
    elif action == "auto-reports":
        sim.auto_status_reports = None if args[0] == "off" else int(args[0])
    elif action == "reports":
        sim.deliver_pending_reports(int(args[0]) if args else None)


async def run_script(sim: ModemSimulator, steps: list[ScriptStep]) -> None:
    """Run `steps` at their times (relative to now)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    floods: list[asyncio.Task[None]] = []
    for step in steps:
        wait = start + step.at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if step.after_sent is not None:
            await sim.wait_sent(step.after_sent, within=None)
        await apply_step(sim, step, floods)
