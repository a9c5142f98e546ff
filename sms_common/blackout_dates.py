"""Blackout dates from the `holidays` package, as SQL for `public.blackout_dates`.

Why a helper: the database has the table (every window function honours it) but cannot call Python; a
person runs `python -m sms_common.blackout_dates --state CA 2026 2027` and pastes the printed statement
into the Supabase SQL editor (or pipes it to psql). Existing days are kept (`on conflict do nothing`),
so it can be re-run. docs/recipient-windows.md shows it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import holidays


def us_holidays(state: str | None, years: list[int]) -> list[tuple[date, str]]:
    """The public holidays of the US (and of `state`, a USPS code such as CA) in `years`, by date."""
    calendar = holidays.country_holidays("US", subdiv=state, years=years)
    return sorted((day, str(name)) for day, name in calendar.items())


def insert_sql(days: list[tuple[date, str]]) -> str:
    values = ",\n".join(
        f"  ('{day.isoformat()}', '{name.replace(chr(39), chr(39) * 2)}')" for day, name in days
    )
    return f"insert into public.blackout_dates (day, name) values\n{values}\non conflict (day) do nothing;\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", help="USPS state code of the business (e.g. CA); default: federal only")
    parser.add_argument("years", nargs="+", type=int)
    args = parser.parse_args(argv)
    sys.stdout.write(insert_sql(us_holidays(args.state, args.years)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
