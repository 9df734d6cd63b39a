"""A closed case's firearm and ammunition lot walked through sealed storage by the commands people type,
on SQLite and on PostgreSQL: the clerk offers them, the custodian accepts them, seals them before a
witness with a virtual NTAG 213 TT (`custody sim tag`) written and bound through vpcd → pcscd → pyscard,
moves the seal to another shelf; the tag's loop is cut and the station agent's read of it records
``tamper: open`` on both items; the seal is opened with a reason before a witness, the broken tag is
refused, and the items are sealed again under a new number with a new tag. After every step the ledger
verifies (`custody ledger verify`) and replays (`custody ledger replay`) clean."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_stack import (
    CASE_NO,
    STATION,
    WAIT,
    Bureau,
    CommandDesk,
    SimulatedTag,
    StationProcess,
    bureau_on,
    station_config,
)

from custody.codes import SealNumber
from custody.intake import AmmunitionIntake
from custody.model import Department, ItemState, Role

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
READER = "Virtual PCD 00 00"
PASSWORD = "walk through the store 2026"
STORE, ROOM, SHELF_1, SHELF_2 = "L220102-A", "L220102-A-1", "L220102-A-1-01", "L220102-A-1-02"
FIRST_TAG, SECOND_TAG = "04E5EA1000B001", "04E5EA1000B002"
REASON = "防拆封签回路断开，开封清点"


@pytest.fixture(params=["sqlite", "postgresql"])
def bureau(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bureau]:
    """The e2e bureau on either back end, with a closed case holding a firearm and an ammunition lot,
    the Nanguan custodian and inspector, the store's locations, the station bound to the store room,
    and a password for each person who acts."""
    prepared = bureau_on(request, tmp_path / "bureau", request.param, firearms=1)
    custody = prepared.custody()
    try:
        admin = custody.users.actor("admin")
        clerk = custody.users.actor("ng-clerk")
        lot = custody.items.register_ammunition(clerk, CASE_NO, AmmunitionIntake("7.62mm", 40, "71"))
        custody.cases.close(clerk, CASE_NO)
        custodian = custody.users.add(
            "ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN}
        )
        custody.users.add("ng-auditor", "南关督察", "220102", Department.INSPECTION, {Role.AUDITOR})
        custody.users.add("ng-auditor2", "南关督察二", "220102", Department.INSPECTION, {Role.AUDITOR})
        for username in ("admin", "ng-clerk", "ng-custodian", "ng-auditor", "ng-auditor2"):
            custody.users.set_password(admin, username, PASSWORD)
        for code, place in ((STORE, "南关物证库"), (ROOM, "一号间"), (SHELF_1, "1号架"), (SHELF_2, "2号架")):
            custody.locations.add(custodian, code, place)
        custody.stations.bind_location(admin, STATION, ROOM, lambda _conn, _station: None)
    finally:
        custody.close()
    prepared.items.append(lot)
    prepared.numbers.append(lot.evidence_no)
    yield prepared


class Desk(CommandDesk):
    """The command line at the store's desk, reading what the walk left in the store."""

    def __init__(self, bureau: Bureau, tmp_path: Path) -> None:
        super().__init__(bureau, tmp_path, PASSWORD)

    def states(self) -> dict[str, tuple[ItemState, str | None, str | None, str | None]]:
        """Each item's (state, custodian's username, seal number, location), as stored."""
        custody = self.bureau.custody()
        try:
            custodian = custody.users.actor("ng-custodian").id
            found = [custody.items.item(None, number) for number in self.bureau.numbers]
            return {
                i.evidence_no: (
                    i.state,
                    None
                    if i.custodian_user_id is None
                    else "ng-custodian"
                    if i.custodian_user_id == custodian
                    else "?",
                    i.seal_no,
                    i.location_code,
                )
                for i in found
            }
        finally:
            custody.close()

    def last_events(self) -> dict[str, dict[str, Any]]:
        """Each item's newest event: its type and payload."""
        custody = self.bureau.custody()
        try:
            newest = {n: custody.items.item(None, n).history[-1] for n in self.bureau.numbers}
            return {n: {"event": str(e.event_type), **e.payload} for n, e in newest.items()}
        finally:
            custody.close()


def seal_with_tag(desk: Desk, location: str, witness: str) -> subprocess.CompletedProcess[str]:
    return desk.run(
        "ng-custodian",
        *("seal", "create", "--location", location, "--witness", witness),
        *("--tag", "--reader", "00 00", "--wait", str(WAIT)),
        *desk.bureau.numbers,
        second_persons=1,
    )


def answered(station: StationProcess) -> dict[str, Any]:
    return station.until(lambda r: r.get("event") in ("accepted", "refused"))


def test_a_closed_cases_items_walk_through_sealed_storage(
    bureau: Bureau, service, stations, pcscd, tmp_path: Path
) -> None:
    desk = Desk(bureau, tmp_path)
    numbers = sorted(bureau.numbers)
    desk.ledger_is_sound()

    # the clerk offers: the items are offered, still the case team's
    offer = desk.act("ng-clerk", "handover", "offer", CASE_NO, "--to", "ng-custodian", *numbers)
    assert (offer["status"], sorted(offer["evidence_nos"])) == ("offered", numbers)
    assert {s[:2] for s in desk.states().values()} == {(ItemState.OFFERED, None)}

    # the custodian accepts with their own password: in the store, in their custody, not yet sealed
    accepted = desk.act("ng-custodian", "handover", "accept", str(offer["id"]))
    assert accepted["status"] == "accepted"
    assert set(desk.states().values()) == {(ItemState.HANDED_OVER, "ng-custodian", None, None)}

    # sealed before the inspector with a seal tag written and bound at the reader
    tag = SimulatedTag("--type", "ntag213tt", "--uid", FIRST_TAG)
    try:
        tag.command("on", "on_reader")
        done = seal_with_tag(desk, SHELF_1, "ng-auditor")
        assert done.returncode == 0, done.stderr
        sealed = json.loads(done.stdout.splitlines()[-1])
        desk.ledger_is_sound()
        first_seal = sealed["seal_no"]
        assert SealNumber.parse(first_seal).sequence == 1
        assert (sealed["tag_uid"], sealed["tag"]["text"], sealed["tag"]["tamper"]["loop"]) == (
            FIRST_TAG,
            first_seal,
            "closed",
        )
        assert (sealed["custodian"], sealed["witness"]) == ("ng-custodian", "ng-auditor")
        assert set(desk.states().values()) == {(ItemState.SEALED, "ng-custodian", first_seal, SHELF_1)}
        tag.command("off", "off_reader")

        # moved to the next shelf: recorded on every item under the seal
        moved = desk.act("ng-custodian", "seal", "move", first_seal, "--to", SHELF_2)
        assert (moved["location_code"], moved["status"]) == (SHELF_2, "intact")
        assert set(desk.states().values()) == {(ItemState.SEALED, "ng-custodian", first_seal, SHELF_2)}
        assert {e["event"] for e in desk.last_events().values()} == {"relocated"}

        # the store room's station reads the seal tag: intact, then with its loop cut
        station = stations(station_config(tmp_path, service.url, bureau.station_key, reader=READER))
        station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
        tag.command("on", "on_reader")
        intact = answered(station)
        assert (intact["event"], intact["kind"], intact["seal_no"], intact["tamper"]) == (
            "accepted",
            "seal",
            first_seal,
            "closed",
        )
        tag.command("tamper", "tamper_loop_opened")
        broken = answered(station)
        assert (broken["event"], broken["seal_no"], broken["tamper"]) == ("accepted", first_seal, "open")
        assert [w["key"] for w in broken["warnings"]] == ["scan.tamper_open"]
        assert sorted(i["evidence_no"] for i in broken["items"]) == numbers
        assert station.terminate() == 0
        desk.ledger_is_sound()

        read = desk.last_events()
        for number in numbers:
            assert read[number]["event"] == "sighted"
            assert (read[number]["tamper"], read[number]["seal_no"], read[number]["uid"]) == (
                "open",
                first_seal,
                FIRST_TAG,
            )
            assert read[number]["location"] == ROOM
        shown = desk.act("ng-custodian", "seal", "show", first_seal)
        assert shown["last_reading"]["tamper"] == "open" and shown["last_reading"]["broken"] is True
        assert set(desk.states().values()) == {(ItemState.SEALED, "ng-custodian", first_seal, SHELF_2)}

        # opened before the inspector, with the reason on record: back in the store, unsealed
        opened = desk.act(
            "ng-custodian",
            "seal",
            "open",
            first_seal,
            "--reason",
            REASON,
            "--witness",
            "ng-auditor",
            second_persons=1,
        )
        assert (opened["status"], opened["void_reason"]) == ("void", REASON)
        assert set(desk.states().values()) == {(ItemState.HANDED_OVER, "ng-custodian", None, SHELF_2)}
        unsealed = desk.last_events()
        assert {(e["event"], e["seal_no"], e["reason"]) for e in unsealed.values()} == {
            ("unsealed", first_seal, REASON)
        }

        # the broken tag cannot seal again: refused, nothing written
        head = desk.head()
        refused = seal_with_tag(desk, SHELF_2, "ng-auditor2")
        assert refused.returncode == 1 and "tamper loop was found open" in refused.stderr
        assert desk.head() == head
    finally:
        tag.close()

    # sealed again under the next number, with a new tag, before an inspector who had no part in the
    # items' custody yet (the first one witnessed the first seal and its opening)
    fresh = SimulatedTag("--type", "ntag213tt", "--uid", SECOND_TAG)
    try:
        fresh.command("on", "on_reader")
        head = desk.head()
        again = seal_with_tag(desk, SHELF_2, "ng-auditor")
        assert again.returncode == 1 and "witness ng-auditor took part in the custody" in again.stderr
        assert desk.head() == head
        done = seal_with_tag(desk, SHELF_2, "ng-auditor2")
        assert done.returncode == 0, done.stderr
        resealed = json.loads(done.stdout.splitlines()[-1])
    finally:
        fresh.close()
    desk.ledger_is_sound()
    second_seal = resealed["seal_no"]
    assert second_seal != first_seal and SealNumber.parse(second_seal).sequence == 2
    assert (resealed["tag_uid"], resealed["tag"]["text"]) == (SECOND_TAG, second_seal)
    assert (resealed["custodian"], resealed["witness"]) == ("ng-custodian", "ng-auditor2")
    assert set(desk.states().values()) == {(ItemState.SEALED, "ng-custodian", second_seal, SHELF_2)}
    old = desk.act("ng-custodian", "seal", "show", first_seal)
    assert old["status"] == "void" and sorted(i["evidence_no"] for i in old["items"]) == numbers
