"""What the unit tests of ListenerService share: a configuration without pauses or long sleeps, the
service run as a task and stopped as SIGTERM would, and a condition waited for under a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from listener.service import ListenerService, ServiceConfig


def config(**overrides: Any) -> ServiceConfig:
    """No pauses, quick polls and backoff; heartbeat and promotion out of the way unless overridden."""
    values: dict[str, Any] = {
        "worker_id": "unit",
        "poll_interval": 0.05,
        "heartbeat_interval": 3600.0,
        "bubble_pause": 0.0,
        "recipient_pause": 0.0,
        "promotion_interval": 3600.0,
        "max_backoff": 0.05,
        "min_wait": 0.01,
    }
    values.update(overrides)
    return ServiceConfig(**values)


@asynccontextmanager
async def started(service: ListenerService) -> AsyncIterator[ListenerService]:
    """`service.run()` as a task; on exit a stop request, and run() must return within 10 s."""
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        service.request_stop("test over")
        await asyncio.wait_for(task, 10)


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async def poll() -> None:
        while True:  # a condition with a deadline (the outer wait_for)
            if condition():
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), within)
