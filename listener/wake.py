"""Wake-up sources: something that tells the loop "there may be new queued bubbles".

A wake-up only sets an asyncio.Event in the service; missing one costs latency, never a message,
because the loop sweeps (claims until nothing is claimable) and polls as a safety net. The sources
themselves are transport-specific (`pg_notify`, `supabase_realtime`); this module holds their
protocol and the source that never wakes anybody (--poll-only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

#: What a wake-up source calls: `wake(reason)`. Cheap, synchronous, safe to call from any callback.
Wake = Callable[[str], None]


class WakeSource(Protocol):
    """`run` runs until cancelled. It calls `wake("subscribed")` (or similar) after every
    (re)subscription, AFTER the subscription is in place, so the loop's sweep finds whatever was
    inserted during a gap. It reconnects on its own, with backoff, and never raises for connection
    trouble."""

    name: str

    async def run(self, wake: Wake) -> None: ...


class PollOnlyWakeSource:
    """--poll-only: no push wake-ups at all (transaction poolers, projects without Realtime).
    The loop's poll interval and next_bubble_due_at do all the work."""

    name = "poll"

    async def run(self, wake: Wake) -> None:
        wake("started")
        await asyncio.Event().wait()
