"""`custody audit|discrepancy` on SQLite and PostgreSQL: an auditor opens an audit of the Nanguan store,
pipes in the lines `custody scanner listen` and `custody tag watch` print (status events among them, a
malformed line, a seal tag with its loop cut, an unknown code; one seal withheld), submits, closes and
writes the report (PDF read back, CSV); the owner resolves a discrepancy before a second auditor who
types their own password. Refusals (a wrong confirming password, someone not the owner, a closed audit,
the report of an open audit) write nothing."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pdfplumber
import pytest
from click.testing import CliRunner, Result
from PIL import Image
from seal_world import SHELF_1, SHELF_2, accepted_items, add_locations, assert_ledger_sound

from custody.model import Department, DiscrepancyStatus, ItemState, Role
from custody.services import Custody
from custody_cli.main import cli
from devices.rfid.events import ReaderAdded, TagArrived, TagRemoved
from devices.rfid.frontend import TagReading
from devices.rfid.ntag import NTAG213_TT, TamperStatus
from devices.scanner.events import Connected, Scan

UID = "04A1B2C3D4E5F6"


def run(url: str, *args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}, input=stdin
    )


def as_user(url: str, username: str, *args: str, password: str, then: str = "", second: int = 0) -> Result:
    """``args`` as ``username``: their password, then ``second`` second persons' (the same), on stdin,
    then ``then``."""
    return run(
        url, "--as", username, "--password-stdin", *args, stdin=(password + "\n") * (1 + second) + then
    )


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def scan(code: str) -> str:
    """A line as `custody scanner listen` prints a scan (the driver's own event)."""
    read = Scan.of(code.encode(), "/dev/pts/3", 12.5, datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    return json.dumps(read.to_json(), ensure_ascii=False)


def tag(uid: str, text: str, loop: Literal["closed", "open"], opened_before: bool) -> str:
    """A line as `custody tag watch` prints a seal tag's arrival (the driver's own event)."""
    reading = TagReading(
        reader="Virtual PCD 00 00",
        uid=bytes.fromhex(uid),
        atr=bytes.fromhex("3B8F8001804F0CA0000003060300030000000068"),
        type=NTAG213_TT,
        identified_by="get_version",
        ndef="text",
        text=text,
        tamper=TamperStatus(loop, opened_before),
    )
    return json.dumps(TagArrived(reading, 3.25).to_json())


def status_lines() -> list[str]:
    """Lines of both that are no reads: a port connected, a tag removed, a reader added."""
    connected = Connected("/dev/pts/3", "/dev/pts/3", 1.0, datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    removed = TagRemoved("Virtual PCD 00 00", bytes.fromhex(UID), 4.0)
    return [json.dumps(e.to_json()) for e in (connected, removed, ReaderAdded("Virtual PCD 00 01", 5.0))]


@pytest.fixture
def store(custody: Custody, passwords: str) -> dict[str, list[str] | str]:
    """Three seals on shelf 1 (one with a seal tag), each over a firearm and a lot; a second auditor
    and a second custodian with the same password."""
    add_locations(custody)
    admin = custody.users.actor("admin")
    custody.users.create(
        admin, "ng-auditor2", "南关督察二", "220102", Department.INSPECTION, {Role.AUDITOR}, passwords
    )
    custody.users.create(
        admin, "ng-custodian2", "南关治安二", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN}, passwords
    )
    custodian = custody.users.actor("ng-custodian")
    witness = custody.users.actor("ng-investigator")
    made: dict[str, list[str] | str] = {}
    for name, uid in (("read", None), ("cut", UID), ("withheld", None)):
        numbers = [i.evidence_no for i in accepted_items(custody, 2)]
        seal = custody.seals.create(custodian, SHELF_1, numbers, witness, uid)
        made[name] = numbers
        made[f"{name}_seal"] = seal.seal_no
    return made


def test_an_audit_from_opening_to_report_and_resolution(database_url, custody, passwords, store, tmp_path):
    url, pw = database_url, passwords
    opened = as_user(
        url, "ng-auditor", "audit", "open", "--unit", "220102", "--mode", "full", "--seed", "42", password=pw
    )
    assert opened.exit_code == 0, opened.output
    audit = lines(opened)[-1]
    audit_id = str(audit["id"])
    assert (audit["mode"], audit["blind"], audit["seed"], audit["round"]) == ("full", False, "42", 1)
    drawn = audit["drawn"]
    assert isinstance(drawn, dict)
    assert {c: (d["population"], d["drawn"]) for c, d in drawn.items()} == {
        "firearm": (3, 3),
        "ammunition": (3, 3),
    }
    every = sorted(n for key in ("read", "cut", "withheld") for n in store[key])
    assert sorted(n for d in drawn.values() for n in d["items"]) == every

    early = as_user(
        url, "ng-auditor", "audit", "report", audit_id, "--out", str(tmp_path / "x.pdf"), password=pw
    )
    assert early.exit_code == 1 and "is open" in early.output
    assert not (tmp_path / "x.pdf").exists()

    piped = "\n".join(
        [
            status_lines()[0],
            scan(SHELF_1),
            scan(str(store["read_seal"])),
            scan(str(store["read_seal"])),  # a repeat
            "this is not JSON",
            tag(UID, str(store["cut_seal"]), "open", True),
            status_lines()[1],
            scan("XYZ-NOT-A-CODE"),
            json.dumps({"event": "scan", "symbology": "Code 128"}),  # a scan without a code
            status_lines()[2],
        ]
    )
    head = custody.ledger.head()
    read = as_user(url, "ng-auditor", "audit", "read", audit_id, password=pw, then=piped + "\n")
    assert read.exit_code == 0, read.output
    answers = lines(read)
    assert [a["line"] for a in answers] == [2, 3, 4, 5, 6, 8, 9]  # in the order read
    by_line = {a["line"]: a for a in answers}
    assert (by_line[2]["kind"], by_line[2]["status"]) == ("location", "recorded")
    assert by_line[3]["status"] == "recorded" and sorted(by_line[3]["names"]) == sorted(store["read"])
    assert by_line[4]["status"] == "repeat"
    assert by_line[5]["status"] == "refused" and "JSON" in str(by_line[5]["error"])
    assert (by_line[6]["kind"], by_line[6]["tamper"]) == ("seal", "open")
    assert (by_line[8]["kind"], by_line[8]["known"]) == ("unknown", False)
    assert by_line[9]["status"] == "refused" and "without a code" in str(by_line[9]["error"])
    assert 1 not in by_line and 7 not in by_line  # status events are no reads
    assert custody.ledger.head().seq == head.seq + 4  # one audit_seen per item seen, not per read

    manual = as_user(
        url,
        "ng-auditor",
        *("audit", "read", audit_id, "--code", "F-SCRATCHED-LABEL", "--reason", "标签磨损"),
        password=pw,
    )
    assert manual.exit_code == 0, manual.output
    assert lines(manual)[-1]["status"] == "recorded"

    submitted = as_user(url, "ng-auditor", "audit", "submit", audit_id, password=pw)
    assert submitted.exit_code == 0, submitted.output
    assert lines(submitted)[-1]["ready_to_close"] is True

    closed = as_user(url, "ng-auditor", "audit", "close", audit_id, password=pw)
    assert closed.exit_code == 0, closed.output
    summary = lines(closed)[-1]
    end = custody.ledger.head()
    assert summary["head"] == f"{end.seq}:{end.hash}"
    assert summary["findings"] == {
        "found": 2,
        "missing": 2,
        "unexpected": 0,
        "wrong_place": 0,
        "seal_broken": 2,
        "seal_mismatch": 0,
        "unknown_code": 2,
    }
    planted = {
        *(("missing", n) for n in store["withheld"]),
        *(("seal_broken", n) for n in store["cut"]),
        ("unknown_code", "XYZ-NOT-A-CODE"),
        ("unknown_code", "F-SCRATCHED-LABEL"),
    }
    discrepancies = summary["discrepancies"]
    assert isinstance(discrepancies, list)
    assert {(d["finding"], d["code"]) for d in discrepancies} == planted

    after = as_user(url, "ng-auditor", "audit", "read", audit_id, password=pw, then=scan(SHELF_1) + "\n")
    assert after.exit_code == 1 and f"audit {audit_id} is closed" in after.output
    again = as_user(url, "ng-auditor", "audit", "submit", audit_id, password=pw)
    assert again.exit_code == 1 and "is closed" in again.output
    assert custody.ledger.head() == end

    pdf, rows = tmp_path / "audit.pdf", tmp_path / "audit.csv"
    written = as_user(
        url, "ng-auditor", "audit", "report", audit_id, "--out", str(pdf), "--csv", str(rows), password=pw
    )
    assert written.exit_code == 0, written.output
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert "枪支弹药封存库检查报告" in text and "南关督察" in text and "南关治安" in text
    assert "42" in text and end.hash in text.replace("\n", "")
    for _finding, code in planted:
        assert code in text
    table = list(csv.DictReader(io.StringIO(rows.read_text(encoding="utf-8-sig"))))
    assert {(r["finding"], r["code"]) for r in table if r["section"] == "discrepancy"} == planted
    assert {r["closed_hash"] for r in table} == {end.hash}
    counted = {(r["category"], r["finding"]): int(r["count"]) for r in table if r["section"] == "count"}
    assert counted[("firearm", "missing")] == 1 and counted[("", "unknown_code")] == 2
    _first_page_png(pdf, tmp_path / "audit-report-1.png")

    listed = as_user(url, "ng-custodian", "discrepancy", "list", "--unit", "220102", password=pw)
    assert listed.exit_code == 0, listed.output
    opened_ones = lines(listed)
    assert {(d["finding"], d["code"]) for d in opened_ones} == planted
    assert {d["owner"] for d in opened_ones} == {"ng-custodian"}
    lost = next(d for d in opened_ones if d["code"] == store["withheld"][0])
    resolve = ("discrepancy", "resolve", str(lost["id"]), "--resolution", "reported_lost")
    why = ("--reason", "库内遍寻未见")

    head = custody.ledger.head()
    wrong = run(
        url,
        *("--as", "ng-custodian", "--password-stdin", *resolve, *why, "--confirm-by", "ng-auditor2"),
        stdin=f"{pw}\nnot the auditor's password\n",
    )
    assert wrong.exit_code == 1 and "confirming auditor was not confirmed" in wrong.output
    stranger = as_user(
        url, "ng-custodian2", *resolve, *why, "--confirm-by", "ng-auditor2", password=pw, second=1
    )
    assert stranger.exit_code == 1 and "only its owner resolves it" in stranger.output
    not_auditor = as_user(
        url, "ng-custodian", *resolve, *why, "--confirm-by", "ng-clerk", password=pw, second=1
    )
    assert not_auditor.exit_code == 1 and "ng-clerk" in not_auditor.output
    assert custody.ledger.head() == head
    assert custody.discrepancies.get(None, int(lost["id"])).status is DiscrepancyStatus.OPEN

    resolved = as_user(
        url, "ng-custodian", *resolve, *why, "--confirm-by", "ng-auditor2", password=pw, second=1
    )
    assert resolved.exit_code == 0, resolved.output
    answer = lines(resolved)[-1]
    assert (answer["status"], answer["resolution"]) == ("resolved", "reported_lost")
    assert answer["resolved_seq"] == custody.ledger.head().seq
    assert custody.items.item(None, str(lost["code"])).state is ItemState.LOST
    twice = as_user(url, "ng-custodian", *resolve, *why, "--confirm-by", "ng-auditor2", password=pw, second=1)
    assert twice.exit_code == 1 and "resolved already" in twice.output

    remaining = lines(as_user(url, "ng-custodian", "discrepancy", "list", password=pw))
    assert len(remaining) == len(planted) - 1
    everything = lines(as_user(url, "ng-custodian", "discrepancy", "list", "--all", password=pw))
    assert len(everything) == len(planted)
    assert_ledger_sound(custody)

    # the report shows where the discrepancies stand now
    written = as_user(url, "ng-auditor", "audit", "report", audit_id, "--out", str(pdf), password=pw)
    assert written.exit_code == 0, written.output
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert "报失" in text


def test_a_blind_audit_shows_counts_not_items_until_submitted(database_url, custody, passwords, store):
    url, pw = database_url, passwords
    opened = as_user(
        url,
        "ng-auditor",
        "audit",
        "open",
        "--unit",
        "220102",
        "--location",
        SHELF_1,
        "--mode",
        "full",
        "--blind",
        password=pw,
    )
    assert opened.exit_code == 0, opened.output
    audit = lines(opened)[-1]
    assert audit["blind"] is True and audit["locations"] == [SHELF_1]
    drawn = audit["drawn"]
    assert isinstance(drawn, dict)
    assert {c: d["drawn"] for c, d in drawn.items()} == {"firearm": 3, "ammunition": 3}
    assert all("items" not in d for d in drawn.values())
    secret = [n for key in ("read", "cut", "withheld") for n in store[key]]
    read = as_user(
        url,
        "ng-auditor",
        "audit",
        "read",
        str(audit["id"]),
        password=pw,
        then=scan(str(store["read_seal"])) + "\n",
    )
    assert read.exit_code == 0, read.output
    assert lines(read)[-1]["names"] == [] and lines(read)[-1]["known"] is True
    shown = as_user(url, "ng-auditor", "audit", "show", str(audit["id"]), password=pw)
    assert not any(n in shown.stdout for n in secret)
    submitted = as_user(url, "ng-auditor", "audit", "submit", str(audit["id"]), password=pw)
    assert submitted.exit_code == 0, submitted.output
    revealed = lines(submitted)[-1]["drawn"]
    assert isinstance(revealed, dict)
    assert sorted(n for d in revealed.values() for n in d["items"]) == sorted(secret)


def test_an_audit_out_of_scope_or_by_someone_else_is_refused(database_url, custody, passwords, store):
    url, pw = database_url, passwords
    head = custody.ledger.head()
    custodian = as_user(
        url, "ng-custodian", "audit", "open", "--unit", "220102", "--mode", "full", password=pw
    )
    assert custodian.exit_code == 1 and "may not open audits" in custodian.output
    opened = as_user(url, "ng-auditor", "audit", "open", "--unit", "220102", "--mode", "sample", password=pw)
    assert opened.exit_code == 0, opened.output
    audit_id = str(lines(opened)[-1]["id"])
    head = custody.ledger.head()
    other = as_user(url, "ng-auditor2", "audit", "read", audit_id, password=pw, then=scan(SHELF_1) + "\n")
    assert other.exit_code == 1 and "only they carry it on" in other.output
    outside = as_user(url, "kc-clerk", "audit", "show", audit_id, password=pw)
    assert outside.exit_code == 1 and f"unknown audit {audit_id}" in outside.output
    no_reason = as_user(url, "ng-auditor", "audit", "read", audit_id, "--code", "X1234", password=pw)
    assert no_reason.exit_code == 2 and "needs --reason" in no_reason.output
    assert custody.ledger.head() == head


def _first_page_png(pdf: Path, png: Path) -> None:
    """The report's first page as pdftoppm draws it, kept beside it: an A4 page with the title inked."""
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(pdf),
            str(png.with_suffix("")),
        ],
        check=True,
    )
    image = Image.open(png).convert("L")
    assert image.size == pytest.approx((827, 1169), abs=2)
    assert image.crop((200, 60, 630, 160)).getextrema()[0] < 64  # the title, dark ink


def test_reads_from_a_live_pipe_are_committed_when_it_goes_quiet(database_url, custody, passwords, store):
    """A scanner piped in keeps its end open between scans: each read is answered (and committed)
    while the pipe stays open, not only when it closes."""
    import os
    import shutil
    import sys

    url, pw = database_url, passwords
    opened = as_user(url, "ng-auditor", "audit", "open", "--unit", "220102", "--mode", "full", password=pw)
    audit_id = str(lines(opened)[-1]["id"])
    command = shutil.which("custody") or str(Path(sys.executable).with_name("custody"))
    env = {**os.environ, "CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    process = subprocess.Popen(
        [command, "--as", "ng-auditor", "--password-stdin", "audit", "read", audit_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(f"{pw}\n{scan(SHELF_1)}\n{scan(str(store['read_seal']))}\n")
        process.stdin.flush()
        answered = [json.loads(process.stdout.readline()) for _ in range(2)]  # the pipe is still open
        assert [(a["line"], a["kind"], a["status"]) for a in answered] == [
            (1, "location", "recorded"),
            (2, "seal", "recorded"),
        ]
        seen = custody.items.item(None, str(store["read"][0])).history[-1]
        assert (seen.event_type, seen.payload["location"]) == ("audit_seen", SHELF_1)
        process.stdin.write(scan(str(store["read_seal"])) + "\n")
        process.stdin.close()
        rest = process.stdout.read()
        assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
    assert json.loads(rest.splitlines()[-1])["status"] == "repeat"


def test_a_location_read_still_places_the_reads_of_the_next_batch(database_url, custody, passwords, store):
    """Reads go to the core 50 at a time; the place a location code set in one batch holds for the next."""
    url, pw = database_url, passwords
    opened = as_user(url, "ng-auditor", "audit", "open", "--unit", "220102", "--mode", "full", password=pw)
    audit_id = str(lines(opened)[-1]["id"])
    piped = [scan(SHELF_2), *(scan(f"UNKNOWN-{n:04d}") for n in range(49)), scan(str(store["read_seal"]))]
    read = as_user(url, "ng-auditor", "audit", "read", audit_id, password=pw, then="\n".join(piped) + "\n")
    assert read.exit_code == 0, read.output
    answers = lines(read)
    assert [a["line"] for a in answers] == list(range(1, 52))
    assert answers[-1]["kind"] == "seal" and answers[-1]["status"] == "recorded"
    seen = custody.items.item(None, str(store["read"][0])).history[-1]
    assert (seen.event_type, seen.payload["location"]) == ("audit_seen", SHELF_2)
