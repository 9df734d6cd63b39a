"""The ledger point a report is computed at, on SQLite and PostgreSQL: the head by default, any seq the
ledger holds when asked, anything else refused; the latest signed checkpoint beside it."""

from __future__ import annotations

import pytest

from custody.errors import InvalidInput
from custody.intake import FirearmIntake
from custody.report_point import point_in
from custody.services import Custody
from custody.tlog import NoteSigner


def test_the_point_is_the_head_or_a_seq_the_ledger_holds(custody: Custody):
    clerk = custody.users.actor("ng-clerk")
    with custody.store.reading() as conn:
        empty = point_in(conn)
    assert (empty.seq, empty.checkpoint) == (0, None)
    custody.cases.open(clerk, "长南公刑字〔2026〕P1号", "非法持有枪支案")
    for n in range(3):
        custody.items.register_firearm(
            clerk, "长南公刑字〔2026〕P1号", FirearmIntake("手枪", "54式", f"P{n}", "7.62mm", True)
        )
    head = custody.ledger.head()
    with custody.store.reading() as conn:
        now, earlier = point_in(conn), point_in(conn, 2)
        for wrong in (0, -1, head.seq + 1):
            with pytest.raises(InvalidInput):
                point_in(conn, wrong)
    assert (now.seq, now.hash, now.head_seq) == (head.seq, head.hash, head.seq)
    assert (earlier.seq, earlier.head_seq) == (2, head.seq)
    with custody.store.reading() as conn:
        second = conn.exec_driver_sql("SELECT hash FROM custody_events WHERE seq = 2").scalar_one()
    assert earlier.hash == second
    signer = NoteSigner.generate("jilin-province-test")
    custody.checkpoints.make(signer)
    with custody.store.reading() as conn:
        signed = point_in(conn)
    assert signed.checkpoint is not None
    assert (signed.checkpoint.tree_size, signed.checkpoint.key_name) == (head.seq, "jilin-province-test")
