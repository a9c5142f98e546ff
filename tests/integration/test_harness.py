"""The harness itself: the cluster, pg_cron, the CLI-migrated template, isolated clones, pg_prove."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from sms_common.localdb import SUPABASE_DIR, LocalCluster
from tests.conftest import TEMPLATE
from tests.harness import PinnedClock, pg_prove


def test_cluster_is_postgres_15_with_pg_cron_preloaded(cron_db_url: str) -> None:
    with psycopg.connect(cron_db_url) as conn:
        version = conn.execute("show server_version_num").fetchone()
        preload = conn.execute("show shared_preload_libraries").fetchone()
    assert version is not None
    assert str(version[0]).startswith("15")
    assert preload is not None
    assert "pg_cron" in str(preload[0])


def test_template_was_migrated_by_the_supabase_cli(pg_cluster: LocalCluster) -> None:
    expected = sorted(p.name.split("_", 1)[0] for p in (SUPABASE_DIR / "migrations").glob("*.sql"))
    assert expected, "there must be migrations to apply"
    with pg_cluster.connect(TEMPLATE) as conn:
        rows = conn.execute(
            "select version from supabase_migrations.schema_migrations order by version"
        ).fetchall()
    assert [r[0] for r in rows] == expected


def test_bootstrap_created_the_supabase_roles_and_publication(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    roles = {r[0] for r in conn.execute("select rolname from pg_roles").fetchall()}
    assert {"anon", "authenticated", "service_role", "authenticator"} <= roles
    assert conn.execute("select 1 from pg_publication where pubname = 'supabase_realtime'").fetchone() == (1,)
    assert conn.execute("select 1 from pg_namespace where nspname = 'extensions'").fetchone() == (1,)


def test_each_test_gets_its_own_clone(db_url: str, pg_cluster: LocalCluster) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create table harness_probe (x int)")
    other = "harness_isolation_check"
    pg_cluster.create_database(other, template=TEMPLATE)
    try:
        with pg_cluster.connect(other) as conn:
            assert conn.execute("select to_regclass('public.harness_probe')").fetchone() == (None,)
        with pg_cluster.connect(TEMPLATE) as conn:
            assert conn.execute("select to_regclass('public.harness_probe')").fetchone() == (None,)
    finally:
        pg_cluster.drop_database(other)


def test_pg_prove_runs_pgtap_and_reports_failures(cron_db_url: str, tmp_path: Path) -> None:
    passing = tmp_path / "passing.test.sql"
    passing.write_text(
        "begin;\ncreate extension if not exists pgtap with schema extensions;\nset local search_path = public, extensions;\n"
        "select plan(1);\nselect ok(true, 'true is true');\nselect * from finish();\nrollback;\n"
    )
    failing = tmp_path / "failing.test.sql"
    failing.write_text(passing.read_text().replace("ok(true", "ok(false"))
    good = pg_prove(cron_db_url, passing)
    bad = pg_prove(cron_db_url, failing)
    assert good.returncode == 0, good.stdout + good.stderr
    assert bad.returncode != 0
    assert "Failed 1/1" in bad.stdout + bad.stderr


@pytest.mark.parametrize(
    ("moment", "pacific_hour"),
    [("2025-03-09T10:00:00", 10), ("2025-11-02T01:30:00-08:00", 1), ("2025-07-01T09:00:00+00:00", 2)],
)
def test_pinned_clock_reads_naive_times_as_pacific(moment: str, pacific_hour: int) -> None:
    clock = PinnedClock()
    clock.set(moment)
    assert clock.at.tzinfo is not None
    assert clock.at.utcoffset() == timedelta(0)
    assert clock.pacific.hour == pacific_hour
    before = clock.at
    clock.advance(minutes=90)
    assert (clock.at - before).total_seconds() == 5400


def _server_now(url: str) -> datetime:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select statement_timestamp()").fetchone()
    assert row is not None
    moment = row[0]
    assert isinstance(moment, datetime)
    return moment


def test_the_clock_fixture_freezes_every_backend_of_the_server(
    clock: PinnedClock, db_url: str, cron_db_url: str
) -> None:
    pinned = clock.set("2025-11-02T01:30:00-07:00")  # the first of the two 01:30s of the DST change
    assert _server_now(db_url) == pinned
    assert _server_now(cron_db_url) == pinned  # another database, other backends: the same clock
    clock.advance(hours=1)
    assert _server_now(db_url) == pinned + timedelta(hours=1)


def test_a_running_clock_starts_at_the_moment_and_moves(clock: PinnedClock, db_url: str) -> None:
    start = clock.run_from("2025-11-05T19:59:00")
    first = _server_now(db_url)
    assert abs((first - start).total_seconds()) < 2
    deadline = time.monotonic() + 10
    while _server_now(db_url) <= first and time.monotonic() < deadline:
        time.sleep(0.01)  # polling a condition: the server's clock must move on its own
    assert _server_now(db_url) > first


def test_release_returns_to_the_real_clock(clock: PinnedClock, db_url: str) -> None:
    clock.set("2025-01-01T12:00:00")
    clock.release()
    assert abs((_server_now(db_url) - datetime.now(UTC)).total_seconds()) < 5


def test_pgtap_files_pin_the_clock_inside_their_transaction(
    pg_cluster: LocalCluster, cron_db_url: str, clock: PinnedClock
) -> None:
    with psycopg.connect(cron_db_url) as conn:  # one transaction, like a pgTAP file
        conn.execute("select tests.pin_clock('2025-11-06 03:15:00+00')")
        row = conn.execute("select statement_timestamp(), now() = statement_timestamp()").fetchone()
        conn.rollback()
    assert row is not None
    assert row[0] == datetime(2025, 11, 6, 3, 15, tzinfo=UTC)
    assert row[1] is False  # now() is the transaction's start: product functions read statement_timestamp()
    assert pg_cluster.clock_file is not None
    assert pg_cluster.clock_file.read_text().strip() == "2025-11-06 03:15:00.000000"


def test_api_roles_cannot_move_the_clock(cron_db_url: str) -> None:
    with psycopg.connect(cron_db_url) as conn:
        conn.execute("set role service_role")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select tests.pin_clock(now())")
