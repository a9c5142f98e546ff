"""Postgres mode: the SQL functions over psycopg 3, wake-ups from LISTEN/NOTIFY.

Calls go through a small connection pool that checks a connection before lending it, so a restarted
server costs one failed call, not a stuck listener. Wake-ups use one dedicated connection (LISTEN only
works on a session that stays open; it does not work through a transaction pooler, hence --poll-only).
That connection is checked every `keepalive` seconds with pg_listening_channels(), and after every
(re)connection the listener LISTENs first and only then asks the loop to sweep, so a row inserted
while the connection was down is found by the sweep instead of being lost between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from listener.connector import (
    Bubble,
    BubbleOutcome,
    ConnectorAuthError,
    ConnectorError,
    DatabaseUnavailableError,
    OutcomeCalls,
    PromotionResult,
    Wake,
)
from listener.supervise import SessionEnded, supervise
from sms_common.logs import get_logger, redact_text

log = get_logger(__name__)

#: The channel the AFTER INSERT trigger on messages notifies (docs/sql-api.md).
NOTIFY_CHANNEL = "messages_queued"

#: SQLSTATE classes that mean "the server went away or is starting/stopping", not "your SQL is wrong".
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "53")


def _classify(exc: BaseException, what: str) -> ConnectorError:
    """Turn a psycopg/pool exception into the connector's error vocabulary, with a readable message."""
    text = redact_text(str(exc).strip() or type(exc).__name__)
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if isinstance(exc, PoolTimeout):
        return DatabaseUnavailableError(f"{what}: no database connection available ({text})")
    if sqlstate == "28P01" or sqlstate == "28000":
        return ConnectorAuthError(f"{what}: the database refused the credentials ({text})")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) or sqlstate.startswith(
        _UNAVAILABLE_SQLSTATE_PREFIXES
    ):
        return DatabaseUnavailableError(f"{what}: database unavailable ({text})")
    return ConnectorError(f"{what} failed: {text}")


class PostgresConnector(OutcomeCalls):
    """Connector over a psycopg AsyncConnectionPool (see the module docstring)."""

    name = "postgres"

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 4, timeout: float = 10.0) -> None:
        self._dsn = dsn
        self._pool = AsyncConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=AsyncConnectionPool.check_connection,
            kwargs={"autocommit": True, "application_name": "sms-listener"},
            # After reconnect_timeout the pool stops refilling in the background; the next call then
            # connects on demand, and the service retries that call with its own backoff.
            reconnect_timeout=300.0,
        )

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close()

    async def _rows(self, what: str, query: sql.Composed, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(query, params)
                return await cur.fetchall()
        except (psycopg.Error, PoolTimeout) as exc:
            raise _classify(exc, what) from exc

    async def _call(
        self, function: str, args: Mapping[str, Any], *, table: bool = True, what: str | None = None
    ) -> list[dict[str, Any]]:
        """`select * from fn(a => %(a)s, ...)` with named arguments; `at` is left out when None so the
        function's own default (now()) applies."""
        named = {key: value for key, value in args.items() if not (key == "at" and value is None)}
        arguments = sql.SQL(", ").join(
            sql.SQL("{} => {}").format(sql.Identifier(key), sql.Placeholder(key)) for key in named
        )
        if table:
            query = sql.SQL("select * from public.{}({})").format(sql.Identifier(function), arguments)
        else:
            query = sql.SQL("select public.{}({}) as value").format(sql.Identifier(function), arguments)
        return await self._rows(what or function, query, named)

    async def claim(self, worker_id: str, at: datetime | None = None) -> Bubble | None:
        rows = await self._call("claim_next_bubble", {"worker_id": worker_id, "at": at})
        # A function returning `setof messages` gives one all-null row when it returns a null record.
        rows = [row for row in rows if row.get("id") is not None]
        return Bubble.from_row(rows[0]) if rows else None

    async def _outcome(self, function: str, args: Mapping[str, Any]) -> BubbleOutcome:
        rows = await self._call(function, args)
        if len(rows) != 1 or rows[0].get("id") is None:
            raise ConnectorError(f"{function}({args.get('message_id')}) returned no row")
        return BubbleOutcome.from_row(rows[0])

    async def recover(self, worker_id: str | None, at: datetime | None = None) -> int:
        rows = await self._call("recover_stale_claims", {"worker_id": worker_id, "at": at}, table=False)
        return int(rows[0]["value"] or 0)

    async def heartbeat(
        self,
        worker_id: str,
        modem_health: Mapping[str, Any],
        last_sent_at: datetime | None,
        queue_depth: int | None = None,
        at: datetime | None = None,
        started_at: datetime | None = None,
    ) -> int | None:
        rows = await self._call(
            "record_listener_heartbeat",
            {
                "worker_id": worker_id,
                "modem_health": Jsonb(dict(modem_health)),
                "last_sent_at": last_sent_at,
                "queue_depth": queue_depth,
                "at": at,
                **({"started_at": started_at} if started_at is not None else {}),
            },
        )
        depth = rows[0].get("queue_depth") if rows else None
        return None if depth is None else int(depth)

    async def next_due(self, at: datetime | None = None) -> datetime | None:
        rows = await self._call("next_bubble_due_at", {"at": at}, table=False)
        value = rows[0]["value"]
        return value if isinstance(value, datetime) else None

    async def promote(self, at: datetime | None = None) -> PromotionResult:
        rows = await self._call("process_scheduled_messages_safe", {"at": at})
        return PromotionResult.from_rows(rows)

    async def promotion_job_active(self) -> bool:
        rows = await self._call("promotion_job_active", {}, table=False)
        return bool(rows[0]["value"])


class NotifyWakeSource:
    """Wake-ups from LISTEN messages_queued on a dedicated connection (see the module docstring)."""

    name = "notify"

    def __init__(
        self,
        dsn: str,
        *,
        channel: str = NOTIFY_CHANNEL,
        keepalive: float = 10.0,
        max_backoff: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._keepalive = keepalive
        self._max_backoff = max_backoff
        #: Number of successful (re)subscriptions; tests and logs use it.
        self.subscriptions = 0

    async def run(self, wake: Wake) -> None:
        await supervise("notify", lambda: self._listen_once(wake), max_backoff=self._max_backoff)

    async def _listen_once(self, wake: Wake) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self._dsn, autocommit=True, application_name="sms-listener-notify"
        )
        try:
            await conn.execute(sql.SQL("listen {}").format(sql.Identifier(self._channel)))
            self.subscriptions += 1
            log.info("listening", part="notify", channel=self._channel, subscriptions=self.subscriptions)
            # LISTEN is in place: only now sweep, so nothing inserted before this point is missed.
            wake("subscribed")
            while True:
                try:
                    async for notify in conn.notifies(timeout=self._keepalive):
                        wake(f"notify:{notify.payload}")
                    cur = await conn.execute("select pg_listening_channels()")
                    channels = {row[0] for row in await cur.fetchall()}
                except psycopg.Error as exc:
                    raise SessionEnded(f"LISTEN connection lost: {redact_text(str(exc))}") from exc
                if self._channel not in channels:
                    raise SessionEnded(f"connection no longer listens on {self._channel}")
        finally:
            await conn.close()
