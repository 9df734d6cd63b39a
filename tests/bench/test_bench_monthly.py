"""The monthly statistics benchmark runs end to end at a small N on SQLite and PostgreSQL, its figures
checked equal to the SQL statement's; speed is not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_monthly_benchmark_agrees_with_its_statement():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "monthly", "-n", "8000", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert (last["name"], last["unit"]) == ("monthly", "s")
    assert last["events"] >= 8000 and last["units"] > 10
    assert last["value"] > 0 and last["baseline"] > 0 and last["postgresql_s"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) <= 0.01 * last["ratio"] + 1e-3
