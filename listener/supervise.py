"""Keep a long-lived session (a LISTEN connection, a Realtime websocket) alive for months.

A session that was established and then broke is restarted almost at once (after `settle` seconds);
consecutive failures to establish one back off exponentially with jitter (tenacity), up to
`max_backoff`. Each wake-up source reconnects on its own, independently of the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_all,
    retry_if_exception_type,
    retry_if_not_exception_type,
    wait_exponential_jitter,
)

from sms_common.logs import get_logger, redact_text

log = get_logger(__name__)


class SessionEnded(Exception):
    """Raised by a session that had been established and then ended (reconnect promptly)."""


async def supervise(
    part: str,
    session: Callable[[], Awaitable[None]],
    *,
    initial: float = 0.2,
    max_backoff: float = 30.0,
    settle: float = 0.2,
) -> NoReturn:
    """Run `session()` forever. It returns or raises SessionEnded after an established session broke,
    and raises anything else when it could not establish one."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("reconnecting", part=part, attempt=state.attempt_number, error=redact_text(str(error)))

    while True:
        retrying = AsyncRetrying(
            # Exception only: a CancelledError (shutdown) must end the loop, not be retried.
            retry=retry_all(retry_if_exception_type(Exception), retry_if_not_exception_type(SessionEnded)),
            wait=wait_exponential_jitter(multiplier=initial, max=max_backoff),
            before_sleep=before_sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await session()
        except SessionEnded as ended:
            log.warning("reconnecting", part=part, attempt=0, error=redact_text(str(ended)))
        await asyncio.sleep(settle)
