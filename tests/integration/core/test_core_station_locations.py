"""A station bound to a storage location records its sightings there: `custody station add --location`,
`custody station bind|unbind NAME --location`, read again by the sighting's own transaction."""

from __future__ import annotations

import pytest
from storage_rows import place, sightings
from test_core_cli_stations import printed, run, station_log

from custody.credentials import digest
from custody.errors import InvalidLocationCode, NotFound, StationChangeRefused
from custody.model import Department, Role
from custody.scans import Scan, ScanSource
from custody.station_keys import StationKeys

ROOM = "L220102-A-1"


def scanned_by(custody, key: str, number: str, scan_key: str = "k-1") -> None:
    """A scan as the service records it: the station as its remembered key says, checked again in the
    sighting's transaction."""
    station = StationKeys(custody.store).authenticate(key)
    source = ScanSource(
        station.name, station.unit_code, station.location_code, station_id=station.id, key_sha256=digest(key)
    )
    custody.scans.record(source, Scan("scanner-1", scan_key, code=number))


@pytest.fixture
def room(custody) -> str:
    place(custody, "L220100-B")  # a store of the city bureau, above the desk's unit
    place(custody, "L220200-A")  # another city's
    return place(custody, ROOM, "南关物证室一号间")


def test_a_stations_sightings_are_recorded_at_its_location_or_at_none(custody, gun, room):
    admin = custody.users.actor("admin")
    at_room, key = custody.stations.add(
        admin, "ng-desk-1", "220102", Department.EVIDENCE_ROOM, ["scanner-1"], location_code=" l220102-a-1 "
    )
    assert at_room.location_code == ROOM
    _unbound, other_key = custody.stations.add(
        admin, "ng-desk-2", "220102", Department.EVIDENCE_ROOM, ["scanner-1"]
    )
    scanned_by(custody, key, gun.evidence_no)
    scanned_by(custody, other_key, gun.evidence_no)
    first, second = sightings(custody, gun)
    assert (first.station, first.payload["location"]) == ("ng-desk-1", ROOM)
    assert (second.station, second.payload["location"]) == ("ng-desk-2", None)


def test_the_sightings_transaction_reads_the_location_again(custody, gun, room):
    admin = custody.users.actor("admin")
    station, key = custody.stations.add(
        admin, "ng-desk-1", "220102", Department.EVIDENCE_ROOM, ["scanner-1"], location_code=ROOM
    )
    remembered = ScanSource(
        station.name, station.unit_code, "L220102-Z", station_id=station.id, key_sha256=digest(key)
    )
    custody.scans.record(remembered, Scan("scanner-1", "k-1", code=gun.evidence_no))
    custody.stations.bind_location(admin, "ng-desk-1", None, lambda _conn, _change: None)
    custody.scans.record(remembered, Scan("scanner-1", "k-2", code=gun.evidence_no))
    assert [s.payload["location"] for s in sightings(custody, gun)] == [ROOM, None]


def test_location_refusals_change_nothing(custody, room, passwords):
    admin = custody.users.actor("admin")
    custody.stations.add(admin, "ng-desk-1", "220102", Department.EVIDENCE_ROOM, ["s-1"], location_code=ROOM)
    custody.stations.add(admin, "kc-desk-1", "220103", Department.EVIDENCE_ROOM, ["s-1"])
    custody.users.create(
        admin, "cc-admin", "长春管理员", "220100", Department.OFFICE, {Role.ADMIN}, passwords
    )
    city = custody.users.actor("cc-admin")
    noted = []

    def record(_conn, change):
        noted.append(change)

    before = [custody.stations.get(admin, n) for n in ("ng-desk-1", "kc-desk-1")]
    with pytest.raises(NotFound):
        custody.stations.bind_location(admin, "kc-desk-1", "L220103-Q", record)  # no such location
    with pytest.raises(NotFound) as hidden:
        custody.stations.bind_location(city, "kc-desk-1", "L220200-A", record)  # not the admin's to see
    assert hidden.value.key == "station.unknown_location"
    with pytest.raises(StationChangeRefused, match="outside station kc-desk-1's unit"):
        custody.stations.bind_location(city, "kc-desk-1", ROOM, record)  # 南关's room, not 宽城's
    with pytest.raises(StationChangeRefused, match="outside"):
        custody.stations.bind_location(admin, "ng-desk-1", "L220100-B", record)  # above its unit
    with pytest.raises(StationChangeRefused, match="already"):
        custody.stations.bind_location(admin, "ng-desk-1", ROOM, record)
    with pytest.raises(InvalidLocationCode):
        custody.stations.bind_location(admin, "ng-desk-1", "220102-A", record)
    with pytest.raises(NotFound):
        custody.stations.add(
            admin, "ng-desk-9", "220102", Department.EVIDENCE_ROOM, ["s"], location_code="L220102-Q"
        )
    assert [custody.stations.get(admin, n) for n in ("ng-desk-1", "kc-desk-1")] == before
    assert noted == []
    with pytest.raises(NotFound):
        custody.stations.get(admin, "ng-desk-9")


def test_the_commands_bind_and_unbind_a_location_and_log_each_change(database_url, passwords, custody, room):
    added = run(
        database_url, "admin", passwords, "station", "add", "ng-desk-1", "--unit", "220102",
        "--device", "scanner-1", "--location", ROOM,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert printed(added)["location_code"] == ROOM
    unbound = run(database_url, "admin", passwords, "station", "unbind", "ng-desk-1", "--location")
    assert unbound.exit_code == 0 and printed(unbound)["location_code"] is None
    place(custody, "L220102-A-2")
    bound = run(database_url, "admin", passwords, "station", "bind", "ng-desk-1", "--location", "L220102-A-2")
    assert bound.exit_code == 0 and printed(bound)["location_code"] == "L220102-A-2"
    assert printed(bound)["devices"] == ["scanner-1"]
    notes = [row[4] for row in station_log(custody)[-3:]]
    assert notes[0].startswith("station-added: ng-desk-1 of unit 220102, at L220102-A-1, devices scanner-1")
    assert notes[1:] == [
        "station-location-unbound: location L220102-A-1 → none",
        "station-location-bound: location none → L220102-A-2",
    ]
    neither = run(database_url, "admin", passwords, "station", "bind", "ng-desk-1")
    assert neither.exit_code == 2 and "--location" in neither.output
    refused = run(database_url, "admin", passwords, "station", "bind", "ng-desk-1", "--location", "L220102-Q")
    assert refused.exit_code == 1 and "unknown storage location L220102-Q" in refused.output
