"""The send families: disjoint by construction, and `decide` never re-queues what may have been sent."""

from __future__ import annotations

import inspect

import pytest

from listener.decision import Fail, MarkUnknown, Release, decide
from listener.modem.codes import CAPPED_ATTEMPTS, classify
from listener.modem.dialogue import CommandFailedError, Response, ResultTimeoutError
from listener.modem.errors import (
    InvalidMessageError,
    MaybeSentError,
    ModemError,
    ModemNotRespondingError,
    ModemUnavailableError,
    NotSentError,
    PermanentSendError,
    RefusedError,
    SendFate,
    SendOutcomeUnknownError,
    SimPinError,
    TransientSendError,
    send_fate,
)


def _all_modem_errors() -> set[type[ModemError]]:
    found: set[type[ModemError]] = set()
    todo: list[type[ModemError]] = [ModemError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("listener."):  # not the refused classes a test tried to define
            found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_modem_error_class_belongs_to_at_most_one_family() -> None:
    families = (NotSentError, RefusedError, MaybeSentError)
    classes = _all_modem_errors()
    assert {ResultTimeoutError, SendOutcomeUnknownError, SimPinError, InvalidMessageError} <= classes
    for cls in classes:
        assert sum(issubclass(cls, family) for family in families) <= 1, cls


def test_a_class_joining_two_families_cannot_even_be_defined() -> None:
    with pytest.raises(TypeError, match="two send families"):

        class _Both(ModemNotRespondingError, SendOutcomeUnknownError):
            pass

    with pytest.raises(TypeError, match="family root"):

        class _Rooted(SendOutcomeUnknownError, family=SendFate.NOT_SENT):
            pass


@pytest.mark.parametrize(
    ("exc", "fate"),
    [
        (ModemUnavailableError("no network"), SendFate.NOT_SENT),
        (ModemNotRespondingError("no prompt"), SendFate.NOT_SENT),
        (SimPinError("PIN"), SendFate.NOT_SENT),
        (TransientSendError("38", info=classify("CMS", 38)), SendFate.REFUSED),
        (PermanentSendError("21", info=classify("CMS", 21)), SendFate.REFUSED),
        (InvalidMessageError("bad number"), SendFate.REFUSED),
        (ResultTimeoutError("no answer after the body"), SendFate.MAYBE_SENT),
        (SendOutcomeUnknownError("no answer"), SendFate.MAYBE_SENT),
        (CommandFailedError(Response("AT+CMGS", (), "ERROR")), SendFate.MAYBE_SENT),
        (ModemError("unclassified"), SendFate.MAYBE_SENT),
        (RuntimeError("a bug"), SendFate.MAYBE_SENT),
    ],
)
def test_send_fate_of_each_error(exc: BaseException, fate: SendFate) -> None:
    assert send_fate(exc) is fate


def test_only_not_sent_releases() -> None:
    for cls in _all_modem_errors():
        if inspect.isabstract(cls):
            continue
        decision = decide(_instance(cls), attempts=1)
        assert isinstance(decision, Release) == issubclass(cls, NotSentError), cls
        if issubclass(cls, MaybeSentError) or not issubclass(cls, NotSentError | RefusedError):
            assert isinstance(decision, MarkUnknown), cls


def _instance(cls: type[ModemError]) -> ModemError:
    if issubclass(cls, CommandFailedError):
        return cls(Response("AT", (), "ERROR"))
    if issubclass(cls, InvalidMessageError):
        return cls("bad")
    if issubclass(cls, RefusedError):
        return cls("refused", info=classify("CMS", 42))
    return cls("failed")


def test_refusals_follow_the_code_table() -> None:
    assert decide(PermanentSendError("x", info=classify("CMS", 21)), 1) == Fail("x", permanent=True)
    assert decide(TransientSendError("x", info=classify("CMS", 42)), 5) == Fail("x", permanent=False)
    capped = decide(TransientSendError("x", info=classify("CMS", 38)), CAPPED_ATTEMPTS)
    assert capped == Fail(f"x; gave up after {CAPPED_ATTEMPTS} attempts", permanent=True)
