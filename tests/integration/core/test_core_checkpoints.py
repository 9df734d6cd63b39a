"""Signed checkpoints of the ledger, on SQLite and PostgreSQL: made incrementally as from scratch, proofs
that verify against them, a tampered ledger never signed, the table append-only, and an export checked
offline against them, with every mutation of it found."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from custody.errors import ChainBroken, InvalidInput
from custody.ledger import HASHED_COLUMNS
from custody.services import Custody
from custody.tlog import NoteSigner
from custody.verify_export import (
    Checkpoint,
    NoteVerifier,
    encode_event,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_export,
    verify_inclusion,
)
from custody_cli.main import cli

ORIGIN = "jl.gongan/custody-ledger"


def grow(custody: Custody, case, firearm, count: int, start: int = 0) -> None:
    clerk = custody.users.actor("ng-clerk")
    for i in range(start, start + count):
        gun = custody.items.register_firearm(clerk, case.case_no, firearm(f"CP{i}"))
        custody.items.check_out(clerk, gun.evidence_no, 1, "lab", "刑侦技术室", "2026-04-01")


def export_lines(custody: Custody) -> list[str]:
    with custody.ledger.export() as events:
        return [json.dumps(event, ensure_ascii=False) for event in events]


def leaf_hashes(lines: list[str]) -> list[bytes]:
    return [leaf_hash(encode_event([json.loads(line)[c] for c in HASHED_COLUMNS])) for line in lines]


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


def test_checkpoints_sign_the_tree_head_incrementally_as_from_scratch(custody, case, firearm, signer):
    grow(custody, case, firearm, 5)
    first = custody.checkpoints.make(signer)
    verifier = NoteVerifier.parse(str(signer.verifier))
    opened = Checkpoint.parse(verifier.open(first.note))
    lines = export_lines(custody)
    assert (opened.origin, opened.size) == (ORIGIN, len(lines)) == (ORIGIN, first.tree_size)
    assert opened.root == root_of(leaf_hashes(lines)) and opened.root.hex() == first.root_hash
    assert custody.checkpoints.make(signer) == first  # nothing new: the same checkpoint
    grow(custody, case, firearm, 7, start=5)
    second = custody.checkpoints.make(signer)
    assert second.tree_size == len(export_lines(custody)) > first.tree_size
    assert custody.checkpoints.make(signer, from_scratch=True) == second
    assert [c.tree_size for c in custody.checkpoints.issued()] == [first.tree_size, second.tree_size]
    assert custody.checkpoints.latest() == second


def test_every_event_is_proved_in_the_latest_checkpoint_and_the_older_one_a_prefix(
    custody, case, firearm, signer
):
    grow(custody, case, firearm, 3)
    first = custody.checkpoints.make(signer)
    grow(custody, case, firearm, 4, start=3)
    second = custody.checkpoints.make(signer)
    root = bytes.fromhex(second.root_hash)
    for seq in range(1, second.tree_size + 1):
        proof = custody.checkpoints.inclusion(seq)
        assert proof.tree_size == second.tree_size and proof.root_hash == second.root_hash
        path = [bytes.fromhex(p) for p in proof.proof]
        assert verify_inclusion(seq - 1, second.tree_size, bytes.fromhex(proof.leaf_hash), path, root)
        assert not verify_inclusion(
            seq % second.tree_size, second.tree_size, bytes.fromhex(proof.leaf_hash), path, root
        )
    consistent = custody.checkpoints.consistency(first.tree_size)
    assert (consistent.first_root, consistent.second_root) == (first.root_hash, second.root_hash)
    path = [bytes.fromhex(p) for p in consistent.proof]
    assert verify_consistency(first.tree_size, second.tree_size, path, bytes.fromhex(first.root_hash), root)
    for seq, size in ((0, None), (second.tree_size + 1, None), (2, second.tree_size + 5)):
        with pytest.raises(InvalidInput):
            custody.checkpoints.inclusion(seq, size)


def test_the_checkpoints_table_is_append_only(custody, case, firearm, signer):
    grow(custody, case, firearm, 1)
    custody.checkpoints.make(signer)
    for statement in ("UPDATE ledger_checkpoints SET root_hash = 'x'", "DELETE FROM ledger_checkpoints"):
        with pytest.raises(DatabaseError, match="append-only"), custody.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(custody.checkpoints.issued()) == 1


def test_a_tampered_ledger_is_never_signed(custody, case, firearm, signer):
    grow(custody, case, firearm, 3)
    custody.checkpoints.make(signer)
    grow(custody, case, firearm, 2, start=3)
    head = custody.ledger.head().seq
    with custody.engine.begin() as conn:
        if custody.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER custody_events_no_update"))
        else:
            conn.execute(text("ALTER TABLE custody_events DISABLE TRIGGER USER"))
        conn.execute(text(f"UPDATE custody_events SET payload = '{{}}' WHERE seq = {head - 1}"))
    with pytest.raises(ChainBroken, match=f"seq {head - 1}"):
        custody.checkpoints.make(signer)
    with pytest.raises(ChainBroken, match=f"seq {head - 1}"):
        custody.checkpoints.make(signer, from_scratch=True)
    assert len(custody.checkpoints.issued()) == 1  # nothing signed


def test_an_export_checks_offline_and_every_mutation_of_it_is_found(custody, case, firearm, signer):
    grow(custody, case, firearm, 4)
    early = Checkpoint.parse(
        NoteVerifier.parse(str(signer.verifier)).open(custody.checkpoints.make(signer).note)
    )
    grow(custody, case, firearm, 4, start=4)
    late = Checkpoint.parse(signer.verifier.open(custody.checkpoints.make(signer).note))
    lines = export_lines(custody)
    both = [early, late]
    report = verify_export(lines, both)
    assert (report.ok, report.events, report.checkpoints) == (True, len(lines), 2)
    probes = 0
    # flip any byte of any event: that event is named
    for number, line in enumerate(lines, 1):
        raw = line.encode("utf-8")
        for at in range(len(raw)):
            mutated = raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]
            changed = [*lines[: number - 1], mutated.decode("utf-8", "replace"), *lines[number:]]
            found = verify_export(changed, both)
            assert not found.ok and found.first_bad_seq == number, (number, at, found)
            probes += 1
    # delete, reorder, truncate
    for number in range(1, len(lines) + 1):
        found = verify_export([*lines[: number - 1], *lines[number:]], both)
        assert not found.ok and found.first_bad_seq == number
        probes += 1
        if number < len(lines):
            swapped = [*lines[: number - 1], lines[number], lines[number - 1], *lines[number + 1 :]]
            found = verify_export(swapped, both)
            assert not found.ok and found.first_bad_seq == number
            probes += 1
        found = verify_export(lines[: number - 1], both)
        assert not found.ok and found.first_bad_seq == number
        probes += 1
    # fork the history after the early checkpoint: a rewrite consistent in itself
    for fork in range(early.size + 1, late.size + 1):
        forked = rewritten(lines, fork)
        assert verify_export(forked, []).ok  # consistent in itself: only a checkpoint shows it
        found = verify_export(forked, both)
        assert not found.ok and (found.contradicted, found.rewritten_after) == (late.size, early.size)
        assert found.rewritten_after < fork <= found.contradicted
        probes += 1
    print(f"{probes} mutated exports, every one found")


def rewritten(lines: list[str], fork: int) -> list[str]:
    """The export with event ``fork`` changed and every later hash recomputed."""
    import hashlib

    out = lines[: fork - 1]
    prev = json.loads(out[-1])["hash"] if out else "0" * 64
    for number, line in enumerate(lines[fork - 1 :], fork):
        event = json.loads(line)
        if number == fork:
            event["payload"] = json.dumps({"rewritten": True})
        event["prev_hash"] = prev
        event["hash"] = prev = hashlib.sha256(encode_event([event[c] for c in HASHED_COLUMNS])).hexdigest()
        out.append(json.dumps(event, ensure_ascii=False))
    return out


def test_the_commands_make_show_prove_and_the_export_verifies_with_the_offline_module(
    custody, case, firearm, tmp_path: Path
):
    grow(custody, case, firearm, 3)
    url = custody.engine.url.render_as_string(hide_password=False)
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": "", "CUSTODY_CHECKPOINT_KEY": str(tmp_path / "key")}
    made = CliRunner().invoke(cli, ["checkpoint", "keygen", ORIGIN, "--out", str(tmp_path / "key")], env=env)
    assert made.exit_code == 0, made.output
    verifier = json.loads(made.output)["verifier_key"]
    assert stat.S_IMODE(os.stat(tmp_path / "key").st_mode) == 0o600
    again = CliRunner().invoke(cli, ["checkpoint", "keygen", ORIGIN, "--out", str(tmp_path / "key")], env=env)
    assert again.exit_code == 2 and "never overwritten" in again.output
    signed = CliRunner().invoke(cli, ["checkpoint", "make"], env=env)
    assert signed.exit_code == 0, signed.output
    size = json.loads(signed.output)["tree_size"]
    note = CliRunner().invoke(cli, ["checkpoint", "show", "--note"], env=env)
    (tmp_path / "checkpoint").write_text(note.output, encoding="utf-8")
    proved = CliRunner().invoke(cli, ["checkpoint", "prove", "2"], env=env)
    assert json.loads(proved.output)["tree_size"] == size
    (tmp_path / "export.jsonl").write_text("\n".join(export_lines(custody)) + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "custody.verify_export",
        str(tmp_path / "export.jsonl"),
        "--key",
        verifier,
    ]
    good = subprocess.run(
        [*command, "--checkpoint", str(tmp_path / "checkpoint")], check=False, capture_output=True, text=True
    )
    assert good.returncode == 0 and json.loads(good.stdout)["ok"] is True, good.stdout + good.stderr
    other = NoteSigner.generate(ORIGIN)
    wrong_key = [*command[:-1], str(other.verifier), "--checkpoint", str(tmp_path / "checkpoint")]
    refused = subprocess.run(wrong_key, check=False, capture_output=True, text=True)
    assert refused.returncode == 2 and "no signature" in json.loads(refused.stdout)["error"]
    os.chmod(tmp_path / "key", 0o644)
    too_open = CliRunner().invoke(cli, ["checkpoint", "make"], env=env)
    assert too_open.exit_code == 1 and "must be 0600" in too_open.output


def test_the_schedule_signs_at_start_and_again_as_the_ledger_grows(custody, case, firearm, signer, caplog):
    import time

    from custody.checkpoint_schedule import CheckpointSchedule

    grow(custody, case, firearm, 2)
    schedule = CheckpointSchedule(custody.checkpoints, signer, every_s=0.05)
    schedule.start()
    try:
        deadline = time.monotonic() + 30
        while not custody.checkpoints.issued() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [c.tree_size for c in custody.checkpoints.issued()] == [custody.ledger.head().seq]
        grow(custody, case, firearm, 1, start=2)
        head = custody.ledger.head().seq
        while custody.checkpoints.latest().tree_size < head and time.monotonic() < deadline:
            time.sleep(0.02)
        assert custody.checkpoints.latest().tree_size == head
    finally:
        schedule.stop()
    assert len(custody.checkpoints.issued()) == 2  # no tree signed twice


def test_a_turn_on_a_broken_ledger_is_logged_and_signs_nothing(custody, case, firearm, signer, caplog):
    from custody.checkpoint_schedule import CheckpointSchedule

    grow(custody, case, firearm, 2)
    with custody.engine.begin() as conn:
        if custody.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER custody_events_no_update"))
        else:
            conn.execute(text("ALTER TABLE custody_events DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE custody_events SET payload = '{}' WHERE seq = 2"))
    CheckpointSchedule(custody.checkpoints, signer, every_s=60).turn()
    assert custody.checkpoints.issued() == []
    assert "no checkpoint made" in caplog.text and "seq 2" in caplog.text


def test_the_service_refuses_to_start_with_a_key_others_may_read(custody, tmp_path, monkeypatch):
    from api.serving import service_app

    key = tmp_path / "key"
    NoteSigner.generate(ORIGIN).write(key)
    os.chmod(key, 0o640)
    monkeypatch.setenv("CUSTODY_CHECKPOINT_KEY", str(key))
    with pytest.raises(InvalidInput, match="must be 0600"):
        service_app(custody)
