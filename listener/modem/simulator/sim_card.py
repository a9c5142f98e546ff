"""The simulated SIM card and how each simulated model answers the identity commands.

The SIM (`SimCard`: IMSI, ICCID, own number) is a thing of its own, as in a real modem: a test can take
it out and put another one in (`AtEmulator.sim`), and the driver must notice after the next bring-up
(`listener.modem.identity`). How the identity is asked for and shaped differs by model, as data in
`IDENTITY_STYLES` (read by `identity_answer`, never a test of the model's name):

- generic: `AT+CCID` -> `+CCID: 89...`; AT+CNUM on a SIM without a number: a bare OK.
- huawei: `AT^ICCID?` -> `^ICCID: 98...` (EF_ICCID's raw BCD, nibbles swapped); AT+CCID unknown.
- wavecom: `AT+CCID` -> `+CCID: "89..."` (quoted); AT+CNUM without a number: `+CME ERROR: 4`.
- lte (Quectel-like): `AT+QCCID` -> `+QCCID: 89...`; AT+CCID unknown.
- sim800 (SIMCom): `AT+CCID` -> the bare digits; its default SIM knows its number, and AT+CNUM gives
  it without the `+` (type 145 says it is international).

Every default SIM is different (random identifiers on a test network, MCC 001), so several simulated
modems never look like one SIM.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from listener.modem.simulator.profiles import Profile

if TYPE_CHECKING:
    from listener.modem.simulator.at import AtEmulator


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of `digits` (ICCIDs and IMEIs end with one)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _random_digits(count: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(count))


@dataclass
class SimCard:
    """A SIM: its IMSI, its ICCID (as printed on the card) and the number in its MSISDN record."""

    imsi: str
    iccid: str
    own_number: str | None = None

    @classmethod
    def random(cls, own_number: str | None = None) -> SimCard:
        """A SIM on the test network 001-01 with random identifiers."""
        body = "890101" + _random_digits(12)
        return cls(imsi="00101" + _random_digits(10), iccid=body + luhn_digit(body), own_number=own_number)


def random_imei() -> str:
    body = "35" + _random_digits(12)
    return body + luhn_digit(body)


@dataclass(frozen=True)
class IdentityStyle:
    """How one model answers the identity commands."""

    manufacturer: str
    model: str
    #: The one ICCID command this firmware knows (the others get its unknown-command answer).
    iccid_command: str
    iccid_prefix: str | None
    iccid_format: Literal["plain", "quoted", "swapped"] = "plain"
    #: AT+CNUM when the SIM has no number: a bare OK, or +CME ERROR: 4 (operation not supported).
    cnum_unknown: Literal["ok", "error"] = "ok"
    #: Whether AT+CNUM writes the `+` of an international number.
    cnum_plus: bool = True
    #: Whether the default SIM of this model knows its own number (a random +1 209 555 number).
    default_knows_number: bool = False


IDENTITY_STYLES: dict[Profile, IdentityStyle] = {
    "generic": IdentityStyle("Simulated", "generic", "AT+CCID", "+CCID"),
    "huawei": IdentityStyle("huawei", "E3372", "AT^ICCID?", "^ICCID", iccid_format="swapped"),
    "wavecom": IdentityStyle(
        "WAVECOM MODEM",
        "MULTIBAND 900E 1800",
        "AT+CCID",
        "+CCID",
        iccid_format="quoted",
        cnum_unknown="error",
    ),
    "lte": IdentityStyle("Quectel", "EC25", "AT+QCCID", "+QCCID"),
    "sim800": IdentityStyle(
        "SIMCOM_Ltd", "SIMCOM_SIM800L", "AT+CCID", None, cnum_plus=False, default_knows_number=True
    ),
}


def default_sim_card(profile: Profile) -> SimCard:
    knows = IDENTITY_STYLES[profile].default_knows_number
    return SimCard.random(own_number="+1209555" + _random_digits(4) if knows else None)


def _swap(text: str) -> str:
    padded = text + "F" * (len(text) % 2)
    return "".join(padded[i : i + 2][::-1] for i in range(0, len(padded), 2))


def identity_answer(emulator: AtEmulator, upper: str) -> tuple[str, ...] | None:
    """The answer lines (final code last) to an identity command, or None if `upper` is not one this
    model knows (the emulator then answers it as any unknown command)."""
    style = IDENTITY_STYLES[emulator.profile]
    sim = emulator.sim
    if upper == "AT+CGMI":
        return (style.manufacturer, "OK")
    if upper == "AT+CGMM":
        return (style.model, "OK")
    if upper == "AT+CGSN":
        return (emulator.imei, "OK")
    sim_commands = ("AT+CIMI", style.iccid_command.upper(), "AT+CNUM")
    if upper not in sim_commands:
        return None
    if emulator.sim_state != "READY":
        return (emulator._cme(11 if emulator.sim_state == "SIM PIN" else 10),)
    if upper == "AT+CIMI":
        return (sim.imsi, "OK")
    if upper == "AT+CNUM":
        if sim.own_number is None:
            return ("OK",) if style.cnum_unknown == "ok" else (emulator._cme(4),)
        number = sim.own_number if style.cnum_plus else sim.own_number.lstrip("+")
        return (f'+CNUM: "","{number}",145', "OK")
    value = {"plain": sim.iccid, "quoted": f'"{sim.iccid}"', "swapped": _swap(sim.iccid)}[style.iccid_format]
    return (f"{style.iccid_prefix}: {value}" if style.iccid_prefix else value, "OK")
