"""What the station agent queues for a tag read: the UID, the NDEF text and, for a tamper-evident tag,
its tamper loop as the reader found it."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.rfid import DeviceError, TagArrived, TamperStatus
from devices.rfid.errors import TagLeftField
from devices.rfid.frontend import TagReading
from devices.rfid.ntag import NTAG213, NTAG213_TT
from station.agent import StationAgent
from station.config import OutboxConfig, ReaderConfig, ServiceConfig, StationConfig

UID = bytes.fromhex("04C0FFEE000001")


@pytest.fixture
def agent(tmp_path: Path):
    config = StationConfig(
        service=ServiceConfig(url="http://127.0.0.1:9", key="k"),
        outbox=OutboxConfig(path=str(tmp_path / "outbox.sqlite")),
        reader=ReaderConfig(name="Virtual PCD", device="reader-1"),
    )
    emitted: list[dict] = []
    agent = StationAgent(config, emit=emitted.append)
    yield agent, emitted
    agent.outbox.close()


def arrived(tamper: TamperStatus | None, kind=NTAG213_TT) -> TagArrived:
    reading = TagReading("Virtual PCD 00 00", UID, b"", kind, "get_version", "text", "S1", tamper)
    return TagArrived(reading, 0.0)


def queued_body(agent: StationAgent) -> dict:
    pending = agent.outbox.wait(0)
    assert pending is not None
    return pending.body


def test_an_open_loop_goes_with_the_read(agent):
    station, emitted = agent
    station.on_tag_event(arrived(TamperStatus("open", True, b"OPEN")))
    body = queued_body(station)
    assert (body["uid"], body["text"], body["device"]) == (UID.hex().upper(), "S1", "reader-1")
    assert (body["tamper"], body["tamper_opened_before"]) == ("open", True)
    assert emitted[-1]["event"] == "queued" and emitted[-1]["tamper"] == "open"


def test_an_unreadable_loop_is_sent_as_such_without_the_permanent_record(agent):
    station, _ = agent
    station.on_tag_event(arrived(TamperStatus("unreadable", None)))
    body = queued_body(station)
    assert body["tamper"] == "unreadable" and "tamper_opened_before" not in body


def test_a_tag_without_a_loop_and_a_half_read_tag_carry_no_tamper_status(agent):
    station, emitted = agent
    station.on_tag_event(arrived(None, NTAG213))
    first = queued_body(station)
    assert "tamper" not in first and "tamper" not in emitted[-1]
    station.outbox.answered(station.outbox.wait(0).id, 201, {})
    station.on_tag_event(DeviceError(TagLeftField("left", uid=UID), 0.0, "Virtual PCD 00 00"))
    second = queued_body(station)
    assert second["uid"] == UID.hex().upper() and second["text"] is None and "tamper" not in second
