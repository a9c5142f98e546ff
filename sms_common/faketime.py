"""libfaketime in the PostgreSQL server processes: the database clock of the tests and of the demo.

Functions that change data act on the database's clock only (docs/sql-api.md), so a test or the demo
that needs another moment moves the server's clock, never an argument. Why these settings (checked with
PostgreSQL 15 and Debian's libfaketime 0.9.10, see ../shared/FACTS.md):

- `FAKETIME_TIMESTAMP_FILE` + `FAKETIME_NO_CACHE=1`: the spec lives in a file every server process
  re-reads on every clock read, so one write moves the clock of all backends at once (about 0.25 ms a
  query on this machine). `FAKETIME` in the environment would win over the file, so it is removed.
- `FAKETIME_DONT_FAKE_MONOTONIC=1`: latch waits and the kernel timers stay real.
- `FAKETIME_ONLY_CMDS=postgres`: pg_ctl and runuser keep the real clock. pg_ctl -w compares the start
  time the postmaster writes into postmaster.pid with its own clock and never sees a server on a faked
  clock as started, so such a server is started with -W and waited for by connecting.
- `TZ=UTC`: libfaketime reads absolute specs in the process's local time zone.

The specs used here (libfaketime's syntax): `+0` real time; `+N` / `-N` real time shifted by N whole
seconds (every process sees the same running clock); `YYYY-MM-DD hh:mm:ss[.ffffff]` frozen at that
moment (server-side timeouts such as statement_timeout and deadlock_timeout do not fire while the clock
is frozen); `@YYYY-MM-DD hh:mm:ss xS` starting there and running S times faster (the demo).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sms_common.errors import SmsSchedulerError

LIBFAKETIME_CANDIDATES = (
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"),
    Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"),
    Path("/usr/lib/faketime/libfaketime.so.1"),
)
REAL_TIME = "+0"


class FakeClockError(SmsSchedulerError):
    """libfaketime is missing or a clock spec cannot be written."""


def libfaketime_path() -> Path:
    override = os.environ.get("LIBFAKETIME")
    for candidate in ([Path(override)] if override else []) + list(LIBFAKETIME_CANDIDATES):
        if candidate.exists():
            return candidate
    raise FakeClockError("libfaketime not found: install the Debian package libfaketime (make deps does)")


def server_env(spec_file: Path, *, share_start: bool = False, real_monotonic: bool = True) -> dict[str, str]:
    """Environment for pg_ctl start: libfaketime preloaded into the `postgres` processes only.

    `share_start`: for a spec that starts at a moment and runs (`@...`), backends forked from the
    postmaster keep the postmaster's timeline instead of restarting at the moment (FAKETIME_DONT_RESET).
    `real_monotonic=False` (the demo's fast clock) lets libfaketime scale the server's sleeps too.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAKETIME")}
    env.pop("LD_PRELOAD", None)
    env |= {
        "LD_PRELOAD": str(libfaketime_path()),
        "FAKETIME_TIMESTAMP_FILE": str(spec_file),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_ONLY_CMDS": "postgres",
        "TZ": "UTC",
    }
    if real_monotonic:
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    if share_start:
        env["FAKETIME_DONT_RESET"] = "1"
    return env


def write_spec(spec_file: Path, spec: str) -> None:
    """Atomically replace the spec: a server process must never read a half-written file."""
    spec_file.parent.mkdir(parents=True, exist_ok=True)
    partial = spec_file.with_name(spec_file.name + ".tmp")
    partial.write_text(spec + "\n", encoding="utf-8")
    partial.chmod(0o644)  # the server runs as the `postgres` OS user
    partial.replace(spec_file)


def frozen_spec(moment: datetime) -> str:
    """The spec of a clock stopped at `moment` (an aware datetime)."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def shifted_spec(seconds: int) -> str:
    """The spec of the real clock shifted by whole seconds."""
    return f"{seconds:+d}"
