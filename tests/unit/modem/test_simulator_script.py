"""The simulator's fault script: parsed into timed steps, bad lines named with their number."""

from __future__ import annotations

import pytest

from listener.modem.simulator import ScriptStep, SimulatorError, parse_script


def test_steps_are_parsed_and_sorted_by_time() -> None:
    steps = parse_script(
        """
        # a modem having a bad day
        at 2 unplug 1.5
        cms-error 38 2 1          # third and fourth sends fail
        at 0.5 unsolicited "^RSSI: 3" RING
        flood "+CMTI: \\"SM\\",1" 0.1
        """
    )
    assert steps == [
        ScriptStep(0.0, "cms-error", ("38", "2", "1"), 4),
        ScriptStep(0.0, "flood", ('+CMTI: "SM",1', "0.1"), 6),
        ScriptStep(0.5, "unsolicited", ("^RSSI: 3", "RING"), 5),
        ScriptStep(2.0, "unplug", ("1.5",), 3),
    ]


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("explode", "line 1: unknown action 'explode'"),
        ("\n\ncms-error", "line 3: cms-error takes 1..3 arguments, got 0"),
        ("delay soon", "line 1: delay expects numbers, got 'soon'"),
        ("at noon silent", "line 1: `at` needs a number of seconds"),
        ("at 3", "line 1: no action after `at`"),
        ('urc "unclosed', "line 1: No closing quotation"),
        ("silent-after-body maybe", "line 1: silent-after-body on|off"),
        ("flood RING", "line 1: flood <line> <interval>, or flood off"),
    ],
)
def test_bad_lines_are_named(script: str, problem: str) -> None:
    with pytest.raises(SimulatorError, match=problem):
        parse_script(script)


def test_network_steps_and_after_sent() -> None:
    steps = parse_script(
        """
        after 2 sent reply +15557654321 "STOP please"
        at 1 reply Verizon "Your bill is ready" direct
        after 1 sent report 17 0
        pdu 0791FFFF0400
        auto-reports 70
        reports
        """
    )
    assert steps == [
        ScriptStep(0.0, "reply", ("+15557654321", "STOP please"), 2, after_sent=2),
        ScriptStep(0.0, "report", ("17", "0"), 4, after_sent=1),
        ScriptStep(0.0, "pdu", ("0791FFFF0400",), 5),
        ScriptStep(0.0, "auto-reports", ("70",), 6),
        ScriptStep(0.0, "reports", (), 7),
        ScriptStep(1.0, "reply", ("Verizon", "Your bill is ready", "direct"), 3),
    ]


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("after two sent reply +1555 hi", "line 1: `after <n> sent` needs a whole number"),
        ("reply +15557654321", "line 1: reply takes 2..3 arguments, got 1"),
        ("reply +15557654321 hi loudly", r"line 1: reply <sender> <text> \[stored\|direct\|silent\]"),
        ("report soon 0", "line 1: report expects numbers, got 'soon'"),
        ("auto-reports sometimes", r"line 1: auto-reports <status>\|off"),
    ],
)
def test_bad_network_steps_are_named(script: str, problem: str) -> None:
    with pytest.raises(SimulatorError, match=problem):
        parse_script(script)
