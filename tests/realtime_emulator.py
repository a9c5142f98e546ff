"""Shared test infrastructure: a Supabase Realtime server emulated at the wire-protocol level.

Supabase Realtime cannot run here, so tests run this instead: a Phoenix-protocol websocket server
(the `websockets` package) that relays REAL row inserts of the test database as `postgres_changes`
events. What it does, and what it deliberately does like the hosted service (see FACTS.md):

- Endpoint `ws://127.0.0.1:<port>/realtime/v1/websocket?apikey=<key>&vsn=1.0.0`; an unknown key is
  refused at the handshake (HTTP 401), as is everything while `accepting` is False (HTTP 503).
- `phx_join` on `realtime:<name>` with `config.postgres_changes` bindings -> `phx_reply`
  `{"status": "ok", "response": {"postgres_changes": [{"id": <int>, "event", "schema", "table",
  "filter"}]}}`; then, `system_delay` seconds later, the `system` message
  `{"extension": "postgres_changes", "status": "ok", "message": "Subscribed to PostgreSQL", ...}`
  (status "error" when the table is not in publication `supabase_realtime`). Inserts committed before
  that system message are NOT delivered, exactly the gap the real service has.
- `heartbeat` on topic `phoenix` -> `phx_reply` ok; `phx_leave` -> reply ok + `phx_close`.
- Change events: `postgres_changes` with payload `{"ids": [...], "data": {"schema", "table",
  "commit_timestamp", "type": "INSERT", "columns": [{"name", "type"}], "record": {...},
  "old_record": {}, "errors": null}}`; the binding `filter` (`col=eq.value`, neq, lt, lte, gt, gte,
  in) is evaluated on the inserted row. A subscriber whose key is the anon key gets nothing from a
  table with RLS and no policy (as on Supabase, where RLS applies per subscriber).
- Source of truth: an AFTER INSERT trigger the emulator installs on each subscribed table (schema
  `realtime_emulator`, test databases only) NOTIFYs the inserted row as JSON at commit; the emulator
  LISTENs on a dedicated connection. Like the WAL the real service reads, the row is the one inserted,
  whatever happens to it later. Changes made while a client is disconnected are never replayed.
- `drop_connections()` aborts every websocket without a close frame (a network drop).

Usage (inside a running event loop):
    emulator = RealtimeEmulator(db_url, service_key="service-key")
    await emulator.start()          # emulator.base_url is SUPABASE_URL for the listener
    ...
    await emulator.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg
from psycopg import sql
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

CAPTURE_CHANNEL = "realtime_emulator"
PUBLICATION = "supabase_realtime"

_CAPTURE_FUNCTION = """
create schema if not exists realtime_emulator;
create or replace function realtime_emulator.capture() returns trigger
language plpgsql as $$
begin
  perform pg_notify('realtime_emulator', json_build_object(
    'schema', tg_table_schema,
    'table', tg_table_name,
    'type', tg_op,
    'commit_timestamp', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'record', to_jsonb(new))::text);
  return new;
end
$$;
"""


@dataclass
class _Binding:
    id: int
    event: str
    schema: str
    table: str
    filter: str | None
    active: bool = False


@dataclass
class _Subscription:
    connection: ServerConnection
    topic: str
    join_ref: str | None
    role: str
    bindings: list[_Binding] = field(default_factory=list)


class RealtimeEmulator:
    """A Phoenix/Realtime websocket server over the real test database (see the module docstring)."""

    def __init__(
        self,
        db_url: str,
        *,
        service_key: str,
        anon_key: str = "anon-key",
        system_delay: float = 0.05,
        host: str = "127.0.0.1",
    ) -> None:
        self.db_url = db_url
        self.keys = {service_key: "service_role", anon_key: "anon"}
        self.system_delay = system_delay
        self.host = host
        self.port = 0
        #: False: refuse new websocket handshakes (HTTP 503), e.g. to keep a client out during a gap.
        self.accepting = True
        #: Row ids relayed as postgres_changes events, in order, and counters tests can assert on.
        self.relayed_ids: list[int] = []
        self.connections_accepted = 0
        self.joins = 0
        self.heartbeats = 0
        self._server: Server | None = None
        self._listen_conn: psycopg.AsyncConnection[Any] | None = None
        self._relay_task: asyncio.Task[None] | None = None
        self._subscriptions: list[_Subscription] = []
        self._connections: set[ServerConnection] = set()
        self._captured_tables: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._columns_cache: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._rls_cache: dict[tuple[str, str, str], bool] = {}

    @property
    def base_url(self) -> str:
        """What the listener gets as SUPABASE_URL (the client appends /realtime/v1/websocket)."""
        return f"http://{self.host}:{self.port}"

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._listen_conn = await psycopg.AsyncConnection.connect(self.db_url, autocommit=True)
        await self._listen_conn.execute(_CAPTURE_FUNCTION)
        await self._listen_conn.execute(sql.SQL("listen {}").format(sql.Identifier(CAPTURE_CHANNEL)))
        self._relay_task = asyncio.create_task(self._relay())
        self._server = await serve(
            self._handle, self.host, 0, process_request=self._process_request, ping_interval=None
        )
        self.port = next(iter(self._server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        for task in list(self._tasks):
            task.cancel()
        if self._listen_conn is not None:
            await self._listen_conn.close()

    async def drop_connections(self) -> int:
        """Abort every client socket without a close frame (like a network drop); returns how many."""
        dropped = 0
        for connection in list(self._connections):
            connection.transport.abort()
            dropped += 1
        self._subscriptions = [s for s in self._subscriptions if s.connection not in self._connections]
        return dropped

    @property
    def live_subscriptions(self) -> int:
        """Bindings that are past "Subscribed to PostgreSQL" on an open connection."""
        return sum(
            1
            for sub in self._subscriptions
            for binding in sub.bindings
            if binding.active and sub.connection in self._connections
        )

    # -- websocket -----------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parsed = urlparse(request.path)
        query = parse_qs(parsed.query)
        if parsed.path != "/realtime/v1/websocket":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if not self.accepting:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "realtime unavailable\n")
        if query.get("apikey", [""])[0] not in self.keys:
            return _json_response(HTTPStatus.UNAUTHORIZED, {"message": "Invalid API key"})
        if query.get("vsn", [""])[0] != "1.0.0":
            return connection.respond(HTTPStatus.BAD_REQUEST, "unsupported protocol version\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        query = parse_qs(urlparse(connection.request.path if connection.request else "").query)
        role = self.keys[query["apikey"][0]]
        self.connections_accepted += 1
        self._connections.add(connection)
        try:
            async for raw in connection:
                message = json.loads(raw)
                await self._on_message(connection, role, message)
        except Exception:  # noqa: S110 - a dropped client is normal here; the finally cleans up
            pass
        finally:
            self._connections.discard(connection)
            self._subscriptions = [s for s in self._subscriptions if s.connection is not connection]

    async def _on_message(self, connection: ServerConnection, role: str, message: dict[str, Any]) -> None:
        topic = message.get("topic")
        event = message.get("event")
        ref = message.get("ref")
        join_ref = message.get("join_ref")
        payload = message.get("payload") or {}
        if topic == "phoenix" and event == "heartbeat":
            self.heartbeats += 1
            await _send(connection, "phoenix", "phx_reply", {"status": "ok", "response": {}}, ref)
        elif event == "phx_join":
            await self._join(connection, role, str(topic), payload, ref)
        elif event == "phx_leave":
            self._subscriptions = [
                s for s in self._subscriptions if not (s.connection is connection and s.topic == topic)
            ]
            await _send(connection, str(topic), "phx_reply", {"status": "ok", "response": {}}, ref, join_ref)
            await _send(connection, str(topic), "phx_close", {}, join_ref, join_ref)
        elif event == "access_token":
            token = payload.get("access_token")
            if token in self.keys:
                for sub in self._subscriptions:
                    if sub.connection is connection and sub.topic == topic:
                        sub.role = self.keys[token]
        else:
            await _send(
                connection,
                str(topic),
                "phx_reply",
                {"status": "error", "response": {"reason": "unknown"}},
                ref,
            )

    async def _join(
        self, connection: ServerConnection, role: str, topic: str, payload: dict[str, Any], ref: str | None
    ) -> None:
        self.joins += 1
        token = payload.get("access_token")
        if token is not None:
            if token not in self.keys:
                await _send(
                    connection,
                    topic,
                    "phx_reply",
                    {"status": "error", "response": {"reason": "Invalid JWT"}},
                    ref,
                    ref,
                )
                return
            role = self.keys[token]
        config = payload.get("config") or {}
        subscription = _Subscription(connection=connection, topic=topic, join_ref=ref, role=role)
        for wanted in config.get("postgres_changes") or []:
            subscription.bindings.append(
                _Binding(
                    id=random.randint(10_000_000, 99_999_999),  # noqa: S311 - an id, not a secret
                    event=str(wanted.get("event", "*")),
                    schema=str(wanted.get("schema", "public")),
                    table=str(wanted.get("table", "*")),
                    filter=wanted.get("filter"),
                )
            )
        self._subscriptions.append(subscription)
        response = {
            "postgres_changes": [
                {"id": b.id, "event": b.event, "schema": b.schema, "table": b.table}
                | ({"filter": b.filter} if b.filter else {})
                for b in subscription.bindings
            ]
        }
        await _send(connection, topic, "phx_reply", {"status": "ok", "response": response}, ref, ref)
        if subscription.bindings:
            self._spawn(self._confirm(subscription))

    async def _confirm(self, subscription: _Subscription) -> None:
        """The second step of a Realtime subscription: the database side is ready."""
        await asyncio.sleep(self.system_delay)
        missing = [b for b in subscription.bindings if not await self._in_publication(b.schema, b.table)]
        channel = subscription.topic.removeprefix("realtime:")
        if missing:
            status, text = (
                "error",
                (
                    "Unable to subscribe to changes with given parameters. Please check Realtime is enabled "
                    f"for the given connect parameters: [{', '.join(f'{b.schema}.{b.table}' for b in missing)}]"
                ),
            )
        else:
            for binding in subscription.bindings:
                await self._capture(binding.schema, binding.table)
                binding.active = True
            status, text = "ok", "Subscribed to PostgreSQL"
        with contextlib.suppress(Exception):
            await _send(
                subscription.connection,
                subscription.topic,
                "system",
                {"channel": channel, "extension": "postgres_changes", "message": text, "status": status},
                None,
            )

    # -- database ------------------------------------------------------------------------------

    async def _in_publication(self, schema: str, table: str) -> bool:
        async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as conn:
            cur = await conn.execute(
                "select 1 from pg_publication_tables where pubname = %s and schemaname = %s and tablename = %s",
                (PUBLICATION, schema, table),
            )
            return await cur.fetchone() is not None

    async def _capture(self, schema: str, table: str) -> None:
        if (schema, table) in self._captured_tables:
            return
        async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as conn:
            await conn.execute(
                sql.SQL(
                    "create or replace trigger realtime_emulator_capture after insert on {}.{} "
                    "for each row execute function realtime_emulator.capture()"
                ).format(sql.Identifier(schema), sql.Identifier(table))
            )
        self._captured_tables.add((schema, table))

    async def _columns(self, schema: str, table: str) -> list[dict[str, str]]:
        if (schema, table) in self._columns_cache:
            return self._columns_cache[(schema, table)]
        async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as conn:
            cur = await conn.execute(
                """
                select a.attname, t.typname
                from pg_attribute a
                join pg_type t on t.oid = a.atttypid
                where a.attrelid = format('%%I.%%I', %s::text, %s::text)::regclass
                  and a.attnum > 0 and not a.attisdropped
                order by a.attnum
                """,
                (schema, table),
            )
            columns = [{"name": name, "type": typ} for name, typ in await cur.fetchall()]
        self._columns_cache[(schema, table)] = columns
        return columns

    async def _hidden_by_rls(self, schema: str, table: str, role: str) -> bool:
        if role == "service_role":
            return False
        if (schema, table, role) in self._rls_cache:
            return self._rls_cache[(schema, table, role)]
        async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as conn:
            cur = await conn.execute(
                """
                select c.relrowsecurity,
                       (select count(*) from pg_policies p where p.schemaname = %s and p.tablename = %s)
                from pg_class c where c.oid = format('%%I.%%I', %s::text, %s::text)::regclass
                """,
                (schema, table, schema, table),
            )
            row = await cur.fetchone()
        hidden = bool(row and row[0] and row[1] == 0)
        self._rls_cache[(schema, table, role)] = hidden
        return hidden

    async def _relay(self) -> None:
        assert self._listen_conn is not None
        async for notify in self._listen_conn.notifies():
            change = json.loads(notify.payload)
            await self._deliver(change)

    async def _deliver(self, change: dict[str, Any]) -> None:
        schema, table, kind = change["schema"], change["table"], change["type"]
        record: dict[str, Any] = change["record"]
        columns: list[dict[str, str]] | None = None
        for sub in list(self._subscriptions):
            ids = [
                b.id
                for b in sub.bindings
                if b.active
                and b.schema == schema
                and b.table in (table, "*")
                and b.event in (kind, "*")
                and _filter_matches(b.filter, record)
            ]
            if not ids or await self._hidden_by_rls(schema, table, sub.role):
                continue
            if columns is None:
                columns = await self._columns(schema, table)
            payload = {
                "ids": ids,
                "data": {
                    "schema": schema,
                    "table": table,
                    "commit_timestamp": change["commit_timestamp"],
                    "type": kind,
                    "columns": columns,
                    "record": record,
                    "old_record": {},
                    "errors": None,
                },
            }
            try:
                await _send(sub.connection, sub.topic, "postgres_changes", payload, None)
            except Exception:  # noqa: S112 - a client that just dropped misses the event, like on Supabase
                continue
            if isinstance(record.get("id"), int):
                self.relayed_ids.append(record["id"])

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _filter_matches(expression: str | None, record: dict[str, Any]) -> bool:
    """Realtime's `column=operator.value` filter (one condition, as the hosted service supports)."""
    if not expression:
        return True
    column, _, rest = expression.partition("=")
    operator, _, expected = rest.partition(".")
    actual = record.get(column)
    if operator == "in":
        return str(actual) in {item.strip() for item in expected.strip("()").split(",")}
    if operator in ("eq", "neq"):
        equal = actual is not None and str(actual) == expected
        return equal if operator == "eq" else not equal
    if actual is None:
        return False
    try:
        left, right = float(actual), float(expected)
    except (TypeError, ValueError):
        left_s, right_s = str(actual), expected
        return {
            "lt": left_s < right_s,
            "lte": left_s <= right_s,
            "gt": left_s > right_s,
            "gte": left_s >= right_s,
        }[operator]
    return {"lt": left < right, "lte": left <= right, "gt": left > right, "gte": left >= right}[operator]


async def _send(
    connection: ServerConnection,
    topic: str,
    event: str,
    payload: dict[str, Any],
    ref: str | None,
    join_ref: str | None = None,
) -> None:
    await connection.send(
        json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": join_ref})
    )


def _json_response(status: HTTPStatus, body: dict[str, Any]) -> Response:
    data = json.dumps(body).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return Response(status.value, status.phrase, headers, data)
