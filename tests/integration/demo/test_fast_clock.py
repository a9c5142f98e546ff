"""The demo's fast clock on a real PostgreSQL 15 server: libfaketime makes every backend's now() run at
the configured speed on one shared timeline, and a jump moves all of them at once."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from demo.fakeclock import FakeClock
from demo.services import start_on_fast_clock
from sms_common.localdb import LocalCluster, free_port

START = datetime(2025, 11, 5, 18, 0, tzinfo=UTC)
SPEED = 120


@pytest.fixture
def fast_cluster() -> Iterator[tuple[LocalCluster, FakeClock]]:
    base = Path(tempfile.mkdtemp(prefix="sms-fastclock-"))
    base.chmod(0o755)
    cluster = LocalCluster(datadir=base / "pgdata", port=free_port())
    clock = FakeClock(base / "faketime.rc", START, SPEED)
    try:
        cluster.initialise(durable=False)
        start_on_fast_clock(cluster, clock)
        yield cluster, clock
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(base, ignore_errors=True)


def _now(cluster: LocalCluster) -> datetime:
    """now() on a NEW connection, i.e. in a freshly forked backend."""
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        row = conn.execute("select clock_timestamp()").fetchone()
    assert row is not None
    value = row[0]
    assert isinstance(value, datetime)
    return value


def test_backends_share_one_fast_timeline(fast_cluster: tuple[LocalCluster, FakeClock]) -> None:
    cluster, _ = fast_cluster
    first_real = time.monotonic()
    first = _now(cluster)
    assert START <= first < START + timedelta(minutes=30)  # the fake date, not the host's
    # Wait (polling, with a deadline) until one real second has passed, then compare the clocks.
    deadline = first_real + 10
    while time.monotonic() - first_real < 1.0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = _now(cluster)
    elapsed_real = time.monotonic() - first_real
    fake = (second - first).total_seconds()
    # At x120 one real second is two fake minutes: allow for the time the connections take.
    assert SPEED * 0.8 <= fake / elapsed_real <= SPEED * 1.2, (fake, elapsed_real)


def test_a_jump_moves_every_backend_forward(fast_cluster: tuple[LocalCluster, FakeClock]) -> None:
    cluster, clock = fast_cluster
    with psycopg.connect(cluster.url(), autocommit=True) as open_conn:
        before = _now(cluster)
        clock.jump(timedelta(hours=12, minutes=51))
        after_new = _now(cluster)
        row = open_conn.execute("select clock_timestamp()").fetchone()
    assert row is not None
    after_open = row[0]
    assert isinstance(after_open, datetime)
    for after in (after_new, after_open):  # a new backend and one that was already running
        moved = after - before
        assert (
            timedelta(hours=12, minutes=51) <= moved < timedelta(hours=12, minutes=51) + timedelta(minutes=5)
        )
    assert clock.spec == "@2025-11-06 06:51:00 x120"


def test_pg_ctl_and_python_keep_the_real_clock(fast_cluster: tuple[LocalCluster, FakeClock]) -> None:
    cluster, clock = fast_cluster
    assert cluster.is_running()  # pg_ctl status (not faked) sees the faked server
    env = clock.server_env()
    assert env["FAKETIME_ONLY_CMDS"] == "postgres"
    assert "FAKETIME" not in env  # would override the spec file
    # Only the server is faked: this Python process still sees the host's clock.
    assert abs(datetime.now(UTC) - _now(cluster)) > timedelta(days=1)
