"""A read replica (`CUSTODY_READ_DATABASE_URL`): reports and the chain's verification read there, acts
stay on the primary, and a report computed on a replica that lags says by how much. The replica here is
a copy of the primary taken earlier (a replica that stopped replaying), on SQLite."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from custody.clock import FixedClock
from custody.db.sqlite_copy import copy_database
from custody.intake import FirearmIntake
from custody.report_point import point_in
from custody.services import Custody
from custody_cli.main import cli
from reports.document import ledger_point_lines


def test_a_report_on_a_lagging_replica_says_how_far_behind_it_is(
    sqlite_template: Path, tmp_path: Path, clock: FixedClock
):
    primary_path, replica_path = tmp_path / "primary.sqlite", tmp_path / "replica.sqlite"
    shutil.copyfile(sqlite_template, primary_path)
    custody = Custody.open(f"sqlite:///{primary_path}", clock)
    try:
        clerk = custody.users.actor("ng-clerk")
        custody.cases.open(clerk, "长南公刑字〔2026〕R1号", "非法持有枪支案")
        pistol = FirearmIntake("手枪", "54式", "R-1", "7.62mm", True)
        custody.items.register_firearm(clerk, "长南公刑字〔2026〕R1号", pistol)
        replicated = custody.ledger.head()
        copy_database(primary_path, replica_path)  # the replica stops here
        for n in range(3):
            custody.items.register_firearm(
                clerk, "长南公刑字〔2026〕R1号", FirearmIntake("手枪", "54式", f"R-{n + 2}", "7.62mm", True)
            )
        head = custody.ledger.head()
        custody.store.use_replica(f"sqlite:///{replica_path}")
        with custody.store.report_reading() as conn:
            point = point_in(conn)
        assert (point.seq, point.hash, point.primary_head_seq, point.replica_behind) == (
            replicated.seq,
            replicated.hash,
            head.seq,
            3,
        )
        lines = dict(ledger_point_lines(point))
        assert lines["只读副本 (read replica)"] == f"3 events behind the primary (its head: seq {head.seq})"
        assert custody.ledger.verify().head == replicated  # verification reads the replica
        assert custody.ledger.head() == head  # acts and their reads stay on the primary
        with custody.store.reading() as conn:
            assert point_in(conn).replica_behind == 0
    finally:
        custody.close()
    verified = CliRunner().invoke(
        cli,
        ["ledger", "verify"],
        env={
            "CUSTODY_DATABASE_URL": f"sqlite:///{primary_path}",
            "CUSTODY_READ_DATABASE_URL": f"sqlite:///{replica_path}",
        },
    )
    assert verified.exit_code == 0, verified.output
    assert f"{replicated.seq}:{replicated.hash}" in verified.output
