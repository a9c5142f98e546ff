"""Real modem models' quirks, as data: what the simulated firmware answers where models differ.

Each profile is one frozen value; the AT emulation reads its fields and never tests a model's name.
The quirks are the ones the driver's bring-up copes with (listener.modem.bringup):

- Huawei (E3372 and friends): unknown commands get `COMMAND NOT SUPPORT`, and so does AT+CEREG?.
- Wavecom: `+CPIN: READY` with no OK after it.
- An LTE-only module (Quectel EG/EC series as configured by some operators): never registers on
  +CREG, only on +CEREG; AT+COPS? reports access technology 7 (E-UTRAN).
- SIMCom SIM800 (2G): AT+CEREG? is answered with a plain ERROR.

Reception differs too (3GPP TS 27.005 leaves most of it optional). What each model offers in
`AT+CNMI=?` and `AT+CPMS=?`, and so what the driver ends up using (docs/modem.md has the table):

- generic: SIM storage (SM, 30 slots) and a status-report memory (SR); stored-and-announced
  messages and reports (`+CMTI`, `+CDSI: "SR",<i>`).
- huawei: SM, ME and SR; announces like generic and says `^SMMEMFULL: "SM"` when the SIM is full.
- wavecom: SM only, reports only directly (`ds` 0/1: `+CDS`), and phase 2+ (AT+CSMS? service 1), so
  every direct delivery must be acknowledged with AT+CNMA.
- lte (Quectel-like): SM and ME, no SR: stored reports go to SM (`+CDSI: "SM",<i>`).
- sim800: SM, reports only directly (`+CDS`), phase 2 (no AT+CNMA); an empty slot read with
  AT+CMGR is answered with a bare OK (the others answer `+CMS ERROR: 321`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: How AT+CMGR answers an empty slot: `+CMS ERROR: 321`, a bare OK, or `+CMGR: 0,,0` and OK.
EmptyRead = Literal["error", "ok", "zero"]

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
    #: Message memories and their slots, in AT+CPMS=? order; "SR" holds status reports only.
    memories: tuple[tuple[str, int], ...] = (("SM", 30), ("SR", 10))
    #: Where a stored status report goes (ds=2): "SR", or the receive memory ("SM") where there is none.
    report_memory: str = "SR"
    #: The answer to AT+CNMI=? (<mode>,<mt>,<bm>,<ds>,<bfr>); settings outside it are refused.
    cnmi_support: str = "(0-3),(0-3),(0,2),(0-2),(0,1)"
    #: Whether AT+CNMI=? is answered at all (False: only trying settings tells).
    cnmi_test: bool = True
    #: AT+CSMS <service> at power-up: 1 (phase 2+) wants AT+CNMA for every +CMT/+CDS.
    csms_service: int = 0
    #: What the firmware says when a message cannot be stored because the memory is full.
    memory_full_urc: str | None = None
    empty_read: EmptyRead = "error"

    @property
    def access_technology(self) -> int:
        """The <AcT> of AT+COPS?: 7 E-UTRAN, 2 UTRAN."""
        return 7 if self.lte_only else 2


MODELS: dict[Profile, ModemModel] = {
    "generic": ModemModel("generic"),
    "huawei": ModemModel(
        "huawei",
        unknown_command="COMMAND NOT SUPPORT",
        cereg_refusal="COMMAND NOT SUPPORT",
        memories=(("SM", 30), ("ME", 50), ("SR", 10)),
        cnmi_support="(0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)",
        memory_full_urc='^SMMEMFULL: "SM"',
    ),
    "wavecom": ModemModel(
        "wavecom",
        ok_after_cpin_ready=False,
        memories=(("SM", 20),),
        report_memory="SM",
        cnmi_support="(0,1,2,3),(0,1,2,3),(0,1,2),(0,1),(0,1)",
        csms_service=1,
    ),
    "lte": ModemModel(
        "lte",
        lte_only=True,
        memories=(("SM", 30), ("ME", 255)),
        report_memory="SM",
        cnmi_support="(0-3),(0-3),(0-2),(0-2),(0,1)",
    ),
    "sim800": ModemModel(
        "sim800",
        cereg_refusal="ERROR",
        memories=(("SM", 30),),
        report_memory="SM",
        cnmi_support="(0-3),(0-3),(0-3),(0,1),(0,1)",
        empty_read="ok",
    ),
}
PROFILES: tuple[Profile, ...] = tuple(MODELS)
