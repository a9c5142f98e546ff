"""Configuration: the public variable names, precedence (environment over file) and secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_common.errors import ConfigurationError
from sms_common.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DATABASE_URL",
        "SUPABASE_URL",
        "SUPABASE_SERVICE_ROLE_KEY",
        "MODEM_PORT",
        "MODEM_BAUD",
        "BUBBLE_PAUSE",
        "RECIPIENT_PAUSE",
        "WORKER_ID",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMS_SETTINGS_FILE", str(tmp_path / "sms.env"))


def test_public_variable_names_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("SUPABASE_URL", "https://abc.supabase.co")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "service-key")
    monkeypatch.setenv("MODEM_PORT", "/dev/ttyUSB2")
    monkeypatch.setenv("MODEM_BAUD", "9600")
    monkeypatch.setenv("BUBBLE_PAUSE", "1.5")
    monkeypatch.setenv("RECIPIENT_PAUSE", "7")
    settings = load_settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.supabase_url == "https://abc.supabase.co"
    assert settings.supabase_service_role_key is not None
    assert settings.supabase_service_role_key.get_secret_value() == "service-key"
    assert (settings.modem_port, settings.modem_baud) == ("/dev/ttyUSB2", 9600)
    assert (settings.bubble_pause, settings.recipient_pause) == (1.5, 7.0)


def test_environment_wins_over_the_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "sms.env").write_text("# comment\nMODEM_PORT=/dev/ttyACM0\nBUBBLE_PAUSE=3\n")
    monkeypatch.setenv("BUBBLE_PAUSE", "0.5")
    settings = load_settings()
    assert settings.modem_port == "/dev/ttyACM0"
    assert settings.bubble_pause == 0.5


def test_a_secret_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sms.env").write_text("SUPABASE_SERVICE_ROLE_KEY=oops\n")
    with pytest.raises(ConfigurationError, match=r"sms.env:1: SUPABASE_SERVICE_ROLE_KEY is a secret"):
        load_settings()


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEM_BAUD", "fast")
    with pytest.raises(ConfigurationError, match="MODEM_BAUD"):
        load_settings()


def test_worker_id_defaults_to_host_and_modem_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEM_PORT", "/dev/ttyUSB3")
    assert load_settings().effective_worker_id.endswith(":/dev/ttyUSB3")
    monkeypatch.setenv("WORKER_ID", "shop-modem-1")
    assert load_settings().effective_worker_id == "shop-modem-1"


def test_missing_database_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL is not set"):
        load_settings().require_database_url()
