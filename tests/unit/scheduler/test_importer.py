"""CSV validation: every bad row named with its line number and reason; phone numbers to E.164."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.importer import ImportFileError, normalise_phone, parse_csv_file, parse_csv_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scheduler"


def test_the_sample_file_is_valid_and_normalised() -> None:
    parsed = parse_csv_file(FIXTURES / "campaign.csv")
    assert parsed.problems == ()
    assert [r.phone_number for r in parsed.rows] == [
        "+12097930464",
        "+15598819424",
        "+12094880885",
        "+15594930003",
        "+12095550199",
    ]
    assert [r.line for r in parsed.rows] == [2, 3, 4, 5, 6]
    assert parsed.rows[4].customer_name == "Rivera, Sam"
    assert parsed.rows[4].message_content.startswith("A quoted name, and a message over\ntwo lines.")


def test_every_bad_row_is_reported_with_its_line_and_reason() -> None:
    parsed = parse_csv_file(FIXTURES / "campaign_bad.csv")
    assert [r.line for r in parsed.rows] == [2]
    assert [str(p) for p in parsed.problems] == [
        "line 3: malformed phone number '12345' (not a valid number for its region)",
        "line 4: empty message",
        "line 5: bubble 2 of 3 is empty",
        "line 6: missing column message (the row has 2 fields, the header 3)",
        "line 7: malformed phone number 'call me maybe' (The string supplied did not seem to be a phone number.)",
    ]
    assert parsed.total == 6


def test_line_numbers_count_physical_lines_of_quoted_multiline_fields() -> None:
    text = 'customer_name,phone_number,message\nA,2095550101,"two\nlines"\nB,12,x\n\nC,2095550102,\n'
    parsed = parse_csv_text(text)
    assert [str(p) for p in parsed.problems] == [
        "line 4: malformed phone number '12' (not a valid number for its region)",
        "line 6: empty message",
    ]


def test_several_problems_in_one_row_are_all_named() -> None:
    parsed = parse_csv_text("customer_name,phone_number,message\nA,555,[BUBBLE]x\n")
    assert len(parsed.problems) == 1
    reason = parsed.problems[0].reason
    assert "malformed phone number '555'" in reason
    assert "bubble 1 of 2 is empty" in reason


def test_columns_may_come_in_any_order_and_case_with_a_bom() -> None:
    parsed = parse_csv_text("\ufeffMessage,Customer_Name,PHONE_NUMBER\nHi there,Ann,+44 20 7946 0958\n")
    assert parsed.problems == ()
    assert parsed.rows[0].phone_number == "+442079460958"
    assert parsed.rows[0].customer_name == "Ann"


def test_bom_and_non_utf8_files(tmp_path: Path) -> None:
    good = tmp_path / "bom.csv"
    good.write_bytes(b"\xef\xbb\xbfcustomer_name,phone_number,message\nAnn,2095550101,Hi\n")
    assert parse_csv_file(good).rows[0].customer_name == "Ann"
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"customer_name,phone_number,message\nJos\xe9,2095550101,Hi\n")
    with pytest.raises(ImportFileError, match=r"line 2: not UTF-8 \(byte 0xe9\)"):
        parse_csv_file(bad)
    with pytest.raises(ImportFileError, match="no such file"):
        parse_csv_file(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("name,phone_number,message\n", "line 1: missing column customer_name"),
        ("customer_name,phone\n", "line 1: missing columns phone_number, message"),
    ],
)
def test_header_problems(text: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        parse_csv_text(text)


def test_empty_customer_name_is_allowed() -> None:
    parsed = parse_csv_text("customer_name,phone_number,message\n,2095550101,Hi\n")
    assert parsed.rows[0].customer_name is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(209) 555-0101", "+12095550101"),
        ("209.555.0101", "+12095550101"),
        ("+1 559 555 0104", "+15595550104"),
        ("1-209-555-0101", "+12095550101"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_normalise_phone(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "123", "+1 000 000 0000"])
def test_normalise_phone_refuses(raw: str) -> None:
    with pytest.raises(ValueError, match=r"phone number"):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            "Hello [bubble] World",
            "near-miss marker '[bubble]' at character 7 (bubble 1 of 1): write exactly [BUBBLE]",
        ),
        ("a[BUBBLE]\u00a0", "bubble 2 of 2 is empty"),
        ("[BUBBLE]".join("abcdefghijk"), "11 bubbles: at most 10"),
    ],
)
def test_a_message_is_refused_with_the_databases_reason(message: str, reason: str) -> None:
    """The importer refuses what sms_common.bubbles refuses (the rule itself: tests/unit/common)."""
    parsed = parse_csv_text(f'customer_name,phone_number,message\nA,2095550101,x\nB,2095550102,"{message}"\n')
    assert [str(p) for p in parsed.problems] == [f"line 3: {reason}"]
    assert [r.line for r in parsed.rows] == [2]


def test_the_stored_text_is_trimmed_as_its_bubbles_are() -> None:
    parsed = parse_csv_text(
        'customer_name,phone_number,message\nA,2095550101,"\u200b Hi [BUBBLE] there\u00a0\n"\n'
    )
    assert parsed.rows[0].message_content == "Hi [BUBBLE] there\u00a0"


def test_a_row_repeating_an_earlier_one_is_imported_once() -> None:
    text = (
        "customer_name,phone_number,message\n"
        "Ann,(209) 555-0101,Hi there\n"
        "Ann again,+1 209 555 0101,  Hi there \n"
        "Ann,(209) 555-0101,Another text\n"
    )
    parsed = parse_csv_text(text)
    assert [r.line for r in parsed.rows] == [2, 4]
    assert parsed.repeats == ((3, 2),)
    assert parsed.total == 3
