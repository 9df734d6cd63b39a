"""``python -m bench tag`` runs end to end at a small count, through pcscd and vpcd, and ends with its
JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

ROOT = Path(__file__).resolve().parents[2]


def test_bench_tag_reports_driver_reads_against_bare_pyscard_and_arrival_latency() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "tag", "--reads", "200", "--rounds", "2", "--arrivals", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert (record["name"], record["unit"], record["reads"], record["arrivals"]) == (
        "tag_uid_reads",
        "reads/s",
        200,
        2,
    )
    assert record["value"] > 0 and record["baseline"] > 0
    assert record["ratio"] == pytest.approx(record["value"] / record["baseline"], rel=0.01)
    assert 0 < record["bare_arrival_median_ms"] <= record["bare_arrival_p95_ms"]
    assert 0 < record["arrival_median_ms"] <= record["arrival_p95_ms"]
