"""One GSM modem: open it, initialise it, send SMS through it, report its health.

`Modem.open()` is the only place that touches pyserial-asyncio; everything above works on the byte
stream through `protocol` and `dialogue`, so the same code runs against a USB stick, the simulator's
pseudo-terminal, or a scripted transport in unit tests.

Initialisation copes with the differences between real modems: echo still on (ATE0 is the first
thing sent, echoed lines are dropped), `+CPIN: READY` without OK (Wavecom), `COMMAND NOT SUPPORT`
(Huawei) or ERROR for AT+CEREG? (3G modems), and LTE-only modems that register only on AT+CEREG.

A failure is raised as the class the listener acts on (`errors`): in particular ModemUnavailableError
is raised only when no part of the message reached the modem, and SendOutcomeUnknownError whenever a
body was handed over without a final answer. A modem that missed a deadline is out of step (a late
answer could be taken for the next command's): it refuses further work until it is re-opened
(`resilient.ResilientModem` does that).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from listener.modem.dialogue import (
    CommandFailedError,
    Dialogue,
    Response,
    ResultTimeoutError,
    UnsolicitedEvent,
)
from listener.modem.encoding import encode_text, text_mode_safe
from listener.modem.errors import (
    ErrorClass,
    ModemError,
    ModemNotRespondingError,
    ModemUnavailableError,
    SendOutcomeUnknownError,
    SimPinError,
    error_for,
    info_for_final,
)
from listener.modem.pdu import build_submit, encode_address
from listener.modem.protocol import ModemProtocol
from sms_common.logs import get_logger, mask_phone

log = get_logger(__name__)

SmsMode = Literal["pdu", "text"]

#: Registration states (<stat> of +CREG/+CEREG) in which SMS can be sent.
REGISTERED = {
    1: "home",
    5: "roaming",
    6: "home (SMS only)",
    7: "roaming (SMS only)",
    9: "home",
    10: "roaming",
}
NOT_REGISTERED = {0: "not registered", 2: "searching", 3: "denied", 4: "unknown", 8: "emergency only"}

__all__ = [
    "Modem",
    "ModemHealth",
    "ModemTimeouts",
    "SendResult",
    "UnsolicitedEvent",
    "signal_word",
]


@dataclass(frozen=True)
class ModemTimeouts:
    """Deadlines in seconds. AT+CMGS may legitimately take up to 120 s (Quectel's manual)."""

    command: float = 5.0
    prompt: float = 10.0
    send: float = 120.0
    registration: float = 60.0
    registration_poll: float = 2.0
    #: How long the SIM may take to become ready after the PIN (or while it says `SIM busy`).
    sim_ready: float = 15.0
    #: Retries of a transient error on the second or later part of a concatenated SMS, in place.
    part_retries: int = 2
    part_retry_pause: float = 2.0


@dataclass(frozen=True)
class SendResult:
    """What the modem answered: the +CMGS message reference(s), comma-separated for several parts."""

    reference: str
    parts: int
    alphabet: str = "gsm7"
    mode: SmsMode = "pdu"


@dataclass(frozen=True)
class ModemHealth:
    """A snapshot for the heartbeat row and the dashboard."""

    port: str
    connected: bool
    initialised: bool
    registered: bool | None
    registration: str
    signal: int | None
    signal_dbm: int | None
    signal_word: str
    operator: str | None
    sim: str | None
    mode: SmsMode
    last_error: str | None
    last_error_at: datetime | None
    last_send_at: datetime | None
    sent: int
    failed: int
    checked_at: datetime
    reconnects: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: datetimes as ISO 8601 strings."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()}


def signal_word(rssi: int | None) -> str:
    """AT+CSQ <rssi> in words (0..31 map to -113..-51 dBm; 99 is unknown)."""
    if rssi is None or rssi == 99 or not 0 <= rssi <= 31:
        return "unknown"
    if rssi < 10:
        return "marginal"
    if rssi < 15:
        return "ok"
    if rssi < 20:
        return "good"
    return "excellent"


def _signal_dbm(rssi: int | None) -> int | None:
    return None if rssi is None or not 0 <= rssi <= 31 else -113 + 2 * rssi


def _fields(value: str) -> list[str]:
    return [f.strip().strip('"') for f in value.split(",")]


def parse_registration(value: str) -> int | None:
    """<stat> from a +CREG/+CEREG query answer `<n>,<stat>[,...]` (or an unsolicited `<stat>[,...]`)."""
    fields = _fields(value)
    candidates = fields[1:2] if len(fields) >= 2 and fields[1].isdigit() else fields[:1]
    return int(candidates[0]) if candidates and candidates[0].isdigit() else None


def parse_operator(value: str) -> str | None:
    """The operator from `+COPS: <mode>[,<format>,"<oper>"[,<AcT>]]`."""
    fields = _fields(value)
    return fields[2] if len(fields) >= 3 and fields[2] else None


_PIN_RE = re.compile(r"^\d{4,8}$")


class Modem:
    """An initialised AT modem. Use `await Modem.open(...)`, then `initialise()` and `send_sms()`."""

    def __init__(
        self,
        port: str,
        *,
        mode: SmsMode = "pdu",
        pin: str | None = None,
        timeouts: ModemTimeouts | None = None,
        events: asyncio.Queue[UnsolicitedEvent] | None = None,
    ) -> None:
        if mode not in ("pdu", "text"):
            raise ValueError(f"mode must be 'pdu' or 'text', not {mode!r}")
        if pin is not None and not _PIN_RE.match(pin):
            raise ValueError("the SIM PIN must be 4 to 8 digits")
        self.port = port
        self.mode: SmsMode = mode
        self._pin = pin
        self.timeouts = timeouts or ModemTimeouts()
        #: Unsolicited result codes, oldest first; when full the oldest is dropped.
        self.events: asyncio.Queue[UnsolicitedEvent] = events if events is not None else asyncio.Queue(1000)
        self.dialogue = Dialogue(self._write, on_event=self._on_event)
        self.protocol = ModemProtocol(self.dialogue)
        self._transport: asyncio.BaseTransport | None = None
        self._send_lock = asyncio.Lock()
        self._broken: str | None = None
        self._initialised = False
        self._format: SmsMode | None = None
        self._cereg = True
        self._reference = secrets.randbelow(256)
        self._registered: bool | None = None
        self._registration = "unknown"
        self._signal: int | None = None
        self._operator: str | None = None
        self._sim: str | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_send_at: datetime | None = None
        self._sent = 0
        self._failed = 0

    # -- opening -----------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        port: str,
        baud: int = 115200,
        *,
        mode: SmsMode = "pdu",
        pin: str | None = None,
        timeouts: ModemTimeouts | None = None,
        events: asyncio.Queue[UnsolicitedEvent] | None = None,
    ) -> Modem:
        """Open the serial device (not yet initialised). Raises ModemNotRespondingError if it cannot."""
        import serial
        import serial_asyncio

        modem = cls(port, mode=mode, pin=pin, timeouts=timeouts, events=events)
        try:
            # exclusive: a second process on the same modem would interleave its AT commands with ours.
            transport, _ = await serial_asyncio.create_serial_connection(
                asyncio.get_running_loop(), lambda: modem.protocol, url=port, baudrate=baud, exclusive=True
            )
        except (OSError, serial.SerialException) as exc:
            raise ModemNotRespondingError(f"cannot open {port}: {exc}") from exc
        modem.attach(transport)
        log.info("modem_opened", port=port, baud=baud)
        return modem

    def attach(self, transport: asyncio.BaseTransport) -> None:
        """Use `transport` (whose protocol is `self.protocol`) for writing. Open() does this."""
        self._transport = transport

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise ModemNotRespondingError(f"{self.port}: device is closed")
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(data)

    async def close(self) -> None:
        """Close the device; safe to call twice or on a device that already disappeared."""
        transport = self._transport
        self._broken = self._broken or "closed"
        if transport is not None and not transport.is_closing():
            transport.close()
        if transport is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dialogue.closed.wait(), 2.0)

    async def __aenter__(self) -> Modem:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def usable(self) -> bool:
        return self._broken is None and not self.dialogue.closed.is_set()

    @property
    def broken_reason(self) -> str | None:
        if self.dialogue.closed.is_set():
            return self.dialogue.close_reason
        return self._broken

    # -- events ------------------------------------------------------------------------------------

    def _on_event(self, event: UnsolicitedEvent) -> None:
        code = event.code.upper()
        if code == "^RSSI" and event.value.isdigit():
            self._signal = int(event.value)
        elif code in ("+CREG", "+CEREG"):
            stat = parse_registration(event.value)
            if stat is not None:
                self._set_registration(stat)
        if self.events.full():
            self.events.get_nowait()
        self.events.put_nowait(event)

    def _set_registration(self, stat: int) -> None:
        self._registered = stat in REGISTERED
        self._registration = REGISTERED.get(stat) or NOT_REGISTERED.get(stat, f"state {stat}")

    # -- commands ----------------------------------------------------------------------------------

    def _check_usable(self, what: str) -> None:
        reason = self.broken_reason
        if reason is not None:
            raise ModemNotRespondingError(f"{what}: modem {self.port} needs re-opening ({reason})")

    def _note_error(self, text: str) -> None:
        self._last_error = text
        self._last_error_at = datetime.now(UTC)

    async def _command(
        self, command: str, *, expect: str | None = None, ok_optional: bool = False, label: str | None = None
    ) -> Response:
        self._check_usable(label or command)
        try:
            return await self.dialogue.command(
                command, deadline=self.timeouts.command, expect=expect, ok_optional=ok_optional, label=label
            )
        except ModemNotRespondingError as exc:
            self._broken = str(exc)
            self._note_error(str(exc))
            raise

    # -- initialisation ----------------------------------------------------------------------------

    async def initialise(self) -> None:
        """Bring the modem to a state where it can send: raises ModemUnavailableError (or SimPinError)."""
        self._initialised = False
        await self._synchronise()
        await self._command("ATE0")
        try:
            await self._command("AT+CMEE=1")
        except CommandFailedError as exc:
            log.warning("modem_cmee_refused", answer=exc.response.final)
        await self._check_sim()
        await self._wait_registered()
        await self._refresh_status()
        await self._set_format(self.mode)
        self._initialised = True
        log.info(
            "modem_initialised",
            port=self.port,
            registration=self._registration,
            signal=self._signal,
            signal_word=signal_word(self._signal),
            operator=self._operator,
            mode=self.mode,
        )

    async def _synchronise(self) -> None:
        """`AT` until OK; before a retry, ESC cancels a `> ` prompt left open by an earlier session."""
        attempts = 3
        for attempt in range(1, attempts + 1):
            self._check_usable("AT")
            try:
                await self.dialogue.command("AT", deadline=self.timeouts.command)
                return
            except CommandFailedError:
                return  # it answers: good enough, the following commands say more
            except ModemNotRespondingError as exc:
                if self.dialogue.closed.is_set() or attempt == attempts:
                    self._broken = str(exc)
                    self._note_error(str(exc))
                    raise
                self._write(b"\x1b")

    async def _check_sim(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeouts.sim_ready
        pin_sent = False
        while True:
            try:
                response = await self._command("AT+CPIN?", expect="+CPIN:", ok_optional=True)
                state = (response.value("+CPIN") or "").upper()
            except CommandFailedError as exc:
                info = info_for_final(exc.response.final)
                if info.error_class is ErrorClass.TRANSIENT and info.code in (14, 314, 515):
                    state = "BUSY"
                elif info.kind == "ERROR":
                    # ERROR / COMMAND NOT SUPPORT without a code says nothing about the SIM.
                    log.warning("modem_cpin_unanswered", answer=exc.response.final)
                    self._sim = "unknown"
                    return  # some modems without SIM lock support refuse the query; sending will tell
                else:
                    self._sim = info.meaning
                    raise SimPinError(f"SIM not usable: {info.label} ({info.meaning})", info=info) from exc
            self._sim = state or "unknown"
            if state == "READY":
                return
            if state == "SIM PIN" and self._pin is not None and not pin_sent:
                await self._enter_pin(self._pin)
                pin_sent = True
            elif state in ("SIM PIN", "SIM PUK", "PH-SIM PIN", "SIM PIN2", "SIM PUK2", "PH-NET PIN"):
                hint = "set MODEM_PIN" if state == "SIM PIN" else "unlock the SIM in a phone"
                raise SimPinError(f"the SIM wants {state}: {hint}")
            if loop.time() >= deadline:
                raise SimPinError(
                    f"the SIM is not ready after {self.timeouts.sim_ready:g} s (+CPIN: {state})"
                )
            await asyncio.sleep(min(0.5, self.timeouts.registration_poll))

    async def _enter_pin(self, pin: str) -> None:
        try:
            await self._command(f'AT+CPIN="{pin}"', label='AT+CPIN="****"')
        except CommandFailedError as exc:
            info = info_for_final(exc.response.final)
            self._pin = None  # never try a refused PIN twice: three wrong PINs lock the SIM
            raise SimPinError(
                f"the SIM refused the configured PIN ({info.label}: {info.meaning}); check MODEM_PIN",
                pin_rejected=True,
                info=info,
            ) from exc
        log.info("modem_pin_entered", port=self.port)

    async def _query_registration(self, command: str, prefix: str) -> int | None:
        try:
            response = await self._command(command, expect=prefix)
        except CommandFailedError:
            return None
        value = response.value(prefix)
        return parse_registration(value) if value is not None else None

    async def _registration_states(self) -> tuple[int | None, int | None]:
        creg = await self._query_registration("AT+CREG?", "+CREG")
        cereg: int | None = None
        if self._cereg:
            try:
                response = await self._command("AT+CEREG?", expect="+CEREG")
            except CommandFailedError:
                self._cereg = False  # 2G/3G modems: ERROR or COMMAND NOT SUPPORT
            else:
                value = response.value("+CEREG")
                cereg = parse_registration(value) if value is not None else None
        registered = [s for s in (creg, cereg) if s in REGISTERED]
        if registered:
            self._set_registration(registered[0])
        elif creg is not None or cereg is not None:
            self._set_registration(next(s for s in (creg, cereg) if s is not None))
        return creg, cereg

    async def _wait_registered(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeouts.registration
        while True:
            creg, cereg = await self._registration_states()
            if self._registered:
                return
            if 3 in (creg, cereg) and not self._registered:
                raise ModemUnavailableError(
                    f"the network denied registration (CREG {creg}, CEREG {cereg}): check the SIM's plan"
                )
            if loop.time() >= deadline:
                raise ModemUnavailableError(
                    f"not registered on a network after {self.timeouts.registration:g} s "
                    f"({self._registration}; CREG {creg}, CEREG {cereg})"
                )
            await asyncio.sleep(self.timeouts.registration_poll)

    async def _refresh_status(self) -> None:
        try:
            response = await self._command("AT+CSQ", expect="+CSQ")
            value = response.value("+CSQ")
            rssi = _fields(value)[0] if value else ""
            self._signal = int(rssi) if rssi.isdigit() else None
        except CommandFailedError as exc:
            log.warning("modem_csq_refused", answer=exc.response.final)
        try:
            response = await self._command("AT+COPS?", expect="+COPS")
            value = response.value("+COPS")
            self._operator = parse_operator(value) if value else None
        except CommandFailedError as exc:
            log.warning("modem_cops_refused", answer=exc.response.final)

    async def _set_format(self, mode: SmsMode) -> None:
        if self._format == mode:
            return
        try:
            await self._command(f"AT+CMGF={1 if mode == 'text' else 0}")
        except CommandFailedError as exc:
            info = info_for_final(exc.response.final)
            raise ModemUnavailableError(
                f"the modem refused SMS {mode} mode (AT+CMGF: {exc.response.final})", info=info
            ) from exc
        self._format = mode

    # -- sending -----------------------------------------------------------------------------------

    def _next_reference(self) -> int:
        self._reference = (self._reference + 1) % 256
        return self._reference

    async def send_sms(self, number: str, text: str) -> SendResult:
        """Send one SMS (concatenated if long); see the module docstring for what each error means."""
        async with self._send_lock:
            encode_address(number)  # InvalidMessageError before anything reaches the modem
            if not self._initialised:
                self._check_usable("AT+CMGS")
                raise ModemUnavailableError(f"modem {self.port} is not initialised")
            try:
                if self.mode == "text" and text_mode_safe(text):
                    result = await self._send_text(number, text)
                else:
                    result = await self._send_pdu(number, text)
            except ModemError as exc:
                self._failed += 1
                self._note_error(str(exc))
                log.warning("modem_send_failed", number=number, error=str(exc), error_type=type(exc).__name__)
                raise
            self._sent += 1
            self._last_send_at = datetime.now(UTC)
            log.info(
                "modem_sent", number=number, reference=result.reference, parts=result.parts, mode=result.mode
            )
            return result

    async def _send_text(self, number: str, text: str) -> SendResult:
        await self._set_format("text")
        response = await self._submit(
            f'AT+CMGS="{number}"',
            text.encode("ascii"),
            part=1,
            total=1,
            accepted=[],
            label=f'AT+CMGS="{mask_phone(number)}"',  # error texts end up in logs and the database
        )
        return SendResult(reference=response, parts=1, alphabet="gsm7", mode="text")

    async def _send_pdu(self, number: str, text: str) -> SendResult:
        pdus = build_submit(number, text, reference=self._next_reference())
        alphabet = encode_text(text).alphabet
        await self._set_format("pdu")
        accepted: list[str] = []
        for index, pdu in enumerate(pdus, start=1):
            reference = await self._submit(
                f"AT+CMGS={pdu.tpdu_length}",
                pdu.hex.encode("ascii"),
                part=index,
                total=len(pdus),
                accepted=accepted,
            )
            accepted.append(reference)
        return SendResult(reference=",".join(accepted), parts=len(pdus), alphabet=alphabet, mode="pdu")

    async def _submit(
        self,
        command: str,
        body: bytes,
        *,
        part: int,
        total: int,
        accepted: list[str],
        label: str | None = None,
    ) -> str:
        """One AT+CMGS; returns its reference. Retries a transient refusal of a later part in place."""
        where = "AT+CMGS" if total == 1 else f"AT+CMGS (part {part} of {total})"
        retries = 0
        while True:
            self._check_usable(where)
            try:
                response = await self.dialogue.command_with_body(
                    command,
                    body,
                    prompt_timeout=self.timeouts.prompt,
                    result_timeout=self.timeouts.send,
                    expect="+CMGS",
                    label=label,
                )
            except ResultTimeoutError as exc:
                self._broken = str(exc)
                raise SendOutcomeUnknownError(
                    f"{where}: the body was handed to the modem but no answer came ({exc}); it may have been sent",
                    parts_accepted=len(accepted),
                    parts_total=total,
                ) from exc
            except ModemNotRespondingError as exc:
                self._broken = str(exc)
                if accepted:
                    raise self._partial(where, accepted, total, str(exc)) from exc
                raise
            except CommandFailedError as exc:
                info = info_for_final(exc.response.final)
                if not accepted:
                    raise error_for(info, where) from exc
                if info.error_class is ErrorClass.TRANSIENT and retries < self.timeouts.part_retries:
                    retries += 1
                    log.warning("modem_part_retry", part=part, total=total, answer=info.label, retry=retries)
                    await asyncio.sleep(self.timeouts.part_retry_pause)
                    continue
                raise self._partial(where, accepted, total, f"{info.label} ({info.meaning})") from exc
            # `+CMGS: <mr>` or, with AT+CSMS=1 in text mode, `+CMGS: <mr>,<scts>`.
            reference = _fields(response.value("+CMGS") or "")[0]
            return reference or "?"

    @staticmethod
    def _partial(where: str, accepted: list[str], total: int, why: str) -> SendOutcomeUnknownError:
        return SendOutcomeUnknownError(
            f"{where} failed after {len(accepted)} of {total} parts were sent "
            f"(references {','.join(accepted)}): {why}; the recipient may see an incomplete message",
            parts_accepted=len(accepted),
            parts_total=total,
        )

    async def probe(self) -> None:
        """A bare `AT` under the command deadline: is the modem still answering?"""
        async with self._send_lock:
            try:
                await self._command("AT")
            except CommandFailedError:
                return  # an answer, even ERROR, means it is alive

    # -- health ------------------------------------------------------------------------------------

    async def health(self) -> ModemHealth:
        """Refresh signal, registration and operator, and return a snapshot.

        Raises ModemNotRespondingError when the modem does not answer (it then needs re-opening)."""
        async with self._send_lock:
            self._check_usable("health")
            await self._refresh_status()
            await self._registration_states()
        return self.snapshot()

    def snapshot(self) -> ModemHealth:
        """The last known state, without talking to the modem (never raises)."""
        return ModemHealth(
            port=self.port,
            connected=self.usable,
            initialised=self._initialised,
            registered=self._registered,
            registration=self._registration,
            signal=self._signal,
            signal_dbm=_signal_dbm(self._signal),
            signal_word=signal_word(self._signal),
            operator=self._operator,
            sim=self._sim,
            mode=self.mode,
            last_error=self._last_error if self.usable else (self.broken_reason or self._last_error),
            last_error_at=self._last_error_at,
            last_send_at=self._last_send_at,
            sent=self._sent,
            failed=self._failed,
            checked_at=datetime.now(UTC),
        )
