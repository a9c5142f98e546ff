"""`python -m listener simulate-modem` as a subprocess: it prints a device path the driver can use."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest

from listener.modem.driver import Modem, ModemConfig, ModemTimeouts, StoredNotice
from listener.modem.errors import TransientSendError
from tests.unit.modem.inbound import deliver_fields

TIMEOUTS = ModemTimeouts(command=2.0, prompt=2.0, send=2.0, registration=2.0, registration_poll=0.05)


async def start(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "listener", "simulate-modem", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), 20.0)
    return process, first.decode().strip()


async def stop(process: asyncio.subprocess.Process, signum: int = signal.SIGTERM) -> int:
    process.send_signal(signum)
    return await asyncio.wait_for(process.wait(), 20.0)


async def test_device_path_on_stdout_and_records_in_a_file(tmp_path: Path) -> None:
    link = tmp_path / "ttyGSM0"
    record = tmp_path / "sent.jsonl"
    script = tmp_path / "faults.txt"
    script.write_text("cms-error 38 1   # the first send is refused\n", encoding="utf-8")
    process, device = await start("--link", str(link), "--record", str(record), "--script", str(script))
    try:
        assert device == str(link)
        assert link.is_symlink()
        modem = await Modem.open(ModemConfig(device, 115200, timeouts=TIMEOUTS))
        try:
            await modem.initialise()
            with pytest.raises(TransientSendError, match="38"):
                await modem.send_sms("+15551234567", "refused once")
            await modem.send_sms("+15551234567", "Hello from the CLI simulator 👋")
        finally:
            await modem.close()

        async def recorded() -> list[dict[str, object]]:
            while True:  # the subprocess writes the file; poll it under the outer deadline
                if record.exists() and record.read_text(encoding="utf-8").strip():
                    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
                await asyncio.sleep(0.05)

        (entry,) = await asyncio.wait_for(recorded(), 10.0)
        assert entry["number"] == "+15551234567"
        assert entry["text"] == "Hello from the CLI simulator 👋"
        assert entry["parts"] == 1
        assert entry["alphabet"] == "ucs2"
    finally:
        code = await stop(process)
    assert code == 0
    assert not link.exists()  # the device is gone with the simulator


async def test_records_to_stdout_after_the_device_path(tmp_path: Path) -> None:
    process, device = await start("--link", str(tmp_path / "modem"), "--profile", "huawei")
    try:
        modem = await Modem.open(ModemConfig(device, 115200, timeouts=TIMEOUTS))
        try:
            await modem.initialise()
            await modem.send_sms("+15557654321", "to stdout")
        finally:
            await modem.close()
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 10.0)
        assert json.loads(line)["text"] == "to stdout"
    finally:
        assert await stop(process, signal.SIGINT) == 0


async def test_bad_script_is_refused_with_the_line(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("delay 1\nexplode now\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "listener", "simulate-modem", "--script", str(script),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 20.0)
    assert process.returncode == 2
    assert "line 2: unknown action 'explode'" in stderr.decode()


async def test_a_scripted_reply_mid_campaign_and_reports_on_every_part(tmp_path: Path) -> None:
    script = tmp_path / "demo.txt"
    script.write_text('after 1 sent reply +15557654321 "STOP"\n', encoding="utf-8")
    process, device = await start(
        "--link", str(tmp_path / "modem"), "--record", str(tmp_path / "sent.jsonl"), "--script", str(script),
        "--status-reports", "0", "--status-report-delay", "0.1", "--next-reference", "255",
    )  # fmt: skip
    try:
        modem = await Modem.open(ModemConfig(device, 115200, timeouts=TIMEOUTS))
        try:
            await modem.initialise()
            result = await modem.send_sms("+15551234567", "bubble 1 " * 20)  # two parts
            assert result.reference == "255,0"
            notices: list[StoredNotice] = []
            while len(notices) < 3:  # the reply after the first message, a report for each part
                event = await asyncio.wait_for(modem.inbound.get(), 10.0)
                if isinstance(event, StoredNotice):
                    notices.append(event)
            assert sorted((n.kind, n.memory) for n in notices) == [
                ("deliver", "SM"),
                ("status-report", "SR"),
                ("status-report", "SR"),
            ]
            reply = next(n for n in notices if n.kind == "deliver")
            stored = await modem.read_stored(reply.memory, reply.index)
            assert stored is not None
            assert deliver_fields(stored.pdu_hex)[:2] == ("+15557654321", "STOP")
        finally:
            await modem.close()
    finally:
        assert await stop(process) == 0


async def test_a_known_sim_is_what_the_driver_reads(tmp_path: Path) -> None:
    """--imsi / --iccid / --sim-number: a bank of simulators on one box stands for SIMs you chose."""
    process, device = await start(
        "--link", str(tmp_path / "modem"), "--profile", "huawei",
        "--imsi", "310260000000123", "--iccid", "8901260000000001239", "--sim-number", "+12095550123",
    )  # fmt: skip
    try:
        modem = await Modem.open(ModemConfig(device, 115200, timeouts=TIMEOUTS))
        try:
            await modem.initialise()
            identity = await modem.read_identity()
        finally:
            await modem.close()
    finally:
        assert await stop(process) == 0
    assert (identity.imsi, identity.iccid, identity.own_number) == (
        "310260000000123",
        "8901260000000001239",
        "+12095550123",
    )


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--imsi", "31026000000012X", "is not an IMSI"),
        ("--iccid", "8901", "is not an ICCID"),
        ("--sim-number", "2095550123", "is not a +E.164 number"),
    ],
)
async def test_a_bad_sim_option_is_refused_naming_it(option: str, value: str, problem: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "listener", "simulate-modem", option, value,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 20.0)
    assert process.returncode == 2
    assert not out
    assert problem in err.decode()
    assert option in err.decode()
