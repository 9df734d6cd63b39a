"""A tag presented at a desk becomes a sighting: virtual tag → vpcd → pcscd → pyscard → the tag monitor
in `custody station run` → HTTP → the service → the ledger. A tag carrying the evidence number as NDEF
text is found by its text; a tag with no NDEF is found by the UID it was bound with."""

from __future__ import annotations

import pytest
from e2e_stack import STATION, prepare_bureau, station_config

from simulators.tag import VPCD_PORTS, VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
READER = "Virtual PCD 00 00"
BOUND_UID = "04E2E0000000B1"


@pytest.fixture
def bureau(tmp_path, pcscd):
    prepared = prepare_bureau(tmp_path / "bureau")
    custody = prepared.custody()
    try:
        clerk = custody.users.actor("ng-clerk")
        item = prepared.items[1]
        custody.items.bind_tag(clerk, item.evidence_no, item.version, BOUND_UID, "ntag213")
    finally:
        custody.close()
    return prepared


@pytest.fixture
def tag_station(tmp_path, bureau, service, stations):
    station = stations(station_config(tmp_path, service.url, bureau.station_key, reader=READER))
    station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
    return station


def present(station, tag: VirtualTag) -> dict:
    """Put the tag on the reader until the station has the service's answer; then take it away."""
    tag.put_on_reader()
    try:
        return station.until(lambda r: r.get("event") in ("accepted", "refused"))
    finally:
        tag.take_off_reader()
        station.until(lambda r: r.get("event") == "removed")


def test_a_tag_with_the_evidence_number_as_ndef_text_becomes_a_sighting(bureau, tag_station):
    number = bureau.numbers[0]
    with VirtualTag("ntag215", text=number, port=VPCD_PORTS[0]) as tag:
        answer = present(tag_station, tag)
    assert answer["event"] == "accepted" and answer["evidence_no"] == number
    (sighting,) = bureau.wait_for_sightings(1)
    assert (sighting["evidence_no"], sighting["seq"]) == (number, answer["seq"])
    assert (sighting["source"], sighting["text"], sighting["uid"]) == ("tag", number, tag.uid.hex().upper())
    assert (sighting["station"], sighting["device"]) == (STATION, "reader-1")


def test_a_uid_only_tag_is_found_by_its_binding_and_an_unbound_one_is_refused(bureau, tag_station):
    with VirtualTag("ntag213", uid=bytes.fromhex(BOUND_UID), port=VPCD_PORTS[0]) as tag:
        bound = present(tag_station, tag)
    assert bound["event"] == "accepted" and bound["evidence_no"] == bureau.numbers[1]
    with VirtualTag("ntag213", uid=bytes.fromhex("04E2E0000000FF"), port=VPCD_PORTS[0]) as tag:
        unbound = present(tag_station, tag)
    assert unbound["event"] == "refused" and unbound["status"] == 404
    assert "bound to no item" in unbound["reason"]
    (sighting,) = bureau.wait_for_sightings(1)
    assert (sighting["evidence_no"], sighting["uid"], sighting["source"]) == (
        bureau.numbers[1],
        BOUND_UID,
        "tag",
    )
    assert "text" not in sighting


def test_a_bound_tag_leaving_mid_read_is_posted_by_its_uid_alone(bureau, tag_station):
    number = bureau.numbers[1]  # bound to BOUND_UID
    with VirtualTag("ntag213", uid=bytes.fromhex(BOUND_UID), text=number, port=VPCD_PORTS[0]) as tag:
        tag.leave_during_read(after=1)  # the UID is read whole, the NDEF text is not
        tag.put_on_reader()
        error = tag_station.until(lambda r: r.get("event") == "error")
        queued = tag_station.until(lambda r: r.get("event") == "queued")
        answer = tag_station.until(lambda r: r.get("event") in ("accepted", "refused"))
    assert (error["kind"], error["uid"], error["type"]) == ("tag_removed", BOUND_UID, "NTAG213")
    assert (queued["uid"], queued["code"]) == (BOUND_UID, None)
    assert answer["event"] == "accepted" and answer["evidence_no"] == number
    (sighting,) = bureau.wait_for_sightings(1)
    assert (sighting["evidence_no"], sighting["uid"], sighting["source"]) == (number, BOUND_UID, "tag")
    assert "text" not in sighting
