"""`python -m bench province` runs end to end at a small N on PostgreSQL (one worker, then two), so it
does not rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_province_benchmark_runs_both_arms_and_every_scan_is_accepted(postgres):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "province", "--items", "300", "--seconds", "1", "--pairs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["name"] == "province" and last["value"] > 0 and last["baseline"] > 0
    assert last["ratio"] == pytest.approx(last["value"] / last["baseline"], rel=1e-3)
    assert last["one_non_2xx"] == 0 and last["two_non_2xx"] == 0
    assert last["one_sightings_per_s"] > 0 and last["two_sightings_per_s"] > 0
