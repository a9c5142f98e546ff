"""One root exception for the whole project, so callers can catch everything we raise in one place."""

from __future__ import annotations


class SmsSchedulerError(Exception):
    """Root of every exception this project raises on purpose."""


class ConfigurationError(SmsSchedulerError):
    """The settings are missing or contradict each other; the message says which variable to fix."""


class LocalDatabaseError(SmsSchedulerError):
    """The local development/test PostgreSQL cluster could not be created, started or migrated."""
