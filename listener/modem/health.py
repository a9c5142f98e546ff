"""What the driver knows about its modem (registration, signal, operator, SIM, counters), how it is
refreshed with AT commands, and the snapshot the heartbeat and the dashboard show.

`ModemState` is the driver's live record; `ModemHealth` is a frozen copy of it at one moment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from listener.modem.config import SmsMode
from listener.modem.dialogue import CommandFailedError, UnsolicitedEvent
from listener.modem.link import ModemLink
from sms_common.logs import get_logger

log = get_logger(__name__)

#: Registration states (<stat> of +CREG/+CEREG) in which SMS can be sent.
REGISTERED = {
    1: "home",
    5: "roaming",
    6: "home (SMS only)",
    7: "roaming (SMS only)",
    9: "home",
    10: "roaming",
}
NOT_REGISTERED = {0: "not registered", 2: "searching", 3: "denied", 4: "unknown", 8: "emergency only"}


@dataclass(frozen=True)
class ModemHealth:
    """A snapshot for the heartbeat row and the dashboard."""

    port: str
    connected: bool
    initialised: bool
    registered: bool | None
    registration: str
    signal: int | None
    signal_dbm: int | None
    signal_word: str
    operator: str | None
    sim: str | None
    mode: SmsMode
    last_error: str | None
    last_error_at: datetime | None
    last_send_at: datetime | None
    sent: int
    failed: int
    checked_at: datetime
    reconnects: int = 0
    #: How new messages and delivery reports arrive, or why they do not ("off: ...").
    reception: str = "off"
    #: Used/total slots of the memories in use, e.g. "SM 3/30, SR 0/10" ("" while unknown).
    storage: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: datetimes as ISO 8601 strings."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()}


def signal_word(rssi: int | None) -> str:
    """AT+CSQ <rssi> in words (0..31 map to -113..-51 dBm; 99 is unknown)."""
    if rssi is None or rssi == 99 or not 0 <= rssi <= 31:
        return "unknown"
    if rssi < 10:
        return "marginal"
    if rssi < 15:
        return "ok"
    if rssi < 20:
        return "good"
    return "excellent"


def signal_dbm(rssi: int | None) -> int | None:
    return None if rssi is None or not 0 <= rssi <= 31 else -113 + 2 * rssi


def fields(value: str) -> list[str]:
    """The comma-separated fields of an information line's value, unquoted."""
    return [f.strip().strip('"') for f in value.split(",")]


def parse_registration(value: str) -> int | None:
    """<stat> from a +CREG/+CEREG query answer `<n>,<stat>[,...]` (or an unsolicited `<stat>[,...]`)."""
    parts = fields(value)
    candidates = parts[1:2] if len(parts) >= 2 and parts[1].isdigit() else parts[:1]
    return int(candidates[0]) if candidates and candidates[0].isdigit() else None


def parse_operator(value: str) -> str | None:
    """The operator from `+COPS: <mode>[,<format>,"<oper>"[,<AcT>]]`."""
    parts = fields(value)
    return parts[2] if len(parts) >= 3 and parts[2] else None


class ModemState:
    """The driver's live record of one modem (mutable; `snapshot` freezes it)."""

    def __init__(self) -> None:
        self.initialised = False
        self.registered: bool | None = None
        self.registration = "unknown"
        self.signal: int | None = None
        self.operator: str | None = None
        self.sim: str | None = None
        #: False once AT+CEREG? was refused (2G/3G modems): not asked again.
        self.cereg_supported = True
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.last_send_at: datetime | None = None
        self.sent = 0
        self.failed = 0
        #: See ModemHealth.reception / .storage (kept current by `receiving.Receiver`).
        self.reception = "off: not configured"
        self.storage: dict[str, tuple[int, int]] = {}

    def note_error(self, text: str) -> None:
        self.last_error = text
        self.last_error_at = datetime.now(UTC)

    def set_registration(self, stat: int) -> None:
        self.registered = stat in REGISTERED
        self.registration = REGISTERED.get(stat) or NOT_REGISTERED.get(stat, f"state {stat}")

    def on_event(self, event: UnsolicitedEvent) -> None:
        """Unsolicited signal and registration codes keep the record current between queries."""
        code = event.code.upper()
        if code == "^RSSI" and event.value.isdigit():
            self.signal = int(event.value)
        elif code in ("+CREG", "+CEREG"):
            stat = parse_registration(event.value)
            if stat is not None:
                self.set_registration(stat)

    def snapshot(self, link: ModemLink, mode: SmsMode) -> ModemHealth:
        usable = link.usable
        return ModemHealth(
            port=link.port,
            connected=usable,
            initialised=self.initialised,
            registered=self.registered,
            registration=self.registration,
            signal=self.signal,
            signal_dbm=signal_dbm(self.signal),
            signal_word=signal_word(self.signal),
            operator=self.operator,
            sim=self.sim,
            mode=mode,
            last_error=self.last_error if usable else (link.broken_reason or self.last_error),
            last_error_at=self.last_error_at,
            last_send_at=self.last_send_at,
            sent=self.sent,
            failed=self.failed,
            checked_at=datetime.now(UTC),
            reception=self.reception,
            storage=", ".join(f"{name} {used}/{total}" for name, (used, total) in self.storage.items()),
        )


async def refresh_status(link: ModemLink, state: ModemState, deadline: float) -> None:
    """Signal (AT+CSQ) and operator (AT+COPS?); a refusal is logged, not raised."""
    try:
        response = await link.command("AT+CSQ", deadline=deadline, expect="+CSQ")
        value = response.value("+CSQ")
        rssi = fields(value)[0] if value else ""
        state.signal = int(rssi) if rssi.isdigit() else None
    except CommandFailedError as exc:
        log.warning("modem_csq_refused", answer=exc.response.final)
    try:
        response = await link.command("AT+COPS?", deadline=deadline, expect="+COPS")
        value = response.value("+COPS")
        state.operator = parse_operator(value) if value else None
    except CommandFailedError as exc:
        log.warning("modem_cops_refused", answer=exc.response.final)


async def _query_registration(link: ModemLink, command: str, prefix: str, deadline: float) -> int | None:
    try:
        response = await link.command(command, deadline=deadline, expect=prefix)
    except CommandFailedError:
        return None
    value = response.value(prefix)
    return parse_registration(value) if value is not None else None


async def registration_states(
    link: ModemLink, state: ModemState, deadline: float
) -> tuple[int | None, int | None]:
    """AT+CREG? and (where supported) AT+CEREG?: an LTE-only modem registers only on the latter."""
    creg = await _query_registration(link, "AT+CREG?", "+CREG", deadline)
    cereg: int | None = None
    if state.cereg_supported:
        try:
            response = await link.command("AT+CEREG?", deadline=deadline, expect="+CEREG")
        except CommandFailedError:
            state.cereg_supported = False  # 2G/3G modems: ERROR or COMMAND NOT SUPPORT
        else:
            value = response.value("+CEREG")
            cereg = parse_registration(value) if value is not None else None
    registered = [s for s in (creg, cereg) if s in REGISTERED]
    if registered:
        state.set_registration(registered[0])
    elif creg is not None or cereg is not None:
        state.set_registration(next(s for s in (creg, cereg) if s is not None))
    return creg, cereg
