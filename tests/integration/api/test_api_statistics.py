"""The case fields and the statistics over HTTP, on SQLite and PostgreSQL: a case opened with its
category and filed date, solved, corrected; the monthly report of the month built by hand as PDF and
CSV with the ledger point in ``X-Ledger-Point``; ``as_of`` gives the same bytes after more events; a
unit outside the caller's scope answers 404 like a missing one and writes nothing."""

from __future__ import annotations

import csv
import io

from api_harness import Harness, problem
from stats_world import CHANGCHUN_TOTAL, JILIN_STATS, STATS, april, build


def test_case_fields_over_http(api: Harness):
    client, clerk = api.client, api.login("ng-clerk")
    body = {"case_no": "H-1", "category": "theft", "filed_date": "2026-03-01"}
    opened = client.post("/api/v1/cases", headers=clerk, json=body)
    assert opened.status_code == 201, opened.text
    assert (opened.json()["category"], opened.json()["filed_date"]) == ("theft", "2026-03-01")
    head = api.head_seq()
    problem(
        client.post("/api/v1/cases", headers=clerk, json={"case_no": "H-2", "category": "x"}),
        422,
        "invalid-input",
    )
    problem(
        client.post("/api/v1/cases/H-1/solved", headers=clerk, json={"solved_date": "2026-02-01"}),
        409,
        "transition-refused",
    )
    assert api.head_seq() == head
    solved = client.post("/api/v1/cases/H-1/solved", headers=clerk, json={"solved_date": "2026-03-02"})
    assert solved.status_code == 200, solved.text
    assert solved.json()["solved_date"] == "2026-03-02"
    fixed = client.post(
        "/api/v1/cases/H-1/correction", headers=clerk, json={"category": "trade", "reason": "定性有误"}
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["category"], fixed.json()["solved_date"]) == ("trade", "2026-03-02")
    problem(
        client.post("/api/v1/cases/H-1/correction", headers=clerk, json={"reason": "无"}),
        422,
        "invalid-input",
    )


def test_the_monthly_report_over_http(api: Harness):
    end_of_march, cases = build(api.custody, api.clock)
    api.give_passwords(STATS, JILIN_STATS)
    client, reader = api.client, api.login(STATS)
    url = f"/api/v1/reports/monthly?month=2026-03&unit=220100&as_of={end_of_march}"
    pdf = client.get(url, headers=reader)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    point = pdf.headers["X-Ledger-Point"]
    assert point.startswith(f"{end_of_march}:")
    rows = client.get(url + "&format=csv", headers=reader)
    lines = list(csv.DictReader(io.StringIO(rows.content.decode("utf-8-sig"))))
    totals = {(r["measure"], r["key"]): int(r["total"]) for r in lines if r["unit_code"] == "220100"}
    assert {k: v for k, v in totals.items() if v} == CHANGCHUN_TOTAL

    april(api.custody, api.clock, cases)
    reader = api.login(STATS)  # a new day: the morning's session has expired
    again = client.get(url + "&format=csv", headers=reader)
    assert again.content == rows.content and again.headers["X-Ledger-Point"] == point
    quarter = client.get("/api/v1/reports/quarterly?quarter=2026-Q1&unit=220102", headers=reader)
    assert quarter.status_code == 200 and quarter.content.startswith(b"%PDF")

    head = api.head_seq()
    jilin = api.login(JILIN_STATS)
    outside = client.get("/api/v1/reports/monthly?month=2026-03&unit=220100", headers=jilin)
    missing = client.get("/api/v1/reports/monthly?month=2026-03&unit=229999", headers=jilin)
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"].replace("220100", "X") == missing.json()["detail"].replace("229999", "X")
    problem(client.get("/api/v1/reports/monthly?month=2026-13", headers=jilin), 422, "invalid-input")
    assert (
        client.get("/api/v1/reports/monthly?month=2026-03", headers=api.login("ng-clerk")).status_code == 403
    )
    assert api.head_seq() == head
