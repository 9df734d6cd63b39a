"""schemathesis against the app's own OpenAPI document: generated requests, valid and invalid, to
every operation; no answer is a server error, and every answer conforms to the document (status,
content type, headers, body schema), invalid input is refused.

The app runs on an SQLite database with a case and items, as a user holding every role at the
province, so requests pass admission and reach the core. A generated logout or password change gets
a session of its own, so that it does not end the one the other requests share.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_harness import PASSWORD, Harness, bearer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from custody.clock import FixedClock
from custody.intake import AmmunitionIntake, FirearmIntake, SourceAndFlow
from custody.model import Department, Role
from custody.services import Custody

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
SESSION_ENDING = ("/api/v1/auth/logout", "/api/v1/auth/password")
pytestmark = pytest.mark.xdist_group("api-schemathesis")


class Service:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        custody = harness.custody
        admin = custody.users.actor("admin")
        # every role: the destruction officer's is held only in the province's public-order department
        everything, department = set(Role), Department.PROVINCIAL_PUBLIC_ORDER
        harness.users.create(admin, "root", "全部角色", "220000", department, everything, PASSWORD)
        clerk = custody.users.actor("root")
        custody.cases.open(clerk, "长南公刑字〔2026〕001号", unit_code="220102")
        for serial in ("5401123", "6409871"):
            intake = FirearmIntake("手枪", "54式", serial, "7.62mm", True, SourceAndFlow(route="境外走私"))
            custody.items.register_firearm(clerk, "长南公刑字〔2026〕001号", intake)
        custody.items.register_ammunition(clerk, "长南公刑字〔2026〕001号", AmmunitionIntake("7.62mm", 50))
        harness.station("desk-1", "220102", "scanner-1")

        self.shared = self.session()

    def session(self) -> dict[str, str]:
        """A new session of the all-roles user, opened without HTTP (generated logins may be throttled)."""
        return bearer(self.harness.sessions.login("root", PASSWORD, "fixture").token)

    def headers_for(self, path: str) -> dict[str, str]:
        return self.session() if path.startswith(SESSION_ENDING) else self.shared


APP = create_app()  # the document is read at collection; the fixture gives the app its services
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=20, deterministic=True, with_security_parameters=False)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Service]:
    path = tmp_path_factory.mktemp("schemathesis") / "custody.sqlite"
    shutil.copyfile(sqlite_template, path)
    clock = FixedClock(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    custody = Custody.open(f"sqlite:///{path}", clock)
    harness = Harness(custody, clock, own_app=True)
    APP.state.services = harness.services
    with harness.running():
        yield Service(harness)
    APP.state.services = None
    custody.close()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_answer_conforms_to_the_openapi_document(case: Any, service: Service) -> None:
    case.call_and_validate(headers=service.headers_for(case.operation.path), checks=CHECKS)
