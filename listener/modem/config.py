"""How to reach one modem and how long to wait for it: one frozen value shared by every layer.

The driver (`driver.Modem`), its reconnecting wrapper (`resilient.ResilientModem`), the bring-up and
the sending code all read the same `ModemConfig`, so a new setting is declared once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

SmsMode = Literal["pdu", "text"]

_PIN_RE = re.compile(r"^\d{4,8}$")


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
    #: Reading stored messages (AT+CMGL=4 lists a whole memory; Huawei sticks are slow at it).
    read: float = 20.0


@dataclass(frozen=True)
class ModemConfig:
    """The serial device, its speed, the SMS mode, the SIM PIN (never shown) and the deadlines.

    `receive`: configure new-message indications at bring-up (AT+CPMS, AT+CNMI; see `receiving`).
    `status_reports`: ask for a delivery report on every part sent (TP-SRR; AT+CSMP in text mode)."""

    port: str
    baud: int = 115200
    mode: SmsMode = "pdu"
    pin: str | None = field(default=None, repr=False)
    timeouts: ModemTimeouts = field(default_factory=ModemTimeouts)
    receive: bool = True
    status_reports: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("pdu", "text"):
            raise ValueError(f"mode must be 'pdu' or 'text', not {self.mode!r}")
        if self.pin is not None and not _PIN_RE.match(self.pin):
            raise ValueError("the SIM PIN must be 4 to 8 digits")
