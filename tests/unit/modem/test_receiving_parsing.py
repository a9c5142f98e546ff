"""Reading the modem's answers about reception: AT+CNMI=?, AT+CPMS, AT+CMGL, AT+CMGR; which
AT+CNMI settings are tried in which order; the simulator's time stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from listener.modem.receiving import (
    Indications,
    StoredSms,
    indication_candidates,
    parse_listing,
    parse_memory_lists,
    parse_ranges,
    parse_read,
    parse_usage,
    with_smsc,
)
from listener.modem.simulator.pdus import encode_originator, encode_timestamp, smsc_field
from tests.unit.modem.inbound import timestamp_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("(0-3),(0-3),(0,2),(0-2),(0,1)", [{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 2}, {0, 1, 2}, {0, 1}]),
        ("(0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)", [{0, 1, 2}, {0, 1, 2, 3}, {0, 2}, {0, 1, 2}, {0, 1}]),
        ("(2),(0-2),0,(0,1),(0)", [{2}, {0, 1, 2}, {0}, {0, 1}, {0}]),
        ("(1-2),(0,1),(0),(0-1)", [{1, 2}, {0, 1}, {0}, {0, 1}]),
    ],
)
def test_cnmi_support_lists(value: str, expected: list[set[int]]) -> None:
    assert parse_ranges(value) == [frozenset(e) for e in expected]


def test_candidates_prefer_stored_messages_then_stored_reports_then_mode_2() -> None:
    supported = parse_ranges("(0-3),(0-3),(0,2),(0-2),(0,1)")
    first, second, third = indication_candidates(supported, reports=True)[:3]
    assert first == Indications(2, 1, 0, 2, 0)
    assert (second.mode, second.mt, second.ds) == (1, 1, 2)
    assert (third.mode, third.mt, third.ds) == (3, 1, 2)


def test_candidates_without_reports_never_ask_for_them() -> None:
    supported = parse_ranges("(0-3),(0-3),(0,2),(0-2),(0,1)")
    assert {c.ds for c in indication_candidates(supported, reports=False)} == {0}


def test_candidates_where_reports_are_direct_only() -> None:
    supported = parse_ranges("(0-3),(0-3),(0-3),(0,1),(0,1)")  # SIMCom SIM800
    assert indication_candidates(supported, reports=True)[0] == Indications(2, 1, 0, 1, 0)


def test_candidates_where_messages_are_direct_only() -> None:
    supported = parse_ranges("(1,2),(0,2),(0),(0,1),(0)")
    best = indication_candidates(supported, reports=True)[0]
    assert best == Indications(2, 2, 0, 1, 0)
    assert (best.deliveries, best.reports, best.direct) == ("direct", "direct", True)


def test_candidates_when_the_modem_does_not_list_them() -> None:
    commands = [c.command for c in indication_candidates(None, reports=True)]
    assert commands[:3] == ["AT+CNMI=2,1,0,2,0", "AT+CNMI=1,1,0,2,0", "AT+CNMI=2,1,0,1,0"]


@pytest.mark.parametrize(
    ("setting", "deliveries", "reports"),
    [
        (Indications(2, 1, 0, 2, 0), "stored", "stored"),
        (Indications(1, 2, 0, 1, 0), "direct", "direct"),
        (Indications(2, 0, 0, 0, 0), "polled", "off"),
        (Indications(0, 1, 0, 2, 0), "polled", "stored"),
        (Indications(0, 2, 0, 1, 0), "polled", "off"),
    ],
)
def test_what_a_setting_means(setting: Indications, deliveries: str, reports: str) -> None:
    assert (setting.deliveries, setting.reports) == (deliveries, reports)


def test_memory_lists() -> None:
    assert parse_memory_lists('("SM","ME","SR"),("SM","ME"),("SM","ME")') == [
        ("SM", "ME", "SR"),
        ("SM", "ME"),
        ("SM", "ME"),
    ]
    assert parse_memory_lists('"SM","SM","SM"') == [("SM",), ("SM",), ("SM",)]


def test_memory_usage_from_the_query_and_from_a_set() -> None:
    assert parse_usage('"SM",3,30,"SM",3,30,"SR",1,10') == [("SM", 3, 30), ("SM", 3, 30), ("SR", 1, 10)]
    assert parse_usage("3,30,3,30,3,30") == [(None, 3, 30)] * 3
    assert parse_usage("") == []


def test_listing_pairs_each_header_with_its_pdu() -> None:
    lines = ["+CMGL: 1,0,,24", "07911326040000f0040B911346610089F60000", "+CMGL: 4,1,,5", "0791AB"]
    assert parse_listing("SM", lines) == [
        StoredSms("SM", 1, 0, "07911326040000F0040B911346610089F60000"),
        StoredSms("SM", 4, 1, "0791AB"),
    ]


def test_listing_skips_a_header_without_a_pdu() -> None:
    assert parse_listing("SR", ["+CMGL: 1,0,,24", "+CMGL: 2,0,,5", "00AB"]) == [StoredSms("SR", 2, 0, "00AB")]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["+CMGR: 1,,24", "0791ab"], StoredSms("SM", 7, 1, "0791AB")),
        (['+CMGR: 0,"Mom",5', "00AB"], StoredSms("SM", 7, 0, "00AB")),
        (["+CMGR: 0,,0"], None),  # an empty slot, as some modems say it
        ([], None),  # a bare OK
    ],
)
def test_read(lines: list[str], expected: StoredSms | None) -> None:
    assert parse_read("SM", 7, lines) == expected


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 3, 9, 30, 15, tzinfo=UTC),
        datetime(2026, 12, 3, 9, 30, 15, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 7, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        datetime(1999, 1, 1, 0, 0, 0, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    ],
)
def test_time_stamps_round_trip_with_their_zone(moment: datetime) -> None:
    assert timestamp_of(encode_timestamp(moment)) == moment
    assert timestamp_of(encode_timestamp(moment)).utcoffset() == moment.utcoffset()


def test_time_stamp_known_vector() -> None:
    # TS 23.040 §9.2.3.11: 2026-12-03 09:30:15 at UTC-5 (20 quarters, sign bit) -> 62 21 30 90 03 51 0A
    moment = datetime(2026, 12, 3, 9, 30, 15, tzinfo=timezone(timedelta(hours=-5)))
    assert encode_timestamp(moment).hex().upper() == "6221309003510A"


def test_addresses() -> None:
    assert smsc_field("+15550000100").hex().upper() == "07915155000001F0"
    assert encode_originator("+15557654321").hex().upper() == "0B915155674523F1"
    # Alphanumeric "Verizon": type D0, 7 characters = 49 bits in 13 semi-octets (7 octets).
    assert encode_originator("Verizon")[:2] == bytes([13, 0xD0])
    assert len(encode_originator("Verizon")) == 2 + 7


@pytest.mark.parametrize(
    ("pdu", "length", "expected"),
    [
        ("0791ab", "5", "0791AB"),  # with its SMSC field: longer than the TPDU
        ("06D60B91", "4", "0006D60B91"),  # exactly the TPDU: no SMSC field, `00` put in front
        ("00", "0", "00"),
        ("ZZ", "1", "ZZ"),  # not hex: left as it is, for the malformed-PDU record
    ],
)
def test_pdus_always_come_with_an_smsc_field(pdu: str, length: str, expected: str) -> None:
    assert with_smsc(pdu, length) == expected


def test_a_listing_without_smsc_fields() -> None:
    assert parse_listing("SR", ["+CMGL: 1,0,,2", "06D6"]) == [StoredSms("SR", 1, 0, "0006D6")]
