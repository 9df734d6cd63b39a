"""A month of gun cases built by hand, for the tests of the monthly statistics: March 2026 in two cities
(Changchun 220100 with Nanguan 220102 and Kuancheng 220103; Jilin 220200 with Changyi 220202, Longtan
220203 and Chuanying 220204), with events of February before it and of April after it. The figures each
unit must show are worked out by hand in :data:`MARCH` (own figures), :data:`CHANGCHUN_TOTAL` and
:data:`JILIN_TOTAL` (the cities with their counties)."""

from __future__ import annotations

from datetime import UTC, datetime

from destruction_world import OFFICER, add_people, sealed_items
from seal_world import accept

from custody.clock import FixedClock
from custody.intake import AmmunitionIntake, FirearmIntake
from custody.model import Department, Role
from custody.services import Custody

APPROVER = "prov-destruction2"
STATS = "prov-stats"  # the province's statistics office
JILIN_STATS = "jl-stats"  # Jilin city's

_serials = iter(range(1, 100_000))


def _gun(kind: str, calibre: str) -> FirearmIntake:
    return FirearmIntake(kind, "型号", f"S-{next(_serials)}", calibre, True)


def _case(custody: Custody, clerk: str, category: str | None, filed: str | None = None) -> str:
    number = f"统计案〔2026〕{next(_serials):04d}号"
    custody.cases.open(custody.users.actor(clerk), number, "涉枪案", category=category, filed_date=filed)
    return number


def build(custody: Custody, clock: FixedClock) -> tuple[int, dict[str, str]]:
    """The world up to the end of March; returns the head's seq then and the case numbers to act on."""
    add_people(custody)
    users = custody.users
    users.add(
        APPROVER, "省厅销毁专员二", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    users.add(STATS, "省厅统计", "220000", Department.OFFICE, {Role.STATISTICS})
    users.add(JILIN_STATS, "吉林市统计", "220200", Department.OFFICE, {Role.STATISTICS})
    users.add("cy-clerk", "昌邑物证管理员", "220202", Department.EVIDENCE_ROOM, {Role.CLERK})
    users.add("lt-clerk", "龙潭物证管理员", "220203", Department.EVIDENCE_ROOM, {Role.CLERK})
    users.add("cyq-clerk", "船营物证管理员", "220204", Department.EVIDENCE_ROOM, {Role.CLERK})
    ng = users.actor("ng-clerk")
    cases: dict[str, str] = {}

    # February: Nanguan's firearm and lot of 30 rounds handed over (in store at the end of March)
    clock.set(datetime(2026, 2, 20, 2, 0, tzinfo=UTC))
    before = _case(custody, "ng-clerk", "possession")
    g0 = custody.items.register_firearm(ng, before, _gun("手枪", "7.62mm"))
    a0 = custody.items.register_ammunition(ng, before, AmmunitionIntake("7.62mm", 30, "71"))
    custody.cases.close(ng, before)
    accept(custody, [g0.evidence_no, a0.evidence_no])

    # March
    clock.set(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    # Nanguan: two cases of no category (sealed with a gun and 50 rounds each); one set destroyed
    destroyed = sealed_items(custody)
    sealed_items(custody)
    city = users.actor("cc-custodian")
    application = custody.applications.apply(city, "220100", destroyed.numbers).id
    officer = users.actor(OFFICER)
    batch = custody.batches.create(officer, "smelting", "长春钢厂熔炉", "2026-04-15", [application])
    custody.batches.approve(officer, batch.id, users.actor(APPROVER))
    custody.batch_site.witness(officer, batch.id, users.actor("ng-auditor"))
    custody.batch_site.witness(officer, batch.id, users.actor("kc-clerk"))
    custody.batch_site.open(officer, batch.id, "cutting", "长春钢厂切割车间")
    custody.site_reads.scan(officer, batch.id, destroyed.gun.evidence_no)
    custody.site_reads.count(officer, batch.id, destroyed.ammo.evidence_no, 50)
    custody.site_reads.scan(officer, batch.id, destroyed.ammo.evidence_no)
    # Nanguan registers a pistol, transfers it to Changchun city, whose custodian accepts it
    moved_case = _case(custody, "ng-clerk", "possession")
    moved = custody.items.register_firearm(ng, moved_case, _gun("手枪", "7.62mm"))
    custody.items.transfer(ng, moved.evidence_no, moved.version, "220100", "市局集中保管")
    custody.cases.close(ng, moved_case)
    cc = users.actor("cc-clerk")
    offered = custody.handovers.offer(cc, moved_case, "cc-custodian", [moved.evidence_no], "220102")
    custody.handovers.accept(city, offered.id)
    # Kuancheng: a theft (solved on the 20th) and a gun crime
    kc = users.actor("kc-clerk")
    clock.set(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    cases["theft"] = _case(custody, "kc-clerk", "theft", "2026-03-05")
    cases["gun_crime"] = _case(custody, "kc-clerk", "gun_crime")
    custody.items.register_firearm(kc, cases["theft"], _gun("猎枪", "12号"))
    custody.items.register_firearm(kc, cases["gun_crime"], _gun("手枪", "9mm"))
    clock.set(datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    custody.cases.solved(kc, cases["theft"], "2026-03-20")
    # Jilin city: a home-made gun and 100 rounds of 9mm
    jl = users.actor("jl-clerk")
    made = _case(custody, "jl-clerk", "manufacture", "2026-03-10")
    custody.items.register_firearm(jl, made, _gun("自制枪", "7.62mm"))
    custody.items.register_ammunition(jl, made, AmmunitionIntake("9mm", 100, "J"))
    # Changyi: a smuggling case, and a case filed in February opened now (not filed in March)
    cy = users.actor("cy-clerk")
    smuggled = _case(custody, "cy-clerk", "smuggling", "2026-03-12")
    _case(custody, "cy-clerk", "possession", "2026-02-27")
    custody.items.register_firearm(cy, smuggled, _gun("手枪", "7.62mm"))
    custody.items.register_firearm(cy, smuggled, _gun("手枪", "7.62mm"))
    custody.items.register_ammunition(cy, smuggled, AmmunitionIntake("7.62mm", 20, "S"))
    # Chuanying: twelve cases filed on the 20th, thefts and possessions in turn, two 9mm pistols each
    cyq = users.actor("cyq-clerk")
    for index in range(12):
        number = _case(custody, "cyq-clerk", "theft" if index % 2 == 0 else "possession")
        for _ in range(2):
            custody.items.register_firearm(cyq, number, _gun("手枪", "9mm"))
    # Longtan: a case opened as "other", corrected to possession, solved on the 25th
    lt = users.actor("lt-clerk")
    clock.set(datetime(2026, 3, 21, 2, 0, tzinfo=UTC))
    air = _case(custody, "lt-clerk", "other", "2026-03-21")
    custody.items.register_firearm(lt, air, _gun("气枪", "4.5mm"))
    clock.set(datetime(2026, 3, 25, 2, 0, tzinfo=UTC))
    custody.cases.correct(lt, air, {"category": "possession"}, "案件性质认定有误")
    custody.cases.solved(lt, air, "2026-03-25")
    return custody.ledger.head().seq, cases


def april(custody: Custody, clock: FixedClock, cases: dict[str, str]) -> None:
    """Events after March that change March's figures when read at the head: the gun crime found
    solved on 28 March, and a firearm registered in April."""
    clock.set(datetime(2026, 4, 2, 2, 0, tzinfo=UTC))
    kc = custody.users.actor("kc-clerk")
    custody.cases.solved(kc, cases["gun_crime"], "2026-03-28")
    custody.items.register_firearm(kc, cases["gun_crime"], _gun("手枪", "9mm"))


# Own figures of March as of the end of March, worked out by hand from build().
MARCH: dict[str, dict[tuple[str, str], int]] = {
    "220102": {
        ("cases_filed", ""): 2,  # the two sealed_items cases
        ("cases_filed", "possession"): 1,  # the transferred pistol's
        ("firearms_seized_by_type", "手枪"): 3,
        ("firearms_seized_by_calibre", "7.62mm"): 3,
        ("rounds_seized_by_calibre", "7.62mm"): 100,
        ("firearms_handed_over", ""): 2,
        ("rounds_handed_over", ""): 100,
        ("firearms_sealed", ""): 2,
        ("rounds_sealed", ""): 100,
        ("firearms_destroyed", ""): 1,
        ("rounds_destroyed", ""): 50,
        ("firearms_in_store", ""): 2,  # February's and the second sealed set's
        ("rounds_in_store", ""): 80,  # 30 + 50
    },
    "220100": {("firearms_handed_over", ""): 1, ("firearms_in_store", ""): 1},  # the transferred pistol
    "220103": {
        ("cases_filed", "theft"): 1,
        ("cases_filed", "gun_crime"): 1,
        ("cases_solved", "theft"): 1,
        ("firearms_seized_by_type", "猎枪"): 1,
        ("firearms_seized_by_type", "手枪"): 1,
        ("firearms_seized_by_calibre", "12号"): 1,
        ("firearms_seized_by_calibre", "9mm"): 1,
    },
    "220200": {
        ("cases_filed", "manufacture"): 1,
        ("firearms_seized_by_type", "自制枪"): 1,
        ("firearms_seized_by_calibre", "7.62mm"): 1,
        ("rounds_seized_by_calibre", "9mm"): 100,
    },
    "220202": {
        ("cases_filed", "smuggling"): 1,
        ("firearms_seized_by_type", "手枪"): 2,
        ("firearms_seized_by_calibre", "7.62mm"): 2,
        ("rounds_seized_by_calibre", "7.62mm"): 20,
    },
    "220204": {
        ("cases_filed", "theft"): 6,
        ("cases_filed", "possession"): 6,
        ("firearms_seized_by_type", "手枪"): 24,
        ("firearms_seized_by_calibre", "9mm"): 24,
    },
    "220203": {
        ("cases_filed", "possession"): 1,
        ("cases_solved", "possession"): 1,
        ("firearms_seized_by_type", "气枪"): 1,
        ("firearms_seized_by_calibre", "4.5mm"): 1,
    },
}
CHANGCHUN_TOTAL = {
    ("cases_filed", ""): 2,
    ("cases_filed", "possession"): 1,
    ("cases_filed", "theft"): 1,
    ("cases_filed", "gun_crime"): 1,
    ("cases_solved", "theft"): 1,
    ("firearms_seized_by_type", "手枪"): 4,
    ("firearms_seized_by_type", "猎枪"): 1,
    ("firearms_seized_by_calibre", "7.62mm"): 3,
    ("firearms_seized_by_calibre", "12号"): 1,
    ("firearms_seized_by_calibre", "9mm"): 1,
    ("rounds_seized_by_calibre", "7.62mm"): 100,
    ("firearms_handed_over", ""): 3,
    ("rounds_handed_over", ""): 100,
    ("firearms_sealed", ""): 2,
    ("rounds_sealed", ""): 100,
    ("firearms_destroyed", ""): 1,
    ("rounds_destroyed", ""): 50,
    ("firearms_in_store", ""): 3,
    ("rounds_in_store", ""): 80,
}
JILIN_TOTAL = {
    ("cases_filed", "manufacture"): 1,
    ("cases_filed", "smuggling"): 1,
    ("cases_filed", "possession"): 1 + 6,
    ("cases_filed", "theft"): 6,
    ("cases_solved", "possession"): 1,
    ("firearms_seized_by_type", "自制枪"): 1,
    ("firearms_seized_by_type", "手枪"): 2 + 24,
    ("firearms_seized_by_type", "气枪"): 1,
    ("firearms_seized_by_calibre", "7.62mm"): 3,
    ("firearms_seized_by_calibre", "4.5mm"): 1,
    ("firearms_seized_by_calibre", "9mm"): 24,
    ("rounds_seized_by_calibre", "9mm"): 100,
    ("rounds_seized_by_calibre", "7.62mm"): 20,
}
