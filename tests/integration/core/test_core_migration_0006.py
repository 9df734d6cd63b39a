"""The sealed-storage migration (0006) on a database that holds items and stations: nothing is lost."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from custody.db.migrate import alembic_config, upgrade
from custody.db.tables import ItemRow, StationRow
from custody.model import Department, ItemState


def downgrade(engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.downgrade(config, revision)
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys = ON")


def test_items_and_stations_survive_the_round_trip_through_0005(custody, gun, ammo):
    admin = custody.users.actor("admin")
    custody.stations.add(admin, "desk-1", "220102", Department.EVIDENCE_ROOM, ["scanner-1"])
    clerk = custody.users.actor("ng-clerk")
    custody.items.check_out(clerk, gun.evidence_no, 1, "lab", "刑侦技术室", "2027-01-31")
    head = custody.ledger.head()
    custody.writer.close()
    downgrade(custody.engine, "0005")
    tables = set(inspect(custody.engine).get_table_names())
    assert not {"handovers", "seals", "locations", "seal_sequences", "store_marks"} & tables
    assert "seal_no" not in {c["name"] for c in inspect(custody.engine).get_columns("items")}
    upgrade(custody.engine)
    with custody.engine.connect() as conn:
        items = conn.execute(select(ItemRow.evidence_no, ItemRow.state, ItemRow.seal_no)).all()
        stations = conn.execute(select(StationRow.name, StationRow.location_code)).all()
    assert sorted(items) == sorted(
        [(gun.evidence_no, ItemState.CHECKED_OUT.value, None), (ammo.evidence_no, "registered", None)]
    )
    assert stations == [("desk-1", None)]
    assert custody.ledger.verify().ok and custody.ledger.head() == head
