"""The demo's moving parts: its own PostgreSQL cluster (first on the real clock to migrate, then on
the fast clock), the modem simulator and the listener, each started and always stopped again.

Why records of what was started (`pids.json`): `make demo` must leave nothing running, also after a
run was killed; the next run stops what the previous one left behind, identified by pid AND command
line, never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg

from demo.fakeclock import FakeClock
from sms_common.errors import LocalDatabaseError, SmsSchedulerError
from sms_common.localdb import LocalCluster, free_port, pg_bindir, wait_until_accepting

DEMO_DATABASE = "demo"
#: Marks a directory as the demo's own, so a new run may clear it.
MARKER = ".sms-demo-home"
#: First port tried for the demo cluster (the dev cluster of `make db` starts at 55432).
DEMO_FIRST_PORT = 56432
#: Server settings for a clock that runs fast: libfaketime scales the server's own timeouts too.
FAST_CLOCK_SETTINGS = {
    "authentication_timeout": "600s",  # 5 s of real time at x120
    "checkpoint_timeout": "1d",  # otherwise a checkpoint every 2.5 real seconds
    "autovacuum_naptime": "1h",
}


class DemoError(SmsSchedulerError):
    """The demo could not run to the end; the message says which step and why."""


@dataclass(frozen=True)
class DemoPaths:
    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def clock_spec(self) -> Path:
        return self.home / "faketime.rc"

    @property
    def pids(self) -> Path:
        return self.home / "pids.json"

    @property
    def modem_link(self) -> Path:
        return self.home / "modem"

    @property
    def received(self) -> Path:
        return self.home / "received.jsonl"

    @property
    def listener_log(self) -> Path:
        return self.home / "listener.log"

    @property
    def simulator_log(self) -> Path:
        return self.home / "simulator.log"

    @property
    def campaign_csv(self) -> Path:
        return self.home / "campaign.csv"

    @property
    def network_script(self) -> Path:
        """What the simulated network does: the customers' replies (demo.story)."""
        return self.home / "network.script"

    @property
    def summary(self) -> Path:
        return self.home / "summary.json"

    @property
    def settings_file(self) -> Path:
        """A settings file that does not exist: the demo must not read an operator's sms.env."""
        return self.home / "no-settings.env"


# -- leftovers of an earlier run --------------------------------------------------------------------


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _remember(paths: DemoPaths, name: str, process: subprocess.Popen[bytes]) -> None:
    known: dict[str, dict[str, object]] = {}
    if paths.pids.exists():
        known = json.loads(paths.pids.read_text(encoding="utf-8"))
    known[name] = {"pid": process.pid, "cmdline": _cmdline(process.pid)}
    paths.pids.write_text(json.dumps(known), encoding="utf-8")


def stop_leftovers(paths: DemoPaths) -> list[str]:
    """Stop what an interrupted earlier run left running (its processes and its cluster)."""
    stopped: list[str] = []
    if paths.pids.exists():
        known = json.loads(paths.pids.read_text(encoding="utf-8"))
        for name, entry in known.items():
            pid, cmdline = int(entry["pid"]), str(entry["cmdline"])
            if cmdline and _cmdline(pid) == cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                    _wait_gone(pid, 10.0)
                    stopped.append(f"{name} (pid {pid})")
        paths.pids.unlink()
    if (paths.pgdata / "postmaster.pid").exists():
        cluster = LocalCluster(datadir=paths.pgdata, port=0)
        if cluster.is_running():
            cluster.stop(mode="immediate")
            stopped.append("demo database")
    return stopped


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or " (Z) " in _proc_stat(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _proc_stat(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""


# -- the database -----------------------------------------------------------------------------------


def fresh_cluster(paths: DemoPaths) -> LocalCluster:
    """A new, empty cluster for this run (an earlier run's data, logs and records are removed).

    Only a directory the demo made itself (it holds the marker file) or an empty one is cleared."""
    marker = paths.home / MARKER
    if paths.home.exists() and any(paths.home.iterdir()) and not marker.exists():
        raise DemoError(f"{paths.home} is not empty and was not made by the demo: choose another --home")
    shutil.rmtree(paths.home, ignore_errors=True)
    paths.home.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by `python -m demo`; cleared at the start of every demo run\n", encoding="utf-8")
    paths.home.chmod(0o755)  # the server's OS user reads the clock spec file here
    cluster = LocalCluster(datadir=paths.pgdata, port=free_port(DEMO_FIRST_PORT))
    cluster.initialise(durable=False)
    return cluster


def migrate_on_real_clock(cluster: LocalCluster) -> None:
    """Bootstrap and migrate the demo database with the real Supabase CLI, on the real clock.

    The demo database is not pg_cron's database (`cron.database_name` is `postgres`), so the
    migrations skip the cron job there, as on a project without pg_cron."""
    cluster.start()
    wait_until_accepting(cluster)
    cluster.prepare(DEMO_DATABASE)
    with cluster.connect() as conn:
        for name, value in FAST_CLOCK_SETTINGS.items():
            conn.execute(f"alter system set {name} = '{value}'")
    cluster.stop()


def start_on_fast_clock(cluster: LocalCluster, clock: FakeClock) -> None:
    """Start the server with libfaketime preloaded (see demo.fakeclock for why -W and our own wait)."""
    clock.write()
    argv = [
        str(pg_bindir() / "pg_ctl"),
        "start",
        "-W",
        "-D",
        str(cluster.datadir),
        "-l",
        str(cluster.logfile),
    ]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    result = subprocess.run(argv, env=clock.server_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise LocalDatabaseError(f"pg_ctl start (fast clock) failed: {result.stdout}{result.stderr}")
    wait_until_accepting(cluster, timeout=60)


def connect(cluster: LocalCluster) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(cluster.url(DEMO_DATABASE), autocommit=True)


# -- child processes --------------------------------------------------------------------------------


@dataclass
class Child:
    """A process the demo started; `stop()` is idempotent and always leaves it reaped."""

    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes] | None = None
    stopped: bool = field(default=False)

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.stopped:
            return self.process.returncode
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
        return self.process.returncode

    def running(self) -> bool:
        return self.process.poll() is None


def child_env(paths: DemoPaths, **extra: str) -> dict[str, str]:
    """Environment for the demo's Python commands: no operator settings leak in."""
    env = {k: v for k, v in os.environ.items() if k not in {"SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"}}
    return env | {"SMS_SETTINGS_FILE": str(paths.settings_file), "PYTHONUNBUFFERED": "1"} | extra


def start_simulator(
    paths: DemoPaths,
    *,
    script: Path | None = None,
    status_reports: int | None = None,
    report_delay: float = 0.3,
) -> tuple[Child, str]:
    """`python -m listener simulate-modem`; returns once it printed its device path. `script` plays
    the network (customers' replies), `status_reports` the TP-ST of the report for every part sent."""
    log = paths.simulator_log.open("wb")
    extra: list[str] = []
    if script is not None:
        extra += ["--script", str(script)]
    if status_reports is not None:
        extra += ["--status-reports", str(status_reports), "--status-report-delay", str(report_delay)]
    process = subprocess.Popen(  # noqa: S603 - our own module with fixed arguments
        [
            sys.executable,
            "-m",
            "listener",
            "simulate-modem",
            "--link",
            str(paths.modem_link),
            "--record",
            str(paths.received),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        env=child_env(paths),
    )
    child = Child("modem simulator", process, log)
    _remember(paths, "simulator", process)
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    line = b""
    while not line.endswith(b"\n") and time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=0.2):
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
    selector.close()
    device = line.decode(errors="replace").strip().splitlines()[0] if line.strip() else ""
    if not device:
        child.stop()
        raise DemoError(f"the modem simulator printed no device path; see {paths.simulator_log}")
    return child, device


def start_listener(paths: DemoPaths, database_url: str, device: str) -> Child:
    """`python -m listener run` against the demo database and the simulator, with short pauses."""
    log = paths.listener_log.open("wb")
    env = child_env(
        paths,
        DATABASE_URL=database_url,
        MODEM_PORT=device,
        BUBBLE_PAUSE="0.05",
        RECIPIENT_PAUSE="0.1",
        POLL_INTERVAL="1",
        HEARTBEAT_INTERVAL="1",
        WORKER_ID="demo-listener",
        LOG_LEVEL="INFO",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "listener", "run", "--mode", "postgres"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    _remember(paths, "listener", process)
    return Child("listener", process, log)


def run_scheduler(paths: DemoPaths, database_url: str, *args: str) -> None:
    """One `python -m scheduler ...` command; its output goes straight to the screen."""
    result = subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [sys.executable, "-m", "scheduler", *args],
        env=child_env(paths, DATABASE_URL=database_url),
        check=False,
    )
    if result.returncode != 0:
        raise DemoError(f"`python -m scheduler {' '.join(args)}` failed with exit code {result.returncode}")
