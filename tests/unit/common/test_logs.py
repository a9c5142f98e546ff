"""Logging: JSON off a terminal, phone numbers masked at info level, secrets never printed."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from sms_common.logs import configure_logging, get_logger, mask_phone, redact_text


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("+12097930464", "*******0464"), ("(559) 881-9424", "******9424"), ("1234", "****"), ("", "")],
)
def test_mask_phone_keeps_the_last_four_digits(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_redact_text_masks_numbers_and_url_passwords() -> None:
    text = "send to +15598819424 failed via postgresql://postgres:hunter2@db:5432/postgres after 3 attempts"
    cleaned = redact_text(text)
    assert "+15598819424" not in cleaned
    assert "9424" in cleaned
    assert "hunter2" not in cleaned
    assert "after 3 attempts" in cleaned


def _log_lines(level: str, **event: object) -> list[dict[str, object]]:
    out = io.StringIO()
    configure_logging(level, out, json=True)
    get_logger("test").info("bubble.sent", **event)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_info_logs_are_json_with_masked_numbers_and_no_secrets() -> None:
    [line] = _log_lines(
        "INFO", phone_number="+12097930464", service_role_key="sk-123", detail="to +12097930464"
    )
    assert line["event"] == "bubble.sent"
    assert line["level"] == "info"
    assert line["phone_number"] == "*******0464"
    assert line["service_role_key"] == "[redacted]"
    assert "+12097930464" not in json.dumps(line)


def test_debug_level_shows_full_numbers_but_still_hides_secrets() -> None:
    [line] = _log_lines("DEBUG", phone_number="+12097930464", password="pw")
    assert line["phone_number"] == "+12097930464"
    assert line["password"] == "[redacted]"


def test_console_format_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    configure_logging("INFO", out)
    get_logger("test").info("listener.started", worker_id="box:/dev/ttyUSB0")
    text = out.getvalue()
    assert "listener.started" in text
    assert not text.lstrip().startswith("{")
