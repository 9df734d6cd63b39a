from __future__ import annotations

from collections.abc import Callable

import pytest

from custody.intake import AmmunitionIntake, FirearmIntake, SourceAndFlow
from custody.records import Case, Item
from custody.services import Custody


def _firearm(serial: str = "5401123", fires: bool = True) -> FirearmIntake:
    return FirearmIntake(
        "手枪", "54式", serial, "7.62mm", fires, SourceAndFlow(route="境外走私", seller="王某")
    )


@pytest.fixture
def firearm() -> Callable[..., FirearmIntake]:
    return _firearm


@pytest.fixture
def case(custody: Custody) -> Case:
    return custody.cases.open(custody.users.actor("ng-clerk"), "长南公刑字〔2026〕001号", "非法持有枪支案")


@pytest.fixture
def gun(custody: Custody, case: Case) -> Item:
    return custody.items.register_firearm(custody.users.actor("ng-clerk"), case.case_no, _firearm())


@pytest.fixture
def ammo(custody: Custody, case: Case) -> Item:
    return custody.items.register_ammunition(
        custody.users.actor("ng-clerk"), case.case_no, AmmunitionIntake("7.62mm", 50, "71-83")
    )
