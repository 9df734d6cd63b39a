"""The desk benchmark runs end to end at a small N (item page against its baseline, and scans from a
simulated scanner through a station agent to the page in Chromium), so it does not rot; speed is not
asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.devices  # a pseudo-terminal, a station agent and a browser


def test_desk_benchmark_times_the_item_page_and_scans_reaching_the_screen():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "desk", "--events", "200", "--requests", "10", "--scans", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert (last["name"], last["unit"], last["events"], last["requests"], last["scans"]) == (
        "desk",
        "ms",
        200,
        10,
        3,
    )
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) <= 0.01 * last["ratio"] + 1e-3
    assert 0 < last["scan_to_screen_median_ms"] <= last["scan_to_screen_p90_ms"]
