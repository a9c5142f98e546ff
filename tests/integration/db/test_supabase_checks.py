"""The real Supabase CLI's checks find nothing at WARN or above on the migrated schema.

Why: `supabase db lint` (plpgsql_check) catches a function that would fail only when it runs; `supabase
db advisors --type security` (Supabase's splinter lints) is what the hosted dashboard shows, e.g. a
table without RLS or a function with a mutable search_path. `pgrst.db_schemas` is set on the clone so the
API-facing lints judge `public` as a hosted project (which exposes it) would.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import psycopg

from sms_common.localdb import supabase_cli
from tests.harness import REPO_ROOT


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(supabase_cli()), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        env=os.environ | {"SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"},
    )


def _json_findings(stdout: str) -> list[dict[str, Any]]:
    text = stdout.strip()
    if not text:
        return []
    start = text.find("[")
    assert start >= 0, f"unexpected output: {stdout}"
    findings: list[dict[str, Any]] = json.loads(text[start:])
    return findings


def test_db_lint_finds_nothing(db_url: str) -> None:
    # The CLI calls plpgsql_check_function() unqualified: the extension goes into this clone's public schema
    # (never in a migration; the advisors test runs on another clone without it).
    with psycopg.connect(db_url, autocommit=True) as connection:
        connection.execute("create extension if not exists plpgsql_check")
    result = _cli(
        "db", "lint", "--db-url", f"{db_url}?sslmode=disable", "--level", "warning", "--fail-on", "warning"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert _json_findings(result.stdout) == [], output
    assert "Linting schema: public" in output, output
    assert "No schema errors found" in output


def test_db_advisors_security_finds_nothing_at_warn(db_url: str) -> None:
    dbname = db_url.rsplit("/", 1)[1]
    with psycopg.connect(db_url, autocommit=True) as connection:
        connection.execute(f"alter database \"{dbname}\" set pgrst.db_schemas = 'public'")
    result = _cli(
        "db",
        "advisors",
        "--db-url",
        f"{db_url}?sslmode=disable",
        "--type",
        "security",
        "--level",
        "warn",
        "--fail-on",
        "warn",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert _json_findings(result.stdout) == [], output
