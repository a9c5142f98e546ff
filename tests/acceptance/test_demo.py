"""`make demo`'s engine (`python -m demo`) run as a user runs it: the whole campaign goes out inside the
window, the night is skipped, the timeline is printed, and nothing is left running, twice in a row. The
simulated network plays the customers: one replies STOP after their first bubble (the rest is
cancelled, the confirmation goes out), one asks to stop before their text is due (it is never queued),
one answers in context, and every part sent is reported delivered.

Six customers keep it short; the full 24-customer run is the same code with more rows.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from demo.services import DemoPaths, stop_leftovers
from tests.harness import REPO_ROOT

PACIFIC = ZoneInfo("America/Los_Angeles")
CUSTOMERS = 6


@pytest.fixture
def demo_home() -> Iterator[Path]:
    # Not pytest's tmp_path (0700): as root, the server's OS user must be able to traverse into it.
    base = Path(tempfile.mkdtemp(prefix="sms-demo-"))
    base.chmod(0o711)
    home = base / "demo"
    try:
        yield home
    finally:
        stop_leftovers(DemoPaths(home))  # only matters when a run was killed (timeout)
        shutil.rmtree(base, ignore_errors=True)


def _run_demo(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "demo", "--customers", str(CUSTOMERS), "--home", str(home)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
        env=os.environ | {"COLUMNS": "200", "NO_COLOR": "1"},
    )


def _processes_of(home: Path) -> list[str]:
    """Processes started for this demo home: by command line (server, simulator) or environment (listener)."""
    marker = str(home).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if state != "Z" and (marker in cmdline or marker in environ):
            found.append(proc.name + ": " + cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def _show(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit {result.returncode}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr[-5000:]}"
    )


def _check_summary(home: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((home / "summary.json").read_text(encoding="utf-8"))
    assert summary["all_sent"] is True
    assert summary["heard"] is True
    story = summary["story"]
    assert len(story["opted_out"]) == 2, story
    timeline = summary["timeline"]
    assert len(timeline) == CUSTOMERS
    stopped = [row for row in timeline if row["customer_name"] in story["opted_out"]]
    assert [row["status"] for row in stopped] == ["cancelled", "cancelled"]
    [mid] = [row for row in stopped if row["customer_name"] == story["mid_stop"]]
    [early] = [row for row in stopped if row["customer_name"] == story["early_stop"]]
    assert mid["bubbles"] >= 2
    assert mid["bubbles_delivered"] == 1, "bubble 1 went out, the rest did not"
    assert "partially sent: 1 of" in mid["error_message"]
    assert "opted out" in mid["error_message"]
    assert early["bubbles"] == 0, "never queued"
    assert "opted out" in early["error_message"]
    scheduled = [datetime.fromisoformat(row["scheduled_for"]) for row in timeline]
    for earlier, later in itertools.pairwise(scheduled):
        # The seed's spacing: at least 4 minutes between consecutive scheduled messages.
        assert later - earlier >= timedelta(minutes=4), (earlier, later)
    timeline = [row for row in timeline if row not in stopped]
    scheduled = [datetime.fromisoformat(row["scheduled_for"]) for row in timeline]
    sent = [datetime.fromisoformat(row["sent_at"]) for row in timeline]
    for row, when_scheduled, when_sent in zip(timeline, scheduled, sent, strict=True):
        assert row["status"] == "sent", row
        assert when_sent >= when_scheduled, row
        local = when_sent.astimezone(PACIFIC)
        # Inside the Monday-Friday 09:00-20:00 window (plus the 5-minute grace for a started message).
        assert local.isoweekday() <= 5, row
        assert time(9, 0) <= local.time() <= time(20, 5), row
        assert when_sent - when_scheduled < timedelta(hours=14), row
        assert row["bubbles_delivered"] == row["bubbles"], row
        assert row["delivery_status"] == "delivered", row
    # The window closed during the run: some went out in the evening, the rest the next morning.
    days = sorted({moment.astimezone(PACIFIC).date() for moment in sent})
    assert len(days) == 2, days
    assert days[1] - days[0] == timedelta(days=1)
    assert len(summary["jumps"]) == 1
    counts = summary["counts"]
    assert counts["scheduled_messages"] == {"sent": CUSTOMERS - 2, "cancelled": 2}
    assert counts["campaign_messages"] == {"sent": CUSTOMERS - 2, "cancelled": 2}
    bubbles = sum(int(row["bubbles"]) for row in timeline) + 1  # and the STOP customer's bubble 1
    assert counts["messages"] == {"sent": bubbles, "cancelled": mid["bubbles"] - 1}
    received = summary["received"]
    assert received["sms"] == bubbles + 2, "and one confirmation to each customer who opted out"
    # Replies in context: the answer and the mid-campaign STOP name the message they answer.
    replies = {reply["body"]: reply for reply in summary["replies"]}
    assert set(replies) == {r["text"] for r in story["replies"]}
    assert replies["STOP"]["action"] == "opt_out"
    assert replies["STOP"]["in_reply_to"]
    assert replies["STOP"]["reply_status"] == "sent", "the confirmation went out"
    answer = next(r for r in summary["replies"] if r["action"] == "none")
    assert answer["in_reply_to"]
    assert answer["customer_name"] == timeline[0]["customer_name"]
    assert sorted(o["phone_number"] for o in summary["opt_outs"]) == sorted(
        r["phone_number"] for r in stopped
    )
    deliveries = summary["deliveries"]
    assert deliveries["pending"] == 0
    assert deliveries["failed"] == 0
    assert deliveries["delivered"] == deliveries["sent"] == bubbles + 2, deliveries
    return summary


@pytest.mark.slow
def test_demo_sends_the_campaign_and_leaves_nothing_running_twice(demo_home: Path) -> None:
    first = _run_demo(demo_home)
    assert first.returncode == 0, _show(first)
    out = first.stdout
    assert "faster" in out, _show(first)
    assert "libfaketime" in out
    prose = " ".join(out.replace("│", " ").split())  # the explanation is in a panel, wrapped
    assert "calls process_scheduled_messages_safe() itself every fake minute" in prose
    assert "moves the database clock" in out
    assert "Timeline (Pacific time)" in out
    assert "Final status counts" in out
    assert "nothing is left running" in out
    # The customers, on screen: the STOP mid-campaign and its confirmation, a reply in context, reports.
    assert "replies STOP after bubble 1" in out
    assert "reply    " in out
    assert '"STOP" -> opted out' in out
    assert "opt out confirmation sent to" in out
    assert "(in reply to" in out
    assert "Replies, in context" in out
    assert "Delivery reports:" in out
    assert "(delivery reports)" in out
    summary = _check_summary(demo_home)
    # The sample has a bubble longer than 160 characters and one with emoji (UCS-2).
    received = summary["received"]
    assert received["ucs2"] >= 1, received
    assert any(m["parts"] > 1 for m in received["multipart"]), received
    assert _processes_of(demo_home) == []

    second = _run_demo(demo_home)
    assert second.returncode == 0, _show(second)
    _check_summary(demo_home)
    assert _processes_of(demo_home) == []
