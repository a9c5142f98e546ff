"""What a database call can fail with, in the words the service acts on (whatever the transport).

Each transport turns its own errors (psycopg's SQLSTATEs, PostgREST's codes, httpx's transport
errors) into these three; `database` adds the domain's own (a call that returned no row).
"""

from __future__ import annotations

from sms_common.errors import SmsSchedulerError


class ConnectorError(SmsSchedulerError):
    """The database refused a call (a SQL error, a missing function): retrying will not help by itself."""


class DatabaseUnavailableError(ConnectorError):
    """The database (or the API in front of it) cannot be reached right now: back off and try again."""


class ConnectorAuthError(ConnectorError):
    """The credentials were refused (wrong service role key or database password): a configuration problem."""
