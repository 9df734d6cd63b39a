"""Coverage-guided fuzzing (atheris) of the parsers the devices and the API feed hostile bytes into: the
scanner's framing, GS1, NDEF/TLV and type 2 capability containers, evidence, seal and location numbers,
and the scan, registration and act request bodies through the ASGI app. Each target runs for
``CUSTODY_FUZZ_SECONDS`` (default 30) over its corpus in ``tests/fuzz/corpus``: any exception other than
the documented ones, a hang (10 s on one input) or a 5xx fails the test with the input that did it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SECONDS = int(os.environ.get("CUSTODY_FUZZ_SECONDS", "30"))
TARGETS = [
    "scanner_frames",
    "gs1",
    "ndef_area",
    "type2_container",
    "numbers",
    "api_scan",
    "api_act",
    "api_register",
]


@pytest.mark.long
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_nothing(target: str, tmp_path: Path) -> None:
    grown = tmp_path / "corpus"
    grown.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "targets.py"),
            target,
            f"-max_total_time={SECONDS}",
            "-timeout=10",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            str(grown),
            str(HERE / "corpus" / target),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=SECONDS + 240,
        check=False,
    )
    found = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    inputs = {name: (tmp_path / name).read_bytes()[:300] for name in found}
    assert done.returncode == 0 and not found, f"{target}: {inputs}\n{done.stderr[-4000:]}"
    runs = re.findall(r"Done (\d+) runs", done.stderr)
    coverage = re.findall(r"cov: (\d+) ft: (\d+)", done.stderr)
    assert runs and int(runs[-1]) > 0, done.stderr[-2000:]
    edges, features = coverage[-1]
    print(f"{target}: {runs[-1]} executions in {SECONDS} s, coverage {edges} edges, {features} features")
