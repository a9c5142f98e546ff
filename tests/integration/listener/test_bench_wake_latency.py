"""Smoke test of bench/bench_wake_latency.py --quick: every strategy delivers its samples and the
report has a figure for each. The figures themselves are never asserted (they belong to bench/)."""

from __future__ import annotations

import importlib.util
import logging
import sys
from types import ModuleType

import pytest
import structlog

from tests.harness import REPO_ROOT, PinnedClock


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_wake_latency", REPO_ROOT / "bench" / "bench_wake_latency.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_quick_bench_measures_every_wake_up_strategy(
    db_url: str, clock: PinnedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench()
    clock.run_from(clock.at)  # the send window is open, whatever the time of day
    # The bench configures logging for itself (onto this test's captured stream): put it back after.
    saved_structlog = structlog.get_config()
    saved_handlers = list(logging.getLogger().handlers)
    try:
        assert bench.main(["--quick", "--database-url", db_url]) == 0
    finally:
        structlog.configure(**saved_structlog)
        logging.getLogger().handlers[:] = saved_handlers
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:] if line and not line.startswith("(")}
    assert set(rows) == {"notify", "realtime", "poll", "seed-poll"}
    for name, row in rows.items():
        samples, p50 = int(row[1]), float(row[2])
        assert samples == {"notify": 5, "realtime": 5}.get(name, 3), name
        assert p50 > 0, name
