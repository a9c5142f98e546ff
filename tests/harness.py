"""Helpers of the test harness that tests import directly (fixtures live in tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from sms_common import faketime

PACIFIC = ZoneInfo("America/Los_Angeles")
REPO_ROOT = Path(__file__).resolve().parent.parent
PGTAP_DIR = REPO_ROOT / "supabase" / "tests" / "database"

#: A Wednesday afternoon in Pacific time (PST, UTC-8), well inside the default send window.
DEFAULT_PINNED_NOW = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)


@dataclass
class PinnedClock:
    """The database server's clock in a test: pinned (frozen) at a moment, or running from one.

    Functions that change data act on the database clock only, so a test moves the server's clock
    (libfaketime, sms_common.faketime) instead of passing a moment. `set()` freezes it: every backend
    sees exactly `at` (server-side timeouts do not fire meanwhile); `run_from()` lets it run at real
    speed from a moment, for tests where the database must see time pass (a listener waiting for a
    retry time). Without `spec_file` (a unit test) only `at` moves. Naive times are read as Pacific.
    """

    at: datetime = field(default=DEFAULT_PINNED_NOW)
    spec_file: Path | None = None
    running: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.set(self.at)

    @staticmethod
    def _aware(moment: datetime | str) -> datetime:
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        if value.tzinfo is None:
            value = value.replace(tzinfo=PACIFIC)
        return value.astimezone(UTC)

    def set(self, moment: datetime | str) -> datetime:
        """Freeze the database clock at `moment` (an aware datetime or an ISO-8601 string)."""
        self.at = self._aware(moment)
        self.running = False
        if self.spec_file is not None:
            faketime.write_spec(self.spec_file, faketime.frozen_spec(self.at))
        return self.at

    def run_from(self, moment: datetime | str) -> datetime:
        """Let the database clock run at real speed from `moment` (to the second)."""
        self.at = self._aware(moment)
        self.running = True
        if self.spec_file is not None:
            shift = round(self.at.timestamp() - time.time())
            faketime.write_spec(self.spec_file, faketime.shifted_spec(shift))
        return self.at

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (or back) by a timedelta's keywords, frozen or running as it was."""
        moment = self.at + timedelta(**delta)
        return self.run_from(moment) if self.running else self.set(moment)

    def release(self) -> None:
        """Back to the real clock."""
        self.running = False
        if self.spec_file is not None:
            faketime.write_spec(self.spec_file, faketime.REAL_TIME)

    @property
    def pacific(self) -> datetime:
        return self.at.astimezone(PACIFIC)


def install_clock_helpers(conn: psycopg.Connection[tuple[object, ...]], spec_file: Path) -> None:
    """SQL helpers for pgTAP files (schema `tests`, superuser only): `tests.pin_clock(moment)` freezes the
    server's clock from the next statement on; `tests.unpin_clock()` returns to real time.

    Why COPY ... TO PROGRAM: the file is replaced atomically by the server's OS user (mv), so no server
    process reads a half-written spec. Product functions read the clock with statement_timestamp(), so a
    pin takes effect inside a pgTAP file's single transaction."""
    target = str(spec_file)
    conn.execute("create schema if not exists tests")
    conn.execute("revoke all on schema tests from public")
    conn.execute(
        f"""
        create or replace function tests.write_clock_spec(spec text) returns text
        language plpgsql set search_path = '' as $fn$
        begin
          execute format('copy (select %L) to program %L', spec,
                         format('cat > %s.tmp && mv %s.tmp %s', {_literal(target)}, {_literal(target)},
                                {_literal(target)}));
          return spec;
        end $fn$
        """
    )
    conn.execute(
        """
        create or replace function tests.pin_clock(moment timestamptz) returns timestamptz
        language sql set search_path = '' as $fn$
          select tests.write_clock_spec(to_char(moment at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'));
          select moment;
        $fn$
        """
    )
    conn.execute(
        """
        create or replace function tests.unpin_clock() returns void
        language sql set search_path = '' as $fn$ select tests.write_clock_spec('+0'); $fn$
        """
    )
    for function in ("write_clock_spec(text)", "pin_clock(timestamptz)", "unpin_clock()"):
        conn.execute(f"revoke all on function tests.{function} from public")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pg_prove(db_url: str, *files: Path, verbose: bool = True) -> subprocess.CompletedProcess[str]:
    """Run pgTAP files with Debian's pg_prove against one database (what `supabase test db` does in Docker)."""
    executable = shutil.which("pg_prove")
    if executable is None:
        raise RuntimeError("pg_prove not found: install libtap-parser-sourcehandler-pgtap-perl (make deps)")
    argv = [executable, "--dbname", db_url, "--ext", ".sql", "--failures", "--comments"]
    if verbose:
        argv.append("--verbose")
    return subprocess.run(
        [*argv, *(str(f) for f in files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )


def pgtap_files() -> list[Path]:
    return sorted(PGTAP_DIR.rglob("*.test.sql"))
