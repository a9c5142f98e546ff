"""Real modem models' quirks, as data: what the simulated firmware answers where models differ.

Each profile is one frozen value; the AT emulation reads its fields and never tests a model's name.
The quirks are the ones the driver's bring-up copes with (listener.modem.bringup):

- Huawei (E3372 and friends): unknown commands get `COMMAND NOT SUPPORT`, and so does AT+CEREG?.
- Wavecom: `+CPIN: READY` with no OK after it.
- An LTE-only module (Quectel EG/EC series as configured by some operators): never registers on
  +CREG, only on +CEREG; AT+COPS? reports access technology 7 (E-UTRAN).
- SIMCom SIM800 (2G): AT+CEREG? is answered with a plain ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Profile = Literal["generic", "huawei", "wavecom", "lte", "sim800"]


@dataclass(frozen=True)
class ModemModel:
    """What differs between models, as the simulated firmware answers it."""

    name: Profile
    #: The final result code for a command this firmware does not know.
    unknown_command: str = "ERROR"
    #: The answer to AT+CEREG? when it is not supported (None: supported).
    cereg_refusal: str | None = None
    #: Whether `+CPIN: READY` is followed by OK.
    ok_after_cpin_ready: bool = True
    #: Registers on +CEREG only (+CREG stays 0 whatever the network says).
    lte_only: bool = False

    @property
    def access_technology(self) -> int:
        """The <AcT> of AT+COPS?: 7 E-UTRAN, 2 UTRAN."""
        return 7 if self.lte_only else 2


MODELS: dict[Profile, ModemModel] = {
    "generic": ModemModel("generic"),
    "huawei": ModemModel(
        "huawei", unknown_command="COMMAND NOT SUPPORT", cereg_refusal="COMMAND NOT SUPPORT"
    ),
    "wavecom": ModemModel("wavecom", ok_after_cpin_ready=False),
    "lte": ModemModel("lte", lte_only=True),
    "sim800": ModemModel("sim800", cereg_refusal="ERROR"),
}
PROFILES: tuple[Profile, ...] = tuple(MODELS)
