"""Reception against a recorded exchange, byte for byte, in 7-byte chunks (see scripted.py).

Answer formats as the Quectel EC25&EC21 AT Commands Manual V1.3 gives them (SMS chapter: AT+CPMS=?
with three lists, the set answering `+CPMS: <used>,<total>,...`, AT+CNMI=? ranges, `+CMTI: "SM",<i>`,
`+CMGR: <stat>,,<length>`), with slot indexes counted from 0 as on that module. The stored PDU is the
classic SMS-DELIVER example of the "SMS PDU format" tutorial (dreamfabric.com; "hellohello").
"""

from __future__ import annotations

import asyncio

from listener.modem.receiving import ReceptionStarted, StoredNotice, StoredSms
from listener.modem.simulator.pdus import tpdu_length
from tests.unit.modem.scripted import lines, ok, scripted_modem
from tests.unit.modem.test_dialogue import QUECTEL_EC25_INIT

HELLO = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"

EC25_RECEPTION = [
    *QUECTEL_EC25_INIT[:-1],  # up to AT+COPS?; reception is configured in PDU mode first
    (b"AT+CMGF=0\r", ok()),
    (b"AT+CPMS=?\r", ok('+CPMS: ("SM","ME","MT"),("SM","ME","MT"),("SM","ME","MT")')),
    (b'AT+CPMS="SM","SM","SM"\r', ok("+CPMS: 1,50,1,50,1,50")),
    (b"AT+CNMI=?\r", ok("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)")),
    (b"AT+CNMI=2,1,0,2,0\r", ok()),
]


async def test_ec25_bring_up_then_a_notice_read_and_deleted() -> None:
    steps = [
        *EC25_RECEPTION,
        (b"AT+CMGR=0\r", ok(f"+CMGR: 0,,{tpdu_length(HELLO)}", HELLO)),
        (b"AT+CMGD=0\r", ok()),
        (b"AT+CMGR=0\r", lines("+CMS ERROR: 321")),  # read again: the slot is empty
    ]
    modem, transport = scripted_modem(steps, receive=True, status_reports=True)
    await modem.initialise()
    started = modem.inbound.get_nowait()
    assert isinstance(started, ReceptionStarted)
    assert started.memories == ("SM",)  # no SR on this module: reports are stored in SM
    assert modem.snapshot().storage == "SM 1/50"
    assert modem.snapshot().reception.startswith("stored in SM (+CMTI), reports stored in SM (+CDSI)")
    modem.protocol.data_received(b'\r\n+CMTI: "SM",0\r\n')
    notice = await asyncio.wait_for(modem.inbound.get(), 1.0)
    assert isinstance(notice, StoredNotice)
    assert (notice.memory, notice.index, notice.kind) == ("SM", 0, "deliver")
    assert await modem.read_stored("SM", 0) == StoredSms("SM", 0, 0, HELLO)
    await modem.delete_stored("SM", 0)
    assert await modem.read_stored("SM", 0) is None
    assert modem.snapshot().storage == "SM 0/50"
    assert transport.unexpected == []
    assert transport.steps == []


async def test_ec25_listing_with_a_direct_report_inside_it() -> None:
    report = "0006D60B911326880736F4111011719551401110117195714000"  # TP-MR 0xD6, delivered
    steps = [
        *EC25_RECEPTION,
        (b'AT+CPMS="SM"\r', ok("+CPMS: 2,50,1,50,1,50")),
        (
            b"AT+CMGL=4\r",
            lines(f"+CMGL: 0,1,,{tpdu_length(HELLO)}", HELLO, f"+CDS: {tpdu_length(report)}", report)
            + ok(f"+CMGL: 3,0,,{tpdu_length(HELLO)}", HELLO),
        ),
    ]
    modem, transport = scripted_modem(steps, receive=True, status_reports=True)
    await modem.initialise()
    listed = await modem.list_stored()
    assert listed == [StoredSms("SM", 0, 1, HELLO), StoredSms("SM", 3, 0, HELLO)]
    events = [modem.inbound.get_nowait() for _ in range(modem.inbound.qsize())]
    assert [type(e).__name__ for e in events] == ["ReceptionStarted", "DirectPdu"]
    assert transport.unexpected == []


async def test_a_modem_that_will_not_list_its_memories_is_read_where_it_stores() -> None:
    steps = [
        *QUECTEL_EC25_INIT[:-1],
        (b"AT+CMGF=0\r", ok()),
        (b"AT+CPMS=?\r", lines("ERROR")),
        (b"AT+CPMS?\r", ok('+CPMS: "SM",3,20,"SM",3,20,"SM",3,20')),
        (b"AT+CNMI=?\r", lines("ERROR")),
        (b"AT+CNMI=2,1,0,2,0\r", ok()),
        (b"AT+CMGL=4\r", ok()),  # no AT+CPMS="SM" first: it is never switched
        (b"AT+CMGR=2\r", ok(f"+CMGR: 1,,{tpdu_length(HELLO)}", HELLO)),
    ]
    modem, transport = scripted_modem(steps, receive=True, status_reports=True)
    await modem.initialise()
    assert modem.snapshot().storage == "SM 3/20"
    assert await modem.list_stored() == []
    assert await modem.read_stored("SM", 2) == StoredSms("SM", 2, 1, HELLO)
    assert transport.unexpected == []
    assert transport.steps == []
