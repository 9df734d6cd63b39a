"""The ledger is append-only in the database itself, and any alteration is found by verification."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from custody.db.ledger_store import append_event, record_event
from custody.errors import InvalidInput, UnrecordableEvent
from custody.ledger import ALL_COLUMNS, GENESIS_HASH, HASHED_COLUMNS, Head, event_hash
from custody.model import EventType
from custody.replay import replay
from custody.services import Custody
from custody_cli.main import cli


@pytest.fixture
def busy(custody: Custody, case, firearm) -> Custody:
    """A ledger of a few dozen events of every kind of act."""
    clerk = custody.users.actor("ng-clerk")
    custody.cases.open(clerk, "长南公刑字〔2026〕002号")
    numbers = [
        custody.items.register_firearm(clerk, case.case_no, firearm(f"S{i}")).evidence_no for i in range(8)
    ]
    for number in numbers[:3]:
        custody.items.check_out(clerk, number, 1, "lab", "刑侦技术室", "2026-04-01")
        custody.items.return_item(clerk, number, 2, "检验完毕")
    custody.items.transfer(clerk, numbers[3], 1, "220100", "移送")
    custody.items.correct(clerk, numbers[4], 1, {"calibre": "7.62×25mm"}, "口径笔误")
    custody.cases.close(clerk, case.case_no)
    offered = custody.handovers.offer(clerk, case.case_no, "ng-custodian", numbers[5:])
    custody.handovers.accept(custody.users.actor("ng-custodian"), offered.id)
    return custody


def test_update_and_delete_are_refused_by_the_database(busy):
    for statement in (
        "UPDATE custody_events SET payload = '{}' WHERE seq = 3",
        "DELETE FROM custody_events WHERE seq = 3",
    ):
        with pytest.raises(DatabaseError, match="append-only"), busy.engine.begin() as conn:
            conn.execute(text(statement))
    assert busy.ledger.verify().ok


def test_truncate_is_refused_on_postgresql(busy):
    if busy.engine.dialect.name != "postgresql":
        assert busy.engine.dialect.name == "sqlite"  # SQLite has no TRUNCATE; DELETE is covered above
        return
    with pytest.raises(DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(text("TRUNCATE custody_events CASCADE"))
    assert busy.ledger.verify().events > 0


class LedgerCopy:
    """A copy of the database whose ledger triggers are off, as someone with file or superuser access has."""

    def __init__(self, busy: Custody, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.source = busy
        self.url = busy.engine.url
        self.dialect = busy.engine.dialect.name
        self.request = request
        self.tmp_path = tmp_path
        self.made: list[str] = []

    def make(self) -> str:
        self.source.writer.close()
        self.source.engine.dispose()
        n = len(self.made)
        if self.dialect == "sqlite":
            target = self.tmp_path / f"copy{n}.sqlite"
            shutil.copyfile(self.url.database, target)
            url = f"sqlite:///{target}"
            with create_engine(url).begin() as conn:
                conn.execute(text("DROP TRIGGER custody_events_no_update"))
                conn.execute(text("DROP TRIGGER custody_events_no_delete"))
        else:
            server = self.request.getfixturevalue("postgres")
            name = server.create(template=self.url.database)
            url = server.database_url(name)
            with create_engine(url).begin() as conn:
                conn.execute(text("ALTER TABLE custody_events DISABLE TRIGGER USER"))
        self.made.append(url)
        return url

    def cleanup(self) -> None:
        if self.dialect == "postgresql":
            server = self.request.getfixturevalue("postgres")
            for url in self.made:
                server.drop(make_url(url).database)


@pytest.fixture
def copies(busy, request, tmp_path) -> Iterator[LedgerCopy]:
    copy = LedgerCopy(busy, request, tmp_path)
    yield copy
    copy.cleanup()


def verify_copy(url: str, expect_head: Head | None = None, expect_history: dict[int, str] | None = None):
    service = Custody.open(url)
    try:
        return service.ledger.verify(expect_head, expect_history)
    finally:
        service.close()


def rows(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [
            tuple(r)
            for r in conn.execute(text(f"SELECT {', '.join(ALL_COLUMNS)} FROM custody_events ORDER BY seq"))
        ]
    engine.dispose()
    return found


def altered(value: object, position: int) -> object:
    """``value`` with one character (or digit) changed."""
    if value is None:
        return 1
    if isinstance(value, int):
        return value + 1
    chars = list(str(value))
    i = position % len(chars) if chars else 0
    if not chars:
        return "x"
    chars[i] = "0" if chars[i] != "0" else "1"
    return "".join(chars)


REFERENCES = {"item_id", "case_id", "actor_id", "witness_id"}


def altered_reference(value: object) -> int:
    """Another row that exists (foreign keys hold in the copy too)."""
    return 1 if value != 1 else 2


def write(url: str, statement: str, params: dict | None = None) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement), params or {})
    engine.dispose()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_changing_one_character_of_any_column_names_that_seq(copies, data):
    url = copies.make()
    events = rows(url)
    seq = data.draw(st.integers(1, len(events)), label="seq")
    column = data.draw(st.sampled_from([c for c in ALL_COLUMNS if c != "seq"]), label="column")
    position = data.draw(st.integers(0, 200), label="position")
    original = events[seq - 1][ALL_COLUMNS.index(column)]
    new = altered_reference(original) if column in REFERENCES else altered(original, position)
    write(url, f"UPDATE custody_events SET {column} = :v WHERE seq = :s", {"v": new, "s": seq})
    result = verify_copy(url)
    assert not result.ok
    assert result.first_bad_seq == seq, result.reason


@pytest.mark.parametrize("column", [c for c in ALL_COLUMNS if c != "seq"])
def test_every_column_is_covered(copies, column):
    url = copies.make()
    events = rows(url)
    seq = len(events) // 2
    original = events[seq - 1][ALL_COLUMNS.index(column)]
    new = altered_reference(original) if column in REFERENCES else altered(original, 7)
    write(url, f"UPDATE custody_events SET {column} = :v WHERE seq = :s", {"v": new, "s": seq})
    result = verify_copy(url)
    assert (result.ok, result.first_bad_seq) == (False, seq)


def test_a_deleted_event_is_named(copies):
    url = copies.make()
    write(url, "DELETE FROM custody_events WHERE seq = 7")
    result = verify_copy(url)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 7, "seq 7 missing")


def test_two_swapped_events_are_found(copies):
    url = copies.make()
    events = rows(url)
    a, b = events[4], events[9]
    columns = [c for c in ALL_COLUMNS if c != "seq"]
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    write(url, "DELETE FROM custody_events WHERE seq IN (5, 10)")
    for seq, source in ((5, b), (10, a)):
        values = dict(zip(ALL_COLUMNS, source, strict=True))
        values["seq"] = seq
        write(
            url,
            f"INSERT INTO custody_events ({', '.join(ALL_COLUMNS)}) VALUES "
            f"({', '.join(':' + c for c in ALL_COLUMNS)})",
            values,
        )
    assert assignments  # all columns moved
    result = verify_copy(url)
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_events_cut_off_the_end_are_caught_with_the_expected_head(busy, copies):
    head = busy.ledger.head()
    url = copies.make()
    write(url, f"DELETE FROM custody_events WHERE seq > {head.seq - 3}")
    assert verify_copy(url).ok  # without a head recorded elsewhere, a shorter chain is self-consistent
    result = verify_copy(url, head)
    assert (result.ok, result.first_bad_seq) == (False, head.seq - 2)


def test_a_wrong_expected_head_is_a_head_mismatch_naming_no_seq(busy):
    head = busy.ledger.head()
    result = busy.ledger.verify(Head(head.seq, "f" * 64))
    assert (result.ok, result.head_mismatch, result.first_bad_seq) == (False, True, None)
    report = result.as_dict()
    assert "first_bad_seq" not in report
    assert report["found_head"] == str(head) and report["head"] == str(head)
    assert busy.ledger.verify(head).ok


def run_cli(url: str, *args: str, user: str | None = None, password: str = ""):
    """`custody ARGS`; with ``user``, acting as that user, who proves it with ``password`` on stdin."""
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    if user is None:
        return CliRunner().invoke(cli, list(args), env=env)
    return CliRunner().invoke(cli, ["--as", user, "--password-stdin", *args], env=env, input=password + "\n")


def test_cli_verify_prints_one_json_line_and_exits_non_zero_on_tampering(busy, copies):
    good = run_cli(busy.engine.url.render_as_string(hide_password=False), "ledger", "verify")
    assert good.exit_code == 0 and json.loads(good.output)["ok"] is True
    url = copies.make()
    write(url, "UPDATE custody_events SET payload = replace(payload, '7.62', '9.00') WHERE seq = 4")
    bad = run_cli(url, "ledger", "verify")
    assert bad.exit_code == 1
    report = json.loads(bad.output.strip().splitlines()[-1])
    assert report["ok"] is False and report["first_bad_seq"] == 4 and "hash" in report["reason"]


def test_cli_head_and_expect_head(busy, copies):
    url0 = busy.engine.url.render_as_string(hide_password=False)
    head = json.loads(run_cli(url0, "ledger", "head").output)
    url = copies.make()
    write(url, f"DELETE FROM custody_events WHERE seq = {head['seq']}")
    result = run_cli(url, "ledger", "verify", "--expect-head", head["head"])
    assert result.exit_code == 1
    assert json.loads(result.output)["first_bad_seq"] == head["seq"]


@pytest.mark.parametrize("command", ["export", "replay"])
def test_export_and_replay_need_an_authenticated_province_reader(passwords, busy, command):
    url = busy.engine.url.render_as_string(hide_password=False)
    nobody = run_cli(url, "ledger", command)
    assert nobody.exit_code != 0 and '"seq"' not in nobody.output and '"ok"' not in nobody.output
    wrong = run_cli(url, "ledger", command, user="admin", password="not the password")
    assert wrong.exit_code != 0 and '"seq"' not in wrong.output and '"ok"' not in wrong.output
    county = run_cli(url, "ledger", command, user="ng-auditor", password=passwords)
    assert county.exit_code != 0 and "province" in county.output and '"seq"' not in county.output
    clerk = run_cli(url, "ledger", command, user="prov-clerk", password=passwords)
    assert clerk.exit_code != 0 and "needs role" in clerk.output
    admin = run_cli(url, "ledger", command, user="admin", password=passwords)
    assert admin.exit_code == 0


def test_replay_equals_stored_state_and_finds_a_changed_item_row(passwords, busy, copies):
    events, differences = replay(busy.store)
    assert events == busy.ledger.head().seq and differences == []
    url = copies.make()
    write(url, "UPDATE items SET state = 'registered', version = 1 WHERE id = 6")
    cli_result = run_cli(url, "ledger", "replay", user="admin", password=passwords)
    assert cli_result.exit_code == 1
    lines = [json.loads(line) for line in cli_result.output.strip().splitlines()]
    assert {line["field"] for line in lines[:-1]} == {"state", "version"}
    assert lines[-1]["ok"] is False


def test_a_value_that_does_not_decode_is_a_bad_event(busy, copies):
    if busy.engine.dialect.name != "sqlite":
        return  # PostgreSQL refuses invalid UTF-8 on write; nothing to store
    url = copies.make()
    write(url, "UPDATE custody_events SET payload = CAST(X'7B22FF227D' AS TEXT) WHERE seq = 6")
    result = verify_copy(url)
    assert (result.ok, result.first_bad_seq) == (False, 6)


def rechain(url: str, from_seq: int, payload: str) -> None:
    """Rewrite the event at ``from_seq`` and every hash after it: a chain consistent in itself, as
    someone with write access to the database and this documented encoding could make."""
    events = rows(url)
    prev = events[from_seq - 2][-1] if from_seq > 1 else GENESIS_HASH
    for row in events[from_seq - 1 :]:
        values = dict(zip(ALL_COLUMNS, row, strict=True))
        if values["seq"] == from_seq:
            values["payload"] = payload
        values["prev_hash"] = prev
        values["hash"] = event_hash([values[c] for c in HASHED_COLUMNS])
        write(
            url,
            "UPDATE custody_events SET payload = :payload, prev_hash = :prev_hash, hash = :hash "
            "WHERE seq = :seq",
            values,
        )
        prev = values["hash"]


def test_a_rewrite_from_an_early_seq_is_a_head_mismatch_and_the_history_names_where_it_starts(
    passwords, busy, copies, tmp_path
):
    url0 = busy.engine.url.render_as_string(hide_password=False)
    export = run_cli(url0, "ledger", "export", user="admin", password=passwords)
    assert export.exit_code == 0
    history = tmp_path / "history.jsonl"
    history.write_text(export.output, encoding="utf-8")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("".join(f"{r[0]}:{r[-1]}\n" for r in rows(url0)), encoding="utf-8")
    head = busy.ledger.head()
    url = copies.make()
    rechain(url, 5, '{"note":"rewritten"}')
    assert verify_copy(url).ok  # consistent in itself: only something recorded earlier tells

    by_head = run_cli(url, "ledger", "verify", "--expect-head", str(head))
    assert by_head.exit_code == 1
    report = json.loads(by_head.output)
    stored = rows(url)
    assert report["head_mismatch"] is True and "first_bad_seq" not in report
    assert report["expected_head"] == str(head)
    assert report["found_head"] == f"{head.seq}:{stored[head.seq - 1][-1]}"
    assert report["head"] == f"{stored[-1][0]}:{stored[-1][-1]}"

    for recorded in (history, pairs):
        by_history = run_cli(url, "ledger", "verify", "--expect-history", str(recorded))
        assert by_history.exit_code == 1
        found = json.loads(by_history.output)
        assert found["first_differing_seq"] == 5 and "first_bad_seq" not in found


def test_the_expected_history_names_events_cut_off_the_end(busy, copies):
    history = {row[0]: row[-1] for row in rows(busy.engine.url.render_as_string(hide_password=False))}
    last = max(history)
    url = copies.make()
    write(url, f"DELETE FROM custody_events WHERE seq > {last - 2}")
    result = verify_copy(url, expect_history=history)
    assert (result.ok, result.first_differing_seq, result.first_bad_seq) == (False, last - 1, None)
    assert busy.ledger.verify(expect_history=history).ok


def test_a_history_file_that_is_not_one_is_refused_before_verifying(busy, tmp_path):
    url = busy.engine.url.render_as_string(hide_password=False)
    bad = tmp_path / "history.txt"
    bad.write_text(f"1:{'0' * 64}\nnot a hash\n", encoding="utf-8")
    result = run_cli(url, "ledger", "verify", "--expect-history", str(bad))
    assert result.exit_code == 2 and "line 2" in result.output


def test_replace_into_the_ledger_is_refused_by_the_database(busy):
    columns = ", ".join(ALL_COLUMNS)
    changed = columns.replace("payload", "'{}'")
    if busy.engine.dialect.name == "sqlite":
        statement = (
            f"REPLACE INTO custody_events ({columns}) SELECT {changed} FROM custody_events WHERE seq = 3"
        )
    else:
        statement = (
            f"INSERT INTO custody_events ({columns}) SELECT {columns} FROM custody_events WHERE seq = 3 "
            "ON CONFLICT (seq) DO UPDATE SET payload = '{}'"
        )
    with pytest.raises(DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(text(statement))
    assert busy.ledger.verify().ok


def test_replay_passes_events_about_no_item(busy):
    event = {
        "recorded_at_us": 1,
        "event_type": "sighted",
        "actor_id": None,
        "unit_code": "220102",
        "station": "ng-desk-1",
        "device": "scanner-1",
        "payload": "{}",
    }
    busy.writer.submit(lambda conn: append_event(conn, event))
    events, differences = replay(busy.store)
    assert (events, differences) == (busy.ledger.head().seq, [])


def test_a_value_the_chain_cannot_encode_is_refused_and_writes_nothing(custody, gun):
    """A lone surrogate cannot be encoded as UTF-8 for the hash: the act is refused as invalid input
    (422 at the API, not a 500) and nothing of it is written."""
    clerk = custody.users.actor("ng-clerk")
    head = custody.ledger.head()
    with pytest.raises(UnrecordableEvent, match="not valid Unicode") as refused:
        custody.items.bind_tag(clerk, gun.evidence_no, 1, "04C0FFEE000001", tag_type="NTAG\ud800")
    assert isinstance(refused.value, InvalidInput)
    assert custody.ledger.head() == head
    assert custody.items.item(None, gun.evidence_no).version == 1
    assert custody.items.item(None, gun.evidence_no).tag_uid is None


def test_the_ledger_row_builder_refuses_a_payload_that_is_not_json(custody, gun):
    head = custody.ledger.head()

    def change(conn):
        return record_event(
            conn,
            EventType.SIGHTED,
            custody.store.now_us(),
            actor_id=None,
            unit_code="220102",
            payload={"codes": {"a", "b"}},
        )

    with pytest.raises(UnrecordableEvent, match="not JSON"):
        custody.store.write(change)
    assert custody.ledger.head() == head
