"""The committed number -> time zones rows match what the installed phonenumbers says today.

Why: the database cannot ask phonenumbers, so its data is copied into the recipient-rules migration. When
phonenumbers moves an area code to another zone (or a new one appears) this test fails: regenerate with
`python -m sms_common.recipient_prefixes --write`, review the diff, commit."""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone, tzdata

from sms_common import recipient_prefixes as rp


def test_committed_rows_match_phonenumbers_today() -> None:
    committed = rp.committed_block(rp.MIGRATION.read_text(encoding="utf-8"))
    assert committed == rp.sql_block(rp.generate()), (
        "recipient_number_prefixes drifted from phonenumbers: run python -m sms_common.recipient_prefixes --write"
    )


WHOLE_NANP = set(tzdata.TIMEZONE_DATA["1"])


def _row(prefix: str) -> rp.Prefix:
    return next(row for row in rp.generate() if row.prefix == prefix)


def test_facts_md_numbers() -> None:
    """The area codes FACTS.md names, and every zone phonenumbers gives their numbers is in the row."""
    expected = {
        "1209": ("US-CA", {"America/Los_Angeles"}),
        "1212": ("US-NY", {"America/New_York"}),
        "1305": ("US-FL", {"America/New_York"}),
        "1410": ("US-MD", {"America/New_York"}),
        "1203": ("US-CT", {"America/New_York"}),
        "1405": ("US-OK", {"America/Chicago"}),
        "1512": ("US-TX", {"America/Chicago"}),
        "1602": ("US-AZ", {"America/Phoenix"}),
        "1808": ("US-HI", {"Pacific/Honolulu"}),
    }
    for prefix, (region, zones) in expected.items():
        row = _row(prefix)
        assert (row.region, set(row.time_zones)) == (region, zones), prefix
    assert {"America/Boise", "America/Los_Angeles"} <= set(_row("1208").time_zones)
    assert {"America/Adak", "America/Anchorage"} <= set(_row("1907").time_zones)


def test_every_zone_of_a_number_is_in_its_row() -> None:
    """A sample of numbers per area code: phonenumbers' zones for the number are among its row's."""
    for row in rp.generate():
        if not row.prefix.startswith("1") or len(row.prefix) != 4:
            continue
        for exchange in ("201", "555", "734", "989"):
            number = phonenumbers.parse(f"+{row.prefix}{exchange}0123")
            if not phonenumbers.is_valid_number(number):
                continue  # an unallocated number: phonenumbers answers with every NANP zone
            zones = set(timezone.time_zones_for_number(number)) - {rp.UNKNOWN_ZONE}
            if zones == WHOLE_NANP:
                continue  # no data for this prefix: phonenumbers answers with every zone of +1
            assert zones <= set(row.time_zones), (row.prefix, exchange, zones)


def test_unknown_area_code_falls_back_to_business_zone() -> None:
    assert _row("1") == rp.Prefix("1", "US", (), _row("1").description)
