"""A tamper-evident tag's loop reaches the ledger: a virtual NTAG 213 TT (`custody sim tag`) → vpcd →
pcscd → pyscard → the tag monitor in `custody station run` → HTTP → the service → the sighting's
payload and the answer. The loop is cut with the simulator's own ``tamper`` command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_stack import STATION, Bureau, SimulatedTag, station_config
from storage_rows import place, seal

from custody.model import Department, Role

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
READER = "Virtual PCD 00 00"
SEAL_UID = "04E5EA100000A1"
SHELF = "L220102-A-1-03"


@pytest.fixture
def tag_station(tmp_path, bureau, service, stations):
    station = stations(station_config(tmp_path, service.url, bureau.station_key, reader=READER))
    station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
    return station


@pytest.fixture
def tt_tag(bureau, pcscd) -> Iterator[SimulatedTag]:
    tag = SimulatedTag("--type", "ntag213tt", "--text", bureau.numbers[0])
    yield tag
    tag.close()


def answered(station) -> dict:
    return station.until(lambda r: r.get("event") in ("accepted", "refused"))


def test_a_cut_loop_is_forwarded_recorded_and_answered_as_open(bureau, tag_station, tt_tag):
    number = bureau.numbers[0]
    tt_tag.command("on", "on_reader")
    intact = answered(tag_station)
    assert intact["event"] == "accepted" and intact["evidence_no"] == number
    assert intact["tamper"] == "closed" and "warnings" not in intact

    tt_tag.command("tamper", "tamper_loop_opened")  # cut, then read again at the next power-up
    queued = tag_station.until(lambda r: r.get("event") == "queued")
    assert queued["tamper"] == "open"
    broken = answered(tag_station)
    assert broken["event"] == "accepted" and broken["tamper"] == "open"
    assert [w["key"] for w in broken["warnings"]] == ["scan.tamper_open"]

    first, second = bureau.wait_for_sightings(2)
    assert (first["evidence_no"], first["tamper"], first["tamper_opened_before"]) == (number, "closed", False)
    assert (second["evidence_no"], second["tamper"], second["tamper_opened_before"]) == (number, "open", True)
    assert (second["station"], second["device"], second["source"]) == (STATION, "reader-1", "tag")
    assert second["uid"] == tt_tag.ready["uid"]


@pytest.fixture
def sealed(bureau: Bureau) -> str:
    """Two of the bureau's firearms under a seal whose tag is SEAL_UID, on a shelf of the room the
    station stands in."""
    custody = bureau.custody()
    try:
        custody.users.add("ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
        custody.users.add("cc-custodian", "长春治安", "220100", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
        room = place(custody, "L220102-A-1", "南关物证室一号间")
        seal_no = seal(custody, bureau.items[:2], place(custody, SHELF), tag_uid=SEAL_UID)
        custody.stations.bind_location(custody.users.actor("admin"), STATION, room, lambda _c, _s: None)
    finally:
        custody.close()
    return seal_no


def test_a_seal_tags_cut_loop_is_recorded_for_every_item_inside(bureau, sealed, tag_station, pcscd):
    tag = SimulatedTag("--type", "ntag213tt", "--uid", SEAL_UID, "--text", sealed)
    try:
        tag.command("on", "on_reader")
        intact = answered(tag_station)
        tag.command("tamper", "tamper_loop_opened")
        broken = answered(tag_station)
    finally:
        tag.close()
    assert intact["event"] == "accepted" and (intact["kind"], intact["seal_no"]) == ("seal", sealed)
    assert intact["tamper"] == "closed" and "warnings" not in intact
    assert broken["event"] == "accepted" and broken["tamper"] == "open"
    assert [w["key"] for w in broken["warnings"]] == ["scan.tamper_open"]
    assert sorted(i["evidence_no"] for i in broken["items"]) == sorted(bureau.numbers[:2])

    found = bureau.wait_for_sightings(4)
    assert [(s["evidence_no"], s["tamper"]) for s in found] == [
        *((number, "closed") for number in sorted(bureau.numbers[:2])),
        *((number, "open") for number in sorted(bureau.numbers[:2])),
    ]
    for sighting in found:
        assert (sighting["seal_no"], sighting["location"], sighting["uid"]) == (
            sealed,
            "L220102-A-1",
            SEAL_UID,
        )
    assert found[-1]["seq"] == broken["seq"]
