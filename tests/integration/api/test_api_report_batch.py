"""The destruction batch report over HTTP on SQLite and PostgreSQL: the PDF (or its rows as CSV) with the
ledger point in ``X-Ledger-Point``, as of the batch's closing point or ``as_of``; a batch of none of the
caller's units is answered exactly as a missing one (404), a role that reads no reports is refused
(403), and no refusal writes to the ledger."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from api_harness import Harness, problem
from batch_report_world import FAR_CUSTODIAN, STATISTICS, add_readers, closed_batch
from destruction_world import OFFICER

import reports.batch
from reports.batch import batch_csv
from reports.errors import UnbalancedBatch


def test_the_batch_report_is_downloaded_within_the_callers_units(api: Harness):
    add_readers(api.custody)
    batch = closed_batch(api.custody, api.clock)
    api.give_passwords(OFFICER, STATISTICS, FAR_CUSTODIAN)
    path = f"/api/v1/reports/batches/{batch.batch_id}"
    report = api.custody.batch_reports.report(None, batch.batch_id)

    pdf = api.client.get(path, headers=api.login("ng-custodian"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-ledger-point"] == report.point.text
    assert f'filename="batch-{batch.batch_id}-report.pdf"' in pdf.headers["content-disposition"]
    with pdfplumber.open(io.BytesIO(pdf.content)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert "枪支弹药销毁报告" in text and batch.first.gun.evidence_no in text

    rows = api.client.get(f"{path}?format=csv", headers=api.login(STATISTICS))
    assert rows.status_code == 200, rows.text
    assert rows.headers["content-type"].startswith("text/csv")
    assert rows.content == batch_csv(report)

    earlier = api.client.get(f"{path}?format=csv&as_of={batch.middle}", headers=api.login(OFFICER))
    assert earlier.status_code == 200, earlier.text
    assert earlier.headers["x-ledger-point"].startswith(f"{batch.middle}:")
    assert earlier.content == batch_csv(api.custody.batch_reports.report(None, batch.batch_id, batch.middle))

    head = api.head_seq()
    far = problem(api.client.get(path, headers=api.login(FAR_CUSTODIAN)), 404, "not-found")
    missing = problem(
        api.client.get("/api/v1/reports/batches/999", headers=api.login(OFFICER)), 404, "not-found"
    )
    assert far["key"] == missing["key"] == "batch.unknown"
    problem(api.client.get(path, headers=api.login("ng-clerk")), 403, "not-permitted")
    problem(api.client.get(f"{path}?as_of=100000", headers=api.login(OFFICER)), 422, "invalid-input")
    problem(api.client.get(f"{path}?format=docx", headers=api.login(OFFICER)), 422, "invalid-input")
    assert api.head_seq() == head, "a refusal wrote to the ledger"


def test_a_report_the_renderer_refuses_is_a_conflict_not_a_document(
    api: Harness, monkeypatch: pytest.MonkeyPatch
):
    add_readers(api.custody)
    batch = closed_batch(api.custody, api.clock)
    api.give_passwords(OFFICER)

    def unbalanced(_report: object) -> None:
        raise UnbalancedBatch("totals: destroyed 2, but the rows add up to 1")

    monkeypatch.setattr(reports.batch, "check_totals", unbalanced)
    head = api.head_seq()
    answer = api.client.get(f"/api/v1/reports/batches/{batch.batch_id}", headers=api.login(OFFICER))
    body = problem(answer, 409, "transition-refused")
    assert body["key"] == "report.batch_refused" and "rows add up to 1" in body["detail"]
    assert api.head_seq() == head
