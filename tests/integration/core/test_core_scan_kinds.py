"""Scan intake tells evidence numbers, seal numbers and location codes apart: a seal scan is a sighting
of every item inside it, a location scan answers what lies there and records nothing, and each kind's
refusals say what is wrong with it."""

from __future__ import annotations

import pytest
from storage_rows import lay, place, seal, sightings, void

from custody.codes import SealNumber
from custody.errors import (
    IdempotencyConflict,
    InvalidEvidenceNumber,
    InvalidLocationCode,
    InvalidSealNumber,
    NotFound,
    TransitionRefused,
    UnknownItem,
)
from custody.scans import Scan, ScanSource

DESK = ScanSource("ng-desk-1", "220102", "L220102-A-1")
JILIN = ScanSource("jl-desk", "220200")
SEAL_UID = "04E5EA100000A1"


def barcode(code: str, key: str = "k-1") -> Scan:
    return Scan("scanner-1", key, code=code, symbology="C0")


@pytest.fixture
def sealed(custody, gun, ammo) -> str:
    shelf = place(custody, "L220102-A-1-03", "枪弹架 3")
    return seal(custody, [gun, ammo], shelf, tag_uid=SEAL_UID)


def test_a_seal_number_is_a_sighting_of_every_item_inside(custody, gun, ammo, sealed):
    head = custody.ledger.head()
    answer = custody.scans.record(DESK, barcode(sealed))
    assert (answer["kind"], answer["seal_no"], answer["status"]) == ("seal", sealed, "intact")
    assert answer["location_code"] == "L220102-A-1-03" and answer["replayed"] is False
    listed = {item["evidence_no"]: item for item in answer["items"]}
    assert set(listed) == {gun.evidence_no, ammo.evidence_no}
    for item in (gun, ammo):
        (sighting,) = sightings(custody, item)
        assert sighting.seq == listed[item.evidence_no]["seq"]
        assert sighting.payload["seal_no"] == sealed
        assert (sighting.payload["location"], sighting.payload["source"]) == ("L220102-A-1", "barcode")
        assert (sighting.station, sighting.device) == ("ng-desk-1", "scanner-1")
    assert custody.ledger.head().seq == head.seq + 2
    assert answer["seq"] == custody.ledger.head().seq
    assert custody.ledger.verify().ok

    again = custody.scans.record(DESK, barcode(sealed))
    assert again == {**answer, "replayed": True}
    assert custody.ledger.head().seq == head.seq + 2
    with pytest.raises(IdempotencyConflict):
        custody.scans.record(DESK, barcode(gun.evidence_no))


def test_a_seal_tag_read_with_its_loop_open_is_recorded_and_answered_as_open(custody, gun, ammo, sealed):
    read = Scan("reader-1", "t-1", uid=SEAL_UID, text=sealed, tamper="open", tamper_opened_before=True)
    answer = custody.scans.record(DESK, read)
    assert (answer["kind"], answer["seal_no"], answer["tamper"]) == ("seal", sealed, "open")
    assert [w["key"] for w in answer["warnings"]] == ["scan.tamper_open"]
    for item in (gun, ammo):
        (sighting,) = sightings(custody, item)
        payload = sighting.payload
        assert (payload["seal_no"], payload["tamper"], payload["uid"]) == (sealed, "open", SEAL_UID)
        assert payload["source"] == "tag" and payload["tamper_opened_before"] is True


def test_a_seal_tag_read_by_its_uid_alone_is_found_by_the_seals_binding(custody, gun, ammo, sealed):
    answer = custody.scans.record(DESK, Scan("reader-1", "t-1", uid=SEAL_UID, tamper="closed"))
    assert (answer["seal_no"], answer["tamper"], len(answer["items"])) == (sealed, "closed", 2)
    assert "warnings" not in answer
    assert [s.payload["seal_no"] for s in sightings(custody, gun)] == [sealed]


def test_a_tag_carrying_a_seal_number_bound_to_another_tag_is_refused(custody, sealed):
    head = custody.ledger.head()
    with pytest.raises(TransitionRefused, match="bound to tag"):
        custody.scans.record(DESK, Scan("reader-1", "t-1", uid="04000000000001", text=sealed))
    assert custody.ledger.head() == head


def test_unknown_and_out_of_scope_seals_answer_alike_and_bad_check_digits_say_so(custody, gun, sealed):
    unknown = str(SealNumber.make("220102", 2026, 404))
    head = custody.ledger.head()
    with pytest.raises(NotFound) as missing:
        custody.scans.record(DESK, barcode(unknown))
    with pytest.raises(NotFound) as hidden:
        custody.scans.record(JILIN, barcode(sealed))
    assert (missing.value.key, hidden.value.key) == ("scan.unknown_seal", "scan.unknown_seal")
    assert str(hidden.value) == f"unknown seal {sealed}"
    wrong = sealed[:-2] + f"{(int(sealed[-2:]) + 1) % 100:02d}"
    with pytest.raises(InvalidSealNumber, match="check digits") as refused:
        custody.scans.record(DESK, barcode(wrong))
    assert not isinstance(refused.value, InvalidEvidenceNumber)
    with pytest.raises(UnknownItem, match="bound to no item"):
        custody.scans.record(DESK, Scan("reader-1", "t-1", uid="04FFFFFFFFFFFF"))
    assert custody.ledger.head() == head


def test_a_void_seal_is_answered_as_void_and_nothing_is_recorded(custody, gun, ammo, sealed):
    void(custody, sealed, "送检")
    head = custody.ledger.head()
    answer = custody.scans.record(DESK, barcode(sealed))
    assert (answer["status"], answer["seq"], answer["void_reason"]) == ("void", None, "送检")
    assert [w["key"] for w in answer["warnings"]] == ["scan.seal_void"]
    assert {i["evidence_no"] for i in answer["items"]} == {gun.evidence_no, ammo.evidence_no}
    assert all(i["seal_no"] is None for i in answer["items"])
    assert custody.ledger.head() == head


def test_a_location_code_answers_what_lies_there_and_records_nothing(custody, case, gun, ammo, sealed):
    loose = custody.items.register_firearm(custody.users.actor("ng-clerk"), case.case_no, _firearm("X1"))
    lay(custody, loose, place(custody, "L220102-A-2"))
    head = custody.ledger.head()

    shelf = custody.scans.record(DESK, barcode("  l220102-a-1-03 "))
    assert (shelf["kind"], shelf["seq"], shelf["replayed"]) == ("location", None, False)
    assert shelf["location"] == {
        "code": "L220102-A-1-03",
        "name": "枪弹架 3",
        "level": "shelf",
        "unit_code": "220102",
        "parent_code": "L220102-A-1",
    }
    assert [s["seal_no"] for s in shelf["seals"]] == [sealed] and shelf["seals"][0]["items"] == 2
    assert {i["evidence_no"] for i in shelf["items"]} == {gun.evidence_no, ammo.evidence_no}
    assert (shelf["item_count"], shelf["seal_count"]) == (2, 1)

    store = custody.scans.record(DESK, barcode("L220102-A", key="k-2"))
    assert store["location"]["level"] == "store" and store["item_count"] == 3
    assert {i["evidence_no"]: i["location_code"] for i in store["items"]}[loose.evidence_no] == "L220102-A-2"
    room = custody.scans.record(DESK, barcode("L220102-A-2", key="k-3"))
    assert [i["evidence_no"] for i in room["items"]] == [loose.evidence_no] and room["seals"] == []
    assert custody.ledger.head() == head


def test_location_refusals_say_what_is_wrong(custody, sealed):
    head = custody.ledger.head()
    with pytest.raises(NotFound) as missing:
        custody.scans.record(DESK, barcode("L220102-B"))
    with pytest.raises(NotFound) as hidden:
        custody.scans.record(JILIN, barcode("L220102-A-1-03"))
    assert missing.value.key == hidden.value.key == "scan.unknown_location"
    with pytest.raises(InvalidLocationCode):
        custody.scans.record(DESK, barcode("L220102-A-1-03-1-9"))  # five parts: deeper than a bin
    with pytest.raises(InvalidEvidenceNumber) as unknown:
        custody.scans.record(DESK, barcode("HELLO"))
    assert unknown.value.key == "scan.unknown_code"
    assert custody.ledger.head() == head


def _firearm(serial: str):
    from custody.intake import FirearmIntake

    return FirearmIntake("手枪", "54式", serial, "7.62mm", True)


def test_a_seal_holding_nothing_records_nothing_and_says_so(custody):
    empty = seal(custody, [], place(custody, "L220102-A-1-04"), sequence=2)
    head = custody.ledger.head()
    answer = custody.scans.record(DESK, barcode(empty))
    assert (answer["status"], answer["seq"], answer["items"]) == ("intact", None, [])
    assert [w["key"] for w in answer["warnings"]] == ["scan.seal_empty"]
    assert custody.ledger.head() == head
