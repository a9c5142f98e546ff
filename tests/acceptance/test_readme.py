"""The README cannot rot: every command and SQL snippet in it is run or checked here.

- ```sql blocks run against a migrated database (management statements each in a rolled-back
  transaction, on a real scheduled row id 123, so the guards are exercised too);
- ```bash blocks: `python -m scheduler …` and `python -m listener …` run for real (the listener until
  its heartbeat row appears, then SIGTERM must stop it with exit 0); `make` targets must exist; the
  hosted-only `npx supabase …` commands must be accepted by the pinned CLI (subcommand and every flag
  in its --help); `curl` must call an edge function that exists. A command of any other kind fails the
  test, so whoever adds one must also say here how it is checked.
`make demo` and `make test` themselves are run by CI and tests/acceptance/test_demo.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.harness import REPO_ROOT

README = REPO_ROOT / "README.md"
FENCE = re.compile(r"^ *```(\w+)\n(.*?)^ *```", re.S | re.M)


@dataclass(frozen=True)
class Block:
    language: str
    text: str


def blocks(language: str) -> list[Block]:
    return [Block(m[1], m[2]) for m in FENCE.finditer(README.read_text()) if m[1] == language]


def commands() -> list[str]:
    lines: list[str] = []
    for block in blocks("bash"):
        for raw in block.text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            # Trailing comments are separated by two spaces or more in the README.
            lines.append(re.split(r"\s{2,}#", line, maxsplit=1)[0].strip())
    return lines


def statements(block: Block) -> list[str]:
    body = "\n".join(line for line in block.text.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"}}
    return env | {"DATABASE_URL": db_url, "SMS_SETTINGS_FILE": "/nonexistent/sms.env"}


def _python_argv(command: str) -> list[str]:
    argv = shlex.split(command)
    assignments = [a for a in argv if re.fullmatch(r"[A-Z_]+=.*", a)]
    rest = argv[len(assignments) :]
    assert rest[:2] == ["python", "-m"], command
    return [sys.executable, *rest[1:]]


def test_the_readme_has_the_commands_a_newcomer_needs() -> None:
    found = commands()
    for expected in ("make demo", "make test", "make db", "npx supabase db push"):
        assert any(c.startswith(expected) for c in found), expected


def test_every_readme_command_is_covered_by_a_check() -> None:
    uncovered = [
        c
        for c in commands()
        if not re.match(
            r"(export DATABASE_URL=\"\$\(make -s \w[\w-]*\)\"|make |python -m |[A-Z_]+=\S+ .*python -m |npx supabase |curl )",
            c,
        )
    ]
    assert uncovered == [], f"README commands no test checks: {uncovered}"


@pytest.mark.parametrize("command", [c for c in commands() if c.startswith(("make ", "export "))])
def test_make_targets_in_the_readme_exist(command: str) -> None:
    target = re.findall(r"make (?:-s )?([\w-]+)", command)[-1]
    dry = subprocess.run(["make", "-n", target], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert dry.returncode == 0, dry.stderr


@pytest.mark.parametrize("command", [c for c in commands() if c.startswith("npx supabase ")])
def test_hosted_supabase_commands_are_accepted_by_the_pinned_cli(command: str) -> None:
    words = shlex.split(command)[2:]
    subcommand = [w for w in words if not w.startswith("-") and "<" not in w and not w.startswith('"')]
    # Positional arguments (a function's name) follow the subcommand words the CLI knows.
    subcommand = [w for w in subcommand if w not in {"process-due"}]
    flags = [w.split("=")[0] for w in words if w.startswith("--")]
    cli = REPO_ROOT / "node_modules" / ".bin" / "supabase"
    helped = subprocess.run([str(cli), *subcommand, "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0, helped.stderr
    usage = helped.stdout
    assert f"supabase {' '.join(subcommand)}" in usage, usage
    for flag in flags:
        assert flag in usage, f"{flag} is not an option of `supabase {' '.join(subcommand)}`"


@pytest.mark.parametrize("command", [c for c in commands() if c.startswith("curl ")])
def test_curl_calls_an_edge_function_that_exists(command: str) -> None:
    match = re.search(r"/functions/v1/([\w-]+)", command)
    assert match is not None, command
    assert (REPO_ROOT / "supabase" / "functions" / match[1] / "index.ts").exists()
    assert "Authorization: Bearer $SUPABASE_SERVICE_ROLE_KEY" in command


def test_the_scheduler_commands_run_as_written(db_url: str) -> None:
    for command in [c for c in commands() if c.startswith("python -m scheduler ")]:
        result = subprocess.run(
            _python_argv(command),
            cwd=REPO_ROOT,
            env=_env(db_url),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert result.stdout.strip(), command
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "select count(*) filter (where status = 'SCH'), count(*) from campaign_messages"
        ).fetchone()
    assert row is not None
    assert row[0] == row[1] > 0, "the README's schedule command schedules the imported campaign"


@pytest.fixture
def link_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="readme-modem-") as directory:
        yield Path(directory)


def test_the_simulator_and_listener_commands_run_as_written(db_url: str, link_dir: Path) -> None:
    simulator_cmd, listener_cmd = (c for c in commands() if "python -m listener" in c)
    link = str(link_dir / "modem")
    simulator = subprocess.Popen(
        _python_argv(simulator_cmd.replace("/tmp/modem", link)),  # noqa: S108 - the README's path, swapped out
        cwd=REPO_ROOT,
        env=_env(db_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert simulator.stdout is not None
        assert simulator.stdout.readline().strip() == link
        assignments = dict(
            a.split("=", 1) for a in shlex.split(listener_cmd) if re.fullmatch(r"[A-Z_]+=.*", a)
        )
        assignments["MODEM_PORT"] = link
        listener = subprocess.Popen(
            _python_argv(listener_cmd),
            cwd=REPO_ROOT,
            env=_env(db_url) | assignments | {"WORKER_ID": "readme-listener"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            beat = None
            with psycopg.connect(db_url, autocommit=True) as conn:
                while beat is None and time.monotonic() < deadline and listener.poll() is None:
                    beat = conn.execute(
                        "select worker_id from listener_status where worker_id = 'readme-listener'"
                    ).fetchone()
                    if beat is None:
                        time.sleep(0.2)  # polling a condition under a deadline
            assert beat is not None, "the listener never wrote its heartbeat"
            listener.send_signal(signal.SIGTERM)
            try:
                _, stderr = listener.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                listener.send_signal(signal.SIGUSR1)  # listener.run.dump_stacks: where it hangs
                with contextlib.suppress(subprocess.TimeoutExpired):
                    listener.communicate(timeout=3)
                listener.kill()
                _, rest = listener.communicate()
                raise AssertionError(
                    f"the listener did not stop within 60 s of SIGTERM:\n{rest[-20000:]}"
                ) from None
            assert listener.returncode == 0, stderr
        finally:
            if listener.poll() is None:
                listener.kill()
                listener.communicate()
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.communicate(timeout=30)


def test_the_readme_sql_runs_on_a_migrated_database(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.execute(
        "insert into scheduled_messages (id, phone_number, customer_name, message_content, scheduled_for, status,"
        " campaign_name) overriding system value values (123, '+12095550123', 'Readme Test', 'Hi[BUBBLE]there',"
        " now() + interval '2 days', 'SCH', 'readme')"
    )
    sql_blocks = blocks("sql")
    assert len(sql_blocks) >= 3
    for block in sql_blocks:
        for statement in statements(block):
            with conn.transaction(force_rollback=True):
                cursor = conn.execute(statement.encode())
                if (
                    statement.upper().startswith("UPDATE")
                    and "WHERE id = 123" in statement
                    and "failed" not in statement
                ):
                    assert cursor.rowcount == 1, statement
