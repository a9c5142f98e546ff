"""The +CMS / +CME error codes as data: what each one means and what the caller should do about it.

Modems report failures as `+CMS ERROR: <n>` (3GPP TS 27.005 §3.2.5, SMS commands) or `+CME ERROR: <n>`
(TS 27.007 §9.2, everything else). The listener does not care about the number; it cares whether to
retry this message later (transient), pause all sending because the modem or SIM is in trouble
(modem), or fail this one message and move on (permanent), so one bad number never holds up the
queue. The table is data (`CODES`, `classify`) so the listener, the docs and the tests share it.

Some codes (38 "network out of order", 500 "unknown error") are reported both for a passing network
problem and, by some operators, for a number that can never be reached: they are transient with a
cap (`max_attempts`) after which the caller should give up on that message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

ErrorKind = Literal["CMS", "CME", "ERROR"]


class ErrorClass(enum.StrEnum):
    """What the caller should do about a failed send."""

    TRANSIENT = "transient"  # retry this message later
    MODEM = "modem"  # modem or SIM trouble: pause sending, reconnect, raise an alert
    PERMANENT = "permanent"  # this message can never be sent as it is: fail it, go on with the others


@dataclass(frozen=True)
class CodeInfo:
    """One row of the classification table."""

    kind: ErrorKind
    code: int | None
    meaning: str
    error_class: ErrorClass
    #: For transient codes also seen for bad numbers: give up on the message after this many attempts.
    max_attempts: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "ERROR":
            return "ERROR"
        return f"+{self.kind} ERROR: {self.code}"


#: How many attempts a transient code that is also reported for unreachable numbers may take.
CAPPED_ATTEMPTS = 3

_T, _M, _P = ErrorClass.TRANSIENT, ErrorClass.MODEM, ErrorClass.PERMANENT

_CMS: tuple[tuple[int, str, ErrorClass, int | None], ...] = (
    # TS 24.011 RP causes (0..127), reported by the network
    (1, "unassigned (unallocated) number", _P, None),
    (8, "operator determined barring", _P, None),
    (10, "call barred", _P, None),
    (21, "short message transfer rejected", _P, None),
    (27, "destination out of service", _T, CAPPED_ATTEMPTS),
    (28, "unidentified subscriber", _P, None),
    (29, "facility rejected", _P, None),
    (30, "unknown subscriber", _P, None),
    (38, "network out of order", _T, CAPPED_ATTEMPTS),
    (41, "temporary failure", _T, None),
    (42, "congestion", _T, None),
    (47, "resources unavailable, unspecified", _T, None),
    (50, "requested facility not subscribed", _M, None),
    (69, "requested facility not implemented", _M, None),
    (81, "invalid short message transfer reference value", _P, None),
    (95, "invalid message, unspecified", _P, None),
    (96, "invalid mandatory information", _P, None),
    (97, "message type non-existent or not implemented", _P, None),
    (98, "message not compatible with short message protocol state", _T, CAPPED_ATTEMPTS),
    (99, "information element non-existent or not implemented", _P, None),
    (111, "protocol error, unspecified", _T, CAPPED_ATTEMPTS),
    (127, "interworking, unspecified", _T, CAPPED_ATTEMPTS),
    # TS 23.040 TP-FCS values (128..255), reported by the SMSC
    (128, "telematic interworking not supported", _P, None),
    (129, "short message type 0 not supported", _P, None),
    (130, "cannot replace short message", _P, None),
    (143, "unspecified TP-PID error", _P, None),
    (144, "data coding scheme (alphabet) not supported", _P, None),
    (145, "message class not supported", _P, None),
    (159, "unspecified TP-DCS error", _P, None),
    (160, "command cannot be actioned", _P, None),
    (161, "command unsupported", _P, None),
    (175, "unspecified TP-Command error", _P, None),
    (176, "TPDU not supported", _P, None),
    (192, "SC busy", _T, None),
    (193, "no SC subscription", _M, None),
    (194, "SC system failure", _T, None),
    (195, "invalid SME address", _P, None),
    (196, "destination SME barred", _P, None),
    (197, "SM rejected, duplicate SM", _P, None),
    (198, "TP-VPF not supported", _P, None),
    (199, "TP-VP not supported", _P, None),
    (208, "SIM SMS storage full", _M, None),
    (209, "no SMS storage capability in SIM", _M, None),
    (210, "error in MS", _M, None),
    (211, "memory capacity exceeded", _M, None),
    (212, "SIM application toolkit busy", _T, None),
    (213, "SIM data download error", _M, None),
    (255, "unspecified error cause", _T, CAPPED_ATTEMPTS),
    # TS 27.005 §3.2.5 ME/TA errors (300..511)
    (300, "ME failure", _M, None),
    (301, "SMS service of ME reserved", _M, None),
    (302, "operation not allowed", _M, None),
    (303, "operation not supported", _M, None),
    (304, "invalid PDU mode parameter", _P, None),
    (305, "invalid text mode parameter", _P, None),
    (310, "SIM not inserted", _M, None),
    (311, "SIM PIN required", _M, None),
    (312, "PH-SIM PIN required", _M, None),
    (313, "SIM failure", _M, None),
    (314, "SIM busy", _T, None),
    (315, "SIM wrong", _M, None),
    (316, "SIM PUK required", _M, None),
    (317, "SIM PIN2 required", _M, None),
    (318, "SIM PUK2 required", _M, None),
    (320, "memory failure", _M, None),
    (321, "invalid memory index", _P, None),
    (322, "memory full", _M, None),
    (330, "SMSC address unknown", _M, None),
    (331, "no network service", _T, None),
    (332, "network timeout", _T, None),
    (340, "no +CNMA acknowledgement expected", _T, CAPPED_ATTEMPTS),
    (500, "unknown error", _T, CAPPED_ATTEMPTS),
    # manufacturer specific (512..): the ones seen on common USB sticks
    (512, "manufacturer specific (Quectel/SIMCom: SMS not sent, network rejected)", _T, CAPPED_ATTEMPTS),
    (515, "please wait, init or command processing in progress", _T, None),
    (517, "SIM toolkit busy / SMS service not ready", _T, None),
)

_CME: tuple[tuple[int, str, ErrorClass, int | None], ...] = (
    (0, "phone failure", _M, None),
    (1, "no connection to phone", _M, None),
    (3, "operation not allowed", _M, None),
    (4, "operation not supported", _M, None),
    (5, "PH-SIM PIN required", _M, None),
    (10, "SIM not inserted", _M, None),
    (11, "SIM PIN required", _M, None),
    (12, "SIM PUK required", _M, None),
    (13, "SIM failure", _M, None),
    (14, "SIM busy", _T, None),
    (15, "SIM wrong", _M, None),
    (16, "incorrect password", _M, None),
    (17, "SIM PIN2 required", _M, None),
    (18, "SIM PUK2 required", _M, None),
    (20, "memory full", _M, None),
    (21, "invalid index", _P, None),
    (22, "not found", _P, None),
    (23, "memory failure", _M, None),
    (24, "text string too long", _P, None),
    (25, "invalid characters in text string", _P, None),
    (26, "dial string too long", _P, None),
    (27, "invalid characters in dial string", _P, None),
    (30, "no network service", _T, None),
    (31, "network timeout", _T, None),
    (32, "network not allowed - emergency calls only", _M, None),
    (50, "incorrect parameters", _P, None),
    (100, "unknown", _T, CAPPED_ATTEMPTS),
    (515, "please wait, init or command processing in progress", _T, None),
)

#: The whole table, keyed by (kind, code).
CODES: dict[tuple[ErrorKind, int], CodeInfo] = {
    **{("CMS", c): CodeInfo("CMS", c, m, k, n) for c, m, k, n in _CMS},
    **{("CME", c): CodeInfo("CME", c, m, k, n) for c, m, k, n in _CME},
}

#: A bare `ERROR` (AT+CMEE=0, or a modem that ignores it): the modem said no without saying why.
PLAIN_ERROR = CodeInfo("ERROR", None, "error without a code", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS)

_BY_MEANING: dict[tuple[ErrorKind, str], CodeInfo] = {
    (info.kind, info.meaning.lower()): info for info in CODES.values()
}


def classify(kind: ErrorKind, code: int | None) -> CodeInfo:
    """The table row for a code; unknown codes are transient and capped (never loop, never drop at once)."""
    if kind == "ERROR" or code is None:
        return PLAIN_ERROR
    info = CODES.get((kind, code))
    if info is not None:
        return info
    return CodeInfo(kind, code, "code not in the table", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS)


def classify_text(kind: ErrorKind, text: str) -> CodeInfo:
    """Classify a verbose error (AT+CMEE=2 style, `+CME ERROR: SIM PIN required`) or a numeric one."""
    stripped = text.strip()
    if stripped.isdigit():
        return classify(kind, int(stripped))
    info = _BY_MEANING.get((kind, stripped.lower()))
    if info is not None:
        return info
    return CodeInfo(kind, None, stripped or "unspecified", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS)


def info_for_final(final: str) -> CodeInfo:
    """Classify a final result code line: `+CMS ERROR: 38`, `+CME ERROR: SIM busy`, `ERROR`, ..."""
    upper = final.strip().upper()
    kinds: tuple[ErrorKind, ...] = ("CMS", "CME")
    for kind in kinds:
        prefix = f"+{kind} ERROR:"
        if upper.startswith(prefix):
            return classify_text(kind, final.strip()[len(prefix) :])
    if upper == "COMMAND NOT SUPPORT":
        return CodeInfo("ERROR", None, "command not supported", ErrorClass.MODEM)
    if upper == "ERROR":
        return PLAIN_ERROR
    return CodeInfo(
        "ERROR", None, final.strip() or "unexpected answer", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS
    )
