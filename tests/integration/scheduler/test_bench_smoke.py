"""Smoke test of bench/bench_scheduler.py --quick: it runs against a real migrated database and prints
its figures. The figures themselves are not asserted (speed targets live in bench/, not in tests)."""

from __future__ import annotations

import re
import subprocess
import sys

import psycopg

from tests.harness import REPO_ROOT


def test_bench_scheduler_quick_schedules_everything_and_prints_figures(db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "bench_scheduler.py"), "--quick", "--db-url", db_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(
        r"^scheduler bench: 2,000 approved messages, plan spans \d+ business days$", out, re.M
    ), out
    assert re.search(r"^  schedule end to end\s+\d+\.\d{3} s\s+[\d,]+ rows/s$", out, re.M), out
    assert re.search(r"^    of which the guarded write\s+\d+\.\d{3} s\s+[\d,]+ rows/s$", out, re.M), out
    assert re.search(
        r"^  bare COPY, unguarded table\s+\d+\.\d{3} s\s+[\d,]+ rows/s   \(same rows, no triggers or checks\)$",
        out,
        re.M,
    ), out
    assert re.search(r"^  ratio \(seconds, guarded write / bare COPY\): \d+\.\d\dx$", out, re.M), out
    assert re.search(
        r"^  baseline: per-row round trips\s+\d+\.\d{3} s\s+[\d,]+ rows/s\s+\(200 messages\)$", out, re.M
    )
    assert re.search(r"^  ratio \(rows/s, bulk / per-row\): \d+\.\d\dx$", out, re.M), out
    with psycopg.connect(db_url) as conn:
        counts = conn.execute(
            "select campaign_name, count(*) from public.scheduled_messages where status = 'SCH' group by 1 order by 1"
        ).fetchall()
        leftover = conn.execute("select to_regclass('public.bench_bare_scheduled_messages')").fetchone()
    assert counts == [("baseline", 200), ("bench", 2000)]
    assert leftover == (None,), "the bench's unguarded table is dropped after the bare COPY"
