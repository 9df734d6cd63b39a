"""Moving a county's SQLite store into an empty provincial database (PostgreSQL, and SQLite as well):
every event kept in the county's order and re-chained, the chain verifying and the replay agreeing with
the copied records, every item's state, custodian, place and seal equal, the county's old head and
count in the import event, the county's export kept and verifying against its old head. Refused with
nothing written: a store moved twice (its usernames taken), a county chain that does not verify, a
county store on an older schema."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from store_import_world import county_store

from custody.clock import FixedClock
from custody.db.migrate import upgrade
from custody.db.unit_of_work import Store
from custody.errors import ImportRefused
from custody.model import Department, Role
from custody.services import Custody
from custody.store_import import import_county
from custody.units import read_units
from custody.verify_export import verify_export
from custody_cli.main import cli

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
COUNTY = "220100"  # Changchun: the city and its counties


@pytest.fixture(scope="module")
def county_file(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The county's store, built once (every test copies it)."""
    path = tmp_path_factory.mktemp("county") / "county.sqlite"
    shutil.copyfile(sqlite_template, path)
    clock = FixedClock(START)
    custody = Custody.open(f"sqlite:///{path}", clock)
    county_store(custody, clock)
    admin = custody.users.actor("admin")
    for username in ("ng-auditor", "admin"):  # of the county, and of the province above it
        custody.users.set_password(admin, username, "county password of the store")
    custody.close()
    return path


@pytest.fixture
def county(county_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "county.sqlite"
    shutil.copyfile(county_file, path)
    return path


@pytest.fixture(params=["postgresql", "sqlite"])
def province_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty provincial database: the schema, nothing else."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'province.sqlite'}"
    else:
        server = request.getfixturevalue("postgres")
        name = server.create()
        url = server.database_url(name)
    store = Store.open(url)
    upgrade(store.engine)
    store.close()
    yield url
    if request.param == "postgresql":
        server.drop(name)


def _records(custody: Custody) -> dict[str, tuple[Any, ...]]:
    """Every item as its record stands, ids replaced by what they name."""
    with custody.store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT i.evidence_no, i.kind, i.state, i.unit_code, i.version, i.location_code, i.seal_no, "
                "i.serial_number, i.quantity_rounds, u.username, c.case_no, s.evidence_no "
                "FROM items i JOIN cases c ON c.id = i.case_id "
                "LEFT JOIN users u ON u.id = i.custodian_user_id "
                "LEFT JOIN items s ON s.id = i.sample_of_item_id"
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _events(custody: Custody) -> list[tuple[Any, ...]]:
    """Every event as what it says: time, type, item, case, actor, witness, unit, payload without ids."""
    with custody.store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT e.recorded_at_us, e.event_type, i.evidence_no, c.case_no, a.username, w.username, "
                "e.unit_code, e.station, e.item_version FROM custody_events e "
                "LEFT JOIN items i ON i.id = e.item_id LEFT JOIN cases c ON c.id = e.case_id "
                "LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users w ON w.id = e.witness_id "
                "WHERE e.event_type <> 'store_imported' ORDER BY e.seq"
            )
        ).all()
    return [tuple(row) for row in rows]


def _count(custody: Custody, table: str) -> int:
    with custody.store.reading() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def _begun(province: Custody) -> None:
    """A province that holds records already: a case of Jilin city opened there."""
    province.units.import_units(None, read_units())
    clerk = province.users.add(
        "jl-province-clerk", "吉林市民警", "220200", Department.EVIDENCE_ROOM, {Role.CLERK}
    )
    province.cases.open(clerk, "JL-PROVINCE-1")


@pytest.mark.parametrize("begun", [False, True], ids=["empty", "begun"])
def test_a_county_store_moves_in_whole_and_re_chained(
    county: Path, province_url: str, tmp_path: Path, begun: bool
):
    before = Custody.open(f"sqlite:///{county}")
    county_head = before.ledger.head()
    records, events = _records(before), _events(before)
    tables = {t: _count(before, t) for t in ("users", "cases", "handovers", "seals", "audits", "audit_reads")}
    tables |= {t: _count(before, t) for t in ("destruction_batches", "destruction_photos", "discrepancies")}
    assert county_head.seq > 200 and len(records) > 40
    source = Store.open(f"sqlite:///{county}")
    province = Custody.open(province_url)
    if begun:
        _begun(province)
    base = province.ledger.head().seq
    held_before = {table: _count(province, table) for table in tables}
    moved = import_county(source, province.store, COUNTY, tmp_path / "kept")
    source.close()

    assert (moved.county_head, moved.county_events) == (county_head, county_head.seq)
    last = base + county_head.seq
    assert (moved.first_seq, moved.last_seq, moved.import_seq) == (base + 1, last, last + 1)
    verified = province.ledger.verify()
    assert verified.ok and verified.events == last + 1, verified
    count, differences = province.ledger.replay()
    assert count == last + 1 and not differences, differences[:5]
    assert _records(province) == records
    assert _events(province)[base:] == events
    # the correction names the registration it corrects, where that now stands
    with province.store.reading() as conn:
        corrected = conn.execute(
            text("SELECT payload FROM custody_events WHERE event_type = 'corrected' ORDER BY seq DESC")
        ).first()
        assert corrected is not None
        named = json.loads(corrected[0])["corrects_seq"]
        registered = conn.execute(
            text("SELECT event_type, payload FROM custody_events WHERE seq = :s"), {"s": named}
        ).one()
    assert registered[0] == "registered" and json.loads(registered[1])["serial_number"] == "54-1"
    for table, rows in tables.items():
        assert _count(province, table) - held_before[table] == rows, table
    # the points the batch and the audit closed at are the re-chained events'
    with province.store.reading() as conn:
        for table in ("destruction_batches", "audits"):
            for seq, digest in conn.execute(text(f"SELECT closed_seq, closed_hash FROM {table}")):
                stored = conn.execute(text("SELECT hash FROM custody_events WHERE seq = :s"), {"s": seq})
                assert stored.scalar_one() == digest, table
        payload = conn.execute(
            text("SELECT payload FROM custody_events WHERE event_type = 'store_imported'")
        ).scalar_one()
    note = json.loads(payload)
    assert note["county_head"] == {"seq": county_head.seq, "hash": county_head.hash}
    assert (note["county_events"], note["first_seq"], note["last_seq"]) == (county_head.seq, base + 1, last)
    assert note["county_unit"] == COUNTY
    assert note["export_sha256"] == moved.export_sha256
    # the county's export, kept: its original evidence, verifying against its old head
    lines = moved.export.read_text(encoding="utf-8").splitlines()
    assert len(lines) == county_head.seq
    report = verify_export(lines, [])
    assert report.ok and report.events == county_head.seq, report.as_dict()
    assert json.loads(lines[-1])["hash"] == county_head.hash
    # the county's users come with their passwords; those of units outside it come without any
    assert province.users.actor("ng-auditor").unit_code == "220102"
    assert "admin" in moved.locked_users and "jl-clerk" in moved.locked_users
    assert "ng-auditor" not in moved.locked_users
    with province.store.reading() as conn:
        held = set(
            conn.execute(
                text("SELECT u.username FROM users u JOIN user_credentials c ON c.user_id = u.id")
            ).scalars()
        )
    assert "ng-auditor" in held and "admin" not in held and not held & set(moved.locked_users)
    # the access log's export is kept beside the ledger's
    assert moved.export.with_name(moved.export.name.replace(".jsonl", ".access.jsonl")).is_file()
    province.close()
    before.close()


def test_a_store_moved_twice_is_refused_and_nothing_is_written(
    county: Path, province_url: str, tmp_path: Path
):
    source = Store.open(f"sqlite:///{county}")
    province = Custody.open(province_url)
    import_county(source, province.store, COUNTY, tmp_path / "kept")
    head, users = province.ledger.head(), _count(province, "users")
    with pytest.raises(ImportRefused) as again:
        import_county(source, province.store, COUNTY, tmp_path / "kept2")
    assert again.value.key == "import.taken" and "ng-auditor" in str(again.value)
    assert not list((tmp_path / "kept2").glob("*"))  # no export of a move not made
    assert (province.ledger.head(), _count(province, "users")) == (head, users)
    source.close()
    province.close()


def test_a_county_chain_that_does_not_verify_is_refused(county: Path, province_url: str, tmp_path: Path):
    raw = sqlite3.connect(county)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        raw.execute(f"DROP TRIGGER {name}")
    first = "(SELECT MIN(seq) FROM custody_events WHERE payload LIKE '%手枪%')"
    raw.execute(f"UPDATE custody_events SET payload = replace(payload, '手枪', '步枪') WHERE seq = {first}")
    raw.commit()
    raw.close()
    source = Store.open(f"sqlite:///{county}")
    province = Custody.open(province_url)
    with pytest.raises(ImportRefused) as refused:
        import_county(source, province.store, COUNTY, tmp_path / "kept")
    assert refused.value.key == "import.not_verified"
    assert province.ledger.head().seq == 0 and _count(province, "items") == 0
    assert not (tmp_path / "kept").exists()
    source.close()
    province.close()


def test_the_command_moves_a_county_and_prints_what_it_did(county: Path, province_url: str, tmp_path: Path):
    runner = CliRunner()
    env = {"CUSTODY_DATABASE_URL": province_url, "CUSTODY_USER": ""}
    done = runner.invoke(
        cli, ["db", "import-county", str(county), "--unit", COUNTY, "--keep", str(tmp_path / "kept")], env=env
    )
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert answer["ok"] and answer["import_seq"] == answer["last_seq"] + 1
    assert Path(answer["export"]).is_file()
    again = runner.invoke(
        cli, ["db", "import-county", str(county), "--unit", COUNTY, "--keep", str(tmp_path / "k2")], env=env
    )
    assert again.exit_code != 0
    assert "already holds usernames" in again.output


def test_a_county_store_on_an_older_schema_is_refused(province_url: str, tmp_path: Path):
    old = Store.open(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(old.engine, "0012")
    province = Custody.open(province_url)
    with pytest.raises(ImportRefused) as refused:
        import_county(old, province.store, COUNTY, tmp_path / "kept")
    assert refused.value.key == "import.old_schema" and "county" in str(refused.value)
    assert province.ledger.head().seq == 0
    old.close()
    province.close()


def test_a_file_that_is_no_store_is_refused(province_url: str, tmp_path: Path):
    stray = tmp_path / "notes.sqlite"
    stray.write_text("not a database\n")
    source = Store.open(f"sqlite:///{stray}")
    province = Custody.open(province_url)
    with pytest.raises(ImportRefused) as refused:
        import_county(source, province.store, COUNTY, tmp_path / "kept")
    assert refused.value.key == "import.not_a_store"
    assert province.ledger.head().seq == 0
    source.close()
    province.close()


def test_a_numbering_the_province_began_without_numbers_takes_the_county_s(
    county: Path, province_url: str, tmp_path: Path
):
    before = Custody.open(f"sqlite:///{county}")
    with before.store.reading() as conn:
        kept = dict(
            conn.execute(text("SELECT unit_code || '/' || year, last_sequence FROM number_sequences")).all()
        )
    before.close()
    assert kept
    province = Custody.open(province_url)
    province.units.import_units(None, read_units())  # a province that began with its units
    unit_year = next(iter(kept))
    unit, year = unit_year.split("/")
    with province.store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO number_sequences (unit_code, year, last_sequence) VALUES (:u, :y, 0)"),
            {"u": unit, "y": int(year)},
        )
    source = Store.open(f"sqlite:///{county}")
    import_county(source, province.store, COUNTY, tmp_path / "kept")
    source.close()
    with province.store.reading() as conn:
        moved = dict(
            conn.execute(text("SELECT unit_code || '/' || year, last_sequence FROM number_sequences")).all()
        )
    assert moved == kept
    province.close()


def _spoil(county: Path, *statements: str) -> None:
    raw = sqlite3.connect(county)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        raw.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


ACCESS_ENTRY = (
    "INSERT INTO access_log (seq, at_us, caller, unit_code, device, client, method, route, path, query, "
    "status, note, prev_hash, hash_version, hash) VALUES (1, 0, 'anonymous', NULL, '', '', 'GET', '/', '/', "
    "'', 200, '', 'not the genesis', 1, 'not a hash')"
)


@pytest.mark.parametrize(
    ("unit", "spoilt", "key"),
    [
        ("220102", (), "import.outside"),  # the city's own items are not Nanguan's
        ("999999", (), "import.no_unit"),
        (
            COUNTY,
            ("UPDATE items SET serial_number = 'X' WHERE id = (SELECT MIN(id) FROM items)",),
            "import.differs",
        ),
        (COUNTY, (ACCESS_ENTRY,), "import.not_verified"),
    ],
    ids=["outside", "no-unit", "records-differ", "access-log"],
)
def test_a_county_store_that_is_not_whole_is_refused(
    county: Path, province_url: str, tmp_path: Path, unit: str, spoilt: tuple[str, ...], key: str
):
    _spoil(county, *spoilt)
    source = Store.open(f"sqlite:///{county}")
    province = Custody.open(province_url)
    with pytest.raises(ImportRefused) as refused:
        import_county(source, province.store, unit, tmp_path / "kept")
    assert refused.value.key == key, str(refused.value)
    assert province.ledger.head().seq == 0 and _count(province, "users") == 0
    assert not list(tmp_path.glob("kept/*"))
    source.close()
    province.close()


def test_a_photo_the_province_holds_already_is_kept_once(county: Path, province_url: str, tmp_path: Path):
    raw = sqlite3.connect(county)
    sha256, media_type, size, content = raw.execute(
        "SELECT sha256, media_type, size, content FROM destruction_photos ORDER BY sha256"
    ).fetchone()
    photos = raw.execute("SELECT COUNT(*) FROM destruction_photos").fetchone()[0]
    raw.close()
    province = Custody.open(province_url)
    _begun(province)
    with province.store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO destruction_photos (sha256, media_type, size, content, stored_at_us, "
                "stored_by_id) VALUES (:h, :m, :s, :c, 0, (SELECT MIN(id) FROM users))"
            ),
            {"h": sha256, "m": media_type, "s": size, "c": content},
        )
    source = Store.open(f"sqlite:///{county}")
    import_county(source, province.store, COUNTY, tmp_path / "kept")
    source.close()
    assert photos >= 2 and _count(province, "destruction_photos") == photos
    assert province.ledger.verify().ok
    province.close()


def test_a_county_cut_off_at_its_end_is_refused_against_a_head_recorded_earlier(
    county: Path, province_url: str, tmp_path: Path
):
    before = Custody.open(f"sqlite:///{county}")
    recorded = str(before.ledger.head())
    before.close()
    _spoil(county, "DELETE FROM custody_events WHERE seq = (SELECT MAX(seq) FROM custody_events)")
    runner = CliRunner()
    env = {"CUSTODY_DATABASE_URL": province_url, "CUSTODY_USER": ""}
    args = ["db", "import-county", str(county), "--unit", COUNTY, "--keep", str(tmp_path / "kept")]
    bad = runner.invoke(cli, [*args, "--expect-head", "not-a-head"], env=env)
    assert bad.exit_code == 2 and "--expect-head" in bad.output
    cut = runner.invoke(cli, [*args, "--expect-head", recorded], env=env)
    assert cut.exit_code != 0 and "does not verify" in cut.output, cut.output
    province = Custody.open(province_url)
    assert province.ledger.head().seq == 0
    province.close()
