"""`python -m listener status` rendering (listener.status_cli), from sender_status() rows."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from typer.testing import CliRunner

from listener.cli import app
from listener.database import SenderStatus
from listener.status_cli import limit_left, render_table, signal_text, sim_label


def row(**values: object) -> SenderStatus:
    base: dict[str, object] = {
        "sender_id": 1,
        "imsi": "001010123456789",
        "worker_id": "box-a:/dev/ttyUSB0",
        "status": "active",
        "alive": True,
        "signal": 21,
        "signal_word": "excellent",
        "registration": "home",
        "sent_today": 12,
        "delivered_today": 10,
    }
    base.update(values)
    return SenderStatus.from_row(base)


def rendered(rows: list[SenderStatus]) -> str:
    out = StringIO()
    Console(file=out, width=250, highlight=False).print(render_table(rows))
    return out.getvalue()


def test_every_sim_is_one_line_with_its_number_or_unknown() -> None:
    text = rendered(
        [
            row(),
            row(
                sender_id=2,
                imsi="001010987654321",
                own_number="+12095550177",
                worker_id="box-b:/dev/ttyUSB1",
                alive=False,
                signal=None,
                messages_left=40,
                new_recipients_left=0,
                idle_reason="new recipients: limit reached",
                last_error="+CMS ERROR: 38 (network out of order)",
            ),
        ]
    )
    lines = [line for line in text.splitlines() if "box-" in line]
    assert len(lines) == 2
    first, second = lines
    assert "#1 …456789" in first
    assert "unknown" in first  # the SIM does not know its number
    assert "yes" in first
    assert "21 (excellent)" in first
    assert "no limit" in first
    assert "+12095550177" in second  # the operator sees the full number
    assert "40 msgs, 0 new" in second
    assert "limit reached" in second
    assert "network out of order" in second
    assert "SIMs: 2" in text


def test_small_renderers() -> None:
    assert sim_label(row(label="shop left")) == "#1 shop left"
    assert sim_label(row(imsi=None, iccid="8901010000000000018")) == "#1 …000018"
    assert signal_text(row(signal=99)) == "unknown"
    assert limit_left(row(messages_left=3)) == "3 msgs"


def test_without_a_database_configured_it_says_how_to_configure_one() -> None:
    runner = CliRunner()
    env = {
        "DATABASE_URL": "",
        "SUPABASE_URL": "",
        "SUPABASE_SERVICE_ROLE_KEY": "",
        "SMS_SETTINGS_FILE": "/dev/null",
    }
    import listener.status_cli  # noqa: F401 (registers the command)

    result = runner.invoke(app, ["status"], env=env)
    assert result.exit_code == 2
    assert "DATABASE_URL" in result.output
