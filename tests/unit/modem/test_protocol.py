"""Line and prompt framing, fed the same bytes cut at every possible point."""

from __future__ import annotations

import pytest

from listener.modem.protocol import MAX_LINE, LineFramer

PROMPT = "<prompt>"

#: A send as a Huawei stick answers it with echo on and an unsolicited ^RSSI before the prompt.
STREAM = b"AT+CMGS=23\r\r\n^RSSI: 17\r\n\r\n> 0011000B91\x1a\r\n+CMGS: 12\r\n\r\nOK\r\n"
EXPECTED = ["AT+CMGS=23", "^RSSI: 17", PROMPT, "0011000B91\x1a", "+CMGS: 12", "OK"]


def frame(chunks: list[bytes]) -> list[str]:
    out: list[str] = []
    framer = LineFramer(out.append, lambda: out.append(PROMPT))
    for chunk in chunks:
        framer.feed(chunk)
    return out


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_one_cut_anywhere_gives_the_same_lines(cut: int) -> None:
    assert frame([STREAM[:cut], STREAM[cut:]]) == EXPECTED


@pytest.mark.parametrize("first", range(0, len(STREAM), 5))
def test_two_cuts_give_the_same_lines(first: int) -> None:
    for second in range(first, len(STREAM) + 1):
        assert frame([STREAM[:first], STREAM[first:second], STREAM[second:]]) == EXPECTED


def test_byte_by_byte() -> None:
    assert frame([bytes([b]) for b in STREAM]) == EXPECTED


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"OK\r\n", ["OK"]),
        (b"OK\r", ["OK"]),  # bare CR
        (b"OK\n", ["OK"]),  # bare LF
        (b"\r\n\r\n\r\n", []),  # blank lines are dropped
        (b"\r\n>", [PROMPT]),  # prompt without the space
        (b"\r\n> ", [PROMPT]),
        (b"+CMGS: 5", []),  # an unfinished line waits for its end
        (b">foo\r\n", [">foo"]),  # a line that starts with '>' is not a prompt
    ],
)
def test_line_endings_and_prompts(data: bytes, expected: list[str]) -> None:
    assert frame([data]) == expected


def test_endless_garbage_is_cut_into_bounded_lines() -> None:
    out = frame([b"x" * (MAX_LINE + 10)])
    assert out == ["x" * (MAX_LINE + 10)]
    assert frame([b"y" * 10]) == []
