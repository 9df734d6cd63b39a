"""The driver's reader adapters, identification and NDEF reading/writing against the simulated tag,
without pcscd: APDUs go straight to the simulator's reader firmware."""

from __future__ import annotations

from typing import Any

import pytest
from rfid_direct import UID4, UID7, make_tag

from devices.rfid.errors import (
    NativeCommandUnsupported,
    NotNdefTag,
    TagCommandError,
    TagLeftField,
    TagLocked,
    TagTooSmall,
)
from devices.rfid.frontend import TagHandle
from devices.rfid.ntag import identify
from devices.rfid.readers import Acr122Reader, ReaderFamilies, StorageCardReader

NUMBER = "F220100202600012787"


def _handle(connection: Any) -> TagHandle:
    reader = ReaderFamilies().adapter_for(connection)
    return TagHandle(connection, reader, identify(reader, connection.atr))


def test_ntag_identified_by_get_version_with_its_7_byte_uid() -> None:
    _, connection = make_tag("ntag216")
    handle = _handle(connection)
    assert (handle.uid, handle.tag_type.name, handle.identity.identified_by) == (
        UID7,
        "NTAG216",
        "get_version",
    )


def test_reading_a_tag_gives_uid_type_and_text() -> None:
    _, connection = make_tag("ntag215", text=NUMBER)
    reading = _handle(connection).read()
    assert (reading.uid_hex, reading.type.name, reading.ndef, reading.text) == (
        "04A1B2C3D4E5F6",
        "NTAG215",
        "text",
        NUMBER,
    )
    assert reading.tamper is None


def test_factory_fresh_tag_reads_as_empty() -> None:
    _, connection = make_tag("ntag213")
    assert _handle(connection).read_ndef() == ("empty", None)


def test_mifare_classic_reported_with_4_byte_uid_and_no_ndef() -> None:
    _, connection = make_tag("classic4")
    reading = _handle(connection).read()
    assert (reading.uid, reading.type.name, reading.identified_by) == (UID4, "MIFARE Classic 1K", "atr")
    assert (reading.ndef, reading.text) == ("not_type2", None)


def test_reader_without_direct_transmit_falls_back_to_the_capability_container() -> None:
    _, connection = make_tag("ntag215", text=NUMBER, family="generic")
    handle = _handle(connection)
    assert isinstance(handle.reader, StorageCardReader) and not isinstance(handle.reader, Acr122Reader)
    assert (handle.tag_type.name, handle.identity.identified_by) == ("NTAG215", "capability_container")
    assert handle.read().text == NUMBER


def test_tag_silent_to_get_version_is_identified_by_its_capability_container() -> None:
    _, connection = make_tag("ntag213", text=NUMBER, answers_get_version=False)
    handle = _handle(connection)
    assert (handle.tag_type.name, handle.identity.identified_by, handle.read().text) == (
        "NTAG213",
        "capability_container",
        NUMBER,
    )


def test_tag_silent_to_get_version_is_selected_again_before_it_is_read() -> None:
    _, connection = make_tag("ntag215", text=NUMBER, answers_get_version=False)
    handle = _handle(connection)
    assert connection.resets == 1
    assert handle.read().text == NUMBER


def test_tag_answering_get_version_is_not_reset() -> None:
    _, connection = make_tag("ntag215", text=NUMBER)
    _handle(connection).read()
    assert connection.resets == 0


def test_generic_reader_refuses_native_commands() -> None:
    _, connection = make_tag("ntag215", family="generic")
    with pytest.raises(NativeCommandUnsupported):
        StorageCardReader(connection).transceive(b"\x60")  # type: ignore[arg-type]


def test_silent_tag_is_a_pn532_timeout_on_the_acr122u() -> None:
    _, connection = make_tag("ntag215", answers_get_version=False)
    with pytest.raises(TagCommandError, match="did not answer"):
        Acr122Reader(connection).transceive(b"\x60")  # type: ignore[arg-type]


def test_acr122u_is_probed_once_per_reader() -> None:
    _, connection = make_tag("ntag215")
    families = ReaderFamilies()
    assert isinstance(families.adapter_for(connection), Acr122Reader)
    assert isinstance(families.adapter_for(connection), Acr122Reader)
    assert connection.sent.count(b"\xff\x00\x48\x00\x00") == 1


def test_reader_named_acr122_needs_no_probe() -> None:
    _, connection = make_tag("ntag215", reader="ACS ACR122U PICC Interface 00 00")
    assert isinstance(ReaderFamilies().adapter_for(connection), Acr122Reader)
    assert connection.sent == []


def test_tamper_status_read_from_ntag213_tt() -> None:
    tag, connection = make_tag("ntag213tt")
    tag.loop_open = True
    tag.power_up()
    reading = _handle(connection).read()
    assert reading.type.name == "NTAG213 TT"
    assert reading.tamper is not None and reading.tamper.broken


def test_tamper_unreadable_without_native_commands_is_not_a_clean_seal() -> None:
    _, connection = make_tag("ntag213tt", family="generic")
    handle = _handle(connection)
    # The CC cannot tell a 213 TT from a 213: without GET_VERSION the tamper feature is invisible.
    assert handle.tag_type.name == "NTAG213" and handle.read().tamper is None


@pytest.mark.parametrize("kind", ["ntag213", "ntag215", "ntag216", "ntag213tt"])
def test_written_text_reads_back(kind: str) -> None:
    _, connection = make_tag(kind, text="F220100202600000001")
    assert _handle(connection).write_text(NUMBER).text == NUMBER


def test_text_filling_the_data_area_exactly_needs_no_terminator() -> None:
    _, connection = make_tag("ntag213")
    text = "x" * (144 - 2 - 7)  # TLV header 2 bytes, record header 7 bytes
    assert _handle(connection).write_text(text).text == text


def test_text_too_long_for_the_tag_is_refused_before_writing() -> None:
    tag, connection = make_tag("ntag213", text=NUMBER)
    before = bytes(tag.memory)
    with pytest.raises(TagTooSmall, match="144"):
        _handle(connection).write_text("x" * 200)
    assert bytes(tag.memory) == before


def test_read_only_tag_is_refused_before_writing() -> None:
    tag, connection = make_tag("ntag215", text=NUMBER, locked=True)
    before = bytes(tag.memory)
    with pytest.raises(TagLocked, match="read-only"):
        _handle(connection).write_text("F220100202600000001")
    assert bytes(tag.memory) == before


def test_lock_bits_on_a_needed_page_refuse_the_write() -> None:
    tag, connection = make_tag("ntag215", text=NUMBER)
    tag.write(2, b"\x00\x00\x20\x00")  # static lock bit of page 5
    before = bytes(tag.memory)
    with pytest.raises(TagLocked, match="5"):
        _handle(connection).write_text("F220100202600000001")
    assert bytes(tag.memory) == before


def test_dynamic_lock_bits_refuse_a_message_reaching_locked_pages() -> None:
    tag, connection = make_tag("ntag216")
    tag.write(0xE2, b"\x01\x00\x00\x00")  # pages 16-31
    with pytest.raises(TagLocked, match="16"):
        _handle(connection).write_text("y" * 60)
    assert _handle(connection).write_text(NUMBER).text == NUMBER  # pages 4-11 stay writable


def test_mifare_classic_cannot_be_written() -> None:
    _, connection = make_tag("classic4")
    with pytest.raises(NotNdefTag):
        _handle(connection).write_text(NUMBER)


def test_zero_byte_answer_is_a_removal() -> None:
    _, connection = make_tag("ntag215", text=NUMBER)
    handle = _handle(connection)
    connection.leave_after = len(connection.sent) + 1
    with pytest.raises(TagLeftField):
        handle.read()


def test_a_tag_leaving_after_its_uid_carries_the_uid_and_type_and_never_text() -> None:
    _, connection = make_tag("ntag215", text=NUMBER)
    handle = _handle(connection)
    connection.leave_after = len(connection.sent) + 1  # the header is read, the NDEF area is not
    with pytest.raises(TagLeftField) as left:
        handle.read()
    assert (left.value.uid, left.value.tag_type) == (UID7, "NTAG215")
    assert NUMBER not in left.value.message


def _exchanges_to_read_the_uid() -> int:
    _, probe = make_tag("ntag215", text=NUMBER)
    ReaderFamilies().adapter_for(probe).uid()
    return len(probe.sent)


def test_a_tag_leaving_while_being_identified_carries_the_uid_it_gave() -> None:
    _, connection = make_tag("ntag215", text=NUMBER)
    connection.leave_after = _exchanges_to_read_the_uid()  # at GET_VERSION, right after the UID
    reader = ReaderFamilies().adapter_for(connection)
    with pytest.raises(TagLeftField) as left:
        identify(reader, connection.atr)
    assert (left.value.uid, left.value.tag_type) == (UID7, None)


def test_a_tag_leaving_before_its_uid_was_read_carries_none() -> None:
    _, connection = make_tag("ntag215", text=NUMBER)
    connection.leave_after = _exchanges_to_read_the_uid() - 1
    reader = ReaderFamilies().adapter_for(connection)
    with pytest.raises(TagLeftField) as left:
        identify(reader, connection.atr)
    assert left.value.uid is None


def test_tag_leaving_at_any_point_of_a_write_leaves_old_empty_or_new_never_a_mix() -> None:
    old, new = "F220100202600000001", "A220102202612345629"
    _, probe = make_tag("ntag215", text=old)
    handle = _handle(probe)
    start = len(probe.sent)
    handle.write_text(new)
    exchanges = len(probe.sent) - start
    seen = set()
    for cut in range(exchanges):
        tag, connection = make_tag("ntag215", text=old)
        handle = _handle(connection)
        connection.leave_after = len(connection.sent) + cut
        with pytest.raises(TagLeftField):
            handle.write_text(new)
        _, after = make_tag("ntag215")
        after.firmware.tag = tag  # the same tag, back on a reader
        seen.add(_handle(after).read_ndef())
    assert seen == {("text", old), ("empty", None), ("text", new)}  # new: cut during the read-back
