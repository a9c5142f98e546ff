"""Helpers for the scheduler's database tests: run the CLI in-process against a test database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner, Result

from scheduler.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scheduler"
SAMPLE_CSV = FIXTURES / "campaign.csv"
BAD_CSV = FIXTURES / "campaign_bad.csv"

Conn = psycopg.Connection[tuple[Any, ...]]


def run(db_url: str, *args: str) -> Result:
    """`python -m scheduler ARGS` in-process, with DATABASE_URL pointing at the test database."""
    runner = CliRunner(env={"DATABASE_URL": db_url, "SMS_SETTINGS_FILE": "/nonexistent/sms.env"})
    return runner.invoke(app, list(args), catch_exceptions=False)


def add_approved(
    conn: Conn, count: int, *, campaign: str = "autumn", approved_at: datetime | None = None
) -> list[int]:
    """`count` APR campaign messages with distinct numbers; returns their ids in id order."""
    existing = conn.execute("select count(*) from public.campaign_messages").fetchone()
    offset = int(existing[0]) if existing else 0
    rows = conn.execute(
        """
        insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content,
                                              status, approved_at)
        select %s, 'Customer ' || n, '+1209' || lpad((5550000 + n + %s)::text, 7, '0'),
               'Hello ' || n || ' [BUBBLE] second part', 'APR', coalesce(%s, now()) + n * interval '1 ms'
          from generate_series(1, %s) as n
        returning id
        """,
        (campaign, offset, approved_at, count),
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def statuses(conn: Conn, table: str, campaign: str) -> dict[str, int]:
    rows = conn.execute(
        f"select status, count(*) from public.{table} where campaign_name = %s group by 1",  # table is a literal
        (campaign,),
    ).fetchall()
    return {str(s): int(c) for s, c in rows}


def message_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[")]


def plan_section(output: str) -> list[str]:
    """The plan lines and the summary, without the command's closing sentence."""
    return [line for line in output.splitlines() if not line.startswith(("Preview only", "Scheduled "))]


def ids_of(rows: Sequence[tuple[Any, ...]]) -> list[int]:
    return [int(r[0]) for r in rows]
