"""Supabase mode: the same SQL functions through PostgREST RPC, wake-ups from Supabase Realtime.

For a project reached only over HTTPS (SUPABASE_URL + the service role key): claims and updates are
`supabase` RPC calls (`POST /rest/v1/rpc/<function>`); wake-ups are Realtime `postgres_changes`
INSERT events on `messages` filtered to `status=eq.queued`.

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
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from postgrest.exceptions import APIError
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.message import SuccessSystemPayload
from realtime.types import PostgresChangesPayload, RealtimePostgresChangesListenEvent

from listener.connector import (
    Bubble,
    BubbleOutcome,
    ConnectorAuthError,
    ConnectorError,
    DatabaseUnavailableError,
    OutcomeCalls,
    PromotionResult,
    Wake,
    parse_timestamp,
)
from listener.supervise import SessionEnded, supervise
from sms_common.logs import get_logger, redact_text
from supabase import AsyncClient, AsyncClientOptions, acreate_client

log = get_logger(__name__)

#: PostgREST codes for "cannot reach the database / pool exhausted" (the request may be retried).
_UNAVAILABLE_CODES = frozenset({"PGRST000", "PGRST001", "PGRST002", "PGRST003", "502", "503", "504", "520"})
#: PostgREST/gateway codes for a refused key or role.
_AUTH_CODES = frozenset({"PGRST300", "PGRST301", "PGRST302", "PGRST303", "401", "403", "42501"})


def _classify(exc: Exception, what: str) -> ConnectorError:
    if isinstance(exc, httpx.TransportError):
        return DatabaseUnavailableError(f"{what}: Supabase API unreachable ({type(exc).__name__}: {exc})")
    if isinstance(exc, APIError):
        code = exc.code or ""
        parts = [part for part in (exc.message, exc.details, exc.hint) if part]
        text = redact_text("; ".join(str(part) for part in parts) or "no details")
        if code in _UNAVAILABLE_CODES or code.startswith(("08", "57P", "53")):
            return DatabaseUnavailableError(f"{what}: database unavailable ({code}: {text})")
        if code in _AUTH_CODES or (not code and "api key" in text.lower()):
            return ConnectorAuthError(
                f"{what}: refused ({code or 'auth'}: {text}); SUPABASE_SERVICE_ROLE_KEY must be the service_role key"
            )
        return ConnectorError(f"{what} failed ({code or 'error'}: {text})")
    return ConnectorError(f"{what} failed: {redact_text(str(exc))}")


def _rows(data: Any) -> list[dict[str, Any]]:
    """PostgREST returns an array for `setof`/`table` functions and one object for a composite result."""
    if data is None:
        return []
    if isinstance(data, list):
        return [row for row in data if isinstance(row, dict) and row.get("id", 0) is not None]
    if isinstance(data, dict):
        return [data]
    raise ConnectorError(f"unexpected RPC result {data!r}")


def _arg(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class SupabaseConnector(OutcomeCalls):
    """Connector over the Supabase Python client's RPC (see the module docstring)."""

    name = "supabase"

    def __init__(self, url: str, service_role_key: str, *, timeout: float = 30.0) -> None:
        self._url = url.rstrip("/")
        self._key = service_role_key
        self._timeout = timeout
        self._client: AsyncClient | None = None
        self._http: httpx.AsyncClient | None = None

    async def open(self) -> None:
        # Our own httpx client: a bounded timeout, and no deprecated per-client timeout arguments.
        self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=True)
        self._client = await acreate_client(
            self._url,
            self._key,
            options=AsyncClientOptions(
                httpx_client=self._http,
                postgrest_client_retry=False,  # claims are not idempotent: the loop decides about retries
                auto_refresh_token=False,
                persist_session=False,
            ),
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._client = None
        self._http = None

    async def _rpc(self, function: str, args: Mapping[str, Any]) -> Any:
        if self._client is None:
            raise ConnectorError("the Supabase connector is not open")
        params = {key: _arg(value) for key, value in args.items() if not (key == "at" and value is None)}
        try:
            response = await self._client.rpc(function, params).execute()
        except (httpx.HTTPError, APIError) as exc:
            raise _classify(exc, function) from exc
        return response.data

    async def _outcome(self, function: str, args: Mapping[str, Any]) -> BubbleOutcome:
        rows = _rows(await self._rpc(function, args))
        if len(rows) != 1:
            raise ConnectorError(f"{function}({args.get('message_id')}) returned {len(rows)} rows")
        return BubbleOutcome.from_row(rows[0])

    async def claim(self, worker_id: str, at: datetime | None = None) -> Bubble | None:
        rows = _rows(await self._rpc("claim_next_bubble", {"worker_id": worker_id, "at": at}))
        return Bubble.from_row(rows[0]) if rows else None

    async def recover(self, worker_id: str | None, at: datetime | None = None) -> int:
        return int(await self._rpc("recover_stale_claims", {"worker_id": worker_id, "at": at}) or 0)

    async def heartbeat(
        self,
        worker_id: str,
        modem_health: Mapping[str, Any],
        last_sent_at: datetime | None,
        queue_depth: int | None = None,
        at: datetime | None = None,
        started_at: datetime | None = None,
    ) -> int | None:
        rows = _rows(
            await self._rpc(
                "record_listener_heartbeat",
                {
                    "worker_id": worker_id,
                    "modem_health": dict(modem_health),
                    "last_sent_at": last_sent_at,
                    "queue_depth": queue_depth,
                    "at": at,
                    **({"started_at": _arg(started_at)} if started_at is not None else {}),
                },
            )
        )
        depth = rows[0].get("queue_depth") if rows else None
        return None if depth is None else int(depth)

    async def next_due(self, at: datetime | None = None) -> datetime | None:
        value = await self._rpc("next_bubble_due_at", {"at": at})
        return None if value is None else parse_timestamp(str(value))

    async def promote(self, at: datetime | None = None) -> PromotionResult:
        rows = _rows(await self._rpc("process_scheduled_messages_safe", {"at": at}))
        return PromotionResult.from_rows(rows)

    async def promotion_job_active(self) -> bool:
        return bool(await self._rpc("promotion_job_active", {}))


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
