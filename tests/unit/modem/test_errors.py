"""+CMS/+CME ERROR classification: transient, modem/SIM trouble, permanent; capped retries."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.modem.codes import CAPPED_ATTEMPTS, CODES, ErrorClass, classify, info_for_final
from listener.modem.errors import ModemUnavailableError, PermanentSendError, TransientSendError, error_for


@pytest.mark.parametrize(
    ("final", "error_class", "max_attempts"),
    [
        # transient: network out of order, congestion, no network, network timeout, SIM busy
        ("+CMS ERROR: 38", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS),
        ("+CMS ERROR: 41", ErrorClass.TRANSIENT, None),
        ("+CMS ERROR: 42", ErrorClass.TRANSIENT, None),
        ("+CMS ERROR: 47", ErrorClass.TRANSIENT, None),
        ("+CMS ERROR: 331", ErrorClass.TRANSIENT, None),
        ("+CMS ERROR: 332", ErrorClass.TRANSIENT, None),
        ("+CME ERROR: 14", ErrorClass.TRANSIENT, None),
        ("+CME ERROR: 515", ErrorClass.TRANSIENT, None),
        ("+CMS ERROR: 500", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS),
        # modem or SIM trouble: pause sending, alert
        ("+CMS ERROR: 310", ErrorClass.MODEM, None),
        ("+CMS ERROR: 311", ErrorClass.MODEM, None),
        ("+CMS ERROR: 316", ErrorClass.MODEM, None),
        ("+CMS ERROR: 330", ErrorClass.MODEM, None),
        ("+CME ERROR: 11", ErrorClass.MODEM, None),
        ("+CME ERROR: 16", ErrorClass.MODEM, None),
        ("COMMAND NOT SUPPORT", ErrorClass.MODEM, None),
        # permanent for this message: unassigned / barred number, invalid PDU
        ("+CMS ERROR: 1", ErrorClass.PERMANENT, None),
        ("+CMS ERROR: 8", ErrorClass.PERMANENT, None),
        ("+CMS ERROR: 10", ErrorClass.PERMANENT, None),
        ("+CMS ERROR: 21", ErrorClass.PERMANENT, None),
        ("+CMS ERROR: 304", ErrorClass.PERMANENT, None),
        ("+CMS ERROR: 96", ErrorClass.PERMANENT, None),
        # verbose (AT+CMEE=2) forms are classified like the numbers
        ("+CME ERROR: SIM PIN required", ErrorClass.MODEM, None),
        ("+CMS ERROR: network out of order", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS),
        ("+CME ERROR: SIM busy", ErrorClass.TRANSIENT, None),
        # no reason given, or a code nobody documented: retry, but not forever
        ("ERROR", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS),
        ("+CMS ERROR: 999", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS),
        ("+CME ERROR: something odd", ErrorClass.TRANSIENT, CAPPED_ATTEMPTS),
    ],
)
def test_final_result_codes_are_classified(
    final: str, error_class: ErrorClass, max_attempts: int | None
) -> None:
    info = info_for_final(final)
    assert info.error_class is error_class
    assert info.max_attempts == max_attempts


def test_every_transient_row_is_either_capped_or_clearly_passing() -> None:
    # Codes also reported for unreachable numbers must be capped, or one bad number retries forever.
    for code in (27, 38, 500):
        assert CODES[("CMS", code)].max_attempts == CAPPED_ATTEMPTS
    assert all(
        info.max_attempts is None for info in CODES.values() if info.error_class is not ErrorClass.TRANSIENT
    )


@pytest.mark.parametrize(
    ("code", "exception"),
    [(38, TransientSendError), (1, PermanentSendError), (330, ModemUnavailableError)],
)
def test_error_for_gives_the_class_the_listener_acts_on(code: int, exception: type[Exception]) -> None:
    error = error_for(classify("CMS", code), "AT+CMGS")
    assert type(error) is exception
    assert f"+CMS ERROR: {code}" in str(error)


def test_send_errors_carry_code_text_and_cap() -> None:
    error = error_for(classify("CMS", 38), "AT+CMGS")
    assert isinstance(error, TransientSendError)
    assert error.code == 38
    assert error.text == "+CMS ERROR: 38 (network out of order)"
    assert error.max_attempts == CAPPED_ATTEMPTS


def test_the_documented_table_matches_the_code() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "modem.md").read_text(encoding="utf-8")
    rows = {line for line in docs.splitlines() if line.startswith("| `+C")}
    expected = {
        f"| `+{info.kind} ERROR: {info.code}` | {info.meaning} | {info.error_class.value} | {info.max_attempts or ''} |"
        for info in CODES.values()
    }
    assert rows == expected
