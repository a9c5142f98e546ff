"""The demo cluster's fast clock: libfaketime preloaded into the PostgreSQL server processes only.

Why these settings (checked with PostgreSQL 15 and Debian's libfaketime 0.9.10):
- `FAKETIME_TIMESTAMP_FILE` + `FAKETIME_NO_CACHE=1`: the "@start xSPEED" spec lives in a file every
  server process re-reads, so the demo can move the clock for all backends at once (the night jump).
  `FAKETIME` in the environment would win over the file, so it is removed.
- `FAKETIME_DONT_RESET=1`: backends are forked from the postmaster; without it each backend's clock
  would restart at "@start" when it is forked instead of sharing the postmaster's timeline.
- `FAKETIME_ONLY_CMDS=postgres`: pg_ctl and runuser keep the real clock (pg_ctl -w compares the start
  time the postmaster writes into postmaster.pid with its own clock and never sees a faked server as
  started; the demo therefore starts the server with -W and waits for connections itself).
- libfaketime also scales sleeps and timeouts inside the server (pg_sleep(6) takes 0.05 s at x120),
  so the demo raises authentication_timeout and checkpoint_timeout on its cluster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sms_common.errors import SmsSchedulerError

LIBFAKETIME_CANDIDATES = (
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"),
    Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"),
    Path("/usr/lib/faketime/libfaketime.so.1"),
)


class FakeClockError(SmsSchedulerError):
    """libfaketime is missing or the spec cannot be written."""


def libfaketime_path() -> Path:
    override = os.environ.get("LIBFAKETIME")
    for candidate in ([Path(override)] if override else []) + list(LIBFAKETIME_CANDIDATES):
        if candidate.exists():
            return candidate
    raise FakeClockError("libfaketime not found: install the Debian package libfaketime (make deps does)")


@dataclass
class FakeClock:
    """The spec file of a fast clock: the server's time is `base + (real time since start) * speed`."""

    spec_file: Path
    base: datetime
    speed: float

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise FakeClockError(f"the clock speed must be positive, not {self.speed}")
        self.base = self.base.astimezone(UTC).replace(microsecond=0)

    @property
    def spec(self) -> str:
        return f"@{self.base:%Y-%m-%d %H:%M:%S} x{self.speed:g}"

    def write(self) -> None:
        """Atomically replace the spec (a server process must never read a half-written file)."""
        self.spec_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.spec_file.with_suffix(".tmp")
        partial.write_text(self.spec + "\n", encoding="utf-8")
        partial.chmod(0o644)  # the server runs as the `postgres` OS user
        partial.replace(self.spec_file)

    def jump(self, delta: timedelta) -> None:
        """Move every server process's clock forward by `delta` (whole seconds), keeping the speed."""
        self.base += timedelta(seconds=round(delta.total_seconds()))
        self.write()

    def server_env(self) -> dict[str, str]:
        """Environment for pg_ctl start: preload libfaketime into the `postgres` processes only."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("FAKETIME")}
        env.pop("LD_PRELOAD", None)
        return env | {
            "LD_PRELOAD": str(libfaketime_path()),
            "FAKETIME_TIMESTAMP_FILE": str(self.spec_file),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_RESET": "1",
            "FAKETIME_ONLY_CMDS": "postgres",
            "TZ": "UTC",  # libfaketime reads the "@" timestamp in the process's local time zone
        }
