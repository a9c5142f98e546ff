"""Bringing a freshly opened modem to a state where it can send (and receive).

Copes with the differences between real modems: echo still on (ATE0 is the first thing sent, echoed
lines are dropped), `+CPIN: READY` without OK (Wavecom), `COMMAND NOT SUPPORT` (Huawei) or ERROR for
AT+CEREG? (3G modems), and LTE-only modems that register only on AT+CEREG. Every failure here is a
`NotSentError` (ModemUnavailableError or SimPinError): nothing is being sent yet. Reception is
configured last (`receiving.Receiver.configure`); a modem that cannot receive still sends.
"""

from __future__ import annotations

import asyncio

from listener.modem.codes import ErrorClass, info_for_final
from listener.modem.config import ModemConfig
from listener.modem.dialogue import CommandFailedError
from listener.modem.errors import ModemNotRespondingError, ModemUnavailableError, SimPinError
from listener.modem.health import ModemState, refresh_status, registration_states, signal_word
from listener.modem.link import ModemLink
from listener.modem.receiving import Receiver
from listener.modem.sending import Sender
from sms_common.logs import get_logger

log = get_logger(__name__)

#: What +CPIN? says when the SIM wants something a person must provide.
_LOCKED = ("SIM PIN", "SIM PUK", "PH-SIM PIN", "SIM PIN2", "SIM PUK2", "PH-NET PIN")


async def initialise(
    link: ModemLink, state: ModemState, sender: Sender, config: ModemConfig, receiver: Receiver
) -> None:
    """Synchronise, echo off, numeric errors, SIM ready, registered, status read, SMS format set,
    reception configured (when `config.receive`).

    Raises ModemUnavailableError (or SimPinError; `pin_rejected` when the configured PIN was refused)."""
    state.initialised = False
    deadline = config.timeouts.command
    await _synchronise(link, state, deadline)
    await link.command("ATE0", deadline=deadline)
    try:
        await link.command("AT+CMEE=1", deadline=deadline)
    except CommandFailedError as exc:
        log.warning("modem_cmee_refused", answer=exc.response.final)
    await _check_sim(link, state, config)
    await _wait_registered(link, state, config)
    await refresh_status(link, state, deadline)
    if config.receive:
        await receiver.configure()
    else:
        state.reception = "off: not asked for (ModemConfig.receive is false)"
    await sender.set_format(config.mode)
    state.initialised = True
    log.info(
        "modem_initialised",
        port=link.port,
        registration=state.registration,
        signal=state.signal,
        signal_word=signal_word(state.signal),
        operator=state.operator,
        mode=config.mode,
        reception=state.reception,
    )


async def _synchronise(link: ModemLink, state: ModemState, deadline: float) -> None:
    """`AT` until OK; before a retry, ESC cancels a `> ` prompt left open by an earlier session."""
    attempts = 3
    for attempt in range(1, attempts + 1):
        link.check_usable("AT")
        try:
            await link.dialogue.command("AT", deadline=deadline)
            return
        except CommandFailedError:
            return  # it answers: good enough, the following commands say more
        except ModemNotRespondingError as exc:
            if link.dialogue.closed.is_set() or attempt == attempts:
                link.mark_broken(str(exc))
                state.note_error(str(exc))
                raise
            link.write(b"\x1b")


async def _check_sim(link: ModemLink, state: ModemState, config: ModemConfig) -> None:
    loop = asyncio.get_running_loop()
    timeouts = config.timeouts
    deadline = loop.time() + timeouts.sim_ready
    pin_sent = False
    while True:
        try:
            response = await link.command(
                "AT+CPIN?", deadline=timeouts.command, expect="+CPIN:", ok_optional=True
            )
            sim = (response.value("+CPIN") or "").upper()
        except CommandFailedError as exc:
            info = info_for_final(exc.response.final)
            if info.error_class is ErrorClass.TRANSIENT and info.code in (14, 314, 515):
                sim = "BUSY"
            elif info.kind == "ERROR":
                # ERROR / COMMAND NOT SUPPORT without a code says nothing about the SIM.
                log.warning("modem_cpin_unanswered", answer=exc.response.final)
                state.sim = "unknown"
                return  # some modems without SIM lock support refuse the query; sending will tell
            else:
                state.sim = info.meaning
                raise SimPinError(f"SIM not usable: {info.label} ({info.meaning})", info=info) from exc
        state.sim = sim or "unknown"
        if sim == "READY":
            return
        if sim == "SIM PIN" and config.pin is not None and not pin_sent:
            await _enter_pin(link, config.pin, timeouts.command)
            pin_sent = True
        elif sim in _LOCKED:
            hint = "set MODEM_PIN" if sim == "SIM PIN" else "unlock the SIM in a phone"
            raise SimPinError(f"the SIM wants {sim}: {hint}")
        if loop.time() >= deadline:
            raise SimPinError(f"the SIM is not ready after {timeouts.sim_ready:g} s (+CPIN: {sim})")
        await asyncio.sleep(min(0.5, timeouts.registration_poll))


async def _enter_pin(link: ModemLink, pin: str, deadline: float) -> None:
    try:
        await link.command(f'AT+CPIN="{pin}"', deadline=deadline, label='AT+CPIN="****"')
    except CommandFailedError as exc:
        info = info_for_final(exc.response.final)
        # The caller forgets the PIN: never try a refused PIN twice, three wrong PINs lock the SIM.
        raise SimPinError(
            f"the SIM refused the configured PIN ({info.label}: {info.meaning}); check MODEM_PIN",
            pin_rejected=True,
            info=info,
        ) from exc
    log.info("modem_pin_entered", port=link.port)


async def _wait_registered(link: ModemLink, state: ModemState, config: ModemConfig) -> None:
    loop = asyncio.get_running_loop()
    timeouts = config.timeouts
    deadline = loop.time() + timeouts.registration
    while True:
        creg, cereg = await registration_states(link, state, timeouts.command)
        if state.registered:
            return
        if 3 in (creg, cereg):
            raise ModemUnavailableError(
                f"the network denied registration (CREG {creg}, CEREG {cereg}): check the SIM's plan"
            )
        if loop.time() >= deadline:
            raise ModemUnavailableError(
                f"not registered on a network after {timeouts.registration:g} s "
                f"({state.registration}; CREG {creg}, CEREG {cereg})"
            )
        await asyncio.sleep(timeouts.registration_poll)
