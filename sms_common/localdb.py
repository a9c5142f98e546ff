"""A throwaway or long-lived local PostgreSQL 15 cluster shaped like a Supabase database.

Used by `make db` (a development cluster under `.local/db`), by the test harness (one cluster per
pytest session) and by `make demo`. The cluster preloads pg_cron, listens on 127.0.0.1 only (never on
54320/54322, which the Supabase CLI reserves for its Docker database), gets the Supabase-compatibility
bootstrap (dev/supabase_compat.sql) and then the project's migrations, applied by the real Supabase
CLI (`supabase db push --db-url ...`).

pg_cron runs its jobs in one database only (`cron.database_name`, here `postgres`), and its launcher
keeps a connection open there, so that database can never be a template. The harness therefore
migrates two databases: `postgres` (pg_cron present and ticking, like a hosted project) and a
template without pg_cron (the free-tier shape) that every test clones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from sms_common import faketime
from sms_common.errors import LocalDatabaseError

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_SQL = REPO_ROOT / "dev" / "supabase_compat.sql"
SUPABASE_DIR = REPO_ROOT / "supabase"
#: Ports the Supabase CLI takes to mean its own Docker database.
RESERVED_PORTS = frozenset({54320, 54322})
SUPERUSER = "postgres"
CRON_DATABASE = "postgres"
#: The OS account that owns the server processes when we are root (CI and these machines run as root).
SERVER_OS_USER = "postgres"


def pg_bindir() -> Path:
    """Directory of the PostgreSQL 15 server binaries (Debian keeps them off PATH)."""
    override = os.environ.get("PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates.append(Path("/usr/lib/postgresql/15/bin"))
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found).parent)
    for candidate in candidates:
        if (candidate / "pg_ctl").exists() and (candidate / "initdb").exists():
            return candidate
    raise LocalDatabaseError(
        "PostgreSQL 15 server binaries not found (install postgresql-15 or set PG_BINDIR)"
    )


def _server_argv(argv: Sequence[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` system user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_OS_USER, "--", *argv]
    return list(argv)


def _hand_to_server_user(path: Path) -> None:
    """As root, make `path` (a directory we created) owned by the server's OS user."""
    if os.geteuid() == 0:
        shutil.chown(path, user=SERVER_OS_USER, group=SERVER_OS_USER)


def supabase_cli() -> Path:
    """The pinned Supabase CLI from package-lock.json (installed by `make deps`)."""
    cli = REPO_ROOT / "node_modules" / ".bin" / "supabase"
    if not cli.exists():
        raise LocalDatabaseError(f"Supabase CLI not found at {cli}: run `make deps` (npm ci) first")
    return cli


def free_port(start: int | None = None) -> int:
    """A TCP port free on 127.0.0.1: the first from `start` upwards, or one the kernel picks."""
    if start is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port
    for port in range(start, start + 200):
        if port in RESERVED_PORTS:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise LocalDatabaseError(f"no free TCP port in {start}..{start + 199}")


@dataclass(frozen=True)
class LocalCluster:
    """One PostgreSQL cluster on this machine: its data directory and port.

    `clock_file`: when set, the server runs under libfaketime with this spec file (sms_common.faketime),
    so tests can move the database's clock; the file starts at real time.
    """

    datadir: Path
    port: int
    clock_file: Path | None = None

    @property
    def logfile(self) -> Path:
        return self.datadir / "server.log"

    def url(self, dbname: str = CRON_DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def cli_url(self, dbname: str = CRON_DATABASE) -> str:
        """The URL form the Supabase CLI needs for a local cluster (no TLS here)."""
        return f"{self.url(dbname)}?sslmode=disable"

    # -- lifecycle -----------------------------------------------------------------------------

    def initialise(self, *, durable: bool = True) -> None:
        """Create the data directory and write the configuration; a no-op if it already exists."""
        if (self.datadir / "PG_VERSION").exists():
            return
        self.datadir.parent.mkdir(parents=True, exist_ok=True)
        _hand_to_server_user(self.datadir.parent)
        _run(
            [
                str(pg_bindir() / "initdb"),
                "--pgdata",
                str(self.datadir),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
            what="initdb",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "shared_preload_libraries": "'pg_cron'",
            "cron.database_name": f"'{CRON_DATABASE}'",
            "cron.use_background_workers": "off",
            "max_connections": "200",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            "logging_collector": "off",
        }
        if not durable:
            # A test cluster is thrown away: trade crash safety for speed.
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as handle:
            handle.write("\n# --- sms-campaign-scheduler local cluster ---\n" + conf)

    def is_running(self) -> bool:
        if not (self.datadir / "postmaster.pid").exists():
            return False
        result = subprocess.run(  # noqa: S603 - our own pg_ctl, fixed arguments
            _server_argv([str(pg_bindir() / "pg_ctl"), "status", "-D", str(self.datadir)]),
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        if self.is_running():
            return
        env = dict(os.environ)
        # pg_ctl -w cannot tell that a server on a faked clock has started (sms_common.faketime): -W and
        # wait by connecting instead.
        wait = ["-w", "-t", "60"]
        if self.clock_file is not None:
            if not self.clock_file.exists():
                faketime.write_spec(self.clock_file, faketime.REAL_TIME)
            env = faketime.server_env(self.clock_file)
            wait = ["-W"]
        env |= extra_env or {}
        _run(
            [str(pg_bindir() / "pg_ctl"), "start", "-D", str(self.datadir), "-l", str(self.logfile), *wait],
            what="pg_ctl start",
            env=env,
            log=self.logfile,
        )
        if self.clock_file is not None:
            wait_until_accepting(self, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        if not self.is_running():
            return
        _run(
            [str(pg_bindir() / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", mode, "-w", "-t", "60"],
            what="pg_ctl stop",
        )

    # -- databases -----------------------------------------------------------------------------

    def connect(
        self, dbname: str = CRON_DATABASE, *, autocommit: bool = True
    ) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(dbname), autocommit=autocommit)

    def database_exists(self, dbname: str) -> bool:
        with self.connect() as conn:
            return (
                conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone() is not None
            )

    def create_database(self, dbname: str, template: str | None = None) -> None:
        statement = sql.SQL("create database {}").format(sql.Identifier(dbname))
        if template:
            statement += sql.SQL(" template {}").format(sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(statement)

    def drop_database(self, dbname: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))

    def mark_template(self, dbname: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("alter database {} is_template true").format(sql.Identifier(dbname)))

    def bootstrap(self, dbname: str) -> None:
        """Apply the Supabase-compatibility bootstrap (idempotent)."""
        with self.connect(dbname) as conn:
            conn.execute(BOOTSTRAP_SQL.read_text(encoding="utf-8").encode())

    def migrate(self, dbname: str) -> str:
        """Apply pending migrations with the real Supabase CLI; returns the CLI's output."""
        result = subprocess.run(  # noqa: S603 - the pinned CLI with fixed arguments
            [str(supabase_cli()), "db", "push", "--db-url", self.cli_url(dbname), "--yes", "--include-all"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            env=os.environ | {"SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"},
        )
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise LocalDatabaseError(f"supabase db push failed for database {dbname}:\n{output}")
        return output

    def prepare(self, dbname: str) -> None:
        """Create (if needed), bootstrap and migrate one database."""
        if not self.database_exists(dbname):
            self.create_database(dbname)
        self.bootstrap(dbname)
        self.migrate(dbname)


def _run(
    argv: Sequence[str],
    *,
    what: str,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> None:
    result = subprocess.run(_server_argv(argv), capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if result.returncode != 0:
        tail = ""
        if log is not None and log.exists():
            tail = "\n--- server log ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise LocalDatabaseError(
            f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}{tail}"
        )


def wait_until_accepting(cluster: LocalCluster, timeout: float = 30.0) -> None:
    """Block until the server accepts connections (after a restart), or raise."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with cluster.connect() as conn:
                conn.execute("select 1")
            return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.1)
    raise LocalDatabaseError(f"cluster on port {cluster.port} did not accept connections: {last}")


@contextlib.contextmanager
def throwaway_cluster(*, durable: bool = False, fake_clock: bool = False) -> Iterator[LocalCluster]:
    """Start a fresh cluster in a new temporary directory; stop it and delete everything afterwards.

    `fake_clock`: run the server under libfaketime (LocalCluster.clock_file), in a directory the server's
    OS user may write too, so that SQL run as a superuser can move the clock (tests.pin_clock)."""
    base = Path(tempfile.mkdtemp(prefix="sms-pg-"))
    base.chmod(0o711)  # the server's OS user must be able to traverse into it when we are root
    clock_file = None
    if fake_clock:
        clock_dir = base / "clock"
        clock_dir.mkdir()
        _hand_to_server_user(clock_dir)
        clock_file = clock_dir / "faketime.spec"
    cluster = LocalCluster(datadir=base / "cluster" / "pgdata", port=free_port(), clock_file=clock_file)
    try:
        cluster.initialise(durable=durable)
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(LocalDatabaseError):
            cluster.stop(mode="immediate")
        shutil.rmtree(base, ignore_errors=True)


# -- `make db` / `make db-stop` ------------------------------------------------------------------

DEV_DATABASE = CRON_DATABASE
DEV_FIRST_PORT = 55432


def dev_cluster() -> LocalCluster:
    """The development cluster of `make db` (under .local/db, or $SMS_LOCAL_DB_HOME): port chosen once, remembered."""
    home = Path(os.environ.get("SMS_LOCAL_DB_HOME", str(REPO_ROOT / ".local" / "db")))
    port_file = home / "port"
    if port_file.exists():
        port = int(port_file.read_text().strip())
    else:
        port = free_port(DEV_FIRST_PORT)
        home.mkdir(parents=True, exist_ok=True)
        port_file.write_text(f"{port}\n")
    return LocalCluster(datadir=home / "pgdata", port=port)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m sms_common.localdb", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "url", "status"])
    args = parser.parse_args(argv)
    cluster = dev_cluster()
    try:
        if args.command == "start":
            reused = cluster.is_running()
            cluster.initialise(durable=True)
            cluster.start()
            wait_until_accepting(cluster)
            cluster.prepare(DEV_DATABASE)
            state = "reused the running" if reused else "started the"
            print(
                f"{state} local cluster in {cluster.datadir} (pg_cron preloaded, migrations applied)",
                file=sys.stderr,
            )
            print(cluster.url(DEV_DATABASE))
        elif args.command == "stop":
            cluster.stop()
            print("local cluster stopped", file=sys.stderr)
        elif args.command == "url":
            print(cluster.url(DEV_DATABASE))
        else:
            print("running" if cluster.is_running() else "stopped")
    except LocalDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
