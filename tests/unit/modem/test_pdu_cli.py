"""`python -m listener decode-pdu` as a subprocess: one JSON object on stdout, or exit 2 and a
one-line reason on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "listener", "decode-pdu", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_deliver_with_smsc_prints_one_json_object() -> None:
    # gammu tests/at-sms/07.dump
    done = _run("0791534850020200040C9153486507895500006090608164138004D4F29C0E")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert json.loads(done.stdout) == {
        "type": "deliver",
        "sender": "+358456709855",
        "text": "Test",
        "timestamp": "2006-09-06T18:46:31+02:00",
        "concat": None,
        "encoding": "gsm7",
        "smsc": "+358405202000",
        "warnings": [],
    }


def test_status_report_without_smsc() -> None:
    # http://amro.blogspot.com/2007/09/receiving-sms-status-report-message.html
    done = _run("--no-smsc", "06000B910221815716F2709021510121807090215101718000")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["type"], out["recipient"], out["reference"], out["status"]) == (
        "status-report",
        "+20121875612",
        0,
        0,
    )
    assert out["discharge_time"] == "2007-09-12T15:10:17+02:00"


def test_unicode_text_is_printed_as_utf8() -> None:
    # ModemManager test_pdu2 (src/tests/test-sms-part-3gpp.c)
    done = _run("07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442")
    assert done.returncode == 0, done.stderr
    assert '"text": "тест"' in done.stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["0791534850020200040C91534865"], "malformed PDU: PDU ends too early in TP-OA (needs 6 octets, 3 left)\n"),
        (["zz"], "malformed PDU: not hex: 'z' at position 0\n"),
        # a PDU with the SMSC field decoded as if it had none
        (["--no-smsc", "0791534850020200040C9153486507895500006090608164138004D4F29C0E"],
         "malformed PDU: first octet 07: TP-MTI 3 is reserved\n"),
    ],
)  # fmt: skip
def test_malformed_exits_2_with_one_line(args: list[str], reason: str) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == reason
