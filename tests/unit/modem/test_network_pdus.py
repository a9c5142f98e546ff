"""The simulator's SMS-DELIVER and SMS-STATUS-REPORT encoders: any text comes back whole, cut as the
driver cuts it; every part fits an SMS; time stamps keep their zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from listener.modem.encoding import encode_text
from listener.modem.simulator.pdus import build_deliver, build_status_report
from tests.unit.modem.inbound import deliver_fields, report_fields

SENDER = "+15557654321"
AT = datetime(2026, 12, 3, 9, 30, 15, tzinfo=timezone(timedelta(hours=-5)))


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=700),
    st.integers(0, 255),
)
def test_any_reply_round_trips(text: str, reference: int) -> None:
    pdus = build_deliver(SENDER, text, timestamp=AT, concat_reference=reference)
    assert len(pdus) == len(encode_text(text).parts)
    fields = [deliver_fields(p.hex) for p in pdus]
    assert "".join(f[1] for f in fields) == text
    for sequence, (pdu, (sender, _, stamp, concat)) in enumerate(zip(pdus, fields, strict=True), start=1):
        assert (sender, stamp) == (SENDER, AT)
        data = bytes.fromhex(pdu.hex)
        assert len(data) - 1 - data[0] == pdu.tpdu_length
        assert pdu.tpdu_length - 21 <= 140  # 21 octets before TP-UD for an 11-digit sender
        if len(pdus) == 1:
            assert concat is None
        else:
            assert concat is not None
            assert (concat.reference, concat.total, concat.sequence) == (reference, len(pdus), sequence)


def test_an_alphanumeric_sender() -> None:
    (pdu,) = build_deliver("Verizon", "Your bill is ready", timestamp=AT)
    assert deliver_fields(pdu.hex)[:2] == ("Verizon", "Your bill is ready")


@given(st.integers(0, 255), st.integers(0, 255))
def test_status_report_fields(reference: int, status: int) -> None:
    discharged = datetime(2026, 12, 3, 14, 31, 2, tzinfo=UTC)
    pdu = build_status_report(reference, "+15551234567", status, timestamp=AT, discharge_time=discharged)
    assert report_fields(pdu.hex) == (reference, "+15551234567", status, discharged)
    assert pdu.tpdu_length == 2 + 8 + 7 + 7 + 1  # FO, MR, RA (11 digits), SCTS, DT, ST
