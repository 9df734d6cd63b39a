"""Tags arriving and leaving, read through pyscard → pcscd → vpcd → the virtual tag."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from rfid_stack import SLOT0, SLOT1, EventLog
from smartcard.System import readers

from devices.rfid import DeviceError, ReaderAdded, ReaderRemoved, TagArrived, TagRemoved
from simulators.pcscd import Pcscd
from simulators.tag import VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

NUMBER = "F220100202600012787"
UID = bytes.fromhex("04A1B2C3D4E5F6")
MakeTag = Callable[..., VirtualTag]


def test_tag_on_the_reader_arrives_with_uid_type_and_text_and_leaves(
    monitor: EventLog, tags: MakeTag
) -> None:
    tag = tags("ntag215", uid=UID, text=NUMBER)
    tag.put_on_reader()
    arrived = monitor.expect(TagArrived)
    assert (arrived.reading.uid_hex, arrived.reading.type.name, arrived.text) == (
        "04A1B2C3D4E5F6",
        "NTAG215",
        NUMBER,
    )
    assert arrived.to_json()["tamper"] is None
    tag.take_off_reader()
    removed = monitor.expect(TagRemoved)
    assert removed.uid == UID


@pytest.mark.parametrize(
    ("kind", "name"), [("ntag213", "NTAG213"), ("ntag215", "NTAG215"), ("ntag216", "NTAG216")]
)
def test_ntag_models_are_told_apart_by_get_version(
    monitor: EventLog, tags: MakeTag, kind: str, name: str
) -> None:
    tags(kind).put_on_reader()
    arrived = monitor.expect(TagArrived)
    assert (arrived.reading.type.name, arrived.reading.identified_by, len(arrived.uid)) == (
        name,
        "get_version",
        7,
    )


def test_mifare_classic_is_reported_with_its_4_byte_uid_and_no_ndef(monitor: EventLog, tags: MakeTag) -> None:
    tags("classic4", uid=bytes.fromhex("C0FFEE01")).put_on_reader()
    arrived = monitor.expect(TagArrived)
    assert (arrived.reading.uid_hex, arrived.reading.type.name) == ("C0FFEE01", "MIFARE Classic 1K")
    assert (arrived.reading.ndef, arrived.text) == ("not_type2", None)


def test_tag_removed_mid_read_is_an_error_event_never_an_arrival(monitor: EventLog, tags: MakeTag) -> None:
    tag = tags("ntag215", uid=UID, text=NUMBER)
    tag.leave_during_read(after=1)  # the header is read, the NDEF area is not
    tag.put_on_reader()
    error, before = monitor.until(DeviceError)
    assert error.kind == "tag_removed"
    assert not [event for event in before if isinstance(event, TagArrived)]
    tag.put_on_reader()  # back on the reader: read whole this time
    arrived, before = monitor.until(TagArrived)
    assert arrived.text == NUMBER
    assert not [event for event in before if isinstance(event, TagRemoved)]


def test_tag_leaving_after_its_uid_was_read_reports_the_uid_and_type_but_no_text(
    monitor: EventLog, tags: MakeTag
) -> None:
    tag = tags("ntag215", uid=UID, text=NUMBER)
    tag.leave_during_read(after=1)  # the UID and header are read, the NDEF area is not
    tag.put_on_reader()
    error, _before = monitor.until(DeviceError)
    assert (error.kind, error.uid) == ("tag_removed", UID)
    record = error.to_json()
    assert (record["uid"], record["type"]) == (UID.hex().upper(), "NTAG215")
    assert NUMBER not in str(record)


def test_tamper_loop_opened_is_reported_as_a_broken_seal(monitor: EventLog, tags: MakeTag) -> None:
    seal = tags("ntag213tt", uid=UID)
    seal.put_on_reader()
    intact = monitor.expect(TagArrived)
    assert intact.reading.tamper is not None
    assert (intact.reading.type.name, intact.reading.tamper.loop, intact.reading.tamper.broken) == (
        "NTAG213 TT",
        "closed",
        False,
    )
    seal.open_tamper_loop()
    monitor.expect(TagRemoved)
    opened = monitor.expect(TagArrived)
    assert opened.to_json()["tamper"] == {"loop": "open", "opened_before": True, "broken": True}


def test_reader_without_direct_transmit_still_reads_the_tag(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag216", text=NUMBER, reader="generic").put_on_reader()
    arrived = monitor.expect(TagArrived)
    assert (arrived.reading.type.name, arrived.reading.identified_by, arrived.text) == (
        "NTAG216",
        "capability_container",
        NUMBER,
    )


def test_tag_silent_to_get_version_is_still_read(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag213", text=NUMBER, answers_get_version=False).put_on_reader()
    arrived = monitor.expect(TagArrived)
    assert (arrived.reading.type.name, arrived.reading.identified_by, arrived.text) == (
        "NTAG213",
        "capability_container",
        NUMBER,
    )


def test_each_reader_reports_its_own_tag(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag215", slot=0, uid=UID).put_on_reader()
    tags("ntag213", slot=1, uid=bytes.fromhex("04000000000001")).put_on_reader()
    first = monitor.expect(TagArrived, reader=None)
    second = monitor.expect(TagArrived, reader=None)
    assert {(first.reader, first.uid), (second.reader, second.uid)} == {
        (SLOT0, UID),
        (SLOT1, bytes.fromhex("04000000000001")),
    }


def test_pcscd_gone_is_one_error_then_readers_and_tag_come_back(
    pcscd: Pcscd, monitor: EventLog, tags: MakeTag
) -> None:
    assert pcscd.owned, (
        "this test stops and restarts pcscd, so it must run the pcscd itself: stop the other one"
    )
    tags("ntag215", uid=UID, text=NUMBER).put_on_reader()
    monitor.expect(TagArrived)
    pcscd.stop()
    error, _ = monitor.until(DeviceError, reader=None)
    assert error.kind == "pcscd_unavailable"
    removed = monitor.expect(TagRemoved)
    monitor.expect(ReaderRemoved, SLOT0)
    monitor.expect(ReaderRemoved, SLOT1)
    assert removed.uid == UID
    pcscd.start()
    monitor.expect(ReaderAdded, SLOT0)
    again, before = monitor.until(TagArrived)
    assert (again.uid, again.text) == (UID, NUMBER)
    assert not [event for event in before if isinstance(event, DeviceError)]


def test_virtual_tag_reads_like_a_storage_card_in_any_pcsc_client(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag215", uid=UID).put_on_reader()
    monitor.expect(TagArrived)
    reader = next(r for r in readers() if str(r) == SLOT0)
    connection = reader.createConnection()
    connection.connect()
    try:
        atr = bytes(connection.getATR())
        data, sw1, sw2 = connection.transmit([0xFF, 0xCA, 0x00, 0x00, 0x00])
    finally:
        connection.disconnect()
    assert atr.hex().upper() == "3B8F8001804F0CA0000003060300030000000068"
    assert (bytes(data), sw1, sw2) == (UID, 0x90, 0x00)
    scan = subprocess.run(["pcsc_scan", "-c", "-n"], capture_output=True, text=True, timeout=30, check=True)
    assert "Card inserted" in scan.stdout
    assert "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68" in scan.stdout
