"""import and approve against the real database: E.164, line-numbered errors, all-or-nothing, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.harness import PinnedClock
from tests.integration.scheduler.helpers import BAD_CSV, SAMPLE_CSV, Conn, run, statuses

#: Not the clock fixture's default moment, so the approval time shows it is the pinned database clock.
NOW = "2025-11-06T10:15:00-08:00"


def test_import_stores_e164_as_sug_and_twice_adds_nothing(db_url: str, conn: Conn) -> None:
    first = run(db_url, "import", str(SAMPLE_CSV), "--campaign", "autumn")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip() == "Imported 5 messages into campaign 'autumn' as SUG; 0 already present"
    rows = conn.execute(
        "select customer_name, phone_number, status, approved_at from public.campaign_messages order by id"
    ).fetchall()
    assert [r[1] for r in rows] == [
        "+12097930464",
        "+15598819424",
        "+12094880885",
        "+15594930003",
        "+12095550199",
    ]
    assert {r[2] for r in rows} == {"SUG"}
    assert all(r[3] is None for r in rows)

    again = run(db_url, "import", str(SAMPLE_CSV), "--campaign", "autumn")
    assert again.exit_code == 0
    assert again.stdout.strip() == "Imported 0 messages into campaign 'autumn' as SUG; 5 already present"
    assert statuses(conn, "campaign_messages", "autumn") == {"SUG": 5}
    # The same file for another campaign is another set of messages.
    other = run(db_url, "import", str(SAMPLE_CSV), "--campaign", "winter")
    assert other.exit_code == 0
    assert statuses(conn, "campaign_messages", "winter") == {"SUG": 5}


def test_a_bad_file_imports_nothing_and_names_every_bad_row(db_url: str, conn: Conn) -> None:
    result = run(db_url, "import", str(BAD_CSV), "--campaign", "autumn")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors == [
        f"{BAD_CSV}: line 3: malformed phone number '12345' (not a valid number for its region)",
        f"{BAD_CSV}: line 4: empty message",
        f"{BAD_CSV}: line 5: bubble 2 of 3 is empty",
        f"{BAD_CSV}: line 6: missing column message (the row has 2 fields, the header 3)",
        f"{BAD_CSV}: line 7: malformed phone number 'call me maybe' (The string supplied did not seem to be a phone number.)",
        "error: 5 of 6 rows are invalid; nothing was imported (fix them, or pass --skip-invalid to import the valid rows only)",
    ]
    count = conn.execute("select count(*) from public.campaign_messages").fetchone()
    assert count == (0,)


def test_skip_invalid_imports_the_valid_rows(db_url: str, conn: Conn) -> None:
    result = run(db_url, "import", str(BAD_CSV), "--campaign", "autumn", "--skip-invalid")
    assert result.exit_code == 0
    assert "Imported 1 message into campaign 'autumn' as SUG; 0 already present; 5 invalid rows skipped" in (
        result.stdout
    )
    assert len(result.stderr.splitlines()) == 5
    assert statuses(conn, "campaign_messages", "autumn") == {"SUG": 1}


def test_import_with_approve_sets_apr_and_the_database_clock_as_approval_time(
    db_url: str, conn: Conn, clock: PinnedClock
) -> None:
    clock.set(NOW)
    result = run(db_url, "import", str(SAMPLE_CSV), "--campaign", "autumn", "--approve")
    assert result.exit_code == 0
    assert "as APR" in result.stdout
    rows = conn.execute("select status, approved_at from public.campaign_messages").fetchall()
    assert rows
    assert {r[0] for r in rows} == {"APR"}
    assert {r[1] for r in rows} == {datetime(2025, 11, 6, 18, 15, tzinfo=UTC)}


def test_a_missing_file(db_url: str) -> None:
    result = run(db_url, "import", "/nonexistent/campaign.csv", "--campaign", "autumn")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: /nonexistent/campaign.csv: no such file"


def test_approve_all_and_some(db_url: str, conn: Conn, clock: PinnedClock) -> None:
    assert run(db_url, "import", str(SAMPLE_CSV), "--campaign", "autumn").exit_code == 0
    ids = [int(r[0]) for r in conn.execute("select id from public.campaign_messages order by id").fetchall()]
    some = run(db_url, "approve", "--campaign", "autumn", "--ids", str(ids[0]), "--ids", str(ids[1]))
    assert some.exit_code == 0, some.stderr
    assert some.stdout.strip() == "Approved 2 messages of campaign 'autumn'"
    assert statuses(conn, "campaign_messages", "autumn") == {"APR": 2, "SUG": 3}

    refused = run(db_url, "approve", "--campaign", "autumn", "--ids", str(ids[0]), "--ids", "999999")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        f"campaign message {ids[0]}: not approved: status is APR, not SUG",
        "campaign message 999999: not approved: not in this campaign",
    ]

    typo = run(db_url, "approve", "--campaign", "autumn", "--ids", "4,x")
    assert typo.exit_code == 2
    assert typo.stderr.strip() == "error: --ids '4,x': 'x' is not a campaign message id"

    clock.set(NOW)
    rest = run(db_url, "approve", "--campaign", "autumn")
    assert rest.exit_code == 0
    assert rest.stdout.strip() == "Approved 3 messages of campaign 'autumn'"
    approved = conn.execute(
        "select distinct approved_at from public.campaign_messages where id <> all(%s)", (ids[:2],)
    ).fetchall()
    assert approved == [(datetime(2025, 11, 6, 18, 15, tzinfo=UTC),)]
    assert run(db_url, "approve", "--campaign", "autumn", "--now", NOW).exit_code == 2  # no caller's clock


def test_a_repeated_row_in_the_file_is_imported_once_and_named(
    db_url: str, conn: Conn, tmp_path: Path
) -> None:
    csv_file = tmp_path / "repeat.csv"
    csv_file.write_text("customer_name,phone_number,message\nAnn,2095550101,Hi\nAnn,(209) 555-0101,Hi\n")
    result = run(db_url, "import", str(csv_file), "--campaign", "autumn")
    assert result.exit_code == 0
    assert result.stderr.strip() == f"{csv_file}: line 3: same number and text as line 2; imported once"
    assert result.stdout.strip() == "Imported 1 message into campaign 'autumn' as SUG; 0 already present"
    assert statuses(conn, "campaign_messages", "autumn") == {"SUG": 1}


def test_a_row_the_database_refuses_is_named_by_its_line_and_nothing_is_imported(
    db_url: str, conn: Conn
) -> None:
    # A guard the importer does not know (the database has the last word): it refuses the third row.
    conn.execute(
        """
        create function test_refuse() returns trigger language plpgsql as $$
        begin
          if new.phone_number = '+12094880885' then
            raise exception 'campaign_messages: this number is refused' using hint = 'ask the lead';
          end if;
          return new;
        end $$;
        create trigger test_refuse before insert on public.campaign_messages
          for each row execute function test_refuse();
        """
    )
    result = run(db_url, "import", str(SAMPLE_CSV), "--campaign", "autumn")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{SAMPLE_CSV}: line 4: the database refused it: campaign_messages: this number is refused; "
        "hint: ask the lead",
        "error: the database refused a row; nothing was imported",
    ]
    assert conn.execute("select count(*) from public.campaign_messages").fetchone() == (0,)
