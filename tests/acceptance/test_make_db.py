"""`make db`'s engine (python -m sms_common.localdb): start, connect, start again (reused), stop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import REPO_ROOT


@pytest.fixture
def dev_home() -> Iterator[Path]:
    # Not pytest's tmp_path (0700): as root, the server's OS user must be able to traverse into it.
    base = Path(tempfile.mkdtemp(prefix="sms-devdb-"))
    base.chmod(0o711)
    home = base / "db"
    try:
        yield home
    finally:
        _localdb(home, "stop")
        shutil.rmtree(base, ignore_errors=True)


def _localdb(home: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sms_common.localdb", command],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=os.environ | {"SMS_LOCAL_DB_HOME": str(home)},
        timeout=240,
    )


def test_make_db_starts_reuses_and_stops_the_local_cluster(dev_home: Path) -> None:
    first = _localdb(dev_home, "start")
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip()
    assert url.startswith("postgresql://postgres@127.0.0.1:")
    assert "started the local cluster" in first.stderr

    psql = subprocess.run(["psql", url, "-Atc", "select 1"], capture_output=True, text=True, check=False)
    assert (psql.returncode, psql.stdout.strip()) == (0, "1"), psql.stderr

    preload = subprocess.run(
        ["psql", url, "-Atc", "show shared_preload_libraries"], capture_output=True, text=True, check=False
    )
    assert "pg_cron" in preload.stdout

    second = _localdb(dev_home, "start")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == url
    assert "reused the running local cluster" in second.stderr

    assert _localdb(dev_home, "status").stdout.strip() == "running"
    assert _localdb(dev_home, "stop").returncode == 0
    assert _localdb(dev_home, "status").stdout.strip() == "stopped"
