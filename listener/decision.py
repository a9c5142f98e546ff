"""What the service does with a bubble after the modem has had it: one pure function, one place.

`decide` turns the modem's answer (a result or an exception) into exactly one of four outcomes. It
matches on the exception's send family (`listener.modem.errors.SendFate`) and nothing else, with an
exhaustive `match` that mypy checks (`assert_never`): a new family cannot be added without deciding
what it means here, and the order of clauses cannot turn "maybe sent" into "not sent", because an
exception belongs to one family only (enforced when its class is defined).

The rule it keeps: only `NOT_SENT` releases a bubble for another attempt now. `REFUSED` lets the
database's backoff decide (transient) or fails it (permanent). `MAYBE_SENT`, and anything that is not
a classified modem error, marks it `unknown` for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from listener.modem.errors import MaybeSentError, RefusedError, SendFate, TransientSendError, send_fate
from sms_common.logs import redact_text


@dataclass(frozen=True)
class Sent:
    """The modem accepted every part; `reference` is its +CMGS reference(s)."""

    reference: str
    parts: int


@dataclass(frozen=True)
class Release:
    """Nothing left the modem: back to the queue now, not counted as an attempt."""

    reason: str


@dataclass(frozen=True)
class Fail:
    """Refused with a code: permanent, or transient and retried by the database's backoff."""

    error: str
    permanent: bool


@dataclass(frozen=True)
class MarkUnknown:
    """It may have been sent: never retried automatically; a person decides."""

    error: str


Decision = Sent | Release | Fail | MarkUnknown


def decide(exc: BaseException, attempts: int) -> Release | Fail | MarkUnknown:
    """The outcome of a send that raised `exc` on the bubble's `attempts`-th attempt."""
    fate = send_fate(exc)
    match fate:
        case SendFate.NOT_SENT:
            return Release(reason=f"modem unavailable: {error_text(exc)}")
        case SendFate.REFUSED:
            assert isinstance(exc, RefusedError)  # the REFUSED family is exactly RefusedError's tree
            return _refusal(exc, attempts)
        case SendFate.MAYBE_SENT:
            return MarkUnknown(error=error_text(exc))
        case _:
            assert_never(fate)


def _refusal(exc: RefusedError, attempts: int) -> Fail:
    text = error_text(exc)
    if not isinstance(exc, TransientSendError):
        return Fail(error=text, permanent=True)
    # Codes also reported for unreachable numbers are capped by the driver's table.
    if exc.max_attempts is not None and attempts >= exc.max_attempts:
        return Fail(error=f"{text}; gave up after {attempts} attempts", permanent=True)
    return Fail(error=text, permanent=False)


def error_text(exc: BaseException) -> str:
    """The modem's own words (e.g. '+CMS ERROR: 21 short message transfer rejected'), redacted."""
    text = redact_text(str(exc).strip() or type(exc).__name__)
    if send_fate(exc) is SendFate.MAYBE_SENT and not isinstance(exc, MaybeSentError):
        return f"unclassified error ({type(exc).__name__}): {text}"
    return text
