"""The core benchmarks run end to end at a small N, so none rots; speed itself is not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"name", "value", "unit", "baseline", "ratio"} <= set(last)
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) <= 0.01 * last["ratio"] + 1e-3
    return last


def test_intake_benchmark_runs_and_its_ledger_verifies():
    result = run_bench("intake", "-n", "160", "--threads", "8")
    assert result["name"] == "intake" and result["unit"] == "events/s" and result["n"] == 160
    assert result["cpu_ms_per_act"] > 0 and result["baseline_cpu_ms_per_row"] > 0


def test_verify_benchmark_runs_on_an_intact_ledger():
    result = run_bench("verify", "-n", "2000", "--rounds", "1")
    assert result["name"] == "verify" and result["events"] == 2000 and result["peak_mb"] > 0
