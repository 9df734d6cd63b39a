"""The audit benchmarks run end to end at a small N, so neither rots; speed itself is not asserted here."""

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
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"name", "value", "unit", "baseline", "ratio"} <= set(last)
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) <= 0.01 * last["ratio"] + 1e-3
    return last


def test_audit_benchmark_finds_exactly_what_it_planted():
    result = run_bench("audit", "-n", "2000", "--rounds", "1")
    assert result["name"] == "audit" and result["unit"] == "s" and result["n"] == 2000
    assert result["findings"] == {"found": 1980, "missing": 20, "unexpected": 10, "unknown_code": 10}
    assert result["peak_mb"] > 0


def test_tagreads_benchmark_counts_every_read_it_answered():
    result = run_bench("tagreads", "--items", "500", "--seconds", "1", "--connections", "4")
    assert result["name"] == "tagreads" and result["unit"] == "reads/s"
    assert result["non_2xx"] == 0 and result["reads_answered"] > 0
    assert result["reads_counted"] >= result["reads_answered"]
    assert result["distinct_tags"] == result["audit_seen_events"] > 0
