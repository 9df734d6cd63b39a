"""`python -m bench scanner` end to end at a small N, so it does not rot; speed is not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.devices


def test_scanner_benchmark_delivers_every_code_intact_and_ends_with_its_json_line():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "scanner", "--codes", "600", "--rounds", "1", "--paced-codes", "100",
         "--garbled-codes", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert (last["name"], last["unit"]) == ("scanner", "codes/s")
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) <= 0.01 * last["ratio"] + 1e-3
    assert (last["codes"], last["lost"], last["corrupted"], last["error_events"]) == (600, 0, 0, 0)
    assert last["cpu_us_per_code"] > 0
    assert last["draining_bare"]["codes_per_s"] > 0 and last["draining_bare"]["ratio"] > 0
    paced = last["paced"]
    assert (paced["baud"], paced["codes"], paced["lost"], paced["corrupted"]) == (115200, 100, 0, 0)
    assert {"end_lag_ms", "frame_ms", "within_one_frame", "lag_p99_ms"} <= set(paced)
    assert last["wrong_baud"] == {"garbled_scans": 20 * 56, "delivered": 0}
    assert last["listen"]["scanned"] is True
    assert last["listen"]["open_s"] > 0
