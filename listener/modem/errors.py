"""What the modem driver raises, sorted by what happened to the SMS being sent.

Three families, and only three, because the listener must decide one thing after a failed send:
may this SMS be sent again?

- `NotSentError`: nothing of the SMS left the modem (no prompt, device gone before the body, SIM or
  registration trouble). Safe to retry now: the listener re-queues the bubble and waits for the modem.
- `RefusedError`: the network or the modem answered the body (or the command) with a code
  (`+CMS ERROR: 21`, `+CME ERROR: 14`): the SMS was not delivered, and the code says whether retrying
  later can help (`TransientSendError`) or not (`PermanentSendError`).
- `MaybeSentError`: the body was handed over and no final answer came (deadline passed, the device
  vanished, or only some parts of a long SMS were accepted). It may have been sent; a person decides.

The families are disjoint by construction: `ModemError.__init_subclass__` refuses a class that
inherits from two of them, so "maybe sent" can never be caught as "not sent" whatever order the
`except` clauses are written in. An error that belongs to no family (a bug, an unexpected answer) is
treated as maybe sent by `send_fate`: never guess "not sent".
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from listener.modem.codes import CodeInfo, ErrorClass
from sms_common.errors import SmsSchedulerError


class SendFate(enum.Enum):
    """What happened to the SMS, as far as the driver knows."""

    NOT_SENT = "not_sent"
    REFUSED = "refused"
    MAYBE_SENT = "maybe_sent"


class ModemError(SmsSchedulerError):
    """Root of everything the modem driver raises."""

    #: Set by the three family roots only; `send_fate` reads it through the MRO.
    _family: ClassVar[SendFate | None] = None

    def __init_subclass__(cls, *, family: SendFate | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited = {
            base.__dict__["_family"]
            for base in cls.__mro__[1:]
            if isinstance(base.__dict__.get("_family"), SendFate)
        }
        if family is not None:
            if inherited:
                raise TypeError(f"{cls.__name__}: a send family root cannot inherit another family")
            cls._family = family
        elif len(inherited) > 1:
            names = ", ".join(sorted(fate.value for fate in inherited))
            raise TypeError(f"{cls.__name__} inherits two send families ({names}); they must stay disjoint")


def send_fate(exc: BaseException) -> SendFate:
    """The family of `exc`; anything outside the three families may have been sent."""
    for base in type(exc).__mro__:
        fate = base.__dict__.get("_family")
        if isinstance(fate, SendFate):
            return fate
    return SendFate.MAYBE_SENT


class MalformedPduError(ModemError):
    """A PDU read from the modem (or typed by a person) cannot be decoded; `reason` says what is wrong,
    in one line (e.g. "TP-UDL says 40 septets but only 12 octets follow").

    Not about sending, so it belongs to no send family. The listener stores such a PDU raw with the
    reason and deletes it from the modem only after that, so nothing is lost and nothing crashes.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- nothing left the modem ------------------------------------------------------------------------


class NotSentError(ModemError, family=SendFate.NOT_SENT):
    """Nothing of the current SMS left the modem: it is safe to send it again."""


class ModemUnavailableError(NotSentError):
    """The modem or its SIM cannot send right now; nothing of the current message left the modem.

    Pause sending, let the modem be re-opened, alert a person if it lasts.
    """

    def __init__(self, message: str, *, info: CodeInfo | None = None) -> None:
        super().__init__(message)
        self.info = info


class ModemNotRespondingError(ModemUnavailableError):
    """The modem did not answer a command within its deadline (or the device disappeared), before
    any SMS body was written."""


class SimPinError(ModemUnavailableError):
    """The SIM wants a PIN (none configured) or a PUK, or refused the configured PIN.

    `pin_rejected` is true when the configured PIN was refused: it must not be tried again
    automatically, because three wrong PINs lock the SIM.
    """

    def __init__(self, message: str, *, pin_rejected: bool = False, info: CodeInfo | None = None) -> None:
        super().__init__(message, info=info)
        self.pin_rejected = pin_rejected


# -- refused, with a code --------------------------------------------------------------------------


class RefusedError(ModemError, family=SendFate.REFUSED):
    """The network or the modem refused the SMS with a code: it was not delivered."""

    def __init__(self, message: str, *, info: CodeInfo) -> None:
        super().__init__(message)
        self.info = info

    @property
    def code(self) -> int | None:
        return self.info.code

    @property
    def text(self) -> str:
        """The modem's answer and what it means, e.g. `+CMS ERROR: 38 (network out of order)`."""
        return f"{self.info.label} ({self.info.meaning})"


class TransientSendError(RefusedError):
    """The message was not sent this time; retry it later (at most `max_attempts` in all, when set)."""

    @property
    def max_attempts(self) -> int | None:
        return self.info.max_attempts


class PermanentSendError(RefusedError):
    """This message can never be sent as it is (bad number, barred, refused content): fail it, go on."""


class InvalidMessageError(PermanentSendError):
    """The number or the text cannot be turned into an SMS (checked before anything reaches the modem)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, info=CodeInfo("ERROR", None, message, ErrorClass.PERMANENT))

    @property
    def text(self) -> str:
        return str(self)


# -- it may have been sent -------------------------------------------------------------------------


class MaybeSentError(ModemError, family=SendFate.MAYBE_SENT):
    """(Part of) the body was handed to the modem but no final answer came: it may have been sent.

    Never resend such a message automatically; a person decides.
    """


class SendOutcomeUnknownError(MaybeSentError):
    """The driver's account of a maybe-sent SMS: how many of its parts the modem had accepted."""

    def __init__(self, message: str, *, parts_accepted: int = 0, parts_total: int = 1) -> None:
        super().__init__(message)
        self.parts_accepted = parts_accepted
        self.parts_total = parts_total


def error_for(info: CodeInfo, context: str) -> ModemError:
    """The exception the caller should see for a classified code during `context` (e.g. `AT+CMGS`),
    when the code answered the SMS itself (nothing of it had been accepted before)."""
    message = f"{context}: {info.label} ({info.meaning})"
    if info.error_class is ErrorClass.PERMANENT:
        return PermanentSendError(message, info=info)
    if info.error_class is ErrorClass.MODEM:
        return ModemUnavailableError(message, info=info)
    return TransientSendError(message, info=info)
