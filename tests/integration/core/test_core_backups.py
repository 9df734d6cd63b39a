"""Backups taken while intake goes on, restored into an empty database and reported good only once
proven: the ledger verifies, every item comes back as it was, and the tree is consistent with the
latest checkpoint (the events the backup lacks counted). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from custody.backups import backup, restore
from custody.errors import InvalidInput, LedgerError
from custody.services import Custody
from custody.tlog import NoteSigner
from custody.verify_export import Checkpoint
from custody_cli.main import cli


@pytest.fixture
def empty_url(custody: Custody, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same back end as ``custody``."""
    if custody.engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    server = request.getfixturevalue("postgres")
    name = server.create()
    yield server.database_url(name)
    server.drop(name)


def items_of(custody: Custody) -> dict[str, tuple[str, int, int]]:
    with custody.engine.connect() as conn:
        rows = conn.execute(text("SELECT evidence_no, state, version, id FROM items")).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_a_backup_taken_during_intake_restores_verified_with_every_item_as_it_was(
    custody: Custody, case, firearm, tmp_path: Path, empty_url: str
):
    clerk = custody.users.actor("ng-clerk")
    for i in range(5):
        custody.items.register_firearm(clerk, case.case_no, firearm(f"BK{i}"))
    stop = threading.Event()
    registered: list[str] = []

    def intake() -> None:
        n = 0
        while not stop.is_set() and n < 400:
            registered.append(
                str(custody.items.register_firearm(clerk, case.case_no, firearm(f"BI{n}")).evidence_no)
            )
            n += 1

    worker = threading.Thread(target=intake)
    worker.start()
    try:
        while len(registered) < 5:
            stop.wait(0.01)
        made = backup(custody.engine, tmp_path / "backup.db")
    finally:
        stop.set()
        worker.join()
    assert made.bytes > 0 and len(made.sha256) == 64
    restored = restore(tmp_path / "backup.db", empty_url)
    back = Custody.open(empty_url)
    try:
        assert back.ledger.verify().ok and restored.events == back.ledger.head().seq
        source, copy = items_of(custody), items_of(back)
        assert 10 <= len(copy) <= len(source)
        assert all(source[number] == copy[number] for number in copy)  # every restored item as it was
        if made.head_seq is not None:
            assert made.head_seq == restored.events
    finally:
        back.close()


def test_a_restore_is_proven_against_the_latest_checkpoint_and_counts_what_the_backup_lacks(
    custody: Custody, case, firearm, tmp_path: Path, empty_url: str, request
):
    clerk = custody.users.actor("ng-clerk")
    signer = NoteSigner.generate("backup.test/ledger")
    for i in range(4):
        custody.items.register_firearm(clerk, case.case_no, firearm(f"BP{i}"))
    early = custody.checkpoints.make(signer)
    backup(custody.engine, tmp_path / "backup.db")
    size_at_backup = custody.ledger.head().seq
    for i in range(4, 9):
        custody.items.register_firearm(clerk, case.case_no, firearm(f"BP{i}"))
    late = custody.checkpoints.make(signer)
    note = Checkpoint.parse(signer.verifier.open(late.note))
    with pytest.raises(LedgerError, match="consistency proof from"):
        restore(tmp_path / "backup.db", empty_url, note)
    proof = custody.checkpoints.consistency(size_at_backup, late.tree_size)
    bad = [bytes.fromhex(p) for p in proof.proof]
    bad[0] = bytes(32)
    second = _another_empty(custody, request, tmp_path, "second")
    with pytest.raises(LedgerError, match="does not verify"):
        restore(tmp_path / "backup.db", second, note, bad)
    third = _another_empty(custody, request, tmp_path, "third")
    restored = restore(tmp_path / "backup.db", third, note, [bytes.fromhex(p) for p in proof.proof])
    assert (restored.missing, restored.proven_by) == (late.tree_size - size_at_backup, "consistency-proof")
    fourth = _another_empty(custody, request, tmp_path, "fourth")
    reached = restore(tmp_path / "backup.db", fourth, Checkpoint.parse(signer.verifier.open(early.note)))
    assert (reached.missing, reached.proven_by) == (0, "root")


def _another_empty(custody: Custody, request, tmp_path: Path, name: str) -> str:
    if custody.engine.dialect.name == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.sqlite')}"
    server = request.getfixturevalue("postgres")
    made = server.create()
    request.addfinalizer(lambda: server.drop(made))
    return str(server.database_url(made))


def test_a_backup_never_overwrites_and_a_restore_needs_an_empty_database_and_a_backup(
    custody: Custody, tmp_path: Path, empty_url: str
):
    (tmp_path / "taken").write_text("keep me")
    with pytest.raises(InvalidInput, match="never overwrites"):
        backup(custody.engine, tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "keep me"
    backup(custody.engine, tmp_path / "backup.db")
    with pytest.raises(InvalidInput, match="not empty"):
        restore(tmp_path / "backup.db", custody.engine.url.render_as_string(hide_password=False))
    (tmp_path / "garbage").write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInput):
        restore(tmp_path / "garbage", empty_url)


def test_only_a_province_auditor_or_administrator_backs_up_on_the_command_line(
    custody: Custody, passwords: str, tmp_path: Path
):
    url = custody.engine.url.render_as_string(hide_password=False)
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    refused = CliRunner().invoke(
        cli,
        ["--as", "ng-clerk", "--password-stdin", "backup", str(tmp_path / "a.db")],
        env=env,
        input=passwords + "\n",
    )
    assert refused.exit_code == 1 and not (tmp_path / "a.db").exists()
    made = CliRunner().invoke(
        cli,
        ["--as", "admin", "--password-stdin", "backup", str(tmp_path / "b.db")],
        env=env,
        input=passwords + "\n",
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output.strip().splitlines()[-1])["bytes"] > 0


def test_the_restore_command_proves_the_backup_with_the_checkpoint_note_and_key(
    custody: Custody, case, firearm, tmp_path: Path, empty_url: str
):
    clerk = custody.users.actor("ng-clerk")
    custody.items.register_firearm(clerk, case.case_no, firearm("BC1"))
    signer = NoteSigner.generate("backup.test/ledger")
    backup(custody.engine, tmp_path / "backup.db")
    made = custody.checkpoints.make(signer)
    (tmp_path / "note").write_text(made.note, encoding="utf-8")
    env = {"CUSTODY_DATABASE_URL": empty_url, "CUSTODY_USER": ""}
    args = ["restore", str(tmp_path / "backup.db"), "--checkpoint", str(tmp_path / "note")]
    lonely = CliRunner().invoke(cli, args, env=env)
    assert lonely.exit_code == 2 and "go together" in lonely.output
    wrong = CliRunner().invoke(cli, [*args, "--key", str(NoteSigner.generate("x").verifier)], env=env)
    assert wrong.exit_code == 2 and "no signature" in wrong.output
    done = CliRunner().invoke(cli, [*args, "--key", str(signer.verifier)], env=env)
    assert done.exit_code == 0, done.output
    report = json.loads(done.output.strip().splitlines()[-1])
    assert (report["ok"], report["missing"], report["proven_by"]) == (True, 0, "root")


def test_a_backup_holds_the_photos_of_a_destruction_site_byte_for_byte(
    custody: Custody, tmp_path: Path, empty_url: str
):
    import hashlib

    from destruction_world import APPROVER, OFFICER, add_people, approved_batch

    from custody.model import Department, Role

    add_people(custody)
    custody.users.add(
        APPROVER, "省厅销毁专员二", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    batch_id, [[gun, _ammo]] = approved_batch(custody)
    officer = custody.users.actor(OFFICER)
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    kept = custody.batch_photos.add(officer, batch_id, gun, "before", jpeg)
    backup(custody.engine, tmp_path / "backup.db")
    restored = restore(tmp_path / "backup.db", empty_url)
    assert restored.events == custody.ledger.head().seq
    again = Custody.open(empty_url)
    try:
        photo, content = again.batch_photos.content(None, batch_id, kept.sha256)
        assert (photo, hashlib.sha256(content).hexdigest()) == (kept, kept.sha256)
        assert content == jpeg
    finally:
        again.close()
