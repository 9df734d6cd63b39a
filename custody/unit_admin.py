"""Adding a police unit below one the administrator is responsible for."""

from __future__ import annotations

import re
from typing import Any

from custody.actors import Actor, require_province, require_role
from custody.db.unit_of_work import Also
from custody.errors import AlreadyExists, InvalidInput, NotPermitted, UnknownUnit
from custody.intake import clean_text
from custody.model import Role, UnitLevel
from custody.progress import Progress
from custody.services import Custody

_CODE = re.compile(r"[0-9]{6}")


def add_unit(
    custody: Custody,
    admin: Actor,
    code: str,
    parent_code: str,
    name_zh: str,
    name_en: str,
    level: UnitLevel,
    note: str = "",
    also: Also | None = None,
) -> dict[str, Any]:
    """Add a unit under ``parent_code``, which must be the administrator's unit or lie below it."""
    require_role(admin, {Role.ADMIN}, "add units")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput("a unit code is 6 digits", "code")
    tree = custody.units()
    if parent_code not in tree:
        raise UnknownUnit(f"unknown unit {parent_code}")
    if not tree.within(parent_code, admin.unit_code):
        raise NotPermitted(f"{admin.username} may not add units under {parent_code}")
    if code in tree:
        raise AlreadyExists(f"unit {code} exists already")
    row = {
        "code": code,
        "parent": parent_code,
        "name_zh": clean_text(name_zh, "name_zh", required=True) or "",
        "name_en": clean_text(name_en, "name_en", required=True) or "",
        "level": UnitLevel(level).value,
        "note": clean_text(note, "note") or "",
    }
    if custody.import_units([row], also=also) == 0:
        raise AlreadyExists(f"unit {code} exists already")
    return custody.unit(code)


def import_units(
    custody: Custody, admin: Actor | None, rows: list[dict[str, str]], progress: Progress | None = None
) -> int:
    """Import unit rows (:func:`custody.units.read_units`); units already known are left as they are.
    Before the first user exists this is the first step of setting up and needs no one; afterwards only a
    province administrator imports. Names and notes are held to the text policy. Returns how many were
    added (``progress``: told the number of rows imported, once they are committed in one transaction)."""
    if custody.user_count() > 0:
        if admin is None:
            raise NotPermitted("units are imported by a province administrator once users exist")
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
    added = custody.import_units(cleaned)
    if progress is not None:
        progress(len(cleaned))
    return added
