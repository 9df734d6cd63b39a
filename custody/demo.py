"""Demo data: the province's units, a few users per role, three cases in two cities and about twenty
firearms and ammunition lots with transfers, check-outs and returns, all recorded through the services.

The demo's accounts get a public password, so the demo keeps away from real data both ways: it loads
only into a database that holds nothing but demo data (no user it did not create, no unit beyond the
shipped list), and every account it creates is marked (``demo_accounts``), so that a service started
without the demo refuses to start while a marked account is active (:func:`active_demo_accounts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.engine import Connection

from custody.actors import Actor
from custody.db.tables import DemoAccountRow, UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import DemoAccountsActive, Message, NotADemoDatabase, UnknownUser
from custody.intake import AmmunitionIntake, FirearmIntake, SourceAndFlow
from custody.model import Department, EventType, Role
from custody.services import Custody
from custody.units import read_units

FOREIGN_USERS = Message(
    "demo.foreign_users",
    "the demo loads only into its own database: this one has users it did not create ({usernames}); "
    "leave CUSTODY_DATABASE_URL unset to use the demo's own file",
)
FOREIGN_UNITS = Message(
    "demo.foreign_units",
    "the demo loads only into its own database: this one has units it did not create ({unit_codes})",
)
DEMO_ACCOUNTS_ACTIVE = Message(
    "demo.accounts_active",
    "demo accounts are active in this database ({usernames}): their password is public. "
    "Start the service with --demo (the demo's own database), or deactivate them first",
)

USERS: list[tuple[str, str, str, Department, set[Role]]] = [
    ("admin", "系统管理员", "220000", Department.OFFICE, {Role.ADMIN}),
    (
        "prov-destruction",
        "省厅销毁专员",
        "220000",
        Department.PROVINCIAL_PUBLIC_ORDER,
        {Role.DESTRUCTION_OFFICER},
    ),
    ("prov-stats", "省厅统计员", "220000", Department.OFFICE, {Role.STATISTICS}),
    ("cc-clerk", "长春物证管理员王敏", "220100", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("cc-investigator", "长春刑侦李强", "220100", Department.CRIMINAL_INVESTIGATION, {Role.INVESTIGATOR}),
    ("cc-custodian", "长春治安赵刚", "220100", Department.PUBLIC_ORDER, {Role.CUSTODIAN}),
    ("cc-auditor", "长春督察孙丽", "220100", Department.INSPECTION, {Role.AUDITOR}),
    ("ng-clerk", "南关物证管理员周杰", "220102", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("ng-custodian", "南关治安吴涛", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN}),
    ("jl-clerk", "吉林市物证管理员郑爽", "220200", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("jl-investigator", "吉林市刑侦冯伟", "220200", Department.CRIMINAL_INVESTIGATION, {Role.INVESTIGATOR}),
    ("jl-custodian", "吉林市治安陈晨", "220200", Department.PUBLIC_ORDER, {Role.CUSTODIAN}),
]

CASES = [
    ("cc-clerk", "长公刑字〔2026〕101号", "220100", "非法持有枪支案"),
    ("ng-clerk", "长南公刑字〔2026〕017号", "220102", "私制枪支弹药案"),
    ("jl-clerk", "吉市公刑字〔2026〕055号", "220200", "走私枪支弹药案"),
]

FIREARMS = [
    ("手枪", "54式", "5401123", "7.62mm", True, SourceAndFlow(maker="国营工厂", route="非法转让")),
    ("手枪", "64式", "6409871", "7.65mm", True, SourceAndFlow(seller="王某", notes="从网上购买")),
    ("步枪", "56式半自动", "5612002", "7.62mm", True, SourceAndFlow(route="境外走私")),
    ("猎枪", "双管猎枪", "LQ-77821", "12号", False, SourceAndFlow(workshop="私人作坊")),
    ("自制枪", "钢珠枪", "无编号-1", "4.5mm", False, SourceAndFlow(workshop="地下作坊", seller="张某")),
    ("手枪", "77式", "7700345", "7.62mm", True, SourceAndFlow(maker="国营工厂")),
    ("气枪", "秃鹰", "TY-2231", "5.5mm", False, SourceAndFlow(route="网购邮寄")),
]

AMMUNITION = [
    ("7.62mm", 50, "71-83"),
    ("7.65mm", 24, "11-91"),
    ("12号", 10, "猎弹"),
    ("5.5mm", 200, "铅弹"),
]


_users = cast(Table, UserRow.__table__)
_units = cast(Table, UnitRow.__table__)
_demo_accounts = cast(Table, DemoAccountRow.__table__)


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool
    items: list[str]


def check_demo_database(store: Store) -> None:
    """Refuse a database holding anything but demo data; an empty one (no schema yet) is fine.

    Called before the schema is brought up to date, so a real database is not even migrated."""
    with store.reading() as conn:
        tables = set(inspect(conn).get_table_names())
        if "users" not in tables:
            return
        others = select(_users.c.username).order_by(_users.c.id)
        if "demo_accounts" in tables:
            others = others.where(_users.c.id.not_in(select(_demo_accounts.c.user_id)))
        strangers = list(conn.execute(others.limit(6)).scalars())
        shipped = {row["code"] for row in read_units()}
        units = set(conn.execute(select(_units.c.code)).scalars())
    if strangers:
        names = ", ".join(strangers[:5]) + (", …" if len(strangers) > 5 else "")
        raise NotADemoDatabase(FOREIGN_USERS, usernames=names)
    if units - shipped:
        raise NotADemoDatabase(FOREIGN_UNITS, unit_codes=", ".join(sorted(units - shipped)[:5]))


def active_demo_accounts(store: Store) -> list[str]:
    """Usernames of the active accounts the demo created (their password is public)."""
    query = (
        select(_users.c.username)
        .join(_demo_accounts, _demo_accounts.c.user_id == _users.c.id)
        .where(_users.c.active.is_(True))
        .order_by(_users.c.id)
    )
    with store.reading() as conn:
        if "demo_accounts" not in set(inspect(conn).get_table_names()):
            return []
        return list(conn.execute(query).scalars())


def refuse_demo_accounts(store: Store) -> None:
    """Raise :class:`DemoAccountsActive`, naming them, while any demo account is active."""
    names = active_demo_accounts(store)
    if names:
        raise DemoAccountsActive(DEMO_ACCOUNTS_ACTIVE, usernames=", ".join(names))


def _mark(conn: Connection, added: Actor) -> None:
    conn.execute(insert(_demo_accounts).values(user_id=added.id))


def load_demo(custody: Custody) -> DemoSummary:
    """Load the demo once; a second run changes nothing and says so. A database holding anything the
    demo did not create is refused before anything is written."""
    check_demo_database(custody.store)
    try:
        custody.users.actor("cc-clerk")
    except UnknownUser:
        pass
    else:
        return DemoSummary(False, [])
    custody.units.import_units(None, read_units())
    actors: dict[str, Actor] = {}
    for username, name, unit, department, roles in USERS:
        actors[username] = custody.users.add(username, name, unit, department, roles, _mark)
    numbers: list[str] = []
    for n, (clerk, case_no, unit, title) in enumerate(CASES):
        custody.cases.open(actors[clerk], case_no, title, unit)
        for i, (kind, model, serial, calibre, fires, source) in enumerate(FIREARMS):
            if i % 2 == n % 2 or i == n:
                item = custody.items.register_firearm(
                    actors[clerk],
                    case_no,
                    FirearmIntake(kind, model, f"{serial}-{n}", calibre, fires, source),
                )
                numbers.append(item.evidence_no)
        for calibre, rounds, headstamp in AMMUNITION[n:]:
            item = custody.items.register_ammunition(
                actors[clerk], case_no, AmmunitionIntake(calibre, rounds, headstamp)
            )
            numbers.append(item.evidence_no)
    _movements(custody, actors)
    return DemoSummary(True, numbers)


def _movements(custody: Custody, people: dict[str, Actor]) -> None:
    cc = custody.cases.get(None, CASES[0][1]).items
    ng = custody.cases.get(None, CASES[1][1]).items
    jl = custody.cases.get(None, CASES[2][1]).items
    # Changchun: a firearm to the lab and back, another to court (still out).
    first = custody.items.check_out(
        people["cc-clerk"], cc[0].evidence_no, 1, "lab", "长春刑侦技术室", "2099-12-31"
    )
    custody.items.return_item(people["cc-clerk"], first.evidence_no, first.version, "检验完毕")
    custody.items.check_out(
        people["cc-clerk"], cc[1].evidence_no, 1, "court", "长春市中级人民法院", "2099-06-30"
    )
    # Nanguan: one item transferred up to the city bureau; the case is closed and an item handed over
    # (offered by the clerk, accepted by the custodian it names).
    custody.items.transfer(people["ng-clerk"], ng[0].evidence_no, 1, "220100", "移送市局")
    custody.cases.close(people["ng-clerk"], CASES[1][1])
    offered = custody.handovers.offer(people["ng-clerk"], CASES[1][1], "ng-custodian", [ng[1].evidence_no])
    custody.handovers.accept(people["ng-custodian"], offered.id)
    # Jilin City: a lab check-out and return, a recount of an ammunition lot.
    out = custody.items.check_out(
        people["jl-clerk"], jl[0].evidence_no, 1, "lab", "吉林市刑侦技术室", "2099-01-15"
    )
    custody.items.return_item(people["jl-clerk"], out.evidence_no, out.version)
    ammo = next(i for i in jl if i.kind == "A")
    custody.items.act(
        people["jl-clerk"],
        ammo.evidence_no,
        EventType.COUNTED,
        ammo.version,
        {"quantity": (ammo.quantity_rounds or 0) - 2, "reason": "清点发现少2发, 已查明为登记笔误"},
    )
