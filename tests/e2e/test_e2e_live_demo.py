"""The README's run command: `custody demo --live` starts the service, the simulated scanner and tags and
a station agent on the demo's own SQLite database, and simulated scans become custody events."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing

import pytest
from e2e_stack import CUSTODY, environment

from api.launcher import free_port

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]


def test_the_live_demo_turns_simulated_scans_and_tags_into_sightings_and_stops(tmp_path, pcscd):
    data = tmp_path / "data"
    done = subprocess.run(
        [CUSTODY, "demo", "--live", "--port", str(free_port()), "--interval", "0.2", "--scans", "4"],
        check=False,
        env=environment(data_dir=data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    accepted = [line for line in lines if line.get("event") == "accepted"]
    queued = {line["key"]: line for line in lines if line.get("event") == "queued"}
    assert len(accepted) == 4 and lines[-1]["event"] == "stopped"
    kinds = {"tag" if queued[a["key"]]["uid"] else "label" for a in accepted}
    assert kinds == {"tag", "label"}
    assert "live demo at http://127.0.0.1:" in done.stderr and "custody-demo" in done.stderr

    assert not (data / "custody.sqlite").exists()  # the demo never touches the embedded database
    with closing(sqlite3.connect(data / "demo.sqlite")) as con:
        sightings = con.execute(
            "SELECT seq, station FROM custody_events WHERE event_type = 'sighted' ORDER BY seq"
        ).fetchall()
    assert sightings == [(a["seq"], "demo-desk-1") for a in accepted]
