"""The simulated modem's firmware: AT commands in, answers out, SMS bodies decoded into messages.

It answers like a real modem: echo on until ATE0, OK / ERROR / +CME ERROR / +CMS ERROR (per AT+CMEE),
AT+CPIN? (optionally asking for a PIN), registration (+CREG/+CEREG), signal (+CSQ), operator (+COPS),
text and PDU mode AT+CMGS with the `> ` prompt, and +CMGS message references (8 bits: they wrap
from 255 to 0). PDUs are decoded and concatenated parts reassembled into `SentMessage` records
(number, text, parts), optionally written as JSON lines. The receiving side (memories, AT+CNMI,
AT+CMGR/CMGL/CMGD, announcements) is `reception.Reception`; replies and delivery reports are put in
with `inject_reply`, `inject_pdu`, `inject_status_report` and, for reports on what was sent,
`auto_status_reports` with `deliver_pending_reports()`. Where models differ it reads its `ModemModel` (profiles.py); where a test wants it to
misbehave it reads its `Faults` (faults.py). It knows nothing about the device: bytes come in through
`receive` and go out through `_write`, which `ModemSimulator` connects to a pty.
"""

from __future__ import annotations

import abc
import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TextIO, TypedDict, Unpack

from listener.modem.codes import CODES
from listener.modem.pdu import PduError, decode_submit
from listener.modem.simulator.faults import Faults, SimulatorError
from listener.modem.simulator.pdus import DEFAULT_SMSC, build_deliver, build_status_report
from listener.modem.simulator.profiles import MODELS, ModemModel, Profile
from listener.modem.simulator.reception import Arrival, Kind, Reception, Style
from listener.modem.simulator.sim_card import SimCard, default_sim_card, identity_answer, random_imei

_CMGS_TEXT_RE = re.compile(r'^AT\+CMGS="([^"]*)"(?:,\d+)?$', re.I)
_CMGS_PDU_RE = re.compile(r"^AT\+CMGS=(\d+)$", re.I)
_CPIN_SET_RE = re.compile(r'^AT\+CPIN="?([^",]*)"?', re.I)
_CSMP_RE = re.compile(r"^AT\+CSMP=(\d+)", re.I)


@dataclass(frozen=True)
class PendingReport:
    """A part sent with TP-SRR whose delivery report the network has not sent yet."""

    reference: int
    recipient: str
    submitted_at: datetime


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


class FirmwareOptions(TypedDict, total=False):
    """How the simulated modem starts (all optional; `ModemSimulator` passes them on as they are)."""

    #: The model whose quirks to mimic (profiles.MODELS).
    profile: Profile
    #: The SIM asks for this PIN.
    pin: str | None
    #: +CREG / +CEREG states (1 home, 5 roaming, 2 searching, 3 denied).
    creg: int
    cereg: int
    #: +CSQ <rssi> (0..31, 99 unknown).
    signal: int
    operator: str
    #: The SIM in the modem (default or None: a random one; sim_card.py).
    sim: SimCard | None
    #: Where complete messages are written as JSON lines.
    record: TextIO | None
    faults: Faults | None
    #: The +CMGS reference of the next part sent (0..255; it wraps at 256).
    next_reference: int
    #: TP-ST of the report the network sends for every part sent with TP-SRR (None: no reports).
    auto_status_reports: int | None
    #: Seconds before such a report arrives; None: only when `deliver_pending_reports()` is called.
    status_report_delay: float | None
    #: The service centre in the PDUs the network sends.
    smsc: str


class AtEmulator(abc.ABC):
    """The modem's state and its answers (see the module docstring)."""

    def __init__(self, **options: Unpack[FirmwareOptions]) -> None:
        profile = options.get("profile", "generic")
        pin = options.get("pin")
        creg = options.get("creg", 1)
        if profile not in MODELS:
            raise SimulatorError(f"unknown profile {profile!r}; choose one of {', '.join(MODELS)}")
        self.model: ModemModel = MODELS[profile]
        self.faults = options.get("faults") or Faults()
        self.pin = pin
        self.pin_tries = 3
        self.sim_state = "SIM PIN" if pin else "READY"
        self.creg = 0 if self.model.lte_only else creg
        self.cereg = options.get("cereg", 1)
        self.signal = options.get("signal", 21)
        self.operator = options.get("operator", "Simulated Net")
        #: The SIM card: replace it (while unplugged) to simulate a swapped SIM.
        self.sim: SimCard = options.get("sim") or default_sim_card(profile)
        self.imei = random_imei()
        self.record = options.get("record")
        #: Complete messages, in the order their last part arrived.
        self.sent: list[SentMessage] = []
        #: Every command line received (a PIN shows as ****), for assertions.
        self.commands: list[str] = []
        #: Commands this firmware does not know (answered with the model's unknown-command code).
        self.unsupported: set[str] = set()
        self._echo = True
        self._cmee = 0
        self._cmgf = 0
        self._message_reference = options.get("next_reference", 1) % 256
        self.auto_status_reports = options.get("auto_status_reports")
        self.status_report_delay = options.get("status_report_delay")
        self.smsc = options.get("smsc", DEFAULT_SMSC)
        #: Parts sent with TP-SRR whose report is still to come (see deliver_pending_reports).
        self.pending_reports: list[PendingReport] = []
        self._csmp_first_octet = 17
        self._concat_reference = 0
        #: Announcements waiting for their place (Faults.urc_placement).
        self._held_urcs: list[list[str]] = []
        self.reception = Reception(self.model, cms=self._cms, urc=self._announce)
        self._partials: dict[tuple[str, int, int], _Partial] = {}
        self._inbuf = bytearray()
        self._body_for: tuple[str, str] | None = None  # ("text", number) or ("pdu", length)
        self._work: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._changed = asyncio.Condition()

    @property
    def profile(self) -> Profile:
        return self.model.name

    @profile.setter
    def profile(self, name: Profile) -> None:
        self.use_model(MODELS[name])

    def use_model(self, model: ModemModel) -> None:
        """Mimic `model` (a profile, or a variant made with dataclasses.replace); memories it shares
        with the current model keep their messages."""
        self.model = model
        self.reception.use_model(model)
        self.reception.reset()

    @property
    @abc.abstractmethod
    def plugged(self) -> bool:
        """Whether the device is there to be written to."""

    @abc.abstractmethod
    def _write(self, data: bytes) -> None:
        """Send bytes to the driver."""

    @abc.abstractmethod
    def unplug(self) -> None:
        """The device goes away (a fault: `Faults.unplug_after_body`)."""

    def power_cycle(self) -> None:
        """A modem that comes back on USB has lost its settings and any half-typed command."""
        self._echo, self._cmee, self._cmgf = True, 0, 0
        self.sim_state = "SIM PIN" if self.pin else "READY"
        self._inbuf.clear()
        self._body_for = None
        self._csmp_first_octet = 17
        self._held_urcs.clear()
        self.reception.reset()  # AT+CNMI / AT+CPMS settings are lost; the SIM's messages are not

    def drop_pending(self) -> None:
        """Forget commands not answered yet (the device went away)."""
        while not self._work.empty():
            self._work.get_nowait()

    async def wait_sent(self, count: int, within: float | None = 10.0) -> list[SentMessage]:
        """Wait until at least `count` complete messages arrived (TimeoutError otherwise; None: forever)."""

        async def reached() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent) >= count)

        await asyncio.wait_for(reached(), within)
        return list(self.sent)

    def receive(self, data: bytes) -> None:
        """Bytes the driver wrote: echo, command lines, SMS bodies up to Ctrl-Z (ESC cancels)."""
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
        self._work.put_nowait((kind, payload))

    def _write_line(self, line: str) -> None:
        self._write(f"\r\n{line}\r\n".encode("latin-1"))

    async def run(self) -> None:
        """Answer queued commands and bodies one at a time, in order, until cancelled."""
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
        placement = self.faults.urc_placement
        if placement == "mid-answer" and len(lines) >= 2 and self._held_urcs:
            for line in lines[:-1]:
                self._write_line(line)
            self._flush_held()
            self._write_line(lines[-1])
        else:
            for line in lines:
                self._write_line(line)
        if prompt:
            if placement == "before-prompt":
                self._flush_held()
            self._write(b"\r\n> ")
        return True

    def _announce(self, lines: list[str]) -> None:
        """An unsolicited code (one or two lines) now, or held for its place (Faults.urc_placement)."""
        if self.faults.urc_placement == "now":
            if self.plugged:
                for line in lines:
                    self._write_line(line)
        else:
            self._held_urcs.append(lines)

    def _flush_held(self) -> None:
        held, self._held_urcs = self._held_urcs, []
        for block in held:
            for line in block:
                self._write_line(line)

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
        return self.model.unknown_command

    async def _command(self, line: str) -> None:
        upper = line.upper()
        self.commands.append('AT+CPIN="****"' if upper.startswith("AT+CPIN=") else line)
        if upper in self.unsupported:
            await self._answer(self._unknown())
            return
        identity = identity_answer(self, upper)
        if identity is not None:
            await self._answer(*identity)
            return
        handler = self._handlers().get(upper)
        if handler is not None:
            await handler()
            return
        answer = self.reception.handle(line, pdu_mode=self._cmgf == 0)
        if answer is not None:
            await self._answer(*answer)
            if upper.startswith("AT+CMGD") and answer[-1] == "OK":
                self.reception.redeliver_held()
            return
        csmp = _CSMP_RE.match(line)
        if csmp:
            self._csmp_first_octet = int(csmp.group(1))
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
        elif upper.startswith(("AT+CREG=", "AT+CEREG=", "AT+CSCS=", "AT+CSMP=", "AT+CSCA")):
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
            "AT+CPIN?": self._cpin_query,
            "AT+CREG?": lambda: self._answer(f"+CREG: 0,{self._creg_state()}", "OK"),
            "AT+CEREG?": self._cereg_query,
            "AT+CSQ": lambda: self._answer(f"+CSQ: {self.signal},99", "OK"),
            "AT+COPS?": lambda: self._answer(
                f'+COPS: 0,0,"{self.operator}",{self.model.access_technology}'
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
        if not self.model.ok_after_cpin_ready and self.sim_state == "READY":
            await self._answer(line)
        else:
            await self._answer(line, "OK")

    async def _cereg_query(self) -> None:
        if self.model.cereg_refusal is not None:
            await self._answer(self.model.cereg_refusal)
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
            if self._csmp_first_octet & 0x20:
                self._report_later(reference, arg)
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
        if decoded.status_report_requested:
            self._report_later(reference, decoded.number)

    async def _answer_sent(self, reference: int) -> None:
        if self.faults.unplug_after_body:
            self.unplug()
            return
        if self.faults.silent_after_body:
            return
        await self._answer(f"+CMGS: {reference}", "OK")

    def _next_reference(self) -> int:
        reference = self._message_reference
        self._message_reference = (reference + 1) % 256
        return reference

    # -- the network's side: replies and delivery reports ------------------------------------------

    def inject_reply(
        self,
        sender: str,
        text: str,
        *,
        parts_order: list[int] | None = None,
        when: datetime | None = None,
        style: Style | None = None,
        concat_reference: int | None = None,
    ) -> list[str]:
        """A reply from `sender` reaches the modem as real SMS-DELIVER PDUs (GSM-7, or UCS-2 for
        anything else, emoji included; concatenated when long). `parts_order` (1-based, e.g. [2, 1])
        delivers the parts in that order, and may leave some out; `when` is the service-centre time
        stamp (default now, UTC); `style` overrides AT+CNMI ("stored": stored and announced with +CMTI,
        "direct": +CMT, "silent": stored without a word). Returns the PDUs in part order."""
        if concat_reference is None:
            self._concat_reference = (self._concat_reference + 1) % 256
            concat_reference = self._concat_reference
        pdus = build_deliver(
            sender,
            text,
            timestamp=when or datetime.now(UTC),
            concat_reference=concat_reference,
            smsc=self.smsc,
        )
        order = parts_order or list(range(1, len(pdus) + 1))
        if any(not 1 <= n <= len(pdus) for n in order):
            raise SimulatorError(f"parts_order {order} does not fit a reply of {len(pdus)} parts")
        for number in order:
            self.reception.arrive(Arrival("deliver", pdus[number - 1].hex, style))
        return [pdu.hex for pdu in pdus]

    def inject_pdu(self, pdu_hex: str, *, kind: Kind | None = None, style: Style | None = None) -> None:
        """A raw PDU (with its SMSC field, as AT+CMGR shows it), malformed ones too. `kind` defaults
        to what its first octet says (MTI 10: a status report), "deliver" for anything unreadable."""
        hex_text = pdu_hex.strip().upper()
        self.reception.arrive(Arrival(kind or _kind_of(hex_text), hex_text, style))

    def inject_status_report(
        self,
        reference: int,
        recipient: str,
        status: int,
        *,
        discharge_time: datetime | None = None,
        when: datetime | None = None,
        style: Style | None = None,
    ) -> str:
        """The network's delivery report for the part sent with +CMGS reference `reference` to
        `recipient`: TP-ST `status` (0 delivered, 0x20-0x2F still trying, 0x40-0x6F failed),
        TP-SCTS `when` (default now), TP-DT `discharge_time` (default now). Returns the PDU."""
        now = datetime.now(UTC)
        pdu = build_status_report(
            reference,
            recipient,
            status,
            timestamp=when or now,
            discharge_time=discharge_time or now,
            smsc=self.smsc,
        )
        self.reception.arrive(Arrival("status-report", pdu.hex, style))
        return pdu.hex

    def recipient_of(self, reference: int) -> str | None:
        """The number the latest message with part reference `reference` went to (None: none did)."""
        for message in reversed(self.sent):
            if reference in message.references:
                return message.number
        return None

    def deliver_pending_reports(self, status: int | None = None) -> int:
        """Send the reports of every part sent with TP-SRR so far, with TP-ST `status` (default
        `auto_status_reports`, else 0). Returns how many."""
        pending, self.pending_reports = self.pending_reports, []
        for report in pending:
            self._send_report(report, status)
        return len(pending)

    def _send_report(self, report: PendingReport, status: int | None) -> None:
        chosen = status if status is not None else (self.auto_status_reports or 0)
        self.inject_status_report(report.reference, report.recipient, chosen, when=report.submitted_at)

    def _report_later(self, reference: int, recipient: str) -> None:
        if self.auto_status_reports is None:
            return
        report = PendingReport(reference, recipient, datetime.now(UTC))
        if self.status_report_delay is None:
            self.pending_reports.append(report)
            return

        def send() -> None:
            self._send_report(report, None)

        asyncio.get_running_loop().call_later(self.status_report_delay, send)

    async def _deliver(self, message: SentMessage) -> None:
        if self.faults.silent_after_body or self.faults.unplug_after_body:
            message = SentMessage(**{**message.__dict__, "answered": False})
        if self.record is not None:
            self.record.write(json.dumps(message.as_dict(), ensure_ascii=False) + "\n")
            self.record.flush()
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()


def _kind_of(pdu_hex: str) -> Kind:
    """MTI of the first TPDU octet: 10 is a status report; anything else (or garbage) a deliver."""
    try:
        data = bytes.fromhex(pdu_hex)
        first = data[1 + data[0]]
    except (ValueError, IndexError):
        return "deliver"
    return "status-report" if first & 0x03 == 0x02 else "deliver"
