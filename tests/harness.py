"""Helpers of the test harness that tests import directly (fixtures live in tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
REPO_ROOT = Path(__file__).resolve().parent.parent
PGTAP_DIR = REPO_ROOT / "supabase" / "tests" / "database"

#: A Wednesday afternoon in Pacific time (PST, UTC-8), well inside the default send window.
DEFAULT_PINNED_NOW = datetime(2025, 11, 5, 14, 30, tzinfo=PACIFIC)


@dataclass
class PinnedClock:
    """The "now" a test passes to every time-dependent SQL function and Python entry point.

    SQL functions take `at timestamptz default now()`; tests pass `clock.at` instead of relying on
    the transaction clock, so a test about 19:59 Pacific on the night DST ends is exact.
    """

    at: datetime = field(default=DEFAULT_PINNED_NOW)

    def __post_init__(self) -> None:
        self.set(self.at)

    def set(self, moment: datetime | str) -> datetime:
        """Pin to an aware datetime, or to an ISO-8601 string; a naive value is read as Pacific time."""
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        if value.tzinfo is None:
            value = value.replace(tzinfo=PACIFIC)
        self.at = value.astimezone(UTC)
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at = self.at + timedelta(**delta)
        return self.at

    @property
    def pacific(self) -> datetime:
        return self.at.astimezone(PACIFIC)


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
    return sorted(PGTAP_DIR.glob("*.test.sql"))
