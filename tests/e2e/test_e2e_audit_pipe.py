"""An audit read through the real reader, on SQLite and PostgreSQL: `custody tag watch` piped into
`custody audit read`, with a virtual NTAG 213 TT seal tag whose loop is cut presented through vpcd →
pcscd → pyscard. The read is answered while the pipe stays open; the other seal is withheld; closing
finds exactly the broken seal's items and the withheld ones, and the report names them."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from e2e_stack import CASE_NO, CUSTODY, WAIT, Bureau, OutputLog, SimulatedTag, environment, prepare_bureau

from custody.model import Department, Role
from custody.services import Custody

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

PASSWORD = "audit the store 2026"
STORE, ROOM, SHELF = "L220102-A", "L220102-A-1", "L220102-A-1-01"
UID = "04E5EA1000C001"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Bureau, dict[str, list[str]]]]:
    """Two firearms of a closed case, accepted by the custodian and sealed one by one on a shelf (the
    first under a seal tag) before a witness; an auditor with a password."""
    url = None
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")
        name = server.create()
        request.addfinalizer(lambda: server.drop(name))
        url = server.database_url(name)
    bureau = prepare_bureau(tmp_path / "bureau", firearms=2, database_url=url)
    custody = Custody.open(bureau.url)
    sealed: dict[str, list[str]] = {}
    try:
        admin = custody.users.actor("admin")
        clerk = custody.users.actor("ng-clerk")
        custody.cases.close(clerk, CASE_NO)
        custodian = custody.users.add(
            "ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN}
        )
        witness = custody.users.add(
            "ng-witness", "南关见证人", "220102", Department.POLICE_STATION, {Role.INVESTIGATOR}
        )
        custody.users.add("ng-auditor", "南关督察", "220102", Department.INSPECTION, {Role.AUDITOR})
        custody.users.set_password(admin, "ng-auditor", PASSWORD)
        for code, place in ((STORE, "南关物证库"), (ROOM, "一号间"), (SHELF, "1号架")):
            custody.locations.add(custodian, code, place)
        offered = custody.handovers.offer(clerk, CASE_NO, "ng-custodian", bureau.numbers)
        custody.handovers.accept(custodian, offered.id)
        for number, uid in zip(bureau.numbers, (UID, None), strict=True):
            seal = custody.seals.create(custodian, SHELF, [number], witness, uid)
            sealed[seal.seal_no] = [number]
    finally:
        custody.close()
    yield bureau, sealed


def custody_command(bureau: Bureau, *args: str, stdin: str = f"{PASSWORD}\n") -> dict[str, Any]:
    done = subprocess.run(
        [CUSTODY, "--as", "ng-auditor", "--password-stdin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(bureau.url),
        timeout=WAIT * 2,
        check=False,
    )
    assert done.returncode == 0, f"{args}: {done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


def test_tag_watch_piped_into_an_audit_finds_the_cut_seal(store, pcscd, tmp_path: Path) -> None:
    bureau, sealed = store
    (tagged, tagged_items), (_withheld, withheld_items) = sealed.items()
    audit = custody_command(bureau, "audit", "open", "--unit", "220102", "--mode", "full", "--seed", "e2e")
    audit_id = str(audit["id"])

    tag = SimulatedTag("--type", "ntag213tt", "--uid", UID, "--text", tagged, "--tamper-open")
    env = environment(bureau.url)
    watch = subprocess.Popen(
        [CUSTODY, "tag", "watch", "--reader", "00 00"], stdout=subprocess.PIPE, text=True, env=env
    )
    reads = subprocess.Popen(
        [CUSTODY, "--as", "ng-auditor", "--password-stdin", "audit", "read", audit_id, "--location", SHELF],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert watch.stdout is not None and reads.stdin is not None
    reads.stdin.write(PASSWORD + "\n")
    reads.stdin.flush()

    def pipe() -> None:  # the shell's `|`, with the password line first
        assert watch.stdout is not None and reads.stdin is not None
        for line in watch.stdout:
            reads.stdin.write(line)
            reads.stdin.flush()
        reads.stdin.close()

    threading.Thread(target=pipe, daemon=True).start()
    answers = OutputLog(reads, parse_json=True)
    try:
        tag.command("on", "on_reader")
        read = answers.until(lambda r: r.get("kind") == "seal")  # answered while the pipe is open
        assert (read["status"], read["code"], read["tamper"], read["names"]) == (
            "recorded",
            tagged,
            "open",
            tagged_items,
        )
    finally:
        watch.terminate()
        watch.wait(WAIT)
        tag.close()
    assert reads.wait(WAIT) == 0

    submitted = custody_command(bureau, "audit", "submit", audit_id)
    assert submitted["ready_to_close"] is True
    closed = custody_command(bureau, "audit", "close", audit_id)
    assert {f: n for f, n in dict(closed["findings"]).items() if n} == {"seal_broken": 1, "missing": 1}
    assert {(d["finding"], d["code"]) for d in closed["discrepancies"]} == {
        ("seal_broken", tagged_items[0]),
        ("missing", withheld_items[0]),
    }
    pdf = tmp_path / "audit.pdf"
    custody_command(bureau, "audit", "report", audit_id, "--out", str(pdf))
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert tagged_items[0] in text and withheld_items[0] in text and "枪支弹药封存库检查报告" in text
