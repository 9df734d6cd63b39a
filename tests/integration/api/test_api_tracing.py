"""Tracing letters over HTTP and on the command line, on SQLite and PostgreSQL: issued about a firearm
(201, its reference and ledger event), downloaded as PDF and CSV with the ledger point in
X-Ledger-Point, printed again by `custody report tracing --letter`; out of scope answered as missing;
bad input refused, writing nothing."""

from __future__ import annotations

import io
import json

import pdfplumber
from api_harness import PASSWORD, Harness, problem
from click.testing import CliRunner

from custody.intake import FirearmIntake
from custody_cli.main import cli

ADDRESSEE = "吉林市公安局刑事侦查支队"


def test_a_letter_over_http_and_again_on_the_command_line(api: Harness, database_url: str, tmp_path):
    clerk = api.custody.users.actor("ng-clerk")
    case = api.custody.cases.open(clerk, "长南公刑字〔2026〕T1号", "非法持有枪支案")
    pistol = FirearmIntake("手枪", "54式", "T-1", "7.62mm", True)
    gun = api.custody.items.register_firearm(clerk, case.case_no, pistol)
    headers = api.login("ng-investigator")
    head = api.head_seq()
    for bad in ({"addressee": ""}, {"addressee": ADDRESSEE, "reply_by": "soon"}, {}):
        refused = api.client.post(
            f"/api/v1/items/{gun.evidence_no}/tracing-letters", headers=headers, json=bad
        )
        problem(refused, 422, "invalid-input")
    path = f"/api/v1/items/{gun.evidence_no}/tracing-letters"
    outsider = api.client.post(path, headers=api.login("jl-clerk"), json={"addressee": ADDRESSEE})
    problem(outsider, 404, "unknown-item")
    assert api.head_seq() == head
    issued = api.client.post(
        f"/api/v1/items/{gun.evidence_no}/tracing-letters",
        headers=headers,
        json={"addressee": ADDRESSEE, "reply_by": "2026-04-01"},
    )
    assert issued.status_code == 201, issued.text
    letter = issued.json()
    said = (letter["reference"], letter["evidence_no"], letter["letter"])
    assert said == ("220102协查〔2026〕1号", gun.evidence_no, head + 1)
    pdf = api.client.get(f"/api/v1/reports/tracing-letters/{letter['letter']}", headers=headers)
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert pdf.headers["x-ledger-point"] == letter["ledger_point"]
    with pdfplumber.open(io.BytesIO(pdf.content)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert letter["reference"] in text and ADDRESSEE in text and "T-1" in text
    csv = api.client.get(f"/api/v1/reports/tracing-letters/{letter['letter']}?format=csv", headers=headers)
    assert csv.content.startswith(b"\xef\xbb\xbf") and "item.serial_number,T-1" in csv.content.decode(
        "utf-8-sig"
    )
    missing = api.client.get(
        f"/api/v1/reports/tracing-letters/{letter['letter']}", headers=api.login("jl-clerk")
    )
    problem(missing, 404, "not-found")

    out = tmp_path / "again.pdf"
    again = CliRunner().invoke(
        cli,
        [
            "--as",
            "ng-investigator",
            "--password-stdin",
            "report",
            "tracing",
            *("--letter", str(letter["letter"])),
            "--out",
            str(out),
        ],
        env={"CUSTODY_DATABASE_URL": database_url, "CUSTODY_USER": ""},
        input=PASSWORD + "\n",
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["reference"] == letter["reference"] and out.read_bytes().startswith(
        b"%PDF"
    )
    assert api.head_seq() == head + 1  # printing again records nothing
