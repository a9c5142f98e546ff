"""The demo cluster's fast clock: `@start xSPEED` in libfaketime's spec file (see sms_common.faketime).

Why `share_start` (FAKETIME_DONT_RESET): backends are forked from the postmaster; without it each
backend's clock would restart at "@start" when it is forked instead of sharing the postmaster's
timeline. libfaketime also scales sleeps and timeouts inside the server (pg_sleep(6) takes 0.05 s at
x120), so the demo raises authentication_timeout and checkpoint_timeout on its cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sms_common.faketime import FakeClockError, server_env, write_spec

__all__ = ["FakeClock", "FakeClockError"]


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
        write_spec(self.spec_file, self.spec)

    def jump(self, delta: timedelta) -> None:
        """Move every server process's clock forward by `delta` (whole seconds), keeping the speed."""
        self.base += timedelta(seconds=round(delta.total_seconds()))
        self.write()

    def server_env(self) -> dict[str, str]:
        """Environment for pg_ctl start: preload libfaketime into the `postgres` processes only."""
        return server_env(self.spec_file, share_start=True, real_monotonic=False)
