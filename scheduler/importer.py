"""Reads a campaign CSV (customer_name, phone_number, message) and validates every row before anything is written.

Why validate everything first: an operator fixing a file wants the whole list of problems at once, each
with its line number and reason, and wants a file with a bad row to change nothing (unless they ask to
skip the bad rows). A message is refused for exactly the reasons the database refuses it at insert
(sms_common.bubbles: the exact `[BUBBLE]` marker, no empty bubble, the length limits), so a file the
importer accepts is one the database accepts. Phone numbers are parsed with `phonenumbers` (default
region US) and stored as E.164, the form the database's check constraint accepts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

from sms_common.bubbles import TRIMMED, bubble_problem
from sms_common.errors import SmsSchedulerError

REQUIRED_COLUMNS = ("customer_name", "phone_number", "message")
DEFAULT_REGION = "US"


class ImportFileError(SmsSchedulerError):
    """The file as a whole cannot be read (missing, not UTF-8, no header, missing columns)."""


@dataclass(frozen=True)
class CampaignRow:
    """One valid row, ready to insert."""

    line: int
    customer_name: str | None
    phone_number: str
    message_content: str


@dataclass(frozen=True)
class RowProblem:
    """Why one row was refused."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ParsedFile:
    rows: tuple[CampaignRow, ...]
    problems: tuple[RowProblem, ...]
    #: (line, first line): rows that repeat an earlier row's number and text; imported once.
    repeats: tuple[tuple[int, int], ...] = ()

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.problems) + len(self.repeats)


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """`(209) 555-0101` -> `+12095550101`; raises ValueError with the reason when it is not a valid number."""
    text = raw.strip()
    if not text:
        raise ValueError("empty phone number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"malformed phone number {text!r} ({exc._msg})") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"malformed phone number {text!r} (not a valid number for its region)")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def parse_rows(lines: Iterable[str], region: str = DEFAULT_REGION) -> ParsedFile:
    """Validate CSV text (header first); every bad row becomes a RowProblem naming its line."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(
            "the file is empty: expected a header line customer_name,phone_number,message"
        ) from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: unreadable CSV header ({exc})") from exc
    names = [name.strip().lower() for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise ImportFileError(
            f"line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(header is {','.join(header)!r}; expected {','.join(REQUIRED_COLUMNS)})"
        )
    index = {column: names.index(column) for column in REQUIRED_COLUMNS}

    rows: list[CampaignRow] = []
    problems: list[RowProblem] = []
    repeats: list[tuple[int, int]] = []
    first_seen: dict[tuple[str, str], int] = {}
    previous_end = reader.line_num
    while True:
        line = previous_end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(line, f"unreadable CSV ({exc})"))
            break
        previous_end = reader.line_num
        if not record or all(not field.strip() for field in record):
            continue  # blank lines are not rows
        absent = [column for column, position in index.items() if position >= len(record)]
        if absent:
            problems.append(
                RowProblem(
                    line,
                    f"missing column{'s' if len(absent) > 1 else ''} {', '.join(absent)} "
                    f"(the row has {len(record)} field{'s' if len(record) != 1 else ''}, the header {len(header)})",
                )
            )
            continue
        reasons: list[str] = []
        phone = ""
        try:
            phone = normalise_phone(record[index["phone_number"]], region)
        except ValueError as exc:
            reasons.append(str(exc))
        raw = record[index["message"]]
        message_problem = bubble_problem(raw)  # on the text as written: positions are the file's
        if message_problem:
            reasons.append(message_problem)
        if reasons:
            problems.append(RowProblem(line, "; ".join(reasons)))
            continue
        # Trimming the whole text as each bubble is trimmed changes no bubble; it makes the repeat key fair.
        key = (phone, raw.strip(TRIMMED))
        if key in first_seen:
            repeats.append((line, first_seen[key]))
            continue
        first_seen[key] = line
        name = record[index["customer_name"]].strip() or None
        rows.append(CampaignRow(line=line, customer_name=name, phone_number=phone, message_content=key[1]))
    return ParsedFile(rows=tuple(rows), problems=tuple(problems), repeats=tuple(repeats))


def parse_csv_text(text: str, region: str = DEFAULT_REGION) -> ParsedFile:
    """Validate CSV text; a leading byte-order mark (Excel's UTF-8 export) is ignored."""
    return parse_rows(io.StringIO(text.removeprefix("\ufeff"), newline=""), region)


def parse_csv_file(path: Path, region: str = DEFAULT_REGION) -> ParsedFile:
    """Read and validate a CSV file (UTF-8, a byte-order mark from Excel is fine)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path}: line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from exc
    return parse_csv_text(text, region)
