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

from custody.ledger import ALL_COLUMNS, Head
from custody.replay import replay
from custody.services import Custody
from custody_cli.main import cli


@pytest.fixture
def busy(custody: Custody, case, firearm) -> Custody:
    """A ledger of a few dozen events of every kind of act."""
    clerk = custody.actor("ng-clerk")
    custody.open_case(clerk, "长南公刑字〔2026〕002号")
    numbers = [
        custody.register_firearm(clerk, case["case_no"], firearm(f"S{i}"))["evidence_no"] for i in range(8)
    ]
    for number in numbers[:3]:
        custody.check_out(clerk, number, 1, "lab", "刑侦技术室", "2026-04-01")
        custody.return_item(clerk, number, 2, "检验完毕")
    custody.transfer(clerk, numbers[3], 1, "220100", "移送")
    custody.correct(clerk, numbers[4], 1, {"calibre": "7.62×25mm"}, "口径笔误")
    custody.close_case(clerk, case["case_no"])
    for number in numbers[5:]:
        custody.hand_over(clerk, number, 1, "ng-custodian")
    return custody


def test_update_and_delete_are_refused_by_the_database(busy):
    for statement in (
        "UPDATE custody_events SET payload = '{}' WHERE seq = 3",
        "DELETE FROM custody_events WHERE seq = 3",
    ):
        with pytest.raises(DatabaseError, match="append-only"), busy.engine.begin() as conn:
            conn.execute(text(statement))
    assert busy.verify().ok


def test_truncate_is_refused_on_postgresql(busy):
    if busy.engine.dialect.name != "postgresql":
        assert busy.engine.dialect.name == "sqlite"  # SQLite has no TRUNCATE; DELETE is covered above
        return
    with pytest.raises(DatabaseError, match="append-only"), busy.engine.begin() as conn:
        conn.execute(text("TRUNCATE custody_events CASCADE"))
    assert busy.verify().events > 0


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


def verify_copy(url: str, expect_head: Head | None = None):
    service = Custody.open(url)
    try:
        return service.verify(expect_head)
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
    head = busy.head()
    url = copies.make()
    write(url, f"DELETE FROM custody_events WHERE seq > {head.seq - 3}")
    assert verify_copy(url).ok  # without a head recorded elsewhere, a shorter chain is self-consistent
    result = verify_copy(url, head)
    assert (result.ok, result.first_bad_seq) == (False, head.seq - 2)


def test_a_wrong_expected_head_is_refused(busy):
    head = busy.head()
    result = busy.verify(Head(head.seq, "f" * 64))
    assert (result.ok, result.first_bad_seq) == (False, head.seq)
    assert busy.verify(head).ok


def run_cli(url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"CUSTODY_DATABASE_URL": url})


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


def test_replay_equals_stored_state_and_finds_a_changed_item_row(busy, copies):
    events, differences = replay(busy.engine)
    assert events == busy.head().seq and differences == []
    url = copies.make()
    write(url, "UPDATE items SET state = 'registered', version = 1 WHERE id = 6")
    cli_result = run_cli(url, "ledger", "replay")
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
