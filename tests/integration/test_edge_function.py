"""The `process-due` edge function: `deno test` against a fresh clone of the migrated database, plus
`deno check` and `deno lint` of supabase/functions.

Why through pytest: the Deno tests need the harness's real database (a migrated clone per test), and
running them here puts them in `make test` next to everything else. Supabase's edge runtime itself
cannot run here (it needs Docker); the handler is the same code `index.ts` serves.
"""

from __future__ import annotations

import os
import subprocess

from tests.harness import REPO_ROOT

DENO = REPO_ROOT / "node_modules" / ".bin" / "deno"
FUNCTIONS = REPO_ROOT / "supabase" / "functions"
#: The functions' own Deno config: npm: imports only, and it keeps Deno away from the root package.json.
CONFIG = FUNCTIONS / "deno.json"


def _deno(*args: str, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "DENO_DIR": str(REPO_ROOT / ".local" / "deno"),
        "DENO_NO_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
    }
    if db_url is not None:
        env["SUPABASE_DB_URL"] = db_url
    return subprocess.run(
        [str(DENO), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"


def test_deno_test_runs_the_handler_against_the_real_database(db_url: str) -> None:
    result = _deno(
        "test",
        "--config",
        str(CONFIG),
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "supabase/functions/",
        db_url=db_url,
    )
    print(_report(result))  # visible with -s or on failure
    assert result.returncode == 0, _report(result)
    summary = result.stdout + result.stderr
    assert " 0 failed" in summary, _report(result)
    assert "POST promotes a due scheduled message" in summary


def test_deno_check_accepts_every_function() -> None:
    entrypoints = sorted(str(p.relative_to(REPO_ROOT)) for p in FUNCTIONS.glob("*/index.ts"))
    tests = sorted(str(p.relative_to(REPO_ROOT)) for p in FUNCTIONS.glob("*/*_test.ts"))
    assert entrypoints, "no edge function found"
    result = _deno("check", "--config", str(CONFIG), *entrypoints, *tests)
    assert result.returncode == 0, _report(result)


def test_deno_lint_is_clean() -> None:
    result = _deno("lint", "--config", str(CONFIG), "supabase/functions")
    assert result.returncode == 0, _report(result)


def test_deno_fmt_is_clean() -> None:
    result = _deno("fmt", "--check", "--config", str(CONFIG), "supabase/functions")
    assert result.returncode == 0, _report(result)
