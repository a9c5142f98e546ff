"""SMS-SUBMIT PDUs: known vectors, 7-bit packing with fill bits, concatenation headers, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.modem.errors import InvalidMessageError
from listener.modem.pdu import (
    PduError,
    build_submit,
    concat_header,
    decode_submit,
    encode_address,
    pack_septets,
    unpack_septets,
)


def test_classic_tutorial_vector() -> None:
    # The SMS-SUBMIT example of Lars Pettersson's "SMS PDU format" tutorial (dreamfabric.com), also
    # used in python-gsmmodem's tests: "hellohello" to +46708251358, 4-day validity.
    (pdu,) = build_submit("+46708251358", "hellohello")
    assert pdu.hex == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert pdu.tpdu_length == 23


def test_ucs2_vector_built_by_hand() -> None:
    # 00 SMSC | 11 SUBMIT+VPF | 00 MR | 0B 91 2143658709F1 (+12345678901) | 00 PID | 08 UCS-2 | AA VP | 02 UDL | 00E7
    (pdu,) = build_submit("+12345678901", "ç")
    assert pdu.hex == "0011000B912143658709F10008AA0200E7"
    assert pdu.tpdu_length == len(bytes.fromhex(pdu.hex)) - 1


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        ("+15551234567", "0B915155214365F7"),
        ("+4412345678", "0A914421436587"),
        ("5551234", "0781551532F4"),  # no '+': unknown/national type 0x81
    ],
)
def test_address_encoding(number: str, encoded: str) -> None:
    assert encode_address(number).hex().upper() == encoded


@pytest.mark.parametrize("number", ["", "+", "12ab", "+1 555 123", "+123456789012345678901"])
def test_bad_numbers_are_refused_before_the_modem(number: str) -> None:
    with pytest.raises(InvalidMessageError, match="not a phone number"):
        build_submit(number, "hi")


def test_concatenated_gsm7_part_uses_header_and_one_fill_bit() -> None:
    text = "A" * 153 + "B" * 10
    first, second = build_submit("+15551234567", text, reference=0x42)
    raw = bytes.fromhex(first.hex)
    tpdu = raw[1:]
    assert tpdu[0] == 0x51  # SUBMIT, VPF relative, UDHI
    udl = tpdu[13]
    ud = tpdu[14:]
    assert udl == 160  # 7 header septets + 153 characters
    assert ud[:6] == concat_header(0x42, 2, 1) == bytes.fromhex("050003420201")
    assert len(ud) == 140
    assert ud[6] == (ord("A") << 1) & 0xFF  # first septet starts after one fill bit
    decoded = decode_submit(second.hex)
    assert decoded.concatenation is not None
    assert (decoded.concatenation.reference, decoded.concatenation.total, decoded.concatenation.sequence) == (
        0x42,
        2,
        2,
    )
    assert decoded.text == "B" * 10


def test_decoder_understands_16_bit_reference_headers() -> None:
    # IEI 08: 06 08 04 <ref hi> <ref lo> <total> <seq>, UCS-2 "hi"
    tpdu = bytes.fromhex("51000B915155214365F70008AA0B0608041234020100680069")
    decoded = decode_submit("00" + tpdu.hex())
    assert decoded.concatenation is not None
    assert decoded.concatenation.reference == 0x1234
    assert decoded.text == "hi"


@pytest.mark.parametrize(
    ("hex_text", "problem"),
    [
        ("zz", "not hex"),
        ("0011", "ends too early"),
        ("0000000B915155214365F70000AA0161", "not an SMS-SUBMIT"),
        ("0011000B915155214365F70000AA0561", "TP-UDL says 5 septets but only 1 octet follow"),
        ("0011000B915155214365F70008AA050061", "TP-UDL says 5 octets but only 2 octets follow"),
    ],
)
def test_decoder_names_the_problem(hex_text: str, problem: str) -> None:
    with pytest.raises(PduError, match=problem):
        decode_submit(hex_text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200).map(lambda b: bytes(x & 0x7F for x in b)), st.integers(0, 6))
def test_pack_unpack_round_trip(septets: bytes, fill: int) -> None:
    assert unpack_septets(pack_septets(septets, fill), len(septets), fill) == septets


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=700),
    st.integers(0, 255),
)
def test_any_text_round_trips_through_pdus(text: str, reference: int) -> None:
    pdus = build_submit("+15551234567", text, reference=reference)
    decoded = [decode_submit(p.hex) for p in pdus]
    assert "".join(d.text for d in decoded) == text
    for index, (pdu, d) in enumerate(zip(pdus, decoded, strict=True), start=1):
        assert len(bytes.fromhex(pdu.hex)) - 1 == pdu.tpdu_length
        assert pdu.tpdu_length - 14 <= 140  # 14 octets before TP-UD for an 11-digit number
        if len(pdus) > 1:
            assert d.concatenation is not None
            assert (d.concatenation.reference, d.concatenation.total, d.concatenation.sequence) == (
                reference,
                len(pdus),
                index,
            )
        assert d.number == "+15551234567"
