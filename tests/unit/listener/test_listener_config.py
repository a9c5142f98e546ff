"""Pure parts of the listener: choosing the transport from the settings, reading timestamps and rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import SecretStr

from listener.database import Bubble, BubbleOutcome, parse_timestamp
from listener.errors import ConnectorError
from listener.run import Mode, choose_mode, modem_config, service_config
from sms_common.errors import ConfigurationError
from sms_common.settings import Settings

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
SB = "https://abc.supabase.co"


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_postgres_mode_when_database_url_is_set() -> None:
    assert choose_mode(_settings(database_url=PG), None) is Mode.postgres


def test_postgres_mode_wins_when_both_are_configured() -> None:
    both = _settings(database_url=PG, supabase_url=SB, supabase_service_role_key=SecretStr("k"))
    assert choose_mode(both, None) is Mode.postgres
    assert choose_mode(both, Mode.supabase) is Mode.supabase


def test_supabase_mode_when_only_supabase_is_configured() -> None:
    only = _settings(supabase_url=SB, supabase_service_role_key=SecretStr("k"))
    assert choose_mode(only, None) is Mode.supabase


def test_supabase_url_without_key_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="SUPABASE_SERVICE_ROLE_KEY"):
        choose_mode(_settings(supabase_url=SB), Mode.supabase)


def test_forced_postgres_mode_without_url_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        choose_mode(_settings(supabase_url=SB, supabase_service_role_key=SecretStr("k")), Mode.postgres)


def test_nothing_configured_names_both_options() -> None:
    with pytest.raises(ConfigurationError, match=r"DATABASE_URL.*SUPABASE_URL"):
        choose_mode(_settings(), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-05 22:30:00+00", datetime(2025, 11, 5, 22, 30, tzinfo=UTC)),
        ("2025-11-05T22:30:00.25Z", datetime(2025, 11, 5, 22, 30, 0, 250000, tzinfo=UTC)),
        ("2025-11-05T14:30:00-08:00", datetime(2025, 11, 5, 22, 30, tzinfo=UTC)),
        ("2025-11-05 14:30:00-08", datetime(2025, 11, 5, 14, 30, tzinfo=timezone(timedelta(hours=-8)))),
    ],
)
def test_timestamps_from_postgres_and_postgrest(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_a_timestamp_without_zone_is_refused() -> None:
    with pytest.raises(ConnectorError, match="without time zone"):
        parse_timestamp("2025-11-05 22:30:00")


def test_bubble_rows_from_either_transport() -> None:
    row = {
        "id": "7",
        "phone_number": "+12095550100",
        "content": "Hi",
        "scheduled_message_id": 3,
        "bubble_index": 2,
        "bubble_count": 3,
        "attempts": 1,
        "status": "sending",
    }
    bubble = Bubble.from_row(row)
    assert (bubble.id, bubble.bubble_index, bubble.recipient_key) == (7, 2, ("+12095550100", 3))
    outcome = BubbleOutcome.from_row(
        {"id": 7, "status": "queued", "attempts": 1, "next_attempt_at": "2025-11-05T22:30:15+00:00"}
    )
    assert outcome.next_attempt_at == datetime(2025, 11, 5, 22, 30, 15, tzinfo=UTC)


def test_receiving_settings_reach_the_modem_and_the_loop() -> None:
    settings = Settings(
        modem_port="/dev/ttyUSB3",
        receive_sms=False,
        status_reports=False,
        inbound_sweep_interval=60,
        stale_parts_interval=120,
        worker_id="shop-1",
    )
    modem = modem_config(settings)
    assert (modem.port, modem.receive, modem.status_reports) == ("/dev/ttyUSB3", False, False)
    loop = service_config(settings)
    assert (loop.worker_id, loop.receive, loop.inbound_sweep_interval, loop.stale_parts_interval) == (
        "shop-1",
        False,
        60.0,
        120.0,
    )


def test_receiving_is_on_by_default() -> None:
    settings = Settings()
    assert (settings.receive_sms, settings.status_reports) == (True, True)
    assert (settings.inbound_sweep_interval, settings.stale_parts_interval) == (180.0, 300.0)
