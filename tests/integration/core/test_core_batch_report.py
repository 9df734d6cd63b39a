"""The destruction batch report on SQLite and PostgreSQL: a closed batch (a firearm with its samples, a
lot destroyed, a lot withdrawn, findings, photos) reported as of its closing point; the PDF read back
gives every tally the ledger gives, the serial and sample numbers, the photos' SHA-256 and the Chinese
text intact; the CSV holds the same rows; as of an earlier point the report gives the earlier state;
a batch of none of the reader's units is unknown to them, and a role that reads no reports is refused,
writing nothing. Also from the command line: `custody report batch`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from batch_report_world import (
    FAR_CUSTODIAN,
    REASON,
    STATISTICS,
    ClosedBatch,
    add_readers,
    closed_batch,
)
from click.testing import CliRunner
from destruction_world import OFFICER

from custody.batch_report import BatchReport
from custody.clock import FixedClock
from custody.errors import CustodyError, NotPermitted, UnknownBatch
from custody.model import ItemState
from custody.services import Custody
from custody_cli.main import cli
from reports.batch import batch_csv, render_batch

TALLY_COLUMNS = 13


@pytest.fixture
def batch(custody: Custody, clock: FixedClock) -> ClosedBatch:
    add_readers(custody)
    return closed_batch(custody, clock)


def ledger_tally(custody: Custody, batch: ClosedBatch, seq: int) -> Counter[str]:
    """What the ledger says, event by event up to ``seq``: items and rounds approved, destroyed and
    withdrawn in the batch."""
    found: Counter[str] = Counter()
    for number in (*batch.first.numbers, batch.withdrawn):
        item = custody.items.item(None, number)
        rounds = 50 if number[0] == "A" else 0  # the lots' record
        for event in item.history:
            if event.seq > seq or event.payload.get("batch_id") != batch.batch_id:
                continue
            kind = {"approved": "approved", "destroyed": "destroyed", "withdrawn_from_batch": "withdrawn"}
            if event.event_type in kind:
                found[kind[event.event_type]] += 1
                counted = event.payload.get("rounds", rounds) if event.event_type == "destroyed" else rounds
                found[f"rounds_{kind[event.event_type]}"] += counted
    return found


def tally_table(pdf: pdfplumber.PDF) -> list[list[str]]:
    for page in pdf.pages:
        for table in page.extract_tables():
            if table and table[0][0] == "单位" and len(table[0]) == TALLY_COLUMNS:
                return table
    raise AssertionError("no tally table in the PDF")


def pdf_text(content: bytes) -> tuple[str, list[list[str]]]:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages), tally_table(pdf)


def first_page_png(pdf: Path, png: Path) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "80",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(png.with_suffix("")),
        ],
        check=True,
    )
    assert png.read_bytes().startswith(b"\x89PNG")


def test_a_closed_batch_is_reported_as_the_ledger_gives_it(
    custody: Custody, batch: ClosedBatch, tmp_path: Path
):
    officer = custody.users.actor(OFFICER)
    report = custody.batch_reports.report(officer, batch.batch_id)
    site = custody.batch_site.site(officer, batch.batch_id)
    assert (report.point.seq, report.point.hash) == (site.closed_seq, site.closed_hash)
    assert (report.status, report.closed_seq) == ("closed", site.closed_seq)
    expected = ledger_tally(custody, batch, report.point.seq)
    totals = report.totals
    assert (totals.batched, totals.approved, totals.destroyed, totals.withdrawn) == (3, 3, 2, 1)
    assert (totals.approved, totals.destroyed, totals.withdrawn) == (
        expected["approved"],
        expected["destroyed"],
        expected["withdrawn"],
    )
    assert (totals.rounds_approved, totals.rounds_destroyed, totals.rounds_withdrawn) == (
        expected["rounds_approved"],
        expected["rounds_destroyed"],
        expected["rounds_withdrawn"],
    )
    gun = next(i for i in report.items if i.evidence_no == batch.first.gun.evidence_no)
    assert gun.samples == tuple(sorted(s.evidence_no for s in batch.first.samples))
    withdrawn = next(i for i in report.items if i.evidence_no == batch.withdrawn)
    assert (withdrawn.outcome, withdrawn.state, withdrawn.reason) == ("withdrawn", ItemState.SEALED, REASON)
    assert [f.status for f in report.findings] == ["unknown", "rounds_differ"]
    assert [p.sha256 for p in report.photos] == [hashlib.sha256(p).hexdigest() for p in batch.photos]
    assert [p.content for p in report.photos] == list(batch.photos)

    content = render_batch(report)
    out = tmp_path / "batch-report.pdf"
    out.write_bytes(content)
    first_page_png(out, tmp_path / "batch-report-1.png")
    text, table = pdf_text(content)
    for words in (
        "枪支弹药销毁报告",
        "南关区公安分局",
        "长春钢厂切割车间",
        "熔炼",
        "切割",
        REASON,
        "宽城物证管理员",
    ):
        assert words in text, words
    for words in ("销毁人", "见证人", "审批人", "省厅销毁专员二", report.point.hash):
        assert words in text, words
    assert batch.first.gun.serial_number is not None and batch.first.gun.serial_number in text
    for number in (*(s.evidence_no for s in batch.first.samples), *batch.first.numbers, batch.withdrawn):
        assert number in text, number
    for photo in report.photos:
        assert photo.sha256 in text
    total = table[-1]
    assert total[0] == "合计 Total"
    figures = [int(n) for n in total[4:]]
    assert figures == [3, 3, 2, 1, 0, 100, 50, 50, 0]
    assert figures[1:4] == [expected["approved"], expected["destroyed"], expected["withdrawn"]]
    assert figures[5:8] == [
        expected["rounds_approved"],
        expected["rounds_destroyed"],
        expected["rounds_withdrawn"],
    ]
    body = table[1:-1]
    for column in range(4, TALLY_COLUMNS):
        assert sum(int(row[column]) for row in body) == int(total[column])

    rows = list(csv.reader(io.StringIO(batch_csv(report).decode("utf-8-sig"))))
    assert rows[0][:4] == ["batch_id", "ledger_seq", "ledger_hash", "unit_code"]
    assert [r[8:] for r in rows[1:]] == [[str(int(n)) for n in row[4:]] for row in table[1:]]
    assert [r[5] for r in rows[1:-1]] == [{"弹药": "A", "枪支": "F"}[row[1]] for row in body]
    assert all(r[1:3] == [str(report.point.seq), report.point.hash] for r in rows[1:])


def test_as_of_an_earlier_point_the_report_gives_the_earlier_state(custody: Custody, batch: ClosedBatch):
    earlier = custody.batch_reports.report(custody.users.actor(STATISTICS), batch.batch_id, batch.middle)
    assert (earlier.point.seq, earlier.point.head_seq) == (batch.middle, custody.ledger.head().seq)
    assert (earlier.status, earlier.closed_at, earlier.closed_seq) == ("site", None, None)
    totals = earlier.totals
    assert (totals.approved, totals.destroyed, totals.withdrawn, totals.pending) == (3, 1, 0, 2)
    assert (totals.rounds_destroyed, totals.rounds_pending) == (0, 100)
    states = {i.evidence_no: i.state for i in earlier.items}
    assert states == {
        batch.first.gun.evidence_no: ItemState.DESTROYED,
        batch.first.ammo.evidence_no: ItemState.APPROVED,
        batch.withdrawn: ItemState.APPROVED,
    }
    assert [p.stage for p in earlier.photos] == ["before"]  # the photo after came later
    assert [f.status for f in earlier.findings] == ["unknown", "rounds_differ"]
    text, table = pdf_text(render_batch(earlier))
    assert [int(n) for n in table[-1][4:]] == [3, 3, 1, 0, 2, 100, 0, 0, 100]
    assert f"seq {batch.middle}" in text and "computed as of" in text
    before_batching = custody.batch_reports.report(None, batch.batch_id, 1)
    assert (before_batching.items, before_batching.totals.batched, before_batching.status) == ((), 0, "open")


def refused(custody: Custody, call: object, error: type[CustodyError]) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as caught:
        call()  # type: ignore[operator]
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return caught.value


def test_readers_see_the_batches_of_their_units_only(custody: Custody, batch: ClosedBatch):
    reports = custody.batch_reports
    for reader in ("ng-custodian", "cc-custodian", "ng-auditor", STATISTICS, OFFICER):
        assert reports.report(custody.users.actor(reader), batch.batch_id).batch_id == batch.batch_id
    far = custody.users.actor(FAR_CUSTODIAN)
    unknown = refused(custody, lambda: reports.report(far, batch.batch_id), UnknownBatch)
    missing = refused(custody, lambda: reports.report(custody.users.actor(OFFICER), 999), UnknownBatch)
    assert (unknown.key, str(unknown)) == (missing.key, str(missing).replace("999", str(batch.batch_id)))
    refused(custody, lambda: reports.report(custody.users.actor("ng-clerk"), batch.batch_id), NotPermitted)
    refused(custody, lambda: reports.report(None, batch.batch_id, 10_000), CustodyError)


def run(url: str, *args: str) -> object:
    return CliRunner().invoke(cli, list(args), env={"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""})


def test_the_command_writes_the_pdf_and_csv_and_refuses_out_of_scope(
    database_url: str, custody: Custody, batch: ClosedBatch, passwords: str, tmp_path: Path
):
    pdf, rows = tmp_path / "b.pdf", tmp_path / "b.csv"

    def as_user(username: str, *args: str) -> object:
        return CliRunner().invoke(
            cli,
            ["--as", username, "--password-stdin", *args],
            env={"CUSTODY_DATABASE_URL": database_url, "CUSTODY_USER": ""},
            input=passwords + "\n",
        )

    command = ("report", "batch", str(batch.batch_id), "--out", str(pdf), "--csv", str(rows))
    written = as_user("ng-custodian", *command)
    assert written.exit_code == 0, written.output  # type: ignore[attr-defined]
    said = json.loads(written.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]
    report: BatchReport = custody.batch_reports.report(None, batch.batch_id)
    assert said["point"] == report.point.text
    assert (said["items"], said["destroyed"], said["withdrawn"], said["photos"]) == (3, 2, 1, 2)
    assert rows.read_bytes() == batch_csv(report)
    assert "枪支弹药销毁报告" in pdf_text(pdf.read_bytes())[0]
    earlier = as_user(OFFICER, *command, "--as-of", str(batch.middle))
    assert json.loads(earlier.stdout.strip().splitlines()[-1])["point"].startswith(f"{batch.middle}:")  # type: ignore[attr-defined]
    pdf.unlink()
    head = custody.ledger.head()
    far = as_user(FAR_CUSTODIAN, *command)
    assert far.exit_code != 0 and "unknown destruction batch" in far.stderr  # type: ignore[attr-defined]
    assert not pdf.exists() and custody.ledger.head() == head
