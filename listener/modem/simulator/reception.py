"""The simulated modem's receiving side: its memories, AT+CPMS/CNMI/CSMS/CMGR/CMGL/CMGD/CNMA, and how
a message or a status report from the network is stored and announced.

As a real modem: memories survive a power cycle (they are on the SIM), the AT+CNMI and AT+CPMS
settings do not; a new message goes to the receive memory (mem3) and is announced with
`+CMTI: "<mem>",<index>` when AT+CNMI says mt=1, or handed over directly (`+CMT: ,<length>` and the
PDU) when it says mt=2/3, or kept silently (mt=0, or mode 0: only AT+CMGL finds it). Status reports
likewise by <ds>: 2 stored (`+CDSI`, in "SR" or the model's report memory), 1 direct (`+CDS: <length>`),
0 not routed (dropped). A full memory refuses the message: the network keeps it and sends it again
once a slot is freed (the SMMA procedure of TS 23.040), and the model's full-memory notice is said.
With AT+CSMS service 1 every direct delivery waits for an AT+CNMA (`unacknowledged`).

It produces answer lines and unsolicited lines; `at.AtEmulator` writes them. Every count and list a
test may look at is public.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from listener.modem.receiving import parse_ranges
from listener.modem.simulator.pdus import tpdu_length
from listener.modem.simulator.profiles import ModemModel

Kind = Literal["deliver", "status-report"]
#: How a message reaches the driver: stored and announced, direct, stored without a word.
Style = Literal["stored", "direct", "silent"]

_CPMS_SET_RE = re.compile(r'^AT\+CPMS=("[^"]*"(?:,"[^"]*"){0,2})$', re.I)
_CNMI_SET_RE = re.compile(r"^AT\+CNMI=(\d*)(?:,(\d*))?(?:,(\d*))?(?:,(\d*))?(?:,(\d*))?$", re.I)
_INDEX_RE = re.compile(r"^AT\+CMG[RD]=(\d+)(?:,(\d+))?$", re.I)
_CMGL_RE = re.compile(r"^AT\+CMGL(?:=(\d+))?$", re.I)

#: stat values of AT+CMGL / AT+CMGR (PDU mode).
REC_UNREAD, REC_READ = 0, 1


@dataclass
class Slot:
    stat: int
    pdu_hex: str
    kind: Kind


@dataclass
class Memory:
    name: str
    capacity: int
    slots: dict[int, Slot] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        return len(self.slots) >= self.capacity

    def store(self, slot: Slot) -> int:
        index = next(i for i in range(1, self.capacity + 1) if i not in self.slots)
        self.slots[index] = slot
        return index

    def usage(self) -> str:
        return f"{len(self.slots)},{self.capacity}"


@dataclass(frozen=True)
class Arrival:
    """A PDU the network has for the modem."""

    kind: Kind
    pdu_hex: str
    style: Style | None = None


class Reception:
    """Memories and indication settings of one simulated modem (see the module docstring)."""

    def __init__(
        self, model: ModemModel, *, cms: Callable[[int], str], urc: Callable[[list[str]], None]
    ) -> None:
        self._cms = cms
        self._urc = urc
        self.model = model
        self.memories: dict[str, Memory] = {}
        self.use_model(model)
        #: Direct deliveries still waiting for AT+CNMA (CSMS service 1).
        self.unacknowledged: list[Arrival] = []
        self.acknowledged = 0
        #: Messages the network holds because the memory was full (sent again when a slot frees).
        self.held: list[Arrival] = []
        self.refused_full = 0
        #: Status reports dropped because AT+CNMI said ds=0.
        self.dropped_reports = 0
        self.reset()

    def use_model(self, model: ModemModel) -> None:
        """A (different) model: memories it has and the old one had keep their content."""
        self.model = model
        old = self.memories
        self.memories = {
            name: Memory(name, capacity, old[name].slots if name in old else {})
            for name, capacity in model.memories
        }

    def reset(self) -> None:
        """Power-up settings: the first receivable memory for all three, no indications."""
        self.cpms = [self.receivable[0]] * 3
        self.cnmi = (0, 0, 0, 0, 0)
        self.csms = self.model.csms_service

    @property
    def receivable(self) -> list[str]:
        return [name for name in self.memories if name != "SR"]

    def stored(self, memory: str | None = None) -> dict[int, Slot]:
        """The slots of `memory` (default: the receive memory), for assertions."""
        return self.memories[memory or self.cpms[2]].slots

    # -- commands ----------------------------------------------------------------------------------

    def handle(self, line: str, *, pdu_mode: bool) -> list[str] | None:
        """The answer lines to `line`, or None when it is not a reception command."""
        upper = line.upper().replace(" ", "")
        if upper == "AT+CPMS=?":
            lists = [self.memories, self.receivable, self.receivable]
            return [
                "+CPMS: " + ",".join("(" + ",".join(f'"{n}"' for n in names) + ")" for names in lists),
                "OK",
            ]
        if upper == "AT+CPMS?":
            return [
                "+CPMS: " + ",".join(f'"{name}",{self.memories[name].usage()}' for name in self.cpms),
                "OK",
            ]
        if upper.startswith("AT+CPMS="):
            return self._set_memories(line.replace(" ", ""))
        if upper == "AT+CNMI=?":
            return [f"+CNMI: {self.model.cnmi_support}", "OK"] if self.model.cnmi_test else None
        if upper == "AT+CNMI?":
            return ["+CNMI: " + ",".join(str(v) for v in self.cnmi), "OK"]
        if upper.startswith("AT+CNMI="):
            return self._set_indications(upper)
        if upper == "AT+CSMS?":
            return [f"+CSMS: {self.csms},1,1,1", "OK"]
        if upper == "AT+CSMS=?":
            return ["+CSMS: (0,1)", "OK"]
        if upper.startswith("AT+CSMS="):
            value = upper.split("=", 1)[1]
            if value not in ("0", "1"):
                return [self._cms(302)]
            self.csms = int(value)
            return ["+CSMS: 1,1,1", "OK"]
        if upper in ("AT+CNMA", "AT+CNMA=0"):
            if not self.unacknowledged:
                return [self._cms(340)]
            self.unacknowledged.pop(0)
            self.acknowledged += 1
            return ["OK"]
        if upper.startswith(("AT+CMGR=", "AT+CMGD=", "AT+CMGL")):
            if not pdu_mode:
                return [self._cms(302)]  # the simulator reads in PDU mode only
            if upper.startswith("AT+CMGL"):
                return self._list(upper)
            return self._read(upper) if upper.startswith("AT+CMGR") else self._delete(upper)
        return None

    def _set_memories(self, line: str) -> list[str]:
        match = _CPMS_SET_RE.match(line)
        if not match:
            return [self._cms(302)]
        names = [n.strip('"').upper() for n in match.group(1).split(",")]
        if names[0] not in self.memories or any(n not in self.receivable for n in names[1:]):
            return [self._cms(302)]
        self.cpms[: len(names)] = names
        return ["+CPMS: " + ",".join(self.memories[name].usage() for name in self.cpms), "OK"]

    def _set_indications(self, upper: str) -> list[str]:
        match = _CNMI_SET_RE.match(upper)
        if not match:
            return [self._cms(302)]
        values = [int(g) if g else 0 for g in match.groups()]
        allowed = parse_ranges(self.model.cnmi_support)
        if any(v not in allowed[i] for i, v in enumerate(values) if i < len(allowed)):
            return [self._cms(303)]
        self.cnmi = (values[0], values[1], values[2], values[3], values[4])
        return ["OK"]

    def _slot_index(self, upper: str) -> tuple[Memory, int, int] | None:
        match = _INDEX_RE.match(upper)
        if not match:
            return None
        return self.memories[self.cpms[0]], int(match.group(1)), int(match.group(2) or 0)

    def _read(self, upper: str) -> list[str]:
        found = self._slot_index(upper)
        if found is None:
            return [self._cms(302)]
        memory, index, _ = found
        if not 1 <= index <= memory.capacity:
            return [self._cms(321)]
        slot = memory.slots.get(index)
        if slot is None:
            return {"error": [self._cms(321)], "ok": ["OK"], "zero": ["+CMGR: 0,,0", "OK"]}[
                self.model.empty_read
            ]
        answer = [f"+CMGR: {slot.stat},,{tpdu_length(slot.pdu_hex)}", slot.pdu_hex, "OK"]
        if slot.stat == REC_UNREAD:
            slot.stat = REC_READ
        return answer

    def _list(self, upper: str) -> list[str]:
        match = _CMGL_RE.match(upper)
        wanted = int(match.group(1)) if match and match.group(1) else 0
        if match is None or wanted not in (0, 1, 2, 3, 4):
            return [self._cms(302)]
        memory = self.memories[self.cpms[0]]
        lines: list[str] = []
        for index in sorted(memory.slots):
            slot = memory.slots[index]
            if wanted == 4 or slot.stat == wanted:
                lines += [f"+CMGL: {index},{slot.stat},,{tpdu_length(slot.pdu_hex)}", slot.pdu_hex]
                if slot.stat == REC_UNREAD:
                    slot.stat = REC_READ
        return [*lines, "OK"]

    def _delete(self, upper: str) -> list[str]:
        found = self._slot_index(upper)
        if found is None:
            return [self._cms(302)]
        memory, index, flag = found
        if flag == 4:
            memory.slots.clear()
        elif not 1 <= index <= memory.capacity:
            return [self._cms(321)]
        else:
            memory.slots.pop(index, None)
        return ["OK"]

    def redeliver_held(self) -> None:
        """A slot was freed: the network sends what it held (the modem's memory-available notice)."""
        held, self.held = self.held, []
        for arrival in held:
            self.arrive(arrival)

    # -- the network's side ------------------------------------------------------------------------

    def style_for(self, kind: Kind) -> Style | None:
        """What AT+CNMI says for `kind`; None: not routed at all (a status report with ds=0)."""
        mode, mt, _, ds, _ = self.cnmi
        if kind == "deliver":
            if mode != 0 and mt in (2, 3):
                return "direct"
            return "stored" if mode != 0 and mt == 1 else "silent"
        if ds == 0:
            return None
        if ds == 1:
            return "direct" if mode != 0 else None
        return "stored" if mode != 0 else "silent"

    def arrive(self, arrival: Arrival) -> None:
        """The network delivers `arrival`: store and announce it, hand it over, or hold it."""
        style = arrival.style or self.style_for(arrival.kind)
        if style is None:
            self.dropped_reports += 1
            return
        if style == "direct":
            code = "+CMT: ," if arrival.kind == "deliver" else "+CDS: "
            if self.csms == 1:
                self.unacknowledged.append(arrival)
            self._urc([f"{code}{tpdu_length(arrival.pdu_hex)}", arrival.pdu_hex])
            return
        name = self.cpms[2] if arrival.kind == "deliver" else self._report_memory()
        memory = self.memories[name]
        if memory.full:
            self.held.append(arrival)
            self.refused_full += 1
            if self.model.memory_full_urc:
                self._urc([self.model.memory_full_urc])
            return
        index = memory.store(Slot(REC_UNREAD, arrival.pdu_hex, arrival.kind))
        if style == "stored":
            code = "+CMTI" if arrival.kind == "deliver" else "+CDSI"
            self._urc([f'{code}: "{name}",{index}'])

    def _report_memory(self) -> str:
        wanted = self.model.report_memory
        return wanted if wanted in self.memories and wanted == "SR" else self.cpms[2]
