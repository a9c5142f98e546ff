"""Sending one SMS: AT+CMGF, then one AT+CMGS per part, and what each failure means for the SMS.

A failure is raised in the family the listener acts on (`errors`): `NotSentError` only when no part
of the message reached the modem, `RefusedError` when the modem answered the first part with a code,
and `MaybeSentError` whenever a body was handed over without a final answer, or some parts of a long
SMS were accepted before a later one failed.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from listener.modem.codes import ErrorClass, info_for_final
from listener.modem.config import ModemConfig, ModemTimeouts, SmsMode
from listener.modem.dialogue import CommandFailedError, ResultTimeoutError
from listener.modem.encoding import encode_text, text_mode_safe
from listener.modem.errors import (
    ModemNotRespondingError,
    ModemUnavailableError,
    SendOutcomeUnknownError,
    error_for,
)
from listener.modem.health import ModemState, fields
from listener.modem.link import ModemLink
from listener.modem.pdu import build_submit
from sms_common.logs import get_logger, mask_phone

log = get_logger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What the modem answered: the +CMGS message reference(s), comma-separated for several parts."""

    reference: str
    parts: int
    alphabet: str = "gsm7"
    mode: SmsMode = "pdu"


class Sender:
    """Sends through one link; remembers the SMS format set and the concatenation reference."""

    def __init__(self, link: ModemLink, state: ModemState, config: ModemConfig) -> None:
        self._link = link
        self._state = state
        self._config = config
        self._format: SmsMode | None = None
        self._text_parameters_set = False
        self._reference = secrets.randbelow(256)

    async def set_format(self, mode: SmsMode) -> None:
        """AT+CMGF (0 PDU, 1 text), only when it changes; a refusal means the modem cannot send."""
        if self._format == mode:
            return
        try:
            await self._link.command(f"AT+CMGF={1 if mode == 'text' else 0}", deadline=self._timeouts.command)
        except CommandFailedError as exc:
            info = info_for_final(exc.response.final)
            raise ModemUnavailableError(
                f"the modem refused SMS {mode} mode (AT+CMGF: {exc.response.final})", info=info
            ) from exc
        self._format = mode
        if mode == "text" and self._config.status_reports and not self._text_parameters_set:
            await self._ask_for_reports_in_text_mode()

    async def _ask_for_reports_in_text_mode(self) -> None:
        """AT+CSMP=49,167,0,0: text-mode sends are SMS-SUBMITs with relative validity (4 days) and
        TP-SRR (a delivery report asked for; 17 without). A refusal is logged: the SMS still go out."""
        try:
            await self._link.command("AT+CSMP=49,167,0,0", deadline=self._timeouts.command)
        except CommandFailedError as exc:
            log.warning("modem_csmp_refused", answer=exc.response.final)
        self._text_parameters_set = True

    @property
    def _timeouts(self) -> ModemTimeouts:
        return self._config.timeouts

    def _next_reference(self) -> int:
        self._reference = (self._reference + 1) % 256
        return self._reference

    async def send(self, number: str, text: str) -> SendResult:
        if self._config.mode == "text" and text_mode_safe(text):
            return await self._send_text(number, text)
        return await self._send_pdu(number, text)

    async def _send_text(self, number: str, text: str) -> SendResult:
        await self.set_format("text")
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
        pdus = build_submit(
            number, text, reference=self._next_reference(), status_report=self._config.status_reports
        )
        alphabet = encode_text(text).alphabet
        await self.set_format("pdu")
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
            self._link.check_usable(where)
            try:
                response = await self._link.dialogue.command_with_body(
                    command,
                    body,
                    prompt_timeout=self._timeouts.prompt,
                    result_timeout=self._timeouts.send,
                    expect="+CMGS",
                    label=label,
                )
            except ResultTimeoutError as exc:
                self._link.mark_broken(str(exc))
                raise SendOutcomeUnknownError(
                    f"{where}: the body was handed to the modem but no answer came ({exc}); it may have been sent",
                    parts_accepted=len(accepted),
                    parts_total=total,
                ) from exc
            except ModemNotRespondingError as exc:
                # No prompt, or the device went before the body: this part never left the modem.
                self._link.mark_broken(str(exc))
                if accepted:
                    raise _partial(where, accepted, total, str(exc)) from exc
                raise
            except CommandFailedError as exc:
                info = info_for_final(exc.response.final)
                if not accepted:
                    raise error_for(info, where) from exc
                if info.error_class is ErrorClass.TRANSIENT and retries < self._timeouts.part_retries:
                    retries += 1
                    log.warning("modem_part_retry", part=part, total=total, answer=info.label, retry=retries)
                    await asyncio.sleep(self._timeouts.part_retry_pause)
                    continue
                raise _partial(where, accepted, total, f"{info.label} ({info.meaning})") from exc
            # `+CMGS: <mr>` or, with AT+CSMS=1 in text mode, `+CMGS: <mr>,<scts>`.
            reference = fields(response.value("+CMGS") or "")[0]
            return reference or "?"


def _partial(where: str, accepted: list[str], total: int, why: str) -> SendOutcomeUnknownError:
    return SendOutcomeUnknownError(
        f"{where} failed after {len(accepted)} of {total} parts were sent "
        f"(references {','.join(accepted)}): {why}; the recipient may see an incomplete message",
        parts_accepted=len(accepted),
        parts_total=total,
    )
