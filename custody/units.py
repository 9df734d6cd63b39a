"""The police units of the province, shipped with the package (``custody/data/jilin-units.csv``).

Columns: code, parent, Chinese name, English name, level (province, city, county), note. Special bureaus
(forest, railway, civil aviation, Changbaishan) have no region code and carry local codes 2299xx.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from custody.errors import InvalidInput
from custody.model import UnitLevel

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
            raise InvalidInput(f"line {number}: expected columns {', '.join(FIELDS)}")
        if not (len(row["code"]) == 6 and row["code"].isascii() and row["code"].isdigit()):
            raise InvalidInput(f"line {number}: unit code must be 6 digits, got {row['code']!r}")
        if row["level"] not in {level.value for level in UnitLevel}:
            raise InvalidInput(f"line {number}: unknown level {row['level']!r}")
    order = {"province": 0, "city": 1, "county": 2}
    return sorted(rows, key=lambda r: (order[r["level"]], r["code"]))
