"""Postgres mode's connection budget (docs/listener.md, "Modes"): one connection for the calls, one for
LISTEN, named after the worker; the count itself is checked in pg_stat_activity by
tests/integration/listener/test_listener_process_bank.py."""

from __future__ import annotations

from listener.pg_notify import NotifyWakeSource
from listener.pg_transport import PostgresTransport
from listener.run import Mode, build_transport
from sms_common.settings import load_settings

DSN = "postgresql://listener@127.0.0.1:1/unused"


def test_the_call_pool_holds_exactly_one_connection() -> None:
    transport = PostgresTransport(DSN)
    assert (transport._pool.min_size, transport._pool.max_size) == (1, 1)


def test_both_connections_are_named_after_the_worker() -> None:
    settings = load_settings(database_url=DSN)
    built = build_transport(settings, Mode.postgres, poll_only=False, worker_id="shop-left")
    calls = built.database.transport
    assert isinstance(calls, PostgresTransport)
    kwargs = calls._pool.kwargs
    assert isinstance(kwargs, dict)
    assert kwargs["application_name"] == "sms-listener shop-left"
    assert isinstance(built.wake_source, NotifyWakeSource)
    assert built.wake_source._application_name == "sms-listener-notify shop-left"


def test_poll_only_has_no_listen_connection() -> None:
    settings = load_settings(database_url=DSN)
    built = build_transport(settings, Mode.postgres, poll_only=True, worker_id="shop-left")
    assert built.wake_source.name == "poll"
