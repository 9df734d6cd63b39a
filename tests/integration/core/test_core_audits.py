"""Audits of the sealed store on SQLite and PostgreSQL: an independent auditor opens a session over the
Nanguan store, reads seals and codes into it, submits and closes; the reconciliation finds exactly what
was planted (a withheld seal, a cut seal loop, an item of no store, an unknown code, a seal apart from
an item); the discrepancies are resolved by their owner before a second auditor, a loss takes the item
out of the store and marks it for a full audit; the ledger verifies and replays after each step."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from seal_world import SHELF_1, SHELF_2, accepted_items, add_locations, assert_ledger_sound
from sqlalchemy import text

from custody.actors import Actor
from custody.audit_records import ReadIn
from custody.audit_sampling import sample_size
from custody.credentials import digest
from custody.db.lookups import ConnectionLookups
from custody.errors import (
    CustodyError,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
    UnknownAudit,
    UnknownItem,
    UnknownSeal,
)
from custody.intake import FirearmIntake
from custody.lifecycle import Attempt
from custody.lifecycle.audits import no_open_discrepancy
from custody.model import (
    AuditMode,
    AuditStatus,
    Department,
    DiscrepancyStatus,
    EventType,
    Finding,
    ItemState,
    Resolution,
    Role,
)
from custody.scan_batches import record_batch
from custody.scans import Scan, ScanSource
from custody.services import Custody

TODAY = date(2026, 3, 2)


@pytest.fixture
def store(custody: Custody) -> Custody:
    add_locations(custody)
    custody.users.add("ng-auditor2", "南关督察二", "220102", Department.INSPECTION, {Role.AUDITOR})
    custody.users.add("ng-witness", "南关见证人", "220102", Department.POLICE_STATION, {Role.INVESTIGATOR})
    return custody


def sealed(custody: Custody, count: int, location: str = SHELF_1) -> list[tuple[str, list[str]]]:
    """``count`` seals of the Nanguan store, each over a firearm and a lot of a new case, witnessed by
    a police-station officer: (seal number, evidence numbers)."""
    custodian = custody.users.actor("ng-custodian")
    witness = custody.users.actor("ng-witness")
    made = []
    for _ in range(count):
        numbers = [i.evidence_no for i in accepted_items(custody, 2)]
        seal = custody.seals.create(custodian, location, numbers, witness)
        made.append((seal.seal_no, numbers))
    return made


def auditor(custody: Custody, name: str = "ng-auditor") -> Actor:
    return custody.users.actor(name)


def test_a_full_audit_finds_exactly_what_was_planted(store: Custody):
    seals = sealed(store, 4)
    clerk = store.users.actor("ng-clerk")
    store.cases.open(clerk, "K-AUDIT-LOOSE")
    loose = store.items.register_firearm(
        clerk, "K-AUDIT-LOOSE", FirearmIntake("手枪", "54式", "9", "7.62mm", True)
    )
    me = auditor(store)
    audit = store.audits.open(me, "220102", mode=AuditMode.FULL, seed="7")
    assert (audit.status, audit.round, audit.submitted_round) == (AuditStatus.OPEN, 1, 0)
    reads = [
        ReadIn(code=seals[0][0], location_code=SHELF_1),
        ReadIn(code=seals[0][0], location_code=SHELF_1),  # a repeat: counted, no second event
        ReadIn(code=seals[1][0], location_code=SHELF_1, uid=None),
        ReadIn(code=seals[2][0], location_code=SHELF_2),  # on the wrong shelf
        ReadIn(code=loose.evidence_no, location_code=SHELF_1),  # in case custody, not in the store
        ReadIn(code="XYZ-NOT-A-CODE", location_code=SHELF_1),
        ReadIn(code="F220102202600000999", location_code=SHELF_1),  # evidence-shaped, bad check digits
    ]
    taken = store.audit_reads.read(me, audit.id, reads)
    assert [t.status for t in taken] == [
        "recorded",
        "repeat",
        "recorded",
        "recorded",
        "recorded",
        "recorded",
        "refused",
    ]
    assert taken[-1].refused is not None and isinstance(taken[-1].refused, InvalidInput)
    assert sorted(taken[0].names) == sorted(seals[0][1])
    assert (taken[5].kind, taken[5].known) == ("unknown", False)
    seen = [
        e
        for number in seals[0][1]
        for e in store.items.item(None, number).history
        if e.event_type == EventType.AUDIT_SEEN
    ]
    assert len(seen) == 2 and all(e.payload["read_count"] == 2 for e in seen)
    assert_ledger_sound(store)

    submitted = store.audits.submit(me, audit.id)
    assert not submitted.escalated and submitted.audit.submitted_round == 1
    closed, outcome = store.audits.close(me, audit.id)
    assert closed.status is AuditStatus.CLOSED and closed.closed_seq == store.ledger.head().seq
    findings = {(d.finding, d.code) for d in outcome.discrepancies}
    expected = {
        *((Finding.MISSING, n) for n in seals[3][1]),
        *((Finding.WRONG_PLACE, n) for n in seals[2][1]),
        (Finding.UNEXPECTED, loose.evidence_no),
        (Finding.UNKNOWN_CODE, "XYZ-NOT-A-CODE"),
    }
    assert findings == expected
    assert sorted(o.code for o in outcome.found) == sorted(seals[0][1] + seals[1][1])
    listed = store.discrepancies.list(me, "220102")
    assert {(d.finding, d.code) for d in listed} == expected
    assert all(d.status is DiscrepancyStatus.OPEN for d in listed)
    custodian = store.users.actor("ng-custodian")
    assert {d.owner for d in listed} == {"ng-custodian"}
    audited = [e for e in store.items.item(None, seals[3][1][0]).history if e.event_type == EventType.AUDITED]
    assert [e.payload["finding"] for e in audited] == ["missing"]
    assert_ledger_sound(store)

    # resolved by the owner before another auditor; a loss takes the item out of the store
    missing = next(d for d in listed if d.code == seals[3][1][0])
    with pytest.raises(TransitionRefused):
        store.discrepancies.resolve(custodian, missing.id, "reported_lost", "not found", custodian)
    other = auditor(store, "ng-auditor2")
    head = store.ledger.head()
    with pytest.raises(NotPermitted):
        store.discrepancies.resolve(other, missing.id, "reported_lost", "not found", me)
    assert store.ledger.head() == head
    resolved = store.discrepancies.resolve(custodian, missing.id, "reported_lost", "库内遍寻未见", other)
    assert (resolved.status, resolved.resolution) == (DiscrepancyStatus.RESOLVED, Resolution.REPORTED_LOST)
    lost = store.items.item(None, seals[3][1][0])
    assert (lost.state, lost.seal_no) == (ItemState.LOST, None)
    assert lost.history[-1].event_type == EventType.REPORTED_LOST
    with pytest.raises(TransitionRefused):
        store.audits.open(other, "220102", mode=AuditMode.SAMPLE)  # marked for a full audit
    assert_ledger_sound(store)


def test_a_sample_draws_the_sized_sample_in_the_seeds_order(store: Custody):
    seals = sealed(store, 6)
    me = auditor(store)
    audit = store.audits.open(me, "220102", mode=AuditMode.SAMPLE, seed="20261203")
    with store.store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT i.evidence_no, c.category, c.rank, c.drawn_round FROM audit_candidates c "
                "JOIN items i ON i.id = c.item_id WHERE c.audit_id = :audit"
            ),
            {"audit": audit.id},
        ).all()
    numbers = [n for _seal, pair in seals for n in pair]
    assert sorted(r[0] for r in rows) == sorted(numbers)
    for category in ("firearm", "ammunition"):
        mine = sorted((r for r in rows if r[1] == category), key=lambda r: r[2])
        order = sorted(
            (r[0] for r in mine), key=lambda n: hashlib.sha256(b"20261203" + n.encode()).hexdigest()
        )
        assert [r[0] for r in mine] == order
        assert sum(1 for r in mine if r[3] == 1) == sample_size(len(mine))


def test_the_auditor_is_independent_of_the_store(store: Custody):
    custodian = store.users.actor("ng-custodian")
    numbers = [i.evidence_no for i in accepted_items(store, 2)]
    me = auditor(store)
    store.seals.create(custodian, SHELF_1, numbers, me)  # the auditor witnessed the seal
    with pytest.raises(TransitionRefused) as refused:
        store.audits.open(me, "220102", mode=AuditMode.FULL)
    assert refused.value.key == "audit.not_independent"
    assert store.audits.open(auditor(store, "ng-auditor2"), "220102", mode=AuditMode.FULL).id > 0
    with pytest.raises(NotPermitted):
        store.audits.open(custodian, "220102", mode=AuditMode.FULL)
    with pytest.raises(UnknownAudit):
        store.audits.get(store.users.actor("kc-clerk"), 1)


def test_a_blind_audit_hides_the_records_from_its_auditor_until_the_round_is_submitted(store: Custody):
    seals = sealed(store, 2)
    me = auditor(store)
    other = auditor(store, "ng-auditor2")
    number = seals[0][1][0]
    audit = store.audits.open(me, "220102", [SHELF_1], mode=AuditMode.FULL, blind=True)
    with pytest.raises(UnknownItem):
        store.items.item(me, number)
    with pytest.raises(UnknownSeal):
        store.seals.show(me, seals[0][0])
    assert number not in {i.evidence_no for i in store.queries.items(me, limit=200).rows}
    assert store.items.item(other, number).evidence_no == number  # anyone else sees it
    taken = store.audit_reads.read(me, audit.id, [ReadIn(code=seals[0][0], location_code=SHELF_1)])
    assert (taken[0].status, taken[0].kind, taken[0].known, taken[0].names) == ("recorded", "seal", True, ())
    store.audits.submit(me, audit.id)
    assert store.items.item(me, number).evidence_no == number
    assert number in {i.evidence_no for i in store.queries.items(me, limit=200).rows}


def test_an_open_discrepancy_refuses_the_act_towards_destruction(store: Custody):
    (seal_no, numbers), _ = sealed(store, 2)
    me = auditor(store)
    audit = store.audits.open(me, "220102", mode=AuditMode.FULL)
    store.audit_reads.read(me, audit.id, [ReadIn(code=seal_no, location_code=SHELF_1)])
    store.audits.submit(me, audit.id)
    store.audits.close(me, audit.id)
    missing = next(d for d in store.discrepancies.list(me) if d.finding is Finding.MISSING)
    clean = store.items.item(None, numbers[0])
    held = store.items.item(None, missing.code)
    with store.store.reading() as conn:
        lookups = ConnectionLookups(conn)
        for item, refused in ((held, True), (clean, False)):
            attempt = Attempt(EventType.AUDITED, item, me, {}, TODAY, lookups)
            if refused:
                with pytest.raises(TransitionRefused) as error:
                    no_open_discrepancy(attempt)
                assert error.value.key == "audit.open_discrepancy"
            else:
                no_open_discrepancy(attempt)
    custodian = store.users.actor("ng-custodian")
    store.discrepancies.resolve(
        custodian, missing.id, "found_elsewhere", "在2号架找到", auditor(store, "ng-auditor2")
    )
    with store.store.reading() as conn:
        no_open_discrepancy(Attempt(EventType.AUDITED, held, me, {}, TODAY, ConnectionLookups(conn)))
    assert_ledger_sound(store)


def test_a_station_bound_to_an_audit_reads_into_it(store: Custody):
    seals = sealed(store, 2)
    admin = store.users.actor("admin")
    station, key = store.stations.add(admin, "ng-audit-hh", "220102", Department.INSPECTION, ("hh-1",))
    source = ScanSource(station.name, "220102", station_id=station.id, key_sha256=digest(key))
    me = auditor(store)
    audit = store.audits.open(me, "220102", [SHELF_1], mode=AuditMode.FULL, station=station.name)
    with pytest.raises(TransitionRefused) as busy:
        store.audits.open(auditor(store, "ng-auditor2"), "220102", mode=AuditMode.FULL, station=station.name)
    assert busy.value.key == "audit.station_busy"
    answer = store.scans.record(source, Scan("hh-1", "k-1", code=seals[0][0]))
    assert (answer["audit_id"], answer["audit_read"], answer["kind"]) == (audit.id, "recorded", "seal")
    assert sorted(answer["evidence_nos"]) == sorted(seals[0][1])
    again = store.scans.record(source, Scan("hh-1", "k-1", code=seals[0][0]))  # a retry: the receipt
    assert again["replayed"] is True and again["audit_read"] == "recorded"
    repeat = store.scans.record(source, Scan("hh-1", "k-2", code=seals[0][0]))  # a second read
    assert repeat["audit_read"] == "repeat"
    head = store.ledger.head()
    with pytest.raises(InvalidInput):
        store.scans.record(source, Scan("hh-1", "k-3", code="F220102202600000999"))
    assert store.ledger.head() == head
    unknown = store.scans.record(source, Scan("hh-1", "k-6", code="NO SUCH CODE"))  # a finding here
    assert (unknown["kind"], unknown["known"], unknown["audit_read"]) == ("unknown", False, "recorded")
    history = store.items.item(None, seals[0][1][0]).history
    assert [e.event_type for e in history].count(EventType.SIGHTED) == 0
    assert [e.event_type for e in history].count(EventType.AUDIT_SEEN) == 1
    assert history[-1].station == station.name and history[-1].payload["read_count"] == 1
    store.audits.submit(me, audit.id)
    with pytest.raises(TransitionRefused) as submitted:
        store.scans.record(source, Scan("hh-1", "k-4", code=seals[1][0]))
    assert submitted.value.key == "audit.not_reading"
    store.audits.close(me, audit.id)
    after = store.scans.record(source, Scan("hh-1", "k-5", code=seals[1][0]))  # a sighting again
    assert "audit_id" not in after and after["kind"] == "seal"
    assert_ledger_sound(store)


def test_a_sweep_of_seal_tags_in_one_batch_is_one_event_per_item_and_each_read_answered(store: Custody):
    seals = sealed(store, 2)
    admin = store.users.actor("admin")
    uids = ["04AB000000C001", "04AB000000C002"]
    station, key = store.stations.add(admin, "ng-sweep", "220102", Department.INSPECTION, ("hh-1",))
    source = ScanSource(station.name, "220102", station_id=station.id, key_sha256=digest(key))
    for (seal_no, _numbers), uid in zip(seals, uids, strict=True):
        with store.store.reading() as conn:  # bind the seal tags as `seal create --tag` would have
            seal_id = conn.execute(text("SELECT id FROM seals WHERE seal_no = :n"), {"n": seal_no}).scalar()
        store.writer.submit(
            lambda conn, seal_id=seal_id, uid=uid: conn.execute(
                text("UPDATE seals SET tag_uid = :uid WHERE id = :id"), {"uid": uid, "id": seal_id}
            )
        )
    me = auditor(store)
    audit = store.audits.open(me, "220102", mode=AuditMode.FULL, station=station.name)
    sweep = [Scan("hh-1", f"k-{n}", uid=uids[n % 2], tamper="closed") for n in range(20)]
    sweep.append(Scan("hh-1", "k-bad", code="F220102202600000999"))  # a misread: refused alone
    sweep.append(Scan("hh-2", "k-other-device", uid=uids[0]))  # a device not of the station
    sweep.append(Scan("hh-1", "k-0", uid=uids[0], tamper="closed"))  # a retry of the first
    head = store.ledger.head()
    answers = record_batch(store.scans, source, sweep)
    assert [a["audit_read"] for a in answers[:20]] == ["recorded", "recorded"] + ["repeat"] * 18
    assert isinstance(answers[20], InvalidInput) and isinstance(answers[21], CustodyError)
    assert answers[22]["replayed"] is True and answers[22]["audit_read"] == "recorded"
    numbers = sorted(n for _seal, pair in seals for n in pair)
    events = [
        (number, e)
        for number in numbers
        for e in store.items.item(None, number).history
        if e.event_type == EventType.AUDIT_SEEN
    ]
    assert sorted(n for n, _e in events) == numbers  # one event per distinct item
    assert all(e.payload["read_count"] == 10 and e.payload["tamper"] == "closed" for _n, e in events)
    assert store.ledger.head().seq == head.seq + len(numbers)
    with store.store.reading() as conn:
        counts = (
            conn.execute(
                text("SELECT read_count FROM audit_reads WHERE audit_id = :a ORDER BY id"), {"a": audit.id}
            )
            .scalars()
            .all()
        )
    assert counts == [10, 10]
    with pytest.raises(InvalidInput):
        record_batch(store.scans, source, [Scan("hh-1", f"x-{n}", uid=uids[0]) for n in range(51)])
    assert_ledger_sound(store)


def test_a_discrepancy_of_an_empty_store_is_owned_by_a_custodian_of_the_unit(store: Custody):
    me = auditor(store)
    audit = store.audits.open(me, "220102", [SHELF_2], mode=AuditMode.FULL)
    store.audit_reads.read(me, audit.id, [ReadIn(code="NOTHING-KNOWN", location_code=SHELF_2)])
    store.audits.submit(me, audit.id)
    head = store.ledger.head()
    closed, _outcome = store.audits.close(me, audit.id)
    assert (closed.closed_seq, closed.closed_hash) == (head.seq, head.hash)
    (unknown,) = store.discrepancies.list(me)
    assert (unknown.finding, unknown.owner) == (Finding.UNKNOWN_CODE, "ng-custodian")
    custodian = store.users.actor("ng-custodian")
    resolved = store.discrepancies.resolve(custodian, unknown.id, "record_corrected", "误扫的标签", me)
    assert resolved.status is DiscrepancyStatus.RESOLVED and store.ledger.head() == head


def test_a_read_with_a_control_character_is_refused_alone(store: Custody):
    seals = sealed(store, 1)
    me = auditor(store)
    audit = store.audits.open(me, "220102", mode=AuditMode.FULL)
    head = store.ledger.head()
    taken = store.audit_reads.read(
        me, audit.id, [ReadIn(code="BAD\x00CODE", location_code=SHELF_1), ReadIn(code=seals[0][0])]
    )
    assert [t.status for t in taken] == ["refused", "recorded"]
    assert isinstance(taken[0].refused, InvalidInput)
    assert store.ledger.head().seq == head.seq + 2  # the seal's two items, nothing of the bad read
