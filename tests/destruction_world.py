"""Sealed stores to apply for destruction from, for the tests of review dates and destruction
applications: items of closed cases sealed in the Nanguan county store (220102, under Changchun), with
ballistic samples of a firearm on record where asked, and the people of the acts (the province's
destruction officer, a seal's witness)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seal_world import SHELF_1, accept, add_locations

from custody.intake import AmmunitionIntake, FirearmIntake
from custody.model import Department, Role
from custody.numbers import ItemKind
from custody.records import Item
from custody.services import Custody

_serials = iter(range(1, 100_000))
OFFICER = "prov-destruction"
APPROVER = "prov-destruction2"  # another provincial destruction officer (add him where needed)
WITNESS = "ng-witness"


def add_people(custody: Custody) -> None:
    """The locations of the Nanguan store, a seal witness who takes no part in custody, and the
    province's destruction officer."""
    add_locations(custody)
    custody.users.add(WITNESS, "南关见证人", "220102", Department.POLICE_STATION, {Role.INVESTIGATOR})
    custody.users.add(
        OFFICER, "省厅销毁专员", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )


@dataclass(frozen=True)
class Sealed:
    """A sealed firearm that fires standard ammunition, a sealed ammunition lot, and the firearm's
    ballistic samples (sealed with them)."""

    gun: Item
    ammo: Item
    samples: tuple[Item, ...]
    seal_no: str

    @property
    def numbers(self) -> list[str]:
        return [self.gun.evidence_no, self.ammo.evidence_no]


def register_sample(custody: Custody, case_no: str, firearm: Item, kind: ItemKind) -> Item:
    """A ballistic sample of ``firearm`` (a bullet ``B`` or a cartridge case ``C``) registered under its
    case through the core's registration path, linked to the firearm (the case is still open)."""
    clerk = custody.users.actor("ng-clerk")
    columns = {"description": f"{kind.name} of {firearm.evidence_no}", "sample_of_item_id": firearm.id}
    return custody.items._register(clerk, case_no, None, kind, columns, "", "")


def sealed_items(
    custody: Custody,
    samples: Sequence[ItemKind] = (ItemKind.BULLET_SAMPLE, ItemKind.CASING_SAMPLE),
    fires_standard: bool = True,
    review_due: str | None = None,
) -> Sealed:
    """A firearm, an ammunition lot and the firearm's ``samples``, of a new closed case, accepted by the
    Nanguan custodian and sealed together on shelf 1."""
    clerk = custody.users.actor("ng-clerk")
    case_no = f"长南公刑字〔2026〕D{next(_serials):04d}号"
    custody.cases.open(clerk, case_no, "非法持有枪支案")
    intake = FirearmIntake("手枪", "54式", f"54-D{next(_serials)}", "7.62mm", fires_standard)
    gun = custody.items.register_firearm(clerk, case_no, intake)
    ammo = custody.items.register_ammunition(clerk, case_no, AmmunitionIntake("7.62mm", 50, "71"))
    made = [register_sample(custody, case_no, gun, kind) for kind in samples]
    custody.cases.close(clerk, case_no)
    numbers = [gun.evidence_no, ammo.evidence_no, *(s.evidence_no for s in made)]
    accept(custody, numbers)
    custodian = custody.users.actor("ng-custodian")
    witness = custody.users.actor(WITNESS)
    seal = custody.seals.create(custodian, SHELF_1, numbers, witness, review_due=review_due)
    gun, ammo, *rest = (custody.items.item(None, n) for n in numbers)
    return Sealed(gun, ammo, tuple(rest), seal.seal_no)


def approved_batch(custody: Custody, lots: int = 1) -> tuple[int, list[list[str]]]:
    """A batch approved by :data:`APPROVER` of ``lots`` applications of Changchun, each of a new sealed
    firearm and lot: (batch, [[firearm, lot], ...])."""
    city = custody.users.actor("cc-custodian")
    numbers = [sealed_items(custody).numbers for _ in range(lots)]
    applications = [custody.applications.apply(city, "220100", n).id for n in numbers]
    officer = custody.users.actor(OFFICER)
    batch = custody.batches.create(officer, "smelting", "长春钢厂熔炉", "2026-04-15", applications)
    custody.batches.approve(officer, batch.id, custody.users.actor(APPROVER))
    return batch.id, numbers
