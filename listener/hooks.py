"""What the sending loop tells the rest of the listener, and the one thing it waits for.

`listener.service.ListenerService` calls these at fixed points, so that metrics (`listener.metrics`)
and the sender registration (`listener.bank`) live in their own modules and the loop stays about
claiming and sending. The base class does nothing: a service without hooks behaves as before.

Every observing method is called on the event loop, must not block and must not raise.
`before_sweep` is the exception: it is awaited before each sweep (after the modem is ready), inside
the loop's database retry, so it may raise `DatabaseUnavailableError` to be retried with backoff; any
other problem it handles itself (a sweep must not be skipped because of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listener.database import ListenerStatus
from listener.decision import Decision


class ServiceHooks:
    """No-op hooks; subclass and override what you need (see the module docstring)."""

    async def before_sweep(self) -> None:
        """Awaited before every sweep, once the modem is ready."""

    def claim_timed(self, seconds: float, found: bool) -> None:
        """One claim_next_bubble call answered after `seconds` (`found`: it handed out a bubble)."""

    def send_timed(self, seconds: float, decision: Decision) -> None:
        """The modem took `seconds` over one bubble, and this is what it meant."""

    def heartbeat_recorded(self, status: ListenerStatus, payload: Mapping[str, Any]) -> None:
        """A heartbeat was stored; `payload` is the modem health it carried."""

    def heartbeat_failed(self, error: str) -> None:
        """A heartbeat could not be stored."""


class HookChain(ServiceHooks):
    """Several hooks, called in order."""

    def __init__(self, *hooks: ServiceHooks) -> None:
        self.hooks = hooks

    async def before_sweep(self) -> None:
        for hook in self.hooks:
            await hook.before_sweep()

    def claim_timed(self, seconds: float, found: bool) -> None:
        for hook in self.hooks:
            hook.claim_timed(seconds, found)

    def send_timed(self, seconds: float, decision: Decision) -> None:
        for hook in self.hooks:
            hook.send_timed(seconds, decision)

    def heartbeat_recorded(self, status: ListenerStatus, payload: Mapping[str, Any]) -> None:
        for hook in self.hooks:
            hook.heartbeat_recorded(status, payload)

    def heartbeat_failed(self, error: str) -> None:
        for hook in self.hooks:
            hook.heartbeat_failed(error)
