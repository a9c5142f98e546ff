"""The AT dialogue: one command at a time, its answer under a fixed deadline, unsolicited codes aside.

A modem interleaves unsolicited result codes (`+CMTI`, `^RSSI`, `RING`, ...) with the answers to our
commands, even between AT+CMGS and its `> ` prompt. This layer pairs each command with its own answer
lines and final result code, treats everything else as an event, and gives every command a deadline
fixed when it is written: a flood of unsolicited lines never extends it (gammu before 1.44 waited
forever on `^RSSI` floods). Echo (before ATE0 takes effect) is recognised and dropped.

Two codes take two lines: `+CMT: [<alpha>],<length>` and `+CDS: <length>` (a message or a status
report delivered directly, PDU mode) are followed by the PDU on a line of its own. The line after such
a header belongs to it, wherever it comes (in the middle of another command's answer, between
AT+CMGS and its prompt): both go out as one event (`UnsolicitedEvent.body`), never as an answer line
of the command that happens to be running (python-gsmmodem never handled `+CDS`, its issue #44).

It writes through a plain callable and is fed lines by `protocol.ModemProtocol`, so it is tested with
recorded exchanges without any serial port.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

from listener.modem.errors import MaybeSentError, ModemError, ModemNotRespondingError
from sms_common.logs import get_logger

log = get_logger(__name__)

CTRL_Z = b"\x1a"
ESC = b"\x1b"

#: Lines that end a command. Huawei answers unknown commands with `COMMAND NOT SUPPORT`.
_FINAL_OK = frozenset({"OK"})
_FINAL_ERROR_WORDS = frozenset(
    {"ERROR", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS", "NO CARRIER", "ABORTED"}
)
_FINAL_ERROR_PREFIXES = ("+CME ERROR", "+CMS ERROR")

#: Unsolicited codes seen on common modems (3GPP, Huawei `^`, ZTE `+Z`, Quectel `+Q`, SIMCom, Sierra).
URC_PREFIXES: tuple[str, ...] = (
    "+CMTI:", "+CMT:", "+CDS:", "+CDSI:", "+CBM:", "+CBMI:", "+CUSD:", "+CRING:", "+CLIP:", "+CCWA:",
    "+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:", "+CGEV:", "+CIEV:", "+CPIN:", "+CFUN:", "+CTZV:", "+CTZE:",
    "+CSQN:", "+STIN:", "+QIND:", "+QUSIM:", "+ZDONR:", "+ZPASR:", "+ZUSIMR:", "+ZEND", "+PACSP",
    "^RSSI:", "^HCSQ:", "^MODE:", "^BOOT:", "^SRVST:", "^SIMST:", "^DSFLOWRPT:", "^RFSWITCH:", "^NDISSTAT:",
    "^CEND:", "^ORIG:", "^CONF:", "^CONN:", "^STIN:", "^SYSSTART", "^SHUTDOWN", "^SMMEMFULL:",
    "*EMRDY:", "*ESIMSM:", "!GSTATUS:", "+MSTATE:",
)  # fmt: skip
#: Whole-line unsolicited codes.
URC_WORDS = frozenset(
    {"RING", "RDY", "SMS READY", "SMS DONE", "PB DONE", "CALL READY", "NORMAL POWER DOWN", "+CPIN: READY"}
)


class CommandOptions(TypedDict, total=False):
    """How to read a command's answer (every layer that passes commands on takes these as they are)."""

    #: The prefix of the answer's information lines (`+CSQ`): other `+...` lines are unsolicited.
    expect: str | None
    #: Accept the expected line without a final OK after a short grace (Wavecom's +CPIN: READY).
    ok_optional: bool
    #: Shown instead of the command in errors and responses (AT+CPIN="<pin>" must not be shown).
    label: str | None


@dataclass(frozen=True)
class UnsolicitedEvent:
    """An unsolicited result code the modem sent on its own (a new SMS, signal change, ringing ...)."""

    code: str
    value: str
    line: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: The second line of a two-line code (`+CMT`, `+CDS`: the PDU in hex), None for one-line codes.
    body: str | None = None

    @classmethod
    def parse(cls, line: str) -> UnsolicitedEvent:
        code, sep, value = line.partition(":")
        if not sep:
            return cls(code=line, value="", line=line)
        return cls(code=code.strip(), value=value.strip(), line=line)


@dataclass(frozen=True)
class Response:
    """A command's answer: its information lines (no echo, no unsolicited codes) and final code."""

    command: str
    lines: tuple[str, ...]
    final: str

    @property
    def ok(self) -> bool:
        return self.final in _FINAL_OK

    def value(self, prefix: str) -> str | None:
        """The text after `<prefix>:` on the first line carrying it, e.g. value("+CSQ") -> "17,99"."""
        wanted = prefix.rstrip(":") + ":"
        for line in self.lines:
            if line.upper().startswith(wanted.upper()):
                return line[len(wanted) :].strip()
        return None


class CommandFailedError(ModemError):
    """The modem answered a command with an error final result code (ERROR, +CME/+CMS ERROR: n, ...)."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.command} -> {response.final}")
        self.response = response


class ResultTimeoutError(MaybeSentError):
    """After the SMS body was written, no final answer came (deadline passed, or the device went away).

    Deliberately not a ModemNotRespondingError: that one means "nothing left the modem"."""


_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_PDU_LENGTH_RE = re.compile(r'^(?:"[^"]*"|[^,"]*)?,\s*\d+$|^\d+$')


def is_two_line_header(line: str) -> bool:
    """Whether `line` is the header of a code whose next line belongs to it.

    `+CMT:` always takes two lines (PDU mode `+CMT: [<alpha>],<length>`, text mode `+CMT: <oa>,...`
    followed by the text). `+CDS:` does only in PDU mode (`+CDS: <length>`); in text mode it is one
    line of fields."""
    upper = line.upper()
    if upper.startswith("+CMT:"):
        return True
    if upper.startswith("+CDS:"):
        return line[5:].strip().isdigit()
    return False


def is_pdu_header(line: str) -> bool:
    """`+CMT: [<alpha>],<length>` or `+CDS: <length>`: the PDU-mode form of a two-line code."""
    code, _, value = line.partition(":")
    return code.strip().upper() in ("+CMT", "+CDS") and bool(_PDU_LENGTH_RE.match(value.strip()))


def is_hex(line: str) -> bool:
    return bool(_HEX_RE.match(line))


def is_final(line: str) -> bool:
    upper = line.upper()
    return upper in _FINAL_OK or upper in _FINAL_ERROR_WORDS or upper.startswith(_FINAL_ERROR_PREFIXES)


def is_unsolicited(line: str, expect: str | None) -> bool:
    """Whether `line`, arriving while a command expecting `expect` lines runs, is an unsolicited code."""
    upper = line.upper()
    if expect is not None and upper.startswith(expect.upper()):
        return False
    if upper in URC_WORDS:
        return True
    if expect is not None and upper[:1] in "+^*!":
        return True  # an information line of another command cannot be ours
    return upper.startswith(URC_PREFIXES)


@dataclass
class _Pending:
    command: str
    label: str
    expect: str | None
    future: asyncio.Future[Response]
    lines: list[str] = field(default_factory=list)
    prompt: asyncio.Future[None] | None = None
    ok_optional: bool = False
    grace_handle: asyncio.TimerHandle | None = None


class Dialogue:
    """Runs AT commands over a byte writer; implements `protocol.LineSink`."""

    def __init__(
        self,
        write: Callable[[bytes], None],
        *,
        on_event: Callable[[UnsolicitedEvent], None] | None = None,
        ok_grace: float = 0.5,
    ) -> None:
        self._write = write
        self._on_event = on_event
        self._ok_grace = ok_grace
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self.closed = asyncio.Event()
        self.close_reason: str | None = None
        #: Final result codes that arrived with no command waiting: a late answer, the link is out of step.
        self.stray_finals = 0
        #: The header of a two-line code (`+CMT: ,24`) whose second line has not arrived yet.
        self._header: str | None = None

    # -- LineSink ----------------------------------------------------------------------------------

    def line_received(self, line: str) -> None:
        header, self._header = self._header, None
        if header is not None:
            if is_hex(line) or not (is_final(line) or is_pdu_header(header)):
                self._event(header, body=line)  # the PDU (or, in text mode, the text) of that header
                return
            # A final code where the PDU should be: the header came alone; the line is handled below.
            log.warning("modem_urc_without_body", code=header.partition(":")[0])
            self._event(header)
        if is_two_line_header(line):
            self._header = line
            return
        pending = self._pending
        if pending is None or pending.future.done():
            if is_final(line):
                self.stray_finals += 1
                log.debug("modem_stray_final", line=line)
            else:
                self._event(line)
            return
        if line.strip().upper() == pending.command.strip().upper():
            return  # echo (ATE1)
        if is_final(line):
            self._finish(pending, line)
            return
        if is_unsolicited(line, pending.expect):
            self._event(line)
            return
        pending.lines.append(line)
        if pending.ok_optional and pending.expect and line.upper().startswith(pending.expect.upper()):
            # Wavecom answers AT+CPIN? with `+CPIN: READY` and no OK: accept after a short grace.
            loop = asyncio.get_running_loop()
            pending.grace_handle = loop.call_later(self._ok_grace, self._finish, pending, "OK")

    def prompt_received(self) -> None:
        pending = self._pending
        if pending is not None and pending.prompt is not None and not pending.prompt.done():
            pending.prompt.set_result(None)
        else:
            log.debug("modem_stray_prompt")

    def connection_lost(self, exc: Exception | None) -> None:
        self._header = None
        self.close_reason = f"device closed: {exc}" if exc else "device closed"
        self.closed.set()
        pending = self._pending
        if pending is not None:
            error = ModemNotRespondingError(f"{pending.label}: {self.close_reason}")
            if pending.prompt is not None and not pending.prompt.done():
                pending.prompt.set_exception(error)
            if not pending.future.done():
                pending.future.set_exception(error)

    # -- commands ----------------------------------------------------------------------------------

    async def command(self, command: str, *, deadline: float, **options: Unpack[CommandOptions]) -> Response:
        """Send `command`, return its answer; raise CommandFailedError on an error final code and
        ModemNotRespondingError when nothing final arrives within `deadline` seconds (fixed when the
        command is written: unsolicited lines do not extend it)."""
        async with self._lock:
            pending = self._start(
                command,
                options.get("expect"),
                ok_optional=options.get("ok_optional", False),
                label=options.get("label"),
            )
            self._write(command.encode("ascii") + b"\r")
            return await self._await_final(pending, deadline, ModemNotRespondingError)

    async def command_with_body(
        self,
        command: str,
        body: bytes,
        *,
        prompt_timeout: float,
        result_timeout: float,
        expect: str,
        label: str | None = None,
    ) -> Response:
        """AT+CMGS style: send `command`, wait for `> `, send `body` + Ctrl-Z, return the final answer.

        Raises CommandFailedError if the modem refuses before the prompt (body not sent), and
        ModemNotRespondingError if no prompt comes (ESC is sent to cancel; body not sent). After the
        body is written, a missing answer raises ResultTimeoutError (the SMS may have gone out)."""
        async with self._lock:
            pending = self._start(command, expect, ok_optional=False, label=label)
            pending.prompt = asyncio.get_running_loop().create_future()
            self._write(command.encode("ascii") + b"\r")
            try:
                waiting: list[asyncio.Future[Any]] = [pending.prompt, pending.future]
                await asyncio.wait(
                    waiting,
                    timeout=prompt_timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if pending.future.done():
                    # An error (or a lost device) came instead of the prompt: nothing was sent.
                    response = pending.future.result()
                    raise CommandFailedError(
                        response if not response.ok else replace(response, final="OK without a prompt")
                    )
                if not pending.prompt.done():
                    self._write(ESC)
                    raise ModemNotRespondingError(
                        f"{pending.label}: no '> ' prompt within {prompt_timeout:g} s"
                    )
                pending.prompt.result()  # re-raises a lost connection
                if pending.future.done():  # the device went away right after the prompt
                    pending.future.result()
            except BaseException:
                self._pending = None
                if not pending.future.done():
                    pending.future.cancel()
                self._cancel_prompt(pending)
                raise
            self._write(body + CTRL_Z)
            try:
                return await self._await_final(pending, result_timeout, ResultTimeoutError)
            except ModemNotRespondingError as exc:  # the device went away after the body
                raise ResultTimeoutError(str(exc)) from exc

    # -- internals ---------------------------------------------------------------------------------

    def _start(self, command: str, expect: str | None, *, ok_optional: bool, label: str | None) -> _Pending:
        if self.closed.is_set():
            raise ModemNotRespondingError(f"{label or command}: {self.close_reason or 'device closed'}")
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        pending = _Pending(
            command=command, label=label or command, expect=expect, future=future, ok_optional=ok_optional
        )
        self._pending = pending
        return pending

    async def _await_final(
        self, pending: _Pending, deadline: float, timeout_error: type[ModemError]
    ) -> Response:
        try:
            response = await asyncio.wait_for(asyncio.shield(pending.future), deadline)
        except TimeoutError:
            pending.future.cancel()
            raise timeout_error(f"{pending.label}: no answer within {deadline:g} s") from None
        finally:
            if pending.grace_handle is not None:
                pending.grace_handle.cancel()
            self._pending = None
        if not response.ok:
            raise CommandFailedError(response)
        return response

    def _finish(self, pending: _Pending, final: str) -> None:
        if pending.grace_handle is not None:
            pending.grace_handle.cancel()
        if not pending.future.done():
            pending.future.set_result(Response(pending.label, tuple(pending.lines), final))

    @staticmethod
    def _cancel_prompt(pending: _Pending) -> None:
        if pending.prompt is None:
            return
        if pending.prompt.done():
            if not pending.prompt.cancelled():
                pending.prompt.exception()  # mark a lost-connection error as seen
        else:
            pending.prompt.cancel()

    def _event(self, line: str, *, body: str | None = None) -> None:
        event = UnsolicitedEvent.parse(line)
        if body is not None:
            event = replace(event, body=body)
        log.debug("modem_unsolicited", code=event.code)
        if self._on_event is not None:
            self._on_event(event)
