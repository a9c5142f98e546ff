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
