"""decode_pdu against PDUs captured from real phones, modems and networks (source beside each one),
plus hand-built PDUs for what no public capture shows (each marked "built by hand").

The captures come from the test data of other SMS stacks, which took them from real devices:
- gammu: gammu/gammu tests/at-sms/*.dump and tests/at-sms-failing/*.dump ("collected from randomly
  available sources on the Internet", AT+CMGR answers of real phones),
- ModemManager: linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
- python-gsmmodem: faucamp/python-gsmmodem test/test_pdu.py (TestSmsPdu.test_decode),
- Android: aosp-mirror/platform_frameworks_base telephony/tests/telephonytests/src/com/android/
  internal/telephony/GsmSmsTest.java,
- pages: the URL is given.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.modem.errors import MalformedPduError, ModemError
from listener.modem.gsm7 import LOCKING, SINGLE, pack_septets
from listener.modem.pdu import build_submit
from listener.modem.pdu_decode import (
    DecodedSubmit,
    Deliver,
    StatusReport,
    decode_pdu,
    join_texts,
    status_class,
)

# -- SMS-DELIVER ------------------------------------------------------------------------------------

DELIVERS = [
    pytest.param(
        # gammu tests/at-sms/07.dump
        "0791534850020200040C9153486507895500006090608164138004D4F29C0E",
        {
            "sender": "+358456709855",
            "text": "Test",
            "timestamp": "2006-09-06T18:46:31+02:00",
            "encoding": "gsm7",
        },
        id="gsm7-plain-finland",
    ),
    pytest.param(
        # python-gsmmodem test/test_pdu.py: "It is easy to read text messages via AT commands."
        "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341ED"
        "F27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
        {
            "sender": "+85291234567",
            "text": "It is easy to read text messages via AT commands.",
            "timestamp": "2007-04-12T23:25:42+08:00",
            "smsc": "+85290000000",
        },
        id="gsm7-hong-kong-plus-8",
    ),
    pytest.param(
        # ModemManager test_pdu1: extension characters, and a US network's negative time zone
        "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB41EDF27C1E3E9741"
        "1BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE303D1D1F2F7DD0D4ABB59A0797D8C0685"
        "E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17",
        {
            "sender": "+16175927198",
            "text": "Here's a longer message [{with some extended characters}] thrown in, such as £ and ΩΠΨ and §¿"
            " as well.",
            "timestamp": "2011-02-28T11:50:50-05:00",
            "smsc": "+12404492164",
        },
        id="gsm7-extension-table-minus-5",
    ),
    pytest.param(
        # python-gsmmodem test/test_pdu.py: '@{tést}!'
        "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
        {"sender": "+27821234567", "text": "@{tést}!", "smsc": "+2782913593"},
        id="gsm7-braces-and-accent",
    ),
    pytest.param(
        # Android GsmSmsTest.testExtendedCharacterTable
        "07914151551512f2040B916105551511f100006080615131728A44D4F29C0E2AE3E96537B94C068DD16179784C2FCB41F4"
        "B0985D06B958ADD00FB0E94536AF974974DA6D281BA00E95E26D509B946FC3DBF87A25D56A04",
        {"sender": "+16505551111", "text": "Test extended character table .,-!?@~_\\/&\"';^|:()<{}>[]=%*+#"},
        id="gsm7-every-extension-but-euro",
    ),
    pytest.param(
        # gammu tests/at-sms/03.dump: India, +05:30 (22 quarter hours)
        "0791198948004544040C9119894882006200007050307040042206CF35689E9603",
        {"sender": "+919884280026", "text": "Ok sir", "timestamp": "2007-05-03T07:04:40+05:30"},
        id="plus-5-30",
    ),
    pytest.param(
        # Android GsmSmsTest.testCingularVoiceMail: TP-DCS C8 (message waiting, discard, voicemail on),
        # a one-digit sender of unknown type and a -08:00 time stamp
        "07912180958750F84401800500C87020026195702B06040102000200",
        {"sender": "5", "text": "", "timestamp": "2007-02-20T16:59:07-08:00"},
        id="message-waiting-minus-8",
    ),
    pytest.param(
        # ModemManager test_pdu2: alphanumeric sender (D0), UCS-2 Cyrillic
        "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442",
        {
            "sender": "InternetSMS",
            "text": "тест",
            "encoding": "ucs2",
            "timestamp": "2011-03-29T19:20:04+04:00",
        },
        id="alphanumeric-sender-ucs2",
    ),
    pytest.param(
        # gammu tests/at-sms/04.dump: alphanumeric sender "O2_" from a UK network
        "07914487200030230406D04F59040000601191806243009F4F990E947DD741EEF71D840EDBCBA0FCBB2E0751CB783A28E8"
        "CED3D3ED3268068381AA4B10BD8CA7CF412650AC2904BDCD2072981E06D1DFA0FABC0CA2A3D373509B8E7681A4E576B92D"
        "2ECB41F43788FE86B7EA7010280603BDE5A0F65B5E0689CBE6B7BC0C8ADD6232980D447F83CE653A28FFAECB416679B90C"
        "0AB3D9EF7BD83D2E83DC653C1DD4A6A301",
        {"sender": "O2_", "timestamp": "2006-11-19T08:26:34+00:00"},
        id="alphanumeric-sender-o2",
    ),
    pytest.param(
        # python-gsmmodem test/test_pdu.py: Megafon, alphanumeric, UCS-2, first part of two (8-bit ref)
        "07919762020033F1400DD0CDF2396C7EBB010008415072411084618C0500035602010053004D005300200063006F00640065"
        "003A00200034003800350036002C00200063006F006E006600690072006D006100740069006F006E0020006F0066002000"
        "6100730073006F00630069006100740069006F006E0020006200650074007700650065006E0020006100630063006F0075"
        "006E007400200061006E00640020004D00650067",
        {
            "sender": "Megafon",
            "text": "SMS code: 4856, confirmation of association between account and Meg",
            "concat": {"ref": 0x56, "total": 2, "seq": 1},
            "encoding": "ucs2",
        },
        id="ucs2-concat-8-bit-ref",
    ),
    pytest.param(
        # ModemManager test_pdu_multipart, part 1: 8-bit reference 0x4C, -04:00
        "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E83C2207B599E07B1DFEE"
        "33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8"
        "779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369"
        "F71954768FDFE4B4FB0C9297E1F2F2BCECA6CF41",
        {
            "text": "This is a very long test designed to exercise multi part capability. It should show up as one"
            " message, not as two, as the underlying encoding represents ",
            "concat": {"ref": 0x4C, "total": 2, "seq": 1},
            "timestamp": "2012-04-25T19:56:50-04:00",
        },
        id="gsm7-concat-8-bit-ref-part-1",
    ),
    pytest.param(
        # ModemManager test_pdu_udhi: KPN NL welcome message, IE 08 (16-bit reference 0x0010), sender
        # "1002" of type 85 (unknown)
        "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E2321BF46E83EA7790F59D1E"
        "97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C16031D96C064241E5656838AF03A96230982A269B"
        "CD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06"
        "D9C36E50FB2D4E97D9A0B49B5E96BBCB",
        {
            "sender": "1002",
            "text": "Welkom, bel om uw Voicemail te beluisteren naar +31612001233 (PrePay: *100*1233#). Voicemail"
            " ontvangen is altijd gratis. Voor gebruik van mobiel interne",
            "concat": {"ref": 0x0010, "total": 2, "seq": 1},
        },
        id="gsm7-concat-16-bit-ref",
    ),
    pytest.param(
        # gammu tests/at-sms/22.dump: Czech, part 1 of 2
        "0791246020099990400C91247042972767000070107031107440A005000301020182E8B71A040FDBD96516881E5E83DA65"
        "907D5C968741EEF49AFC06B9CBEFB53C4C66B34061771AE42EEBDDE1799AED4EB34161D0BA0E7F93D3F63A483D2FB74161"
        "771AE42ED7E7EE3A3BCC0285C720FABB5D07B5DF6390BB3C1FA3C3FA32FBAD4BB940D43219342F83C6E8FC9C1E6E83E0F2"
        "F0F86D0FD3416150FBAD77874169903B0CA2BF41",
        {"sender": "+420724797276", "concat": {"ref": 1, "total": 2, "seq": 1}},
        id="gsm7-concat-czech",
    ),
    pytest.param(
        # gammu tests/at-sms/06.dump: a national number (type 81) from a Hong Kong operator
        "07915892200613F4000781056317F000007070900145000077C6B71C947FD7E5A072785E06D1DF20B1FC7D9F9741E3B79B5E"
        "76D3416133BD2C07A1C36EF2BC4C078DD161F7B94C6681F2EF3AE89E66B341F2F2B89CB6974161D0BC2CB7A7C765D0BC4C"
        "A7A7DD67D0FCFD76BB40D3741BCECE83E6617B19149E83C86573B8CEA6BB00",
        {"sender": "5036710", "timestamp": "2007-07-09T10:54:00+00:00"},
        id="national-number-81",
    ),
    pytest.param(
        # ModemManager test_pdu_dcsf1: TP-DCS F1 (class 1, GSM-7) from SFR
        "07913306091093F0040485810000F111604231805180A049B7F90D9A1AA5A01668F8769BD3E4B29B9E2EB359A03FC85D06"
        "A9C3ED707A0EA2CBC3EE79BB4CA7CBCBA05643617DA7C76990FD4D979741EE77DD5E0ED741ED371D442E83E0E1F9BC0CD2"
        "81E677D9B84C06C1DF7539E85C9097E520FB9B2E2F83C6EF369C5E064D8D52D0BC2E07DDEF77D7DC2C7799E5A0771D040F"
        "CB41F402BB0047BFDD6550B80ECAD966",
        {
            "sender": "1800",
            "text": "Info SFR - Confidentiel, à ne jamais transmettre -\r\nVoici votre nouveau mot de passe : sw2ced"
            " pour gérer votre compte SFR sur www.sfr.fr ou par téléphone au 963",
            "timestamp": "2011-06-24T13:08:15+02:00",
        },
        id="dcs-group-f-class-1",
    ),
    pytest.param(
        # gammu tests/at-sms/33.dump: 8-bit WAP push with a port-addressing IE (05) in the header
        "07913307005630F0440BA13307570230F00006017010900412806A0605040B8423F0040603BEAF848C829831323737393730"
        "303539008D92891980160433333730373532303033302F545950453D504C4D4E009679424F008A808E0122880481020BB8"
        "83687474703A2F2F6D6D73632E6C61626D6374656C2E66723A393039302F6D333300",
        {"sender": "33707520030", "encoding": "8bit", "concat": None},
        id="8bit-port-ie-skipped",
    ),
]


def _capture(name: str) -> str:
    (hex_text,) = (p.values[0] for p in DELIVERS if p.id == name)
    assert isinstance(hex_text, str)
    return hex_text


@pytest.mark.parametrize(("hex_text", "expected"), DELIVERS)
def test_real_delivers(hex_text: str, expected: dict[str, Any]) -> None:
    decoded = decode_pdu(hex_text)
    assert isinstance(decoded, Deliver)
    out = decoded.as_json()
    assert out["type"] == "deliver"
    assert {key: out[key] for key in expected} == expected
    assert out["warnings"] == []


def test_json_has_exactly_the_issue_keys_plus_smsc_and_warnings() -> None:
    deliver = decode_pdu("0791534850020200040C9153486507895500006090608164138004D4F29C0E").as_json()
    assert set(deliver) == {"type", "sender", "text", "timestamp", "concat", "encoding", "smsc", "warnings"}
    report = decode_pdu("06000B910221815716F2709021510121807090215101718000", with_smsc=False).as_json()
    assert set(report) == {
        "type", "recipient", "text", "timestamp", "concat", "encoding", "reference", "status",
        "status_class", "discharge_time", "smsc", "warnings",
    }  # fmt: skip


def test_8bit_text_is_the_payload_in_hex_after_the_header() -> None:
    # gammu tests/at-sms/33.dump again: the header 06 05 04 0B84 23F0 (WAP push ports) is not text
    decoded = decode_pdu(_capture("8bit-port-ie-skipped"))
    assert isinstance(decoded, Deliver)
    assert decoded.user_data.header_ieis == (0x05,)
    assert decoded.text.startswith("040603beaf848c")
    assert bytes.fromhex(decoded.text) == decoded.user_data.payload


def test_message_waiting_group_is_reported() -> None:
    # Android GsmSmsTest.testCingularVoiceMail: C8 sets the voicemail indicator, C0 clears it
    on = decode_pdu("07912180958750F84401800500C87020026195702B06040102000200")
    off = decode_pdu("07912180958750F84401800500C07020027160112B06040102000000")
    assert isinstance(on, Deliver)
    assert isinstance(off, Deliver)
    assert on.coding.waiting is not None
    assert off.coding.waiting is not None
    assert (on.coding.waiting.active, on.coding.waiting.kind, on.coding.waiting.store) == (
        True,
        "voicemail",
        False,
    )
    assert off.coding.waiting.active is False


def test_message_class_from_dcs() -> None:
    decoded = decode_pdu(_capture("dcs-group-f-class-1"))
    assert isinstance(decoded, Deliver)
    assert decoded.coding.message_class == 1


def test_zero_time_zone_and_utc_offset_object() -> None:
    decoded = decode_pdu("0791534850020200040C9153486507895500006090608164138004D4F29C0E")
    assert isinstance(decoded, Deliver)
    assert decoded.timestamp == dt.datetime(2006, 9, 6, 16, 46, 31, tzinfo=dt.UTC)


def test_quarter_hour_time_zone() -> None:
    # +CDS example in a C# modem tool (see the `search` corpus: "sample message like this after sms
    # delivered"): Iran, +04:30 = 18 quarter hours
    report = decode_pdu("079189390500410006270C81891942345447228013023041812280130230718100")
    assert isinstance(report, StatusReport)
    assert report.timestamp.utcoffset() == dt.timedelta(hours=4, minutes=30)


# -- concatenated UCS-2 with an emoji cut in half (built by hand) -------------------------------------

# Phones cut UCS-2 parts at 67 code units, and some cut between the two halves of a surrogate pair.
# "hi 😀!" as two parts, reference 0x2A: part 1 ends with D83D, part 2 starts with DE00.
_TAIL = "0B915155214365F7" + "0008" + "5211034105000A"  # +15551234567, UCS-2, 2025-11-30 14:50 -05:00
EMOJI_PART_1 = "0044" + _TAIL + "0E" + "0500032A0201" + "006800690020D83D"
EMOJI_PART_2 = "0044" + _TAIL + "0A" + "0500032A0202" + "DE000021"


def test_emoji_split_across_parts_is_whole_when_joined() -> None:
    first, second = decode_pdu(EMOJI_PART_1), decode_pdu(EMOJI_PART_2)
    assert isinstance(first, Deliver)
    assert isinstance(second, Deliver)
    assert first.timestamp.isoformat() == "2025-11-30T14:50:00-05:00"
    # Each part alone shows the half it has as U+FFFD, as a phone showing them apart would.
    assert (first.text, second.text) == ("hi \ufffd", "\ufffd!")
    assert join_texts([second, first]) == "hi 😀!"
    assert first.as_json()["concat"] == {"ref": 0x2A, "total": 2, "seq": 1}


def test_emoji_whole_in_one_part() -> None:
    # built by hand: "👍🏽" (thumbs up, skin tone): two surrogate pairs
    decoded = decode_pdu("0004" + _TAIL + "08" + "D83DDC4DD83CDFFD")
    assert decoded.text == "👍🏽"


def test_escape_split_across_gsm7_parts_is_whole_when_joined() -> None:
    # built by hand: "a€" cut between ESC and 0x65, as a careless sender would
    def part(sequence: int, septets: bytes) -> str:
        header = bytes.fromhex(f"0500032B02{sequence:02X}")
        ud = header + pack_septets(septets, fill_bits=1)
        return "00440B915155214365F700005211034105000A" + f"{7 + len(septets):02X}" + ud.hex()

    first = decode_pdu(part(1, b"a\x1b"))
    second = decode_pdu(part(2, b"\x65"))
    assert isinstance(first, Deliver)
    assert isinstance(second, Deliver)
    assert first.text == "a\ufffd"
    assert join_texts([first, second]) == "a€"


# -- national language shift tables ------------------------------------------------------------------

# Android GsmSmsTest sBasicTables (ESC shown as '@') and sExtendedTables / sExtendedTableIndexes:
# an independent transcription of TS 23.038 Annex A to check ours against.
ANDROID_LOCKING = {
    1: "@£$¥€éùıòÇ\nĞğ\rÅåΔ_ΦΓΛΩΠΨΣΘΞ@ŞşßÉ !\"#¤%&'()*+,-./0123456789:;<=>?İABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "çabcdefghijklmnopqrstuvwxyzäöñüà",
    3: "@£$¥êéúíóç\nÔô\rÁáΔ_ªÇÀ∞^\\€Ó|@ÂâÊÉ !\"#º%&'()*+,-./0123456789:;<=>?ÍABCDEFGHIJKLMNOPQRSTUVWXYZÃÕÚÜ§~"
    "abcdefghijklmnopqrstuvwxyzãõ`üà",
}
ANDROID_SINGLE = {
    0: ("\f^{}\\[~]|€", [0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65]),
    1: (
        "\f^{}\\[~]|ĞİŞç€ğış",
        [0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x47, 0x49, 0x53, 0x63, 0x65, 0x67, 0x69, 0x73],
    ),
    2: (
        "ç\f^{}\\[~]|ÁÍÓÚá€íóú",
        [0x09, 0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x41, 0x49, 0x4F, 0x55, 0x61, 0x65, 0x69, 0x6F, 0x75],
    ),
    3: (
        "êç\fÔôÁáΦΓ^ΩΠΨΣΘÊ{}\\[~]|ÀÍÓÚÃÕÂ€íóúãõâ",
        [
            0x05, 0x09, 0x0A, 0x0B, 0x0C, 0x0E, 0x0F, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1F,
            0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x41, 0x49, 0x4F, 0x55, 0x5B, 0x5C, 0x61, 0x65, 0x69,
            0x6F, 0x75, 0x7B, 0x7C, 0x7F,
        ],
    ),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(ANDROID_LOCKING))
def test_locking_tables_match_android(language: int) -> None:
    assert LOCKING[language].replace("\x1b", "@") == ANDROID_LOCKING[language]


@pytest.mark.parametrize("language", sorted(ANDROID_SINGLE))
def test_single_shift_tables_match_android(language: int) -> None:
    chars, codes = ANDROID_SINGLE[language]
    table = {code: char for code, char in SINGLE[language].items() if code != 0x1B}
    assert table == dict(zip(codes, chars, strict=True))


def _gsm7_deliver(header: bytes, septets: bytes) -> str:
    """Built by hand: an SMS-DELIVER from +15551234567 with this UDH (UDHL included) and text."""
    fill = (7 - len(header) * 8 % 7) % 7
    udl = (len(header) * 8 + fill) // 7 + len(septets)
    ud = header + pack_septets(septets, fill)
    first = "44" if header else "04"
    return "00" + first + "0B915155214365F700005211034105000A" + f"{udl:02X}" + ud.hex()


@pytest.mark.parametrize(
    ("header", "septets", "text"),
    [
        # Turkish locking (25 01) and single shift (24 01): G-breve, dotless i, s-cedilla, space, ESC 0x49
        # (I with dot), ESC 0x65 (euro)
        ("06250101240101", b"\x0b\x07\x1d\x20\x1b\x49\x1b\x65", "Ğış İ€"),
        # Spanish single shift only (24 02): "Buenos d" ESC 0x69 "as"
        ("03240102", b"Buenos d\x1b\x69as", "Buenos días"),
        # Portuguese locking and single shift (25 03, 24 03): ç ã o, ESC 0x61 Â
        ("06250103240103", b"\x09\x7b\x6f\x1b\x61", "çãoÂ"),
        # Turkish locking with a concatenation IE before it: 0x1C is Ş there, not Æ
        ("080003010201250101", b"\x1c", "Ş"),
    ],
)
def test_national_language_tables(header: str, septets: bytes, text: str) -> None:
    decoded = decode_pdu(_gsm7_deliver(bytes.fromhex(header), septets))
    assert decoded.text == text
    assert decoded.as_json()["warnings"] == []


def test_unsupported_national_table_decodes_with_default_and_says_so() -> None:
    # built by hand: Bengali locking shift (25 04), which we do not have
    decoded = decode_pdu(_gsm7_deliver(bytes.fromhex("03250104"), b"Hello"))
    assert decoded.text == "Hello"
    assert decoded.as_json()["warnings"] == [
        "national language locking shift table 4 (Bengali) is not supported: decoded with the default alphabet"
    ]


def test_double_escape_is_a_space_and_unknown_escape_falls_back() -> None:
    # TS 23.038 §6.2.1.1 (and Android GsmSmsTest.testDecodeExtendedFallback): ESC ESC shows a space,
    # ESC + a code the extension table lacks shows the alphabet's character for it
    decoded = decode_pdu(_gsm7_deliver(b"", b"a\x1b\x1bb\x1b\x41"))
    assert decoded.text == "a bA"


# -- SMS-STATUS-REPORT -------------------------------------------------------------------------------

REPORTS = [
    pytest.param(
        # http://amro.blogspot.com/2007/09/receiving-sms-status-report-message.html (+CDS, no SMSC)
        "06000B910221815716F2709021510121807090215101718000",
        False,
        {
            "recipient": "+20121875612",
            "reference": 0,
            "status": 0x00,
            "status_class": "delivered",
            "timestamp": "2007-09-12T15:10:12+02:00",
            "discharge_time": "2007-09-12T15:10:17+02:00",
        },
        id="st-00-no-smsc",
    ),
    pytest.param(
        # python-gsmmodem test/test_pdu.py: reference 214
        "0006D60B911326880736F4111011719551401110117195714000",
        True,
        {"recipient": "+31628870634", "reference": 214, "status": 0x00, "smsc": None},
        id="st-00-reference-214",
    ),
    pytest.param(
        # gammu tests/at-sms/38.dump: national recipient (81), Czech network
        "079124602009999006B4098106326906F2212041015554402120410155054000",
        True,
        {
            "recipient": "602396602",
            "reference": 180,
            "status": 0x00,
            "timestamp": "2012-02-14T10:55:45+01:00",
        },
        id="st-00-national-recipient",
    ),
    pytest.param(
        # gammu tests/at-sms/34.dump: TP-PI 06 (TP-DCS and an empty TP-UD follow), +10:00
        "07911614786007F006060B911634092142F4019071011000040190710110450400060000",
        True,
        {
            "recipient": "+61439012244",
            "text": "",
            "encoding": "gsm7",
            "timestamp": "2010-09-17T10:01:00+10:00",
        },
        id="st-00-with-tp-pi",
    ),
    pytest.param(
        # gammu tests/at-sms/32.dump: read from the SIM, the record padded with FF after TP-ST
        "079124602009999002AB098106845688F8907080517375809070805183018000" + "FF" * 142,
        True,
        {"recipient": "604865888", "reference": 171, "status": 0x00},
        id="st-00-sim-record-padding",
    ),
    pytest.param(
        # ModemManager test_pdu_not_stored: TP-ST 0x30 (temporary error, the centre still tries)
        "07914356060013F1065A098136397339F7219011700463802190117004638030",
        True,
        {"recipient": "639337937", "reference": 90, "status": 0x30, "status_class": "pending"},
        id="st-30-pending",
    ),
    pytest.param(
        # ModemManager src/mm-modem-helpers.c, the +CDS example beside mm_3gpp_cds_regex_get
        "07914356060013F10659098136395339F6219011707193802190117071938030",
        True,
        {"recipient": "639335936", "reference": 89, "status": 0x30, "status_class": "pending"},
        id="st-30-modemmanager-cds",
    ),
    pytest.param(
        # built from gammu tests/at-sms/38.dump with TP-ST changed to 0x46 (validity period expired)
        "079124602009999006B4098106326906F2212041015554402120410155054046",
        True,
        {"reference": 180, "status": 0x46, "status_class": "failed"},
        id="st-46-permanent",
    ),
    pytest.param(
        # built from gammu tests/at-sms/38.dump with TP-ST changed to 0x41 (incompatible destination)
        "079124602009999006B4098106326906F2212041015554402120410155054041",
        True,
        {"status": 0x41, "status_class": "failed"},
        id="st-41-permanent",
    ),
    pytest.param(
        # built from ModemManager's capture above with TP-ST changed to 0x62 (no response from the
        # recipient, the centre gave up)
        "07914356060013F1065A098136397339F7219011700463802190117004638062",
        True,
        {"status": 0x62, "status_class": "expired"},
        id="st-62-gave-up",
    ),
    pytest.param(
        # built from the blog capture above with TP-ST changed to 0x21 (recipient busy, still trying)
        "06000B910221815716F2709021510121807090215101718021",
        False,
        {"status": 0x21, "status_class": "pending"},
        id="st-21-pending",
    ),
]


@pytest.mark.parametrize(("hex_text", "with_smsc", "expected"), REPORTS)
def test_status_reports(hex_text: str, with_smsc: bool, expected: dict[str, Any]) -> None:
    decoded = decode_pdu(hex_text, with_smsc=with_smsc)
    assert isinstance(decoded, StatusReport)
    out = decoded.as_json()
    assert out["type"] == "status-report"
    assert {key: out[key] for key in expected} == expected


def test_garbled_status_report_from_a_zte_modem_is_kept_with_a_warning() -> None:
    # python-gsmmodem test/test_pdu.py: "Semi-invalid status report PDU captured from a ZTE modem"
    decoded = decode_pdu("0297F1061C0F910B487228297020F5317062419272803170624192138000")
    assert isinstance(decoded, StatusReport)
    assert decoded.reference == 28
    assert decoded.recipient == "+#08427829207025"
    assert decoded.warnings == ("TP-RA '#08427829207025' is not all digits",)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0x00, "delivered"),
        (0x02, "delivered"),
        (0x1F, "delivered"),
        (0x20, "pending"),
        (0x3F, "pending"),
        (0x40, "failed"),
        (0x5F, "failed"),
        (0x60, "expired"),
        (0x7F, "expired"),
        (0x80, "failed"),
        (0xFF, "failed"),
    ],
)
def test_status_class_ranges(status: int, expected: str) -> None:
    assert status_class(status) == expected


# -- SMS-SUBMIT --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_text", "recipient", "text", "reference"),
    [
        # gammu tests/at-sms/02.dump: a sent message kept by a Philippine phone (TP-SRR set)
        ("0791361907001003B17A0C913619397750320000AD11CD701E340FB3C3F23CC81D0689C3BF", "+639193770523",
         "May salary na ba?", 0x7A),
        # ModemManager test_pdu_stored_by_us: UCS-2 draft without SMSC
        ("002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60",
         "639337937", "你好你好你好你好你好你好你好你好你", 0),
    ],
)  # fmt: skip
def test_real_submits(hex_text: str, recipient: str, text: str, reference: int) -> None:
    decoded = decode_pdu(hex_text)
    assert isinstance(decoded, DecodedSubmit)
    out = decoded.as_json()
    assert (out["type"], out["recipient"], out["text"], out["reference"]) == (
        "submit",
        recipient,
        text,
        reference,
    )


@pytest.mark.parametrize("text", ["Hello", "€[]{}~^|\\", "hi 😀", "x" * 200 + "€", "ç" * 80])
def test_round_trip_through_the_submit_encoder(text: str) -> None:
    pdus = build_submit("+15551234567", text, reference=7, status_report=True)
    decoded = [decode_pdu(p.hex) for p in pdus]
    submits = [d for d in decoded if isinstance(d, DecodedSubmit) and d.status_report_requested]
    assert len(submits) == len(pdus)
    assert "".join(d.text for d in submits) == text


# -- malformed ---------------------------------------------------------------------------------------

MALFORMED = [
    pytest.param("", True, "empty PDU", id="empty"),
    pytest.param("07914151551512f2040B91610555151", True, r"odd number of hex digits \(31\)", id="odd-length"),
    # python-gsmmodem test_decode_invalidData
    pytest.param("AFSDSDF LJJFKLDJKLFJ# #$KJLKJL SF", True, r"not hex: 'S' at position 2", id="bad-hex"),
    # gammu tests/at-sms-failing/13.dump: a phone that printed '=' and 'p' inside its hex
    pytest.param("0BD04259303784=96p331p711", True, r"not hex: '=' at position 14", id="bad-hex-gammu"),
    pytest.param("0791534850020200040C91534865", True, r"PDU ends too early in TP-OA \(needs 6 octets, 3 left\)",
                 id="truncated-address"),
    pytest.param("0791534850020200040C915348650789550000609060816413", True,
                 r"PDU ends too early in TP-SCTS \(needs 7 octets, 6 left\)", id="truncated-timestamp"),
    # ModemManager test_pdu_insufficient_data: 11 septets need 10 octets
    pytest.param("07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37", True,
                 "TP-UDL says 11 septets but only 9 octets follow", id="udl-too-long-gsm7"),
    # python-gsmmodem test/test_pdu.py: "User data length is invalid in this PDU (too long)"
    pytest.param("0041010C910661345542F60008A0050003000301306F3044", True,
                 "TP-UDL says 160 octets but only 10 octets follow", id="udl-too-long-ucs2"),
    # gammu tests/at-sms/41.dump: a stored SUBMIT cut short by the phone
    pytest.param("0041000b817777777777f700005d0605041578000" + "04de1135b851283d4e2afdd8bd576f3b2dc5e96f7dc617a78"
                 "8e2ebbd761173c2ca7e777f0b79cdecbe5663bf8bdc74e57cdcfbcf5b97387dbe59e1be00ed3c37374d9bd0ebbe06139",
                 True, "TP-UDL says 93 septets but only 79 octets follow", id="udl-too-long-gammu"),
    # gammu tests/at-sms/39.dump: a Spanish network's missed-call notice whose text runs past TP-UDL
    pytest.param("07914336120011F10404A14949000021807001253040356C76B81D268741F0B29C9C268741E4B20EB49AD16CB19BAD"
                 "368BD96EA0B71B04BBBD603810284C078162315D2CE70289EBFAE1AC0CB2BFF52C10FC2D0799C3F6B71CC46687DB65"
                 "50980D8AC962", True, "30 octets follow the 53 septets TP-UDL announces", id="udl-too-short"),
    # built by hand: UDHL 0A but only 6 octets of user data
    pytest.param("00440B915155214365F700085211034105000A060A0003010201", True,
                 "UDH length 10 runs past the 6 octets of user data", id="udh-length-beyond-data"),
    # built by hand: an IE that says 4 octets with 3 left in the header
    pytest.param("00440B915155214365F700085211034105000A06050004010201", True,
                 "UDH IE 00 says 4 octets but only 3 remain", id="ie-beyond-header"),
    # built by hand: a concatenation IE of the wrong length
    pytest.param("00440B915155214365F700085211034105000A0706000401020100", True,
                 r"UDH IE 00 \(concatenation\) has length 4, expected 3", id="concat-ie-length"),
    # nRF91 AT command reference, +CDS example (an octet is missing: TP-MR or the SMSC field)
    pytest.param("060C91534810325476171160316255001711603152120000", False,
                 r"PDU ends too early in TP-RA \(needs 73 octets, 20 left\)", id="nordic-doc-missing-octet"),
    # python-gsmmodem test_decode_invalidPduType: first octet 43, TP-MTI 3
    pytest.param("0043010C910661345542F60008A0050003000301306F3044", True,
                 "first octet 43: TP-MTI 3 is reserved", id="reserved-mti"),
    # gammu tests/at-sms-failing/35.dump: TP-DCS 39 (compressed)
    pytest.param("07916307996905F0040B916307779872F4003901406041433180353058AC6CCBCD64B05BB80C200076000000000020"
                 "006F0074007400000000006F00630000006900760061006C002000", True,
                 r"TP-DCS 39 says the text is compressed \(TS 23.042\), which is not supported", id="compressed"),
    # gammu tests/at-sms-failing/18.dump: a PDU without SMSC read as if it had one
    pytest.param("0CD0ABD9CC86CBC16034180C1616000AD0D770BB5D0700F9FF080074006500730074", True,
                 r"SMSC length 12 is more than 11 octets \(is this a PDU without the SMSC field\?\)", id="no-smsc"),
    # built by hand: month 13
    pytest.param("00040B915155214365F70000523111410500000141", True, "TP-SCTS 52311141050000 is not a time",
                 id="bad-month"),
    # built by hand: UCS-2 with an odd number of octets
    pytest.param("00040B915155214365F700085211034105000A03006800", True,
                 r"UCS-2 user data has an odd number of octets \(3\)", id="odd-ucs2"),
]  # fmt: skip


@pytest.mark.parametrize(("hex_text", "with_smsc", "reason"), MALFORMED)
def test_malformed_pdus_name_the_problem(hex_text: str, with_smsc: bool, reason: str) -> None:
    with pytest.raises(MalformedPduError, match=reason) as caught:
        decode_pdu(hex_text, with_smsc=with_smsc)
    assert "\n" not in caught.value.reason
    assert isinstance(caught.value, ModemError)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_random_bytes_raise_only_malformed_pdu_error(data: bytes, with_smsc: bool) -> None:
    try:
        decoded = decode_pdu(data.hex(), with_smsc=with_smsc)
    except MalformedPduError as exc:
        reason = exc.reason
    else:
        decoded.as_json()
        return
    assert reason
    assert "\n" not in reason


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["00", "0791534850020200"]),
    st.sampled_from([0x00, 0x04, 0x40, 0x44, 0x01, 0x11, 0x51, 0x06, 0x46]),
    st.binary(max_size=180),
)
def test_random_bodies_after_a_valid_start_raise_only_malformed_pdu_error(
    smsc: str, first: int, body: bytes
) -> None:
    with contextlib.suppress(MalformedPduError):
        decode_pdu(smsc + f"{first:02X}" + body.hex()).as_json()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_random_text_raises_only_malformed_pdu_error(text: str) -> None:
    with contextlib.suppress(MalformedPduError):
        decode_pdu(text)
