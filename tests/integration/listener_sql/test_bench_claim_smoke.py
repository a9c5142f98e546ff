"""Smoke test of bench/bench_claim.py --quick: it runs against a real migrated database and prints
its figures. The figures themselves are not asserted (speed targets live in bench/, not in tests)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.harness import REPO_ROOT, PinnedClock


def test_bench_claim_quick_runs_and_prints_the_ratio(db_url: str, clock: PinnedClock) -> None:
    # The claim and promotion act on the database clock; `clock` freezes it on a Wednesday afternoon,
    # inside the send window and the recipients' windows (bench_claim's own cluster does the same).
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "bench_claim.py"), "--quick", "--db-url", db_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\s+1,0\d\d\s+\d+\.\d{3}\s+\d+\.\d{3}$", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^\s+20,0\d\d\s+\d+\.\d{3}\s+\d+\.\d{3}$", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"ratio \(median, large / small\): \d+\.\d\dx", result.stdout), result.stdout
