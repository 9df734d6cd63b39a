"""Two service processes on one PostgreSQL database, as a province runs them, each a real `custody serve`
on its own port: a unit added through one is used through the other at once; failed logins from one
address count across both (the eleventh answers 429 wherever it is sent); a desk's live feed on one shows
the scans posted to either."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from service_processes import Process

from custody.intake import FirearmIntake
from custody.model import Department
from custody.services import Custody

pytestmark = pytest.mark.postgres

PASSWORD = "two processes one database"
CASE_NO = "长南公刑字〔2026〕P2号"


@pytest.fixture
def province(postgres: Any, postgres_template: str) -> Iterator[tuple[Process, Process, str, list[str]]]:
    name = postgres.create(template=postgres_template)
    url = postgres.database_url(name)
    custody = Custody.open(url)
    try:
        admin = custody.users.actor("admin")
        for username in ("admin", "ng-clerk", "cc-clerk"):
            custody.users.set_password(admin, username, PASSWORD)
        clerk = custody.users.actor("ng-clerk")
        custody.cases.open(clerk, CASE_NO, "非法持有枪支案")
        numbers = [
            custody.items.register_firearm(
                clerk, CASE_NO, FirearmIntake("手枪", "54式", f"P2-{n}", "7.62mm", True)
            ).evidence_no
            for n in range(2)
        ]
        _station, key = custody.stations.add(admin, "ng-p2", "220102", Department.EVIDENCE_ROOM, ("s-1",))
    finally:
        custody.close()
    first, second = Process(url, PASSWORD), Process(url, PASSWORD)
    try:
        first.wait()
        second.wait()
        yield first, second, key, numbers
    finally:
        first.stop()
        second.stop()
        postgres.drop(name)


def test_two_processes_answer_as_one_service(province: tuple[Process, Process, str, list[str]]):
    first, second, key, numbers = province

    # a unit added through the first process is used through the second at once
    unit = {"code": "220198", "parent_code": "220100", "name_zh": "长春试验区分局", "name_en": "Trial Area"}
    added = httpx.post(
        first.base + "/api/v1/units",
        headers=first.bearer("admin"),
        json={**unit, "level": "county"},
        timeout=30,
    )
    assert added.status_code == 201, added.text
    user = {
        "username": "sy-clerk",
        "full_name": "试验区物证管理员",
        "unit_code": "220198",
        "department": "evidence_room",
        "roles": ["clerk"],
        "password": PASSWORD,
    }
    made = httpx.post(second.base + "/api/v1/users", headers=second.bearer("admin"), json=user, timeout=30)
    assert made.status_code == 201, made.text
    units = httpx.get(second.base + "/api/v1/units", headers=second.bearer("cc-clerk"), timeout=30).json()
    assert "220198" in json.dumps(units)

    # a desk listening on the second process sees the scans posted to both
    events: list[dict[str, Any]] = []
    listening = threading.Event()
    desk = second.bearer("ng-clerk")

    def listen() -> None:
        url = second.base + "/api/v1/stations/ng-p2/sightings?events=2&seconds=60"
        with httpx.stream("GET", url, headers=desk, timeout=90) as stream:
            for line in stream.iter_lines():
                if line.startswith(":"):
                    listening.set()
                elif line.startswith("data:"):
                    events.append(json.loads(line[5:]))

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert listening.wait(30), "the feed did not start"
    station = {"X-Station-Key": key, "X-Station-Device": "s-1"}
    answers = []
    for process, (n, number) in zip((first, second), enumerate(numbers), strict=True):
        body = {"device": "s-1", "idempotency_key": f"p2-{n}", "code": number}
        posted = httpx.post(process.base + "/api/v1/scans", headers=station, json=body, timeout=30)
        assert posted.status_code == 201, posted.text
        answers.append(posted.json())
    reader.join(60)
    assert [(e["seq"], e["evidence_no"]) for e in events] == [(a["seq"], a["evidence_no"]) for a in answers]

    # ten failed logins from one address, spread over both processes: the eleventh is refused by either
    for attempt in range(10):
        process = (first, second)[attempt % 2]
        assert process.token("cc-clerk", "not the password").status_code == 401
    for process in (first, second):
        refused = process.token("admin")
        assert refused.status_code == 429, refused.text
