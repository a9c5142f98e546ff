"""Runs every pgTAP file in supabase/tests/database with pg_prove against the pg_cron database.

Why here: `supabase test db` needs Docker; pg_prove is what it runs inside the container. Each file runs
in its own transaction that rolls back, so the files cannot disturb each other or the session cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import pg_prove, pgtap_files

FILES = pgtap_files()


def test_there_are_pgtap_files() -> None:
    assert FILES, "no supabase/tests/database/*.test.sql found"


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_pgtap_file(cron_db_url: str, path: Path) -> None:
    result = pg_prove(cron_db_url, path)
    assert result.returncode == 0, f"pg_prove {path.name} failed:\n{result.stdout}\n{result.stderr}"
    assert "All tests successful" in result.stdout, result.stdout
