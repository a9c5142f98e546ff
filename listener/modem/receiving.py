"""Receiving: where the modem stores new messages and delivery reports, how it announces them, and
reading them back (3GPP TS 27.005 §3.4-3.5).

The aim is "stored and announced": `AT+CNMI=<mode>,1,0,2,<bfr>` makes the modem keep every new SMS
in its memory and say `+CMTI: "SM",<index>`, and keep every status report and say
`+CDSI: "SR",<index>`. A stored message needs no `+CNMA`, and it survives a listener that was down:
`AT+CMGL=4` at start-up finds it. So the listener reads it, commits it to the database, and only then
deletes it. Where a modem cannot store (what `AT+CNMI=?` offers decides, with fallbacks when it does
not answer), it delivers directly (`+CMT` / `+CDS` with the PDU on the next line); if the modem runs
phase 2+ (`AT+CSMS?` service 1), every direct delivery is acknowledged with `AT+CNMA`, or the network
sends it again (Kannel users saw duplicates from late acknowledgements).

A modem that supports none of it still sends: reception is then off, and the health snapshot says why
(`ModemHealth.reception`). Everything here reads in PDU mode, whatever mode sends.

Announcements come out as typed events on one queue (`InboundEvent`); the reads run under the
driver's sequence lock (`driver.Modem`), so they never land between the parts of a long SMS. The
acknowledgement is the exception: it is one command that must go out within seconds, so it takes only
the dialogue's lock (it may sit between two parts of a long SMS, which harms nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from listener.modem.codes import info_for_final
from listener.modem.config import ModemConfig
from listener.modem.dialogue import CommandFailedError, UnsolicitedEvent, is_hex, is_pdu_header
from listener.modem.errors import ModemError
from listener.modem.health import ModemState, fields
from listener.modem.link import ModemLink
from listener.modem.sending import Sender
from sms_common.logs import get_logger

log = get_logger(__name__)

Kind = Literal["deliver", "status-report"]

#: Where new messages are kept, best first: the SIM ("SM"), else the modem's own memory.
STORAGE_PREFERENCE = ("SM", "ME", "MT")
#: The memory status reports go to on modems that keep them apart.
REPORT_MEMORY = "SR"
#: `+CMS ERROR: 321` invalid memory index: the slot is empty (or gone), as several modems say it.
_INVALID_INDEX = 321


# -- what comes out ---------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StoredSms:
    """One message or status report in a modem memory, as AT+CMGL/AT+CMGR show it.

    `stat`: 0 received unread, 1 received read (2, 3 stored unsent / sent). `pdu_hex` starts with the
    SMSC field, as the modem shows it (decode with `with_smsc=True`)."""

    memory: str
    index: int
    stat: int
    pdu_hex: str


@dataclass(frozen=True)
class StoredNotice:
    """`+CMTI: "SM",3` (kind "deliver") or `+CDSI: "SR",1` (kind "status-report"): read it with
    `read_stored(memory, index)`, store it, then `delete_stored(memory, index)`."""

    memory: str
    index: int
    kind: Kind
    received_at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class DirectPdu:
    """`+CMT: ,<len>` / `+CDS: <len>` and the PDU (with its SMSC field): not stored anywhere, so this
    event is the only copy. Already acknowledged with AT+CNMA when the modem wanted that."""

    kind: Kind
    pdu_hex: str
    received_at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class ReceptionStarted:
    """Reception was (re)configured on a freshly initialised modem. Nothing was announced before this
    moment (the modem was down, or was being re-opened): run `list_stored()` now.

    `announced` is False when this modem will not announce new messages (AT+CNMI refused, or only
    mt=0 accepted): then only listing finds them, so list before every claim, not every few minutes."""

    memories: tuple[str, ...]
    announced: bool = True
    received_at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class StorageFull:
    """A memory in use is full: the network holds further messages until something is deleted.
    `used`/`total` are None when the modem only said so (Huawei `^SMMEMFULL`)."""

    memory: str
    used: int | None
    total: int | None
    received_at: datetime = field(default_factory=_now)


InboundEvent = StoredNotice | DirectPdu | ReceptionStarted | StorageFull


# -- AT+CNMI ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indications:
    """One AT+CNMI setting: <mode>,<mt>,<bm>,<ds>,<bfr>."""

    mode: int
    mt: int
    bm: int
    ds: int
    bfr: int

    @property
    def command(self) -> str:
        return f"AT+CNMI={self.mode},{self.mt},{self.bm},{self.ds},{self.bfr}"

    @property
    def deliveries(self) -> Literal["stored", "direct", "polled"]:
        """mt=1 stored and announced, mt=2/3 directly, mt=0 stored silently (only AT+CMGL finds them)."""
        if self.mode == 0 or self.mt not in (1, 2, 3):
            return "polled"  # mode 0: indications kept in the modem's buffer, never shown
        return "stored" if self.mt == 1 else "direct"

    @property
    def reports(self) -> Literal["stored", "direct", "off"]:
        if self.ds == 2:
            return "stored"  # announced with +CDSI, or with mode 0 found only by AT+CMGL
        return "direct" if self.ds == 1 and self.mode != 0 else "off"

    @property
    def direct(self) -> bool:
        return self.deliveries == "direct" or self.reports == "direct"


#: Tried in order when AT+CNMI=? gives no answer (most modems accept one of these).
_FALLBACK_MODES = (2, 1)
_FALLBACK_MT = (1, 2)


def parse_ranges(value: str) -> list[frozenset[int]]:
    """`(0-3),(0,1,2),(0,2),0,(0,1)` (the answer to AT+CNMI=?) -> the values allowed per parameter."""
    groups: list[str] = []
    depth = 0
    current = ""
    for char in value:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            groups.append(current)
            current = ""
            continue
        current += char
    groups.append(current)
    result: list[frozenset[int]] = []
    for group in groups:
        values: set[int] = set()
        for item in group.strip().strip("()").split(","):
            item = item.strip()
            low, dash, high = item.partition("-")
            if dash and low.strip().isdigit() and high.strip().isdigit():
                values.update(range(int(low), int(high) + 1))
            elif item.isdigit():
                values.add(int(item))
        result.append(frozenset(values))
    return result


def indication_candidates(supported: Sequence[frozenset[int]] | None, *, reports: bool) -> list[Indications]:
    """The AT+CNMI settings to try, best first: stored deliveries before direct ones, stored reports
    before direct ones before none, mode 2 (buffer while the link is busy) before 1, 3, 0.
    `supported` is the parsed AT+CNMI=? answer (None: unknown, try the common settings)."""
    ds_wanted = (2, 1, 0) if reports else (0,)
    if supported is None or len(supported) < 2:
        return [
            Indications(mode, mt, 0, ds, 0)
            for mt, ds, mode in itertools.product(_FALLBACK_MT, ds_wanted, _FALLBACK_MODES)
        ]

    def allowed(position: int, preference: Iterable[int], default: int = 0) -> list[int]:
        if position >= len(supported) or not supported[position]:
            return [default]
        return [v for v in preference if v in supported[position]]

    modes = allowed(0, (2, 1, 3, 0))
    mts = allowed(1, (1, 2, 3, 0))
    bms = allowed(2, (0, *range(1, 4))) or [min(supported[2])]
    dss = allowed(3, ds_wanted) or [min(supported[3])]
    bfrs = allowed(4, (0, 1)) or [min(supported[4])]
    return [Indications(mode, mt, bms[0], ds, bfrs[0]) for mt, ds, mode in itertools.product(mts, dss, modes)]


# -- AT+CPMS ----------------------------------------------------------------------------------------


def parse_memory_lists(value: str) -> list[tuple[str, ...]]:
    """`("SM","ME","SR"),("SM","ME"),("SM","ME")` -> the memories allowed for mem1, mem2, mem3."""
    groups = re.findall(r"\(([^)]*)\)", value)
    if not groups:  # one memory per parameter, without parentheses
        return [(name,) for name in fields(value) if name]
    return [tuple(name for name in fields(group) if name) for group in groups]


def parse_usage(value: str) -> list[tuple[str | None, int, int]]:
    """`"SM",3,30,"SM",3,30,...` (AT+CPMS?) or `3,30,3,30,...` (AT+CPMS=...) -> (memory, used, total)."""
    parts = [p.strip() for p in value.split(",")]
    result: list[tuple[str | None, int, int]] = []
    i = 0
    while i < len(parts):
        name: str | None = None
        if not parts[i].lstrip("-").isdigit():
            name = parts[i].strip('"')
            i += 1
        if i + 1 < len(parts) and parts[i].isdigit() and parts[i + 1].isdigit():
            result.append((name, int(parts[i]), int(parts[i + 1])))
            i += 2
        else:
            break
    return result


# -- AT+CMGL / AT+CMGR ------------------------------------------------------------------------------


def with_smsc(pdu_hex: str, length: str) -> str:
    """The PDU with its SMSC field, upper case. <length> counts the TPDU only, so a PDU exactly that
    long came without the field (some modems, mostly in +CDS): `00` (none given) is put in front, and
    every PDU handed out can be decoded the same way (`with_smsc=True`)."""
    text = pdu_hex.strip().upper()
    if length.isdigit() and is_hex(text) and len(text) // 2 == int(length) > 0:
        return "00" + text
    return text


def _header_fields(value: str) -> list[str]:
    return [f.strip().strip('"') for f in value.split(",")]


def parse_listing(memory: str, lines: Sequence[str]) -> list[StoredSms]:
    """`+CMGL: <index>,<stat>,[<alpha>],<length>` each followed by its PDU line (PDU mode)."""
    result: list[StoredSms] = []
    header: list[str] | None = None
    for line in lines:
        if line.upper().startswith("+CMGL:"):
            if header is not None:
                log.warning("modem_cmgl_entry_without_pdu", memory=memory, index=header[0])
            header = _header_fields(line[6:])
            continue
        if header is None:
            log.warning("modem_cmgl_stray_line", memory=memory)
            continue
        if header[0].isdigit():
            stat = int(header[1]) if len(header) > 1 and header[1].isdigit() else 0
            result.append(StoredSms(memory, int(header[0]), stat, with_smsc(line, header[-1])))
        header = None
    return result


def parse_read(memory: str, index: int, lines: Sequence[str]) -> StoredSms | None:
    """`+CMGR: <stat>,[<alpha>],<length>` and the PDU; no header, or a header without a PDU line
    (`+CMGR: 0,,0`), is an empty slot. The PDU is returned as it is, even if <length> disagrees."""
    for position, line in enumerate(lines):
        if not line.upper().startswith("+CMGR:"):
            continue
        header = _header_fields(line[6:])
        if position + 1 >= len(lines):
            return None
        stat = int(header[0]) if header[0].isdigit() else 0
        return StoredSms(memory, index, stat, with_smsc(lines[position + 1], header[-1]))
    return None


def _is_invalid_index(exc: CommandFailedError) -> bool:
    info = info_for_final(exc.response.final)
    return info.kind == "CMS" and info.code == _INVALID_INDEX


# -- the receiver -----------------------------------------------------------------------------------


class Receiver:
    """Reception of one opened modem: its configuration, its reads, and its announcements.

    Built by `driver.Modem`; `configure()` runs in the bring-up, `on_event()` for every unsolicited
    code, the reads under the driver's sequence lock."""

    def __init__(
        self,
        link: ModemLink,
        state: ModemState,
        sender: Sender,
        config: ModemConfig,
        inbound: asyncio.Queue[InboundEvent],
    ) -> None:
        self._link = link
        self._state = state
        self._sender = sender
        self._config = config
        self.inbound = inbound
        #: The CNMI setting in force (None: reception off).
        self.indications: Indications | None = None
        #: Where new messages are stored (mem3), and the memories AT+CMGL=4 goes through.
        self.storage: str | None = None
        self.memories: tuple[str, ...] = ()
        #: Whether each direct delivery must be acknowledged with AT+CNMA (AT+CSMS? service 1).
        self.needs_ack = False
        self._read_memory: str | None = None
        self._switchable = False
        self._acks: set[asyncio.Task[None]] = set()

    @property
    def _deadline(self) -> float:
        return self._config.timeouts.command

    # -- configuration -----------------------------------------------------------------------------

    async def configure(self) -> None:
        """AT+CPMS (memories), AT+CNMI (indications), AT+CSMS? where direct delivery needs it.

        Never raises for a refusal (the modem still sends; `state.reception` says what is off);
        ModemNotRespondingError passes through (the link is out of step)."""
        self.indications = None
        self._state.reception = "off: being configured"
        await self._sender.set_format("pdu")  # the URCs and the reads below are in PDU mode
        await self._choose_memories()
        supported = await self._query_indications()
        chosen = await self._set_indications(supported)
        if chosen is None:
            self._state.reception = "off: the modem refused every AT+CNMI setting (nothing is announced)"
            log.warning("modem_reception_off", port=self._link.port, reason=self._state.reception)
            if self.memories:
                self._put(ReceptionStarted(self.memories, announced=False))  # AT+CMGL still finds them
            return
        self.indications = chosen
        if chosen.direct:
            await self._check_ack_needed()
        self._state.reception = self.describe()
        log.info(
            "modem_reception_configured",
            port=self._link.port,
            cnmi=chosen.command,
            storage=self.storage,
            memories=list(self.memories),
            ack=self.needs_ack,
        )
        self._put(ReceptionStarted(self.memories, announced=chosen.deliveries != "polled"))

    def describe(self) -> str:
        """For the health snapshot: `stored in SM (+CMTI), reports stored in SR (+CDSI)`."""
        chosen = self.indications
        if chosen is None:
            return self._state.reception
        where = self.storage or "the default memory"
        deliveries = {
            "stored": f"stored in {where} (+CMTI)",
            "direct": "direct (+CMT" + (", acknowledged with +CNMA)" if self.needs_ack else ")"),
            "polled": f"stored in {where}, not announced (AT+CMGL only)",
        }[chosen.deliveries]
        report_memory = REPORT_MEMORY if REPORT_MEMORY in self.memories else where
        reports = {
            "stored": f"reports stored in {report_memory} (+CDSI)",
            "direct": "reports direct (+CDS" + (", acknowledged with +CNMA)" if self.needs_ack else ")"),
            "off": "no reports" if self._config.status_reports else "reports not asked for",
        }[chosen.reports]
        return f"{deliveries}, {reports}; {chosen.command}"

    async def _choose_memories(self) -> None:
        """The storage memory (SM, else ME, else MT) for all three CPMS memories, plus SR to list."""
        self.storage, self.memories, self._switchable = None, (), False
        try:
            response = await self._link.command("AT+CPMS=?", deadline=self._deadline, expect="+CPMS")
            lists = parse_memory_lists(response.value("+CPMS") or "")
        except CommandFailedError as exc:
            log.warning("modem_cpms_list_refused", answer=exc.response.final)
            lists = []
        readable = lists[0] if lists else ()
        receivable = lists[2] if len(lists) > 2 else readable
        for memory in STORAGE_PREFERENCE:
            if memory not in receivable or memory not in readable:
                continue
            try:
                response = await self._link.command(
                    f'AT+CPMS="{memory}","{memory}","{memory}"', deadline=self._deadline, expect="+CPMS"
                )
            except CommandFailedError as exc:
                log.warning("modem_cpms_refused", memory=memory, answer=exc.response.final)
                continue
            self.storage = self._read_memory = memory
            self._switchable = True
            self._note_usage(memory, response.value("+CPMS"))
            break
        if self.storage is None:
            # No list, or every set refused: keep whatever the modem uses now, and never switch.
            usage: list[tuple[str | None, int, int]] = []
            try:
                query = await self._link.command("AT+CPMS?", deadline=self._deadline, expect="+CPMS")
                usage = parse_usage(query.value("+CPMS") or "")
            except CommandFailedError as exc:
                log.warning("modem_cpms_query_refused", answer=exc.response.final)
            if usage and usage[0][0] is not None:
                self.storage = usage[-1][0] or usage[0][0]
                self._read_memory = usage[0][0]
                for name, used, total in usage:
                    if name is not None:
                        self._state.storage[name] = (used, total)
            else:
                # A modem without AT+CPMS: read wherever it stores, never switch. Named "SM", the SIM,
                # where such (old) modems keep messages; the notices' own names are used for reads.
                self.storage = "SM"
        memories = [self.storage] if self.storage else []
        if self._config.status_reports and REPORT_MEMORY in readable and self._switchable:
            memories.append(REPORT_MEMORY)  # reports left in SR are read too (gammu #408)
        self.memories = tuple(memories)

    async def _query_indications(self) -> list[frozenset[int]] | None:
        try:
            response = await self._link.command("AT+CNMI=?", deadline=self._deadline, expect="+CNMI")
        except CommandFailedError as exc:
            log.warning("modem_cnmi_list_refused", answer=exc.response.final)
            return None
        value = response.value("+CNMI")
        return parse_ranges(value) if value else None

    async def _set_indications(self, supported: list[frozenset[int]] | None) -> Indications | None:
        for candidate in indication_candidates(supported, reports=self._config.status_reports):
            try:
                await self._link.command(candidate.command, deadline=self._deadline)
            except CommandFailedError as exc:
                log.warning("modem_cnmi_setting_refused", cnmi=candidate.command, answer=exc.response.final)
                continue
            return candidate
        return None

    async def _check_ack_needed(self) -> None:
        """AT+CSMS? `<service>,...`: service 1 (phase 2+) wants AT+CNMA for every direct delivery."""
        self.needs_ack = False
        try:
            response = await self._link.command("AT+CSMS?", deadline=self._deadline, expect="+CSMS")
        except CommandFailedError as exc:
            log.warning("modem_csms_refused", answer=exc.response.final)
            return
        service = fields(response.value("+CSMS") or "")[0]
        self.needs_ack = service == "1"

    # -- reads -------------------------------------------------------------------------------------

    async def use_memory(self, memory: str, *, refresh: bool = False) -> None:
        """Point mem1 (read, list, delete) at `memory` with AT+CPMS="<memory>" when it is elsewhere."""
        if not refresh and memory == self._read_memory:
            return
        response = await self._link.command(f'AT+CPMS="{memory}"', deadline=self._deadline, expect="+CPMS")
        self._read_memory = memory
        self._note_usage(memory, response.value("+CPMS"))

    async def list_stored(self) -> list[StoredSms]:
        """AT+CMGL=4 (all, PDU mode) on every memory in use; [] when reception was not configured."""
        if not self.memories:
            return []
        await self._sender.set_format("pdu")
        result: list[StoredSms] = []
        for memory in self.memories:
            if self._switchable:
                await self.use_memory(memory, refresh=True)  # the answer says how full it is
            try:
                response = await self._link.command(
                    "AT+CMGL=4", deadline=self._config.timeouts.read, expect="+CMGL"
                )
            except CommandFailedError as exc:
                if _is_invalid_index(exc):
                    continue  # some modems say so for an empty memory
                raise
            listed = parse_listing(memory, response.lines)
            result.extend(listed)
        log.info("modem_stored_listed", port=self._link.port, count=len(result))
        return result

    async def read_stored(self, memory: str, index: int) -> StoredSms | None:
        """AT+CMGR=<index> in `memory`; None for an empty slot (OK alone, `+CMGR: 0,,0`, or 321)."""
        await self._sender.set_format("pdu")
        await self._switch_for(memory)
        try:
            response = await self._link.command(
                f"AT+CMGR={index}", deadline=self._config.timeouts.read, expect="+CMGR"
            )
        except CommandFailedError as exc:
            if _is_invalid_index(exc):
                return None
            raise
        return parse_read(memory, index, response.lines)

    async def delete_stored(self, memory: str, index: int) -> None:
        """AT+CMGD=<index> in `memory`; an index already empty is not an error (a re-run after a crash)."""
        await self._switch_for(memory)
        try:
            await self._link.command(f"AT+CMGD={index}", deadline=self._deadline)
        except CommandFailedError as exc:
            if _is_invalid_index(exc):
                return
            raise
        used, total = self._state.storage.get(memory, (0, 0))
        if total:
            self._state.storage[memory] = (max(0, used - 1), total)

    async def _switch_for(self, memory: str) -> None:
        """Switch mem1 where AT+CPMS works; without it (or with reception off) read where it points."""
        if memory == self._read_memory or not self._switchable:
            return
        await self.use_memory(memory)

    def _note_usage(self, memory: str, value: str | None) -> None:
        usage = parse_usage(value or "")
        if not usage:
            return
        _, used, total = usage[0]
        self._state.storage[memory] = (used, total)
        if total and used >= total and memory in (*self.memories, self.storage):
            log.warning("modem_storage_full", port=self._link.port, memory=memory, used=used, total=total)
            self._put(StorageFull(memory, used, total))

    # -- announcements -----------------------------------------------------------------------------

    def on_event(self, event: UnsolicitedEvent) -> None:
        """Turn +CMTI/+CDSI/+CMT/+CDS (and a full-memory notice) into typed events."""
        code = event.code.upper()
        if code in ("+CMTI", "+CDSI"):
            parts = fields(event.value)
            if len(parts) >= 2 and parts[-1].isdigit():
                kind: Kind = "deliver" if code == "+CMTI" else "status-report"
                self._put(StoredNotice(parts[0] or (self.storage or "SM"), int(parts[-1]), kind))
            else:
                log.warning("modem_notice_unreadable", code=code)
        elif code in ("+CMT", "+CDS") and event.body is not None:
            kind = "deliver" if code == "+CMT" else "status-report"
            if is_pdu_header(event.line) and is_hex(event.body):
                length = event.value.rsplit(",", 1)[-1].strip()
                self._put(DirectPdu(kind, with_smsc(event.body, length)))
                if self.needs_ack:
                    self._acknowledge()
            else:
                # Text mode (AT+CMGF=1 was in force): not acknowledged, so the network sends it again.
                log.warning("modem_direct_delivery_not_in_pdu_mode", code=code)
        elif code == "^SMMEMFULL":
            memory = fields(event.value)[0] or (self.storage or "SM")
            log.warning("modem_storage_full", port=self._link.port, memory=memory)
            self._put(StorageFull(memory, None, None))

    def _put(self, event: InboundEvent) -> None:
        if self.inbound.full():
            dropped = self.inbound.get_nowait()
            log.error("modem_inbound_queue_full", dropped=type(dropped).__name__)
        self.inbound.put_nowait(event)

    def _acknowledge(self) -> None:
        task = asyncio.get_running_loop().create_task(self._send_ack(), name=f"modem-cnma:{self._link.port}")
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)

    async def _send_ack(self) -> None:
        try:
            await self._link.command("AT+CNMA", deadline=self._deadline)
        except CommandFailedError as exc:
            info = info_for_final(exc.response.final)
            if info.kind == "CMS" and info.code == 340:
                self.needs_ack = False  # "no +CNMA acknowledgement expected": the modem acks itself
                self._state.reception = self.describe()
            log.warning("modem_cnma_refused", answer=exc.response.final)
        except ModemError as exc:
            log.warning("modem_cnma_failed", error=str(exc))

    async def close(self) -> None:
        for task in list(self._acks):
            task.cancel()
        for task in list(self._acks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
