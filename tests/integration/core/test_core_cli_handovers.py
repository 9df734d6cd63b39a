"""`custody handover …` on SQLite and PostgreSQL: the clerk offers, the named custodian accepts or
refuses with their own password; a refused list prints one line naming each item and writes nothing;
`custody ledger verify` and `replay` pass after each flow."""

from __future__ import annotations

import io
import json

import pdfplumber
from click.testing import CliRunner, Result

from custody.intake import AmmunitionIntake
from custody_cli.main import cli


def run(url: str, user: str, password: str, *args: str) -> Result:
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    return CliRunner().invoke(cli, ["--as", user, "--password-stdin", *args], env=env, input=f"{password}\n")


def lines(result: Result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.strip().splitlines()]


def ledger_sound(url: str, password: str) -> None:
    verified = CliRunner().invoke(cli, ["ledger", "verify"], env={"CUSTODY_DATABASE_URL": url})
    assert verified.exit_code == 0 and json.loads(verified.output)["ok"], verified.output
    replayed = run(url, "admin", password, "ledger", "replay")
    assert replayed.exit_code == 0 and json.loads(replayed.output.splitlines()[-1])["ok"], replayed.output


def test_offer_accept_and_refuse_on_the_command_line(database_url, passwords, custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    lot = custody.items.register_ammunition(clerk, case.case_no, AmmunitionIntake("7.62mm", 50))
    custody.cases.close(clerk, case.case_no)
    offer = (
        "handover",
        "offer",
        case.case_no,
        gun.evidence_no,
        lot.evidence_no.lower(),
        "--to",
        "ng-custodian",
    )
    [offered] = lines(run(database_url, "ng-clerk", passwords, *offer))
    assert (offered["status"], offered["offered_by"], offered["custodian"]) == (
        "offered",
        "ng-clerk",
        "ng-custodian",
    )
    assert sorted(offered["evidence_nos"]) == sorted([gun.evidence_no, lot.evidence_no])
    ledger_sound(database_url, passwords)

    handover_id = str(offered["id"])
    [refused] = lines(
        run(
            database_url, "ng-custodian", passwords, "handover", "refuse", handover_id, "--reason", "数量不符"
        )
    )
    assert (refused["status"], refused["refusal_reason"]) == ("refused", "数量不符")
    assert custody.items.item(None, gun.evidence_no).state == "registered"
    ledger_sound(database_url, passwords)

    [again] = lines(run(database_url, "ng-clerk", passwords, *offer))
    [accepted] = lines(run(database_url, "ng-custodian", passwords, "handover", "accept", str(again["id"])))
    assert accepted["status"] == "accepted" and accepted["decided_at"] is not None
    assert custody.items.item(None, lot.evidence_no).state == "handed_over"
    ledger_sound(database_url, passwords)

    [shown] = lines(run(database_url, "cc-clerk", passwords, "handover", "show", handover_id))
    assert shown["status"] == "refused"
    listed = lines(run(database_url, "ng-custodian", passwords, "handover", "list"))
    assert [h["id"] for h in listed] == [again["id"], offered["id"]]  # newest first
    assert [
        h["id"]
        for h in lines(run(database_url, "ng-clerk", passwords, "handover", "list", "--status", "accepted"))
    ] == [again["id"]]
    assert lines(run(database_url, "jl-clerk", passwords, "handover", "list")) == []
    hidden = run(database_url, "jl-clerk", passwords, "handover", "show", handover_id)
    assert hidden.exit_code == 1 and f"unknown handover {handover_id}" in hidden.output


def test_a_refused_list_prints_one_line_naming_each_item_and_writes_nothing(
    database_url, passwords, custody, gun, case
):
    clerk = custody.users.actor("ng-clerk")
    lot = custody.items.register_ammunition(clerk, case.case_no, AmmunitionIntake("7.62mm", 50))
    custody.items.check_out(clerk, gun.evidence_no, 1, "lab", "刑侦技术室", "2026-04-01")
    custody.cases.close(clerk, case.case_no)
    head = custody.ledger.head()
    offer = ("handover", "offer", case.case_no, lot.evidence_no, gun.evidence_no, "--to", "ng-custodian")
    refused = run(database_url, "ng-clerk", passwords, *offer)
    assert refused.exit_code == 1
    assert len(refused.output.strip().splitlines()) == 1
    assert f"{gun.evidence_no} is checked_out" in refused.output and "1 of 2 items" in refused.output
    assert custody.ledger.head() == head
    ledger_sound(database_url, passwords)


def test_the_slip_of_an_accepted_handover_reads_back_with_every_number_both_names_and_chinese_intact(
    database_url, passwords, custody, gun, case, tmp_path
):
    clerk = custody.users.actor("ng-clerk")
    lot = custody.items.register_ammunition(clerk, case.case_no, AmmunitionIntake("7.62mm", 50))
    custody.cases.close(clerk, case.case_no)
    offered = custody.handovers.offer(clerk, case.case_no, "ng-custodian", [gun.evidence_no, lot.evidence_no])
    custody.handovers.accept(custody.users.actor("ng-custodian"), offered.id)
    out = tmp_path / "slip.pdf"
    [written] = lines(
        run(database_url, "ng-custodian", passwords, "handover", "slip", str(offered.id), "--out", str(out))
    )
    assert written == {"id": offered.id, "out": str(out), "csv": None, "items": 2}
    with pdfplumber.open(io.BytesIO(out.read_bytes())) as document:
        text = "\n".join(page.extract_text() for page in document.pages)
    for expected in (
        gun.evidence_no,
        lot.evidence_no,
        "南关物证管理员",
        "南关治安",
        "移交清单",
        case.case_no,
    ):
        assert expected in text, expected
    hidden = run(
        database_url,
        "jl-clerk",
        passwords,
        "handover",
        "slip",
        str(offered.id),
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert hidden.exit_code == 1 and not (tmp_path / "x.pdf").exists()
