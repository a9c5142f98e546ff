"""Receiving over a real pseudo-terminal: the driver configures reception per modem model, reads,
lists and deletes stored messages, takes direct deliveries wherever they land, and asks for a
delivery report on every part; the simulator stores, announces and reports as the models do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from listener.modem.driver import (
    DirectPdu,
    InboundEvent,
    Modem,
    ModemConfig,
    ModemTimeouts,
    ReceptionStarted,
    StorageFull,
    StoredNotice,
    StoredSms,
)
from listener.modem.simulator import MODELS, ModemModel, ModemSimulator, Profile
from tests.unit.modem.inbound import deliver_fields, report_fields

NUMBER = "+15551234567"
CUSTOMER = "+15557654321"
FAST = ModemTimeouts(
    command=2.0, prompt=2.0, send=2.0, registration=2.0, registration_poll=0.05, sim_ready=2.0, read=2.0
)

OpenModem = Callable[..., Awaitable[Modem]]


@pytest.fixture
async def sim() -> AsyncIterator[ModemSimulator]:
    async with ModemSimulator() as simulator:
        yield simulator


@pytest.fixture
async def open_modem() -> AsyncIterator[OpenModem]:
    opened: list[Modem] = []

    async def _open(sim: ModemSimulator, **config: object) -> Modem:
        modem = await Modem.open(ModemConfig(sim.device_path, timeouts=FAST, **config))  # type: ignore[arg-type]
        opened.append(modem)
        await modem.initialise()
        return modem

    yield _open
    for modem in opened:
        await modem.close()


async def next_event(modem: Modem, within: float = 3.0) -> InboundEvent:
    return await asyncio.wait_for(modem.inbound.get(), within)


async def next_of(modem: Modem, kind: type[InboundEvent], within: float = 3.0) -> InboundEvent:
    """The next inbound event of type `kind` (others before it are skipped)."""
    while True:
        event = await next_event(modem, within)
        if isinstance(event, kind):
            return event


def commands(sim: ModemSimulator, prefix: str) -> list[str]:
    return [c for c in sim.commands if c.upper().startswith(prefix)]


# -- configuration per model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "cnmi", "memories", "acknowledged", "reception"),
    [
        (
            "generic",
            "AT+CNMI=2,1,0,2,0",
            ("SM", "SR"),
            False,
            "stored in SM (+CMTI), reports stored in SR (+CDSI)",
        ),
        (
            "huawei",
            "AT+CNMI=2,1,0,2,0",
            ("SM", "SR"),
            False,
            "stored in SM (+CMTI), reports stored in SR (+CDSI)",
        ),
        ("wavecom", "AT+CNMI=2,1,0,1,0", ("SM",), True, "reports direct (+CDS, acknowledged with +CNMA)"),
        ("lte", "AT+CNMI=2,1,0,2,0", ("SM",), False, "stored in SM (+CMTI), reports stored in SM (+CDSI)"),
        ("sim800", "AT+CNMI=2,1,0,1,0", ("SM",), False, "stored in SM (+CMTI), reports direct (+CDS)"),
    ],
)
async def test_reception_is_configured_per_model(
    sim: ModemSimulator,
    open_modem: OpenModem,
    profile: Profile,
    cnmi: str,
    memories: tuple[str, ...],
    acknowledged: bool,
    reception: str,
) -> None:
    sim.profile = profile
    sim.creg = 0 if profile == "lte" else 1
    modem = await open_modem(sim)
    assert commands(sim, "AT+CNMI=")[-1] == cnmi
    assert sim.reception.cnmi == tuple(int(v) for v in cnmi.split("=")[1].split(","))
    assert 'AT+CPMS="SM","SM","SM"' in sim.commands
    started = await next_of(modem, ReceptionStarted)
    assert isinstance(started, ReceptionStarted)
    assert started.memories == memories
    assert started.announced is True
    health = modem.snapshot()
    assert reception in health.reception
    assert health.storage.startswith("SM 0/")
    # AT+CSMS? only where direct delivery is in use; acknowledgements only where it says phase 2+.
    assert bool(commands(sim, "AT+CSMS")) == ("direct" in health.reception)
    assert ("+CNMA" in health.reception) is acknowledged


async def test_a_modem_without_sim_storage_keeps_messages_in_its_own_memory(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    sim.use_model(replace(MODELS["generic"], memories=(("ME", 100), ("SR", 10))))
    modem = await open_modem(sim)
    assert 'AT+CPMS="ME","ME","ME"' in sim.commands
    sim.inject_reply(CUSTOMER, "stored in ME")
    assert await next_of(modem, StoredNotice) == StoredNotice("ME", 1, "deliver", received_at=_any_time())


async def test_cnmi_settings_are_tried_when_the_modem_will_not_list_them(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    sim.use_model(replace(MODELS["generic"], cnmi_test=False, cnmi_support="(0-2),(0,1),(0),(0,1),(0)"))
    modem = await open_modem(sim)
    # Stored reports in either mode before direct ones: 2,1,0,2,0 and 1,1,0,2,0 are refused.
    assert commands(sim, "AT+CNMI") == [
        "AT+CNMI=?",
        "AT+CNMI=2,1,0,2,0",
        "AT+CNMI=1,1,0,2,0",
        "AT+CNMI=2,1,0,1,0",
    ]
    assert "reports direct (+CDS)" in modem.snapshot().reception


async def test_a_modem_that_cannot_announce_still_sends_and_says_why(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    sim.use_model(replace(MODELS["generic"], cnmi_test=False, cnmi_support="(9),(9),(9),(9),(9)"))
    modem = await open_modem(sim)
    assert modem.snapshot().reception.startswith("off: the modem refused every AT+CNMI setting")
    started = await next_of(modem, ReceptionStarted)
    assert isinstance(started, ReceptionStarted)
    assert started.announced is False  # the listener must list before every claim
    await modem.send_sms(NUMBER, "still sending")
    assert (await sim.wait_sent(1))[0].text == "still sending"
    sim.inject_reply(CUSTOMER, "found by listing")  # stored without a word (mt=0)
    (stored,) = await modem.list_stored()
    assert deliver_fields(stored.pdu_hex)[:2] == (CUSTOMER, "found by listing")


async def test_reception_off_by_configuration(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await open_modem(sim, receive=False)
    assert commands(sim, "AT+CNMI") == []
    assert commands(sim, "AT+CPMS") == []
    assert modem.snapshot().reception.startswith("off: not asked for")
    assert await modem.list_stored() == []
    assert modem.inbound.empty()


# -- stored and announced --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["generic", "huawei", "wavecom", "lte", "sim800"])
async def test_cmti_then_read_then_delete(
    sim: ModemSimulator, open_modem: OpenModem, profile: Profile
) -> None:
    sim.profile = profile
    sim.creg = 0 if profile == "lte" else 1
    modem = await open_modem(sim)
    when = datetime(2026, 12, 3, 9, 30, 15, tzinfo=timezone(timedelta(hours=-5)))
    (pdu,) = sim.inject_reply(CUSTOMER, "STOP", when=when)
    notice = await next_of(modem, StoredNotice)
    assert isinstance(notice, StoredNotice)
    assert (notice.memory, notice.index, notice.kind) == ("SM", 1, "deliver")
    stored = await modem.read_stored(notice.memory, notice.index)
    assert stored == StoredSms("SM", 1, 0, pdu)  # REC UNREAD, the PDU with its SMSC field
    assert deliver_fields(stored.pdu_hex) == (CUSTOMER, "STOP", when, None)
    assert sim.reception.stored("SM")[1].stat == 1  # reading marked it read
    await modem.delete_stored("SM", 1)
    assert sim.reception.stored("SM") == {}
    assert await modem.read_stored("SM", 1) is None  # an empty slot, however the model says it
    await modem.delete_stored("SM", 1)  # deleting again (a re-run after a crash) is fine


async def test_list_finds_what_was_stored_while_nobody_listened(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    # Before the driver opens the modem, AT+CNMI is at its power-up 0,0,0,0,0: stored silently.
    sim.inject_reply(CUSTOMER, "first")
    long_reply = "Please call me back about the appointment 😀 " * 3
    parts = sim.inject_reply(CUSTOMER, long_reply, parts_order=[3, 1, 2])
    assert len(parts) == 3  # UCS-2 (the emoji), 67 units a part
    report = sim.inject_status_report(7, NUMBER, 0x00, style="silent")  # left in SR (gammu #408)
    modem = await open_modem(sim)
    assert isinstance(await next_of(modem, ReceptionStarted), ReceptionStarted)
    listed = await modem.list_stored()
    assert [(s.memory, s.index, s.stat) for s in listed] == [
        *[("SM", i, 0) for i in range(1, 5)],
        ("SR", 1, 0),
    ]
    assert [s.pdu_hex for s in listed[1:4]] == [parts[2], parts[0], parts[1]]
    assert listed[4].pdu_hex == report
    fields = [deliver_fields(s.pdu_hex) for s in listed[:4]]
    assert fields[0][1] == "first"
    assert fields[0][3] is None
    concat = [f[3] for f in fields[1:] if f[3] is not None]
    assert [(c.total, c.sequence) for c in concat] == [(3, 3), (3, 1), (3, 2)]
    assert len({c.reference for c in concat}) == 1
    by_sequence = sorted(fields[1:], key=lambda f: f[3].sequence if f[3] else 0)
    assert "".join(f[1] for f in by_sequence) == long_reply
    for stored in listed:
        await modem.delete_stored(stored.memory, stored.index)
    assert await modem.list_stored() == []
    # Each listing starts with AT+CPMS on the memory, whose answer says how full it is.
    assert commands(sim, 'AT+CPMS="SR"')
    assert modem.snapshot().storage == "SM 0/30, SR 0/10"


async def test_status_report_stored_in_sr_is_read_by_switching_memory(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    modem = await open_modem(sim)
    sim.inject_reply(CUSTOMER, "a reply")
    pdu = sim.inject_status_report(42, NUMBER, 0x00)
    notices = [await next_of(modem, StoredNotice), await next_of(modem, StoredNotice)]
    assert [(n.memory, n.index, n.kind) for n in notices if isinstance(n, StoredNotice)] == [
        ("SM", 1, "deliver"),
        ("SR", 1, "status-report"),
    ]
    before = len(commands(sim, "AT+CPMS"))
    report = await modem.read_stored("SR", 1)
    assert report is not None
    assert report.pdu_hex == pdu
    assert report_fields(report.pdu_hex)[:3] == (42, NUMBER, 0x00)
    reply = await modem.read_stored("SM", 1)
    assert reply is not None
    assert commands(sim, "AT+CPMS")[before:] == ['AT+CPMS="SR"', 'AT+CPMS="SM"']


async def test_lte_module_stores_reports_with_the_messages(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    sim.profile = "lte"
    sim.creg = 0
    modem = await open_modem(sim)
    sim.inject_status_report(5, NUMBER, 0x00)
    notice = await next_of(modem, StoredNotice)
    assert isinstance(notice, StoredNotice)
    assert (notice.memory, notice.kind) == ("SM", "status-report")
    stored = await modem.read_stored("SM", notice.index)
    assert stored is not None
    assert report_fields(stored.pdu_hex)[0] == 5


async def test_a_malformed_pdu_is_read_back_as_it_is(sim: ModemSimulator, open_modem: OpenModem) -> None:
    modem = await open_modem(sim)
    sim.inject_pdu("0791FFFF0400")
    notice = await next_of(modem, StoredNotice)
    assert isinstance(notice, StoredNotice)
    stored = await modem.read_stored(notice.memory, notice.index)
    assert stored is not None
    assert stored.pdu_hex == "0791FFFF0400"


# -- a full memory ---------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["generic", "huawei"])
async def test_a_full_memory_stops_reception_until_a_slot_is_freed(
    sim: ModemSimulator, open_modem: OpenModem, profile: Profile
) -> None:
    sim.use_model(replace(MODELS[profile], memories=(("SM", 2), ("SR", 10))))
    modem = await open_modem(sim)
    for text in ("one", "two", "three"):
        sim.inject_reply(CUSTOMER, text)
    assert sim.reception.refused_full == 1
    assert len(sim.reception.held) == 1
    if profile == "huawei":
        full = await next_of(modem, StorageFull)
        assert full == StorageFull("SM", None, None, received_at=_any_time())  # ^SMMEMFULL: "SM"
    listed = await modem.list_stored()
    assert [deliver_fields(s.pdu_hex)[1] for s in listed] == ["one", "two"]
    assert modem.snapshot().storage.startswith("SM 2/2")
    full = await next_of(modem, StorageFull)
    assert isinstance(full, StorageFull)
    assert (full.memory, full.used, full.total) == ("SM", 2, 2)
    await modem.delete_stored("SM", 1)
    # The network sends the held message again once there is room, into the freed slot.
    notice = await next_of(modem, StoredNotice)
    assert isinstance(notice, StoredNotice)
    assert notice.index == 1
    stored = await modem.read_stored("SM", 1)
    assert stored is not None
    assert deliver_fields(stored.pdu_hex)[1] == "three"


# -- direct deliveries, wherever they land ---------------------------------------------------------


def direct_only() -> ModemModel:
    """A modem that cannot store new messages for the TE: mt 0 or 2 only, phase 2+ (acknowledged)."""
    return replace(MODELS["generic"], cnmi_support="(0-3),(0,2),(0,2),(0,1),(0,1)", csms_service=1)


async def test_direct_cmt_in_the_middle_of_a_command_answer_is_one_event_and_acknowledged(
    sim: ModemSimulator, open_modem: OpenModem
) -> None:
    sim.use_model(direct_only())
    modem = await open_modem(sim)
    assert commands(sim, "AT+CNMI=")[-1] == "AT+CNMI=2,2,0,1,0"
    sim.faults.urc_placement = "mid-answer"
    (pdu,) = sim.inject_reply(CUSTOMER, "Yes, see you then")
    health = await modem.health()  # +CSQ: 21,99 / +CMT: ,<len> / <pdu> / OK
    assert health.signal == 21
    event = await next_of(modem, DirectPdu)
    assert event == DirectPdu("deliver", pdu, received_at=_any_time())
    assert deliver_fields(pdu)[1] == "Yes, see you then"
    # The acknowledgement queued behind AT+CSQ: by the end of the health query it was answered.
    assert commands(sim, "AT+CNMA") == ["AT+CNMA"]
    assert sim.reception.acknowledged == 1
    assert sim.reception.unacknowledged == []


async def test_direct_cmt_in_the_middle_of_a_listing(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.use_model(direct_only())
    sim.inject_reply(CUSTOMER, "stored before")  # silent: nobody configured the modem yet
    modem = await open_modem(sim)
    sim.faults.urc_placement = "mid-answer"
    (pdu,) = sim.inject_reply(CUSTOMER, "direct during the listing")
    listed = await modem.list_stored()
    assert [deliver_fields(s.pdu_hex)[1] for s in listed] == ["stored before"]
    event = await next_of(modem, DirectPdu)
    assert isinstance(event, DirectPdu)
    assert event.pdu_hex == pdu


@pytest.mark.parametrize(("profile", "acknowledged"), [("sim800", False), ("wavecom", True)])
async def test_direct_cds_between_cmgs_and_its_prompt(
    sim: ModemSimulator, open_modem: OpenModem, profile: Profile, acknowledged: bool
) -> None:
    sim.profile = profile
    modem = await open_modem(sim)
    sim.faults.urc_placement = "before-prompt"
    report = sim.inject_status_report(9, NUMBER, 0x00)
    result = await modem.send_sms(NUMBER, "the report lands before this prompt")
    assert result.parts == 1
    assert (await sim.wait_sent(1))[0].text == "the report lands before this prompt"
    event = await next_of(modem, DirectPdu)
    assert event == DirectPdu("status-report", report, received_at=_any_time())
    await modem.health()  # one more sequence: an acknowledgement queued behind the send has gone out
    assert bool(commands(sim, "AT+CNMA")) is acknowledged
    assert sim.reception.unacknowledged == []


# -- delivery reports on what was sent -------------------------------------------------------------


@pytest.mark.parametrize("status_reports", [True, False])
async def test_every_part_asks_for_a_report_when_configured(
    sim: ModemSimulator, open_modem: OpenModem, status_reports: bool
) -> None:
    sim.auto_status_reports = 0x00
    modem = await open_modem(sim, status_reports=status_reports)
    result = await modem.send_sms(NUMBER, "part " * 70)  # 350 characters: 3 parts
    assert result.parts == 3
    assert len(sim.pending_reports) == (3 if status_reports else 0)
    assert "no reports" not in modem.snapshot().reception


async def test_references_wrap_and_each_part_gets_its_report(open_modem: OpenModem) -> None:
    async with ModemSimulator(next_reference=254, auto_status_reports=0x00) as sim:
        modem = await open_modem(sim)
        result = await modem.send_sms(NUMBER, "wrap " * 70)
        assert result.reference == "254,255,0"
        assert sim.deliver_pending_reports() == 3
        notices = [await next_of(modem, StoredNotice) for _ in range(3)]
        references = []
        for notice in notices:
            assert isinstance(notice, StoredNotice)
            assert (notice.memory, notice.kind) == ("SR", "status-report")
            stored = await modem.read_stored(notice.memory, notice.index)
            assert stored is not None
            references.append(report_fields(stored.pdu_hex)[:3])
        assert references == [(254, NUMBER, 0), (255, NUMBER, 0), (0, NUMBER, 0)]
        result = await modem.send_sms(NUMBER, "after the wrap")
        assert result.reference == "1"


async def test_a_chosen_status_in_the_report(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.auto_status_reports = 0x46  # validity period expired
    modem = await open_modem(sim)
    result = await modem.send_sms(NUMBER, "never delivered")
    discharged = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    sim.inject_status_report(int(result.reference), NUMBER, 0x46, discharge_time=discharged)
    notice = await next_of(modem, StoredNotice)
    assert isinstance(notice, StoredNotice)
    stored = await modem.read_stored(notice.memory, notice.index)
    assert stored is not None
    assert report_fields(stored.pdu_hex) == (int(result.reference), NUMBER, 0x46, discharged)


# -- helpers ---------------------------------------------------------------------------------------


class _AnyTime(datetime):
    """Equal to any datetime (received_at is set when the event is made)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, datetime)

    def __hash__(self) -> int:
        return 0


def _any_time() -> datetime:
    return _AnyTime(2000, 1, 1, tzinfo=UTC)


async def test_text_mode_asks_for_reports_with_csmp(sim: ModemSimulator, open_modem: OpenModem) -> None:
    sim.auto_status_reports = 0x00
    modem = await open_modem(sim, mode="text")
    result = await modem.send_sms(NUMBER, "plain text")
    assert "AT+CSMP=49,167,0,0" in sim.commands
    assert [(r.reference, r.recipient) for r in sim.pending_reports] == [(int(result.reference), NUMBER)]
    # Reading switches to PDU mode; the next text-mode send switches back.
    sim.deliver_pending_reports()
    notice = await next_of(modem, StoredNotice)
    assert isinstance(notice, StoredNotice)
    assert await modem.read_stored(notice.memory, notice.index) is not None
    await modem.send_sms(NUMBER, "plain again")
    assert commands(sim, "AT+CMGF")[-3:] == ["AT+CMGF=1", "AT+CMGF=0", "AT+CMGF=1"]
