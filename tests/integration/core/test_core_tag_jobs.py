"""Tag-write jobs in the core, on both back ends: a desk's user asks a station of their scope to write a
tag; the station takes only its own pending jobs and reports; a written item tag is bound in the
transaction that finishes the job, as the user who asked; a failure, a refusal and anything out of
scope write no ledger event; a blank seal tag is read for a seal, and a seal's number written on it."""

from __future__ import annotations

import pytest
from seal_world import SHELF_1, accepted_items, add_locations, assert_ledger_sound

from custody.clock import FixedClock
from custody.errors import (
    IllegalTransition,
    InvalidEvidenceNumber,
    InvalidInput,
    NotPermitted,
    TagJobRefused,
    UnknownItem,
    UnknownStation,
    UnknownTagJob,
)
from custody.model import Department, EventType
from custody.records import Item, Station
from custody.services import Custody
from custody.tag_job_records import TAKE_WITHIN_S, TagJobKind, TagJobStatus, TagResult
from custody.tag_jobs import OPEN_JOBS_LISTED

UID, OTHER_UID = "04A1B2C3D4E5F6", "04FFEEDDCCBBAA"


@pytest.fixture
def desk(custody: Custody) -> Station:
    admin = custody.users.actor("admin")
    station, _key = custody.stations.add(admin, "ng-desk", "220102", Department.EVIDENCE_ROOM, ["reader-1"])
    return station


def written(uid: str = UID, tag_type: str = "NTAG215") -> TagResult:
    return TagResult(done=True, uid=uid, tag_type=tag_type)


def head(custody: Custody) -> int:
    return custody.ledger.head().seq


def test_a_written_tag_is_bound_to_the_item_as_the_user_who_asked(custody: Custody, desk: Station, gun: Item):
    clerk = custody.users.actor("ng-clerk")
    jobs = custody.tag_jobs
    asked = jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no.lower())
    assert (asked.status, asked.kind, asked.text, asked.evidence_no) == (
        TagJobStatus.PENDING,
        TagJobKind.ITEM_TAG,
        gun.evidence_no,
        gun.evidence_no,
    )
    assert asked.requested_by == "ng-clerk" and asked.station == "ng-desk" and asked.expires_at_us
    assert [job.id for job in jobs.open_jobs(desk, "ng-desk")] == [asked.id]
    before = head(custody)
    taken = jobs.take(desk, "ng-desk", asked.id, "reader-1")
    assert taken.status is TagJobStatus.TAKEN and taken.device == "reader-1"
    assert head(custody) == before  # taking a job is no act of custody
    done = jobs.report(desk, "ng-desk", asked.id, written("04:a1:b2:c3:d4:e5:f6"), "reader-1")
    assert (done.status, done.uid, done.tag_type, done.failure) == (TagJobStatus.DONE, UID, "NTAG215", None)
    item = custody.items.item(clerk, gun.evidence_no)
    assert item.tag_uid == UID and item.version == gun.version + 1
    event = item.history[-1]
    assert event.event_type == EventType.TAG_BOUND.value and event.seq == before + 1
    assert (event.actor, event.station, event.device) == ("ng-clerk", "ng-desk", "reader-1")
    assert event.payload["uid"] == UID and event.payload["tag_type"] == "NTAG215"
    assert jobs.open_jobs(desk, "ng-desk") == []
    assert jobs.get(clerk, asked.id) == done
    assert_ledger_sound(custody)


def test_a_failure_is_recorded_on_the_job_and_writes_no_event(custody: Custody, desk: Station, gun: Item):
    clerk = custody.users.actor("ng-clerk")
    asked = custody.tag_jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no, wait_s=10)
    custody.tag_jobs.take(desk, "ng-desk", asked.id)
    before = head(custody)
    removed = TagResult(False, uid=UID, error_kind="tag_removed", error_message="transmit: 0 bytes")
    failed = custody.tag_jobs.report(desk, "ng-desk", asked.id, removed)
    assert failed.status is TagJobStatus.FAILED and failed.failure is not None
    assert (failed.failure.kind, failed.failure.key, failed.failure.detail) == (
        "tag_removed",
        "tagjob.tag_removed",
        "transmit: 0 bytes",
    )
    assert head(custody) == before
    assert custody.items.item(clerk, gun.evidence_no).tag_uid is None
    # a kind the core does not know is the reader failing, named
    again = custody.tag_jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no, wait_s=10)
    custody.tag_jobs.take(desk, "ng-desk", again.id)
    odd = custody.tag_jobs.report(desk, "ng-desk", again.id, TagResult(False, error_kind="communication"))
    assert odd.failure is not None and odd.failure.key == "tagjob.reader_failed"
    assert odd.failure.params == {"station": "ng-desk", "kind": "communication"}
    no_tag = custody.tag_jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no, wait_s=10)
    custody.tag_jobs.take(desk, "ng-desk", no_tag.id)
    late = custody.tag_jobs.report(desk, "ng-desk", no_tag.id, TagResult(False, error_kind="no_tag"))
    assert late.failure is not None and late.failure.text == (
        "no tag was put on the reader of station ng-desk within 10 s"
    )
    assert head(custody) == before


def test_a_request_out_of_scope_or_refused_writes_nothing(custody: Custody, desk: Station, gun: Item):
    clerk = custody.users.actor("ng-clerk")
    admin = custody.users.actor("admin")
    jl_clerk = custody.users.actor("jl-clerk")
    custody.stations.add(admin, "jl-desk", "220200", Department.EVIDENCE_ROOM, ["reader-1"])
    revoked, _key = custody.stations.add(admin, "ng-old", "220102", Department.EVIDENCE_ROOM, ["reader-1"])
    custody.stations.revoke(admin, "ng-old")
    jobs = custody.tag_jobs
    with pytest.raises(UnknownItem):  # another unit's item is unknown, like a missing one
        jobs.request(jl_clerk, "jl-desk", evidence_no=gun.evidence_no)
    with pytest.raises(UnknownStation):
        jobs.request(clerk, "jl-desk", evidence_no=gun.evidence_no)
    with pytest.raises(UnknownStation):
        jobs.request(clerk, "no-such-desk", evidence_no=gun.evidence_no)
    with pytest.raises(TagJobRefused):
        jobs.request(clerk, "ng-old", evidence_no=gun.evidence_no)
    with pytest.raises(NotPermitted):
        jobs.request(custody.users.actor("ng-investigator"), "ng-desk", evidence_no=gun.evidence_no)
    with pytest.raises(NotPermitted):  # a seal's tag is the custodian's
        jobs.request(clerk, "ng-desk", kind="seal_tag_read")
    with pytest.raises(InvalidEvidenceNumber):
        jobs.request(clerk, "ng-desk", evidence_no="F2201")
    with pytest.raises(InvalidInput) as bad_wait:
        jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no, wait_s=600)
    assert bad_wait.value.field == "wait_s"
    with pytest.raises(InvalidInput) as bad_kind:
        jobs.request(clerk, "ng-desk", kind="erase", evidence_no=gun.evidence_no)
    assert bad_kind.value.field == "kind"
    assert jobs.stations(clerk) == ["ng-desk"]  # live stations of the clerk's scope only
    assert jobs.stations(custody.users.actor("prov-clerk")) == ["jl-desk", "ng-desk"]
    assert jobs.open_jobs(desk, "ng-desk") == []
    assert revoked.name == "ng-old"


def test_an_item_its_tag_cannot_be_bound_to_is_refused_before_any_tag_is_written(
    custody: Custody, desk: Station
):
    (gun, _lot) = accepted_items(custody)
    add_locations(custody)
    custodian = custody.users.actor("ng-custodian")
    witness = custody.users.actor("ng-auditor")
    custody.seals.create(custodian, SHELF_1, [gun.evidence_no, _lot.evidence_no], witness)
    with pytest.raises(IllegalTransition):
        custody.tag_jobs.request(custodian, "ng-desk", evidence_no=gun.evidence_no)
    assert custody.tag_jobs.open_jobs(desk, "ng-desk") == []


def test_a_station_takes_and_reports_only_its_own_pending_jobs(custody: Custody, desk: Station, gun: Item):
    admin = custody.users.actor("admin")
    other, _key = custody.stations.add(admin, "ng-back", "220102", Department.EVIDENCE_ROOM, ["reader-1"])
    clerk = custody.users.actor("ng-clerk")
    jobs = custody.tag_jobs
    asked = jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no)
    assert jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no).id == asked.id  # asked again
    with pytest.raises(UnknownTagJob):
        jobs.take(other, "ng-back", asked.id)
    with pytest.raises(UnknownStation):
        jobs.take(other, "ng-desk", asked.id)  # a station names itself only
    with pytest.raises(UnknownStation):
        jobs.open_jobs(other, "ng-desk")
    with pytest.raises(TagJobRefused):
        jobs.report(desk, "ng-desk", asked.id, written())  # not taken yet
    jobs.take(desk, "ng-desk", asked.id)
    with pytest.raises(TagJobRefused):
        jobs.take(desk, "ng-desk", asked.id)
    with pytest.raises(UnknownTagJob):
        jobs.report(other, "ng-back", asked.id, written())
    with pytest.raises(InvalidInput):
        jobs.report(desk, "ng-desk", asked.id, TagResult(True))  # a tag written has a UID
    with pytest.raises(InvalidInput):
        jobs.report(desk, "ng-desk", asked.id, written("04XY"))
    before = head(custody)
    done = jobs.report(desk, "ng-desk", asked.id, written())
    assert jobs.report(desk, "ng-desk", asked.id, written()) == done  # the same report again
    with pytest.raises(TagJobRefused):
        jobs.report(desk, "ng-desk", asked.id, written(OTHER_UID))
    assert head(custody) == before + 1


def test_a_binding_the_item_refuses_fails_the_job_and_binds_nothing(
    custody: Custody, desk: Station, gun: Item, ammo: Item
):
    clerk = custody.users.actor("ng-clerk")
    custody.items.bind_tag(clerk, ammo.evidence_no, ammo.version, OTHER_UID)
    asked = custody.tag_jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no)
    custody.tag_jobs.take(desk, "ng-desk", asked.id)
    before = head(custody)
    failed = custody.tag_jobs.report(desk, "ng-desk", asked.id, written(OTHER_UID))
    assert failed.status is TagJobStatus.FAILED and failed.failure is not None
    assert (failed.failure.kind, failed.failure.key) == ("bind_refused", "tag.bound_elsewhere")
    assert failed.failure.params == {"uid": OTHER_UID}
    assert head(custody) == before
    assert custody.items.item(clerk, gun.evidence_no).tag_uid is None
    assert custody.items.item(clerk, ammo.evidence_no).tag_uid == OTHER_UID


def test_a_requester_no_longer_active_binds_nothing(custody: Custody, desk: Station, gun: Item):
    admin = custody.users.actor("admin")
    asked = custody.tag_jobs.request(custody.users.actor("ng-clerk"), "ng-desk", evidence_no=gun.evidence_no)
    custody.tag_jobs.take(desk, "ng-desk", asked.id)
    custody.users.set_active(admin, "ng-clerk", False)
    before = head(custody)
    failed = custody.tag_jobs.report(desk, "ng-desk", asked.id, written())
    assert failed.failure is not None and failed.failure.kind == "requester_gone"
    assert head(custody) == before


def test_a_cancelled_or_expired_job_is_not_taken_nor_reported(
    custody: Custody, desk: Station, gun: Item, clock: FixedClock
):
    clerk = custody.users.actor("ng-clerk")
    jobs = custody.tag_jobs
    first = jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no)
    cancelled = jobs.cancel(custody.users.actor("ng-clerk2"), first.id)
    assert cancelled.status is TagJobStatus.CANCELLED
    with pytest.raises(TagJobRefused):
        jobs.take(desk, "ng-desk", first.id)
    with pytest.raises(TagJobRefused):
        jobs.cancel(clerk, first.id)
    with pytest.raises(UnknownTagJob):
        jobs.cancel(custody.users.actor("jl-clerk"), first.id)
    taken = jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no)
    jobs.take(desk, "ng-desk", taken.id)
    jobs.cancel(clerk, taken.id)
    with pytest.raises(TagJobRefused):
        jobs.report(desk, "ng-desk", taken.id, written())
    late = jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no)
    clock.advance(TAKE_WITHIN_S + 1)
    assert jobs.get(clerk, late.id).status is TagJobStatus.EXPIRED
    assert jobs.open_jobs(desk, "ng-desk") == []
    with pytest.raises(TagJobRefused):
        jobs.take(desk, "ng-desk", late.id)
    assert custody.items.item(clerk, gun.evidence_no).tag_uid is None


def test_a_blank_seal_tag_is_read_for_a_seal_and_the_seal_number_written_on_it(
    custody: Custody, desk: Station
):
    add_locations(custody)
    custodian = custody.users.actor("ng-custodian")
    jobs = custody.tag_jobs
    before = head(custody)

    def read(result: TagResult) -> tuple[TagJobStatus, str | None]:
        asked = jobs.request(custodian, "ng-desk", kind="seal_tag_read")
        assert asked.text == "" and asked.kind is TagJobKind.SEAL_TAG_READ
        jobs.take(desk, "ng-desk", asked.id)
        done = jobs.report(desk, "ng-desk", asked.id, result)
        return done.status, None if done.failure is None else done.failure.kind

    assert read(TagResult(True, uid=UID, tag_type="NTAG215")) == (TagJobStatus.FAILED, "not_a_seal_tag")
    opened = TagResult(True, uid=UID, tag_type="NTAG 213 TT", tamper="closed", tamper_opened_before=True)
    assert read(opened) == (TagJobStatus.FAILED, "seal_tag_opened")
    closed = TagResult(True, uid=UID, tag_type="NTAG 213 TT", tamper="closed", tamper_opened_before=False)
    assert read(closed) == (TagJobStatus.DONE, None)
    assert head(custody) == before  # reading a tag is no act of custody
    gun, lot = accepted_items(custody)
    seal = custody.seals.create(
        custodian, SHELF_1, [gun.evidence_no, lot.evidence_no], custody.users.actor("ng-auditor"), UID
    )
    assert read(closed) == (TagJobStatus.FAILED, "tag_in_use")
    sealed_head = head(custody)
    asked = jobs.request(custodian, "ng-desk", kind="seal_tag_write", seal_no=seal.seal_no)
    assert (asked.text, asked.seal_no, asked.expected_uid) == (seal.seal_no, seal.seal_no, UID)
    jobs.take(desk, "ng-desk", asked.id)
    wrong = jobs.report(desk, "ng-desk", asked.id, written(OTHER_UID, "NTAG 213 TT"))
    assert wrong.failure is not None and wrong.failure.kind == "wrong_tag"
    again = jobs.request(custodian, "ng-desk", kind="seal_tag_write", seal_no=seal.seal_no)
    jobs.take(desk, "ng-desk", again.id)
    assert jobs.report(desk, "ng-desk", again.id, written(UID, "NTAG 213 TT")).status is TagJobStatus.DONE
    assert head(custody) == sealed_head
    custody.seals.open(custodian, seal.seal_no, "复查", custody.users.actor("ng-auditor"))
    with pytest.raises(TagJobRefused):  # a void seal's tag is not written
        jobs.request(custodian, "ng-desk", kind="seal_tag_write", seal_no=seal.seal_no)


def test_expired_jobs_never_crowd_a_new_one_out_of_the_stations_feed(
    custody: Custody, clock: FixedClock, desk: Station, gun: Item
):
    clerk, jobs = custody.users.actor("ng-clerk"), custody.tag_jobs
    stale = []
    for _ in range(OPEN_JOBS_LISTED + 5):  # each expires before the next is asked for
        stale.append(jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no).id)
        clock.advance(TAKE_WITHIN_S + 1)
    assert len(set(stale)) == OPEN_JOBS_LISTED + 5  # an expired job is not the one asked for again
    fresh = jobs.request(clerk, "ng-desk", evidence_no=gun.evidence_no)
    assert [job.id for job in jobs.open_jobs(desk, "ng-desk")] == [fresh.id]
