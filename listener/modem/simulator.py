"""A GSM modem on a real pseudo-terminal, for tests and demos without hardware.

The driver opens the simulator exactly as it opens /dev/ttyUSB0 (pyserial-asyncio on a tty). The
device path is a symlink the simulator owns, so "unplugging" can close the pty and "replugging" can
create a new one under the same path, as a USB stick that re-enumerates does.

It answers like a real modem: echo on until ATE0, OK / ERROR / +CME ERROR / +CMS ERROR (per AT+CMEE),
AT+CPIN? (optionally asking for a PIN), registration (+CREG/+CEREG), signal (+CSQ), operator (+COPS),
text and PDU mode AT+CMGS with the `> ` prompt, and +CMGS message references. PDUs are decoded and
concatenated parts reassembled into `SentMessage` records (number, text, parts), optionally written
as JSON lines. Profiles mimic real models' quirks (Huawei's COMMAND NOT SUPPORT for AT+CEREG?,
Wavecom's +CPIN: READY without OK, an LTE-only modem, SIM800's ERROR for AT+CEREG?).

Faults on demand: slow answers, +CMS ERROR <code> for the next N sends, no answer at all or no
answer after the body, unsolicited codes before every answer (and before the prompt) or as a
periodic flood, a SIM asking for a PIN, and the device disappearing and coming back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import tempfile
import tty
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from listener.modem.codes import CODES
from listener.modem.pdu import PduError, decode_submit
from sms_common.errors import SmsSchedulerError

Profile = Literal["generic", "huawei", "wavecom", "lte", "sim800"]
PROFILES: tuple[Profile, ...] = ("generic", "huawei", "wavecom", "lte", "sim800")

_CMGS_TEXT_RE = re.compile(r'^AT\+CMGS="([^"]*)"(?:,\d+)?$', re.I)
_CMGS_PDU_RE = re.compile(r"^AT\+CMGS=(\d+)$", re.I)
_CPIN_SET_RE = re.compile(r'^AT\+CPIN="?([^",]*)"?', re.I)


class SimulatorError(SmsSchedulerError):
    """The simulator was misused (a bad script line, an unknown profile)."""


@dataclass(frozen=True)
class SentMessage:
    """One complete SMS as the simulated network would deliver it."""

    number: str
    text: str
    parts: int
    alphabet: str
    mode: str
    references: tuple[int, ...]
    part_texts: tuple[str, ...]
    answered: bool = True
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["references"] = list(self.references)
        data["part_texts"] = list(self.part_texts)
        return data


@dataclass
class _Partial:
    alphabet: str
    total: int
    parts: dict[int, tuple[str, int]] = field(default_factory=dict)


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


class ModemSimulator:
    """`async with ModemSimulator() as sim:` then open `sim.device_path` with the driver."""

    def __init__(
        self,
        *,
        link: str | os.PathLike[str] | None = None,
        profile: Profile = "generic",
        pin: str | None = None,
        creg: int = 1,
        cereg: int = 1,
        signal: int = 21,
        operator: str = "Simulated Net",
        record: TextIO | None = None,
        faults: Faults | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise SimulatorError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
        self._own_dir: tempfile.TemporaryDirectory[str] | None = None
        if link is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="modem-sim-")
            link = Path(self._own_dir.name) / "modem"
        self.device_path = str(link)
        self.profile: Profile = profile
        self.faults = faults or Faults()
        self.pin = pin
        self.pin_tries = 3
        self.sim_state = "SIM PIN" if pin else "READY"
        self.creg = 0 if profile == "lte" else creg
        self.cereg = cereg
        self.signal = signal
        self.operator = operator
        self.record = record
        #: Complete messages, in the order their last part arrived.
        self.sent: list[SentMessage] = []
        #: Every command line received (a PIN shows as ****), for assertions.
        self.commands: list[str] = []
        #: Commands this firmware does not know (answered ERROR, or COMMAND NOT SUPPORT on Huawei).
        self.unsupported: set[str] = set()
        self.plugged = False
        self._echo = True
        self._cmee = 0
        self._cmgf = 0
        self._message_reference = 0
        self._partials: dict[tuple[str, int, int], _Partial] = {}
        self._master: int | None = None
        self._slave: int | None = None
        self.pty_path: str | None = None
        self._inbuf = bytearray()
        self._outbuf = bytearray()
        self._body_for: tuple[str, str] | None = None  # ("text", number) or ("pdu", length)
        self._work: asyncio.Queue[tuple[str, str]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> ModemSimulator:
        self._loop = asyncio.get_running_loop()
        self._work = asyncio.Queue()
        self._worker = asyncio.create_task(self._run_worker())
        self.plug()
        return self

    async def stop(self) -> None:
        self.unplug()
        for task in [*self._tasks, *([self._worker] if self._worker else [])]:
            task.cancel()
        for task in [*self._tasks, *([self._worker] if self._worker else [])]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._worker = None
        if self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None

    async def __aenter__(self) -> ModemSimulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def plug(self) -> None:
        """Create a fresh pty and point the device path at it (a modem appearing on USB)."""
        if self.plugged:
            return
        assert self._loop is not None, "start() the simulator first"
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.pty_path = os.ttyname(slave)
        link = Path(self.device_path)
        temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(self.pty_path)
        temporary.replace(link)
        self._echo, self._cmee, self._cmgf = True, 0, 0  # a power cycle resets the settings
        self.sim_state = "SIM PIN" if self.pin else "READY"
        self._inbuf.clear()
        self._outbuf.clear()
        self._body_for = None
        self._loop.add_reader(master, self._readable)
        self.plugged = True

    def unplug(self) -> None:
        """Close the pty and remove the device path (a modem vanishing from USB)."""
        if not self.plugged:
            return
        assert self._loop is not None
        if self._master is not None:
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
            os.close(self._master)
        if self._slave is not None:
            os.close(self._slave)
        self._master = self._slave = None
        with contextlib.suppress(FileNotFoundError):
            Path(self.device_path).unlink()
        self.plugged = False
        if self._work is not None:
            while not self._work.empty():
                self._work.get_nowait()

    # -- fault helpers -----------------------------------------------------------------------------

    def fail_next_sends(self, code: int, count: int = 1, *, after: int = 0) -> None:
        """Answer `count` submitted bodies with +CMS ERROR: `code`, after letting `after` through."""
        self.faults.cms_error_code = code
        self.faults.cms_error_count = count
        self.faults.cms_error_after = after

    def flood(self, line: str, interval: float) -> asyncio.Task[None]:
        """Write `line` as an unsolicited code every `interval` seconds until the task is cancelled."""

        async def run() -> None:
            while True:
                if self.plugged:
                    self._write_line(line)
                await asyncio.sleep(interval)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def unsolicited(self, line: str) -> None:
        """Write one unsolicited line now."""
        self._write_line(line)

    async def wait_sent(self, count: int, within: float = 10.0) -> list[SentMessage]:
        """Wait until at least `count` complete messages arrived (TimeoutError otherwise)."""

        async def reached() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent) >= count)

        await asyncio.wait_for(reached(), within)
        return list(self.sent)

    # -- I/O ---------------------------------------------------------------------------------------

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # EIO: no client has the slave open right now
        self._receive(data)

    def _receive(self, data: bytes) -> None:
        for byte in data:
            char = bytes([byte])
            if self._body_for is not None:
                if char == b"\x1a":
                    body = bytes(self._inbuf).decode("latin-1")
                    self._inbuf.clear()
                    kind, arg = self._body_for
                    self._body_for = None
                    self._enqueue("body", f"{kind}\x00{arg}\x00{body}")
                elif char == b"\x1b":
                    self._inbuf.clear()
                    self._body_for = None
                else:
                    self._inbuf.extend(char)
                    if self._echo:
                        self._write(char)
                continue
            if self._echo:
                self._write(char)
            if char == b"\r":
                line = bytes(self._inbuf).decode("latin-1").strip()
                self._inbuf.clear()
                if line:
                    self._enqueue("command", line)
            elif char == b"\x1b":
                self._inbuf.clear()
            elif char != b"\n":
                self._inbuf.extend(char)

    def _enqueue(self, kind: str, payload: str) -> None:
        assert self._work is not None
        self._work.put_nowait((kind, payload))

    def _write(self, data: bytes) -> None:
        if self._master is None:
            return
        self._outbuf.extend(data)
        self._flush()

    def _flush(self) -> None:
        master = self._master
        if master is None or self._loop is None:
            return
        while self._outbuf:
            try:
                written = os.write(master, self._outbuf)
            except BlockingIOError:
                self._loop.add_writer(master, self._flush)
                return
            except OSError:
                self._outbuf.clear()
                return
            del self._outbuf[:written]
        self._loop.remove_writer(master)

    def _write_line(self, line: str) -> None:
        self._write(f"\r\n{line}\r\n".encode("latin-1"))

    # -- the modem ---------------------------------------------------------------------------------

    async def _run_worker(self) -> None:
        assert self._work is not None
        while True:
            kind, payload = await self._work.get()
            if kind == "command":
                await self._command(payload)
            else:
                body_kind, arg, body = payload.split("\x00", 2)
                await self._body(body_kind, arg, body)

    async def _answer(self, *lines: str, prompt: bool = False) -> bool:
        """Write `lines` (after the configured delay and unsolicited lines); False if silent."""
        if self.faults.silent:
            return False
        if self.faults.delay > 0:
            await asyncio.sleep(self.faults.delay)
        if not self.plugged:
            return False
        for extra in self.faults.unsolicited:
            self._write_line(extra)
        for line in lines:
            self._write_line(line)
        if prompt:
            self._write(b"\r\n> ")
        return True

    def _cme(self, code: int) -> str:
        return self._error("CME", code)

    def _cms(self, code: int) -> str:
        return self._error("CMS", code)

    def _error(self, kind: Literal["CME", "CMS"], code: int) -> str:
        if self._cmee == 0:
            return "ERROR"
        if self._cmee == 2 and (kind, code) in CODES:
            return f"+{kind} ERROR: {CODES[(kind, code)].meaning}"
        return f"+{kind} ERROR: {code}"

    def _unknown(self) -> str:
        return "COMMAND NOT SUPPORT" if self.profile == "huawei" else "ERROR"

    async def _command(self, line: str) -> None:
        upper = line.upper()
        self.commands.append('AT+CPIN="****"' if upper.startswith("AT+CPIN=") else line)
        if upper in self.unsupported:
            await self._answer(self._unknown())
            return
        handler = self._handlers().get(upper)
        if handler is not None:
            await handler()
            return
        if upper in ("ATE0", "ATE1", "ATE"):
            self._echo = upper == "ATE1"
            await self._answer("OK")
        elif upper.startswith("AT+CMEE="):
            value = upper.split("=", 1)[1]
            if value in ("0", "1", "2"):
                self._cmee = int(value)
                await self._answer("OK")
            else:
                await self._answer(self._cme(50))
        elif upper.startswith("AT+CMGF="):
            value = upper.split("=", 1)[1]
            if value in ("0", "1"):
                self._cmgf = int(value)
                await self._answer("OK")
            else:
                await self._answer(self._cms(305))
        elif upper.startswith("AT+CPIN="):
            await self._enter_pin(line)
        elif upper.startswith(("AT+CREG=", "AT+CEREG=", "AT+CSCS=", "AT+CNMI=", "AT+CSMP=", "AT+CSCA")):
            await self._answer("OK")
        elif upper.startswith("AT+CMGS="):
            await self._start_send(line)
        else:
            await self._answer(self._unknown())

    def _handlers(self) -> dict[str, Callable[[], Any]]:
        return {
            "AT": lambda: self._answer("OK"),
            "ATZ": lambda: self._answer("OK"),
            "ATI": lambda: self._answer(
                "Manufacturer: Simulated", f"Model: {self.profile}", "Revision: 1.0", "OK"
            ),
            "AT+CGMI": lambda: self._answer("Simulated", "OK"),
            "AT+CGMM": lambda: self._answer(self.profile, "OK"),
            "AT+CPIN?": self._cpin_query,
            "AT+CREG?": lambda: self._answer(f"+CREG: 0,{self._creg_state()}", "OK"),
            "AT+CEREG?": self._cereg_query,
            "AT+CSQ": lambda: self._answer(f"+CSQ: {self.signal},99", "OK"),
            "AT+COPS?": lambda: self._answer(
                f'+COPS: 0,0,"{self.operator}",{7 if self.profile == "lte" else 2}'
                if self._registered()
                else "+COPS: 0",
                "OK",
            ),
            "AT+CMGF?": lambda: self._answer(f"+CMGF: {self._cmgf}", "OK"),
        }

    def _registered(self) -> bool:
        return self.sim_state == "READY" and (self.creg in (1, 5) or self.cereg in (1, 5))

    def _creg_state(self) -> int:
        return self.creg if self.sim_state == "READY" else 0

    async def _cpin_query(self) -> None:
        line = f"+CPIN: {self.sim_state}"
        if self.profile == "wavecom" and self.sim_state == "READY":
            await self._answer(line)  # Wavecom: no OK after +CPIN: READY
        else:
            await self._answer(line, "OK")

    async def _cereg_query(self) -> None:
        if self.profile == "huawei":
            await self._answer("COMMAND NOT SUPPORT")
        elif self.profile == "sim800":
            await self._answer("ERROR")
        else:
            await self._answer(f"+CEREG: 0,{self.cereg if self.sim_state == 'READY' else 0}", "OK")

    async def _enter_pin(self, line: str) -> None:
        match = _CPIN_SET_RE.match(line)
        given = match.group(1) if match else ""
        if self.sim_state != "SIM PIN":
            await self._answer(self._cme(3))
        elif given == self.pin:
            self.sim_state = "READY"
            self.pin_tries = 3
            await self._answer("OK")
        else:
            self.pin_tries -= 1
            if self.pin_tries <= 0:
                self.sim_state = "SIM PUK"
            await self._answer(self._cme(16))

    async def _start_send(self, line: str) -> None:
        if self.sim_state != "READY":
            await self._answer(self._cms(311 if self.sim_state == "SIM PIN" else 316))
            return
        if not self._registered():
            await self._answer(self._cms(331))
            return
        text_match = _CMGS_TEXT_RE.match(line)
        pdu_match = _CMGS_PDU_RE.match(line)
        if self._cmgf == 1 and text_match:
            self._body_for = ("text", text_match.group(1))
        elif self._cmgf == 0 and pdu_match:
            self._body_for = ("pdu", pdu_match.group(1))
        else:
            await self._answer(self._cms(305 if self._cmgf == 1 else 304))
            return
        if not await self._answer(prompt=True):
            self._body_for = None

    async def _body(self, kind: str, arg: str, body: str) -> None:
        if self.faults.body_answer_delay > 0:
            await asyncio.sleep(self.faults.body_answer_delay)
        if self.faults.cms_error_count > 0 and self.faults.cms_error_after > 0:
            self.faults.cms_error_after -= 1
        elif self.faults.cms_error_count > 0:
            self.faults.cms_error_count -= 1
            await self._answer(self._cms(self.faults.cms_error_code))
            return
        if kind == "text":
            reference = self._next_reference()
            await self._deliver(SentMessage(arg, body, 1, "gsm7", "text", (reference,), (body,)))
            await self._answer_sent(reference)
            return
        try:
            decoded = decode_submit(body)
            if len(bytes.fromhex(body.strip())) - 1 - bytes.fromhex(body.strip())[0] != int(arg):
                raise PduError(f"AT+CMGS={arg} does not match the PDU's length")
        except (PduError, ValueError):
            await self._answer(self._cms(304))
            return
        reference = self._next_reference()
        concat = decoded.concatenation
        if concat is None or concat.total <= 1:
            message = SentMessage(
                decoded.number, decoded.text, 1, decoded.alphabet, "pdu", (reference,), (decoded.text,)
            )
            await self._deliver(message)
        else:
            key = (decoded.number, concat.reference, concat.total)
            partial = self._partials.setdefault(key, _Partial(decoded.alphabet, concat.total))
            partial.parts[concat.sequence] = (decoded.text, reference)
            if len(partial.parts) == partial.total:
                del self._partials[key]
                ordered = [partial.parts[i] for i in sorted(partial.parts)]
                texts = tuple(text for text, _ in ordered)
                message = SentMessage(
                    decoded.number,
                    "".join(texts),
                    partial.total,
                    partial.alphabet,
                    "pdu",
                    tuple(ref for _, ref in ordered),
                    texts,
                )
                await self._deliver(message)
        await self._answer_sent(reference)

    async def _answer_sent(self, reference: int) -> None:
        if self.faults.unplug_after_body:
            self.unplug()
            return
        if self.faults.silent_after_body:
            return
        await self._answer(f"+CMGS: {reference}", "OK")

    def _next_reference(self) -> int:
        self._message_reference = (self._message_reference + 1) % 256
        return self._message_reference

    async def _deliver(self, message: SentMessage) -> None:
        if self.faults.silent_after_body or self.faults.unplug_after_body:
            message = SentMessage(**{**message.__dict__, "answered": False})
        if self.record is not None:
            self.record.write(json.dumps(message.as_dict(), ensure_ascii=False) + "\n")
            self.record.flush()
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()


# -- scripts -----------------------------------------------------------------------------------------

SCRIPT_HELP = """\
One action per line, optionally prefixed with `at <seconds>` (time since start); `#` starts a comment.
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
"""


@dataclass(frozen=True)
class ScriptStep:
    at: float
    action: str
    args: tuple[str, ...]
    line_number: int


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
        if not words:
            raise SimulatorError(f"script line {number}: no action after `at`")
        step = ScriptStep(at, words[0], tuple(words[1:]), number)
        _check_step(step)
        steps.append(step)
    return sorted(steps, key=lambda s: s.at)


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
}


def _check_step(step: ScriptStep) -> None:
    where = f"script line {step.line_number}"
    if step.action not in _ARITY:
        raise SimulatorError(f"{where}: unknown action {step.action!r}; known: {', '.join(_ARITY)}")
    low, high = _ARITY[step.action]
    if not low <= len(step.args) <= high:
        raise SimulatorError(f"{where}: {step.action} takes {low}..{high} arguments, got {len(step.args)}")
    numeric = {"delay": 1, "cms-error": 3, "registration": 2, "signal": 1, "unplug": 1}
    for arg in step.args[: numeric.get(step.action, 0)]:
        try:
            float(arg)
        except ValueError:
            raise SimulatorError(f"{where}: {step.action} expects numbers, got {arg!r}") from None
    if step.action == "flood" and step.args != ("off",) and len(step.args) != 2:
        raise SimulatorError(f"{where}: flood <line> <interval>, or flood off")
    if step.action == "silent-after-body" and step.args[0] not in ("on", "off"):
        raise SimulatorError(f"{where}: silent-after-body on|off")


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


async def run_script(sim: ModemSimulator, steps: list[ScriptStep]) -> None:
    """Run `steps` at their times (relative to now)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    floods: list[asyncio.Task[None]] = []
    for step in steps:
        wait = start + step.at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        await apply_step(sim, step, floods)
