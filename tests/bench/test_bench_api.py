"""`python -m bench api` runs end to end at a small N (wrk against both servers), so it does not rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_benchmark_runs_and_every_scan_it_sent_was_accepted():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "api", "--items", "500", "--seconds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"name", "value", "unit", "baseline", "ratio", "p99_ms", "bare_p99_ms", "peak_mb"} <= set(last)
    assert last["name"] == "api" and last["value"] > 0 and last["baseline"] > 0
    assert last["non_2xx"] == 0
    assert last["sightings"] > 0
