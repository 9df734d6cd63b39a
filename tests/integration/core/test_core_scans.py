"""Scan intake: a station's scan becomes exactly one sighting; retries write nothing; no existence leak."""

from __future__ import annotations

import pytest

from custody.errors import (
    IdempotencyConflict,
    InvalidEvidenceNumber,
    InvalidInput,
    TransitionRefused,
    UnknownItem,
)
from custody.numbers import EvidenceNumber, ItemKind
from custody.replay import replay
from custody.scans import Scan, ScanSource

DESK = ScanSource("ng-desk-1", "220102", "南关区物证室 1号台")
UID = "04A1B2C3D4E5F6"


def scan(code: str | None = None, key: str = "k-1", **fields) -> Scan:
    return Scan(device="scanner-1", idempotency_key=key, code=code, **fields)


def test_a_scan_is_a_sighting_that_changes_nothing_about_the_item(custody, gun):
    answer = custody.scans.record(DESK, scan(gun.evidence_no, symbology="C0", device_time="2026-03-02T09:31"))
    assert answer["evidence_no"] == gun.evidence_no and answer["replayed"] is False
    item = custody.items.item(None, gun.evidence_no)
    assert (item.state, item.version) == ("registered", 1)
    sighting = item.history[-1]
    assert sighting.event_type == "sighted" and sighting.seq == answer["seq"]
    assert (sighting.station, sighting.device, sighting.actor) == ("ng-desk-1", "scanner-1", None)
    assert sighting.payload["location"] == "南关区物证室 1号台" and sighting.payload["symbology"] == "C0"
    assert custody.ledger.verify().ok and replay(custody.store)[1] == []


def test_a_retry_gets_the_first_answer_and_writes_nothing(custody, gun):
    first = custody.scans.record(DESK, scan(gun.evidence_no))
    head = custody.ledger.head()
    again = custody.scans.record(DESK, scan(gun.evidence_no))
    assert again == {**first, "replayed": True}
    assert custody.ledger.head() == head


def test_the_same_key_with_another_body_is_refused(custody, gun, ammo):
    custody.scans.record(DESK, scan(gun.evidence_no))
    head = custody.ledger.head()
    with pytest.raises(IdempotencyConflict):
        custody.scans.record(DESK, scan(ammo.evidence_no))
    assert custody.ledger.head() == head


def test_keys_belong_to_their_station(custody, gun):
    custody.scans.record(DESK, scan(gun.evidence_no))
    other = custody.scans.record(ScanSource("ng-desk-2", "220102"), scan(gun.evidence_no))
    assert other["replayed"] is False


def test_a_hundred_concurrent_deliveries_make_one_event(custody, gun):
    from concurrent.futures import ThreadPoolExecutor

    head = custody.ledger.head()
    with ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(lambda _: custody.scans.record(DESK, scan(gun.evidence_no, key="burst")), range(100))
        )
    assert len({a["seq"] for a in answers}) == 1
    assert sum(not a["replayed"] for a in answers) == 1
    assert custody.ledger.head().seq == head.seq + 1


def test_unknown_and_out_of_scope_numbers_get_the_same_refusal(custody, gun):
    unknown = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 4242))
    head = custody.ledger.head()
    with pytest.raises(UnknownItem) as missing:
        custody.scans.record(DESK, scan(unknown))
    with pytest.raises(UnknownItem) as hidden:
        custody.scans.record(ScanSource("jl-desk", "220200"), scan(gun.evidence_no))
    assert str(missing.value) == f"unknown item {unknown}"
    assert str(hidden.value) == f"unknown item {gun.evidence_no}"
    assert custody.ledger.head() == head


def test_malformed_scans_say_why(custody, gun):
    wrong = gun.evidence_no[:-1] + ("0" if gun.evidence_no[-1] != "0" else "1")
    with pytest.raises(InvalidEvidenceNumber, match="check digits"):
        custody.scans.record(DESK, scan(wrong))
    with pytest.raises(InvalidEvidenceNumber):
        custody.scans.record(DESK, scan("]C0F2201"))
    with pytest.raises(InvalidInput, match="either"):
        custody.scans.record(DESK, Scan("scanner-1", "k"))
    with pytest.raises(InvalidInput, match="idempotency_key"):
        custody.scans.record(DESK, scan(gun.evidence_no, key=" "))


def test_tag_reads_by_ndef_text_or_by_bound_uid(custody, gun):
    clerk = custody.users.actor("ng-clerk")
    bound = custody.items.bind_tag(clerk, gun.evidence_no, 1, "04:a1:b2:c3:d4:e5:f6", "NTAG215")
    assert (bound.tag_uid, bound.version) == (UID, 2)
    by_text = custody.scans.record(DESK, Scan("reader-1", "t-1", uid=UID, text=gun.evidence_no))
    by_uid = custody.scans.record(DESK, Scan("reader-1", "t-2", uid=UID))
    assert by_text["evidence_no"] == by_uid["evidence_no"] == gun.evidence_no
    history = custody.items.item(None, gun.evidence_no).history
    assert [e.event_type for e in history] == ["registered", "tag_bound", "sighted", "sighted"]
    assert history[1].payload == {"uid": UID, "previous_uid": None, "tag_type": "NTAG215"}


def test_a_uid_bound_to_nothing_is_refused_like_an_unknown_number(custody, gun):
    with pytest.raises(UnknownItem, match="bound to no item"):
        custody.scans.record(DESK, Scan("reader-1", "t-1", uid="04FFFFFFFFFFFF"))


def test_a_tag_whose_text_names_an_item_bound_to_another_tag_is_refused(custody, gun):
    custody.items.bind_tag(custody.users.actor("ng-clerk"), gun.evidence_no, 1, UID)
    with pytest.raises(TransitionRefused, match="bound to tag"):
        custody.scans.record(DESK, Scan("reader-1", "t-9", uid="04000000000001", text=gun.evidence_no))


def test_a_tag_cannot_be_bound_to_two_items(custody, gun, ammo):
    clerk = custody.users.actor("ng-clerk")
    custody.items.bind_tag(clerk, gun.evidence_no, 1, UID)
    with pytest.raises(TransitionRefused, match="another item"):
        custody.items.bind_tag(clerk, ammo.evidence_no, 1, UID)
    with pytest.raises(InvalidInput, match="uid"):
        custody.items.bind_tag(clerk, ammo.evidence_no, 1, "xyz")


def test_every_field_of_a_scan_is_in_its_digest():
    from dataclasses import fields

    base = scan("F220100202600012787", symbology="C0", uid="04A1", text="t", device_time="x")
    digests = {base.digest()}
    for field in fields(Scan):
        changed = Scan(**{**base.fields(), field.name: "other"})
        digests.add(changed.digest())
    assert len(digests) == len(fields(Scan)) + 1  # each field changes the digest
