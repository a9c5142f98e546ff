"""The test harness: one throwaway PostgreSQL 15 cluster per session, a fresh database per test.

Session start: a new cluster (own data dir, free port, pg_cron preloaded), the Supabase-compatibility
bootstrap, then the migrations applied by the real Supabase CLI to two databases:
The server runs under libfaketime (sms_common.faketime): the `clock` fixture moves the database's clock,
and pgTAP files can call `tests.pin_clock(moment)` (installed in `postgres` only).
- `postgres`: where pg_cron lives and ticks (the hosted-project shape). Tests that need pg_cron use
  `cron_db_url`; pgTAP files run here (each in a transaction that rolls back).
- `app_template`: the same schema without pg_cron (the free-tier shape); every test that asks for
  `db_url`, `conn` or `aconn` gets its own clone of it (CREATE DATABASE ... TEMPLATE, ~50 ms).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest

from sms_common.localdb import CRON_DATABASE, LocalCluster, throwaway_cluster
from tests.harness import PinnedClock, install_clock_helpers

TEMPLATE = "app_template"
_clone_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    with throwaway_cluster(fake_clock=True) as cluster:
        cluster.prepare(CRON_DATABASE)
        cluster.prepare(TEMPLATE)
        cluster.mark_template(TEMPLATE)
        assert cluster.clock_file is not None
        with cluster.connect(CRON_DATABASE) as conn:
            install_clock_helpers(conn, cluster.clock_file)
        yield cluster


@pytest.fixture(scope="session")
def cron_db_url(pg_cluster: LocalCluster) -> str:
    """The migrated database in which pg_cron is installed and running."""
    return pg_cluster.url(CRON_DATABASE)


@pytest.fixture
def db_url(pg_cluster: LocalCluster) -> Iterator[str]:
    """A fresh, migrated database for this test only (pg_cron not installed in it)."""
    name = f"test_{next(_clone_numbers)}"
    pg_cluster.create_database(name, template=TEMPLATE)
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
    connection = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
def clock(pg_cluster: LocalCluster) -> Iterator[PinnedClock]:
    """The database server's clock, frozen at Wednesday 2025-11-05 14:30 Pacific until the test moves it
    (`clock.set`, `clock.run_from`, `clock.advance`); real time again after the test."""
    pinned = PinnedClock(spec_file=pg_cluster.clock_file)
    try:
        yield pinned
    finally:
        pinned.release()
