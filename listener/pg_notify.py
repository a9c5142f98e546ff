"""Postgres mode's wake-ups: LISTEN messages_queued on a dedicated connection.

LISTEN only works on a session that stays open (not through a transaction pooler, hence
--poll-only). The connection is checked every `keepalive` seconds with pg_listening_channels(), and
after every (re)connection the source LISTENs first and only then asks the loop to sweep, so a row
inserted while the connection was down is found by the sweep instead of being lost between the two.
A notification only calls `wake()`.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from listener.supervise import SessionEnded, supervise
from listener.wake import Wake
from sms_common.logs import get_logger, redact_text

log = get_logger(__name__)

#: The channel the AFTER INSERT trigger on messages notifies (docs/sql-api.md).
NOTIFY_CHANNEL = "messages_queued"


class NotifyWakeSource:
    """Wake-ups from LISTEN messages_queued (see the module docstring)."""

    name = "notify"

    def __init__(
        self,
        dsn: str,
        *,
        channel: str = NOTIFY_CHANNEL,
        keepalive: float = 10.0,
        max_backoff: float = 30.0,
        application_name: str = "sms-listener-notify",
    ) -> None:
        self._dsn = dsn
        self._application_name = application_name[:63]
        self._channel = channel
        self._keepalive = keepalive
        self._max_backoff = max_backoff
        #: Number of successful (re)subscriptions; tests and logs use it.
        self.subscriptions = 0

    async def run(self, wake: Wake) -> None:
        await supervise("notify", lambda: self._listen_once(wake), max_backoff=self._max_backoff)

    async def _listen_once(self, wake: Wake) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self._dsn, autocommit=True, application_name=self._application_name
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
