"""Structured logging for both services.

JSON lines when stderr is not a terminal (systemd, CI), a readable console format on a terminal.
Phone numbers are masked to their last four digits unless the level is DEBUG, and secrets never
reach a log line: values under secret-looking keys are dropped, passwords are cut out of URLs.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

#: Event-dict keys whose values are phone numbers.
PHONE_KEYS = frozenset({"phone", "phone_number", "number", "to", "recipient", "msisdn"})
#: Substrings of keys whose values are secrets.
SECRET_KEY_PARTS = ("password", "secret", "token", "apikey", "api_key", "service_role_key", "pin", "jwt")

_PHONE_RE = re.compile(r"(?<![\w])\+?\d[\d\- ().]{6,}\d(?![\w])")
_URL_PASSWORD_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@", re.I)


def mask_phone(value: str) -> str:
    """`+12097930464` -> `*******0464`: enough to tell customers apart in a log, not enough to text them."""
    digits = re.sub(r"\D", "", value)
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def redact_text(text: str) -> str:
    """Mask phone numbers and URL passwords inside free text (error messages, reprs)."""
    text = _URL_PASSWORD_RE.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _PHONE_RE.sub(
        lambda m: mask_phone(m.group(0)) if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0), text
    )


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


class Redactor:
    """structlog processor: removes secrets always, masks phone numbers unless full numbers are allowed."""

    def __init__(self, show_full_numbers: bool) -> None:
        self.show_full_numbers = show_full_numbers

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
        for key in list(event_dict):
            value = event_dict[key]
            if _is_secret_key(key):
                event_dict[key] = "[redacted]"
            elif isinstance(value, str):
                if key in PHONE_KEYS and not self.show_full_numbers:
                    event_dict[key] = mask_phone(value)
                else:
                    cleaned = _URL_PASSWORD_RE.sub(lambda m: f"{m['scheme']}{m['user']}:***@", value)
                    event_dict[key] = cleaned if self.show_full_numbers else redact_text(cleaned)
        return event_dict


def configure_logging(level: str = "INFO", stream: TextIO | None = None, *, json: bool | None = None) -> None:
    """Configure structlog (and stdlib logging underneath it) once per process."""
    out = stream if stream is not None else sys.stderr
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    use_json = json if json is not None else not (hasattr(out, "isatty") and out.isatty())
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            Redactor(show_full_numbers=numeric <= logging.DEBUG),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=max(numeric, logging.WARNING), stream=out, format="%(name)s %(levelname)s %(message)s"
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
