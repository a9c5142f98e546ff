"""Smoke test of bench/bench_senders.py --quick, so the bench cannot rot: it runs, prints a row per
(history, claimers) run, finds no routing violation, and prints the next_bubble_due_at figures (global,
per SIM) of both history sizes. The speed figures are not asserted (they live in bench/ and
docs/sql-listener-api.md).

The bench starts its own throwaway cluster with the real clock instead of using the session's: the
session cluster runs under libfaketime re-reading its spec file on every clock read, and with 64
claimers a backend whose lock wait outlasts deadlock_timeout reads the clock in a signal handler (see
the bench's server())."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.harness import REPO_ROOT


def test_bench_senders_quick_runs_and_finds_no_routing_violation() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "bench_senders.py"), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = re.findall(
        r"^\s+([\d,]+)\s+(1|2|4|16|64)\s+\d+\s+\d+\.\d\dx\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d\d\s+\d+\.\d%"
        r"\s+0\s+0\s+0$",
        result.stdout,
        re.MULTILINE,
    )
    assert [claimers for _, claimers in rows] == ["1", "2", "4", "16", "64"] * 2, result.stdout
    due = re.findall(
        r"^\s+history\s+[\d,]+: global \d+\.\d ms, per SIM \d+\.\d ms \(\d+\.\d\dx\), "
        r"worker without a SIM \d+\.\d ms$",
        result.stdout,
        re.MULTILINE,
    )
    assert len(due) == 2, f"next_bubble_due_at figures for both history sizes:\n{result.stdout}"
    paced = re.findall(
        r"^\s+history\s+[\d,]+: \d+ claims/s, p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms, cpu \d+\.\d\d ms/claim, "
        r"lock waits \d+\.\d%$",
        result.stdout,
        re.MULTILINE,
    )
    assert len(paced) == 2, (
        f"the paced run (64 listeners at a steady rate) for both history sizes:\n{result.stdout}"
    )
    assert "routing checks: all zero" in result.stdout, result.stdout
