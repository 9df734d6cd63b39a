"""Statements compiled once: an ``IN`` list of any length answers as SQLAlchemy's own would, on each
back end (the list padded up to a power of two with its last value, which ``IN`` does not count twice)."""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy import Table, bindparam, select

from custody.db.prepared import PreparedIn
from custody.db.tables import UnitRow
from custody.services import Custody

_units = cast(Table, UnitRow.__table__)
_NAMED = PreparedIn(
    lambda codes: (
        select(_units.c.code)
        .where(_units.c.code.in_(codes), _units.c.code != bindparam("not"))
        .order_by(_units.c.code)
    )
)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 9, 33])
def test_an_in_list_of_any_length_finds_what_the_core_query_finds(custody: Custody, count: int):
    with custody.store.reading() as conn:
        codes = [code for (code,) in conn.execute(select(_units.c.code).order_by(_units.c.code))]
        assert len(codes) > count + 1
        wanted = [*codes[1 : count + 1], "999999"]  # and a code of no unit
        found = [code for (code,) in _NAMED.run(conn, wanted, {"not": codes[1]}).fetchall()]
    assert found == codes[2 : count + 1]


def test_an_empty_in_list_is_refused_before_the_database(custody: Custody):
    with custody.store.reading() as conn, pytest.raises(ValueError, match="at least one"):
        _NAMED.run(conn, [], {"not": ""})
