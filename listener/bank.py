"""The listener's place in a bank of modems: it tells the database which SIM it sends from.

Sticky routing (issue 14) is decided by the database: a recipient keeps the SIM that first texted
them, and `claim_next_bubble(worker_id)` hands a worker only the bubbles of its own SIM's recipients
(and new ones). For that the database must know which SIM each worker drives. `SenderRegistrar`
calls `register_sender(worker_id, imsi, iccid, own_number, modem)` before the first sweep after every
(re)connection of the modem, because the modem re-reads the SIM's identity on each bring-up
(`listener.modem.identity`) and a SIM swapped while the modem was away must not inherit the old
SIM's recipients. Registering before the sweep means no bubble is claimed for a SIM the database
does not yet know is here.

The number: `SIM_NUMBER` (a person's statement) wins over AT+CNUM (the SIM's MSISDN record, often
empty on prepaid SIMs and sometimes stale after a port); a difference is logged. A number that is
not E.164 (`+` and 7 to 15 digits) is passed as unknown (null): the row keeps a number a person set.
A SIM that tells neither IMSI nor ICCID is not registered (the database then registers the worker
as its own sender at its first claim).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from listener.database import ListenerDatabase, SenderRow
from listener.errors import ConnectorError, DatabaseUnavailableError
from listener.hooks import ServiceHooks
from listener.modem.identity import SimIdentity
from sms_common.logs import get_logger, mask_phone, redact_text

log = get_logger(__name__)

_E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


class HealthLike(Protocol):
    def as_dict(self) -> Mapping[str, Any]: ...


class IdentifiedModem(Protocol):
    """What the registrar reads of `listener.modem.resilient.ResilientModem`."""

    @property
    def port(self) -> str: ...

    @property
    def connects(self) -> int: ...

    @property
    def identity(self) -> SimIdentity | None: ...

    def snapshot(self) -> HealthLike: ...


def effective_number(from_sim: str | None, setting: str | None) -> str | None:
    """The number to register: SIM_NUMBER, else the SIM's own if it is E.164, else None (unknown)."""
    if setting:
        if from_sim and from_sim != setting:
            log.warning("sim_number_differs", sim_says=mask_phone(from_sim), setting=mask_phone(setting))
        return setting
    if from_sim and _E164_RE.match(from_sim):
        return from_sim
    if from_sim:
        log.info(
            "sim_number_not_e164",
            number=mask_phone(from_sim),
            hint="set SIM_NUMBER to the number in +E.164 form",
        )
    return None


class SenderRegistrar(ServiceHooks):
    """Registers the modem's SIM as this worker's sender (see the module docstring)."""

    def __init__(
        self,
        database: ListenerDatabase,
        modem: IdentifiedModem,
        worker_id: str,
        *,
        sim_number: str | None = None,
    ) -> None:
        self.database = database
        self.modem = modem
        self.worker_id = worker_id
        self.sim_number = sim_number
        #: The senders row of the latest registration (None until one succeeded).
        self.sender: SenderRow | None = None
        self.registrations = 0
        self.last_error: str | None = None
        self._done_for_connection: int | None = None
        self._last_identity: SimIdentity | None = None

    async def before_sweep(self) -> None:
        connection = self.modem.connects
        identity = self.modem.identity
        if identity is None or connection == self._done_for_connection:
            return
        previous = self._last_identity
        if previous is not None and (previous.imsi, previous.iccid) != (identity.imsi, identity.iccid):
            log.warning("sim_changed", port=self.modem.port, before=previous.masked(), now=identity.masked())
        if not identity.known:
            self._done_for_connection = connection
            log.warning(
                "sender_not_registered",
                worker_id=self.worker_id,
                reason="the modem told neither IMSI nor ICCID; the first claim registers this worker instead",
            )
            return
        modem = {**self.modem.snapshot().as_dict(), **identity.modem_details(self.modem.port)}
        number = effective_number(identity.own_number, self.sim_number)
        try:
            row = await self.database.register_sender(
                self.worker_id, identity.imsi, identity.iccid, number, modem
            )
        except DatabaseUnavailableError:
            raise  # the loop retries this with backoff
        except ConnectorError as exc:
            self._done_for_connection = connection  # not again until the next connection
            self.last_error = redact_text(str(exc))
            log.error("sender_registration_refused", worker_id=self.worker_id, error=self.last_error)
            return
        self._done_for_connection = connection
        self._last_identity = identity
        self.sender = row
        self.registrations += 1
        self.last_error = None
        shown = {"number": row.own_number} if row.own_number else {"number_known": False}
        log.info(
            "sender_registered",
            worker_id=self.worker_id,
            sender_id=row.id,
            status=row.status,
            connection=connection,
            imsi=identity.masked()["imsi"],
            **shown,
        )
