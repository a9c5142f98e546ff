"""Shared test infrastructure: PostgREST's RPC endpoint emulated with respx on the real test database.

PostgREST cannot run here. These respx routes stand in for `POST {SUPABASE_URL}/rest/v1/rpc/<fn>`
and execute the REAL SQL function on the test database, so what the Supabase-mode listener is tested
against is the migrated schema itself, through the request and response shapes PostgREST uses:

- Keys: `apikey` and `Authorization: Bearer <key>` must carry a known key, else HTTP 401
  `{"message": "Invalid API key"}` (the API gateway's answer). The service key runs the call as role
  `service_role`, the anon key as `anon` (`set local role`), so the migrations' grants and revokes are
  what decide, exactly as on Supabase: anon gets PostgreSQL's 42501 "permission denied" (HTTP 401).
- Arguments: the JSON body's keys are the function's argument names (PostgREST picks the overload by
  them); values are cast to the declared argument types. Unknown names -> 404 PGRST202.
- Results: `setof`/`returns table` -> JSON array; a composite result -> one JSON object; a scalar ->
  the JSON scalar (`null` included).
- Errors: SQLSTATE -> HTTP status as PostgREST maps them (P0001/22xxx/23xxx -> 400 (23505 -> 409),
  42501 -> 401/403, 42883 -> 404, 08xxx/57Pxx -> 503) with `{"code", "message", "details", "hint"}`;
  a database that cannot be reached -> 503 PGRST000.
- One transaction per request, as PostgREST runs a POST.

Usage:
    emulator = PostgrestEmulator(db_url, base_url, service_key="service-key")
    with respx.mock(assert_all_called=False) as router:
        emulator.install(router)
        ...                         # supabase clients created here are served by the test database
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import respx
from psycopg import sql
from psycopg.types.json import Jsonb

UNAVAILABLE = {
    "code": "PGRST000",
    "details": None,
    "hint": None,
    "message": "Could not connect with the database due to an incorrect db-uri or due to the database being unavailable.",
}


@dataclass(frozen=True)
class _Signature:
    arg_names: tuple[str, ...]
    arg_types: tuple[str, ...]
    required: frozenset[str]
    returns_set: bool
    returns_composite: bool


class PostgrestEmulator:
    """respx routes for PostgREST's RPC endpoint over the real database (see the module docstring)."""

    def __init__(self, db_url: str, base_url: str, *, service_key: str, anon_key: str = "anon-key") -> None:
        self.db_url = db_url
        self.base_url = base_url.rstrip("/")
        self.keys = {service_key: "service_role", anon_key: "anon"}
        #: Calls per function name (successful or not); tests assert on them.
        self.calls: Counter[str] = Counter()
        #: When False every call answers 503 PGRST000, as when PostgREST cannot reach the database.
        self.available = True

    def install(self, router: respx.MockRouter) -> None:
        pattern = rf"^{re.escape(self.base_url)}/rest/v1/rpc/(?P<function>[A-Za-z_][A-Za-z0-9_]*)$"
        router.post(url__regex=pattern).mock(side_effect=self.handle)

    async def handle(self, request: httpx.Request, function: str) -> httpx.Response:
        self.calls[function] += 1
        role = self._role(request)
        if role is None:
            return _json(
                401,
                {
                    "message": "Invalid API key",
                    "hint": "Double check your Supabase `anon` or `service_role` API key.",
                },
            )
        if self._down():
            return _json(503, UNAVAILABLE)
        try:
            args = json.loads(request.content or b"{}")
        except json.JSONDecodeError as exc:
            return _json(
                400,
                {
                    "code": "PGRST102",
                    "message": f"Empty or invalid json: {exc}",
                    "details": None,
                    "hint": None,
                },
            )
        if not isinstance(args, dict):
            return _json(
                400, {"code": "PGRST102", "message": "expected a JSON object", "details": None, "hint": None}
            )
        try:
            conn = await psycopg.AsyncConnection.connect(self.db_url, connect_timeout=5, autocommit=True)
        except psycopg.OperationalError:
            return _json(503, UNAVAILABLE)
        try:
            signature = await _signature(conn, function, frozenset(args))
            if signature is None:
                return _json(
                    404,
                    {
                        "code": "PGRST202",
                        "message": f"Could not find the function public.{function}({', '.join(sorted(args))}) in the schema cache",
                        "details": None,
                        "hint": None,
                    },
                )
            if self._down():  # the outage began while this request was under way
                return _json(503, UNAVAILABLE)
            async with conn.transaction():
                await conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                cur = await conn.execute(_call_query(function, signature, args), _params(signature, args))
                row = await cur.fetchone()
            return _json(200, row[0] if row else None)
        except psycopg.Error as exc:
            return _sql_error(exc, role)
        finally:
            await conn.close()

    def _down(self) -> bool:
        return not self.available

    def _role(self, request: httpx.Request) -> str | None:
        key = request.headers.get("apikey")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if key not in self.keys or bearer not in self.keys:
            return None
        return self.keys[bearer]


async def _signature(
    conn: psycopg.AsyncConnection[Any], function: str, given: frozenset[str]
) -> _Signature | None:
    cur = await conn.execute(
        """
        select coalesce(p.proargnames[1:p.pronargs], '{}'),
               array(select format_type(t, null) from unnest(p.proargtypes) t),
               p.pronargdefaults, p.proretset, rt.typtype in ('c', 'p') and rt.typname <> 'void'
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        join pg_type rt on rt.oid = p.prorettype
        where n.nspname = 'public' and p.proname = %s
        """,
        (function,),
    )
    for names, types, defaults, returns_set, composite in await cur.fetchall():
        names = tuple(names)
        required = frozenset(names[: len(names) - defaults])
        if given <= set(names) and required <= given:
            return _Signature(names, tuple(types), required, bool(returns_set), bool(composite))
    return None


def _call_query(function: str, signature: _Signature, args: dict[str, Any]) -> sql.Composed:
    arguments = sql.SQL(", ").join(
        sql.SQL("{} => {}::{}").format(sql.Identifier(name), sql.Placeholder(name), sql.SQL(typ))
        for name, typ in zip(signature.arg_names, signature.arg_types, strict=True)
        if name in args
    )
    call = sql.SQL("public.{}({})").format(sql.Identifier(function), arguments)
    if signature.returns_set:
        return sql.SQL("select coalesce(json_agg(_r), '[]'::json) from {} _r").format(call)
    if signature.returns_composite:
        return sql.SQL("select to_json(_r) from {} _r").format(call)
    return sql.SQL("select to_json({})").format(call)


def _params(signature: _Signature, args: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, typ in zip(signature.arg_names, signature.arg_types, strict=True):
        if name not in args:
            continue
        value = args[name]
        params[name] = Jsonb(value) if typ in ("jsonb", "json") and value is not None else value
    return params


def _sql_error(exc: psycopg.Error, role: str) -> httpx.Response:
    state = exc.sqlstate or ""
    diag = exc.diag
    body = {
        "code": state or "PGRST000",
        "message": diag.message_primary or str(exc),
        "details": diag.message_detail,
        "hint": diag.message_hint,
    }
    if not state or state.startswith(("08", "57P")):
        return _json(503, body)
    if state == "42501":
        return _json(401 if role == "anon" else 403, body)
    if state == "23505":
        return _json(409, body)
    if state in ("42883", "42P01"):
        return _json(404, body)
    return _json(400, body)


def _json(status: int, body: Any) -> httpx.Response:
    # Explicit content: httpx treats json=None as "no body", PostgREST answers a null result with `null`.
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json; charset=utf-8"}
    )
