"""`GET /api/v1/reports/custody/{evidence_no}` on SQLite and PostgreSQL: the chain of custody of one item
as a PDF or its events as CSV, the ledger point in ``X-Ledger-Point``; each encoding read back hashes to
the ledger's hash; ``as_of`` gives the same rows after more events; out of scope answers 404 exactly as
missing, other roles 403, a bad ``as_of`` 422; nothing is written by any of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Harness, problem
from custody_chain_world import (
    ACTS,
    csv_rows,
    ledger_hashes,
    pdf_encodings,
    pdf_text,
    sha256,
    sight,
    walked_item,
)

from custody.numbers import EvidenceNumber, ItemKind

BASE = "/api/v1/reports/custody"


@pytest.fixture
def world(api: Harness) -> Iterator[tuple[Harness, str]]:
    number = walked_item(api.custody)
    api.give_passwords("ng-witness")
    yield api, number


def test_the_pdf_and_csv_read_back_hash_to_the_ledger(world):
    api, number = world
    head = api.custody.ledger.head()
    pdf = api.client.get(f"{BASE}/{number}", headers=api.login("ng-investigator"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-ledger-point"] == f"{head.seq}:{head.hash}"
    assert f'filename="custody-{number}-{head.seq}.pdf"' in pdf.headers["content-disposition"]
    held = ledger_hashes(api.custody)
    printed = pdf_encodings(pdf.content)
    assert len(printed) == len(ACTS)
    for seq, (digest, encoding) in printed.items():
        assert sha256(encoding) == digest == held[seq]
    assert "南关区物证室 1号台" in pdf_text(pdf.content)
    rows = api.client.get(f"{BASE}/{number}", params={"format": "csv"}, headers=api.login("ng-auditor"))
    assert rows.status_code == 200 and rows.headers["content-type"].startswith("text/csv")
    for row in csv_rows(rows.content):
        assert sha256(row["encoding"]) == row["hash"] == held[int(row["seq"])]
    assert api.custody.ledger.head() == head


def test_as_of_gives_the_same_rows_after_more_events(world):
    api, number = world
    custodian = api.login("ng-custodian")
    point = api.custody.items.item(None, number).history[3].seq  # sealed
    params = {"format": "csv", "as_of": point}
    first = api.client.get(f"{BASE}/{number}", params=params, headers=custodian)
    sight(api.custody, number, "k-7")
    again = api.client.get(f"{BASE}/{number}", params=params, headers=custodian)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and len(csv_rows(first.content)) == 4
    assert first.headers["x-ledger-point"] == again.headers["x-ledger-point"]


def test_out_of_scope_is_missing_other_roles_and_bad_points_are_refused(world):
    api, number = world
    head = api.head_seq()
    outsider = api.login("jl-clerk")
    hidden = problem(api.client.get(f"{BASE}/{number}", headers=outsider), 404, "unknown-item")
    missing_no = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 4242))
    missing = problem(api.client.get(f"{BASE}/{missing_no}", headers=outsider), 404, "unknown-item")
    assert hidden["key"] == missing["key"] and hidden["detail"].replace(number, "N") == missing[
        "detail"
    ].replace(missing_no, "N")
    problem(api.client.get(f"{BASE}/{number}", headers=api.login("admin")), 403, "not-permitted")
    clerk = api.login("ng-clerk")
    for as_of in (0, head + 1):
        answer = api.client.get(f"{BASE}/{number}", params={"as_of": as_of}, headers=clerk)
        assert answer.status_code == 422, answer.text
    assert api.head_seq() == head
