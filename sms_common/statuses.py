"""The statuses of the three tables, as types (the SQL CHECK constraints are the source of truth).

Python code compares and writes these instead of bare strings, so a typo is a mypy error, not a
silent no-match. `tests/unit/common/test_statuses_match_sql.py` compares each enum with the CHECK
constraint of the migrated database. The allowed moves are in docs/ (one state diagram):

    campaign_messages   SUG -> APR -> SCH -> sent | failed | cancelled
    scheduled_messages  SCH -> queued -> sent | failed | cancelled
    messages            queued -> sending -> sent | failed | unknown | cancelled
"""

from __future__ import annotations

import enum


class CampaignStatus(enum.StrEnum):
    """campaign_messages.status: a suggestion until a person approves it, then planned and sent."""

    SUGGESTED = "SUG"
    APPROVED = "APR"
    SCHEDULED = "SCH"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ScheduledStatus(enum.StrEnum):
    """scheduled_messages.status: `queued` once promotion has split it into bubbles."""

    SCHEDULED = "SCH"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MessageStatus(enum.StrEnum):
    """messages.status, one row per SMS bubble; `unknown` means it may have left a modem."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


#: Each table's status enum, for code (and tests) that walk all three.
BY_TABLE: dict[str, type[enum.StrEnum]] = {
    "campaign_messages": CampaignStatus,
    "scheduled_messages": ScheduledStatus,
    "messages": MessageStatus,
}
