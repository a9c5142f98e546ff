"""Runs every pgTAP file under supabase/tests/database (subdirectories included) with pg_prove against the pg_cron database.

Why here: `supabase test db` needs Docker; pg_prove is what it runs inside the container. Each file runs
in its own transaction that rolls back, so the files cannot disturb each other or the session cluster;
a file moves the database clock with `select tests.pin_clock('...')` (tests/harness.py), and the clock is
real again after each file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_common import faketime
from sms_common.localdb import LocalCluster
from tests.harness import PGTAP_DIR, pg_prove, pgtap_files

FILES = pgtap_files()


def test_there_are_pgtap_files() -> None:
    assert FILES, "no supabase/tests/database/*.test.sql found"


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(PGTAP_DIR)) for path in FILES])
def test_pgtap_file(pg_cluster: LocalCluster, cron_db_url: str, path: Path) -> None:
    assert pg_cluster.clock_file is not None
    try:
        result = pg_prove(cron_db_url, path)
    finally:  # a file that pinned the clock (tests.pin_clock) leaves it pinned: the spec is a file
        faketime.write_spec(pg_cluster.clock_file, faketime.REAL_TIME)
    assert result.returncode == 0, (
        f"pg_prove {path.relative_to(PGTAP_DIR)} failed:\n{result.stdout}\n{result.stderr}"
    )
    assert "All tests successful" in result.stdout, result.stdout
