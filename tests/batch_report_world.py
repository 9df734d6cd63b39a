"""A closed destruction batch to report on: a firearm with its bullet and casing samples and a lot (one
application), and a second lot (another application); before the witnesses the firearm is photographed,
an unknown code and a miscount are read (findings), the firearm and the first lot are destroyed (a photo
after), the second lot is withdrawn with a reason, and the batch closes. The clock moves a minute
between the steps; ``middle`` is the ledger point just after the firearm's destruction."""

from __future__ import annotations

import io
from dataclasses import dataclass

from destruction_world import OFFICER, Sealed, add_people, sealed_items
from PIL import Image

from custody.clock import FixedClock
from custody.model import Department, Role
from custody.services import Custody

APPROVER = "prov-destruction2"
INSIDE, OUTSIDE = "ng-auditor", "kc-clerk"  # witnesses: of the owning unit, and of another county
STATISTICS = "prov-statistics"
FAR_CUSTODIAN = "jl-custodian"  # a custodian of Jilin city (220200): the batch is not of its units
REASON = "弹药数量待复核"


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class ClosedBatch:
    batch_id: int
    first: Sealed  # firearm (with samples) and the lot destroyed
    withdrawn: str  # the second lot's evidence number
    photos: tuple[bytes, ...]
    middle: int  # seq just after the firearm's destruction


def add_readers(custody: Custody) -> None:
    add_people(custody)
    custody.users.add(
        APPROVER, "省厅销毁专员二", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    custody.users.add(STATISTICS, "省厅统计", "220000", Department.OFFICE, {Role.STATISTICS})
    custody.users.add(FAR_CUSTODIAN, "吉林市治安", "220200", Department.PUBLIC_ORDER, {Role.CUSTODIAN})


def closed_batch(custody: Custody, clock: FixedClock) -> ClosedBatch:
    """The batch described above, closed (the people of :func:`add_readers` added first)."""
    city = custody.users.actor("cc-custodian")
    officer = custody.users.actor(OFFICER)
    first = sealed_items(custody)
    second = sealed_items(custody, samples=())
    applications = [
        custody.applications.apply(city, "220100", first.numbers).id,
        custody.applications.apply(city, "220100", [second.ammo.evidence_no]).id,
    ]
    batch_id = custody.batches.create(officer, "smelting", "长春钢厂熔炉", "2026-04-15", applications).id
    clock.advance(60)
    custody.batches.approve(officer, batch_id, custody.users.actor(APPROVER))
    clock.advance(60)
    for witness in (INSIDE, OUTSIDE):
        custody.batch_site.witness(officer, batch_id, custody.users.actor(witness))
    clock.advance(60)
    custody.batch_site.open(officer, batch_id, "cutting", "长春钢厂切割车间")
    before, after = png((200, 30, 30)), png((30, 30, 200))
    gun, ammo = first.gun.evidence_no, first.ammo.evidence_no
    clock.advance(60)
    custody.batch_photos.add(officer, batch_id, gun, "before", before)
    custody.site_reads.scan(officer, batch_id, "NOT-A-CODE")
    custody.site_reads.count(officer, batch_id, ammo, 49)
    clock.advance(60)
    custody.site_reads.scan(officer, batch_id, gun)
    middle = custody.ledger.head().seq
    clock.advance(60)
    custody.batch_photos.add(officer, batch_id, gun, "after", after)
    custody.site_reads.count(officer, batch_id, ammo, 50)
    custody.site_reads.scan(officer, batch_id, ammo)
    clock.advance(60)
    custody.batch_site.withdraw(officer, batch_id, second.ammo.evidence_no, REASON)
    clock.advance(60)
    custody.batch_site.close(officer, batch_id)
    return ClosedBatch(batch_id, first, second.ammo.evidence_no, (before, after), middle)
