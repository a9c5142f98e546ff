"""Postgres mode: calling the listener's SQL functions over psycopg 3.

Calls go through a pool of exactly one connection that is checked before it is lent, so a restarted
server costs one failed call, not a stuck listener. One is enough (a listener makes one short call at
a time; its loops wait their turn for a few milliseconds) and it keeps a listener at two database
connections with its LISTEN one (pg_notify), so 60 modems fit a small plan's connection limit. This module only knows how to call a function by
name with named arguments, how to encode a value (a mapping becomes jsonb), and how psycopg's
errors map to `listener.errors`; what the calls mean is `listener.database`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from listener.errors import ConnectorAuthError, ConnectorError, DatabaseUnavailableError
from sms_common.logs import redact_text

#: application_name of the calls' connection (pg_stat_activity); `listener.run` appends the worker id.
APPLICATION_NAME = "sms-listener"

#: SQLSTATE classes that mean "the server went away or is starting/stopping", not "your SQL is wrong".
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "53")


def classify(exc: BaseException, what: str) -> ConnectorError:
    """Turn a psycopg/pool exception into the listener's error vocabulary, with a readable message."""
    text = redact_text(str(exc).strip() or type(exc).__name__)
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if isinstance(exc, PoolTimeout):
        return DatabaseUnavailableError(f"{what}: no database connection available ({text})")
    if sqlstate in ("28P01", "28000"):
        return ConnectorAuthError(f"{what}: the database refused the credentials ({text})")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) or sqlstate.startswith(
        _UNAVAILABLE_SQLSTATE_PREFIXES
    ):
        return DatabaseUnavailableError(f"{what}: database unavailable ({text})")
    return ConnectorError(f"{what} failed: {text}")


def _encode(value: Any) -> Any:
    return Jsonb(dict(value)) if isinstance(value, Mapping) else value


class PostgresTransport:
    """`transport.Transport` over a psycopg AsyncConnectionPool (see the module docstring)."""

    name = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        max_size: int = 1,
        timeout: float = 10.0,
        application_name: str = APPLICATION_NAME,
    ) -> None:
        self._pool = AsyncConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=AsyncConnectionPool.check_connection,
            kwargs={"autocommit": True, "application_name": application_name[:63]},
            # After reconnect_timeout the pool stops refilling in the background; the next call then
            # connects on demand, and the service retries that call with its own backoff.
            reconnect_timeout=300.0,
        )

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close()

    async def rows(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        query = sql.SQL("select * from public.{}({})").format(sql.Identifier(function), _arguments(args))
        return await self._execute(function, query, args)

    async def value(self, function: str, args: Mapping[str, Any]) -> Any:
        query = sql.SQL("select public.{}({}) as value").format(sql.Identifier(function), _arguments(args))
        rows = await self._execute(function, query, args)
        return rows[0]["value"] if rows else None

    async def _execute(self, what: str, query: sql.Composed, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        params = {key: _encode(value) for key, value in args.items()}
        try:
            async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(query, params)
                return await cur.fetchall()
        except (psycopg.Error, PoolTimeout) as exc:
            raise classify(exc, what) from exc


def _arguments(args: Mapping[str, Any]) -> sql.Composable:
    """`a => %(a)s, b => %(b)s`: named arguments, so a function's defaults apply to what is left out."""
    return sql.SQL(", ").join(
        sql.SQL("{} => {}").format(sql.Identifier(key), sql.Placeholder(key)) for key in args
    )
