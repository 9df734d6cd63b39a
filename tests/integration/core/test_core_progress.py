"""Long commands report progress: the core through a callback, the command line as a bar on a
terminal (standard error), never in what it prints when piped."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from custody import progress as progress_module
from custody import replay as replay_module
from custody.db.ledger_store import verify_ledger
from custody.services import Custody
from custody_cli.main import cli

CUSTODY = str(Path(sys.executable).with_name("custody"))


@pytest.fixture
def events(custody: Custody) -> int:
    """A ledger with a few events in it."""
    clerk = custody.users.actor("ng-clerk")
    for n in range(3):
        custody.cases.open(clerk, f"PROGRESS-{n}")
    return custody.ledger.head().seq


def test_verifying_reports_progress_every_so_many_events(custody: Custody, events, monkeypatch):
    monkeypatch.setattr(progress_module, "EVERY", 1)
    told: list[int] = []
    result = verify_ledger(custody.store.engine, progress=told.append)
    assert result.ok and told == list(range(1, events + 1))


def test_replaying_reports_progress_every_so_many_events(custody: Custody, events, monkeypatch):
    monkeypatch.setattr(progress_module, "EVERY", 1)
    told: list[int] = []
    replayed, differences = replay_module.replay(custody.store, told.append)
    assert differences == [] and replayed == events and told == list(range(1, events + 1))


def test_piped_verify_prints_its_json_line_and_nothing_else(custody: Custody, database_url, events):
    done = CliRunner().invoke(cli, ["ledger", "verify"], env={"CUSTODY_DATABASE_URL": database_url})
    head = custody.ledger.head()
    assert done.exit_code == 0
    assert done.stdout.splitlines() == [json.dumps({"ok": True, "events": events, "head": str(head)})]
    assert done.stderr == ""


@pytest.mark.devices
def test_on_a_terminal_verify_draws_a_bar_on_stderr_and_prints_the_same_line(
    custody: Custody, database_url, events
):
    """Standard error on a pseudo-terminal, standard output piped: the bar goes to the terminal, the
    JSON line to the pipe, unchanged."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "CUSTODY_DATABASE_URL": database_url, "TERM": "xterm", "COLUMNS": "100"}
    process = subprocess.Popen(
        [CUSTODY, "ledger", "verify"], stdout=subprocess.PIPE, stderr=terminal, env=env, text=True
    )
    os.close(terminal)
    drawn = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other side closed: the command ended
                break
            if not chunk:
                break
            drawn += chunk
        elif process.poll() is not None:
            break
    out, _ = process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == 0
    assert out.splitlines() == [
        json.dumps({"ok": True, "events": events, "head": str(custody.ledger.head())})
    ]
    assert b"verifying the ledger" in drawn and f"{events}/{events}".encode() in drawn
