"""Police units: the unit tree that scopes what everyone sees, reading units, adding and importing them.

The province's units ship with the package (``custody/data/jilin-units.csv``). Columns: code, parent,
Chinese name, English name, level (province, city, county), note. Special bureaus (forest, railway, civil
aviation, Changbaishan) have no region code and carry local codes 2299xx.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_province, require_role
from custody.db.tables import UnitRow
from custody.db.unit_of_work import UNKNOWN_UNIT, Also, Store
from custody.errors import AlreadyExists, InvalidInput, Message, NotPermitted, UnknownUnit
from custody.intake import clean_text
from custody.model import Role, UnitLevel
from custody.progress import Progress
from custody.records import Unit
from custody.users import Users

CSV_COLUMNS = Message("unit.csv_columns", "line {line}: expected columns {columns}")
CSV_CODE = Message("unit.csv_code", "line {line}: unit code must be 6 digits, got {code!r}")
CSV_LEVEL = Message("unit.csv_level", "line {line}: unknown level {level!r}")
CODE_SHAPE = Message("unit.code_shape", "a unit code is 6 digits")
UNIT_EXISTS = Message("unit.exists", "unit {unit_code} exists already")
IMPORT_AFTER_USERS = Message(
    "unit.import_after_users", "units are imported by a province administrator once users exist"
)
UNKNOWN_PARENT = Message("unit.unknown_parent", "unit {unit_code} names unknown parent {parent}")

_units = cast(Table, UnitRow.__table__)
# A unit code: 6 digits (a region code, or a special bureau's local code). The API's models use these too.
UNIT_CODE_PATTERN = "[0-9]{6}"
UNIT_CODE_LENGTH = 6
_CODE = re.compile(UNIT_CODE_PATTERN)

FIELDS = ("code", "parent", "name_zh", "name_en", "level", "note")


def read_units(path: Path | None = None) -> list[dict[str, str]]:
    """Unit rows from ``path`` or the packaged CSV, parents before children, validated."""
    if path is None:
        text = resources.files("custody.data").joinpath("jilin-units.csv").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    for number, row in enumerate(rows, start=2):
        if tuple(row) != FIELDS:
            raise InvalidInput(CSV_COLUMNS, line=number, columns=", ".join(FIELDS))
        if not _CODE.fullmatch(row["code"]):
            raise InvalidInput(CSV_CODE, line=number, code=row["code"])
        if row["level"] not in {level.value for level in UnitLevel}:
            raise InvalidInput(CSV_LEVEL, line=number, level=row["level"])
    order = {"province": 0, "city": 1, "county": 2}
    return sorted(rows, key=lambda r: (order[r["level"]], r["code"]))


class Units:
    """The units of the province: reference data anyone signed in may read; administrators add them."""

    def __init__(self, store: Store, users: Users) -> None:
        self.store = store
        self.users = users

    def get(self, code: str) -> Unit:
        with self.store.reading() as conn:
            row = conn.execute(select(_units).where(_units.c.code == code)).mappings().first()
        if row is None:
            raise UnknownUnit(UNKNOWN_UNIT, unit_code=code)
        return Unit.from_row(row)

    def all(self) -> list[Unit]:
        """Every police unit, by code (a transfer names a unit outside one's own scope)."""
        with self.store.reading() as conn:
            return [Unit.from_row(r) for r in conn.execute(select(_units).order_by(_units.c.code)).mappings()]

    def add(
        self,
        admin: Actor,
        code: str,
        parent_code: str,
        name_zh: str,
        name_en: str,
        level: UnitLevel,
        note: str = "",
        also: Also | None = None,
    ) -> Unit:
        """Add a unit under ``parent_code``, which must be the administrator's unit or lie below it
        (``also``: the entry point's own record of it, in the same transaction)."""
        require_role(admin, {Role.ADMIN}, "add units")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise InvalidInput(CODE_SHAPE, "code")
        self.store.require_unit(admin, parent_code, "add units under")
        if code in self.store.units(need=(code,)):
            raise AlreadyExists(UNIT_EXISTS, unit_code=code)
        row = {
            "code": code,
            "parent": parent_code,
            "name_zh": clean_text(name_zh, "name_zh", required=True) or "",
            "name_en": clean_text(name_en, "name_en", required=True) or "",
            "level": UnitLevel(level).value,
            "note": clean_text(note, "note") or "",
        }

        def change(conn: Connection) -> Unit:
            if self._insert(conn, [row]) == 0:
                raise AlreadyExists(UNIT_EXISTS, unit_code=code)
            return Unit.from_row(conn.execute(select(_units).where(_units.c.code == code)).mappings().one())

        # the unit as stored, read in its own transaction (an Idempotency-Key kept with the write keeps
        # exactly this answer)
        added = self.store.write(change, also=also)
        self.store.units_changed()
        return added

    def import_units(
        self, admin: Actor | None, rows: Iterable[Mapping[str, str]], progress: Progress | None = None
    ) -> int:
        """Import unit rows (:func:`read_units`); units already known are left as they are. Before the
        first user exists this is the first step of setting up and needs no one; afterwards only a
        province administrator imports. Names and notes are held to the text policy. Returns how many
        were added (``progress``: told the number of rows imported, once they are committed in one
        transaction)."""
        if self.users.count() > 0:
            if admin is None:
                raise NotPermitted(IMPORT_AFTER_USERS)
            require_province(admin, {Role.ADMIN}, "import units")
        cleaned = [
            {
                **row,
                "name_zh": clean_text(row["name_zh"], "name_zh", required=True) or "",
                "name_en": clean_text(row["name_en"], "name_en", required=True) or "",
                "note": clean_text(row.get("note"), "note") or "",
            }
            for row in rows
        ]
        added = self._write(cleaned)
        if progress is not None:
            progress(len(cleaned))
        return added

    def _write(self, wanted: list[dict[str, str]]) -> int:
        """Add the units not yet known (parents before children); return how many were added."""
        added = self.store.write(lambda conn: self._insert(conn, wanted))
        self.store.units_changed()
        return added

    @staticmethod
    def _insert(conn: Connection, wanted: list[dict[str, str]]) -> int:
        known = set(conn.execute(select(_units.c.code)).scalars())
        added = 0
        for row in wanted:
            if row["code"] in known:
                continue
            parent = row.get("parent") or None
            if parent is not None and parent not in known:
                raise UnknownUnit(UNKNOWN_PARENT, unit_code=row["code"], parent=parent)
            conn.execute(
                insert(_units).values(
                    code=row["code"],
                    parent_code=parent,
                    name_zh=row["name_zh"],
                    name_en=row["name_en"],
                    level=row["level"],
                    note=row.get("note") or "",
                )
            )
            known.add(row["code"])
            added += 1
        return added
