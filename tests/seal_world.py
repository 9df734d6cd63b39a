"""A sealed store to act on, for the tests of seals, locations and custodian changes: locations of the
Nanguan county store (220102), items of a closed case accepted by its custodian, and checks that the
ledger still verifies and replays."""

from __future__ import annotations

from custody.actors import Actor
from custody.intake import AmmunitionIntake, FirearmIntake
from custody.model import Department, Role
from custody.records import Item
from custody.services import Custody

STORE, ROOM, SHELF_1, SHELF_2 = "L220102-A", "L220102-A-1", "L220102-A-1-01", "L220102-A-1-02"
_serials = iter(range(1, 10_000))


def add_locations(custody: Custody) -> None:
    custodian = custody.users.actor("ng-custodian")
    for code, name in ((STORE, "一号库"), (ROOM, "一室"), (SHELF_1, "1号架"), (SHELF_2, "2号架")):
        custody.locations.add(custodian, code, name)


def accept(custody: Custody, numbers: list[str], custodian: str = "ng-custodian") -> None:
    """The items (of one closed case) offered by the clerk and accepted into the custodian's store."""
    clerk = custody.users.actor("ng-clerk")
    case_no = custody.items.item(clerk, numbers[0]).case_no
    assert case_no is not None
    offered = custody.handovers.offer(clerk, case_no, custodian, numbers)
    custody.handovers.accept(custody.users.actor(custodian), offered.id)


def accepted_items(
    custody: Custody, count: int = 2, custodian: str = "ng-custodian", case_no: str = ""
) -> list[Item]:
    """``count`` items (a firearm, then ammunition lots) of a new closed case, accepted by ``custodian``."""
    clerk = custody.users.actor("ng-clerk")
    case_no = case_no or f"长南公刑字〔2026〕{next(_serials):03d}号"
    custody.cases.open(clerk, case_no, "非法持有枪支案")
    made = [
        custody.items.register_firearm(
            clerk, case_no, FirearmIntake("手枪", "54式", f"54-{next(_serials)}", "7.62mm", True)
        )
    ]
    while len(made) < count:
        made.append(custody.items.register_ammunition(clerk, case_no, AmmunitionIntake("7.62mm", 50, "71")))
    custody.cases.close(clerk, case_no)
    accept(custody, [i.evidence_no for i in made], custodian)
    return [custody.items.item(None, i.evidence_no) for i in made]


def second_custodian(custody: Custody, username: str = "ng-custodian2", unit: str = "220102") -> Actor:
    custody.users.add(username, "南关治安二", unit, Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    return custody.users.actor(username)


def assert_ledger_sound(custody: Custody) -> None:
    """The chain verifies and replaying it rebuilds every item and case as stored."""
    verification = custody.ledger.verify()
    assert verification.ok, verification.as_dict()
    _count, differences = custody.ledger.replay()
    assert differences == [], [d.as_dict() for d in differences]
