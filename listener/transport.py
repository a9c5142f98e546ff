"""What a transport must provide: how to call one SQL function, and nothing about what it means.

The listener reaches its database two ways (psycopg in Postgres mode, PostgREST RPC in Supabase
mode). Both only say how to call `public.<function>(name => value, ...)` with named arguments and
get back its rows (a set-returning or composite function) or its single value, how to encode an
argument value, and how their own errors map to `listener.errors`. Every domain call (names,
arguments, parsing, what a missing row means) is written once, in `listener.database`, on top of
this protocol; the in-memory transport of `listener.testing` implements it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Transport(Protocol):
    #: Short name for logs ("postgres", "supabase", "memory").
    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def rows(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows of `select * from public.<function>(args)`; raises listener.errors' classes."""
        ...

    async def value(self, function: str, args: Mapping[str, Any]) -> Any:
        """The scalar result of `select public.<function>(args)`; raises listener.errors' classes."""
        ...
