"""Wake-up latency of the listener: from a queued bubble's INSERT commit to the modem write.

Why: the customer's seed polled every 10 s; the listener wakes on NOTIFY (Postgres mode) or Realtime
(Supabase mode) and keeps polling only as a safety net. This measures, in one run and on the same
database and simulated modem, how long a queued bubble waits before the listener hands it to the modem:

- notify    Postgres mode, LISTEN/NOTIFY (polling an hour apart, so it cannot help);
- realtime  Supabase mode through the wire-level emulators of tests/ (a Phoenix websocket server
            relaying real inserts, respx routes running the real SQL): no network round trips, so a
            hosted project adds its RTT per RPC call on top;
- poll      --poll-only with a 1 s interval;
- seed-poll the seed's 10 s poll.

The end point is the listener's call into the modem driver (the AT+CMGS write starts right after).
Each sample is inserted at a random moment (stratified over the poll interval), so a poll's phase is
uniform. Figures are printed, never
asserted (the pytest smoke test only checks that every strategy delivered its samples).

    python bench/bench_wake_latency.py            # ~3 minutes (the 10 s poll dominates)
    python bench/bench_wake_latency.py --quick    # seconds; poll intervals scaled down
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import operator
import random
import statistics
import sys
import time
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import respx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.database import ListenerDatabase
from listener.modem.config import ModemConfig
from listener.modem.driver import InboundQueue
from listener.modem.receiving import StoredSms
from listener.modem.resilient import ResilientModem
from listener.modem.simulator import ModemSimulator
from listener.pg_notify import NotifyWakeSource
from listener.pg_transport import PostgresTransport
from listener.service import HealthLike, ListenerService, SendResultLike, ServiceConfig
from listener.supabase_realtime import RealtimeWakeSource
from listener.supabase_transport import SupabaseTransport
from listener.wake import PollOnlyWakeSource, WakeSource
from sms_common import faketime
from sms_common.localdb import throwaway_cluster
from sms_common.logs import configure_logging
from tests.postgrest_emulator import PostgrestEmulator
from tests.realtime_emulator import RealtimeEmulator

#: Inside the default send window (a Wednesday afternoon in Pacific time).
PINNED = datetime(2025, 11, 5, 14, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
SERVICE_KEY = "bench-service-key"


@dataclass
class TimingModem:
    """Wraps the real driver and notes when the listener hands each text to it."""

    inner: ResilientModem
    handed_over: dict[str, float] = field(default_factory=dict)

    async def send_sms(self, number: str, text: str) -> SendResultLike:
        self.handed_over[text] = time.perf_counter()
        return await self.inner.send_sms(number, text)

    @property
    def connected(self) -> bool:
        return self.inner.connected

    async def wait_ready(self, within: float | None) -> bool:
        return await self.inner.wait_ready(within)

    def snapshot(self) -> HealthLike:
        return self.inner.snapshot()

    # Receiving is off in the bench (`receive=False`); these only complete the modem's interface.
    @property
    def inbound(self) -> InboundQueue:
        return self.inner.inbound

    async def list_stored(self) -> list[StoredSms]:
        return await self.inner.list_stored()

    async def read_stored(self, memory: str, index: int) -> StoredSms | None:
        return await self.inner.read_stored(memory, index)

    async def delete_stored(self, memory: str, index: int) -> None:
        await self.inner.delete_stored(memory, index)

    async def close(self) -> None:
        await self.inner.close()


@dataclass(frozen=True)
class Strategy:
    name: str
    label: str
    poll_interval: float
    samples: int
    #: Upper bound of the random wait before each insert (a poll's phase must be uniform).
    spread: float


@dataclass(frozen=True)
class Result:
    strategy: Strategy
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]


def strategies(quick: bool) -> list[Strategy]:
    if quick:
        return [
            Strategy("notify", "LISTEN/NOTIFY", 3600.0, 5, 0.05),
            Strategy("realtime", "Realtime (emulated)", 3600.0, 5, 0.05),
            Strategy("poll", "poll-only, 0.5 s", 0.5, 3, 0.5),
            Strategy("seed-poll", "seed-style poll, 1 s (10 s scaled down by --quick)", 1.0, 3, 1.0),
        ]
    return [
        Strategy("notify", "LISTEN/NOTIFY", 3600.0, 50, 0.2),
        Strategy("realtime", "Realtime (emulated)", 3600.0, 50, 0.2),
        Strategy("poll", "poll-only, 1 s", 1.0, 20, 1.0),
        Strategy("seed-poll", "seed's 10 s poll", 10.0, 12, 10.0),
    ]


@contextlib.asynccontextmanager
async def transport(
    strategy: Strategy, db_url: str
) -> AsyncIterator[tuple[ListenerDatabase, WakeSource, Callable[[], bool]]]:
    """Database calls, wake-up source and a "subscribed" check for one strategy."""
    if strategy.name == "notify":
        notify = NotifyWakeSource(db_url)
        yield ListenerDatabase(PostgresTransport(db_url)), notify, lambda: notify.subscriptions >= 1
    elif strategy.name == "realtime":
        realtime = RealtimeEmulator(db_url, service_key=SERVICE_KEY)
        await realtime.start()
        rest = PostgrestEmulator(db_url, realtime.base_url, service_key=SERVICE_KEY)
        try:
            with respx.mock(assert_all_called=False) as router:
                rest.install(router)
                wake = RealtimeWakeSource(realtime.base_url, SERVICE_KEY)
                yield (
                    ListenerDatabase(SupabaseTransport(realtime.base_url, SERVICE_KEY)),
                    wake,
                    lambda: realtime.live_subscriptions >= 1,
                )
        finally:
            await realtime.stop()
    else:
        yield ListenerDatabase(PostgresTransport(db_url)), PollOnlyWakeSource(), lambda: True


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def measure(strategy: Strategy, db_url: str, rng: random.Random) -> Result:
    latencies: list[float] = []
    recipient = f"+1209555{zlib.crc32(strategy.name.encode()) % 10000:04d}"
    async with ModemSimulator() as sim, transport(strategy, db_url) as (database, wake, ready):
        modem = TimingModem(ResilientModem(ModemConfig(sim.device_path), min_backoff=0.05, max_backoff=0.5))
        if not await modem.inner.wait_ready(10):
            raise TimeoutError("the simulated modem did not initialise")
        config = ServiceConfig(
            worker_id=f"bench-{strategy.name}",
            poll_interval=strategy.poll_interval,
            heartbeat_interval=3600,
            promotion_interval=3600,
            bubble_pause=0,
            recipient_pause=0,
            receive=False,
        )
        service = ListenerService(database, wake, modem, config)
        task = asyncio.create_task(service.run())
        try:
            await _until(ready, 10, f"{strategy.name} subscribed")
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
                # Stratified random phases: with a dozen samples plain uniform draws can all land in
                # one half of a poll interval and skew the median; one draw per stratum cannot.
                waits = [
                    (k + rng.random()) / strategy.samples * strategy.spread for k in range(strategy.samples)
                ]
                rng.shuffle(waits)
                for n, wait in enumerate(waits):
                    await asyncio.sleep(wait)
                    text = f"{strategy.name} sample {n}"
                    # Bubbles are created by promotion only: a due message, then the promotion that
                    # inserts its bubble (and NOTIFYs) commits; the clock starts at that commit.
                    # One recipient per strategy: a recipient keeps the SIM (worker) that first texted
                    # them (issue 14), and each strategy runs its own worker.
                    await conn.execute(
                        "insert into scheduled_messages (phone_number, message_content, scheduled_for) "
                        "values (%s, %s, now())",
                        (recipient, text),
                    )
                    await conn.execute("select process_scheduled_messages()")
                    committed = time.perf_counter()
                    handed_over = partial(operator.contains, modem.handed_over, text)
                    await _until(handed_over, strategy.poll_interval + 30, text)
                    latencies.append((modem.handed_over[text] - committed) * 1000)
        finally:
            service.request_stop("bench done")
            await asyncio.wait_for(task, 30)
            await modem.close()
    return Result(strategy, latencies)


def report(results: Sequence[Result], out: Any = sys.stdout) -> None:
    seed = next((r for r in results if r.strategy.name == "seed-poll"), None)
    print(
        "bubble INSERT commit (promotion) -> modem write (listener calls the driver), milliseconds", file=out
    )
    print(
        f"{'strategy':<10} {'n':>4} {'p50':>10} {'p99':>10} {'max':>10}  {'p50 vs seed':>12}  what", file=out
    )
    for result in results:
        ratio = f"{seed.p50 / result.p50:10.0f}x" if seed is not None and result.p50 > 0 else "-"
        print(
            f"{result.strategy.name:<10} {len(result.latencies_ms):>4} {result.p50:>10.1f} {result.p99:>10.1f} "
            f"{max(result.latencies_ms):>10.1f}  {ratio:>12}  {result.strategy.label}",
            file=out,
        )
    print("('p50 vs seed': how many times faster than the seed-style poll at the median)", file=out)


async def run(db_url: str, quick: bool, seed: int) -> list[Result]:
    rng = random.Random(seed)
    results = []
    for strategy in strategies(quick):
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute("update send_window set catch_up_gap = '0'")
            await conn.execute("delete from scheduled_messages where status in ('sent', 'SCH')")
        results.append(await measure(strategy, db_url, rng))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--database-url",
        help="a migrated database to use, its clock inside the send window (default: a throwaway cluster)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the insert timing")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    if args.database_url:
        results = asyncio.run(run(args.database_url, args.quick, args.seed))
    else:
        with throwaway_cluster(fake_clock=True) as cluster:
            cluster.prepare("bench")
            # The database's clock runs from a weekday afternoon, so the send window is open.
            assert cluster.clock_file is not None
            faketime.write_spec(
                cluster.clock_file, faketime.shifted_spec(round(PINNED.timestamp() - time.time()))
            )
            results = asyncio.run(run(cluster.url("bench"), args.quick, args.seed))
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
