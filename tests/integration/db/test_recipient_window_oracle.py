"""recipient_window_open() against an independent oracle at every quarter hour of 2025-2027.

Why: the recipient window is the legal promise (47 CFR 64.1200(c)(1) and the state rules): a message never
reaches a recipient outside their hours. The oracle below is written here, apart from the SQL: it reads
the rule tables (the data a person edits), takes each number's time zones from phonenumbers' own data
(every zone of the area code, or of the country calling code) and decides with zoneinfo. The database
answers for every (number, instant) pair in ONE statement. Both DST changes of each year are inside the
range, and so are the weeks in which the US and Europe are an hour apart. The three-year run keeps the
default business window (9-20 Pacific, Mon-Fri: every zone below has an edge inside it) for one number
per US zone, a multi-zone area code and two numbers abroad; a second run opens the business window to
every hour of every day around the DST changes of 2026, for every number, so each rule is seen at its
own edges (Texas on Sunday, Florida at 20:00). About a million function calls: slow on a busy machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from phonenumbers import tzdata

from tests.integration.db.helpers import Conn

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2028, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)
UNKNOWN = "Etc/Unknown"

#: Test numbers and the region each is in (by hand, from FACTS.md and the area code plan): one per US
#: zone, the states with their own rule, two multi-zone area codes, an unknown one, and numbers abroad.
NUMBERS: dict[str, str | None] = {
    "+12125550123": "US-NY",  # Eastern
    "+13125550123": "US-IL",  # Central
    "+13035550123": "US-CO",  # Mountain
    "+16025550123": "US-AZ",  # Arizona (no DST)
    "+12095550123": "US-CA",  # Pacific
    "+19075550123": "US-AK",  # Alaska: Anchorage, Adak, Juneau (and Honolulu) in one area code
    "+18085550123": "US-HI",  # Hawaii
    "+12085550123": "US-ID",  # Idaho: Mountain and Pacific
    "+13055550123": "US-FL",
    "+15125550123": "US-TX",
    "+12035550123": "US-CT",
    "+15555550123": "US",  # no zone data: the business zone
    "+447700900123": "GB",
    "+33612345678": "FR",
    "+81312345678": "JP",
}
COUNTRY_CODES = {"+44": "44", "+33": "33", "+81": "81"}
#: The three-year run: the seven US zones, a multi-zone area code (208) and two numbers abroad.
THREE_YEARS = [
    "+12125550123",
    "+13125550123",
    "+13035550123",
    "+16025550123",
    "+12095550123",
    "+19075550123",
    "+18085550123",
    "+12085550123",
    "+447700900123",
    "+81312345678",
]


@dataclass(frozen=True)
class Hours:
    days: frozenset[int]
    opens: time
    closes: time  # time(0) stands for 24:00

    def allow(self, local: datetime) -> bool:
        t = local.time()
        return (
            local.isoweekday() in self.days
            and self.opens <= t
            and (self.closes == time(0) or t < self.closes)
        )


@dataclass(frozen=True)
class Business:
    zone: ZoneInfo
    days: frozenset[int]
    opens: time
    closes: time

    def allow(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        t = local.time()
        return (
            local.isoweekday() in self.days
            and self.opens <= t
            and (self.closes == time(0) or t < self.closes)
        )


def _closing(text: str) -> time:
    """A closing time as the database shows it; 24:00 (midnight at the end of the day) as time(0)."""
    return time(0) if text.startswith("24:00") else time.fromisoformat(text)


def _zones(number: str, business_zone: str) -> list[ZoneInfo]:
    """phonenumbers' zones of the number's area code (NANP) or calling code; the business zone if none."""
    if number.startswith("+1"):
        prefix = "1" + number[2:5]
        names = {z for key, zones in tzdata.TIMEZONE_DATA.items() if key.startswith(prefix) for z in zones}
    else:
        names = set(tzdata.TIMEZONE_DATA[COUNTRY_CODES[number[:3]]])
    names.discard(UNKNOWN)
    return [ZoneInfo(name) for name in sorted(names or {business_zone})]


class Oracle:
    def __init__(self, conn: Conn) -> None:
        rules: dict[str, list[Hours]] = {}
        for rule, days, opens, closes in conn.execute(
            "select r.rule, h.iso_days, h.opens_at, h.closes_at::text from public.recipient_rules r"
            " left join public.recipient_rule_hours h on h.rule = r.rule"
        ).fetchall():
            rules.setdefault(rule, [])
            if days is not None:
                rules[rule].append(Hours(frozenset(days), opens, _closing(closes)))
        self.rules = rules
        row = conn.execute(
            "select time_zone, week_days, opens_at, closes_at::text from public.send_window"
        ).fetchone()
        assert row is not None
        self.business_zone = str(row[0])
        self.business = Business(ZoneInfo(row[0]), frozenset(row[1]), row[2], _closing(row[3]))
        self._places: dict[str, tuple[list[ZoneInfo], list[list[Hours]]]] = {}

    def rules_for(self, region: str | None) -> list[list[Hours]]:
        names = [r for r in ((region or "").split("-")[0], region or "") if r and r in self.rules]
        return [self.rules[r] for r in dict.fromkeys(names or ["default"])]

    def place(self, number: str) -> tuple[list[ZoneInfo], list[list[Hours]]]:
        if number not in self._places:
            self._places[number] = (_zones(number, self.business_zone), self.rules_for(NUMBERS[number]))
        return self._places[number]

    def open(self, number: str, moment: datetime) -> bool:
        zones, rules = self.place(number)
        if not self.business.allow(moment):
            return False
        return all(any(h.allow(moment.astimezone(z)) for h in hours) for z in zones for hours in rules)

    def next_opening(self, number: str, after: datetime) -> datetime:
        """The first moment after `after` at which the window opens: an opening time of some component
        (business window or a rule in a zone) at which the window is open and was closed just before."""
        zones, rules = self.place(number)
        candidates: set[datetime] = set()
        for zone, opens_list in [
            (self.business.zone, [self.business.opens]),
            *((z, [h.opens for hours in rules for h in hours]) for z in zones),
        ]:
            first = after.astimezone(zone).date() - timedelta(days=1)
            for n in range(16):
                day: date = first + timedelta(days=n)
                for opens in opens_list:
                    candidates.add(datetime.combine(day, opens, zone).astimezone(UTC))
        eps = timedelta(microseconds=1)
        for c in sorted(candidates):
            if c > after and self.open(number, c) and not self.open(number, c - eps):
                return c
        raise AssertionError(f"no opening within two weeks after {after} for {number}")


def _open_all_week(conn: Conn) -> None:
    conn.execute(
        "update public.send_window set week_days = '{1,2,3,4,5,6,7}', opens_at = '00:00', closes_at = '24:00'"
    )


def _sql_answers(conn: Conn, numbers: list[str], start: datetime, end: datetime) -> dict[str, list[bool]]:
    rows = conn.execute(
        """
        select n, array_agg(public.recipient_window_open(n, t) order by t)
          from unnest(%s::text[]) n
         cross join generate_series(%s::timestamptz, %s::timestamptz - interval '15 minutes',
                                    interval '15 minutes') t
         group by n
        """,
        (numbers, start, end),
    ).fetchall()
    return {str(n): list(answers) for n, answers in rows}


def _compare(conn: Conn, numbers: list[str], start: datetime, end: datetime) -> None:
    oracle = Oracle(conn)
    sql = _sql_answers(conn, numbers, start, end)
    assert set(sql) == set(numbers)
    for number, answers in sql.items():
        moments = [start + i * STEP for i in range(len(answers))]
        mismatches = [m for m, a in zip(moments, answers, strict=True) if a != oracle.open(number, m)]
        assert mismatches[:5] == [], f"{number}: {len(mismatches)} mismatches"
        assert any(answers), number
        assert not all(answers), number


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_quarter_hour_of_2025_to_2027_matches_the_oracle(conn: Conn) -> None:
    _compare(conn, THREE_YEARS, START, END)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_rules_at_their_own_edges_match_the_oracle(conn: Conn) -> None:
    """Business window open all week: every number, every rule's own hours, over both DST changes of 2026."""
    _open_all_week(conn)
    numbers = list(NUMBERS)
    _compare(conn, numbers, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC))
    _compare(conn, numbers, datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC))


def test_next_window_opening_matches_the_oracle_on_a_sample(conn: Conn) -> None:
    _open_all_week(conn)
    oracle = Oracle(conn)
    rng = random.Random(13)  # noqa: S311 - a reproducible sample, not a secret
    span = int((END - START).total_seconds())
    sample = [(n, START + timedelta(seconds=rng.randrange(span))) for n in NUMBERS for _ in range(40)]
    # DST change instants and the minutes around them, for every number
    for edge in ("2025-03-09 09:59:59", "2025-11-02 08:30", "2026-03-29 00:59", "2026-10-25 01:00"):
        moment = datetime.fromisoformat(edge).replace(tzinfo=UTC)
        sample += [(n, moment) for n in NUMBERS]
    rows = conn.execute(
        "select public.recipient_next_window_opening(s.n, s.t) from unnest(%s::text[], %s::timestamptz[])"
        " with ordinality s(n, t, i) order by s.i",
        ([n for n, _ in sample], [t for _, t in sample]),
    ).fetchall()
    mismatches = [
        (n, t, got) for (n, t), (got,) in zip(sample, rows, strict=True) if got != oracle.next_opening(n, t)
    ]
    assert mismatches == []


def test_recipient_windows_agree_with_open(conn: Conn) -> None:
    """recipient_windows (what the scheduler plans with) contains exactly the instants that are open."""
    start, end = datetime(2025, 10, 27, tzinfo=UTC), datetime(2025, 11, 10, tzinfo=UTC)
    rows = conn.execute(
        "select phone_number, opens_at, closes_at from public.recipient_windows(%s, %s, %s)",
        (list(NUMBERS), start, end),
    ).fetchall()
    oracle = Oracle(conn)
    for number in NUMBERS:
        windows = [(o, c) for n, o, c in rows if n == number]
        assert windows == sorted(windows)
        moment = start
        while moment < end:
            inside = any(o <= moment < c for o, c in windows)
            assert inside == oracle.open(number, moment), (number, moment)
            moment += STEP
