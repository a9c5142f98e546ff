"""The Python status enums hold exactly the values the migrated database's CHECK constraints allow."""

from __future__ import annotations

import re

import psycopg
import pytest

from sms_common.statuses import BY_TABLE

Conn = psycopg.Connection[tuple[object, ...]]


def _allowed_statuses(conn: Conn, table: str) -> set[str]:
    rows = conn.execute(
        """
        select pg_get_constraintdef(c.oid)
        from pg_constraint c
        join pg_class t on t.oid = c.conrelid
        join pg_namespace n on n.oid = t.relnamespace
        join pg_attribute a on a.attrelid = t.oid and a.attnum = any(c.conkey)
        where n.nspname = 'public' and t.relname = %s and c.contype = 'c' and a.attname = 'status'
        """,
        (table,),
    ).fetchall()
    definitions = [str(row[0]) for row in rows]
    assert len(definitions) == 1, f"{table}: expected one CHECK on status, found {definitions}"
    # e.g. CHECK ((status = ANY (ARRAY['queued'::text, 'sending'::text, ...])))
    return set(re.findall(r"'([^']*)'::text", definitions[0]))


@pytest.mark.parametrize("table", sorted(BY_TABLE))
def test_status_enum_matches_the_check_constraint(conn: Conn, table: str) -> None:
    assert {member.value for member in BY_TABLE[table]} == _allowed_statuses(conn, table)
