"""Supabase mode's wake-ups: Realtime `postgres_changes` INSERT events on `messages`
(filtered to `status=eq.queued`).

Realtime facts this is built around (realtime 2.34):
- callbacks are synchronous, so they only call `wake()` (which sets an asyncio.Event);
- SUBSCRIBED fires on the join reply, before the server's "Subscribed to PostgreSQL" system message,
  and inserts in between can be missed: the loop sweeps after both;
- the client stops reconnecting after `max_retries`, and changes made while disconnected are never
  replayed: this module builds a fresh client for every connection (with tenacity backoff between
  failures) and sweeps after every subscription. Polling stays on as the safety net in any case.
"""

from __future__ import annotations

import asyncio

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.message import SuccessSystemPayload
from realtime.types import PostgresChangesPayload, RealtimePostgresChangesListenEvent

from listener.errors import ConnectorError
from listener.supervise import SessionEnded, supervise
from listener.wake import Wake
from sms_common.logs import get_logger

log = get_logger(__name__)


class RealtimeWakeSource:
    """Wake-ups from Realtime postgres_changes INSERTs on messages (status=eq.queued)."""

    name = "realtime"

    #: Channel topic (the client prefixes "realtime:").
    TOPIC = "sms-listener-messages"

    def __init__(
        self,
        url: str,
        service_role_key: str,
        *,
        table: str = "messages",
        schema: str = "public",
        row_filter: str = "status=eq.queued",
        join_timeout: int = 10,
        heartbeat_interval: int = 25,
        watchdog_interval: float = 5.0,
        max_backoff: float = 30.0,
    ) -> None:
        self._realtime_url = f"{url.rstrip('/')}/realtime/v1"
        self._key = service_role_key
        self._table = table
        self._schema = schema
        self._filter = row_filter
        self._join_timeout = join_timeout
        self._hb_interval = heartbeat_interval
        self._watchdog = watchdog_interval
        self._max_backoff = max_backoff
        #: Completed subscriptions (join replies) and postgres_changes events seen; tests read them.
        self.subscriptions = 0
        self.events = 0
        #: True while a channel is joined (between SUBSCRIBED and the channel breaking).
        self.subscribed = False

    async def run(self, wake: Wake) -> None:
        await supervise("realtime", lambda: self._session(wake), max_backoff=self._max_backoff)

    async def _session(self, wake: Wake) -> None:
        # A fresh client per connection: the library's own reconnection gives up after max_retries.
        client = AsyncRealtimeClient(
            self._realtime_url,
            token=self._key,
            auto_reconnect=False,
            max_retries=1,
            hb_interval=self._hb_interval,
            timeout=self._join_timeout,
        )
        broken = asyncio.Event()
        reason: list[str] = []
        subscribed = False

        def on_state(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            nonlocal subscribed
            if state == RealtimeSubscribeStates.SUBSCRIBED:
                subscribed = True
                self.subscribed = True
                self.subscriptions += 1
                log.info("listening", part="realtime", subscriptions=self.subscriptions)
                wake("subscribed")  # subscribed: sweep for whatever came in during the gap
            else:
                self.subscribed = False
                reason.append(f"{state.value}: {error}" if error else str(state.value))
                broken.set()

        def on_system(payload: SuccessSystemPayload) -> None:
            if payload.extension == "postgres_changes":
                # "Subscribed to PostgreSQL": from here on inserts are streamed; sweep once more.
                log.info("realtime_ready", part="realtime", message=payload.message)
                wake("postgres_subscribed")

        def on_insert(payload: PostgresChangesPayload) -> None:
            self.events += 1
            record = payload["data"].get("record") or {}
            wake(f"realtime:{record.get('id')}")

        try:
            await client.connect()
            channel = client.channel(self.TOPIC)
            channel.on_postgres_changes(
                RealtimePostgresChangesListenEvent.Insert,
                on_insert,
                table=self._table,
                schema=self._schema,
                filter=self._filter,
            )
            channel.on_system(on_system)
            await channel.subscribe(on_state)
            if not subscribed:
                raise ConnectorError(f"Realtime join failed: {'; '.join(reason) or 'no reply'}")
            while not broken.is_set():
                # The library notices a closed socket; a silently dead one is caught by websockets'
                # own ping timeout. This watchdog covers the client losing its connection quietly.
                if not client.is_connected:
                    reason.append("websocket no longer connected")
                    break
                # If a frame handler raised, the client's reader task is dead while the client still
                # looks connected: events silently stop (supabase-py #1134). Treat that as broken too.
                reader = getattr(client, "_listen_task", None)
                if reader is None or reader.done():
                    reason.append("Realtime reader task ended")
                    break
                try:
                    await asyncio.wait_for(broken.wait(), timeout=self._watchdog)
                except TimeoutError:
                    continue
            raise SessionEnded(f"Realtime channel ended: {'; '.join(reason)}")
        finally:
            self.subscribed = False
            for channel in list(client.channels.values()):
                channel.rejoin_timer.reset()
            await client.close()
