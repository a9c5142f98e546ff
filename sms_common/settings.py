"""All configuration in one place.

The environment variable names are a public interface (operators put them in systemd units and
`.env` files): keep them. Environment variables win over the settings file; secrets are only read
from the environment (a settings file is for non-secret values an operator is happy to commit).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sms_common.errors import ConfigurationError

#: Settings that must only come from the process environment, never from a file on disk.
SECRET_FIELDS = frozenset({"supabase_service_role_key", "modem_pin"})

_E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")

#: Where the optional settings file is looked for unless SMS_SETTINGS_FILE names another one.
DEFAULT_SETTINGS_FILE = Path("sms.env")


class Settings(BaseSettings):
    """Process configuration for the scheduler CLI and the listener service."""

    model_config = SettingsConfigDict(
        env_file=None,
        extra="ignore",
        case_sensitive=False,
        frozen=True,
    )

    database_url: str | None = Field(default=None, description="PostgreSQL URL (Postgres mode, scheduler)")
    supabase_url: str | None = Field(default=None, description="https://<project>.supabase.co")
    supabase_service_role_key: SecretStr | None = Field(default=None, description="service_role key")
    modem_port: str = Field(default="/dev/ttyUSB0", description="serial device of the GSM modem")
    modem_baud: int = Field(default=115200, gt=0)
    modem_pin: SecretStr | None = Field(default=None, description="SIM PIN, only if the SIM asks")
    modem_mode: Literal["text", "pdu"] = Field(default="pdu", description="SMS mode used for sending")
    bubble_pause: float = Field(default=2.0, ge=0, description="seconds between bubbles of one message")
    recipient_pause: float = Field(default=5.0, ge=0, description="seconds between two recipients")
    poll_interval: float = Field(default=30.0, gt=0, description="safety-net poll interval, seconds")
    receive_sms: bool = Field(
        default=True, description="store replies and delivery reports the modem receives"
    )
    status_reports: bool = Field(default=True, description="ask for a delivery report on every part (TP-SRR)")
    inbound_sweep_interval: float = Field(
        default=180.0, gt=0, description="AT+CMGL=4 sweep of the modem's memories, seconds"
    )
    stale_parts_interval: float = Field(
        default=300.0, gt=0, description="finish_stale_inbound_parts() every so many seconds"
    )
    heartbeat_interval: float = Field(default=30.0, gt=0, description="status row refresh, seconds")
    worker_id: str | None = Field(default=None, description="stable listener id; default host:modem_port")
    sim_number: str | None = Field(
        default=None, description="the SIM's own number (E.164) when the SIM does not know it (AT+CNUM)"
    )
    metrics_host: str = Field(default="127.0.0.1", description="address of the metrics/health endpoint")
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="port of /metrics and /healthz; 0 turns them off"
    )
    log_level: str = Field(default="INFO")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
        return level

    @field_validator("sim_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        number = "".join(value.split())
        if not _E164_RE.match(number):
            raise ValueError(f"SIM_NUMBER must be an E.164 number like +12095550100, not {value!r}")
        return number

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _SettingsFileSource(settings_cls))

    @property
    def effective_worker_id(self) -> str:
        """The listener's identity, stable across restarts: host plus modem port unless WORKER_ID is set."""
        return self.worker_id or f"{socket.gethostname()}:{self.modem_port}"

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigurationError(
                "DATABASE_URL is not set (e.g. postgresql://user:pass@host:5432/postgres)"
            )
        return self.database_url


class _SettingsFileSource(PydanticBaseSettingsSource):
    """Reads KEY=VALUE lines from the settings file, refusing secrets there."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._values = _read_settings_file(settings_file_path())

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: value for name, value in self._values.items() if name in self.settings_cls.model_fields}


def settings_file_path() -> Path:
    return Path(os.environ.get("SMS_SETTINGS_FILE", str(DEFAULT_SETTINGS_FILE)))


def _read_settings_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigurationError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        name = key.strip().lower()
        if name in SECRET_FIELDS:
            raise ConfigurationError(
                f"{path}:{number}: {key.strip()} is a secret; set it in the environment, not in a file"
            )
        values[name] = value.strip().strip('"').strip("'")
    return values


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation problems into one readable ConfigurationError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from exc
