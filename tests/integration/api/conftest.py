"""Fixtures of the API tests: a harness on a fresh database per test (both back ends, from the
shared ``custody`` fixture), and the units' usual cast with passwords."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Harness

from custody.clock import FixedClock
from custody.services import Custody

CAST_USERS = (
    "admin",
    "ng-clerk",
    "ng-clerk2",
    "ng-custodian",
    "ng-investigator",
    "cc-clerk",
    "cc-custodian",
    "kc-clerk",
    "jl-clerk",
    "prov-clerk",
    "ng-auditor",
)


@pytest.fixture
def api(custody: Custody, clock: FixedClock) -> Iterator[Harness]:
    """The app over a fresh database with the test cast, every user with the test password."""
    harness = Harness(custody, clock)
    harness.give_passwords(*CAST_USERS)
    with harness.running():
        yield harness
