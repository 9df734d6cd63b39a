"""Fixtures of the API tests, on both back ends.

``api``: a harness on a fresh database per test (from the shared ``custody`` fixture), for tests that
change identities, sessions or the clock. ``module_api``: one database per module and back end, for
tests that only need objects of their own (unique case numbers, usernames, station names); it is much
cheaper on PostgreSQL, where each new database costs about a second. Both carry the usual cast, every
user with the test password.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import START, Harness, module_database

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
BACK_ENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture
def api(custody: Custody, clock: FixedClock) -> Iterator[Harness]:
    """The app over a fresh database with the test cast, every user with the test password."""
    harness = Harness(custody, clock)
    harness.give_passwords(*CAST_USERS)
    with harness.running():
        yield harness


@pytest.fixture(scope="module", params=BACK_ENDS)
def module_api(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """One app and database for the whole module, on each back end; the clock is reset before each
    test (see ``_clock_at_start``)."""
    url, drop = module_database(request, request.param)
    clock = FixedClock(START)
    custody = Custody.open(url, clock)
    harness = Harness(custody, clock, own_app=True)
    harness.give_passwords(*CAST_USERS)
    with harness.running():
        yield harness
    custody.close()
    drop()
