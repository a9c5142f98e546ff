"""The number -> time zones and region table of the recipient windows, generated from `phonenumbers`.

Why generated: the database decides the recipient's window (promotion, claim, views) but cannot call
Python, so the time zone and geocoder data of `phonenumbers` is copied into the migration
`supabase/migrations/20261201000150_recipient_rules.sql` as rows of `public.recipient_number_prefixes`
between two marker lines. `python -m sms_common.recipient_prefixes --write` regenerates them;
tests/unit/test_recipient_prefixes.py fails when the committed rows differ from what the installed
`phonenumbers` says (the data drifted: regenerate, review, commit).

What a row is (docs/recipient-windows.md):
- NANP (+1): one row per geographic area code (NPA) that `phonenumbers` has time zone data for. Its zones
  are every zone `phonenumbers` gives any prefix of that area code (the window must hold in all of them,
  so +1 208 is Mountain and Pacific); `Etc/Unknown` is dropped. Its region is ISO 3166-2: `US-FL` from
  the geocoder's state (or `US` when it names none); US territories are `US-PR`, `US-GU`, ...; other
  NANP countries their ISO code (`CA`, `BS`, ...).
- Other countries: one row per country calling code, zones = every zone `phonenumbers` lists for the
  calling code (all zones of the country: the safe choice for a mobile number, whose location the number
  does not tell), region = the code's main ISO region.
- Prefix `1` (a NANP number whose area code has no row: toll-free, unassigned): region `US`, no zones,
  so the business zone (send_window.time_zone) is used.
A number with no known zone at all falls back to the business zone in SQL (empty `time_zones`).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from phonenumbers import geodata, tzdata

MIGRATION = (
    Path(__file__).resolve().parent.parent / "supabase" / "migrations" / "20261201000150_recipient_rules.sql"
)
BEGIN_MARKER = (
    "-- BEGIN GENERATED recipient_number_prefixes (python -m sms_common.recipient_prefixes --write)"
)
END_MARKER = "-- END GENERATED recipient_number_prefixes"
UNKNOWN_ZONE = "Etc/Unknown"

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA",
    "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT",
    "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM",
    "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Washington State": "WA", "Washington D.C.": "DC", "Washington DC": "DC", "District of Columbia": "DC",
}  # fmt: skip
US_CODES = frozenset(US_STATES.values())
# NANP regions that are US territories (the federal rule applies there): ISO 3166-2 subdivisions of US.
US_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "UM"})
_CITY_STATE = re.compile(r", ([A-Z]{2})$")


@dataclass(frozen=True, order=True)
class Prefix:
    prefix: str
    region: str | None
    time_zones: tuple[str, ...]
    description: str


def _zones(keys: list[str]) -> tuple[str, ...]:
    zones = {zone for key in keys for zone in tzdata.TIMEZONE_DATA[key] if zone != UNKNOWN_ZONE}
    return tuple(sorted(zones))


def _city_states() -> dict[str, Counter[str]]:
    """Per NANP area code, how often the geocoder's "City, ST" names each state."""
    votes: dict[str, Counter[str]] = {}
    for key, names in geodata.GEOCODE_DATA.items():
        if key.startswith("1") and len(key) >= 4:
            match = _CITY_STATE.search(names.get("en", ""))
            if match and match.group(1) in US_CODES:
                votes.setdefault(key[1:4], Counter())[match.group(1)] += 1
    return votes


def _state(npa: str, city_states: dict[str, Counter[str]]) -> str | None:
    """The USPS code of the state the geocoder names for +1 NPA, or None."""
    own = geodata.GEOCODE_DATA.get("1" + npa, {}).get("en")
    if own in US_STATES:
        return US_STATES[own]
    votes = city_states.get(npa)
    return votes.most_common(1)[0][0] if votes else None


def _nanp_region(npa: str, city_states: dict[str, Counter[str]]) -> str | None:
    region = phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{npa}2345678"))
    if region == "US":
        state = _state(npa, city_states)
        return f"US-{state}" if state else "US"
    if region in US_TERRITORIES:
        return f"US-{region}"
    return str(region) if region else None


@functools.cache
def generate() -> tuple[Prefix, ...]:
    """Every row of public.recipient_number_prefixes, sorted by prefix."""
    rows = [
        Prefix("1", "US", (), "NANP area code without time zone data (toll-free, unassigned): business zone")
    ]
    city_states = _city_states()
    by_npa: dict[str, list[str]] = {}
    for key in tzdata.TIMEZONE_DATA:
        if key.startswith("1") and len(key) >= 4:
            by_npa.setdefault(key[1:4], []).append(key)
    for npa, keys in sorted(by_npa.items()):
        description = geodata.GEOCODE_DATA.get("1" + npa, {}).get("en", "")
        rows.append(Prefix("1" + npa, _nanp_region(npa, city_states), _zones(keys), description))
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        if code == 1:
            continue
        main = regions[0]
        region = main if re.fullmatch(r"[A-Z]{2}", main) else None  # "001": non-geographic entities
        zones = _zones([str(code)]) if str(code) in tzdata.TIMEZONE_DATA else ()
        rows.append(Prefix(str(code), region, zones, ", ".join(r for r in regions if r != "001")))
    return tuple(sorted(rows))


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def sql_block(rows: tuple[Prefix, ...]) -> str:
    values = ",\n".join(
        f"  ({_literal(r.prefix)}, {_literal(r.region)}, '{{{','.join(r.time_zones)}}}', {_literal(r.description)})"
        for r in rows
    )
    return (
        f"{BEGIN_MARKER}\n"
        f"-- phonenumbers {phonenumbers.__version__}: {len(rows)} rows. Do not edit by hand; regenerate.\n"
        "insert into public.recipient_number_prefixes (prefix, region, time_zones, description) values\n"
        f"{values};\n"
        f"{END_MARKER}"
    )


def committed_block(text: str) -> str:
    start = text.index(BEGIN_MARKER)
    end = text.index(END_MARKER) + len(END_MARKER)
    return text[start:end]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the block in the migration")
    args = parser.parse_args(argv)
    block = sql_block(generate())
    if not args.write:
        sys.stdout.write(block + "\n")
        return 0
    text = MIGRATION.read_text()
    MIGRATION.write_text(text.replace(committed_block(text), block))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
