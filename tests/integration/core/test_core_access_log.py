"""The access log's hash chain: every entry linked to the one before it, verified like the ledger, and
the entries written before the chain existed chained by the migration that adds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from custody.access_log import Access, AccessLog
from custody.db.migrate import upgrade
from custody.ledger import Head
from custody.services import Custody
from custody_cli.main import cli


@pytest.fixture
def log(custody: Custody) -> AccessLog:
    """An access log of six requests."""
    access_log = AccessLog(custody)
    for status in (200, 200, 404, 200, 201, 403):
        access_log.record(Access("user", "GET", "/api/v1/items", "/api/v1/items", status, unit_code="220102"))
    return access_log


def tamper(custody: Custody, statement: str) -> None:
    """Run ``statement`` with the append-only triggers off, as someone with file or superuser access."""
    with custody.engine.begin() as conn:
        if custody.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER access_log_no_update"))
            conn.execute(text("DROP TRIGGER access_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
        conn.execute(text(statement))


def test_every_entry_is_chained_and_the_chain_verifies(log):
    result = log.verify()
    assert (result.ok, result.events, result.head) == (True, 6, log.head())
    assert log.head().seq == 6


def test_a_rewritten_entry_is_named_by_its_seq(custody, log):
    tamper(custody, "UPDATE access_log SET status = 403, client = '1.2.3.4' WHERE seq = 3")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 3) and "hash" in (result.reason or "")


def test_a_removed_entry_breaks_the_link_of_the_next(custody, log):
    tamper(custody, "DELETE FROM access_log WHERE seq = 4")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 5) and "prev_hash" in (result.reason or "")


def test_entries_cut_off_the_end_are_found_against_a_head_recorded_earlier(custody, log):
    head = log.head()
    tamper(custody, "DELETE FROM access_log WHERE seq > 4")
    assert log.verify().ok
    result = log.verify(head)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert log.verify(Head(4, "0" * 64)).head_mismatch


def test_an_entry_of_an_unknown_hash_version_is_named(custody, log):
    tamper(custody, "UPDATE access_log SET hash_version = 2 WHERE seq = 2")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2) and "version" in (result.reason or "")


def test_replace_into_the_access_log_is_refused_by_the_database(custody, log):
    if custody.engine.dialect.name == "sqlite":
        statement = (
            "REPLACE INTO access_log SELECT seq, at_us, caller, user_id, station_id, unit_code, device, "
            "'1.2.3.4', method, route, path, query, 403, note, prev_hash, hash_version, hash "
            "FROM access_log WHERE seq = 2"
        )
    else:
        statement = (
            "INSERT INTO access_log SELECT * FROM access_log WHERE seq = 2 "
            "ON CONFLICT (seq) DO UPDATE SET status = 403, client = '1.2.3.4'"
        )
    with pytest.raises(DatabaseError, match="append-only"), custody.engine.begin() as conn:
        conn.execute(text(statement))
    with custody.engine.connect() as conn:
        assert conn.execute(text("SELECT status, client FROM access_log WHERE seq = 2")).one() == (200, "")
    assert log.verify().ok


def run_cli(custody: Custody, *args: str):
    url = custody.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, list(args), env={"CUSTODY_DATABASE_URL": url})


def test_cli_verify_prints_one_json_line_and_exits_non_zero_on_tampering(custody, log):
    head = json.loads(run_cli(custody, "access-log", "head").output)
    assert head["head"] == str(log.head())
    good = run_cli(custody, "access-log", "verify", "--expect-head", head["head"])
    assert good.exit_code == 0 and json.loads(good.output) == {"ok": True, "events": 6, "head": head["head"]}
    tamper(custody, "UPDATE access_log SET query = 'q=x' WHERE seq = 5")
    bad = run_cli(custody, "access-log", "verify")
    assert bad.exit_code == 1 and json.loads(bad.output)["first_bad_seq"] == 5


@pytest.fixture(params=["sqlite", "postgresql"])
def url_at_0002(request: pytest.FixtureRequest, tmp_path: Path):
    """An empty database migrated to 0002 only, on each back end."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
        engine = Custody.open(url).engine
        upgrade(engine, "0002")
        engine.dispose()
        yield url
        return
    server = request.getfixturevalue("postgres")
    name = server.create()
    url = server.database_url(name)
    custody = Custody.open(url)
    upgrade(custody.engine, "0002")
    custody.close()
    yield url
    server.drop(name)


def test_the_upgrade_chains_the_entries_already_written_and_keeps_cases_and_their_items(url_at_0002):
    from custody.model import Department, Role
    from custody.units import read_units

    custody = Custody.open(url_at_0002)
    try:
        custody.units.import_units(None, read_units())
        clerk = custody.users.add("ng-clerk", "南关", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
        engine = create_engine(url_at_0002)
        with engine.begin() as conn:  # a case and its item as the schema of 0002 holds them
            conn.execute(
                text(
                    "INSERT INTO cases (case_no, unit_code, title, status, opened_at_us, version) "
                    "VALUES ('C-1', '220102', '', 'open', 1, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO items (evidence_no, kind, case_id, unit_code, state, version, "
                    "registered_at_us, description, serial_number) SELECT 'F220102202600000174', 'F', id, "
                    "'220102', 'registered', 1, 1, '', '5401123' FROM cases WHERE case_no = 'C-1'"
                )
            )
            for seq in (1, 2, 5):  # a gap: a write rolled back before the chain existed
                conn.execute(
                    text(
                        "INSERT INTO access_log (seq, at_us, caller, unit_code, device, client, method, "
                        "route, path, query, status) VALUES (:s, 1, 'user', '220102', '', '', 'GET', "
                        "'/api/v1/items', '/api/v1/items', '', 200)"
                    ),
                    {"s": seq},
                )
        engine.dispose()
        custody.writer.close()
        upgrade(custody.engine)
        log = AccessLog(custody)
        assert (log.verify().ok, log.verify().events) == (True, 3)
        log.record(Access("user", "GET", "/api/v1/units", "/api/v1/units", 200, unit_code="220102"))
        assert (log.verify().ok, log.head().seq) == (True, 6)
        assert custody.ledger.verify().ok
        assert [i.serial_number for i in custody.cases.get(clerk, "C-1").items] == ["5401123"]
        kc = custody.users.add("kc-clerk", "宽城", "220103", Department.EVIDENCE_ROOM, {Role.CLERK})
        assert custody.cases.open(kc, "C-1").unit_code == "220103"  # unique per owning unit now
    finally:
        custody.close()
