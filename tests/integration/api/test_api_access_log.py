"""The access log: every API request recorded before it is answered, append-only, read within scope."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import Harness, problem, station_headers
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from custody.numbers import EvidenceNumber, ItemKind

CASE = "长南公刑字〔2026〕009号"


def entries(api: Harness, viewer: str, query: str = "") -> list[dict[str, Any]]:
    answer = api.client.get(f"/api/v1/access-log?limit=200{query}", headers=api.login(viewer))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["entries"])


def test_reads_and_changes_are_recorded_with_who_what_and_the_outcome(api):
    clerk = api.login("ng-clerk")
    api.client.post("/api/v1/cases", headers=clerk, json={"case_no": CASE})
    api.client.get("/api/v1/cases?q=009", headers=clerk)
    api.client.get(f"/api/v1/items/{EvidenceNumber(ItemKind.FIREARM, '220102', 2099, 1)}", headers=clerk)
    logged = entries(api, "ng-auditor", "&username=ng-clerk")
    assert [(e["method"], e["route"], e["status"]) for e in logged] == [
        ("GET", "/api/v1/items/{evidence_no}", 404),
        ("GET", "/api/v1/cases", 200),
        ("POST", "/api/v1/cases", 201),
        ("POST", "/api/v1/auth/login", 200),
    ]
    read = logged[1]
    assert (read["caller"], read["unit_code"], read["query"], read["path"]) == (
        "user",
        "220102",
        "q=009",
        "/api/v1/cases",
    )
    assert read["client"] == "testclient" and read["at"] == "2026-03-02T01:30:00Z"


def test_a_stations_requests_name_the_station_and_its_device(api):
    key = api.station("ng-desk-1", "220102", "scanner-1", "reader-1")
    api.client.get("/api/v1/items", headers=station_headers(key, "reader-1"))
    api.client.post("/api/v1/cases", headers=station_headers(key), json={"case_no": CASE})
    logged = entries(api, "ng-auditor", "&station=ng-desk-1")
    assert [(e["caller"], e["station"], e["device"], e["status"]) for e in logged] == [
        ("station", "ng-desk-1", "scanner-1", 403),
        ("station", "ng-desk-1", "reader-1", 200),
    ]


def test_failed_logins_are_recorded_for_the_accounts_unit_and_unknown_names_are_not_kept(api):
    api.client.post("/api/v1/auth/login", json={"username": "ng-clerk", "password": "not the password"})
    api.client.post("/api/v1/auth/login", json={"username": "my secret pass", "password": "x"})
    county = [e for e in entries(api, "ng-auditor") if e["status"] == 401]
    assert [(e["caller"], e["username"], e["unit_code"]) for e in county] == [
        ("anonymous", "ng-clerk", "220102")
    ]
    api.add_user("prov-auditor", "220000", *_auditor())
    province = [e for e in entries(api, "prov-auditor") if e["status"] == 401]
    assert [(e["username"], e["unit_code"]) for e in province] == [(None, None), ("ng-clerk", "220102")]
    with api.custody.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM access_log")))
    assert "my secret pass" not in dump


def _auditor() -> tuple[Any, ...]:
    from custody.model import Department, Role

    return (Department.INSPECTION, Role.AUDITOR)


def test_an_auditor_sees_the_entries_of_their_unit_and_below_only(api):
    api.client.get("/api/v1/units", headers=api.login("jl-clerk"))
    api.client.get("/api/v1/units", headers=api.login("cc-clerk"))
    seen = {e["username"] for e in entries(api, "ng-auditor")}
    assert "jl-clerk" not in seen and "cc-clerk" not in seen
    assert entries(api, "ng-auditor", "&unit_code=220200") == []


def test_documentation_and_health_checks_are_not_logged(api):
    api.client.get("/health")
    api.client.get("/openapi.json")
    api.client.get("/problems/conflict")
    with api.custody.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM access_log")).scalar_one() == 0


def test_no_answer_goes_out_when_its_entry_cannot_be_written(api, monkeypatch):
    clerk = api.login("ng-clerk")

    def disk_full(_access: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(api.services.access_log, "record", disk_full)
    with _client_keeping_errors(api) as client:
        answer = client.get("/api/v1/units/220102", headers=clerk)
    problem(answer, 500, "internal-error")
    assert "220102" not in answer.json()["detail"]


def test_an_act_recorded_whose_entry_cannot_be_written_is_not_answered_as_one_to_retry(api, monkeypatch):
    clerk = api.login("ng-clerk")

    def disk_full(_access: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(api.services.access_log, "record", disk_full)
    with _client_keeping_errors(api) as client:
        answer = client.post("/api/v1/cases", headers=clerk, json={"case_no": "RECORDED-1"})
    refused = problem(answer, 500, "recorded-but-not-logged")
    assert "Retry-After" not in answer.headers and "do not send it again" in refused["detail"]
    monkeypatch.undo()
    assert api.client.get("/api/v1/cases/RECORDED-1", headers=clerk).status_code == 200


def _client_keeping_errors(api: Harness) -> Any:
    from api_harness import TestClient

    return TestClient(api.app, raise_server_exceptions=False)


@pytest.mark.parametrize("statement", ["UPDATE access_log SET status = 200", "DELETE FROM access_log"])
def test_the_access_log_refuses_updates_and_deletes(api, statement):
    api.client.get("/api/v1/units", headers=api.login("ng-clerk"))
    with pytest.raises(DatabaseError, match="append-only"), api.custody.engine.begin() as conn:
        conn.execute(text(statement))


def test_the_access_log_refuses_truncate_on_postgresql(api):
    api.client.get("/api/v1/units", headers=api.login("ng-clerk"))
    if api.custody.engine.dialect.name != "postgresql":
        assert api.custody.engine.dialect.name == "sqlite"  # SQLite has no TRUNCATE; DELETE is covered
        return
    with pytest.raises(DatabaseError, match="append-only"), api.custody.engine.begin() as conn:
        conn.execute(text("TRUNCATE access_log CASCADE"))
