"""Seals and storage locations on SQLite and PostgreSQL: accepted items sealed before a witness at a
location, relocated, unsealed with a reason and a witness, sealed again under a new number; seal numbers
gapless per unit and year and valid; every refusal writes nothing; the ledger verifies and replays
after each step."""

from __future__ import annotations

import pytest
from seal_world import (
    ROOM,
    SHELF_1,
    SHELF_2,
    STORE,
    accepted_items,
    add_locations,
    assert_ledger_sound,
    second_custodian,
)

from custody.codes import SealNumber
from custody.errors import (
    AlreadyExists,
    CustodyError,
    InvalidInput,
    ListRefused,
    NotPermitted,
    TransitionRefused,
    UnknownLocation,
    UnknownSeal,
)
from custody.intake import FirearmIntake
from custody.model import EventType, ItemState, LocationLevel, SealStatus
from custody.numbers import is_valid_mod97
from custody.services import Custody


@pytest.fixture
def store(custody: Custody) -> Custody:
    add_locations(custody)
    return custody


def refused_writing_nothing(custody: Custody, act, error: type[CustodyError]) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as refused:
        act()
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return refused.value


def actor(custody: Custody, username: str):
    return custody.users.actor(username)


# ------------------------------------------------------------------------------------------ locations


def test_locations_nest_store_room_shelf_bin_within_the_unit(store: Custody):
    custodian = actor(store, "ng-custodian")
    bin_ = store.locations.add(custodian, "l220102-a-1-01-3", "3号格")
    assert (bin_.code, bin_.level, bin_.parent_code, bin_.unit_code) == (
        "L220102-A-1-01-3",
        LocationLevel.BIN,
        SHELF_1,
        "220102",
    )
    listed = [loc.code for loc in store.locations.list(custodian)]
    assert listed == sorted([STORE, ROOM, SHELF_1, SHELF_2, "L220102-A-1-01-3"])
    assert [p.code for p in store.locations.path(custodian, bin_.code)] == [STORE, ROOM, SHELF_1, bin_.code]
    # out of scope: the Jilin City clerk sees none of them, and one named is answered as missing
    assert store.locations.list(actor(store, "jl-clerk")) == []
    with pytest.raises(UnknownLocation):
        store.locations.get(actor(store, "jl-clerk"), STORE)


def test_location_refusals(store: Custody):
    custodian = actor(store, "ng-custodian")
    with pytest.raises(UnknownLocation, match="add L220102-B first"):
        store.locations.add(custodian, "L220102-B-1", "无库之室")
    with pytest.raises(AlreadyExists):
        store.locations.add(custodian, STORE, "重复")
    with pytest.raises(InvalidInput):
        store.locations.add(custodian, "F220102-A", "不是位置")
    with pytest.raises(NotPermitted):  # Changchun's store lies above the county custodian's scope
        store.locations.add(custodian, "L220100-A", "市局库")
    with pytest.raises(NotPermitted):  # a clerk keeps no store
        store.locations.add(actor(store, "ng-clerk"), "L220102-C", "物证室")


# ----------------------------------------------------------------------------------------- the walk


def test_seal_relocate_unseal_and_reseal_under_a_new_number(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    assert {gun.state, ammo.state} == {ItemState.HANDED_OVER}
    assert_ledger_sound(store)

    sealed = store.seals.create(
        custodian, SHELF_1, [gun.evidence_no, ammo.evidence_no], actor(store, "ng-auditor")
    )
    first = SealNumber.parse(sealed.seal_no)
    assert (first.region_code, first.year, first.sequence) == ("220102", 2026, 1)
    assert is_valid_mod97(sealed.seal_no) and sealed.status is SealStatus.INTACT
    for number in (gun.evidence_no, ammo.evidence_no):
        item = store.items.item(None, number)
        assert (item.state, item.seal_no, item.location_code) == (ItemState.SEALED, sealed.seal_no, SHELF_1)
        last = item.history[-1]
        assert (last.event_type, last.witness, last.payload["seal_no"]) == (
            "sealed",
            "ng-auditor",
            sealed.seal_no,
        )
    view = store.seals.show(custodian, sealed.seal_no)
    assert [i.evidence_no for i in view.items] == sorted([gun.evidence_no, ammo.evidence_no])
    assert (view.custodian, view.witness, view.location.code, view.last_reading) == (
        "ng-custodian",
        "ng-auditor",
        SHELF_1,
        None,
    )
    assert_ledger_sound(store)

    moved = store.seals.move(custodian, sealed.seal_no, SHELF_2)
    assert moved.location_code == SHELF_2
    for number in (gun.evidence_no, ammo.evidence_no):
        item = store.items.item(None, number)
        assert (item.state, item.location_code) == (ItemState.SEALED, SHELF_2)
        assert item.history[-1].event_type == "relocated"
        assert item.history[-1].payload == {"seal_no": sealed.seal_no, "from": SHELF_1, "to": SHELF_2}
    assert_ledger_sound(store)

    opened = store.seals.open(custodian, sealed.seal_no, "送检前启封", actor(store, "ng-investigator"))
    assert (opened.status, opened.void_reason) == (SealStatus.VOID, "送检前启封")
    for number in (gun.evidence_no, ammo.evidence_no):
        item = store.items.item(None, number)
        assert (item.state, item.seal_no, item.location_code) == (ItemState.HANDED_OVER, None, SHELF_2)
        assert item.history[-1].payload == {"seal_no": sealed.seal_no, "reason": "送检前启封"}
    assert_ledger_sound(store)
    # a void seal is opened or moved no more
    refused_writing_nothing(
        store, lambda: store.seals.move(custodian, sealed.seal_no, SHELF_1), TransitionRefused
    )

    resealed = store.seals.create(
        custodian, SHELF_2, [gun.evidence_no, ammo.evidence_no], actor(store, "ng-clerk2")
    )
    again = SealNumber.parse(resealed.seal_no)
    assert (again.sequence, resealed.seal_no != sealed.seal_no) == (2, True)
    assert store.seals.show(custodian, sealed.seal_no).seal.status is SealStatus.VOID
    assert [i.state for i in store.seals.show(custodian, resealed.seal_no).items] == [ItemState.SEALED] * 2
    assert_ledger_sound(store)


def test_seal_numbers_are_gapless_per_unit_and_year_refusals_take_none(store: Custody):
    custodian = actor(store, "ng-custodian")
    items = accepted_items(store, count=4)
    witness = actor(store, "ng-auditor")
    made = [store.seals.create(custodian, SHELF_1, [items[0].evidence_no], witness)]
    # a refused seal takes no number
    refused_writing_nothing(
        store,
        lambda: store.seals.create(custodian, SHELF_1, [items[0].evidence_no], witness),
        ListRefused,
    )
    made += [store.seals.create(custodian, SHELF_1, [i.evidence_no], witness) for i in items[1:]]
    numbers = [SealNumber.parse(s.seal_no) for s in made]
    assert [n.sequence for n in numbers] == [1, 2, 3, 4]
    assert all(is_valid_mod97(s.seal_no) for s in made)
    # the items' evidence numbers go on in their own sequence: seals do not take from it
    clerk = actor(store, "ng-clerk")
    store.cases.open(clerk, "K-NEXT")
    gun = store.items.register_firearm(clerk, "K-NEXT", FirearmIntake("手枪", "54式", "9", "7.62mm", True))
    assert int(gun.evidence_no[11:17]) == 5


# ------------------------------------------------------------------------------------------ refusals


def test_the_witness_is_not_the_custodian(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(custodian, SHELF_1, [gun.evidence_no, ammo.evidence_no], custodian),
        TransitionRefused,
    )
    assert "another person than the actor" in str(refused)


def test_the_witness_is_not_in_the_custody_chain(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(
            custodian, SHELF_1, [gun.evidence_no, ammo.evidence_no], actor(store, "ng-clerk")
        ),
        ListRefused,
    )
    assert isinstance(refused, ListRefused)
    assert [(r.evidence_no, r.key) for r in refused.refusals] == [
        (gun.evidence_no, "seal.witness_in_chain"),
        (ammo.evidence_no, "seal.witness_in_chain"),
    ]
    # the witness of an earlier seal is in the chain too
    first = store.seals.create(custodian, SHELF_1, [gun.evidence_no], actor(store, "ng-auditor"))
    store.seals.open(custodian, first.seal_no, "复核", actor(store, "ng-investigator"))
    for witness in ("ng-auditor", "ng-investigator"):
        refused_writing_nothing(
            store,
            lambda w=witness: store.seals.create(custodian, SHELF_1, [gun.evidence_no], actor(store, w)),
            ListRefused,
        )


def test_a_list_with_an_item_not_accepted_is_refused_whole_naming_it(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    clerk = actor(store, "ng-clerk")
    store.cases.open(clerk, "K-OPEN")
    loose = store.items.register_firearm(clerk, "K-OPEN", FirearmIntake("步枪", "56式", "1", "7.62mm", True))
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(
            custodian,
            SHELF_1,
            [gun.evidence_no, loose.evidence_no, ammo.evidence_no],
            actor(store, "ng-auditor"),
        ),
        ListRefused,
    )
    assert isinstance(refused, ListRefused)
    assert [r.evidence_no for r in refused.refusals] == [loose.evidence_no]
    assert loose.evidence_no in str(refused) and "registered" in str(refused)
    assert store.items.item(None, gun.evidence_no).state is ItemState.HANDED_OVER


def test_an_item_of_another_custodian_is_refused(store: Custody):
    second_custodian(store)
    mine = accepted_items(store, count=1)[0]
    theirs = accepted_items(store, count=1, custodian="ng-custodian2")[0]
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(
            actor(store, "ng-custodian"),
            SHELF_1,
            [mine.evidence_no, theirs.evidence_no],
            actor(store, "ng-auditor"),
        ),
        ListRefused,
    )
    assert isinstance(refused, ListRefused)
    assert [(r.evidence_no, r.key) for r in refused.refusals] == [(theirs.evidence_no, "seal.not_custodian")]


def test_a_location_of_another_unit_is_refused(store: Custody):
    # Changchun's store, out of the county custodian's scope: answered as missing
    store.locations.add(actor(store, "cc-custodian"), "L220100-A", "市局库")
    gun = accepted_items(store, count=1)[0]
    refused_writing_nothing(
        store,
        lambda: store.seals.create(
            actor(store, "ng-custodian"), "L220100-A", [gun.evidence_no], actor(store, "ng-auditor")
        ),
        UnknownLocation,
    )
    # the county's store, in the city custodian's scope but not the city's own store
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(
            actor(store, "cc-custodian"), STORE, [gun.evidence_no], actor(store, "cc-clerk")
        ),
        TransitionRefused,
    )
    assert refused.key == "seal.location_other_unit"


def test_a_tag_already_bound_is_refused(store: Custody):
    custodian = actor(store, "ng-custodian")
    clerk = actor(store, "ng-clerk")
    store.cases.open(clerk, "K-TAGGED")
    tagged = store.items.register_firearm(
        clerk, "K-TAGGED", FirearmIntake("手枪", "64式", "7", "7.65mm", True)
    )
    store.items.bind_tag(clerk, tagged.evidence_no, 1, "04A1B2C3D4E5F6")
    gun, ammo = accepted_items(store)
    witness = actor(store, "ng-auditor")
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(
            custodian, SHELF_1, [gun.evidence_no], witness, tag_uid="04:a1:b2:c3:d4:e5:f6"
        ),
        TransitionRefused,
    )
    assert refused.key == "seal.tag_taken" and tagged.evidence_no in str(refused)
    sealed = store.seals.create(custodian, SHELF_1, [gun.evidence_no], witness, tag_uid="04C0FFEE000001")
    assert sealed.tag_uid == "04C0FFEE000001"
    refused = refused_writing_nothing(
        store,
        lambda: store.seals.create(custodian, SHELF_1, [ammo.evidence_no], witness, tag_uid="04C0FFEE000001"),
        TransitionRefused,
    )
    assert sealed.seal_no in str(refused)
    # nor is a seal's tag bound to an item
    refused_writing_nothing(
        store,
        lambda: store.items.bind_tag(clerk, tagged.evidence_no, 2, "04C0FFEE000001"),
        TransitionRefused,
    )


def test_a_seal_out_of_scope_is_answered_as_missing(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun = accepted_items(store, count=1)[0]
    sealed = store.seals.create(custodian, SHELF_1, [gun.evidence_no], actor(store, "ng-auditor"))
    outsider = actor(store, "jl-clerk")
    with pytest.raises(UnknownSeal) as out_of_scope:
        store.seals.show(outsider, sealed.seal_no)
    never = str(SealNumber.make("220102", 2026, 999))
    with pytest.raises(UnknownSeal) as missing:
        store.seals.show(outsider, never)
    assert str(out_of_scope.value).replace(sealed.seal_no, "N") == str(missing.value).replace(never, "N")
    assert store.seals.show(actor(store, "cc-clerk"), sealed.seal_no).seal.seal_no == sealed.seal_no


def test_opening_needs_a_reason_and_a_witness_and_a_move_another_place(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun = accepted_items(store, count=1)[0]
    sealed = store.seals.create(custodian, SHELF_1, [gun.evidence_no], actor(store, "ng-auditor"))
    refused_writing_nothing(
        store,
        lambda: store.seals.open(custodian, sealed.seal_no, " ", actor(store, "ng-auditor")),
        InvalidInput,
    )
    refused_writing_nothing(
        store, lambda: store.seals.open(custodian, sealed.seal_no, "复核", None), InvalidInput
    )
    refused_writing_nothing(
        store, lambda: store.seals.move(custodian, sealed.seal_no, SHELF_1), TransitionRefused
    )
    refused_writing_nothing(
        store, lambda: store.seals.move(custodian, sealed.seal_no, "L220102-Z"), UnknownLocation
    )
    other = second_custodian(store)
    refused_writing_nothing(
        store,
        lambda: store.seals.open(other, sealed.seal_no, "复核", actor(store, "ng-auditor")),
        ListRefused,
    )


# ---------------------------------------------------------------------------------- custodian change


def test_a_custodian_change_hands_on_the_store_and_marks_it_for_audit(store: Custody):
    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    sealed = store.seals.create(custodian, SHELF_1, [gun.evidence_no], actor(store, "ng-auditor"))
    successor = second_custodian(store)
    change = store.seals.custodian_change(custodian, "220102", successor)
    assert sorted(i.evidence_no for i in change.items) == sorted([gun.evidence_no, ammo.evidence_no])
    assert change.marked_seq == store.ledger.head().seq
    for number, state in ((gun.evidence_no, ItemState.SEALED), (ammo.evidence_no, ItemState.HANDED_OVER)):
        item = store.items.item(None, number)
        assert (item.state, item.custodian_user_id) == (state, successor.id)
        assert item.history[-1].event_type == EventType.CUSTODIAN_CHANGED.value
        assert item.history[-1].payload["to"] == "ng-custodian2"
    assert store.seals.get(None, sealed.seal_no).custodian_id == successor.id
    with store.engine.connect() as conn:
        from sqlalchemy import text

        marks = conn.execute(text("SELECT unit_code, marked_seq, cleared_at_us FROM store_marks")).all()
    assert [tuple(m) for m in marks] == [("220102", change.marked_seq, None)]
    assert_ledger_sound(store)
    # the new custodian now opens the seal; the old one can no more
    refused_writing_nothing(
        store,
        lambda: store.seals.open(custodian, sealed.seal_no, "复核", actor(store, "ng-auditor")),
        ListRefused,
    )
    store.seals.open(successor, sealed.seal_no, "交接复核", actor(store, "ng-auditor"))
    assert_ledger_sound(store)


def test_a_custodian_change_refusals_write_nothing(store: Custody):
    custodian = actor(store, "ng-custodian")
    accepted_items(store, count=1)
    # a custodian of another unit, a user of another department, oneself
    elsewhere = second_custodian(store, "kc-custodian", "220103")
    refused_writing_nothing(
        store, lambda: store.seals.custodian_change(custodian, "220102", elsewhere), CustodyError
    )
    refused_writing_nothing(
        store,
        lambda: store.seals.custodian_change(custodian, "220102", actor(store, "ng-clerk2")),
        ListRefused,
    )
    refused_writing_nothing(
        store, lambda: store.seals.custodian_change(custodian, "220102", custodian), TransitionRefused
    )
    # nothing of the store is held by this one
    successor = second_custodian(store)
    refused_writing_nothing(
        store, lambda: store.seals.custodian_change(successor, "220102", custodian), TransitionRefused
    )
    with store.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM store_marks")).scalar_one() == 0


def test_seal_numbers_stay_gapless_when_custodians_seal_at_once(store: Custody):
    from concurrent.futures import ThreadPoolExecutor

    custodian = actor(store, "ng-custodian")
    witness = actor(store, "ng-auditor")
    items = accepted_items(store, count=8)
    clerk = actor(store, "ng-clerk")
    store.cases.open(clerk, "K-LOOSE")
    loose = store.items.register_firearm(clerk, "K-LOOSE", FirearmIntake("手枪", "54式", "L", "7.62mm", True))

    def seal(number: str) -> str | None:
        try:
            return store.seals.create(custodian, SHELF_1, [number], witness).seal_no
        except ListRefused:
            return None

    numbers = [i.evidence_no for i in items]
    numbers[3:3] = [loose.evidence_no]  # refused in the middle of the rush: it takes no number
    with ThreadPoolExecutor(max_workers=6) as pool:
        made = [n for n in pool.map(seal, numbers) if n is not None]
    assert sorted(SealNumber.parse(n).sequence for n in made) == list(range(1, 9))
    assert_ledger_sound(store)


def test_a_seal_shows_the_tamper_status_of_the_last_read_of_its_tag(store: Custody):
    """As a station records a seal tag's read (one sighting per item under the seal, the seal number,
    the tag's UID and its tamper loop in the payload), ``show`` answers the last one."""
    from custody.db.ledger_store import record_event

    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    sealed = store.seals.create(
        custodian, SHELF_1, [gun.evidence_no, ammo.evidence_no], actor(store, "ng-auditor"), "04C0FFEE5EA1AA"
    )

    def sighting(tamper: str | None, *items, before: bool | None = None) -> None:
        def write(conn) -> None:
            for item in items:
                payload = {"uid": "04C0FFEE5EA1AA", "seal_no": sealed.seal_no, "source": "tag"}
                if tamper is not None:
                    payload.update(tamper=tamper, tamper_opened_before=before)
                record_event(
                    conn,
                    EventType.SIGHTED,
                    store.clock.now_us(),
                    actor_id=None,
                    unit_code="220102",
                    payload=payload,
                    item_id=item.id,
                    case_id=item.case_id,
                    item_version=store.items.item(None, item.evidence_no).version,
                    station="m-ng-shelf",
                )

        store.store.write(write)

    assert store.seals.show(custodian, sealed.seal_no).last_reading is None
    sighting("closed", gun, ammo, before=False)
    reading = store.seals.show(custodian, sealed.seal_no).last_reading
    assert (reading.tamper, reading.opened_before, reading.broken) == ("closed", False, False)
    store.clock.advance(60)
    sighting("open", gun, ammo, before=True)
    reading = store.seals.show(custodian, sealed.seal_no).last_reading
    assert (reading.tamper, reading.broken, reading.station) == ("open", True, "m-ng-shelf")

    # a scan of the printed seal number is no read of the tag: the tag's last read still stands
    def barcode(conn) -> None:
        record_event(
            conn,
            EventType.SIGHTED,
            store.clock.now_us(),
            actor_id=None,
            unit_code="220102",
            payload={"code": sealed.seal_no, "seal_no": sealed.seal_no, "source": "barcode"},
            item_id=gun.id,
            case_id=gun.case_id,
            item_version=store.items.item(None, gun.evidence_no).version,
            station="m-ng-desk",
        )

    store.store.write(barcode)
    assert store.seals.show(custodian, sealed.seal_no).last_reading.tamper == "open"
    assert_ledger_sound(store)


def test_a_station_read_of_the_seal_tag_is_the_seals_last_reading(store: Custody):
    """Through scan intake: a station reads the seal tag (its UID and the seal number on it) with the
    loop closed, then open; ``show`` answers the latest, and a barcode scan of the label changes nothing
    of it."""
    from custody.scans import Scan, ScanSource

    custodian = actor(store, "ng-custodian")
    gun, ammo = accepted_items(store)
    uid = "04C0FFEE5EA1BB"
    sealed = store.seals.create(
        custodian, SHELF_1, [gun.evidence_no, ammo.evidence_no], actor(store, "ng-auditor"), uid
    )
    station = ScanSource(name="m-ng-shelf", unit_code="220102")
    for key, tamper, before in (("k1", "closed", False), ("k2", "open", True)):
        scan = Scan("reader-1", key, uid=uid, text=sealed.seal_no, tamper=tamper, tamper_opened_before=before)
        store.scans.record(station, scan)
        reading = store.seals.show(custodian, sealed.seal_no).last_reading
        assert (reading.tamper, reading.opened_before, reading.station) == (tamper, before, "m-ng-shelf")
    store.scans.record(station, Scan("scanner-1", "k3", code=sealed.seal_no))
    assert store.seals.show(custodian, sealed.seal_no).last_reading.broken
    assert_ledger_sound(store)
