"""The site of a provincial destruction batch on SQLite and PostgreSQL: witnesses independent of every
item confirm, the site opens once two did (one from outside the owning units), items scanned out are
destroyed before them, an ammunition lot's rounds are counted, an unexpected or unknown code changes
nothing, an item not destroyed is withdrawn back to sealed, and the batch closes with the ledger's head
once every item is accounted for. Every refusal writes nothing to the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from destruction_world import APPROVER, OFFICER, WITNESS, add_people, approved_batch, sealed_items
from seal_world import assert_ledger_sound

from custody.batches import BatchStatus
from custody.errors import CustodyError, NotPermitted, TransitionRefused
from custody.model import Department, ItemState, Role
from custody.services import Custody

INSIDE = "ng-auditor"  # of the owning unit (220102), in no item's custody
OUTSIDE = "kc-clerk"  # of Kuancheng (220103), outside the owning units


@pytest.fixture
def store(custody: Custody) -> Custody:
    add_people(custody)
    custody.users.add(
        APPROVER, "省厅销毁专员二", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    return custody


def refused_writing_nothing(
    custody: Custody, act: Callable[[], Any], error: type[CustodyError]
) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as refused:
        act()
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return refused.value


def test_from_an_application_to_a_closed_batch(store: Custody):
    batch_id, [[gun, ammo], [gun2, ammo2]] = approved_batch(store, lots=2)
    officer = store.users.actor(OFFICER)
    site, reads = store.batch_site, store.site_reads
    refused_writing_nothing(store, lambda: reads.scan(officer, batch_id, gun), TransitionRefused)
    site.witness(officer, batch_id, store.users.actor(INSIDE))
    witnessed = site.witness(officer, batch_id, store.users.actor(OUTSIDE))
    assert {w.username for w in witnessed.witnesses} == {INSIDE, OUTSIDE}
    opened = site.open(officer, batch_id, "cutting", "长春钢厂切割车间")
    assert (opened.status, opened.method, opened.place, opened.officer) == (
        BatchStatus.SITE,
        "cutting",
        "长春钢厂切割车间",
        OFFICER,
    )

    outsider = sealed_items(store).gun.evidence_no  # sealed, in no batch
    head = store.ledger.head()
    assert reads.scan(officer, batch_id, "NOT-A-CODE").status == "unknown"
    assert reads.scan(officer, batch_id, outsider).status == "unexpected"
    differing = reads.scan(officer, batch_id, ammo, rounds=49)
    assert (differing.status, differing.key, differing.counted, differing.recorded) == (
        "rounds_differ",
        "batch.rounds_differ",
        49,
        50,
    )
    uncounted = reads.scan(officer, batch_id, ammo)
    assert (uncounted.status, uncounted.key) == ("uncounted", "batch.rounds_not_counted")
    assert reads.count(officer, batch_id, ammo, 48).status == "rounds_differ"
    assert reads.scan(officer, batch_id, ammo).status == "uncounted"  # the last count differed
    refused_writing_nothing(store, lambda: reads.count(officer, batch_id, gun, 1), CustodyError)
    refused_writing_nothing(store, lambda: reads.count(officer, batch_id, ammo, -1), CustodyError)
    assert store.ledger.head() == head, "an unknown, unexpected or miscounted code wrote to the ledger"
    assert store.items.item(None, ammo).state is ItemState.APPROVED

    assert reads.scan(officer, batch_id, gun).status == "destroyed"
    assert reads.scan(officer, batch_id, gun).status == "repeat"
    assert reads.count(officer, batch_id, ammo, 50).status == "counted"
    assert reads.scan(officer, batch_id, ammo).status == "destroyed"  # by the count just made
    assert reads.scan(officer, batch_id, gun2).status == "destroyed"
    destroyed = store.items.item(None, gun).history[-1]
    assert destroyed.event_type == "destroyed"
    assert destroyed.actor == OFFICER
    assert destroyed.payload["method"] == "cutting"
    assert {w["username"] for w in destroyed.payload["witnesses"]} == {INSIDE, OUTSIDE}
    assert store.items.item(None, ammo).history[-1].payload["rounds"] == 50
    kept = reads.reads(officer, batch_id)
    assert [k.read.status for k in kept] == [
        *("unknown", "unexpected", "rounds_differ", "uncounted", "rounds_differ", "uncounted"),
        *("destroyed", "repeat", "counted", "destroyed", "destroyed"),
    ]
    findings = reads.reads(officer, batch_id, findings_only=True)
    assert [(k.read.status, k.read.evidence_no) for k in findings] == [
        ("unknown", None),
        ("unexpected", outsider),
        ("rounds_differ", ammo),
        ("uncounted", ammo),
        ("rounds_differ", ammo),
        ("uncounted", ammo),
    ]
    assert all(k.officer == OFFICER for k in kept)

    # closing with an item unaccounted for
    refused = refused_writing_nothing(store, lambda: site.close(officer, batch_id), TransitionRefused)
    assert refused.key == "batch.unaccounted" and ammo2 in str(refused)
    refused_writing_nothing(store, lambda: site.withdraw(officer, batch_id, ammo2, ""), CustodyError)
    site.withdraw(officer, batch_id, ammo2, "弹药数量待复核")
    assert store.items.item(None, ammo2).state is ItemState.SEALED
    closed = site.close(officer, batch_id)
    head = store.ledger.head()
    assert (closed.status, closed.closed_seq, closed.closed_hash) == (BatchStatus.CLOSED, head.seq, head.hash)
    refused_writing_nothing(store, lambda: reads.scan(officer, batch_id, gun2), TransitionRefused)
    # the lot withdrawn goes back to the store; applied for again, it is not batched a second time
    again = store.applications.apply(store.users.actor("cc-custodian"), "220100", [ammo2]).id
    create = lambda: store.batches.create(officer, "smelting", "长春钢厂熔炉", "2026-05-15", [again])  # noqa: E731
    refused = refused_writing_nothing(store, create, TransitionRefused)
    assert refused.key == "batch.item_once_batched" and ammo2 in str(refused)
    assert_ledger_sound(store)


def test_one_witness_does_not_open_the_site(store: Custody):
    batch_id, _numbers = approved_batch(store)
    officer = store.users.actor(OFFICER)
    site = store.batch_site
    refused = refused_writing_nothing(
        store, lambda: site.open(officer, batch_id, "smelting", "长春"), TransitionRefused
    )
    assert refused.key == "batch.two_witnesses"
    site.witness(officer, batch_id, store.users.actor(OUTSIDE))
    refused = refused_writing_nothing(
        store, lambda: site.open(officer, batch_id, "smelting", "长春"), TransitionRefused
    )
    assert refused.key == "batch.two_witnesses"
    refused_writing_nothing(
        store, lambda: site.witness(officer, batch_id, store.users.actor(OUTSIDE)), TransitionRefused
    )
    assert site.site(officer, batch_id).status is BatchStatus.APPROVED
    assert_ledger_sound(store)


def test_a_witness_in_the_chain_or_none_from_outside_refuses(store: Custody):
    batch_id, _numbers = approved_batch(store)
    officer = store.users.actor(OFFICER)
    site = store.batch_site
    # the seal's witness, the approver and the custodians took part in the items' custody
    for person in (WITNESS, APPROVER, "ng-custodian", "cc-custodian"):
        refused = refused_writing_nothing(
            store, lambda p=person: site.witness(officer, batch_id, store.users.actor(p)), TransitionRefused
        )
        assert refused.key in {"batch.witness_in_chain", "batch.witness_is_officer"}
    refused_writing_nothing(store, lambda: site.witness(officer, batch_id, officer), TransitionRefused)
    assert site.site(officer, batch_id).witnesses == ()
    # two witnesses, both of the owning unit
    store.users.add("ng-other", "南关民警", "220102", Department.POLICE_STATION, {Role.INVESTIGATOR})
    site.witness(officer, batch_id, store.users.actor(INSIDE))
    site.witness(officer, batch_id, store.users.actor("ng-other"))
    refused = refused_writing_nothing(
        store, lambda: site.open(officer, batch_id, "smelting", "长春"), TransitionRefused
    )
    assert refused.key == "batch.none_from_outside"
    # a custodian opens no site
    refused_writing_nothing(
        store,
        lambda: site.open(store.users.actor("cc-custodian"), batch_id, "smelting", "长春"),
        NotPermitted,
    )
    site.witness(officer, batch_id, store.users.actor(OUTSIDE))
    assert site.open(officer, batch_id, "smelting", "长春").status is BatchStatus.SITE
    assert_ledger_sound(store)


JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def test_photos_before_and_after_are_kept_by_their_sha256(store: Custody):
    import hashlib

    from custody.errors import InvalidInput

    batch_id, [[gun, _ammo]] = approved_batch(store)
    officer = store.users.actor(OFFICER)
    photos = store.batch_photos
    before = photos.add(officer, batch_id, gun, "before", JPEG)
    assert (before.sha256, before.media_type) == (hashlib.sha256(JPEG).hexdigest(), "image/jpeg")
    last = store.items.item(None, gun).history[-1]
    assert (last.event_type, last.payload["sha256"], last.payload["stage"]) == (
        "photographed",
        before.sha256,
        "before",
    )
    assert photos.content(officer, batch_id, before.sha256) == (before, JPEG)
    assert photos.list(officer, batch_id) == [before]
    # not an image, too large, a GIF, after destruction of an item not destroyed: refused, nothing written
    for content, stage in (
        (b"GIF89a" + bytes(10), "before"),
        (b"%PDF-1.7", "before"),
        (JPEG[:3] + bytes(10 * 1024 * 1024), "before"),
    ):
        refused_writing_nothing(
            store, lambda c=content, s=stage: photos.add(officer, batch_id, gun, s, c), InvalidInput
        )
    refused_writing_nothing(store, lambda: photos.add(officer, batch_id, gun, "after", PNG), CustodyError)
    refused_writing_nothing(store, lambda: photos.add(officer, batch_id, gun, "during", PNG), InvalidInput)
    unkept = hashlib.sha256(PNG).hexdigest()
    refused_writing_nothing(store, lambda: photos.content(officer, batch_id, unkept), CustodyError)
    # the owning units read the batch's photos; another unit does not see the batch
    assert photos.content(store.users.actor("cc-custodian"), batch_id, before.sha256)[1] == JPEG
    jilin = store.users.add("jl-custodian", "吉林治安", "220200", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    refused_writing_nothing(store, lambda: photos.list(jilin, batch_id), CustodyError)
    refused_writing_nothing(
        store,
        lambda: photos.add(store.users.actor("cc-custodian"), batch_id, gun, "before", PNG),
        NotPermitted,
    )
    site = store.batch_site
    site.witness(officer, batch_id, store.users.actor(INSIDE))
    site.witness(officer, batch_id, store.users.actor(OUTSIDE))
    site.open(officer, batch_id, "crushing", "长春")
    assert store.site_reads.scan(officer, batch_id, gun).status == "destroyed"
    after = photos.add(officer, batch_id, gun, "after", PNG)
    assert after.media_type == "image/png"
    assert store.items.item(None, gun).state is ItemState.DESTROYED
    assert_ledger_sound(store)


def test_a_station_bound_to_the_site_scans_items_out(store: Custody):
    from custody.credentials import digest
    from custody.model import AuditMode
    from custody.scans import Scan, ScanSource

    batch_id, [[gun, ammo]] = approved_batch(store)
    officer, admin = store.users.actor(OFFICER), store.users.actor("admin")
    station, key = store.stations.add(admin, "prov-furnace", "220000", Department.OFFICE, ("gun-1",))
    source = ScanSource(station.name, "220000", station_id=station.id, key_sha256=digest(key))
    site = store.batch_site
    site.witness(officer, batch_id, store.users.actor(INSIDE))
    site.witness(officer, batch_id, store.users.actor(OUTSIDE))
    for name, key_ in (("no-such-station", "station.unknown"), (station.name, None)):
        if key_ is not None:
            refused = refused_writing_nothing(
                store, lambda n=name: site.open(officer, batch_id, "smelting", "长春", n), CustodyError
            )
            assert refused.key == key_
    opened = site.open(officer, batch_id, "smelting", "长春钢厂熔炉", station.name)
    assert opened.station == station.name
    # the station reads for the site: an audit may not take it meanwhile
    auditor = store.users.add("prov-auditor", "省厅督察", "220000", Department.INSPECTION, {Role.AUDITOR})
    refused = refused_writing_nothing(
        store,
        lambda: store.audits.open(auditor, "220000", mode=AuditMode.FULL, station=station.name),
        TransitionRefused,
    )
    assert refused.key == "batch.station_at_site"

    head = store.ledger.head()
    unknown = store.scans.record(source, Scan("gun-1", "s-1", code="NO SUCH CODE"))
    assert (unknown["site_read"], unknown["batch_id"]) == ("unknown", batch_id)
    uncounted = store.scans.record(source, Scan("gun-1", "s-2", code=ammo))
    assert (uncounted["site_read"], uncounted["key"]) == ("uncounted", "batch.rounds_not_counted")
    assert store.ledger.head() == head  # findings write nothing to the ledger
    answer = store.scans.record(source, Scan("gun-1", "s-3", code=gun))
    assert (answer["site_read"], answer["evidence_nos"]) == ("destroyed", [gun])
    retry = store.scans.record(source, Scan("gun-1", "s-3", code=gun))  # a retry: the same answer
    assert retry["replayed"] is True and retry["site_read"] == "destroyed"
    store.site_reads.count(officer, batch_id, ammo, 50)
    assert store.scans.record(source, Scan("gun-1", "s-4", code=ammo))["site_read"] == "destroyed"
    destroyed = store.items.item(None, gun).history[-1]
    assert (destroyed.event_type, destroyed.actor, destroyed.station) == ("destroyed", OFFICER, station.name)
    assert [e.event_type for e in store.items.item(None, gun).history].count("sighted") == 0
    kept = store.site_reads.reads(officer, batch_id)
    assert [(k.read.status, k.station, k.device) for k in kept] == [
        ("unknown", station.name, "gun-1"),
        ("uncounted", station.name, "gun-1"),
        ("destroyed", station.name, "gun-1"),
        ("counted", "", ""),
        ("destroyed", station.name, "gun-1"),
    ]
    closed = site.close(officer, batch_id)
    assert closed.status is BatchStatus.CLOSED
    after = store.scans.record(source, Scan("gun-1", "s-5", code=gun))  # a sighting again
    assert "site_read" not in after
    assert_ledger_sound(store)
