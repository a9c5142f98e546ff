"""Supabase mode: calling the listener's SQL functions through PostgREST RPC.

For a project reached only over HTTPS (SUPABASE_URL + the service role key), every call is a
`supabase` RPC call (`POST /rest/v1/rpc/<function>` with named arguments as JSON). This module only
knows how to make that call, how to encode a value (timestamps as ISO 8601), how PostgREST shapes
the answer (an array, one object, or a bare value), and how its errors map to `listener.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from postgrest.exceptions import APIError

from listener.errors import ConnectorAuthError, ConnectorError, DatabaseUnavailableError
from sms_common.logs import redact_text
from supabase import AsyncClient, AsyncClientOptions, acreate_client

#: PostgREST codes for "cannot reach the database / pool exhausted" (the request may be retried).
_UNAVAILABLE_CODES = frozenset({"PGRST000", "PGRST001", "PGRST002", "PGRST003", "502", "503", "504", "520"})
#: PostgREST/gateway codes for a refused key or role.
_AUTH_CODES = frozenset({"PGRST300", "PGRST301", "PGRST302", "PGRST303", "401", "403", "42501"})


def classify(exc: Exception, what: str) -> ConnectorError:
    """Turn an httpx/PostgREST exception into the listener's error vocabulary."""
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


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class SupabaseTransport:
    """`transport.Transport` over the Supabase Python client's RPC (see the module docstring)."""

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

    async def rows(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        """PostgREST answers an array for `setof`/`table` functions and one object for a composite."""
        data = await self.value(function, args)
        if data is None:
            return []
        if isinstance(data, list):
            return [row for row in data if isinstance(row, dict)]
        if isinstance(data, dict):
            return [data]
        raise ConnectorError(f"{function}: unexpected RPC result {data!r}")

    async def value(self, function: str, args: Mapping[str, Any]) -> Any:
        if self._client is None:
            raise ConnectorError("the Supabase transport is not open")
        params = {key: _encode(value) for key, value in args.items()}
        try:
            response = await self._client.rpc(function, params).execute()
        except (httpx.HTTPError, APIError) as exc:
            raise classify(exc, function) from exc
        return response.data
