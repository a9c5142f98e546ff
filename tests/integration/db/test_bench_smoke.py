"""bench/bench_promotion.py --quick runs end to end and prints its figures (the full run is manual)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.harness import REPO_ROOT


@pytest.mark.slow
def test_bench_promotion_quick_prints_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "bench_promotion.py"), "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^\s+1,000\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{3}$", out, re.MULTILINE), (
        out
    )
    assert re.search(r"^\s+20,000\s+\d+\.\d{3}", out, re.MULTILINE), out
    assert re.search(r"ratio 20,000 / 1,000 history: idle tick \d+\.\d\dx, busy tick \d+\.\d\dx", out), out
    assert re.search(r"backlog: 2,000 messages -> 6,000 bubbles in \d+\.\d\d s: [\d,]+ messages/s", out), out
