"""The batch report benchmark runs end to end at a small N, so it does not rot; speed is not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_report_benchmark_renders_both_sides_and_says_so():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "report", "-n", "300", "--photos", "4", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert (last["name"], last["unit"], last["items"], last["photos"]) == ("report", "s", 300, 4)
    assert last["value"] > 0 and last["baseline"] > 0 and last["peak_mb"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) <= 0.01 * last["ratio"] + 1e-3
